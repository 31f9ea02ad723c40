import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { TEST_PII_KEY } from '../helpers/runtime';
import { type Started, startS3rver } from '../support/servers';

/**
 * The CLI's caps on input (src/cli/limits.ts), measured on the bin in a child process: a hostile input is an
 * error within seconds, in bounded memory, and a huge count of tiny records does not make memory grow. Before
 * the caps, a 398 KB gzip of one 400 MiB line peaked at 4.8 GiB, and a 38 KB gzip of `[{},…]` ran 2.5 minutes
 * to 3.0 GiB.
 */
jest.setTimeout(180_000);

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'pinpoint-stream.js');
const PEAK = join(ROOT, 'test', 'support', 'peakRss.cjs');
const MiB = 1024 * 1024;
/** Peak RSS allowed for an input refused at once: Node and the bundle take about 90 MB. */
const REFUSED_PEAK_MB = 200;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
  peakMb: number;
}

const temp = (name: string) => mkdtempSync(join(tmpdir(), `cli-limits-${name}-`));

/** Runs the bin in a child, killed after `timeoutMs`, with its peak RSS. */
function run(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
) {
  const rss = join(temp('rss'), 'peak');
  const started = performance.now();
  return new Promise<Run>((resolve) => {
    execFile(
      process.execPath,
      ['--require', PEAK, BIN, ...args],
      {
        cwd: options.cwd ?? temp('cwd'),
        env: {
          ...process.env,
          PII_HASH_KEY: TEST_PII_KEY,
          LOG_LEVEL: 'silent',
          PEAK_RSS_FILE: rss,
          ...options.env,
        },
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 * MiB,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({
          code,
          stdout,
          stderr,
          seconds: (performance.now() - started) / 1000,
          peakMb: existsSync(rss) ? Number(readFileSync(rss, 'utf8')) / 1024 : Number.NaN,
        });
      },
    );
  });
}

/**
 * A gzip file of `head`, `body` repeated `times` and `tail`, as concatenated gzip members (RFC 1952 allows
 * several; gunzip reads them as one stream): a bomb of any size, built in milliseconds.
 */
function gzipBomb(head: string, body: Buffer, times: number, tail: string): Buffer {
  const member = gzipSync(body, { level: 9 });
  return Buffer.concat([gzipSync(head), ...Array.from({ length: times }, () => member), gzipSync(tail)]);
}

beforeAll(async () => {
  // The bundle is built (or found fresh) once, before anything is measured.
  expect((await run(['--version'])).code).toBe(0);
});

describe('process on hostile input', () => {
  it('refuses a gzip of one giant line within seconds, in bounded memory', async () => {
    const dir = temp('line');
    // One line of 256 MiB in 260 KB: `{"event_type":"AAAA…"}`.
    const file = join(dir, 'line.json.gz');
    writeFileSync(file, gzipBomb('{"event_type":"', Buffer.alloc(16 * MiB, 'A'), 16, '"}\n'));
    const r = await run(['process', '--out', join(dir, 'out'), file]);
    expect(r.stderr).toMatch(
      /^error: .*line\.json\.gz: gzip data inflating more than 250 times its size .*--max-inflate-ratio raises it\n$/,
    );
    expect(r.code).toBe(1);
    expect(r.seconds).toBeLessThan(10);
    expect(r.peakMb).toBeLessThan(REFUSED_PEAK_MB);
  });

  it('refuses a gzip of `[{},{},…]` (13 million records from 40 KB) within seconds, having written nothing', async () => {
    const dir = temp('array');
    const file = join(dir, 'array.json.gz');
    writeFileSync(file, gzipBomb('[', Buffer.alloc(3 * MiB, '{},'), 13, '{}]\n'));
    const r = await run(['process', '--out', join(dir, 'out'), file]);
    expect(r.stderr).toMatch(/^error: .*array\.json\.gz: gzip data inflating more than 250 times/);
    expect(r.code).toBe(1);
    expect(r.seconds).toBeLessThan(10);
    expect(r.peakMb).toBeLessThan(REFUSED_PEAK_MB);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('refuses a plain file of one 64 MiB line at the record cap, without holding the line', async () => {
    const dir = temp('plain');
    const file = join(dir, 'line.jsonl');
    writeFileSync(file, `{"event_type":"_email.send"}\n{"event_type":"${'x'.repeat(64 * MiB)}"}\n`);
    const r = await run(['process', '--out', join(dir, 'out'), file]);
    expect(r.stderr).toMatch(
      /^error: .*line\.jsonl: line 2: a JSON value is longer than 8 MiB, the cap on one record .*--max-record-size raises it\n$/,
    );
    expect(r.code).toBe(1);
    expect(r.seconds).toBeLessThan(10);
    expect(r.peakMb).toBeLessThan(REFUSED_PEAK_MB);
  });

  it('keeps memory flat however many tiny records a JSON array holds: streamed, not parsed whole', async () => {
    const dir = temp('count');
    const peaks: number[] = [];
    for (const count of [250_000, 1_000_000]) {
      const file = join(dir, `array-${count}.json`);
      writeFileSync(file, `[${'{},'.repeat(count - 1)}{}]\n`);
      const r = await run(['process', '--json', '--out', join(dir, `out-${count}`), file], {
        timeoutMs: 120_000,
      });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ records: count, poison: count });
      peaks.push(r.peakMb);
    }
    // Four times the records, about the same peak (it grew by 240 MB when the array was parsed whole).
    expect((peaks[1] as number) - (peaks[0] as number)).toBeLessThan(60);
  });
});

