import { InvalidArgumentError } from 'commander';
import { formatDuration, parseWindowDuration } from '../../../src/cli/duration';

describe('parseWindowDuration (--window)', () => {
  it.each([
    ['1s', 1],
    ['300s', 300],
    ['5m', 300],
    ['5M', 300],
    [' 15m ', 900],
    ['1.5m', 90],
    ['0.1m', 6],
    ['1h', 3600],
    ['1.5h', 5400],
    ['24h', 86_400],
    ['1d', 86_400],
    ['86400s', 86_400],
  ])('reads %p as %p seconds', (value, seconds) => {
    expect(parseWindowDuration(value)).toBe(seconds);
  });

  it.each([
    ['', /a number and a unit/],
    ['5', /a number and a unit/],
    ['m', /a number and a unit/],
    ['5x', /a number and a unit/],
    ['-5m', /a number and a unit/],
    ['5 m', /a number and a unit/],
    ['1e3s', /a number and a unit/],
    ['0s', /at least 1 second/],
    ['0m', /at least 1 second/],
    ['1.5s', /1\.5s is 1\.5 seconds: a window is a whole number of seconds/],
    ['0.01m', /whole number of seconds/],
    ['86401s', /at most a day/],
    ['25h', /at most a day/],
    ['2d', /at most a day/],
  ])('refuses %p with a usage error saying why', (value, message) => {
    let error: unknown;
    try {
      parseWindowDuration(value);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(message);
  });

  it.each([
    [1, '1s'],
    [90, '90s'],
    [300, '5m'],
    [5400, '90m'],
    [3600, '1h'],
    [86_400, '1d'],
  ])('formats %p seconds as %p, which reads back the same', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
    expect(parseWindowDuration(text)).toBe(seconds);
  });
});
