import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { arrivalOf, type FixtureRecord, toFirehoseEvent, toKinesisEvent } from '../fixtures/wrap';
import { CliError, type CliIO, clip, EXIT } from './io';
import { decompressed, fragments, openSource, readError } from './readInput';

export interface FixturesOptions {
  /** Output folder, default `events`. */
  out?: string;
  /** One pair named after this for all inputs; default one pair per input, named after the file. */
  name?: string;
  shardId?: string;
  /** The files written as one JSON object on stdout ({@link FixturesReport}) instead of their names. */
  json?: boolean;
}

/** `fixtures --json` (documented in docs/cli.md; add fields, never rename them). */
export interface FixturesReport {
  /** One pair per name, in the order written; paths relative to the working directory. */
  written: Array<{ name: string; events: number; kinesis: string; firehose: string }>;
}

/**
 * `pinpoint-stream fixtures <raw events…>`: wraps raw service events into a Kinesis event-source-mapping event
 * and a Firehose transformation event (src/fixtures/wrap.ts, as `npm run fixtures` does for events/raw), for
 * `sls invoke local -p` and tests. Each event keeps its bytes (a line of JSON Lines as it is; array elements
 * minified) and appears to arrive just after it happened. Prints the files written. Returns the exit code.
 */
export async function fixturesCommand(
  files: readonly string[],
  opts: FixturesOptions,
  io: CliIO,
): Promise<number> {
  if (opts.name !== undefined && !/^[A-Za-z0-9._-]+$/.test(opts.name)) {
    throw new CliError(EXIT.input, `--name '${clip(opts.name)}': use letters, digits, '.', '_' and '-'`);
  }
  const groups: Array<{ name: string; records: FixtureRecord[] }> = [];
  for (const file of files) {
    const records = await readEvents(file, io);
    if (opts.name !== undefined) {
      if (groups.length === 0) groups.push({ name: opts.name, records: [] });
      groups[0]?.records.push(...records);
    } else {
      groups.push({ name: nameOf(file), records });
    }
  }
  const names = groups.map((g) => g.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) {
    throw new CliError(
      EXIT.input,
      `two inputs would both write '${clip(duplicate)}'; pass --name to combine them`,
    );
  }
  const outDir = resolve(io.cwd, opts.out ?? 'events');
  await mkdir(outDir, { recursive: true });
  const report: FixturesReport = { written: [] };
  for (const { name, records } of groups) {
    const kinesis = join(outDir, `kinesis-${name}.json`);
    const firehose = join(outDir, `firehose-${name}.json`);
    await writeFile(
      kinesis,
      json(toKinesisEvent(records, { shardId: opts.shardId ?? 'shardId-000000000000' })),
    );
    await writeFile(firehose, json(toFirehoseEvent(records)));
    const written = {
      name,
      events: records.length,
      kinesis: relative(io.cwd, kinesis),
      firehose: relative(io.cwd, firehose),
    };
    report.written.push(written);
    if (opts.json !== true) await io.stdout.write(`${written.kinesis}\n${written.firehose}\n`);
  }
  if (opts.json === true) await io.stdout.write(`${JSON.stringify(report)}\n`);
  return EXIT.ok;
}

/** The events of one file: a JSON object, a JSON array of objects, or JSON Lines (gzip or not). */
async function readEvents(file: string, io: CliIO): Promise<FixtureRecord[]> {
  const records: FixtureRecord[] = [];
  const add = (event: unknown, text: string, where: string) => {
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      throw new CliError(EXIT.input, `${where}: not a JSON object`);
    }
    const e = event as Record<string, unknown>;
    const app = (e.application as { app_id?: unknown } | undefined)?.app_id;
    records.push({
      data: Buffer.from(text, 'utf8'),
      arrivalMs: arrivalOf(e),
      partitionKey: String(app ?? e.eventType ?? e.event_type ?? 'pk'),
    });
  };
  try {
    const path = file === '-' ? '-' : resolve(io.cwd, file);
    // The caps of `process`, at their defaults: a decompression bomb or a giant line fails here too.
    for await (const f of fragments(decompressed(openSource(path, io.stdin)))) {
      const where = `${clip(file)}:${f.line}${f.element === undefined ? '' : `[${f.element}]`}`;
      if (f.bytes !== undefined) throw new CliError(EXIT.input, `${where}: not UTF-8 text`);
      let value: unknown = f.value;
      if (!f.parsed) {
        try {
          value = JSON.parse(f.text);
        } catch {
          throw new CliError(EXIT.input, `${where}: not valid JSON`);
        }
      }
      // An element of a top-level array is minified, as is a document over several lines.
      if (f.element !== undefined || f.multiline) add(value, JSON.stringify(value), where);
      else add(value, f.text.trim(), where);
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(EXIT.input, `cannot read '${clip(file)}': ${readError(err)}`, { cause: err });
  }
  if (records.length === 0) throw new CliError(EXIT.input, `${clip(file)}: no events`);
  return records;
}

function nameOf(file: string): string {
  const base = file === '-' ? 'stdin' : basename(file).replace(/(\.(json|jsonl|ndjson|txt))?(\.gz)?$/i, '');
  return base.replace(/[^A-Za-z0-9._-]/g, '_') || 'events';
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
