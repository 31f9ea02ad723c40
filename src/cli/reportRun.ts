import { createReadStream, type Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '../errors';
import { AnalyticsRowError, readAnalyticsRow } from '../report/analyticsRow';
import type { ReportData } from '../report/model';
import { ReportAccumulator } from '../report/ReportAccumulator';
import { readRateAlertLine } from '../report/rateAlertLine';
import { renderReport } from '../report/renderReport';
import { chartLibrarySource } from './chartLibrary';
import { CliError, clip, EXIT } from './io';
import { formatSize, InputLimitError, type InputLimits } from './limits';
import { decompressed, lines, readError } from './readInput';
import type { S3ObjectStore, StoredObject, StoredObjectInfo } from './S3ObjectStore';

/*
 * The report made from a store: the analytics rows and rate alerts of a range of days read, added up and rendered
 * as one HTML page. Shared by `pinpoint-stream report` (src/cli/report.ts: a folder or S3, the file written
 * locally) and the daily report function (handlers/report.ts: the stack's archive, the page put back into it).
 * It imports no configuration loader and no command-line parser, so that the function's bundle stays small.
 */

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

export interface MakeReportOptions {
  store: ReportStore;
  /** First and last day, `YYYY-MM-DD` (UTC), and every day between them, in order. */
  from: string;
  to: string;
  days: readonly string[];
  limits: InputLimits;
  /** Objects read at once. */
  concurrency: number;
  /** The chart library's browser build, inlined into the page. */
  chartLibrary: string;
  /** When the page is made (ms since the epoch): its "generated" line. */
  now: number;
  /** Stops the reading between objects. */
  signal?: AbortSignal;
}

export interface MadeReport {
  data: ReportData;
  html: string;
  /** Analytics objects read (0: the page is empty). */
  analyticsObjects: number;
}

/**
 * Reads the analytics rows (`analytics/dt=…/hour=…/…jsonl.gz`, docs/analytics.md) and the rate alerts
 * (`alerts/…/*.jsonl`) of the days asked for — never raw/, normalized/ or quarantine/ — adds them up as they
 * stream in (ReportAccumulator: no row is held), and renders the page. The store is not closed.
 */
export async function makeReport(o: MakeReportOptions): Promise<MadeReport> {
  const { store, days, limits, concurrency, signal } = o;
  const acc = new ReportAccumulator(o.from, o.to, store.name);
  const analytics = await readZone(
    store,
    'analytics',
    days,
    '.jsonl.gz',
    concurrency,
    limits,
    signal,
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
    signal,
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
  if (signal?.aborted === true) throw new CliError(EXIT.interrupted, 'interrupted; no report written');
  const data = acc.result();
  const html = renderReport(data, {
    chartLibrary: o.chartLibrary,
    generatedAt: `${new Date(o.now).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  });
  return { data, html, analyticsObjects: analytics };
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
  signal: AbortSignal | undefined,
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
    while (failure === undefined && signal?.aborted !== true) {
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
  try {
    return chartLibrarySource();
  } catch (err) {
    throw new CliError(EXIT.config, `cannot read the chart library: ${readError(err)}`, { cause: err });
  }
}
