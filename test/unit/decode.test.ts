import fc from 'fast-check';
import {
  type DecodeResult,
  decodeBytes,
  decodeData,
  MAX_JSON_DEPTH,
  nestsDeeperThan,
} from '../../src/decode';

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
const BOM = '\uFEFF';
const BOM_BYTES = Buffer.from([0xef, 0xbb, 0xbf]);
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const REASONS = [
  'empty_record',
  'invalid_base64',
  'invalid_utf8',
  'invalid_json',
  'not_an_object',
  'too_deeply_nested',
];

function expectFailure(result: DecodeResult, reason: string): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.reason).toBe(reason);
  expect(result.detail.length).toBeGreaterThan(0);
}

function expectEvent(result: DecodeResult): Record<string, unknown> {
  if (!result.ok) throw new Error(`expected ok, got ${result.reason}: ${result.detail}`);
  return result.event;
}

describe('decodeData', () => {
  describe('base64', () => {
    it('decodes a padded base64 JSON object', () => {
      const json = '{"event_type":"_email.send","n":1}';
      const result = decodeData(b64(json));
      expect(expectEvent(result)).toEqual({ event_type: '_email.send', n: 1 });
      expect(result.bytes.toString('utf8')).toBe(json);
    });

    it.each([
      ['two padding characters', '{"event_type":"ab"}', '=='],
      ['one padding character', '{"event_type":"abc"}', '='],
      ['no padding', '{"event_type":"a"}', ''],
    ])('accepts base64 with %s', (_label, json, pad) => {
      const data = b64(json);
      expect(data.length - data.replace(/=+$/, '').length).toBe(pad.length);
      expect(expectEvent(decodeData(data))).toEqual(JSON.parse(json));
    });

    it('rejects base64 with a character outside the alphabet', () => {
      const data = b64('{"event_type":"abc"}');
      expectFailure(decodeData(`${data.slice(0, 4)}*${data.slice(5)}`), 'invalid_base64');
    });

    it('rejects base64 with a non-ASCII character in place of a base64 digit', () => {
      const data = b64('{"event_type":"abc"}');
      expectFailure(decodeData(`${data.slice(0, 8)}é${data.slice(9)}`), 'invalid_base64');
    });

    it('rejects a non-ASCII character that Node would read as a base64 digit', () => {
      const data = b64('{"event_type":"abc"}');
      // U+0165 has the low byte of "e": Buffer.from decodes it as "e" instead of skipping it.
      const sneaky = data.replace(/[A-Za-z]/, (c) => String.fromCharCode(0x100 | c.charCodeAt(0)));
      expect(sneaky).not.toBe(data);
      expect(Buffer.from(sneaky, 'base64').equals(Buffer.from(data, 'base64'))).toBe(true);
      expectFailure(decodeData(sneaky), 'invalid_base64');
    });

    it('rejects base64 whose padding was stripped', () => {
      const data = b64('{"event_type":"ab"}');
      expect(data.endsWith('==')).toBe(true);
      expectFailure(decodeData(data.slice(0, -2)), 'invalid_base64');
    });

    it('rejects base64 with a line break inside', () => {
      const data = b64('{"event_type":"_email.send","attributes":{}}');
      expectFailure(decodeData(`${data.slice(0, 16)}\n${data.slice(16)}`), 'invalid_base64');
    });

    it('rejects base64 with a trailing newline', () => {
      expectFailure(decodeData(`${b64('{"event_type":"abc"}')}\n`), 'invalid_base64');
    });

    it('rejects base64 with padding in the middle', () => {
      expectFailure(decodeData(`${b64('{"a":1}x')}${b64('{}')}`), 'invalid_base64');
      expectFailure(decodeData('QUI=QUI='), 'invalid_base64');
    });

    it('rejects base64 with a padding character in place of a digit', () => {
      expectFailure(decodeData('QQ=A'), 'invalid_base64');
      expectFailure(decodeData('Y==='), 'invalid_base64');
    });

    it('rejects the URL-safe base64 alphabet, which Kinesis and Firehose never send', () => {
      const json = '{"event_type":"a?>"}';
      const standard = b64(json);
      expect(standard).toContain('+');
      expect(expectEvent(decodeData(standard))).toEqual({ event_type: 'a?>' });
      expectFailure(decodeData(standard.replace('+', '-')), 'invalid_base64');
      expectFailure(decodeData(b64('{"event_type":"???"}').replace('/', '_')), 'invalid_base64');
    });

    it('reports an empty data string as an empty record', () => {
      const result = decodeData('');
      expectFailure(result, 'empty_record');
      expect(result.bytes.length).toBe(0);
      expect(result.ok ? 'raw' : result.raw).toBeUndefined();
    });

    it('keeps the decoded bytes on a failure after base64', () => {
      const result = decodeData(b64('[1,2]'));
      expectFailure(result, 'not_an_object');
      expect(result.bytes.equals(Buffer.from('[1,2]'))).toBe(true);
    });
  });

  describe('messy but valid records', () => {
    it('strips a UTF-8 BOM from text but keeps it in raw and bytes', () => {
      const json = '{"event_type":"_SMS.SUCCESS"}';
      const result = decodeData(b64(Buffer.concat([BOM_BYTES, Buffer.from(json)])));
      expect(expectEvent(result)).toEqual({ event_type: '_SMS.SUCCESS' });
      if (!result.ok) return;
      expect(result.text).toBe(json);
      expect(result.raw).toBe(`${BOM}${json}`);
      expect(result.bytes.subarray(0, 3).equals(BOM_BYTES)).toBe(true);
    });

    it('accepts a trailing newline and keeps it in raw only', () => {
      const json = '{"event_type":"_email.open"}';
      const result = decodeData(b64(`${json}\n`));
      expect(expectEvent(result)).toEqual({ event_type: '_email.open' });
      if (!result.ok) return;
      expect(result.raw).toBe(`${json}\n`);
      expect(result.text).toBe(json);
    });

    it('accepts a CRLF line ending, tabs and spaces around the object', () => {
      const json = '{"event_type":"TEXT_DELIVERED"}';
      const result = decodeData(b64(` \t\r\n${json} \t\r\n`));
      expect(expectEvent(result)).toEqual({ event_type: 'TEXT_DELIVERED' });
      if (result.ok) expect(result.text).toBe(json);
    });

    it('accepts a BOM followed by whitespace', () => {
      const result = decodeData(b64(`${BOM}  \n{"eventType":"Bounce"}\n`));
      expect(expectEvent(result)).toEqual({ eventType: 'Bounce' });
      if (result.ok) expect(result.text).toBe('{"eventType":"Bounce"}');
    });

    it('accepts a pretty-printed object and keeps its inner whitespace in text', () => {
      const json = JSON.stringify({ event_type: 'a', attributes: { k: 'v' } }, null, 2);
      const result = decodeData(b64(`${json}\n`));
      expect(expectEvent(result)).toEqual({ event_type: 'a', attributes: { k: 'v' } });
      if (result.ok) expect(result.text).toBe(json);
    });

    it('accepts multi-byte UTF-8 text', () => {
      const result = decodeData(b64('{"event_type":"_custom.été","emoji":"🎉","cjk":"日本"}'));
      expect(expectEvent(result)).toEqual({ event_type: '_custom.été', emoji: '🎉', cjk: '日本' });
    });

    it('decodes an object without an event type: that is the source detector’s call', () => {
      expect(expectEvent(decodeData(b64('{"foo":1}')))).toEqual({ foo: 1 });
      expect(expectEvent(decodeData(b64('{}')))).toEqual({});
    });
  });

  describe('poison records', () => {
    it('rejects invalid UTF-8 as invalid_utf8 without a raw text', () => {
      const bytes = Buffer.concat([
        Buffer.from('{"event_type":"'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}'),
      ]);
      const result = decodeData(bytes.toString('base64'));
      expectFailure(result, 'invalid_utf8');
      expect(result.ok ? 'raw' : result.raw).toBeUndefined();
      expect(result.bytes.equals(bytes)).toBe(true);
    });

    it.each([
      ['a lone continuation byte', [0x80]],
      ['an overlong encoding', [0xc0, 0xaf]],
      ['an encoded UTF-16 surrogate', [0xed, 0xa0, 0x80]],
      ['a truncated multi-byte sequence', [0xe6, 0x97]],
      ['a byte that never occurs in UTF-8', [0xff]],
    ])('rejects %s as invalid_utf8', (_label, tail) => {
      const bytes = Buffer.concat([Buffer.from('{"a":"'), Buffer.from(tail), Buffer.from('"}')]);
      expectFailure(decodeData(bytes.toString('base64')), 'invalid_utf8');
    });

    it('rejects a truncated JSON object as invalid_json and keeps the raw text', () => {
      const json = '{"event_type":"_email.send","attributes":{"campaign_id":"c1"';
      const result = decodeData(b64(json));
      expectFailure(result, 'invalid_json');
      expect(result.ok ? undefined : result.raw).toBe(json);
      expect(result.ok ? '' : result.detail).toMatch(/^record is not valid JSON/);
    });

    it.each([
      ['a truncated string', '{"event_type":"_em'],
      ['a trailing comma', '{"event_type":"a",}'],
      ['single quotes', "{'event_type':'a'}"],
      ['two concatenated objects', '{"event_type":"a"}{"event_type":"b"}'],
      ['JSON Lines with two records', '{"event_type":"a"}\n{"event_type":"b"}'],
      ['plain text', 'hello'],
      ['an unquoted key', '{event_type:"a"}'],
    ])('rejects %s as invalid_json', (_label, text) => {
      expectFailure(decodeData(b64(text)), 'invalid_json');
    });

    it('rejects a JSON array as not_an_object', () => {
      const result = decodeData(b64('[{"event_type":"a"}]'));
      expectFailure(result, 'not_an_object');
      expect(result.ok ? '' : result.detail).toMatch(/array/);
      expect(result.ok ? undefined : result.raw).toBe('[{"event_type":"a"}]');
    });

    it('rejects an empty JSON array as not_an_object', () => {
      expectFailure(decodeData(b64('[]')), 'not_an_object');
    });

    it.each([
      ['a number', '42', 'number'],
      ['a string', '"{\\"event_type\\":\\"a\\"}"', 'string'],
      ['a boolean', 'true', 'boolean'],
      ['null', 'null', 'null'],
    ])('rejects %s as not_an_object', (_label, text, what) => {
      const result = decodeData(b64(text));
      expectFailure(result, 'not_an_object');
      expect(result.ok ? '' : result.detail).toContain(`JSON ${what}`);
    });

    it.each([
      ['spaces', '   '],
      ['a newline', '\n'],
      ['a BOM', BOM],
      ['a BOM and a newline', `${BOM}\r\n`],
    ])('rejects a record holding only %s as empty_record, with its raw text', (_label, text) => {
      const result = decodeData(b64(text));
      expectFailure(result, 'empty_record');
      expect(result.ok ? undefined : result.raw).toBe(text);
    });
  });
});

