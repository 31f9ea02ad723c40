import { execFile } from 'node:child_process';
import {
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { CliIO } from '../../src/cli/io';
import { replayCommand } from '../../src/cli/replay';
import { lambdaContext, loadHandler } from '../helpers/loadHandler';
import { kinesisEvent, TEST_PII_KEY } from '../helpers/runtime';
import { S3Reader } from '../support/s3Reader';
import { type Started, startS3rver } from '../support/servers';
import { SnsTestServer } from '../support/snsServer';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'pinpoint-stream.js');
const BUCKET = 'archive';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:pinpoint-alerts.fifo';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a bin as a child process (asynchronously: s3rver and the SNS server live in this process). */
function run(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; input?: string; bin?: string } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [options.bin ?? BIN, ...args],
      {
        cwd: options.cwd ?? ROOT,
        env: {
          ...process.env,
          PII_HASH_KEY: TEST_PII_KEY,
          ...options.env,
        },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

const temp = (name: string) => mkdtempSync(join(tmpdir(), `cli-it-${name}-`));

describe('the pinpoint-stream bin', () => {
  it.each([
    [[]],
    [['process']],
    [['replay']],
    [['fixtures']],
    [['rules']],
    [['rules', 'check']],
    [['report']],
  ])('prints help for %p with --help, exit 0', async (command: string[]) => {
    const r = await run([...command, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: pinpoint-stream ${command.join(' ')}`.trimEnd()));
    expect(r.stderr).toBe('');
  });

  it('builds its bundle when there is none, and again when a source is newer, never running stale code', async () => {
    // A copy of the package with its own src/ and no dist/; node_modules and events are shared.
    const dir = temp('build');
    mkdirSync(join(dir, 'bin'));
    cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
    for (const file of ['package.json', 'tsconfig.json', 'bin/pinpoint-stream.js']) {
      cpSync(join(ROOT, file), join(dir, file));
    }
    for (const entry of ['node_modules', 'events']) symlinkSync(join(ROOT, entry), join(dir, entry));
    const bin = join(dir, 'bin', 'pinpoint-stream.js');
    const bundle = join(dir, 'dist', 'cli.js');

    const first = await run(['rules', 'check'], { bin, cwd: dir });
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^default rules: valid/);
    const built = statSync(bundle).mtimeMs;

    // Nothing changed: the same bundle runs.
    expect((await run(['--version'], { bin, cwd: dir })).stdout).toBe('0.1.0\n');
    expect(statSync(bundle).mtimeMs).toBe(built);

    // An edit to src/ shows at the next run.
    const main = join(dir, 'src', 'cli', 'main.ts');
    writeFileSync(
      main,
      readFileSync(main, 'utf8').replace("'Routing rules tools.'", "'Routing rules tools, edited.'"),
    );
    const edited = await run(['rules', '--help'], { bin, cwd: dir });
    expect(edited).toMatchObject({ code: 0, stderr: '' });
    expect(edited.stdout).toMatch(/^Routing rules tools, edited\.$/m);
    expect(statSync(bundle).mtimeMs).toBeGreaterThan(built);

    // A source that does not compile: the bin says so and runs nothing.
    writeFileSync(join(dir, 'src', 'cli', 'broken.ts'), 'export const x = ;\n');
    writeFileSync(main, `import './broken';\n${readFileSync(main, 'utf8')}`);
    const broken = await run(['--version'], { bin, cwd: dir });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toBe('');
    expect(broken.stderr).toMatch(/^error: could not build .*dist\/cli\.js/m);
  });

  it('builds its bundle through no symlink planted at a temporary name, however the name is guessed', async () => {
    const dir = temp('plant');
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'dist'));
    cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
    for (const file of ['package.json', 'tsconfig.json', 'bin/pinpoint-stream.js']) {
      cpSync(join(ROOT, file), join(dir, file));
    }
    for (const entry of ['node_modules', 'events']) symlinkSync(join(ROOT, entry), join(dir, entry));
    const outside = temp('plant-outside');
    const victim = join(outside, 'victim.js');
    writeFileSync(victim, '// untouched\n');
    // `<bundle>.<pid>.tmp` for the next few thousand process ids (Linux hands them out in turn): the child that
    // builds is among them.
    const bundle = join(dir, 'dist', 'cli.js');
    const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    const last = Number(readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8'));
    for (let i = 1; i <= 4000; i++) {
      const pid = last + i < pidMax ? last + i : last + i - pidMax + 300;
      symlinkSync(victim, `${bundle}.${pid}.tmp`);
    }

    const r = await run(['--version'], { bin: join(dir, 'bin', 'pinpoint-stream.js'), cwd: dir });
    expect(r).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
    expect(readFileSync(victim, 'utf8')).toBe('// untouched\n');
    expect(lstatSync(bundle).isFile()).toBe(true);
    expect(readdirSync(outside)).toEqual(['victim.js']);
  });

  it('prints nothing but normalized JSON Lines on stdout with process --stdout', async () => {
    const r = await run(['process', '--stdout', 'events/kinesis-mixed.json', 'events/raw/ses.json']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(34 + 11);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ schema_version: 1 });
    expect(r.stderr).toMatch(/^total +53 +45 +0 +8$/m);
  });

  it('reads stdin', async () => {
    const input = require('../../events/raw/eum.json')
      .map((e: unknown) => JSON.stringify(e))
      .join('\n');
    const r = await run(['process', '--stdout', '-'], { input });
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(25);
  });

  it('writes the output folder and prints the summary on stdout', async () => {
    const out = temp('out');
    const r = await run(['process', '--out', out, 'events/raw/email.json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^events\/raw\/email\.json +11 +11 +0 +0$/m);
    expect(r.stdout).toMatch(
      /^Output: .*\/ \(normalized\/, quarantine\/, alerts\/, analytics\/, rollups\/, rates\/\)$/m,
    );
  });

  it('counts into <out>/rates/ and prints the counters with process --rates, and refuses --window', async () => {
    const out = temp('rates');
    const r = await run(['process', '--rates', '--json', '--out', out, 'events/raw/eum.json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    // The EUM SMS samples of 17:00–18:00 (counted by hand): five failed, four rejected, one delivered.
    expect(summary.rates).toContainEqual({
      rule: 'sms-failure-rate-high',
      window: '1h',
      window_start: '2025-11-20T17:00:00.000Z',
      window_end: '2025-11-20T18:00:00.000Z',
      group: { app_id: null, configuration_set: null },
      numerator: 5,
      denominator: 10,
      rate: 0.5,
      threshold: 0.1,
      min_volume: 200,
      alert: null,
    });
    expect(summary.rateCounts.written).toBe(summary.rates.length);
    expect(readdirSync(join(out, 'rates')).length).toBeGreaterThanOrEqual(summary.rates.length);
    const again = JSON.parse(
      (await run(['process', '--rates', '--json', '--out', out, 'events/raw/eum.json'])).stdout,
    );
    expect(again.rates).toEqual(summary.rates);
    expect(again.rateCounts).toMatchObject({ written: 0, alreadyApplied: summary.rates.length });

    const gone = await run(['process', '--window', '5m', 'events/raw/eum.json']);
    expect(gone).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: --window is gone: each rate rule counts over its own window (window: in the rules file, default 1h); --rates prints the rates\n',
    });
  });

  it('exits 1 on a missing input, 2 on bad rules, 3 on a sink failure, with one line on stderr', async () => {
    const missing = await run(['process', 'no-such-file.jsonl']);
    expect(missing).toEqual({
      code: 1,
      stdout: '',
      stderr: "error: cannot read 'no-such-file.jsonl': ENOENT: no such file or directory\n",
    });

    const dir = temp('codes');
    writeFileSync(
      join(dir, 'rules.yaml'),
      'version: 1\nrules:\n  - { name: y, match: { family: emial }, action: drop }\n',
    );
    const badRules = await run(['process', '--stdout', 'events/raw/email.json'], {
      env: { RULES_FILE: join(dir, 'rules.yaml') },
    });
    expect(badRules.code).toBe(2);
    expect(badRules.stdout).toBe('');
    expect(badRules.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^error: .*match\.family: 'emial' is not one of/),
    ]);
    expect((await run(['rules', 'check', join(dir, 'rules.yaml')])).code).toBe(2);

    writeFileSync(join(dir, 'file'), '');
    const sink = await run(['process', '--out', join(dir, 'file'), 'events/raw/email.json']);
    expect(sink.code).toBe(3);
    expect(sink.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^error: could not write the output of /),
    ]);

    expect((await run(['process', '--no-such-option', 'x'])).code).toBe(1);
    expect((await run(['process', '--strict', '--stdout', 'events/kinesis-mixed.json'])).code).toBe(1);
  });
});

describe('replay from S3 (s3rver) to the AWS sinks', () => {
  let s3: Started;
  let sns: SnsTestServer;
  let snsUrl: string;
  let reader: S3Reader;
  let originalAlerts: string[];

  const sinkEnv = (prefix: string): Record<string, string> => ({
    SINKS: 'aws',
    ARCHIVE_BUCKET: BUCKET,
    ARCHIVE_PREFIX: prefix,
    ALERT_TOPIC_ARN: TOPIC,
    AWS_ENDPOINT_URL_S3: s3.url,
    AWS_ENDPOINT_URL_SNS: snsUrl,
    PII_HASH_KEY: TEST_PII_KEY,
    LOG_LEVEL: 'silent',
  });

  beforeAll(async () => {
    s3 = await startS3rver([BUCKET]);
    sns = new SnsTestServer();
    snsUrl = await sns.start();
    reader = new S3Reader(s3.url, BUCKET);
    const handler = loadHandler<KinesisStreamEvent, KinesisStreamBatchResponse>('kinesis', sinkEnv('A'));
    for (const name of ['email', 'mixed', 'sms']) {
      expect(await handler(kinesisEvent(name), lambdaContext())).toEqual({ batchItemFailures: [] });
    }
    originalAlerts = sns.delivered.map((m) => m.deduplicationId as string).sort();
  });

  afterAll(async () => {
    await sns.stop();
    await s3.stop();
  });

  const zones = async (prefix: string) =>
    new Map([
      ...(await reader.snapshot(`${prefix}/normalized/`)),
      ...[...(await reader.snapshot(`${prefix}/quarantine/`))].map(([k, v]) => [`q/${k}`, v] as const),
    ]);

  it('refuses to overwrite normalized objects hashed with another PII key, and overwrites those of its own', async () => {
    const before = await zones('A');
    const key = [...before.keys()][0] as string;
    expect((await reader.read(`A/normalized/${key}`)).metadata['pii-key-fingerprint']).toMatch(
      /^[0-9a-f]{16}$/,
    );
    const dir = temp('replay-key');
    const args = ['replay', '--bucket', BUCKET, '--prefix', 'A/', '--no-alerts'];
    const wrongKey = await run([...args, '--checkpoint', join(dir, 'wrong.json')], {
      env: { ...sinkEnv('A'), PII_HASH_KEY: 'another-key-0123456789abcdef' },
      cwd: dir,
    });
    expect(wrongKey.code).not.toBe(0);
    expect(wrongKey.stderr).toMatch(/was hashed with another PII key \(fingerprint [0-9a-f]{16}\)/);
    expect(await zones('A')).toEqual(before);
    const sameKey = await run([...args, '--checkpoint', join(dir, 'same.json')], {
      env: sinkEnv('A'),
      cwd: dir,
    });
    expect(sameKey.stderr).toBe('');
    expect(sameKey.code).toBe(0);
    expect(await zones('A')).toEqual(before);
  });

  it('writes the normalized and quarantine objects of the original run under the same keys, and is safe to re-run', async () => {
    const dir = temp('replay');
    const args = ['replay', '--bucket', BUCKET, '--prefix', 'A/', '--checkpoint', join(dir, 'cp.json')];
    const accepted = sns.accepted.length;
    const r = await run(args, { env: sinkEnv('B'), cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^3 objects replayed, 0 skipped/);

    const original = await zones('A');
    expect(original.size).toBeGreaterThan(5);
    expect(await zones('B')).toEqual(original);
    const metadata = async (p: string) =>
      (await reader.read(`${p}/normalized/${[...original.keys()][0]}`)).metadata;
    expect(await metadata('B')).toEqual(await metadata('A'));
    // The same alerts again, with the same ids: the FIFO topic accepts them and delivers none twice.
    expect(
      sns.accepted
        .slice(accepted)
        .map((m) => m.deduplicationId)
        .sort(),
    ).toEqual(originalAlerts);
    expect(sns.delivered.map((m) => m.deduplicationId).sort()).toEqual(originalAlerts);

    const again = await run(args, { env: sinkEnv('B'), cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^0 objects replayed, 3 skipped/);
  });

  it('counts nothing by default, and with --rates publishes the rate alerts only with --send-rate-alerts', async () => {
    const dir = temp('replay-rates');
    const rules = join(dir, 'rules.yaml');
    writeFileSync(
      rules,
      [
        'version: 1',
        'rules:',
        '  - { name: sms-trouble, kind: rate, numerator: [failed, rejected], denominator: [delivered, failed, rejected], match: { channel: SMS }, threshold: 0.1, min_volume: 1, severity: low }',
        '',
      ].join('\n'),
    );
    const env = { ...sinkEnv('E'), RULES_FILE: rules };
    const rateMessages = () => sns.accepted.filter((m) => m.attributes.kind === 'rate');
    const before = rateMessages().length;
    const args = (cp: string, ...more: string[]) => [
      'replay',
      '--bucket',
      BUCKET,
      '--prefix',
      'A/',
      '--restart',
      '--checkpoint',
      join(dir, cp),
      ...more,
    ];

    const plain = await run(args('plain.json', '--json'), { env, cwd: dir });
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout)).not.toHaveProperty('rates');
    expect(rateMessages()).toHaveLength(before);

    const printed = await run(args('printed.json', '--rates', '--json'), { env, cwd: dir });
    expect(printed.stderr).toBe('');
    expect(printed.code).toBe(0);
    const counted = JSON.parse(printed.stdout);
    expect(counted.rateAlertsSent).toBe(false);
    expect(counted.rateAlerts.length).toBeGreaterThan(0);
    expect(counted.rates.filter((r: { alert: string | null }) => r.alert === 'claimed')).toHaveLength(
      counted.rateAlerts.length,
    );
    expect(rateMessages()).toHaveLength(before);

    const sent = await run(args('sent.json', '--rates', '--send-rate-alerts', '--json'), { env, cwd: dir });
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    const json = JSON.parse(sent.stdout);
    expect(json.rateAlertsSent).toBe(true);
    const published = rateMessages().slice(before);
    expect(
      published.map((m) => JSON.parse(m.message.split('--- alert JSON ---\n')[1] as string).alert_id).sort(),
    ).toEqual(json.rateAlerts.map((a: { alert_id: string }) => a.alert_id).sort());
    expect(json.rates.filter((r: { alert: string | null }) => r.alert === 'sent')).toHaveLength(
      json.rateAlerts.length,
    );
    // Nothing is left in the temporary stores, and nothing of the rates is written to the archive.
    expect(await reader.keys('E/rollups/')).toEqual([]);
  });

  it('resumes an interrupted replay from its checkpoint', async () => {
    const dir = temp('resume');
    const controller = new AbortController();
    const io = (signal?: AbortSignal): CliIO => ({
      stdout: { write: () => {} },
      stderr: { write: () => {} },
      env: sinkEnv('C'),
      cwd: dir,
      ...(signal !== undefined && { signal }),
    });
    const opts = { bucket: BUCKET, prefix: 'A', concurrency: 1, alerts: false };
    expect(await replayCommand(opts, io(controller.signal), { onObjectDone: () => controller.abort() })).toBe(
      130,
    );
    expect((await reader.keys('C/normalized/')).length).toBeGreaterThan(0);
    expect(await replayCommand(opts, io())).toBe(0);
    expect(await zones('C')).toEqual(await zones('A'));
  });

  it('exits 1 with one line when the bucket cannot be listed, and leaves no checkpoint', async () => {
    const dir = temp('nobucket');
    const r = await run(['replay', '--bucket', 'no-such-bucket'], { env: sinkEnv('D'), cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^error: cannot list s3:\/\/no-such-bucket\/raw\/: NoSuchBucket/),
    ]);
    expect(readdirSync(dir)).toEqual([]);
  });
});
