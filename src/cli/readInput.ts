import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CliError, EXIT } from './io';
import { type Fragment, JsonSplitter } from './JsonSplitter';

/** A fragment of an input, or a line that is not UTF-8 text (kept as bytes: it is poison). */
export type InputFragment = Fragment & { bytes?: Buffer };

/** Opens a file, or stdin for `-`, as a stream of chunks. */
export function openSource(
  path: string,
  stdin: AsyncIterable<Buffer | string> | undefined,
): AsyncIterable<Buffer | string> {
  if (path !== '-') return createReadStream(path);
  if (stdin === undefined) throw new CliError(EXIT.input, 'no standard input to read from');
  return stdin;
}

/**
 * The bytes of an input, gunzipped when they start with the gzip magic number (1f 8b) — whatever the file
 * name says: S3 downloads keep `Content-Encoding: gzip` objects compressed under any name.
 *
 * @param onRead called with the size of every chunk read, before decompression (for progress)
 */
export async function* decompressed(
  source: AsyncIterable<Buffer | string>,
  onRead: (bytes: number) => void = () => {},
): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  while (headLength < 2) {
    const next = await it.next();
    if (next.done) break;
    const chunk = toBuffer(next.value);
    onRead(chunk.length);
    head.push(chunk);
    headLength += chunk.length;
  }
  const first = Buffer.concat(head);
  async function* all(): AsyncGenerator<Buffer> {
    if (first.length > 0) yield first;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      const chunk = toBuffer(next.value);
      onRead(chunk.length);
      yield chunk;
    }
  }
  if (first[0] !== 0x1f || first[1] !== 0x8b) {
    yield* all();
    return;
  }
  const gunzip = createGunzip();
  // pipeline destroys the gunzip stream with the source's error, so reading it rejects instead of hanging.
  pipeline(Readable.from(all()), gunzip, () => {});
  for await (const chunk of gunzip) yield chunk as Buffer;
}

/**
 * Lines of a byte stream, as bytes, without their `\n` or `\r\n`. A last line without `\n` counts.
 *
 * Linear in the input however long a line is: the pieces of a line are kept apart and joined once, when its
 * end is found. (A Firehose S3 object written without newlines is one line of up to 128 MiB; joining at every
 * chunk copied it over and over — 54 MB of concatenated events took minutes.)
 */
export async function* lines(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  for await (const chunk of chunks) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      const end = chunk.subarray(start, nl);
      yield stripCr(pending.length > 0 ? Buffer.concat([...pending, end]) : end);
      pending = [];
      start = nl + 1;
    }
    // Copy a remainder: it must not pin the whole chunk it was cut from.
    if (start < chunk.length) pending.push(start === 0 ? chunk : Buffer.from(chunk.subarray(start)));
  }
  if (pending.length > 0) yield stripCr(Buffer.concat(pending));
}

/**
 * The JSON values of an input, whatever its layout (see {@link JsonSplitter}). A line that is not valid
 * UTF-8 is one fragment of its own, with its bytes, so that the pipeline quarantines it as `invalid_utf8`.
 */
export async function* fragments(chunks: AsyncIterable<Buffer>): AsyncGenerator<InputFragment> {
  const splitter = new JsonSplitter();
  let lineNo = 0;
  for await (const bytes of lines(chunks)) {
    lineNo++;
    if (!isUtf8(bytes)) {
      yield* splitter.end();
      yield { text: '', line: lineNo, multiline: false, parsed: false, bytes: Buffer.from(bytes) };
      continue;
    }
    yield* splitter.push(bytes.toString('utf8'), lineNo);
  }
  yield* splitter.end();
}

function stripCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, line.length - 1) : line;
}

function toBuffer(chunk: Buffer | string): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
}

/** A read error in a few words: `ENOENT: no such file or directory`, `not a valid gzip file (…)`. */
export function readError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === 'string' && e.code.startsWith('Z_')) return `not a valid gzip file (${e.message})`;
  if (typeof e?.code === 'string' && e.message.startsWith(`${e.code}:`)) {
    return e.message.replace(/, (open|stat|read) '.*'$/, '');
  }
  return e instanceof Error ? e.message : String(err);
}
