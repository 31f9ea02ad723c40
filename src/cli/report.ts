import { createReadStream, type Dirent, readFileSync } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { loadConfig, normalizePrefix } from '../config';
import { describeError } from '../errors';
import { AnalyticsRowError, isDay, readAnalyticsRow } from '../report/analyticsRow';
import { MAX_RANGE_DAYS } from '../report/model';
import { ReportAccumulator } from '../report/ReportAccumulator';
import { readRateAlertLine } from '../report/rateAlertLine';
import { renderReport } from '../report/renderReport';
import { writeAtomically } from '../sinks/local/writeAtomically';
import { CliError, type CliIO, clip, EXIT } from './io';
import {
  DEFAULT_MAX_INFLATE_RATIO,
  DEFAULT_MAX_OBJECT_BYTES,
  DEFAULT_MAX_RECORD_BYTES,
  formatSize,
  InputLimitError,
  type InputLimits,
} from './limits';
import { decompressed, lines, readError } from './readInput';
import { S3ObjectStore, type StoredObject, type StoredObjectInfo } from './S3ObjectStore';

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

/** Where the report reads: a local folder or an S3 prefix, named by keys relative to the archive's root. */
export interface ReportStore {
  /** What the page calls it: `folder out/`, `s3://bucket/prefix/`. */
  readonly name: string;
  /** True for S3: rate alerts go to SNS there, so an absent `alerts/` says nothing about alerts. */
  readonly remote: boolean;
  /** The objects under `prefix` (a folder: ends with `/`), found as the walk goes. */
  walk(prefix: string): AsyncIterable<StoredObjectInfo>;
  get(key: string): Promise<StoredObject>;
  /** How an error names the object. */
  where(key: string): string;
  close(): void;
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
  const acc = new ReportAccumulator(from, to, store.name);
  const out = resolve(io.cwd, opts.out ?? 'report.html');
  try {
    const analytics = await readZone(
      store,
      'analytics',
      days,
      '.jsonl.gz',
      concurrency,
      limits,
      io,
      (line) => {
        acc.addRow(readAnalyticsRow(line));
      },
    );
    acc.countObjects('analytics', analytics);
    let anyAlerts = false;
    const alerts = await readZone(
      store,
      'alerts',
      days,
      '.jsonl',
      concurrency,
      limits,
      io,
      (line) => {
        const alert = readRateAlertLine(line);
        if (alert !== undefined) acc.addAlert(alert);
      },
      () => {
        anyAlerts = true;
      },
    );
    acc.countObjects('alerts', alerts);
    // From S3, no alerts/ at all means they went to SNS (the page says so); locally, that no alert fired.
    if (store.remote) acc.setAlertsAvailable(anyAlerts);
    if (io.signal?.aborted === true) throw new CliError(EXIT.interrupted, 'interrupted; no report written');
    if (analytics === 0) {
      await io.stderr.write(
        `warning: no analytics rows from ${from} to ${to} in ${store.name} (analytics/dt=…/): the report is empty. ` +
          'Every batch writes them (docs/analytics.md).\n',
      );
    }
  } finally {
    store.close();
  }

  const data = acc.result();
  const html = renderReport(data, {
    chartLibrary,
    generatedAt: `${new Date(io.now?.() ?? Date.now()).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  });
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

/** An S3 prefix as a {@link ReportStore}: keys relative to the prefix. */
export function s3Store(
  s3: Pick<S3ObjectStore, 'walk' | 'get' | 'close'>,
  bucket: string,
  prefix: string,
): ReportStore {
  return {
    name: `s3://${bucket}/${prefix}`,
    remote: true,
    async *walk(under) {
      try {
        for await (const o of s3.walk(bucket, `${prefix}${under}`)) {
          yield { key: o.key.slice(prefix.length), size: o.size };
        }
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw new CliError(
          EXIT.input,
          `cannot list s3://${clip(bucket)}/${clip(prefix + under)}: ${describeError(err)}`,
          {
            cause: err,
          },
        );
      }
    },
    get: (key) => s3.get(bucket, `${prefix}${key}`),
    where: (key) => `s3://${clip(bucket)}/${clip(prefix + key)}`,
    close: () => s3.close(),
  };
}

/**
 * A local output folder as a {@link ReportStore}. Walks real folders and files only: a symbolic link is not
 * followed, so the walk stays inside the folder and ends. Files are listed without their size (0): `get`
 * reads it when it opens one.
 */
export class FolderStore implements ReportStore {
  readonly remote = false;
  readonly name: string;

  constructor(
    private readonly dir: string,
    given: string,
  ) {
    this.name = `folder ${given}`;
  }

  async *walk(prefix: string): AsyncGenerator<StoredObjectInfo> {
    yield* this.walkFolder(prefix.replace(/\/+$/, ''));
  }

