import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { dailyReport, dayOf, handler } from '../../handlers/report';
import { chartLibrarySource } from '../../src/cli/chartLibrary';
import { reportCommand } from '../../src/cli/report';
import { writeStream } from '../helpers/analyticsStream';
import { FaultProxy } from '../support/faultProxy';
import { type Started, startS3rver } from '../support/servers';
import { captureIO, tempDir } from '../unit/cli/cliIO';

/**
 * The daily report function (handlers/report.ts) against s3rver: three days of analytics rows and rate alerts
 * under an archive prefix, the report of yesterday put back under reports/, read back, and compared with what
 * `pinpoint-stream report` writes for the same day from the same bucket. A proxy in front of s3rver records the
 * requests (what was listed, read and written, and the encryption asked for, which s3rver does not store).
 */

const BUCKET = 'archive';
const PREFIX = 'prod/';
const SCHEDULED = '2026-12-08T01:00:00Z';
const NOW = Date.parse('2026-12-08T01:00:04Z');

let s3: Started;
let proxy: FaultProxy;
let url: string;
let client: S3Client;
let dir: string;

beforeAll(async () => {
  dir = tempDir('daily-report');
  // 2026-12-06 to 2026-12-08, with rate alerts: the analytics/ and alerts/ zones of an archive.
  writeStream(join(dir, 'out'), {
    seed: 21,
    start: '2026-12-06T00:00:00.000Z',
    hours: 72,
    objectsPerHour: 2,
    rowsPerObject: 25,
    alertsPerDay: 3,
    spikes: [30],
  });
  s3 = await startS3rver([BUCKET]);
  proxy = new FaultProxy(s3.url);
  url = await proxy.start();
  client = new S3Client({ endpoint: s3.url, region: 'us-east-1', forcePathStyle: true });
  const files = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(d, e.name)) : [join(d, e.name)],
    );
  const root = join(dir, 'out');
  for (const path of files(root)) {
    const key = relative(root, path);
    await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}${key}`, Body: readFileSync(path) }),
    );
  }
  // What the report must never read: the records themselves.
  for (const zone of ['raw', 'normalized', 'quarantine', 'rollups']) {
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `${PREFIX}${zone}/dt=2026-12-07/hour=10/x.jsonl.gz`,
        Body: gzipSync('{"recipient":"someone@example.com"}\n'),
      }),
    );
  }
}, 60_000);

afterAll(async () => {
  client?.destroy();
  await proxy?.stop();
  await s3?.stop();
});

const env = (extra: Record<string, string> = {}) => ({
  ARCHIVE_BUCKET: BUCKET,
  ARCHIVE_PREFIX: PREFIX,
  AWS_ENDPOINT_URL_S3: url,
  ...extra,
});

async function read(key: string) {
  const out = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return {
    text: (await out.Body?.transformToString('utf8')) ?? '',
    contentType: out.ContentType,
    metadata: out.Metadata,
  };
}

async function keys(prefix: string): Promise<string[]> {
  const out = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key as string);
}

describe('the daily report function', () => {
  it('puts yesterday’s report into reports/dt=YYYY-MM-DD/report.html, as `report` writes it for that day', async () => {
    proxy.sent.length = 0;
    const result = await dailyReport({ time: SCHEDULED }, env(), { now: () => NOW });
    expect(result).toMatchObject({
      day: '2026-12-07',
      bucket: BUCKET,
      key: 'prod/reports/dt=2026-12-07/report.html',
      analyticsObjects: 48,
    });
    expect(result.records).toBeGreaterThan(1000);
    const page = await read(result.key);
    expect(page.contentType).toBe('text/html; charset=utf-8');
    expect(page.metadata).toEqual({
      'report-from': '2026-12-07',
      'report-to': '2026-12-07',
      'analytics-objects': '48',
    });
    expect(Buffer.byteLength(page.text)).toBe(result.bytes);
    expect(page.text.startsWith('<!doctype html>')).toBe(true);
    // The chart library is in the page: it opens with no network.
    expect(page.text).toContain(chartLibrarySource().slice(0, 2000));

    // The same page as the command's, from the same bucket, for the same day, at the same time.
    const { io } = captureIO({ cwd: dir, now: () => NOW, env: { AWS_ENDPOINT_URL_S3: s3.url } });
    const code = await reportCommand(
      { from: '2026-12-07', to: '2026-12-07', bucket: BUCKET, prefix: 'prod', out: 'cli.html', json: false },
      io,
    );
    expect(code).toBe(0);
    expect(page.text).toBe(readFileSync(join(dir, 'cli.html'), 'utf8'));
  });

  it('reads analytics/ of that day and alerts/ only, and writes reports/ only, encrypted as the archive', async () => {
    proxy.sent.length = 0;
    await dailyReport({ time: SCHEDULED }, env(), { now: () => NOW });
    const requests = proxy.sent.map((r) => ({ method: r.method, url: new URL(r.path, url) }));
    const lists = requests
      .filter((r) => r.method === 'GET' && r.url.searchParams.has('list-type'))
      .map((r) => r.url.searchParams.get('prefix'));
    expect(lists.sort()).toEqual(['prod/alerts/', 'prod/analytics/dt=2026-12-07/']);
    const gets = requests
      .filter((r) => r.method === 'GET' && !r.url.searchParams.has('list-type'))
      .map((r) => decodeURIComponent(r.url.pathname));
    expect(gets.length).toBeGreaterThan(48);
    for (const g of gets) expect(g).toMatch(/^\/archive\/prod\/(analytics\/dt=2026-12-07|alerts)\//);
    const puts = proxy.sent.filter((r) => r.method === 'PUT');
    expect(puts.map((p) => decodeURIComponent(p.path.split('?')[0] as string))).toEqual([
      '/archive/prod/reports/dt=2026-12-07/report.html',
    ]);
    // No archive key given: SSE-S3, as the archive's sinks write.
    expect(puts[0]?.headers['x-amz-server-side-encryption']).toBe('AES256');
    expect(puts[0]?.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBeUndefined();

    proxy.sent.length = 0;
    const keyArn = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';
    await dailyReport({ time: SCHEDULED }, env({ ARCHIVE_KMS_KEY_ID: keyArn }), { now: () => NOW });
    expect(proxy.sent.filter((r) => r.method === 'PUT').map((p) => p.headers)).toEqual([
      expect.objectContaining({
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': keyArn,
        'x-amz-server-side-encryption-bucket-key-enabled': 'true',
      }),
    ]);
  });

  it('reports the day given by hand, and replaces that day’s page when run again', async () => {
    const first = await dailyReport({ day: '2026-12-06' }, env(), { now: () => NOW });
    expect(first).toMatchObject({ day: '2026-12-06', key: 'prod/reports/dt=2026-12-06/report.html' });
    const again = await dailyReport({ day: '2026-12-06' }, env(), { now: () => NOW + 3_600_000 });
    expect(again.records).toBe(first.records);
    expect(await keys('prod/reports/dt=2026-12-06/')).toEqual(['prod/reports/dt=2026-12-06/report.html']);
    expect((await read(again.key)).text).toContain('2026-12-08 02:00 UTC');
  });

  it('writes an empty page for a day without rows, under an archive without a prefix too', async () => {
    const result = await dailyReport({ time: '2026-12-21T01:00:00Z' }, env(), { now: () => NOW });
    expect(result).toMatchObject({ day: '2026-12-20', analyticsObjects: 0, records: 0 });
    const top = await dailyReport({ day: '2026-12-07' }, env({ ARCHIVE_PREFIX: '' }), { now: () => NOW });
    expect(top).toMatchObject({ key: 'reports/dt=2026-12-07/report.html', analyticsObjects: 0 });
    expect(await keys('reports/')).toEqual(['reports/dt=2026-12-07/report.html']);
  });

  it('fails on a row that is not an analytics row, and writes nothing for that day', async () => {
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'prod/analytics/dt=2026-12-10/hour=00/kinesis/s/b.jsonl.gz',
        Body: gzipSync('{"kind":"messages","hour":"2026-12-10T00:00:00.000Z"}\n'),
      }),
    );
    await expect(dailyReport({ day: '2026-12-10' }, env(), { now: () => NOW })).rejects.toThrow(
      /s3:\/\/archive\/prod\/analytics\/dt=2026-12-10\/hour=00\/kinesis\/s\/b\.jsonl\.gz:1: not an analytics row/,
    );
    expect(await keys('prod/reports/dt=2026-12-10/')).toEqual([]);
  });

  it('refuses a configuration or an event it cannot use', async () => {
    await expect(dailyReport({}, { ...env(), ARCHIVE_BUCKET: '' })).rejects.toThrow(
      'ARCHIVE_BUCKET is required',
    );
    await expect(dailyReport({ day: '2026-02-30' }, env())).rejects.toThrow(/not a UTC date/);
    await expect(dailyReport({ time: 'yesterday' }, env())).rejects.toThrow(/not a timestamp/);
    await expect(dailyReport({}, env({ SINK_MAX_ATTEMPTS: '0' }))).rejects.toThrow(/SINK_MAX_ATTEMPTS/);
  });

  it('runs as the Lambda entry point, with the environment, and logs one line', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, env());
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const result = await handler({ day: '2026-12-08' }, { getRemainingTimeInMillis: () => 300_000 });
      expect(result).toMatchObject({ day: '2026-12-08', key: 'prod/reports/dt=2026-12-08/report.html' });
      expect(log).toHaveBeenCalledTimes(1);
      expect(JSON.parse(log.mock.calls[0]?.[0] as string)).toMatchObject({
        message: 'daily report written',
        day: '2026-12-08',
      });
    } finally {
      log.mockRestore();
      process.env = saved;
    }
  });
});

describe('the day reported', () => {
  it('is the UTC day before the scheduled time, whenever the event is delivered', () => {
    expect(dayOf({ time: '2026-12-08T01:00:00Z' }, 0)).toBe('2026-12-07');
    expect(dayOf({ time: '2027-01-01T01:00:00Z' }, 0)).toBe('2026-12-31');
    expect(dayOf({ time: '2028-03-01T01:00:00Z' }, 0)).toBe('2028-02-29');
    // Without a time: the day before now.
    expect(dayOf({}, Date.parse('2026-12-08T23:59:59Z'))).toBe('2026-12-07');
    expect(dayOf({ day: '2026-11-30' }, 0)).toBe('2026-11-30');
  });
});
