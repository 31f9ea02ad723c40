import { resolve } from 'node:path';
import { runBatch } from '../batch/run';
import { loadConfig, normalizePrefix } from '../config';
import { describeError } from '../errors';
import type { InputRecord } from '../pipeline';
import { createRuntime } from '../runtime';
import type { NormalizedRecord } from '../schema';
import {
  archiveKeyPartition,
  asArchiveLine,
  batchRefFromArchive,
  inputOfArchiveLine,
} from '../sinks/archiveLayout';
import type { ArchiveZone, Sinks } from '../sinks/ports';
import { Checkpoint } from './Checkpoint';
import { CliError, type CliIO, cliLogger, clip, EXIT, outputNotWritten } from './io';
import {
  DEFAULT_MAX_INFLATE_RATIO,
  DEFAULT_MAX_OBJECT_BYTES,
  DEFAULT_MAX_OBJECT_RECORDS,
  DEFAULT_MAX_RECORD_BYTES,
  formatSize,
  InputLimitError,
  type InputLimits,
} from './limits';
import { createProgress } from './progress';
import { RunTally } from './RunTally';
import {
  type ClosedRateWindows,
  deliverRateWindows,
  RateWindows,
  rateWindowsBatch,
  rateWindowsJson,
  renderRateWindows,
} from './rateWindows';
import { decompressed, lines } from './readInput';
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
  /**
   * `--window`, in seconds: count the rate rules over tumbling windows of this length, print the rates and rate
   * alerts, write the rollups to the archive sink.
   */
  window?: number;
  /** `--send-rate-alerts`: publish the windows' rate alerts too (by default they are only printed). */
  sendRateAlerts?: boolean;
  /** `--max-object-size`: bytes of one raw object, compressed and decompressed (default {@link DEFAULT_MAX_OBJECT_BYTES}). */
  maxObjectSize?: number;
  /** `--max-record-size`: bytes of one line of a raw object (default {@link DEFAULT_MAX_RECORD_BYTES}). */
  maxRecordSize?: number;
  /** `--max-object-records`: records (lines) of one raw object (default {@link DEFAULT_MAX_OBJECT_RECORDS}). */
  maxObjectRecords?: number;
  /** `--max-inflate-ratio`: how many times its size a raw object may inflate to (default {@link DEFAULT_MAX_INFLATE_RATIO}). */
  maxInflateRatio?: number;
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
    throw new CliError(
      EXIT.input,
      `--from ${clip(String(opts.from))} is after --to ${clip(String(opts.to))}`,
    );
  }
  if (opts.sendRateAlerts === true && opts.window === undefined) {
    throw new CliError(EXIT.input, '--send-rate-alerts needs --window: rate alerts come from windows');
  }
  if (opts.sendRateAlerts === true && opts.alerts === false) {
    throw new CliError(EXIT.input, '--send-rate-alerts and --no-alerts contradict each other');
  }
  const config = loadConfig({ ...io.env, PWD: io.cwd });
  // A replay overwrites normalized objects: never with hashes of another key than the ones it replaces.
  const runtime = await createRuntime(config, { logger: cliLogger(io.stderr), refuseOtherPiiKey: true });
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
  const windows = opts.window === undefined ? undefined : new RateWindows(runtime.rateRules, opts.window);
  /** The objects whose records are in the windows: delivered in this run. */
  const counted: string[] = [];
  const progress = createProgress(io.stderr, 'replay', 'objects');
  const limits: InputLimits = {
    maxBytes: opts.maxObjectSize ?? DEFAULT_MAX_OBJECT_BYTES,
    unit: 'raw object',
    maxBytesOption: '--max-object-size',
    maxInflateRatio: opts.maxInflateRatio ?? DEFAULT_MAX_INFLATE_RATIO,
    maxRecordBytes: opts.maxRecordSize ?? DEFAULT_MAX_RECORD_BYTES,
  };
  /** Replays one raw object: read, rebuild the batch, run, deliver, checkpoint. Returns its record count. */
  const replayObject = async (object: StoredObjectInfo): Promise<number> => {
    const where = `s3://${clip(opts.bucket)}/${clip(object.key)}`;
    let inputs: InputRecord[];
    let metadata: Record<string, string>;
    try {
      // The size listed, then S3's ContentLength, before a byte of the body is read; then the body streamed
      // through the same caps as `process` (gunzipped as it comes, line by line): no copy of it is held whole.
      if (object.size > limits.maxBytes) throw objectTooLarge(object.size, 'listed', limits);
      const got = await store.get(opts.bucket, object.key);
      metadata = got.metadata;
      if (got.size !== undefined && got.size > limits.maxBytes) {
        got.body.destroy();
        throw objectTooLarge(got.size, 'ContentLength', limits);
      }
      inputs = await rawInputs(
        decompressed(got.body, undefined, limits),
        object.key,
        limits.maxRecordBytes,
        opts.maxObjectRecords ?? DEFAULT_MAX_OBJECT_RECORDS,
      );
    } catch (err) {
      if (err instanceof CliError) throw err;
      if (err instanceof InputLimitError)
        throw new CliError(EXIT.input, `${where}: ${err.message}`, { cause: err });
      throw new CliError(EXIT.input, `cannot read ${where}: ${describeError(err)}`, { cause: err });
    }
    const ids = inputs.map((i) => i.id);
    const batch = batchRefFromArchive(object.key.slice(prefix.length), ids, metadata);
    if (batch === undefined) throw new CliError(EXIT.input, `${clip(object.key)} is not a raw archive key`);
    // An object's records join the windows once its output is stored: the checkpoint then skips it, so every
    // record is in the windows of exactly one run (a resumed replay counts the rest).
    const records: NormalizedRecord[] = [];
    const result = await runBatch(context, {
      path: 'cli',
      inputs,
      ...(windows !== undefined && { pipeline: { onRecord: (r: NormalizedRecord) => void records.push(r) } }),
      batchRef: () => batch,
      zones: ZONES,
      config: runtime.config,
    });
    if (result.status === 'failed') throw outputNotWritten(object.key, result.error);
    if (windows !== undefined) {
      for (const record of records) windows.add(record);
      counted.push(object.key);
    }
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
      throw new CliError(
        EXIT.input,
        `cannot list s3://${clip(opts.bucket)}/${clip(prefix)}raw/: ${describeError(err)}`,
        {
          cause: err,
        },
      );
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

  // The windows of the objects replayed (all, or those before Ctrl-C or a failure): rollups to the archive sink,
  // rate alerts printed, and sent only when asked.
  let rates: { closed: ClosedRateWindows; objects: string[] } | undefined;
  const sendRateAlerts = opts.sendRateAlerts === true;
  if (windows !== undefined) {
    const closed = windows.close((ms) => rateWindowsBatch('replay', windows.seconds, counted.sort(), ms));
    try {
      const objects = await deliverRateWindows(closed, sinks, {
        alertSampleSize: config.alertSampleSize,
        alerts: sendRateAlerts,
      });
      rates = { closed, objects };
    } catch (err) {
      // After a failure, the first one is the one to report.
      if (failure === undefined) throw err;
    }
  }

  const report = tally.report();
  const left = todo.length - replayed;
  if (opts.json === true) {
    const { inputs: _perObject, ...totals } = report;
    const windowed =
      rates === undefined
        ? {}
        : { ...rateWindowsJson(rates.closed, rates.objects), rateAlertsSent: sendRateAlerts };
    await io.stdout.write(
      `${JSON.stringify({ objects: replayed, skipped, left, ...totals, ...windowed })}\n`,
    );
  } else {
    await io.stdout.write(
      `${plural(replayed, 'object')} replayed, ${skipped} skipped (already in ${opts.checkpoint ?? '.replay-checkpoint.json'})` +
        `${left > 0 ? `, ${left} left` : ''}\n\n${tally.render('', { perInput: false })}` +
        (opts.alerts === false && report.alerts.length > 0
          ? '\nAlerts matched but not sent (--no-alerts).\n'
          : ''),
    );
    if (rates !== undefined) {
      const { closed } = rates;
      await io.stdout.write(
        `\n${renderRateWindows(closed)}` +
          (skipped > 0 ? `Rates over the ${plural(replayed, 'object')} replayed in this run only.\n` : '') +
          (closed.alerts.length > 0 && !sendRateAlerts
            ? 'Rate alerts printed, not sent (--send-rate-alerts sends them).\n'
            : ''),
      );
    }
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

/**
 * The records of a raw archive object, exactly as the original batch held them, read line by line as the
 * (decompressed) body arrives. An object is one batch, held whole to be run as one (its output keys depend on
 * all its records): its size and its number of records bound what a replay holds.
 * @throws InputLimitError on a line longer than `maxLineBytes`, or more than `maxRecords` records
 */
async function rawInputs(
  chunks: AsyncIterable<Buffer>,
  key: string,
  maxLineBytes: number,
  maxRecords: number,
): Promise<InputRecord[]> {
  const inputs: InputRecord[] = [];
  let n = 0;
  for await (const bytes of lines(chunks, maxLineBytes)) {
    n++;
    const line = bytes.toString('utf8');
    if (line.trim() === '') continue;
    if (inputs.length === maxRecords) {
      throw new InputLimitError(
        `more than ${maxRecords.toLocaleString('en-US')} records, the cap on one raw object; ` +
          '--max-object-records raises it',
      );
    }
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      entry = undefined;
    }
    const archived = asArchiveLine(entry);
    if (archived === undefined) throw new CliError(EXIT.input, `${clip(key)}:${n}: not a raw archive line`);
    inputs.push(inputOfArchiveLine(archived));
  }
  return inputs;
}

function objectTooLarge(size: number, how: 'listed' | 'ContentLength', limits: InputLimits): InputLimitError {
  return new InputLimitError(
    `${formatSize(size)} (${how === 'listed' ? 'its size as listed' : 'its ContentLength'}), more than ` +
      `${formatSize(limits.maxBytes)}, the cap on one raw object; --max-object-size raises it`,
  );
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
      `--${side} '${clip(value)}' is not a UTC date (YYYY-MM-DD) or date and hour (YYYY-MM-DDTHH)`,
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
