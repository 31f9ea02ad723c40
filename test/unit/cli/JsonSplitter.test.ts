import { Readable } from 'node:stream';
import { JSONParser } from '@streamparser/json';
import fc from 'fast-check';
import { type Fragment, JsonSplitter } from '../../../src/cli/JsonSplitter';
import { InputLimitError } from '../../../src/cli/limits';
import { fragments } from '../../../src/cli/readInput';

function split(text: string, maxPendingChars?: number): Fragment[] {
  const s = new JsonSplitter(maxPendingChars);
  const out: Fragment[] = [];
  text.split('\n').forEach((line, i) => {
    out.push(...s.push(line, i + 1));
  });
  out.push(...s.end());
  return out;
}

const texts = (fs: Fragment[]) => fs.map((f) => f.text.trim());

/** What the CLI reads from bytes arriving in chunks of `size`: the values of {@link fragments}. */
async function ours(bytes: Buffer, size: number): Promise<unknown[]> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  const out: unknown[] = [];
  for await (const f of fragments(Readable.from(chunks))) out.push(f.parsed ? f.value : JSON.parse(f.text));
  return out;
}

/** What @streamparser/json finds in the same bytes, with `separator: ''` (values one after another). */
function library(bytes: Buffer, size: number): unknown[] {
  const out: unknown[] = [];
  const parser = new JSONParser({ separator: '', paths: ['$'], keepStack: false });
  parser.onValue = ({ value }) => {
    out.push(value);
  };
  for (let i = 0; i < bytes.length; i += size) parser.write(bytes.subarray(i, i + size));
  parser.end();
  return out;
}
const values = (fs: Fragment[]) => fs.map((f) => (f.parsed ? f.value : JSON.parse(f.text)));

