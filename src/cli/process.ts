import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { type BatchContext, openAnalytics, runBatch } from '../batch/run';
import { loadConfig } from '../config';
import type { ProcessedRecord } from '../pipeline';
import { openHourlyRollup } from '../rates/rollups';
import { createRuntime, type Runtime, rateSettingsOf } from '../runtime';
import type { NormalizedRecord } from '../schema';
import { planRollupObjects } from '../sinks/archiveObjects';
import { fileBatchRef } from '../sinks/batchRef';
import { LocalRateStore } from '../sinks/local/LocalRateStore';
import type { ArchiveZone, Sinks } from '../sinks/ports';
import { type InputItem, readItems } from './inputItems';
import { CliError, type CliIO, cliLogger, clip, EXIT, outputNotWritten } from './io';
import {
  DEFAULT_MAX_INFLATE_RATIO,
  DEFAULT_MAX_INPUT_BYTES,
  DEFAULT_MAX_RECORD_BYTES,
  type InputLimits,
} from './limits';
import { processItems } from './processItems';
import { createProgress } from './progress';
import { RunTally } from './RunTally';
import { decompressed, openSource, readError } from './readInput';
import { RunRates, type RunRatesReport, renderRunRates, runRatesJson } from './runRates';

export interface ProcessOptions {
  /** Output folder (`--out`); else `LOCAL_SINK_DIR`; else `out`. */
  out?: string;
  /** Print normalized records to stdout instead of writing files. */
  stdout?: boolean;
  /** Exit 1 when any record is poison. */
  strict?: boolean;
  /** At most this many records per batch (`--batch-size`, default {@link BATCH_RECORDS}). */
  batchSize?: number;
  /** A batch ends once its records hold this many bytes (default {@link BATCH_BYTES}; no option, for tests). */
  batchBytes?: number;
  /** The summary as one JSON object instead of tables. */
  json?: boolean;
  /**
   * `--rates`: print the counters of the rate store this run's records count into (read back at the end). The
   * records are counted without it too, except with `--stdout`, which counts into a temporary store only with it.
   */
  rates?: boolean;
  /** `--max-input-size`: bytes of one input once decompressed (default {@link DEFAULT_MAX_INPUT_BYTES}). */
  maxInputSize?: number;
  /** `--max-record-size`: bytes of one record (default {@link DEFAULT_MAX_RECORD_BYTES}). */
  maxRecordSize?: number;
  /** `--max-inflate-ratio`: how many times its size a gzip input may inflate to (default {@link DEFAULT_MAX_INFLATE_RATIO}). */
  maxInflateRatio?: number;
}

/**
 * Batches are sized like the objects of the archive, by bytes: a batch ends when its records' data reach
 * {@link BATCH_BYTES} or their count reaches `--batch-size`, whichever comes first. Each batch writes one
 * normalized object per dt/hour partition, one quarantine object and one alerts file: batches of a fixed
 * 500 records turned a 215 MB export into 20,025 files.
 */
const BATCH_BYTES = 8 * 1024 * 1024;
/** Default `--batch-size`: the most records a Kinesis event source mapping hands one invocation. */
export const BATCH_RECORDS = 10_000;

/** The archive zones `process` writes: the input files are the raw data already. */
const ZONES = new Set<ArchiveZone>(['normalized', 'quarantine']);
/** With `--stdout`: none. */
const NO_ZONES = new Set<ArchiveZone>();

/** With `--stdout` nothing is stored: records go to stdout, and the summary counts the rest. */
const NO_SINKS: Sinks = {
  archive: { put: async () => {} },
  alerts: { publish: async () => ({ failed: [] }) },
};

interface Input {
  path: string;
  /** The name in ids, keys and the summary: the path as given, or `stdin`. */
  name: string;
  size: number;
  mtimeMs?: number;
}

/**
 * `pinpoint-stream process <file…|->`: runs the pipeline over files of raw events (JSON Lines, concatenated
 * JSON, arrays, Lambda events, raw archive lines — gzip or not) or over already normalized records, and
 * writes normalized records, quarantine and alerts with the local sinks, in the archive's key layout. As the
 * handlers do, each batch counts its records into the rate store (`<out>/rates/`: the same batch counted once,
 * however often it is run), publishes the rate alerts it claims, and writes its analytics rows and rollups. Poison records are an
 * outcome (exit 0) unless `--strict`. Returns the exit code.
 */
