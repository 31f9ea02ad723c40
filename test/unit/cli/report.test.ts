import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { AnalyticsMessagesRow } from '../../../src/analytics/analyticsRow';
import { runCli } from '../../../src/cli/main';
import { FolderStore, type ReportStore, reportCommand, s3Store } from '../../../src/cli/report';
import type { StoredObjectInfo } from '../../../src/cli/S3ObjectStore';
import { captureIO, nonBlankLines, tempDir } from './cliIO';

const LIBRARY = 'window.Chart = function () {};';

function put(dir: string, key: string, data: string | Buffer): void {
  const path = join(dir, key);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}

const gz = (rows: readonly object[]) => gzipSync(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));

const row = (over: Partial<AnalyticsMessagesRow> = {}): AnalyticsMessagesRow => ({
  kind: 'messages',
  hour: '2026-12-07T09:00:00.000Z',
  source: 'ses',
  family: 'email',
  channel: 'EMAIL',
  configuration_set: 'marketing',
  campaign: 'spring-sale',
  outcome: 'delivered',
  mailbox_provider: 'gmail',
  count: 100,
  ...over,
});

/** A folder holding an analytics object, a rate alert, and zones the report must never read. */
function folder(): string {
  const dir = tempDir('report');
  put(
    dir,
    'analytics/dt=2026-12-07/hour=09/kinesis/s/batch-1.jsonl.gz',
    gz([
      row(),
      row({ outcome: 'bounced', count: 4, bounce_type: 'permanent', bounce_sub_type: 'General' }),
      { kind: 'quarantine', hour: '2026-12-07T09:00:00.000Z', reason: 'invalid_json', count: 2 },
    ]),
  );
  put(dir, 'analytics/dt=2026-12-07/hour=09/kinesis/s/batch-1.jsonl.gz.meta.json', '{}');
  put(
    dir,
    'analytics/dt=2026-12-08/hour=00/kinesis/s/batch-2.jsonl.gz',
    gz([
      row({ hour: '2026-12-08T00:00:00.000Z', channel: 'SMS', family: 'sms', outcome: 'failed', count: 3 }),
    ]),
  );
  // Outside the range: not read.
  put(dir, 'analytics/dt=2026-12-09/hour=00/kinesis/s/batch-3.jsonl.gz', 'not even gzip');
  put(
    dir,
    'alerts/dt=2026-12-07/hour=09/kinesis/s/window.jsonl',
    `${JSON.stringify({
      kind: 'rate',
      alert_id: 'a1',
      rule: 'email-bounce-rate-high',
      severity: 'high',
      window: { start: '2026-12-07T09:00:00.000Z', end: '2026-12-07T09:05:00.000Z' },
      group: { configuration_set: 'marketing' },
      numerator: 4,
      denominator: 104,
      rate: 4 / 104,
      threshold: 0.05,
    })}\n${JSON.stringify({ kind: 'event', rule: 'ses-complaint', count: 1 })}\n`,
  );
  // The zones a report never reads: each would fail the report if it were.
  for (const zone of ['raw', 'normalized', 'quarantine', 'rollups']) {
    put(dir, `${zone}/dt=2026-12-07/hour=09/kinesis/s/batch-1.jsonl.gz`, 'not an analytics object');
  }
  return dir;
}

async function cli(args: string[], cwd: string) {
  const cap = captureIO({ cwd });
  const code = await runCli(['report', ...args], cap.io);
  return { code, stdout: cap.stdout(), stderr: cap.stderr() };
}

