import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { pipeline, Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CliError, EXIT } from './io';
import { type Fragment, JsonSplitter } from './JsonSplitter';
import {
  DEFAULT_LIMITS,
  DEFAULT_MAX_RECORD_BYTES,
  formatSize,
  InputLimitError,
  type InputLimits,
  RATIO_FLOOR_BYTES,
  recordTooLarge,
} from './limits';

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
 * Held to the caps of `limits`, as the bytes come: at most `maxBytes` once decompressed (a file known to be
 * larger fails before anything is read), and for gzip at most `maxInflateRatio` times the compressed bytes
 * gunzip has consumed. The first {@link RATIO_FLOOR_BYTES} are held back until the ratio can be judged, so a
 * decompression bomb fails before any of it is processed. Counted in a Transform after Node's gunzip stream
 * (zlib's `maxOutputLength` bounds one call only, not a stream).
 *
 * @param onRead called with the size of every chunk read, before decompression (for progress)
 * @param knownSize the input's size when known (a file's), to refuse one too large at once
 * @throws InputLimitError past a cap
 */
export async function* decompressed(
  source: AsyncIterable<Buffer | string>,
  onRead: (bytes: number) => void = () => {},
  limits: InputLimits = DEFAULT_LIMITS,
  knownSize?: number,
): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  try {
    while (headLength < 2) {
      const next = await it.next();
      if (next.done) break;
      const chunk = toBuffer(next.value);
      onRead(chunk.length);
      head.push(chunk);
      headLength += chunk.length;
    }
  } catch (err) {
    await it.return?.();
    throw err;
  }
  const first = Buffer.concat(head);
  async function* all(): AsyncGenerator<Buffer> {
    try {
      if (first.length > 0) yield first;
      for (;;) {
        const next = await it.next();
        if (next.done) return;
        const chunk = toBuffer(next.value);
        onRead(chunk.length);
        yield chunk;
      }
    } finally {
      // Stopped early (a cap, an error further on): the source is closed, not left open.
      await it.return?.();
    }
  }
  if (first[0] !== 0x1f || first[1] !== 0x8b) {
    if (knownSize !== undefined && knownSize > limits.maxBytes) throw tooLarge(limits, false);
    let total = 0;
    for await (const chunk of all()) {
      total += chunk.length;
      if (total > limits.maxBytes) throw tooLarge(limits, false);
      yield chunk;
    }
    return;
  }
  const gunzip = createGunzip();
  let inflated = 0;
  /** What came out of gunzip before the first {@link RATIO_FLOOR_BYTES}: held back until the ratio is known. */
  let held: Buffer[] | undefined = [];
  const countOut = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      inflated += chunk.length;
      if (inflated > limits.maxBytes) return callback(tooLarge(limits, true));
      // The compressed bytes gunzip has consumed (zlib's bytesWritten), not those handed to it: a whole small
      // file arrives in one chunk, and would allow 250 times its size at once.
      const compressed = gunzip.bytesWritten;
      if (inflated > RATIO_FLOOR_BYTES && inflated > limits.maxInflateRatio * compressed) {
        return callback(
          new InputLimitError(
            `gzip data inflating more than ${limits.maxInflateRatio} times its size (${formatSize(inflated)} ` +
              `from the first ${formatSize(compressed)}: ${Math.floor(inflated / Math.max(compressed, 1)).toLocaleString('en-US')} ` +
              'times), the cap that stops decompression bombs; --max-inflate-ratio raises it',
          ),
        );
      }
      if (held !== undefined) {
        // Nothing goes downstream before the ratio can be judged: a bomb fails before a record is processed.
        held.push(chunk);
        if (inflated <= RATIO_FLOOR_BYTES) return callback();
        for (const c of held) this.push(c);
        held = undefined;
        return callback();
      }
      callback(null, chunk);
    },
    flush(callback) {
      for (const c of held ?? []) this.push(c);
      held = undefined;
      callback();
    },
  });
  // pipeline destroys every stream with the first error (a source's, gunzip's, a cap's), so reading the last
  // one rejects with it instead of hanging, and leaving the loop early destroys them all.
  pipeline(Readable.from(all()), gunzip, countOut, () => {});
  for await (const chunk of countOut) yield chunk as Buffer;
}

function tooLarge(limits: InputLimits, gzip: boolean): InputLimitError {
  return new InputLimitError(
    `more than ${formatSize(limits.maxBytes)}${gzip ? ' once decompressed' : ''}, the cap on one ` +
      `${limits.unit}; ${limits.maxBytesOption} raises it`,
  );
}

/** A piece of a line: the whole line (`first` and `last`), or a part of one too long to be held whole. */
export interface LinePart {
  bytes: Buffer;
  first: boolean;
  last: boolean;
}