describe('replay on hostile raw objects (s3rver)', () => {
  let s3: Started;
  const BUCKET = 'archive';
  const prefix = 'raw/dt=2025-11-20/hour=12/kinesis/pinpoint-events/';
  const line = `${JSON.stringify({ id: '1', approximate_arrival_ms: 1763640000000, data: '{}' })}\n`;

  beforeAll(async () => {
    s3 = await startS3rver([BUCKET]);
  });

  afterAll(async () => {
    await s3.stop();
  });

  const put = async (base: string, key: string, body: Buffer) => {
    const client = new S3Client({ endpoint: s3.url, forcePathStyle: true, region: 'us-east-1' });
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${base}/${prefix}${key}`, Body: body }));
    client.destroy();
  };

  const replay = (base: string, extra: string[] = []) => {
    const dir = temp('replay');
    return run(['replay', '--bucket', BUCKET, '--prefix', base, ...extra], {
      cwd: dir,
      env: { SINKS: 'local', LOCAL_SINK_DIR: join(dir, 'out'), AWS_ENDPOINT_URL_S3: s3.url },
    });
  };

  it('refuses a raw object that is a gzip bomb within seconds, in bounded memory', async () => {
    // 1.3 million raw lines (64 MiB) in 200 KB: the old replay inflated it whole and ran it as one batch.
    await put(
      'bomb',
      'shardId-000000000000_1_2.jsonl.gz',
      gzipBomb('', Buffer.from(line.repeat(21_000)), 64, ''),
    );
    const r = await replay('bomb');
    expect(r.stderr).toMatch(
      /^error: s3:\/\/archive\/bomb\/raw\/.*\.jsonl\.gz: gzip data inflating more than 250 times its size .*--max-inflate-ratio raises it\n$/,
    );
    expect(r.code).toBe(1);
    expect(r.seconds).toBeLessThan(10);
    expect(r.peakMb).toBeLessThan(REFUSED_PEAK_MB);
  });

  it('refuses a raw object larger than --max-object-size before reading it', async () => {
    await put(
      'big',
      'shardId-000000000000_1_2.jsonl.gz',
      gzipSync(Buffer.alloc(2 * MiB, line), { level: 0 }),
    );
    const r = await replay('big', ['--max-object-size', '1MiB']);
    expect(r.stderr).toMatch(
      /^error: s3:\/\/archive\/big\/raw\/.*: 2 MiB \(its size as listed\), more than 1 MiB, the cap on one raw object; --max-object-size raises it\n$/,
    );
    expect(r.code).toBe(1);
  });
});
