import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BatchContext, openAnalytics, runBatch } from '../batch/run';
import { loadConfig, normalizePrefix } from '../config';
import { describeError } from '../errors';
import type { InputRecord } from '../pipeline';
import { createRuntime, type Runtime, rateSettingsOf } from '../runtime';
import { asArchiveLine, inputOfArchiveLine } from '../sinks/archiveLine';
import { archiveKeyPartition, batchRefFromArchive } from '../sinks/archiveObjects';
import { LocalRateStore } from '../sinks/local/LocalRateStore';
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
import { decompressed, lines } from './readInput';
import { RunRates, type RunRatesReport, renderRunRates, runRatesJson, withoutRateAlerts } from './runRates';
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
   * `--rates`: count the records replayed into a temporary rate store (never the live one: they were counted
   * when they first arrived) and print its counters. Without it nothing is counted.
   */
  rates?: boolean;
  /** `--send-rate-alerts` (with `--rates`): publish the rate alerts claimed too (by default only printed). */
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
 * hence the same normalized, quarantine and analytics keys and the same alert ids. Objects finished are recorded
 * in a checkpoint, so an interrupted replay resumes, and a finished one re-run does nothing. Returns the exit code.
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
  if (opts.sendRateAlerts === true && opts.rates !== true) {
    throw new CliError(EXIT.input, '--send-rate-alerts needs --rates: rate alerts come from the counts');
  }
  if (opts.sendRateAlerts === true && opts.alerts === false) {
    throw new CliError(EXIT.input, '--send-rate-alerts and --no-alerts contradict each other');
  }
  const config = loadConfig({ ...io.env, PWD: io.cwd });
  // A replay overwrites normalized objects: never with hashes of another key than the ones it replaces.
  const runtime = await createRuntime(config, { logger: cliLogger(io.stderr), refuseOtherPiiKey: true });
  // The replayed records were counted into the live rate store when they first arrived: counted again there
  // they would count twice and page for old windows. --rates counts them into a store of this run's own.
  const scratch =
    opts.rates === true && runtime.rateRules.length > 0
      ? await mkdtemp(join(tmpdir(), 'pinpoint-stream-rates-'))
      : undefined;
  try {
    const sendRateAlerts = opts.sendRateAlerts === true;
    const alerts =
      opts.alerts === false
        ? NO_ALERTS
        : sendRateAlerts
          ? runtime.sinks.alerts
          : withoutRateAlerts(runtime.sinks.alerts);
    const context: BatchContext = {
      ...runtime,
      sinks: { archive: runtime.sinks.archive, alerts },
      rates: scratch === undefined ? undefined : rateSettingsOf(config, new LocalRateStore(scratch)),
    };
    const rates =
      context.rates === undefined
        ? undefined
        : new RunRates(runtime.rateRules, context.rates, sendRateAlerts);
    return await replayObjects(opts, io, deps, { prefix, range, runtime, context, rates });
  } finally {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
}

async function replayObjects(
  opts: ReplayOptions,
  io: CliIO,
  deps: ReplayDeps,
  run: {
    prefix: string;
    range: { from: string | undefined; to: string | undefined };
    runtime: Runtime;
    context: BatchContext;
    rates: RunRates | undefined;
  },
): Promise<number> {
  const { prefix, range, runtime, context, rates } = run;
  const checkpoint = await Checkpoint.open(
    resolve(io.cwd, opts.checkpoint ?? '.replay-checkpoint.json'),
    { bucket: opts.bucket, prefix },
    opts.restart === true,
  );
  const store = deps.store ?? new S3ObjectStore(runtime.config);
  const tally = new RunTally();
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
    // Counted once its output is stored (the runner counts a delivered batch), under the object's key.
    const batchRates = rates?.forBatch(`replay:${object.key}`);
    // The batch's analytics rows, rewritten under the original batch's key as its normalized records are.
    const analytics = openAnalytics(context);
    const result = await runBatch(context, {
      path: 'cli',
      inputs,
      pipeline: {
        onRecord: (r, _i, index) => {
          analytics.add(r, index);
          batchRates?.tally.add(r, index);
        },
      },
      batchRef: () => batch,
      zones: ZONES,
      ...(batchRates !== undefined && { rates: batchRates }),
      analytics,
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

  // The counters of the objects replayed (all, or those before Ctrl-C or a failure), from the run's own store.
  let counters: RunRatesReport | undefined;
  if (rates !== undefined) {
    try {
      counters = await rates.report();
    } catch (err) {
      // After a failure, the first one is the one to report.
      if (failure === undefined) throw err;
    }
  }

  const report = tally.report();
  const left = todo.length - replayed;
  if (opts.json === true) {
    const { inputs: _perObject, ...totals } = report;
    const counted =
      counters !== undefined ? runRatesJson(counters) : opts.rates === true ? NO_RATES_JSON : {};
    await io.stdout.write(`${JSON.stringify({ objects: replayed, skipped, left, ...totals, ...counted })}\n`);
  } else {
    await io.stdout.write(
      `${plural(replayed, 'object')} replayed, ${skipped} skipped (already in ${opts.checkpoint ?? '.replay-checkpoint.json'})` +
        `${left > 0 ? `, ${left} left` : ''}\n\n${tally.render('', { perInput: false })}` +
        (opts.alerts === false && report.alerts.length > 0
          ? '\nAlerts matched but not sent (--no-alerts).\n'
          : ''),
    );
    if (opts.rates === true && rates === undefined) await io.stdout.write('\nRates: no rate rule in force\n');
    if (counters !== undefined) {
      const withheld = opts.alerts === false ? '--no-alerts' : '--send-rate-alerts sends them';
      const partial =
        skipped > 0 ? `Rates over the ${plural(replayed, 'object')} replayed in this run only.\n` : '';
      await io.stdout.write(
        `\n${renderRunRates(counters, 'a temporary store, removed', withheld)}${partial}`,
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

/** `--json --rates` without a rate rule in force: nothing counted. */
const NO_RATES_JSON = { rates: [], rateAlerts: [] };

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
