import { mkdir, stat } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { loadConfig, normalizePrefix } from '../config';
import { isDay } from '../report/analyticsRow';
import { MAX_RANGE_DAYS } from '../report/model';
import { writeAtomically } from '../sinks/local/writeAtomically';
import { CliError, type CliIO, clip, EXIT } from './io';
import {
  DEFAULT_MAX_INFLATE_RATIO,
  DEFAULT_MAX_OBJECT_BYTES,
  DEFAULT_MAX_RECORD_BYTES,
  type InputLimits,
} from './limits';
import { readError } from './readInput';
import {
  FolderStore,
  loadChartLibrary,
  type MadeReport,
  makeReport,
  type ReportStore,
  s3Store,
} from './reportRun';
import { S3ObjectStore } from './S3ObjectStore';

// What the tests and the function import from here too: reading and rendering are in ./reportRun.
export { FolderStore, loadChartLibrary, type ReportStore, s3Store };

export interface ReportOptions {
  /** First day, `YYYY-MM-DD` (UTC), inclusive. */
  from?: string;
  /** Last day, inclusive. */
  to?: string;
  /** A local output folder (`process --out`, `npm run local`'s `.local`). */
  dir?: string;
  /** Or the archive bucket… */
  bucket?: string;
  /** …and its prefix (`ARCHIVE_PREFIX`). */
  prefix?: string;
  /** `-o`: the HTML file (default `report.html`). */
  out?: string;
  /** Print the numbers as one JSON object on stdout too. */
  json?: boolean;
  /** `--max-object-size`: bytes of one object, as listed and once decompressed. */
  maxObjectSize?: number;
  /** `--max-record-size`: bytes of one line. */
  maxRecordSize?: number;
  /** `--max-inflate-ratio`. */
  maxInflateRatio?: number;
  /** Objects read at once (default 8 from S3, 4 from a folder). */
  concurrency?: number;
}

export interface ReportDeps {
  /** The store to read (default: the folder of `--dir`, or S3 with the SDK's credentials for `--bucket`). */
  store?: ReportStore;
  /** The chart library's browser build (default: Chart.js's UMD build from node_modules). */
  chartLibrary?: string;
}

/**
 * `pinpoint-stream report --from D --to D (--dir DIR | --bucket B [--prefix P])`: reads the analytics rows
 * (`analytics/dt=…/hour=…/…jsonl.gz`, docs/analytics.md) and the rate alerts (`alerts/…/*.jsonl`) of the days
 * asked for — never raw/, normalized/ or quarantine/ — adds them up as they stream in (ReportAccumulator: no row
 * is held), and writes one self-contained HTML page; with `--json`, prints the same numbers. Returns the exit
 * code.
 */
export async function reportCommand(opts: ReportOptions, io: CliIO, deps: ReportDeps = {}): Promise<number> {
  const { from, to, days } = checkRange(opts);
  const chartLibrary = deps.chartLibrary ?? loadChartLibrary();
  const store = deps.store ?? (await openStore(opts, io));
  const limits: InputLimits = {
    maxBytes: opts.maxObjectSize ?? DEFAULT_MAX_OBJECT_BYTES,
    unit: 'object',
    maxBytesOption: '--max-object-size',
    maxInflateRatio: opts.maxInflateRatio ?? DEFAULT_MAX_INFLATE_RATIO,
    maxRecordBytes: opts.maxRecordSize ?? DEFAULT_MAX_RECORD_BYTES,
  };
  const concurrency = opts.concurrency ?? (store.remote ? 8 : 4);
  const out = resolve(io.cwd, opts.out ?? 'report.html');
  let made: MadeReport;
  try {
    made = await makeReport({
      store,
      from,
      to,
      days,
      limits,
      concurrency,
      chartLibrary,
      now: io.now?.() ?? Date.now(),
      ...(io.signal !== undefined && { signal: io.signal }),
    });
    if (made.analyticsObjects === 0) {
      await io.stderr.write(
        `warning: no analytics rows from ${from} to ${to} in ${store.name} (analytics/dt=…/): the report is empty. ` +
          'Every batch writes them (docs/analytics.md).\n',
      );
    }
  } finally {
    store.close();
  }
  const { data, html } = made;
  try {
    await mkdir(dirname(out), { recursive: true });
    await writeAtomically(out, html);
  } catch (err) {
    throw new CliError(EXIT.sink, `could not write ${clip(out)}: ${readError(err)}`, { cause: err });
  }
  const shown = relative(io.cwd, out) || out;
  if (opts.json === true) await io.stdout.write(`${JSON.stringify({ file: shown, ...data })}\n`);
  else await io.stdout.write(`${shown}\n`);
  return EXIT.ok;
}