describe('decodeBytes', () => {
  it('decodes bytes already out of base64 the same way', () => {
    const bytes = Buffer.from(`${BOM}{"event_type":"_SMS.BUFFERED"}\n`);
    const result = decodeBytes(bytes);
    expect(expectEvent(result)).toEqual({ event_type: '_SMS.BUFFERED' });
    if (!result.ok) return;
    expect(result.bytes).toBe(bytes);
    expect(result.text).toBe('{"event_type":"_SMS.BUFFERED"}');
    expect(result.raw).toBe(`${BOM}{"event_type":"_SMS.BUFFERED"}\n`);
  });

  it('rejects empty bytes as empty_record', () => {
    expectFailure(decodeBytes(Buffer.alloc(0)), 'empty_record');
  });

  it('rejects invalid UTF-8 bytes as invalid_utf8', () => {
    expectFailure(decodeBytes(Buffer.from([0x7b, 0xff, 0x7d])), 'invalid_utf8');
  });

  it('does not apply base64 to the bytes', () => {
    // "e30=" is base64 for "{}": as bytes it is plain text, not JSON.
    expectFailure(decodeBytes(Buffer.from('e30=')), 'invalid_json');
  });

  it('gives the same outcome as decodeData on the base64 of the same bytes', () => {
    for (const text of ['{"event_type":"a"}', '[1]', '{"a":', '  ', 'null']) {
      const bytes = Buffer.from(text);
      const a = decodeBytes(bytes);
      const b = decodeData(bytes.toString('base64'));
      expect(a.ok).toBe(b.ok);
      if (a.ok && b.ok) expect(a.event).toEqual(b.event);
      if (!a.ok && !b.ok) expect(a.reason).toBe(b.reason);
    }
  });
});

