import { formatCount, formatRate, formatThreshold, formatUsd } from '../../../src/report/format';

describe('numbers for people', () => {
  it.each([
    [0, '0'],
    [1234, '1,234'],
    [1234567, '1,234,567'],
    [null, '–'],
  ])('count %p → %s', (n, text) => expect(formatCount(n)).toBe(text));

  it.each([
    [0.052, '5.2%'],
    [0.05, '5.0%'],
    [1, '100.0%'],
    [1.5, '150.0%'],
    [0.0008, '0.08%'],
    // One decimal would show 0.06% as 0.1%: the complaint threshold.
    [0.0006, '0.06%'],
    [0.00001, '<0.01%'],
    [0, '0%'],
    [null, '–'],
  ])('rate %p → %s', (r, text) => expect(formatRate(r)).toBe(text));

  it.each([
    [12.34, '$12.34'],
    [1234.5, '$1,234.50'],
    [0.0042, '$0.0042'],
    [0, '$0.00'],
    [null, '–'],
  ])('usd %p → %s', (v, text) => expect(formatUsd(v)).toBe(text));

  it('writes thresholds as the docs do', () => {
    expect(formatThreshold(0.05)).toBe('5%');
    expect(formatThreshold(0.001)).toBe('0.1%');
  });
});