/** `--from` and `--to`: UTC days, in order, at most {@link MAX_RANGE_DAYS} apart. The days listed, in order. */
function checkRange(opts: ReportOptions): { from: string; to: string; days: string[] } {
  const day = (value: string | undefined, side: 'from' | 'to'): string => {
    if (value === undefined) throw new CliError(EXIT.input, `--${side} is required: a UTC date, YYYY-MM-DD`);
    const v = value.trim();
    if (!isDay(v))
      throw new CliError(EXIT.input, `--${side} '${clip(value)}' is not a UTC date (YYYY-MM-DD)`);
    return v;
  };
  const from = day(opts.from, 'from');
  const to = day(opts.to, 'to');
  if (from > to) throw new CliError(EXIT.input, `--from ${from} is after --to ${to}`);
  const n = Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
  if (n > MAX_RANGE_DAYS) {
    throw new CliError(
      EXIT.input,
      `--from ${from} --to ${to} is ${n.toLocaleString('en-US')} days; a report covers at most ${MAX_RANGE_DAYS}`,
    );
  }
  const days = Array.from({ length: n }, (_, i) =>
    new Date(Date.parse(`${from}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10),
  );
  if (opts.dir !== undefined && opts.bucket !== undefined) {
    throw new CliError(EXIT.input, '--dir and --bucket cannot be used together: give one place to read');
  }
  if (opts.dir === undefined && opts.bucket === undefined) {
    throw new CliError(EXIT.input, 'give --dir DIR (a local output folder) or --bucket B (the S3 archive)');
  }
  if (opts.prefix !== undefined && opts.bucket === undefined) {
    throw new CliError(EXIT.input, '--prefix goes with --bucket: with --dir, give the folder itself');
  }
  return { from, to, days };
}

async function openStore(opts: ReportOptions, io: CliIO): Promise<ReportStore> {
  if (opts.dir !== undefined) {
    const dir = resolve(io.cwd, opts.dir);
    let isDir: boolean;
    try {
      isDir = (await stat(dir)).isDirectory();
    } catch (err) {
      throw new CliError(EXIT.input, `cannot read '${clip(opts.dir)}': ${readError(err)}`, { cause: err });
    }
    if (!isDir) throw new CliError(EXIT.input, `'${clip(opts.dir)}' is not a folder`);
    return new FolderStore(dir, opts.dir);
  }
  const bucket = opts.bucket as string;
  const prefix = normalizePrefix(opts.prefix);
  // Only the S3 client settings are read (SINK_MAX_ATTEMPTS, AWS_ENDPOINT_URL_S3…): the report needs no sink,
  // rules file or PII key.
  const env = io.env;
  const config = loadConfig({
    SINKS: 'local',
    PWD: io.cwd,
    SINK_MAX_ATTEMPTS: env.SINK_MAX_ATTEMPTS,
    SINK_CONNECT_TIMEOUT_MS: env.SINK_CONNECT_TIMEOUT_MS,
    SINK_REQUEST_TIMEOUT_MS: env.SINK_REQUEST_TIMEOUT_MS,
    AWS_ENDPOINT_URL_S3: env.AWS_ENDPOINT_URL_S3,
    AWS_ENDPOINT_URL: env.AWS_ENDPOINT_URL,
  });
  return s3Store(new S3ObjectStore(config), bucket, prefix);
}