  private async *walkFolder(rel: string): AsyncGenerator<StoredObjectInfo> {
    let entries: Dirent[];
    try {
      entries = await readdir(join(this.dir, rel), { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw new CliError(EXIT.input, `cannot read ${clip(join(this.dir, rel))}: ${readError(err)}`, {
        cause: err,
      });
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const key = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) yield* this.walkFolder(key);
      // The size is checked when the file is opened (get), as S3's ContentLength is: no stat per file here.
      else if (e.isFile()) yield { key, size: 0 };
    }
  }

  async get(key: string): Promise<StoredObject> {
    const path = join(this.dir, key);
    const size = (await stat(path)).size;
    return { body: createReadStream(path), metadata: {}, size };
  }

  where(key: string): string {
    return clip(join(this.dir, key));
  }

  close(): void {}
}

/**
 * A batch's rate alerts (`alerts/…/<batch>.rates.jsonl`, docs/rates.md §4): filed under the batch's hour (its first
 * record's arrival), while each alert's window is its records' — a file given to `process` can hold records of
 * several days, and so alerts of windows on other days than the one it is filed under.
 */
const RATE_ALERTS_FILE = /\.rates\.jsonl$/;

/**
 * Reads the objects of one zone for the days asked, `concurrency` at a time, streaming each through the caps,
 * line by line into `onLine`. Returns the number of objects read.
 *
 * `analytics/`: the objects under `analytics/dt=<day>/` ending in `suffix`, day by day. `alerts/`: walked whole
 * (it holds a few files per batch that alerted, and none at all on S3, where alerts go to SNS), keeping the files
 * of the days asked and every batch's rate alert file ({@link RATE_ALERTS_FILE}), whatever day it is filed under:
 * its alerts are kept by their window; `onAny` is called when the zone holds anything at all.
 */
async function readZone(
  store: ReportStore,
  zone: 'analytics' | 'alerts',
  days: readonly string[],
  suffix: string,
  concurrency: number,
  limits: InputLimits,
  io: CliIO,
  onLine: (value: unknown) => void,
  onAny: () => void = () => {},
): Promise<number> {
  const daySet = new Set(days);
  async function* objects(): AsyncGenerator<StoredObjectInfo> {
    if (zone === 'analytics') {
      for (const day of days) {
        for await (const o of store.walk(`analytics/dt=${day}/`)) if (o.key.endsWith(suffix)) yield o;
      }
      return;
    }
    for await (const o of store.walk('alerts/')) {
      onAny();
      const day = /^alerts\/dt=([^/]+)\//.exec(o.key)?.[1];
      if (!o.key.endsWith(suffix)) continue;
      if ((day !== undefined && daySet.has(day)) || RATE_ALERTS_FILE.test(o.key)) yield o;
    }
  }
  const it = objects();
  let read = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && io.signal?.aborted !== true) {
      let next: IteratorResult<StoredObjectInfo>;
      try {
        next = await it.next();
      } catch (err) {
        failure ??= err;
        return;
      }
      if (next.done === true) return;
      try {
        await readObject(store, next.value, limits, onLine);
        read++;
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  if (failure !== undefined) {
    await it.return(undefined);
    throw failure;
  }
  return read;
}

async function readObject(
  store: ReportStore,
  object: StoredObjectInfo,
  limits: InputLimits,
  onLine: (value: unknown) => void,
): Promise<void> {
  const where = store.where(object.key);
  let n = 0;
  try {
    if (object.size > limits.maxBytes) throw objectTooLarge(object.size, limits);
    const got = await store.get(object.key);
    if (got.size !== undefined && got.size > limits.maxBytes) {
      got.body.destroy();
      throw objectTooLarge(got.size, limits);
    }
    for await (const bytes of lines(
      decompressed(got.body, undefined, limits, got.size),
      limits.maxRecordBytes,
    )) {
      n++;
      const line = bytes.toString('utf8');
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new AnalyticsRowError('not JSON');
      }
      onLine(value);
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (err instanceof AnalyticsRowError) {
      const what = object.key.startsWith('alerts/') ? 'not an alert line' : 'not an analytics row';
      throw new CliError(EXIT.input, `${where}:${n}: ${what}: ${err.message}`, { cause: err });
    }
    if (err instanceof InputLimitError)
      throw new CliError(EXIT.input, `${where}: ${err.message}`, { cause: err });
    throw new CliError(EXIT.input, `cannot read ${where}: ${readError(err)}`, { cause: err });
  }
}

function objectTooLarge(size: number, limits: InputLimits): InputLimitError {
  return new InputLimitError(
    `${formatSize(size)}, more than ${formatSize(limits.maxBytes)}, the cap on one object; --max-object-size raises it`,
  );
}

/** Chart.js's UMD build (MIT), read from node_modules: the page inlines it (docs/report.md says why Chart.js). */
export function loadChartLibrary(): string {
  const path = join(dirname(require.resolve('chart.js')), 'chart.umd.min.js');
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(EXIT.config, `cannot read the chart library ${path}: ${readError(err)}`, {
      cause: err,
    });
  }
}
