import { appendFile, readFile } from 'node:fs/promises';
import { writeAtomically } from '../sinks/local/writeAtomically';
import { CliError, clip, EXIT } from './io';

interface Header {
  checkpoint: 1;
  bucket: string;
  prefix: string;
}

/**
 * The set of archive objects a replay has finished, in a file, so that a re-run skips them.
 *
 * JSON Lines: a header naming the bucket and prefix, then one `{"done": key}` line per object. Nothing is
 * written before the first object is finished: then the file is written whole (temporary file renamed into
 * place, which also drops a line torn by a crash), and every later object appends its line (O_APPEND, one
 * short write), which keeps the cost per object constant however long the replay. So a replay that fails
 * before it has replayed anything (no region, no credentials, a bucket that cannot be listed) leaves no
 * checkpoint behind, or the previous one as it was, and does not block a replay of another bucket. A line
 * torn by a crash fails to parse and is ignored, so that object is replayed again — harmless, its output keys
 * are deterministic.
 */
export class Checkpoint {
  private chain: Promise<void> = Promise.resolve();
  private started = false;

  private constructor(
    readonly path: string,
    private readonly header: Header,
    private readonly done: Set<string>,
  ) {}

  /**
   * Opens (or starts, with `restart`) the checkpoint of a replay of `s3://bucket/prefix`. Reads only: the file
   * is written when the first object is finished ({@link add}).
   * @throws CliError when the file belongs to another bucket or prefix, or is not a checkpoint
   */
  static async open(
    path: string,
    scope: { bucket: string; prefix: string },
    restart: boolean,
  ): Promise<Checkpoint> {
    const done = new Set<string>();
    if (!restart) {
      let text: string | undefined;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw new CliError(EXIT.input, `cannot read checkpoint '${clip(path)}': ${(err as Error).message}`);
        }
      }
      if (text !== undefined && text.trim() !== '') {
        const [first = '', ...rest] = text.split('\n');
        const header = parse(first) as Partial<Header> | undefined;
        if (header?.checkpoint !== 1) {
          throw new CliError(
            EXIT.input,
            `'${clip(path)}' is not a replay checkpoint; pass --restart or another --checkpoint`,
          );
        }
        if (header.bucket !== scope.bucket || header.prefix !== scope.prefix) {
          throw new CliError(
            EXIT.input,
            `checkpoint '${clip(path)}' belongs to s3://${clip(String(header.bucket))}/${clip(String(header.prefix))}; pass --restart or another --checkpoint`,
          );
        }
        for (const line of rest) {
          const entry = parse(line) as { done?: unknown } | undefined;
          if (typeof entry?.done === 'string') done.add(entry.done);
        }
      }
    }
    return new Checkpoint(path, { checkpoint: 1, bucket: scope.bucket, prefix: scope.prefix }, done);
  }

  has(key: string): boolean {
    return this.done.has(key);
  }

  get size(): number {
    return this.done.size;
  }

  /** Records a finished object; resolves once the line is written. Calls are written in order. */
  add(key: string): Promise<void> {
    this.done.add(key);
    let op: () => Promise<void>;
    if (this.started) {
      const line = `${JSON.stringify({ done: key })}\n`;
      op = () => appendFile(this.path, line);
    } else {
      // The first object done: the whole file, with what was done before (this key included).
      this.started = true;
      const body = [this.header, ...[...this.done].map((k) => ({ done: k }))]
        .map((l) => `${JSON.stringify(l)}\n`)
        .join('');
      // A temporary file of an unpredictable name, created exclusively, renamed into place: a symlink planted
      // beside the checkpoint cannot redirect the write.
      op = () => writeAtomically(this.path, body);
    }
    const write = this.chain.then(op);
    this.chain = write.catch(() => undefined);
    return write;
  }
}

function parse(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