export async function processCommand(
  files: readonly string[],
  opts: ProcessOptions,
  io: CliIO,
): Promise<number> {
  const inputs = await checkInputs(files, io);
  const limits: InputLimits = {
    maxBytes: opts.maxInputSize ?? DEFAULT_MAX_INPUT_BYTES,
    unit: 'input',
    maxBytesOption: '--max-input-size',
    maxInflateRatio: opts.maxInflateRatio ?? DEFAULT_MAX_INFLATE_RATIO,
    maxRecordBytes: opts.maxRecordSize ?? DEFAULT_MAX_RECORD_BYTES,
  };
  const batchSize = opts.batchSize ?? BATCH_RECORDS;
  const batchBytes = opts.batchBytes ?? BATCH_BYTES;
  const config = loadConfig({
    LOCAL_SINK_DIR: 'out',
    ...io.env,
    PWD: io.cwd,
    // Files in, files out: `process` never writes to AWS, whatever SINKS says.
    SINKS: 'local',
    ...(opts.out !== undefined && { LOCAL_SINK_DIR: opts.out }),
  });
  const stdout = opts.stdout === true;
  const runtime = await createRuntime(config, {
    logger: cliLogger(io.stderr),
    ...(stdout && { sinks: NO_SINKS }),
  });
  // With --stdout nothing is stored: --rates counts into a temporary store, removed at the end.
  const scratch =
    stdout && opts.rates === true && runtime.rateRules.length > 0
      ? await mkdtemp(join(tmpdir(), 'pinpoint-stream-rates-'))
      : undefined;
  try {
    const ctx: BatchContext =
      scratch === undefined
        ? runtime
        : { ...runtime, rates: rateSettingsOf(config, new LocalRateStore(scratch)) };
    return await processInputs(inputs, opts, io, runtime, ctx, { limits, batchSize, batchBytes });
  } finally {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
}

async function processInputs(
  inputs: readonly Input[],
  opts: ProcessOptions,
  io: CliIO,
  runtime: Runtime,
  ctx: BatchContext,
  sizes: { limits: InputLimits; batchSize: number; batchBytes: number },
): Promise<number> {
  const { limits, batchSize, batchBytes } = sizes;
  const stdout = opts.stdout === true;
  const tally = new RunTally();
  const rates =
    ctx.rates !== undefined && runtime.rateRules.length > 0
      ? new RunRates(runtime.rateRules, ctx.rates, !stdout)
      : undefined;
  const counting: Counting = {
    rates,
    // The rollups are written with the batch, as the handlers write theirs: not with --stdout.
    rollups: !stdout && runtime.rateRules.length > 0,
  };
  const progress = createProgress(io.stderr, 'process', 'files');
  const report = stdout ? io.stderr : io.stdout;
  let interrupted = false;

  if (inputs.every((i) => i.path !== '-')) {
    progress.start(
      inputs.reduce((n, i) => n + i.size, 0),
      inputs.length,
    );
  }
  try {
    for (const input of inputs) {
      const fallbackMs = input.mtimeMs ?? (io.now ?? Date.now)();
      let batch: InputItem[] = [];
      let bytes = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        const processed = await run(input.name, batch, runtime, ctx, opts, io, counting);
        tally.add(input.name, processed);
        progress.advance({ records: processed.length });
        batch = [];
        bytes = 0;
      };
      try {
        // Held to the caps as the bytes come (readInput.ts): a bomb or a giant line fails within seconds, and
        // no more than a batch and one record is held at a time, however many records the input has.
        const chunks = decompressed(
          openSource(input.path, io.stdin),
          (bytes) => progress.advance({ bytes }),
          limits,
          input.path === '-' ? undefined : input.size,
        );
        for await (const item of readItems(chunks, input.name, fallbackMs, limits.maxRecordBytes)) {
          batch.push(item);
          // Bytes as read: a Lambda event's base64 counts as the text it is in the file.
          bytes += item.input.data.length;
          if (batch.length < batchSize && bytes < batchBytes) continue;
          await flush();
          // Ctrl-C: stop between batches, so that every batch is written whole.
          if (io.signal?.aborted === true) {
            interrupted = true;
            break;
          }
        }
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw new CliError(EXIT.input, `${clip(input.name)}: ${readError(err)}`, { cause: err });
      }
      if (interrupted) break;
      await flush();
      progress.advance({ items: 1 });
    }
  } finally {
    progress.stop();
  }

  // The counters the batches written touched (all of them, or those before Ctrl-C), as the store has them now.
  const counters: RunRatesReport | undefined =
    opts.rates === true && rates !== undefined ? await rates.report() : undefined;
  const rateAlerts = rates?.claimed ?? 0;
  const outDir = displayPath(io.cwd, runtime.config.localSinkDir);
  const summary = tally.report();
  if (opts.json === true) {
    const json =
      opts.rates === true
        ? { ...summary, ...(counters !== undefined ? runRatesJson(counters) : NO_RATES_JSON) }
        : summary;
    await report.write(`${JSON.stringify(json)}\n`);
  } else {
    await report.write(tally.render('input'));
    if (opts.rates === true) {
      await report.write(
        `\n${
          counters === undefined
            ? 'Rates: no rate rule in force\n'
            : renderRunRates(
                counters,
                stdout ? 'a temporary store, removed' : `${outDir}/rates/`,
                stdout ? '--stdout' : undefined,
              )
        }`,
      );
    } else if (!stdout && rateAlerts > 0) {
      await report.write(
        `\n${rateAlerts} rate alert${rateAlerts === 1 ? '' : 's'} sent (alerts/); --rates lists the rates.\n`,
      );
    }
    const zones = counting.rollups
      ? 'normalized/, quarantine/, alerts/, analytics/, rollups/, rates/'
      : 'normalized/, quarantine/, alerts/, analytics/';
    await report.write(
      stdout
        ? `\n${summary.poison} poison records and ${summary.alerts.reduce((n, a) => n + a.alerts, 0)} alerts` +
            `${rateAlerts > 0 ? ` and ${rateAlerts} rate alert${rateAlerts === 1 ? '' : 's'}` : ''} not written (--stdout)\n`
        : `\nOutput: ${outDir}/ (${zones})\n`,
    );
  }
  if (interrupted) {
    await io.stderr.write('error: interrupted; the summary counts what was written before\n');
    return EXIT.interrupted;
  }
  if (opts.strict === true && summary.poison > 0) {
    const reasons = Object.entries(summary.poisonByReason)
      .map(([r, n]) => `${r} ${n}`)
      .join(', ');
    await io.stderr.write(`error: ${summary.poison} poison records (${reasons}) and --strict\n`);
    return EXIT.input;
  }
  return EXIT.ok;
}

