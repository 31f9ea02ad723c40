import fc from 'fast-check';
import { arr, bool, epochMs, int32, int64, num, obj, parseJsonObject, str } from '../../src/fields';

// 2023-11-14T22:13:20.000Z
const MS = 1_700_000_000_000;
const MAX_EXCLUSIVE = Date.UTC(10000, 0, 1);

describe('str', () => {
  it('returns a non-empty string as is', () => {
    expect(str('abc')).toBe('abc');
    expect(str(' ')).toBe(' ');
  });

  it('treats an empty string as missing', () => {
    expect(str('')).toBeUndefined();
  });

  it('turns finite numbers and booleans into strings', () => {
    expect(str(42)).toBe('42');
    expect(str(0)).toBe('0');
    expect(str(-1.5)).toBe('-1.5');
    expect(str(true)).toBe('true');
    expect(str(false)).toBe('false');
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['null', null],
    ['undefined', undefined],
    ['an object', { a: 1 }],
    ['an array', ['a']],
  ])('returns undefined for %s', (_label, value) => {
    expect(str(value)).toBeUndefined();
  });
});

describe('num', () => {
  it('returns finite numbers as is', () => {
    expect(num(0)).toBe(0);
    expect(num(-3.25)).toBe(-3.25);
    expect(num(MS)).toBe(MS);
  });

  it.each([
    ['"1"', '1', 1],
    ['"0"', '0', 0],
    ['"-12.5"', '-12.5', -12.5],
    ['"645.0"', '645.0', 645],
    ['" 7 " with spaces', ' 7 ', 7],
    ['"1e3"', '1e3', 1000],
  ])('reads the numeric string %s', (_label, value, expected) => {
    expect(num(value)).toBe(expected);
  });

  it.each([
    ['an empty string', ''],
    ['a blank string', '   '],
    ['a word', 'abc'],
    ['a number followed by junk', '12abc'],
    ['"Infinity"', 'Infinity'],
    ['"NaN"', 'NaN'],
    ['NaN', Number.NaN],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['a boolean', true],
    ['null', null],
    ['an object', {}],
    ['an array holding a number', [5]],
  ])('returns undefined for %s', (_label, value) => {
    expect(num(value)).toBeUndefined();
  });
});

describe('bool', () => {
  it('reads booleans and the strings "true" and "false"', () => {
    expect(bool(true)).toBe(true);
    expect(bool(false)).toBe(false);
    expect(bool('true')).toBe(true);
    expect(bool('false')).toBe(false);
  });

  it.each([['TRUE'], ['yes'], ['1'], [1], [0], [''], [null], [undefined], [{}]])(
    'returns undefined for %p',
    (value) => {
      expect(bool(value)).toBeUndefined();
    },
  );
});

describe('obj and arr', () => {
  it('returns plain objects and rejects arrays, null and scalars', () => {
    const o = { a: 1 };
    expect(obj(o)).toBe(o);
    expect(obj([])).toBeUndefined();
    expect(obj(null)).toBeUndefined();
    expect(obj('{}')).toBeUndefined();
    expect(obj(1)).toBeUndefined();
  });

  it('returns arrays and rejects everything else', () => {
    const a = [1, 2];
    expect(arr(a)).toBe(a);
    expect(arr({ length: 0 })).toBeUndefined();
    expect(arr('ab')).toBeUndefined();
    expect(arr(null)).toBeUndefined();
  });
});