describe('report', () => {
  it('writes one HTML file from the analytics rows of the range, and prints its name', async () => {
    const dir = folder();
    const r = await cli(['--from', '2026-12-07', '--to', '2026-12-08', '--dir', '.'], dir);
    expect(r).toMatchObject({ code: 0, stdout: 'report.html\n', stderr: '' });
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('spring-sale');
    // Chart.js itself, from node_modules, inlined.
    expect(html).toContain('Chart.js v4');
  });

  it('prints the same numbers as JSON with --json, outcomes by the schema, groups by their values', async () => {
    const dir = folder();
    const r = await cli(
      ['--from', '2026-12-07', '--to', '2026-12-08', '--dir', dir, '--json', '-o', 'r/x.html'],
      dir,
    );
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({
      file: join('r', 'x.html'),
      from: '2026-12-07',
      to: '2026-12-08',
      granularity: 'hour',
      input: { analyticsObjects: 2, alertObjects: 1, messageRows: 3, quarantineRows: 1 },
      totals: { records: 107, outcomes: { delivered: 100, bounced: 4, failed: 3 } },
      rates: { email: { bounce: { numerator: 4, denominator: 104, threshold: 0.05, over: false } } },
      quarantine: { total: 2, reasons: { rows: [{ reason: 'invalid_json', count: 2 }] } },
      rateAlerts: { available: true, total: 1, shown: [{ rule: 'email-bounce-rate-high' }] },
    });
    expect(json.groups.campaign.rows).toEqual([
      expect.objectContaining({
        value: 'spring-sale',
        records: 107,
        outcomes: { delivered: 100, bounced: 4, failed: 3 },
      }),
    ]);
    expect(json.groups.configuration_set.rows[0].value).toBe('marketing');
    expect(existsSync(join(dir, 'r', 'x.html'))).toBe(true);
  });

  it('reads analytics/ and alerts/ of the days asked, never raw/, normalized/ or quarantine/', async () => {
    const dir = folder();
    const inner = new FolderStore(dir, dir);
    const walked: string[] = [];
    const got: string[] = [];
    const store: ReportStore = {
      name: inner.name,
      remote: false,
      walk: (prefix) => {
        walked.push(prefix);
        return inner.walk(prefix);
      },
      get: (key) => {
        got.push(key);
        return inner.get(key);
      },
      where: (key) => inner.where(key),
      close: () => {},
    };
    const { io } = captureIO({ cwd: dir });
    const code = await reportCommand({ from: '2026-12-06', to: '2026-12-08', dir }, io, {
      store,
      chartLibrary: LIBRARY,
    });
    expect(code).toBe(0);
    expect(walked).toEqual([
      'analytics/dt=2026-12-06/',
      'analytics/dt=2026-12-07/',
      'analytics/dt=2026-12-08/',
      'alerts/',
    ]);
    expect(got.sort()).toEqual([
      'alerts/dt=2026-12-07/hour=09/kinesis/s/window.jsonl',
      'analytics/dt=2026-12-07/hour=09/kinesis/s/batch-1.jsonl.gz',
      'analytics/dt=2026-12-08/hour=00/kinesis/s/batch-2.jsonl.gz',
    ]);
  });

  it("reads a batch's rate alerts wherever the batch filed them, and no other alerts out of the range", async () => {
    const dir = folder();
    const rate = (id: string, start: string) =>
      JSON.stringify({
        kind: 'rate',
        alert_id: id,
        rule: 'sms-trouble',
        severity: 'low',
        window: { start, end: start },
        group: {},
        numerator: 9,
        denominator: 10,
        rate: 0.9,
        threshold: 0.25,
      });
    // A batch files its rate alerts under its first record's hour (2019 here), whatever their windows: a file
    // given to `process` may hold records of 2019 and of the range.
    put(
      dir,
      'alerts/dt=2019-03-20/hour=18/file/sms.json/0123456789abcdef.rates.jsonl',
      `${rate('w1', '2019-03-20T18:00:00.000Z')}\n${rate('w2', '2026-12-08T05:00:00.000Z')}\n`,
    );
    // An ordinary batch's alerts of another day: not read (not even parsed).
    put(dir, 'alerts/dt=2019-03-20/hour=18/kinesis/s/x.jsonl', 'not JSON\n');
    const r = await cli(['--from', '2026-12-07', '--to', '2026-12-08', '--dir', '.', '--json'], dir);
    expect(r.stderr).toBe('');
    const json = JSON.parse(r.stdout);
    expect(json.rateAlerts.shown.map((a: { alert_id: string }) => a.alert_id)).toEqual(['a1', 'w2']);
    expect(json.input.alertObjects).toBe(2);
  });

  it.each([
    [
      ['--from', '2026-02-30', '--to', '2026-03-01', '--dir', '.'],
      "error: --from '2026-02-30' is not a UTC date (YYYY-MM-DD)",
    ],
    [
      ['--from', '2026-12-07', '--to', '7 Dec', '--dir', '.'],
      "error: --to '7 Dec' is not a UTC date (YYYY-MM-DD)",
    ],
    [
      ['--from', '2026-12-08', '--to', '2026-12-07', '--dir', '.'],
      'error: --from 2026-12-08 is after --to 2026-12-07',
    ],
    [['--to', '2026-12-07', '--dir', '.'], 'error: --from is required: a UTC date, YYYY-MM-DD'],
    [
      ['--from', '2026-12-07', '--to', '2026-12-07'],
      'error: give --dir DIR (a local output folder) or --bucket B (the S3 archive)',
    ],
    [
      ['--from', '2026-12-07', '--to', '2026-12-07', '--dir', '.', '--bucket', 'b'],
      'error: --dir and --bucket cannot be used together: give one place to read',
    ],
    [
      ['--from', '2026-12-07', '--to', '2026-12-07', '--dir', '.', '--prefix', 'p/'],
      'error: --prefix goes with --bucket: with --dir, give the folder itself',
    ],
    [
      ['--from', '2025-01-01', '--to', '2026-12-07', '--dir', '.'],
      'error: --from 2025-01-01 --to 2026-12-07 is 706 days; a report covers at most 366',
    ],
    [
      ['--from', '2026-12-07', '--to', '2026-12-07', '--dir', 'nope'],
      "error: cannot read 'nope': ENOENT: no such file or directory",
    ],
  ])('refuses %j with one line, exit 1', async (args, message) => {
    const dir = tempDir('report-usage');
    const r = await cli(args, dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`${message}\n`);
    expect(r.stdout).toBe('');
    expect(existsSync(join(dir, 'report.html'))).toBe(false);
  });

  it('names the object and line of a row that is not an analytics row', async () => {
    const dir = tempDir('report-bad');
    put(dir, 'analytics/dt=2026-12-07/hour=09/kinesis/s/b.jsonl.gz', gz([row(), { hour: 'x', count: 1 }]));
    const r = await cli(['--from', '2026-12-07', '--to', '2026-12-07', '--dir', '.'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: ${join(dir, 'analytics/dt=2026-12-07/hour=09/kinesis/s/b.jsonl.gz')}:2: not an analytics row: no kind\n`,
    );
    put(dir, 'analytics/dt=2026-12-07/hour=09/kinesis/s/b.jsonl.gz', gzipSync('{"kind":"messages",\n'));
    expect((await cli(['--from', '2026-12-07', '--to', '2026-12-07', '--dir', '.'], dir)).stderr).toMatch(
      /b\.jsonl\.gz:1: not an analytics row: not JSON\n$/,
    );
  });

  it('holds objects to the caps: size, inflation, line length', async () => {
    const dir = tempDir('report-caps');
    const key = 'analytics/dt=2026-12-07/hour=09/kinesis/s/b.jsonl.gz';
    put(dir, key, gz(Array.from({ length: 200 }, () => row())));
    const args = ['--from', '2026-12-07', '--to', '2026-12-07', '--dir', '.'];
    const listed = await cli([...args, '--max-object-size', '100'], dir);
    expect(listed.code).toBe(1);
    expect(listed.stderr).toMatch(
      /^error: .*b\.jsonl\.gz: \d+ bytes, more than 100 bytes, the cap on one object; --max-object-size raises it\n$/,
    );
    const inflated = await cli([...args, '--max-object-size', '1KiB'], dir);
    expect(inflated.code).toBe(1);
    expect(inflated.stderr).toMatch(
      /^error: .*b\.jsonl\.gz: more than 1 KiB once decompressed, the cap on one object; --max-object-size raises it\n$/,
    );
    const line = await cli([...args, '--max-record-size', '100'], dir);
    expect(line.code).toBe(1);
    expect(line.stderr).toMatch(
      /^error: .*b\.jsonl\.gz: line 1: a line is longer than 100 bytes.*--max-record-size raises it\n$/,
    );
    // 2 MiB of blank lines in a few KB: a decompression bomb.
    put(dir, key, gzipSync(Buffer.alloc(2 * 1024 * 1024, '\n'), { level: 9 }));
    const bomb = await cli(args, dir);
    expect(bomb.code).toBe(1);
    expect(bomb.stderr).toMatch(
      /gzip data inflating more than 250 times its size .*--max-inflate-ratio raises it\n$/,
    );
  });

  it('exits 3 when the page cannot be written', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'afile'), '');
    const r = await cli(
      ['--from', '2026-12-07', '--to', '2026-12-07', '--dir', '.', '-o', 'afile/report.html'],
      dir,
    );
    expect(r.code).toBe(3);
    expect(nonBlankLines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: could not write .*afile\/report\.html: /);
  });

  it('warns on stderr when the range holds no analytics rows, and still writes the page', async () => {
    const dir = tempDir('report-empty');
    const r = await cli(['--from', '2026-12-07', '--to', '2026-12-07', '--dir', '.'], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: no analytics rows from 2026-12-07 to 2026-12-07 in folder \. /);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('No messages in this range.');
  });
});

describe('report from S3', () => {
  /** A fake S3 over a map of keys, recording what is listed and read. */
  function fakeS3(objects: Record<string, string | Buffer>) {
    const listed: string[] = [];
    const read: string[] = [];
    return {
      listed,
      read,
      s3: {
        async *walk(bucket: string, prefix: string): AsyncGenerator<StoredObjectInfo> {
          expect(bucket).toBe('archive');
          listed.push(prefix);
          for (const [key, body] of Object.entries(objects).sort()) {
            if (key.startsWith(prefix)) yield { key, size: Buffer.byteLength(body) };
          }
        },
        async get(bucket: string, key: string) {
          expect(bucket).toBe('archive');
          read.push(key);
          const body = objects[key] as string | Buffer;
          return { body: Readable.from([Buffer.from(body)]), metadata: {}, size: Buffer.byteLength(body) };
        },
        close() {},
      },
    };
  }

  it('reads under the prefix, and says rate alerts went to SNS when the bucket has no alerts/', async () => {
    const fake = fakeS3({ 'prod/analytics/dt=2026-12-07/hour=09/kinesis/s/b.jsonl.gz': gz([row()]) });
    const cap = captureIO();
    const out = join(tempDir('report-s3'), 'r.html');
    const code = await reportCommand(
      { from: '2026-12-07', to: '2026-12-07', bucket: 'archive', prefix: 'prod', out, json: true },
      cap.io,
      { store: s3Store(fake.s3, 'archive', 'prod/'), chartLibrary: LIBRARY },
    );
    expect(code).toBe(0);
    const json = JSON.parse(cap.stdout());
    expect(json).toMatchObject({ source: 's3://archive/prod/', totals: { records: 100 } });
    expect(json.rateAlerts).toMatchObject({ available: false, total: 0 });
    expect(fake.listed).toEqual(['prod/analytics/dt=2026-12-07/', 'prod/alerts/']);
    expect(fake.read).toEqual(['prod/analytics/dt=2026-12-07/hour=09/kinesis/s/b.jsonl.gz']);
    expect(readFileSync(out, 'utf8')).toContain('from S3 they go to the SNS topic');
  });

  it('lists the alerts of an alerts/ prefix when there is one (none in range: none fired)', async () => {
    const fake = fakeS3({
      'analytics/dt=2026-12-07/hour=09/kinesis/s/b.jsonl.gz': gz([row()]),
      'alerts/dt=2026-11-01/hour=09/kinesis/s/w.jsonl': '{"kind":"event"}\n',
    });
    const cap = captureIO();
    await reportCommand(
      {
        from: '2026-12-07',
        to: '2026-12-07',
        bucket: 'archive',
        out: join(tempDir('r'), 'r.html'),
        json: true,
      },
      cap.io,
      { store: s3Store(fake.s3, 'archive', ''), chartLibrary: LIBRARY },
    );
    expect(JSON.parse(cap.stdout()).rateAlerts).toMatchObject({ available: true, total: 0 });
  });

  it('names the bucket and prefix when listing fails', async () => {
    const store = s3Store(
      {
        // biome-ignore lint/correctness/useYield: fails before its first object
        async *walk() {
          throw new Error('AccessDenied: not allowed');
        },
        get: async () => {
          throw new Error('not reached');
        },
        close() {},
      },
      'archive',
      'prod/',
    );
    const cap = captureIO();
    await expect(
      reportCommand({ from: '2026-12-07', to: '2026-12-07', bucket: 'archive' }, cap.io, {
        store,
        chartLibrary: LIBRARY,
      }),
    ).rejects.toMatchObject({ exitCode: 1 });
    await expect(
      reportCommand({ from: '2026-12-07', to: '2026-12-07', bucket: 'archive' }, cap.io, {
        store,
        chartLibrary: LIBRARY,
      }),
    ).rejects.toThrow('cannot list s3://archive/prod/analytics/dt=2026-12-07/: AccessDenied: not allowed');
  });
});
