import fc from 'fast-check';
import { isoFromMs, partitionOf } from '../../src/time';

const MIN_MS = 0;
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const DAY_MS = 86_400_000;

describe('isoFromMs', () => {
  it.each([
    ['the epoch', 0],
    ['a Pinpoint sample timestamp', 1_438_799_953_123],
    ['a leap day', Date.UTC(2024, 1, 29, 12, 0, 0, 5)],
    ['the last millisecond of a day', Date.UTC(2023, 11, 31, 23, 59, 59, 999)],
    ['the first millisecond of a day', Date.UTC(2024, 0, 1)],
    ['single-digit milliseconds', Date.UTC(2024, 5, 6, 7, 8, 9, 7)],
    ['two-digit milliseconds', Date.UTC(2024, 5, 6, 7, 8, 9, 42)],
    ['the last millisecond of 9999', MAX_MS],
  ])('formats %s like Date.prototype.toISOString', (_label, ms) => {
    expect(isoFromMs(ms)).toBe(new Date(ms).toISOString());
  });

  it('formats a known instant exactly', () => {
    expect(isoFromMs(1_700_000_000_123)).toBe('2023-11-14T22:13:20.123Z');
  });

  it('equals Date.prototype.toISOString for any millisecond in 1970..9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: MIN_MS, max: MAX_MS }), (ms) => {
        expect(isoFromMs(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 2000 },
    );
  });

  it('equals Date.prototype.toISOString on sequences that jump between a few days', () => {
    const base = Date.UTC(2024, 1, 28);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: base - DAY_MS, max: base + 3 * DAY_MS }), { minLength: 2, maxLength: 50 }),
        (sequence) => {
          for (const ms of sequence) expect(isoFromMs(ms)).toBe(new Date(ms).toISOString());
        },
      ),
    );
  });

  it('gives the right date when calls alternate between two days', () => {
    const a = Date.UTC(2024, 2, 9, 23, 59, 59, 999);
    const b = a + 1;
    const c = Date.UTC(2031, 6, 4, 12, 0, 0, 0);
    const seen = [a, b, a, c, b, a, a, c].map(isoFromMs);
    expect(seen).toEqual([
      '2024-03-09T23:59:59.999Z',
      '2024-03-10T00:00:00.000Z',
      '2024-03-09T23:59:59.999Z',
      '2031-07-04T12:00:00.000Z',
      '2024-03-10T00:00:00.000Z',
      '2024-03-09T23:59:59.999Z',
      '2024-03-09T23:59:59.999Z',
      '2031-07-04T12:00:00.000Z',
    ]);
  });

  it('cuts fractions of a millisecond off, as Date does, for any fraction', () => {
    expect(isoFromMs(1_700_000_000_999.25)).toBe('2023-11-14T22:13:20.999Z');
    expect(isoFromMs(0.5)).toBe('1970-01-01T00:00:00.000Z');
    fc.assert(
      fc.property(fc.double({ min: MIN_MS, max: MAX_MS, noNaN: true }), (ms) => {
        const iso = isoFromMs(ms);
        expect(iso).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        expect(iso).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['NaN', Number.NaN],
    ['a negative time', -1],
    ['the year 10000', Date.UTC(10000, 0, 1)],
    ['Infinity', Number.POSITIVE_INFINITY],
  ])('throws a RangeError for %s rather than write an unreadable time', (_label, ms) => {
    expect(() => isoFromMs(ms)).toThrow(RangeError);
    expect(() => partitionOf(ms)).toThrow(RangeError);
  });

  it('stays right past the number of days it caches (the cache is emptied, not wrong)', () => {
    const start = Date.UTC(2001, 0, 1, 6, 30);
    for (let d = 0; d < 10_000; d += 1) {
      const ms = start + d * DAY_MS;
      expect(isoFromMs(ms)).toBe(new Date(ms).toISOString());
    }
    expect(isoFromMs(start)).toBe('2001-01-01T06:30:00.000Z');
  });
});

describe('partitionOf', () => {
  it('returns the UTC date and the zero-padded UTC hour', () => {
    expect(partitionOf(Date.UTC(2024, 0, 5, 7, 30))).toEqual({ dt: '2024-01-05', hour: '07' });
    expect(partitionOf(Date.UTC(2024, 0, 5, 23, 59, 59, 999))).toEqual({ dt: '2024-01-05', hour: '23' });
    expect(partitionOf(Date.UTC(2024, 0, 6))).toEqual({ dt: '2024-01-06', hour: '00' });
    expect(partitionOf(0)).toEqual({ dt: '1970-01-01', hour: '00' });
  });

  it('gives the right date when calls alternate with isoFromMs on other days', () => {
    const monday = Date.UTC(2024, 0, 1, 10);
    const tuesday = Date.UTC(2024, 0, 2, 11);
    expect(partitionOf(monday)).toEqual({ dt: '2024-01-01', hour: '10' });
    expect(isoFromMs(tuesday)).toBe('2024-01-02T11:00:00.000Z');
    expect(partitionOf(monday)).toEqual({ dt: '2024-01-01', hour: '10' });
    expect(partitionOf(tuesday)).toEqual({ dt: '2024-01-02', hour: '11' });
    expect(isoFromMs(monday)).toBe('2024-01-01T10:00:00.000Z');
  });

  it('agrees with the ISO string for any millisecond in 1970..9999, fractions included', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: MIN_MS, max: MAX_MS }),
          fc.double({ min: MIN_MS, max: MAX_MS, noNaN: true }),
        ),
        (ms) => {
          const iso = new Date(ms).toISOString();
          expect(partitionOf(ms)).toEqual({ dt: iso.slice(0, 10), hour: iso.slice(11, 13) });
        },
      ),
      { numRuns: 1000 },
    );
  });
});
