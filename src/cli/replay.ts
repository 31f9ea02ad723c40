import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runBatch } from '../batch/run';
import { loadConfig, normalizePrefix } from '../config';
import { describeError } from '../errors';
import type { InputRecord } from '../pipeline';
import { createRuntime } from '../runtime';
import {
  archiveKeyPartition,
  asArchiveLine,
  batchRefFromArchive,
  inputOfArchiveLine,
} from '../sinks/archiveLayout';
import type { ArchiveZone, Sinks } from '../sinks/ports';
import { Checkpoint } from './Checkpoint';
import { CliError, type CliIO, cliLogger, EXIT, outputNotWritten } from './io';
import { createProgress } from './progress';
import { RunTally } from './RunTally';
import { type ObjectStore, S3ObjectStore, type StoredObjectInfo } from './S3ObjectStore';

export interface ReplayOptions {
  bucket: string;
  /** The archive prefix of the original run (`ARCHIVE_PREFIX`); `raw/` is looked for under it. */
  prefix?: string;
  /** First and last partition, inclusive: `YYYY-MM-DD` or `YYYY-MM-DDTHH` (UTC). */
  from?: string;
  to?: string;
  checkpoint?: string;
  restart?: boolean;
  /** False (`--no-alerts`): rebuild the archive without sending alerts. */
  alerts?: boolean;
  concurrency?: number;
  json?: boolean;
}

export interface ReplayDeps {
  /** The archive to read (default: S3 with the SDK's credentials). */
  store?: ObjectStore;
  /** Called after each object's output and checkpoint line are stored (tests interrupt here). */
  onObjectDone?: (key: string) => void;
}

/** A replay rewrites what the original run derived from the raw batches; the raw objects stay as they are. */
const ZONES = new Set<ArchiveZone>(['normalized', 'quarantine']);

const NO_ALERTS: Sinks['alerts'] = { publish: async () => ({ failed: [] }) };

/**
 * `pinpoint-stream replay`: reads the raw batches archived under `s3://bucket/prefix/raw/` and drives them
 * through the pipeline to the sinks the environment configures, as the original invocation did: same records
 * (id, bytes, arrival time, partition key), same batch identity (origin, stream, shard, id range, partition),
 * hence the same normalized and quarantine keys and the same alert ids. Objects finished are recorded in a
 * checkpoint, so an interrupted replay resumes, and a finished one re-run does nothing. Returns the exit code.
 */