/** `--json --rates` without a rate rule in force: nothing counted. */
const NO_RATES_JSON = { rates: [], rateAlerts: [] };

/** What a run counts besides the summary: rates into the store (when it has one), rollups (when it writes). */
interface Counting {
  readonly rates: RunRates | undefined;
  readonly rollups: boolean;
}

/**
 * Runs one batch of the items read from `name` (the batch runner the handlers use), then prints it with
 * `--stdout`. Its rate counts are guarded by its identity (`file:<name>`, its record ids and bytes): run again,
 * it adds nothing. Its analytics rows and rollups are filed under its own name, so run again they overwrite
 * themselves.
 */
async function run(
  name: string,
  batch: readonly InputItem[],
  runtime: Runtime,
  ctx: BatchContext,
  opts: ProcessOptions,
  io: CliIO,
  counting: Counting,
): Promise<readonly ProcessedRecord[]> {
  const inputs = batch.map((i) => i.input);
  const ref = fileBatchRef(
    name,
    inputs.map((i) => i.id),
    (inputs[0] as InputItem['input']).ingestMs,
  );
  const rates = counting.rates?.forBatch(`file:${name}`);
  const rollup = counting.rollups ? openHourlyRollup(runtime.rateRules) : undefined;
  // The batch's analytics rows, written with it as the handlers write theirs: not with --stdout.
  const analytics = opts.stdout === true ? undefined : openAnalytics(ctx);
  const onRecord =
    rates === undefined && rollup === undefined && analytics === undefined
      ? undefined
      : (record: NormalizedRecord, index: number) => {
          analytics?.add(record, index);
          rollup?.add(record);
          rates?.tally.add(record, index);
        };
  const result = await runBatch(ctx, {
    path: 'cli',
    inputs,
    process: () => processItems(batch, runtime.settings, onRecord),
    batchRef: () => ref,
    zones: opts.stdout === true ? NO_ZONES : ZONES,
    ...(rollup !== undefined && {
      additional: () => ({ batch: ref, objects: planRollupObjects(ref, rollup.rows()), alerts: [] }),
    }),
    ...(rates !== undefined && { rates }),
    ...(analytics !== undefined && { analytics }),
  });
  if (result.status === 'failed') throw outputNotWritten(name, result.error);
  if (opts.stdout === true) {
    let text = '';
    for (const p of result.processed)
      if (p.outcome.kind === 'ok' && !p.outcome.dropped) text += p.outcome.line;
    if (text.length > 0) await io.stdout.write(text);
  }
  return result.processed;
}

/** Every input exists and is a file (or `-` once), before anything is written. */
async function checkInputs(files: readonly string[], io: CliIO): Promise<Input[]> {
  if (files.filter((f) => f === '-').length > 1)
    throw new CliError(EXIT.input, "'-' (stdin) may be given once");
  const inputs: Input[] = [];
  for (const file of files) {
    if (file === '-') {
      inputs.push({ path: '-', name: 'stdin', size: 0 });
      continue;
    }
    const path = resolve(io.cwd, file);
    let s: Awaited<ReturnType<typeof stat>>;
    try {
      s = await stat(path);
    } catch (err) {
      throw new CliError(EXIT.input, `cannot read '${clip(file)}': ${readError(err)}`, { cause: err });
    }
    if (!s.isFile()) throw new CliError(EXIT.input, `'${clip(file)}' is not a file`);
    inputs.push({ path, name: file, size: s.size, mtimeMs: s.mtimeMs });
  }
  return inputs;
}

/** A path as a person would type it: relative below the working directory, absolute elsewhere. */
function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}
