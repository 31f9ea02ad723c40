import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import {
  DEFAULT_LIMITS,
  InputLimitError,
  type InputLimits,
  RATIO_FLOOR_BYTES,
} from '../../../src/cli/limits';
import { decompressed, fragments, lineParts, lines, readError } from '../../../src/cli/readInput';
import { rawEvents } from '../../helpers/runtime';

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

describe('decompressed, held to the caps', () => {
  const MiB = 1024 * 1024;
  const limits = (over: Partial<InputLimits>): InputLimits => ({ ...DEFAULT_LIMITS, ...over });

  /** Reads until done or failed: the chunks that came out before, and the error. */
  async function drain(it: AsyncIterable<Buffer>): Promise<{ bytes: number; error?: unknown }> {
    let bytes = 0;
    try {
      for await (const chunk of it) bytes += chunk.length;
    } catch (error) {
      return { bytes, error };
    }
    return { bytes };
  }

  it('stops a gzip bomb before handing any of it on, naming the cap and the option', async () => {
    // 256 MiB of `{},` in 260 KB: a thousand times. Before the caps it all came out (and became records).
    const bomb = gzipSync(Buffer.alloc(256 * MiB, '{},'), { level: 9 });
    const started = performance.now();
    const r = await drain(decompressed(chunked(bomb, 64 * 1024)));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(r.bytes).toBe(0);
    expect(r.error).toBeInstanceOf(InputLimitError);
    expect((r.error as Error).message).toMatch(
      /^gzip data inflating more than 250 times its size \(.*\), the cap that stops decompression bombs; --max-inflate-ratio raises it$/,
    );
  });

  it('lets through what compresses well but not past the cap: a small repetitive file, a file of 100×', async () => {
    // Under the floor, any ratio.
    const small = Buffer.alloc(RATIO_FLOOR_BYTES, '{"event_type":"_email.send"}\n');
    expect((await drain(decompressed(chunked(gzipSync(small), 4096)))).bytes).toBe(small.length);
    // The SES samples over and over (about 127 times): through at the default, stopped at 50.
    const samples = rawEvents('ses').map((e) => `${JSON.stringify(e)}\n`);
    const repeated = Buffer.from(samples.join('').repeat(2000));
    const gz = gzipSync(repeated);
    expect(repeated.length / gz.length).toBeGreaterThan(100);
    expect((await drain(decompressed(chunked(gz, 65536)))).bytes).toBe(repeated.length);
    const capped = await drain(decompressed(chunked(gz, 65536), undefined, limits({ maxInflateRatio: 50 })));
    expect((capped.error as Error).message).toMatch(/more than 50 times/);
  });

  it('holds an input to its size cap once decompressed, gzip or not', async () => {
    const data = Buffer.alloc(3 * MiB, 'x');
    for (const input of [data, gzipSync(data)]) {
      const r = await drain(
        decompressed(chunked(input, 65536), undefined, limits({ maxBytes: 2 * MiB, maxInflateRatio: 1e6 })),
      );
      expect(r.bytes).toBeLessThanOrEqual(2 * MiB);
      expect((r.error as Error).message).toMatch(
        /^more than 2 MiB( once decompressed)?, the cap on one input; --max-input-size raises it$/,
      );
    }
    const object = limits({ maxBytes: MiB, unit: 'raw object', maxBytesOption: '--max-object-size' });
    expect((await drain(decompressed(chunked(data, 65536), undefined, object))).error).toMatchObject({
      message: 'more than 1 MiB, the cap on one raw object; --max-object-size raises it',
    });
  });

  it('refuses a plain file known to be larger than the cap without reading it', async () => {
    let reads = 0;
    const source = (async function* () {
      for (let i = 0; i < 100; i++) {
        reads++;
        yield Buffer.alloc(65536, 'x');
      }
    })();
    const r = await drain(decompressed(source, undefined, limits({ maxBytes: MiB }), 100 * 65536));
    expect(r).toMatchObject({ bytes: 0, error: expect.any(InputLimitError) });
    expect(reads).toBe(1);
  });

  it('closes the source when it stops early', async () => {
    const source = Readable.from(Array.from({ length: 64 }, () => Buffer.alloc(65536, 'x')));
    const r = await drain(decompressed(source, undefined, limits({ maxBytes: MiB })));
    expect(r.error).toBeInstanceOf(InputLimitError);
    expect(source.destroyed).toBe(true);
    const gz = Readable.from([gzipSync(Buffer.alloc(64 * MiB, 'a'))]);
    expect((await drain(decompressed(gz))).error).toBeInstanceOf(InputLimitError);
    expect(gz.destroyed).toBe(true);
  });
});

describe('lineParts', () => {
  it('hands a line longer than the cap in parts, cut between characters, never holding it whole', async () => {
    const line = `{"a":"${'€'.repeat(5000)}"}`;
    const input = Buffer.from(`{"s":1}\r\n${line}\r\n{"t":2}`);
    for (const size of [1, 7, 1000]) {
      const parts = await collect(lineParts(chunked(input, size), 100));
      expect(parts[0]).toEqual({ bytes: Buffer.from('{"s":1}'), first: true, last: true });
      const long = parts.slice(1, -1);
      expect(long[0]?.first).toBe(true);
      expect(long.at(-1)?.last).toBe(true);
      expect(long.slice(1).every((p) => !p.first) && long.slice(0, -1).every((p) => !p.last)).toBe(true);
      for (const p of long) {
        expect(isUtf8(p.bytes)).toBe(true);
        expect(p.bytes.length).toBeLessThanOrEqual(100 + size + 3);
      }
      expect(Buffer.concat(long.map((p) => p.bytes)).toString()).toBe(line);
      expect(parts.at(-1)).toEqual({ bytes: Buffer.from('{"t":2}'), first: true, last: true });
    }
  });

  it('fails on a line longer than the cap with lines(), at its first bytes past the cap', async () => {
    let read = 0;
    const source = (async function* () {
      yield Buffer.from('{"a":1}\n');
      for (let i = 0; i < 1000; i++) {
        read++;
        yield Buffer.alloc(1024, 'x');
      }
    })();
    await expect(collect(lines(source, 4096))).rejects.toThrow(
      /^line 2: a line is longer than 4 KiB, the cap on one record .*--max-record-size raises it$/,
    );
    expect(read).toBeLessThan(10);
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
    const out = await collect(lines(chunked(input, 1024), 32 * 1024 * 1024));
    expect(out.map((b) => b.length)).toEqual([7, line.length, line.length]);
    expect(out[1]?.equals(line)).toBe(true);
  }, 20_000);
});

describe('fragments', () => {
  it('reads values concatenated on a line far longer than the record cap, as a Firehose object without newlines', async () => {
    const values = Array.from({ length: 2000 }, (_, i) => ({ event_type: 'x', i, s: 'é}{"'.repeat(i % 7) }));
    const input = Buffer.from(values.map((v) => JSON.stringify(v)).join(''));
    for (const size of [5, 4096]) {
      const out = await collect(fragments(chunked(input, size), 1024));
      expect(out.map((f) => JSON.parse(f.text))).toEqual(values);
      expect(out.map((f) => f.ordinal)).toEqual(values.map((_, i) => i + 1));
    }
  });

  it('fails on a long line that is not UTF-8: it would be one record, longer than the cap', async () => {
    const bad = Buffer.concat([Buffer.from('{"a":"'), Buffer.alloc(5000, 0xff), Buffer.from('"}')]);
    await expect(collect(fragments(chunked(bad, 100), 1024))).rejects.toThrow(
      /^line 1: a line that is not UTF-8 text is longer than 1 KiB/,
    );
  });

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