export async function replayCommand(opts: ReplayOptions, io: CliIO, deps: ReplayDeps = {}): Promise<number> {
  const prefix = normalizePrefix(opts.prefix);
  const range = { from: partitionBound(opts.from, 'from'), to: partitionBound(opts.to, 'to') };
  if (range.from !== undefined && range.to !== undefined && range.from > range.to) {
    throw new CliError(EXIT.input, `--from ${opts.from} is after --to ${opts.to}`);
  }
  const config = loadConfig({ ...io.env, PWD: io.cwd });
  const runtime = await createRuntime(config, { logger: cliLogger(io.stderr) });
  const sinks: Sinks =
    opts.alerts === false ? { archive: runtime.sinks.archive, alerts: NO_ALERTS } : runtime.sinks;
  const context = { ...runtime, sinks };
  const checkpoint = await Checkpoint.open(
    resolve(io.cwd, opts.checkpoint ?? '.replay-checkpoint.json'),
    { bucket: opts.bucket, prefix },
    opts.restart === true,
  );
  const store = deps.store ?? new S3ObjectStore(config);
  const tally = new RunTally();
  const progress = createProgress(io.stderr, 'replay', 'objects');
  /** Replays one raw object: read, rebuild the batch, run, deliver, checkpoint. Returns its record count. */
  const replayObject = async (object: StoredObjectInfo): Promise<number> => {
    let body: Buffer;
    let metadata: Record<string, string>;
    try {
      ({ body, metadata } = await store.get(opts.bucket, object.key));
      if (body[0] === 0x1f && body[1] === 0x8b) body = gunzipSync(body);
    } catch (err) {
      throw new CliError(EXIT.input, `cannot read s3://${opts.bucket}/${object.key}: ${describeError(err)}`, {
        cause: err,
      });
    }
    const inputs = rawInputs(body, object.key);
    const ids = inputs.map((i) => i.id);
    const batch = batchRefFromArchive(object.key.slice(prefix.length), ids, metadata);
    if (batch === undefined) throw new CliError(EXIT.input, `${object.key} is not a raw archive key`);
    const result = await runBatch(context, {
      path: 'cli',
      inputs,
      batchRef: () => batch,
      zones: ZONES,
      config: runtime.config,
    });
    if (result.status === 'failed') throw outputNotWritten(object.key, result.error);
    await checkpoint.add(object.key);
    tally.add(object.key, result.processed);
    return result.processed.length;
  };

  let replayed = 0;
  let failure: unknown;
  let todo: StoredObjectInfo[] = [];
  let skipped = 0;
  try {
    let listing: StoredObjectInfo[];
    try {
      listing = await store.list(opts.bucket, `${prefix}raw/`);
    } catch (err) {
      throw new CliError(EXIT.input, `cannot list s3://${opts.bucket}/${prefix}raw/: ${describeError(err)}`, {
        cause: err,
      });
    }
    const selected = listing.filter((o) => o.key.endsWith('.jsonl.gz') && inRange(o.key, range));
    todo = selected.filter((o) => !checkpoint.has(o.key));
    skipped = selected.length - todo.length;

    progress.start(
      todo.reduce((n, o) => n + o.size, 0),
      todo.length,
    );
    let next = 0;
    const worker = async () => {
      while (failure === undefined && io.signal?.aborted !== true && next < todo.length) {
        const object = todo[next++] as StoredObjectInfo;
        try {
          const records = await replayObject(object);
          replayed++;
          progress.advance({ bytes: object.size, items: 1, records });
          deps.onObjectDone?.(object.key);
        } catch (err) {
          failure ??= err;
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(opts.concurrency ?? 4, Math.max(todo.length, 1)) }, worker),
    );
  } finally {
    progress.stop();
    store.close();
  }

  const report = tally.report();
  const left = todo.length - replayed;
  if (opts.json === true) {
    const { inputs: _perObject, ...totals } = report;
    await io.stdout.write(`${JSON.stringify({ objects: replayed, skipped, left, ...totals })}\n`);
  } else {
    await io.stdout.write(
      `${plural(replayed, 'object')} replayed, ${skipped} skipped (already in ${opts.checkpoint ?? '.replay-checkpoint.json'})` +
        `${left > 0 ? `, ${left} left` : ''}\n\n${tally.render('', { perInput: false })}` +
        (opts.alerts === false && report.alerts.length > 0
          ? '\nAlerts matched but not sent (--no-alerts).\n'
          : ''),
    );
  }
  if (failure !== undefined) throw failure;
  if (left > 0) {
    await io.stderr.write(
      `error: interrupted with ${plural(left, 'object')} left; run the same command again to resume\n`,
    );
    return EXIT.interrupted;
  }
  return EXIT.ok;
}

/** The records of a raw archive object, exactly as the original batch held them. */
function rawInputs(body: Buffer, key: string): InputRecord[] {
  const inputs: InputRecord[] = [];
  const lines = body.toString('utf8').split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] as string;
    if (line.trim() === '') continue;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      entry = undefined;
    }
    const archived = asArchiveLine(entry);
    if (archived === undefined) throw new CliError(EXIT.input, `${key}:${n + 1}: not a raw archive line`);
    inputs.push(inputOfArchiveLine(archived));
  }
  return inputs;
}

const BOUND = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2})(?::\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?Z?)?$/;

/**
 * `2025-11-20` → `2025-11-20T00` (from) or `2025-11-20T23` (to); `2025-11-20T13[:MM[:SS]][Z]` → that hour.
 * Partitions are UTC, and so are these.
 */
export function partitionBound(value: string | undefined, side: 'from' | 'to'): string | undefined {
  if (value === undefined) return undefined;
  const m = BOUND.exec(value.trim());
  const day = m?.[1];
  const hour = m?.[2] ?? (side === 'from' ? '00' : '23');
  if (m === null || day === undefined || Number(hour) > 23 || !isDay(day)) {
    throw new CliError(
      EXIT.input,
      `--${side} '${value}' is not a UTC date (YYYY-MM-DD) or date and hour (YYYY-MM-DDTHH)`,
    );
  }
  return `${day}T${hour}`;
}

function isDay(day: string): boolean {
  const t = Date.parse(`${day}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === day;
}

function inRange(key: string, range: { from?: string; to?: string }): boolean {
  const at = archiveKeyPartition(key);
  if (at === undefined) return false;
  return (range.from === undefined || at >= range.from) && (range.to === undefined || at <= range.to);
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
