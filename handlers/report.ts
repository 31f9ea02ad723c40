import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { chartLibrarySource } from '../src/cli/chartLibrary';
import {
  DEFAULT_MAX_INFLATE_RATIO,
  DEFAULT_MAX_OBJECT_BYTES,
  DEFAULT_MAX_RECORD_BYTES,
  type InputLimits,
} from '../src/cli/limits';
import { makeReport, s3Store } from '../src/cli/reportRun';
import { S3ObjectStore, s3Client } from '../src/cli/S3ObjectStore';
import { isDay } from '../src/report/analyticsRow';

/**
 * The daily report (`dailyReport=true`, infra/report.yml): at 01:00 UTC an EventBridge schedule invokes this
 * function, which makes `pinpoint-stream report` of yesterday's UTC day over the stack's archive bucket and prefix
 * (the analytics rows and rate alerts of that day, nothing else) and puts the page at
 * `<ARCHIVE_PREFIX>reports/dt=YYYY-MM-DD/report.html`, encrypted as the archive's objects are (SSE-KMS with
 * `ARCHIVE_KMS_KEY_ID`, else SSE-S3). docs/report.md, "The daily report".
 *
 * The day is the one before the scheduled event's `time` (a late or retried delivery still reports the day it
 * was scheduled for), or `{"day": "YYYY-MM-DD"}` for one made by hand (`aws lambda invoke`). Running it again
 * for a day writes the same key: the page of that day is replaced.
 *
 * Environment: `ARCHIVE_BUCKET` (required), `ARCHIVE_PREFIX`, `ARCHIVE_KMS_KEY_ID`, and the S3 client's
 * `SINK_MAX_ATTEMPTS` and `AWS_ENDPOINT_URL_S3` (tests). Its bundle holds the report code and the chart library
 * (inlined by the build: build/esbuild.config.js); the S3 client is the runtime's.
 */

/** A scheduled EventBridge event (its `time`), or a day given by hand. */
export interface ReportEvent {
  time?: string;
  day?: string;
}

export interface ReportResult {
  day: string;
  bucket: string;
  key: string;
  bytes: number;
  analyticsObjects: number;
  records: number;
}

export interface ReportHandlerDeps {
  /** Now, in ms (default Date.now): the day reported when the event has no time, and the page's date. */
  now?: () => number;
  /** The chart library (default: the one the bundle carries). */
  chartLibrary?: () => string;
  /** The S3 client (default: one with the settings of the environment). */
  client?: S3Client;
}

type Env = Readonly<Record<string, string | undefined>>;

/** How long before the Lambda deadline the reading stops: room to fail with a clear error instead of a timeout. */
const DEADLINE_MARGIN_MS = 10_000;

/** The report of one day into the archive; throws (the invocation fails, and Lambda retries it) on any error. */
export async function dailyReport(
  event: ReportEvent,
  env: Env,
  deps: ReportHandlerDeps = {},
  remainingMs?: number,
): Promise<ReportResult> {
  const bucket = nonEmpty(env.ARCHIVE_BUCKET);
  if (bucket === undefined) throw new Error('ARCHIVE_BUCKET is required');
  const prefix = archivePrefix(env.ARCHIVE_PREFIX);
  const kmsKeyId = nonEmpty(env.ARCHIVE_KMS_KEY_ID);
  const now = deps.now?.() ?? Date.now();
  const day = dayOf(event, now);
  const aws = {
    connectTimeoutMs: 1000,
    requestTimeoutMs: 5000,
    maxAttempts: attempts(env.SINK_MAX_ATTEMPTS),
    ...(nonEmpty(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL) !== undefined && {
      s3Endpoint: nonEmpty(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL),
    }),
  };
  const client = deps.client ?? s3Client({ aws });
  const store = s3Store(new S3ObjectStore({ aws }, client), bucket, prefix);
  // The CLI's caps on one object (docs/cli.md): an analytics object is well under 1 MiB.
  const limits: InputLimits = {
    maxBytes: DEFAULT_MAX_OBJECT_BYTES,
    unit: 'object',
    maxBytesOption: 'the report function’s cap',
    maxInflateRatio: DEFAULT_MAX_INFLATE_RATIO,
    maxRecordBytes: DEFAULT_MAX_RECORD_BYTES,
  };
  try {
    const made = await makeReport({
      store,
      from: day,
      to: day,
      days: [day],
      limits,
      concurrency: 8,
      chartLibrary: (deps.chartLibrary ?? chartLibrarySource)(),
      now,
      ...(remainingMs !== undefined && {
        signal: AbortSignal.timeout(Math.max(1000, remainingMs - DEADLINE_MARGIN_MS)),
      }),
    });
    const key = `${prefix}reports/dt=${day}/report.html`;
    const body = Buffer.from(made.html, 'utf8');
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: 'text/html; charset=utf-8',
        Metadata: {
          'report-from': day,
          'report-to': day,
          'analytics-objects': String(made.analyticsObjects),
        },
        // As the archive's objects (src/sinks/aws/S3ArchiveSink.ts).
        ...(kmsKeyId !== undefined
          ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: kmsKeyId, BucketKeyEnabled: true }
          : { ServerSideEncryption: 'AES256' }),
      }),
    );
    return {
      day,
      bucket,
      key,
      bytes: body.length,
      analyticsObjects: made.analyticsObjects,
      records: made.data.totals.records,
    };
  } finally {
    if (deps.client === undefined) client.destroy();
  }
}

/** The day to report: `event.day`, else the UTC day before the event's time (or now). */
export function dayOf(event: ReportEvent, now: number): string {
  if (event.day !== undefined) {
    if (!isDay(event.day))
      throw new Error(`day '${String(event.day).slice(0, 40)}' is not a UTC date (YYYY-MM-DD)`);
    return event.day;
  }
  const at = event.time === undefined ? now : Date.parse(event.time);
  if (!Number.isFinite(at)) throw new Error(`time '${String(event.time).slice(0, 40)}' is not a timestamp`);
  return new Date(at - 86_400_000).toISOString().slice(0, 10);
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/** `ARCHIVE_PREFIX` as the archive writes it: empty, or ending in exactly one `/`. */
function archivePrefix(value: string | undefined): string {
  const v = nonEmpty(value)?.replace(/^\/+|\/+$/g, '');
  return v === undefined || v === '' ? '' : `${v}/`;
}

function attempts(value: string | undefined): number {
  const v = nonEmpty(value);
  if (v === undefined) return 3;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 10)
    throw new Error(`SINK_MAX_ATTEMPTS='${v}': an integer from 1 to 10`);
  return n;
}

/** The Lambda entry point: one line of JSON in the log for each report written. */
export async function handler(event: ReportEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>) {
  const result = await dailyReport(event ?? {}, process.env, {}, context?.getRemainingTimeInMillis());
  console.log(JSON.stringify({ level: 'INFO', message: 'daily report written', ...result }));
  return result;
}
