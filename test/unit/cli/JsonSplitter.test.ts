import { Readable } from 'node:stream';
import { JSONParser } from '@streamparser/json';
import fc from 'fast-check';
import { type Fragment, JsonSplitter } from '../../../src/cli/JsonSplitter';
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
    const doc = JSON.stringify([{ a: 1 }, { b: { c: [2] } }], null, 2);
    const fs = split(`${doc}\n`);
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({ line: 1, multiline: true });
    expect(JSON.parse(fs[0]?.text as string)).toEqual([{ a: 1 }, { b: { c: [2] } }]);
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

  it('gives up on a value longer than the limit', () => {
    const fs = split('[\n1,\n2,\n3,\n4\n]', 6);
    expect(fs.length).toBeGreaterThan(1);
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
          expect(await ours(bytes, size)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