describe('decode properties', () => {
  const eventObject = fc
    .tuple(
      fc.string({ minLength: 1, unit: 'grapheme' }),
      fc.dictionary(fc.string({ unit: 'grapheme' }), fc.jsonValue({ stringUnit: 'grapheme' })),
    )
    .map(([eventType, rest]) => ({ ...rest, event_type: eventType }));
  const padding = fc.constantFrom('', ' ', '\n', '\r\n', '\t', '  \n');

  it('round-trips any JSON object carrying event_type through base64, with or without BOM and whitespace', () => {
    fc.assert(
      fc.property(
        eventObject,
        fc.boolean(),
        padding,
        padding,
        fc.constantFrom(undefined, 2),
        (event, bom, before, after, indent) => {
          const json = JSON.stringify(event, null, indent);
          const result = decodeData(b64(`${bom ? BOM : ''}${before}${json}${after}`));
          expect(result.ok).toBe(true);
          if (!result.ok) return;
          expect(result.event).toEqual(JSON.parse(json));
          expect(result.event.event_type).toBe(event.event_type);
          expect(result.text).toBe(json);
        },
      ),
    );
  });

  it('never throws on arbitrary bytes and always returns an event or a reason', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (arr) => {
        const bytes = Buffer.from(arr);
        for (const result of [decodeBytes(bytes), decodeData(bytes.toString('base64'))]) {
          if (result.ok) expect(typeof result.event).toBe('object');
          else expect(REASONS).toContain(result.reason);
        }
      }),
    );
  });

  it('never throws on arbitrary data strings and accepts only strict base64', () => {
    const base64ish = fc.string({
      // "Ł" (U+0141) and "į" (U+012F) carry the low bytes of "A" and "/".
      unit: fc.constantFrom(...'AQZaqz09+/=-_ \n.é*Łį'.split('')),
      maxLength: 40,
    });
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), base64ish), (data) => {
        const result = decodeData(data);
        if (result.ok) expect(typeof result.event).toBe('object');
        else expect(REASONS).toContain(result.reason);
        if (!result.ok && result.reason === 'invalid_base64') return;
        expect(data).toMatch(STRICT_BASE64);
      }),
    );
  });

  it('rejects canonical base64 with any one digit replaced by a character outside the alphabet', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.nat(),
        fc.constantFrom('-', '_', '*', ' ', '\n', '.', 'é', 'Ł', 'į', '\u0100', '😀'),
        (arr, at, char) => {
          const data = Buffer.from(arr).toString('base64');
          const digits = data.replace(/=+$/, '').length;
          const i = at % digits;
          const result = decodeData(`${data.slice(0, i)}${char}${data.slice(i + 1)}`);
          expect(result.ok ? 'ok' : result.reason).toBe('invalid_base64');
        },
      ),
      { numRuns: 500 },
    );
  });

  it('accepts every canonical base64 string as base64', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (arr) => {
        const result = decodeData(Buffer.from(arr).toString('base64'));
        if (!result.ok) expect(result.reason).not.toBe('invalid_base64');
        expect(result.bytes.equals(Buffer.from(arr))).toBe(true);
      }),
    );
  });
});