describe('JsonSplitter', () => {
  it('returns one parsed value per line of JSON Lines, text untouched, skipping blank lines', () => {
    const fs = split('{"a":1}\n\n  \n{"b":[1,2]}\n');
    expect(fs.map((f) => [f.line, f.text, f.value, f.parsed])).toEqual([
      [1, '{"a":1}', { a: 1 }, true],
      [4, '{"b":[1,2]}', { b: [1, 2] }, true],
    ]);
  });

  it('splits objects concatenated without separators, as Firehose writes them to S3', () => {
    expect(texts(split('{"a":1}{"b":2} {"c":3}'))).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it('ignores braces and quotes inside strings', () => {
    const a = '{"s":"}{ \\" ]["}';
    const b = '{"t":"\\\\"}';
    expect(texts(split(`${a}${b}`))).toEqual([a, b]);
    expect(JSON.parse(a)).toEqual({ s: '}{ " ][' });
  });

  it('reads a pretty-printed document over many lines as one value', () => {
    const doc = JSON.stringify({ Records: [{ a: 1 }, { b: { c: [2] } }] }, null, 2);
    const fs = split(`${doc}\n`);
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({ line: 1, ordinal: 1, multiline: true });
    expect(JSON.parse(fs[0]?.text as string)).toEqual({ Records: [{ a: 1 }, { b: { c: [2] } }] });
  });

  it('reads the elements of a top-level array one by one, on one line or many', () => {
    const elements = [{ a: 1 }, { b: { c: [2, ']'] } }, 'x,y', 3, null, []];
    for (const doc of [JSON.stringify(elements), JSON.stringify(elements, null, 2)]) {
      const fs = split(`${doc}\n`);
      expect(fs.map((f) => [f.line, f.ordinal, f.element])).toEqual(elements.map((_, i) => [1, 1, i]));
      expect(values(fs)).toEqual(elements);
    }
    expect(split('[]\n[ ]\n')).toEqual([]);
  });

  it("numbers the values and arrays starting on one line, elements taking their array's number", () => {
    const fs = split('{"a":1}[1,2]{"b":2}\n[3]');
    expect(fs.map((f) => [f.line, f.ordinal, f.element, f.text])).toEqual([
      [1, 1, undefined, '{"a":1}'],
      [1, 2, 0, '1'],
      [1, 2, 1, '2'],
      [1, 3, undefined, '{"b":2}'],
      [2, 1, 0, '3'],
    ]);
  });

  it('keeps a broken array from swallowing what follows: its bad or missing elements are fragments that fail', () => {
    // A missing element, a trailing comma, an element cut by a line break in a string, an array never closed.
    expect(split('[1,,2]').map((f) => [f.element, f.text])).toEqual([
      [0, '1'],
      [1, ''],
      [2, '2'],
    ]);
    expect(split('[1,]').map((f) => [f.element, f.text])).toEqual([
      [0, '1'],
      [1, ''],
    ]);
    expect(split('[{"a":1},{"b":"cut\n{"ok":1}').map((f) => [f.element, f.text])).toEqual([
      [0, '{"a":1}'],
      [1, '{"b":"cut'],
      [undefined, '{"ok":1}'],
    ]);
    expect(split('[{"a":1},\n{"b":').map((f) => [f.element, f.text])).toEqual([
      [0, '{"a":1}'],
      [1, '{"b":'],
    ]);
    expect(split('[{"a":1},').map((f) => [f.element, f.text])).toEqual([
      [0, '{"a":1}'],
      [1, ''],
    ]);
  });

  it('keeps a truncated line from swallowing the lines after it', () => {
    const fs = split('{"event_type":"_email.send","event_timestamp":17636\n{"ok":1}\n{"ok":2}\n');
    expect(texts(fs)).toEqual([
      '{"event_type":"_email.send","event_timestamp":17636',
      '{"ok":1}',
      '{"ok":2}',
    ]);
    expect(fs.map((f) => f.line)).toEqual([1, 2, 3]);
  });

  it('ends a value at a line break inside a string: JSON strings cannot hold one', () => {
    expect(texts(split('{"a":"unterminated\n  {"ok":1}'))).toEqual(['{"a":"unterminated', '{"ok":1}']);
  });

  it('returns a value still open at the end as it is', () => {
    expect(texts(split('{"a":[1,2'))).toEqual(['{"a":[1,2']);
  });

  it('fails on a value, an element or garbage longer than the record cap, naming the cap and the line', () => {
    expect(() => split('{\n"a":\n1234\n}', 12)).toThrow(InputLimitError);
    expect(() => split('\n{"a":"0123456789"}{"b":1}', 12)).toThrow(
      /^line 2: a JSON value is longer than 12 bytes, the cap on one record .*--max-record-size raises it$/,
    );
    expect(() => split('[1,\n"0123456789abc"]', 12)).toThrow(
      /^line 2: element 1 of the JSON array starting on line 1 is longer than 12 bytes/,
    );
    // Bytes, not characters: 8 characters, 14 bytes. (A whole line comes at most as long as the cap: readInput.)
    expect(() => split('{\n"€€€"}', 12)).toThrow(InputLimitError);
    expect(split('{\n"€€"}', 12).map((f) => f.text)).toEqual(['{\n"€€"}']);
    // Any number of elements, each under the cap.
    expect(values(split(`[${'1,'.repeat(1000)}1]`, 12))).toHaveLength(1001);
  });

  it('reads a line fed in parts as it reads it whole, whatever the cuts', () => {
    const objects = fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { minLength: 1, maxLength: 6 });
    const value = fc.oneof(
      objects.map((o) => o as unknown),
      objects.map((o) => [o] as unknown),
    );
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 40 }),
        (input, size) => {
          const line = input.map((v) => JSON.stringify(v)).join('');
          const whole = split(line);
          const s = new JsonSplitter();
          const parts: Fragment[] = [];
          for (let i = 0; i < line.length; i += size) {
            parts.push(...s.push(line.slice(i, i + size), 1, i === 0, i + size >= line.length));
          }
          parts.push(...s.end());
          // The fast path parses a whole line of one object; in parts it is scanned: the same value either way.
          expect(values(parts)).toEqual(values(whole));
          expect(parts.map((f) => [f.ordinal, f.element])).toEqual(whole.map((f) => [f.ordinal, f.element]));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('returns scalars and garbage up to the end of their line', () => {
    expect(texts(split('42\nnull\nnot json {"a":1}\n{"a":1} trailing'))).toEqual([
      '42',
      'null',
      'not json {"a":1}',
      '{"a":1}',
      'trailing',
    ]);
  });

  it('skips a byte order mark and carriage returns', () => {
    const fs = split('\uFEFF{"a":1}\r\n{"b":2}{"c":3}\r');
    expect(values(fs)).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
  });

  it('finds the same objects in any layout: lines, concatenated, or pretty-printed', () => {
    const objects = fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(objects, fc.constantFrom('\n', '', ' ', '\r\n', '\n\n'), (input, sep) => {
        // What JSON itself keeps of the values (-0 comes back as 0).
        const expected = JSON.parse(JSON.stringify(input));
        const compact = input.map((v) => JSON.stringify(v)).join(sep);
        expect(values(split(compact))).toEqual(expected);
        const pretty = input.map((v) => JSON.stringify(v, null, 2)).join('\n');
        expect(values(split(pretty))).toEqual(expected);
      }),
    );
  });

  it('reads the same values as @streamparser/json from JSON Lines and concatenated JSON, in any chunking', async () => {
    // Kept instead of the library: see the figures in JsonSplitter.ts. This holds the two to the same result.
    const text = fc.string({ unit: fc.constantFrom('grapheme', 'binary', 'grapheme-ascii') });
    const value = fc.oneof(
      fc.dictionary(text, fc.jsonValue()),
      fc.array(fc.jsonValue()),
      fc.dictionary(fc.constantFrom('}{', '"', '\\', '[', ']', '{"a":1}'), text),
    );
    const layout = fc.constantFrom('\n', '', ' ', '\r\n', '\n\n', '\t', 'pretty', 'pretty-concatenated');
    await fc.assert(
      fc.asyncProperty(
        fc.array(value, { minLength: 1, maxLength: 10 }),
        layout,
        fc.integer({ min: 1, max: 64 }),
        async (input, sep, size) => {
          const body =
            sep === 'pretty' || sep === 'pretty-concatenated'
              ? input.map((v) => JSON.stringify(v, null, 2)).join(sep === 'pretty' ? '\n' : '')
              : input.map((v) => JSON.stringify(v)).join(sep);
          const bytes = Buffer.from(body, 'utf8');
          const expected = library(bytes, size);
          expect(expected).toEqual(JSON.parse(JSON.stringify(input)));
          // The elements of a top-level array come one by one: what the CLI makes records of.
          expect(await ours(bytes, size)).toEqual(expected.flatMap((v) => (Array.isArray(v) ? v : [v])));
        },
      ),
      { numRuns: 300 },
    );
  });
});