/**
 * Lines of a byte stream, as bytes, without their `\n` or `\r\n`. A last line without `\n` counts.
 *
 * A line of at most `maxLineBytes` comes whole (`first` and `last`). A longer one comes in parts, as the bytes
 * arrive, never held whole: the first once `maxLineBytes` are pending, then one per chunk read, the last at
 * its end. Parts are cut between UTF-8 characters (a character cut by a chunk waits for the next one), and a
 * `\r` at the end of a part waits too, to be dropped if `\n` follows.
 *
 * Linear in the input however long a line is: the pieces of a line are kept apart and joined once, when its
 * end is found. (A Firehose S3 object written without newlines is one line of up to 128 MiB; joining at every
 * chunk copied it over and over — 54 MB of concatenated events took minutes.)
 */
export async function* lineParts(
  chunks: AsyncIterable<Buffer>,
  maxLineBytes: number = DEFAULT_MAX_RECORD_BYTES,
): AsyncGenerator<LinePart> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  /** The current line is past the cap: parts have gone out, `pending` holds at most a few held-back bytes. */
  let long = false;
  for await (const chunk of chunks) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      const end = chunk.subarray(start, nl);
      const bytes = pending.length > 0 ? Buffer.concat([...pending, end]) : end;
      if (long) yield { bytes: stripCr(bytes), first: false, last: true };
      else if (bytes.length > maxLineBytes) {
        // Longer than the cap, though all here: a part, and an empty last part.
        yield { bytes: stripCr(bytes), first: true, last: false };
        yield { bytes: Buffer.alloc(0), first: false, last: true };
      } else yield { bytes: stripCr(bytes), first: true, last: true };
      pending = [];
      pendingBytes = 0;
      long = false;
      start = nl + 1;
    }
    if (start >= chunk.length) continue;
    // Copy a remainder: it must not pin the whole chunk it was cut from.
    pending.push(start === 0 ? chunk : Buffer.from(chunk.subarray(start)));
    pendingBytes += chunk.length - start;
    if (long || pendingBytes > maxLineBytes) {
      const bytes = Buffer.concat(pending);
      const cut = partEnd(bytes);
      yield { bytes: bytes.subarray(0, cut), first: !long, last: false };
      pending = cut < bytes.length ? [Buffer.from(bytes.subarray(cut))] : [];
      pendingBytes = bytes.length - cut;
      long = true;
    }
  }
  if (pending.length > 0 || long) {
    const bytes = stripCr(Buffer.concat(pending));
    if (long) yield { bytes, first: false, last: true };
    else if (bytes.length > maxLineBytes) {
      yield { bytes, first: true, last: false };
      yield { bytes: Buffer.alloc(0), first: false, last: true };
    } else yield { bytes, first: true, last: true };
  }
}

/**
 * Where a part of a long line may end: before a `\r` at its end (it may be the start of `\r\n`) and before a
 * UTF-8 character its last bytes only begin.
 */
function partEnd(bytes: Buffer): number {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  // The last lead byte among the last 4, and whether its character is complete.
  for (let i = end - 1; i >= 0 && i >= end - 4; i--) {
    const b = bytes[i] as number;
    if ((b & 0xc0) === 0x80) continue;
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return i + length > end ? i : end;
  }
  return end;
}

/**
 * Lines of a byte stream, as bytes, without their `\n` or `\r\n`: each line whole, at most `maxLineBytes`.
 * @throws InputLimitError on a longer line, as soon as its first `maxLineBytes` are read
 */
export async function* lines(
  chunks: AsyncIterable<Buffer>,
  maxLineBytes: number = DEFAULT_MAX_RECORD_BYTES,
): AsyncGenerator<Buffer> {
  let lineNo = 0;
  for await (const part of lineParts(chunks, maxLineBytes)) {
    if (part.first) lineNo++;
    if (!part.last || !part.first) throw recordTooLarge(lineNo, maxLineBytes, 'a line is');
    yield part.bytes;
  }
}

/**
 * The JSON values of an input, whatever its layout (see {@link JsonSplitter}). A line that is not valid
 * UTF-8 is one fragment of its own, with its bytes, so that the pipeline quarantines it as `invalid_utf8`.
 *
 * @param maxRecordBytes the largest record (value, array element, line that is not UTF-8)
 * @throws InputLimitError on a record longer than `maxRecordBytes`
 */
export async function* fragments(
  chunks: AsyncIterable<Buffer>,
  maxRecordBytes: number = DEFAULT_MAX_RECORD_BYTES,
): AsyncGenerator<InputFragment> {
  const splitter = new JsonSplitter(maxRecordBytes);
  let lineNo = 0;
  for await (const part of lineParts(chunks, maxRecordBytes)) {
    if (part.first) lineNo++;
    if (!isUtf8(part.bytes)) {
      // Not text: the line is one record of its bytes, which a part of a line is too long to be.
      if (!part.last || !part.first)
        throw recordTooLarge(lineNo, maxRecordBytes, 'a line that is not UTF-8 text is');
      yield* splitter.end();
      yield {
        text: '',
        line: lineNo,
        ordinal: 1,
        multiline: false,
        parsed: false,
        bytes: Buffer.from(part.bytes),
      };
      continue;
    }
    yield* splitter.push(part.bytes.toString('utf8'), lineNo, part.first, part.last);
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