describe('nesting depth', () => {
  /** `{"event_type":"x","v":` + `depth - 1` levels of alternating arrays and objects + closing. */
  function nested(depth: number): string {
    let open = '';
    let close = '';
    for (let level = 2; level <= depth; level++) {
      open += level % 2 === 0 ? '[' : '{"k":';
      close = (level % 2 === 0 ? ']' : '}') + close;
    }
    return `{"event_type":"x","v":${open}1${close}}`;
  }

  /** Depth of a parsed JSON value: scalars 0, each array or object one level. */
  function depthOf(value: unknown): number {
    if (value === null || typeof value !== 'object') return 0;
    const children = Array.isArray(value) ? value : Object.values(value);
    return 1 + children.reduce((m: number, c) => Math.max(m, depthOf(c)), 0);
  }

  it(`accepts ${MAX_JSON_DEPTH} levels and rejects one more as too_deeply_nested`, () => {
    expect(depthOf(JSON.parse(nested(MAX_JSON_DEPTH)))).toBe(MAX_JSON_DEPTH);
    expectEvent(decodeData(b64(nested(MAX_JSON_DEPTH))));
    expectFailure(decodeData(b64(nested(MAX_JSON_DEPTH + 1))), 'too_deeply_nested');
  });

  it.each([5_000, 100_000])('rejects %i levels with the reason, not a stack overflow', (depth) => {
    const result = decodeData(b64(nested(depth)));
    expectFailure(result, 'too_deeply_nested');
    if (!result.ok) expect(result.raw).toBe(nested(depth));
  });

  it('does not count brackets inside strings, escaped quotes and backslashes included', () => {
    const brackets = '[{'.repeat(200);
    for (const s of [brackets, `\\"${brackets}`, `\\\\${brackets}\\\\`, `x\\\\`]) {
      const text = `{"event_type":"x","a":"${s}","b":[{"c":"${s}"}]}`;
      expect(() => JSON.parse(text)).not.toThrow();
      expect(nestsDeeperThan(text, 3)).toBe(false);
      expectEvent(decodeData(b64(text)));
    }
  });

  it('agrees with the depth of the parsed value for any JSON value and limit', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 8, stringUnit: 'binary' }),
        fc.integer({ min: 0, max: 9 }),
        (value, max) => {
          const text = JSON.stringify(value);
          expect(nestsDeeperThan(text, max)).toBe(depthOf(value) > max);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('answers in linear time on megabytes of brackets, quotes and backslashes', () => {
    const texts = [
      '['.repeat(5_000_000),
      `{"a":"${'\\\\'.repeat(1_000_000)}${'[{'.repeat(1_000_000)}"}`,
      `{"a":[${'"\\"",'.repeat(1_000_000)}1]}`,
      `{"s":"${'['.repeat(70)}","q":${'"'.repeat(2_000_000)}`,
      `{"s":"${'['.repeat(70)}${'\\"'.repeat(1_000_000)}"}`,
    ];
    const start = performance.now();
    expect(texts.map((t) => nestsDeeperThan(t, MAX_JSON_DEPTH))).toEqual([true, false, false, false, false]);
    // Quadratic work on these inputs would take minutes.
    expect(performance.now() - start).toBeLessThan(2000);
  });
});
