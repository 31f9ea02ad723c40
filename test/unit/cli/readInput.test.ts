import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { decompressed, fragments, lines, readError } from '../../../src/cli/readInput';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** The bytes in chunks of `size`, so that every boundary case is crossed. */
function chunked(bytes: Buffer, size: number): AsyncIterable<Buffer> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks);
}

const TEXT = '{"a":1}\r\n{"b":"é"}\n\nlast';

describe('decompressed', () => {
  it('passes plain bytes through', async () => {
    const out = Buffer.concat(await collect(decompressed(chunked(Buffer.from(TEXT), 1))));
    expect(out.toString()).toBe(TEXT);
  });

  it('gunzips bytes that start with the gzip magic number, whatever their chunking', async () => {
    for (const size of [1, 2, 3, 1000]) {
      const out = Buffer.concat(await collect(decompressed(chunked(gzipSync(TEXT), size))));
      expect(out.toString()).toBe(TEXT);
    }
  });

  it('reports how many bytes it read, before decompression', async () => {
    const gz = gzipSync(TEXT);
    let read = 0;
    await collect(decompressed(chunked(gz, 7), (n) => (read += n)));
    expect(read).toBe(gz.length);
  });

  it('fails on a truncated gzip stream instead of hanging', async () => {
    const gz = gzipSync(TEXT.repeat(100));
    await expect(collect(decompressed(chunked(gz.subarray(0, gz.length - 20), 16)))).rejects.toMatchObject({
      code: expect.stringMatching(/^Z_/),
    });
  });

  it('reads an empty input as no bytes', async () => {
    expect(await collect(decompressed(Readable.from([])))).toEqual([]);
  });
});

describe('lines', () => {
  it('splits on \\n, drops \\r before it, and keeps a last line without one', async () => {
    const out = (await collect(lines(chunked(Buffer.from(TEXT), 2)))).map((b) => b.toString());
    expect(out).toEqual(['{"a":1}', '{"b":"é"}', '', 'last']);
  });

  it('joins a line of many megabytes cut into small chunks once, not at every chunk', async () => {
    // 16 MiB in 1 KiB chunks: joining at every chunk would copy ~128 GiB, far past the time limit.
    const line = Buffer.alloc(16 * 1024 * 1024, 0x61);
    const input = Buffer.concat([Buffer.from('{"a":1}\r\n'), line, Buffer.from('\r\n'), line]);
    const out = await collect(lines(chunked(input, 1024)));
    expect(out.map((b) => b.length)).toEqual([7, line.length, line.length]);
    expect(out[1]?.equals(line)).toBe(true);
  }, 20_000);
});

describe('fragments', () => {
  it('keeps a line that is not UTF-8 as bytes, to be quarantined as such', async () => {
    const bad = Buffer.from([0x7b, 0x22, 0x65, 0xff, 0xfe, 0x22, 0x7d]);
    const input = Buffer.concat([Buffer.from('{"a":1}\n'), bad, Buffer.from('\n{"b":2}')]);
    const out = await collect(fragments(chunked(input, 3)));
    expect(out.map((f) => [f.line, f.bytes ?? f.text])).toEqual([
      [1, '{"a":1}'],
      [2, bad],
      [3, '{"b":2}'],
    ]);
  });
});

describe('readError', () => {
  it('says what went wrong in a few words', () => {
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open '/x/y'"), {
      code: 'ENOENT',
    });
    expect(readError(enoent)).toBe('ENOENT: no such file or directory');
    const zlib = Object.assign(new Error('unexpected end of file'), { code: 'Z_BUF_ERROR' });
    expect(readError(zlib)).toBe('not a valid gzip file (unexpected end of file)');
  });
});