describe('epochMs', () => {
  it('keeps a timestamp in milliseconds', () => {
    expect(epochMs(MS)).toBe(MS);
    expect(epochMs(1_438_799_953_123)).toBe(1_438_799_953_123);
  });

  it('converts a timestamp in seconds to milliseconds', () => {
    expect(epochMs(1_700_000_000)).toBe(MS);
  });

  it('converts seconds with decimals (Kinesis approximateArrivalTimestamp) and rounds to the millisecond', () => {
    expect(epochMs(1_700_000_000.123)).toBe(MS + 123);
    expect(epochMs(1_700_000_000.1236)).toBe(MS + 124);
  });

  it('rounds fractional milliseconds', () => {
    expect(epochMs(MS + 0.4)).toBe(MS);
    expect(epochMs(MS + 0.6)).toBe(MS + 1);
  });

  it('reads numeric strings in milliseconds and in seconds', () => {
    expect(epochMs(String(MS))).toBe(MS);
    expect(epochMs('1700000000')).toBe(MS);
    expect(epochMs('1700000000.5')).toBe(MS + 500);
    expect(epochMs(` ${MS} `)).toBe(MS);
  });

  it('treats values below 1e11 as seconds and from 1e11 on as milliseconds', () => {
    expect(epochMs(99_999_999_999)).toBe(99_999_999_999_000);
    expect(epochMs(100_000_000_000)).toBe(100_000_000_000);
  });

  it('reads an ISO-8601 string as SES writes it', () => {
    expect(epochMs('2023-11-14T22:13:20.000Z')).toBe(MS);
    expect(epochMs('2017-08-05T00:41:02.669Z')).toBe(Date.UTC(2017, 7, 5, 0, 41, 2, 669));
  });

  it('reads ISO-8601 strings with an offset, without seconds, or with a date only', () => {
    expect(epochMs('2023-11-15T00:13:20+02:00')).toBe(MS);
    expect(epochMs('2023-11-14T17:13:20-0500')).toBe(MS);
    expect(epochMs('2023-11-14T22:13Z')).toBe(MS - 20_000);
    expect(epochMs('2023-11-14')).toBe(Date.UTC(2023, 10, 14));
    expect(epochMs(' 2023-11-14T22:13:20Z\n')).toBe(MS);
  });

  it('reads an ISO-8601 date-time without an offset as UTC, whatever the local time zone', () => {
    expect(epochMs('2023-11-14T22:13:20')).toBe(MS);
    expect(epochMs('2023-11-14T22:13:20.250')).toBe(MS + 250);
  });

  it('accepts the boundaries 1970 and 9999', () => {
    expect(epochMs(1)).toBe(1000);
    expect(epochMs(MAX_EXCLUSIVE - 1)).toBe(MAX_EXCLUSIVE - 1);
    expect(epochMs('9999-12-31T23:59:59.999Z')).toBe(MAX_EXCLUSIVE - 1);
    expect(epochMs('1970-01-01T00:00:01Z')).toBe(1000);
  });

  it.each([
    ['zero', 0],
    ['a negative number', -1],
    ['a negative numeric string', '-1700000000'],
    ['the year 10000 in ms', MAX_EXCLUSIVE],
    ['a far-future number', 1e20],
    ['the year 10000 as ISO', '+010000-01-01T00:00:00Z'],
    ['a date before 1970 as ISO', '1969-12-31T23:59:59Z'],
  ])('rejects %s as out of range', (_label, value) => {
    expect(epochMs(value)).toBeUndefined();
  });

  it.each([
    ['an empty string', ''],
    ['a blank string', '  '],
    ['a word', 'yesterday'],
    ['a word and a number', 'Item 5'],
    ['a greeting and a year', 'hello 2024'],
    ['a month and a day', 'March 7'],
    ['a number followed by junk', '12abc'],
    ['an impossible month', '2024-13-01T00:00:00Z'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['null', null],
    ['undefined', undefined],
    ['a boolean', true],
    ['an object', { timestamp: MS }],
    ['an array', [MS]],
  ])('returns undefined for junk: %s', (_label, value) => {
    expect(epochMs(value)).toBeUndefined();
  });
});

describe('parseJsonObject', () => {
  it('parses a JSON-encoded object in a string (the Pinpoint endpoint record)', () => {
    const endpoint = { ChannelType: 'SMS', Address: '+14255550199', User: { UserId: 'u1' } };
    expect(parseJsonObject(JSON.stringify(endpoint))).toEqual(endpoint);
  });

  it('passes an object through unchanged', () => {
    const o = { a: 1 };
    expect(parseJsonObject(o)).toBe(o);
  });

  it.each([
    ['a truncated object', '{"ChannelType":"SMS","Address":"+1425'],
    ['a single-quoted object', "{'a':1}"],
    ['an empty string', ''],
    ['plain text', 'not json'],
  ])('returns undefined for a broken JSON string: %s', (_label, value) => {
    expect(parseJsonObject(value)).toBeUndefined();
  });

  it.each([
    ['an array', '[{"a":1}]'],
    ['null', 'null'],
    ['a number', '42'],
    ['a string', '"{}"'],
  ])('returns undefined for a JSON string holding %s', (_label, value) => {
    expect(parseJsonObject(value)).toBeUndefined();
  });

  it('returns undefined for non-string non-objects', () => {
    expect(parseJsonObject(null)).toBeUndefined();
    expect(parseJsonObject(undefined)).toBeUndefined();
    expect(parseJsonObject(42)).toBeUndefined();
    expect(parseJsonObject([{ a: 1 }])).toBeUndefined();
  });
});

describe('int32 and int64 (Athena int and bigint columns)', () => {
  it('read integers and numeric strings as they are', () => {
    expect(int32(3)).toBe(3);
    expect(int32('1')).toBe(1);
    expect(int32(' 7 ')).toBe(7);
    expect(int32('1.0')).toBe(1);
    expect(int64('1200')).toBe(1200);
    expect(int64(-5)).toBe(-5);
  });

  it('round fractions to the nearest integer, and never write -0', () => {
    expect(int32(1.5)).toBe(2);
    expect(int32('2.4')).toBe(2);
    expect(int64(12.7)).toBe(13);
    expect(Object.is(int32(-0.2), 0)).toBe(true);
    expect(Object.is(int64(-0), 0)).toBe(true);
  });

  it('keep the 32-bit range for int and the safe-integer range for bigint, and drop the rest', () => {
    expect(int32(2_147_483_647)).toBe(2_147_483_647);
    expect(int32(-2_147_483_648)).toBe(-2_147_483_648);
    expect(int32(2_147_483_648)).toBeUndefined();
    expect(int32(-2_147_483_649)).toBeUndefined();
    expect(int32(2_147_483_647.4)).toBe(2_147_483_647);
    expect(int64(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    expect(int64(-Number.MAX_SAFE_INTEGER)).toBe(-Number.MAX_SAFE_INTEGER);
    expect(int64(2 ** 53)).toBeUndefined();
    expect(int64(1e21)).toBeUndefined();
    expect(int64('9007199254740993')).toBeUndefined();
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a non-numeric string', 'abc'],
    ['an empty string', ''],
    ['null', null],
    ['a boolean', true],
    ['an object', { n: 1 }],
  ])('return undefined for %s', (_label, value) => {
    expect(int32(value)).toBeUndefined();
    expect(int64(value)).toBeUndefined();
  });

  it('give an integer in range, written without exponent, or undefined, for any input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.double().map(String), fc.anything()), (value) => {
        const a = int32(value);
        if (a !== undefined) {
          expect(Number.isInteger(a) && a >= -(2 ** 31) && a < 2 ** 31).toBe(true);
          expect(JSON.stringify(a)).toMatch(/^-?\d+$/);
        }
        const b = int64(value);
        if (b !== undefined) {
          expect(Number.isSafeInteger(b)).toBe(true);
          expect(JSON.stringify(b)).toMatch(/^-?\d+$/);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
