import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { runBatch } from '../batch/run';
import { loadConfig } from '../config';
import type { ProcessedRecord } from '../pipeline';
import { createRuntime, type Runtime } from '../runtime';
import type { NormalizedRecord } from '../schema';
import { fileBatchRef } from '../sinks/archiveLayout';
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
import {
  type ClosedRateWindows,
  deliverRateWindows,
  RateWindows,
  rateWindowsBatch,
  rateWindowsJson,
  renderRateWindows,
} from './rateWindows';
import { decompressed, openSource, readError } from './readInput';

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
   * `--window`, in seconds: count the rate rules over tumbling windows of this length, print the rates and the
   * rate alerts, write the alerts and the rollups.
   */
  window?: number;
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
export const BATCH_BYTES = 8 * 1024 * 1024;
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
 * writes normalized records, quarantine and alerts with the local sinks, in the archive's key layout.
 * Poison records are an outcome (exit 0) unless `--strict`. Returns the exit code.
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
  const runtime = await createRuntime(config, {
    logger: cliLogger(io.stderr),
    ...(opts.stdout === true && { sinks: NO_SINKS }),
  });
  const tally = new RunTally();
  const windows = opts.window === undefined ? undefined : new RateWindows(runtime.rateRules, opts.window);
  const progress = createProgress(io.stderr, 'process', 'files');
  const report = opts.stdout === true ? io.stderr : io.stdout;
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
        const processed = await run(input.name, batch, runtime, opts, io, windows?.add);
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

  // The windows of what was processed (all of it, or the batches before Ctrl-C), written with the same sinks.
  let rates: { closed: ClosedRateWindows; objects: string[] } | undefined;
  if (windows !== undefined) {
    const closed = windows.close((ms) =>
      rateWindowsBatch(
        'process',
        windows.seconds,
        inputs.map((i) => i.name),
        ms,
      ),
    );
    // With --stdout nothing is written: the rates and alerts are reported, the rollups counted.
    const objects =
      opts.stdout === true
        ? []
        : await deliverRateWindows(closed, runtime.sinks, {
            alertSampleSize: config.alertSampleSize,
            alerts: true,
          });
    rates = { closed, objects };
  }

  const summary = tally.report();
  if (opts.json === true) {
    const json =
      rates === undefined ? summary : { ...summary, ...rateWindowsJson(rates.closed, rates.objects) };
    await report.write(`${JSON.stringify(json)}\n`);
  } else {
    await report.write(tally.render('input'));
    if (rates !== undefined) await report.write(`\n${renderRateWindows(rates.closed)}`);
    const zones =
      rates === undefined
        ? 'normalized/, quarantine/, alerts/'
        : 'normalized/, quarantine/, alerts/, rollups/';
    const notWritten =
      rates === undefined
        ? ''
        : `, ${rates.closed.alerts.length} rate alerts and ${rates.closed.rows.length} rollup rows`;
    await report.write(
      opts.stdout === true
        ? `\n${summary.poison} poison records and ${summary.alerts.reduce((n, a) => n + a.alerts, 0)} alerts${notWritten} not written (--stdout)\n`
        : `\nOutput: ${displayPath(io.cwd, config.localSinkDir)}/ (${zones})\n`,
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

/** Runs one batch of the items read from `name` (the batch runner the handlers use), then prints it with `--stdout`. */
async function run(
  name: string,
  batch: readonly InputItem[],
  runtime: Runtime,
  opts: ProcessOptions,
  io: CliIO,
  onRecord: ((record: NormalizedRecord) => void) | undefined,
): Promise<readonly ProcessedRecord[]> {
  const inputs = batch.map((i) => i.input);
  const result = await runBatch(runtime, {
    path: 'cli',
    inputs,
    process: () => processItems(batch, runtime.settings, onRecord),
    batchRef: () =>
      fileBatchRef(
        name,
        inputs.map((i) => i.id),
        (inputs[0] as InputItem['input']).ingestMs,
      ),
    zones: opts.stdout === true ? NO_ZONES : ZONES,
    config: runtime.config,
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
