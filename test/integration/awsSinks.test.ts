import type {
  FirehoseTransformationEvent,
  FirehoseTransformationResult,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
} from 'aws-lambda';
import { toKinesisEvent } from '../../src/fixtures/wrap';
import { lambdaContext, loadHandler } from '../helpers/loadHandler';
import { firehoseEvent, kinesisEvent, rawEvents, TEST_PII_KEY } from '../helpers/runtime';
import { closedPortUrl, FaultProxy } from '../support/faultProxy';
import { S3Reader } from '../support/s3Reader';
import { type Started, startS3rver } from '../support/servers';
import { type SnsMessage, SnsTestServer } from '../support/snsServer';

jest.setTimeout(60_000);

const BUCKET = 'archive';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:pinpoint-alerts.fifo';

let s3: Started;
let proxy: FaultProxy;
let proxyUrl: string;
let sns: SnsTestServer;
let snsUrl: string;
let reader: S3Reader;
let deadUrl: string;

beforeAll(async () => {
  s3 = await startS3rver([BUCKET]);
  proxy = new FaultProxy(s3.url);
  proxyUrl = await proxy.start();
  sns = new SnsTestServer();
  snsUrl = await sns.start();
  reader = new S3Reader(s3.url, BUCKET);
  deadUrl = await closedPortUrl();
});

afterAll(async () => {
  await proxy.stop();
  await sns.stop();
  await s3.stop();
});

beforeEach(() => {
  proxy.fault = { kind: 'pass' };
  proxy.requests = 0;
  proxy.sent.length = 0;
  sns.reset();
});

// The server refuses what SNS refuses: no test here may send SNS a message it would not take.
afterEach(() => expect(sns.rejected).toEqual([]));

let prefixCounter = 0;
const newPrefix = (name: string) => `${name}-${++prefixCounter}`;

function env(prefix: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    SINKS: 'aws',
    ARCHIVE_BUCKET: BUCKET,
    ARCHIVE_PREFIX: prefix,
    ALERT_TOPIC_ARN: TOPIC,
    AWS_ENDPOINT_URL_S3: proxyUrl,
    AWS_ENDPOINT_URL_SNS: snsUrl,
    PII_HASH_KEY: TEST_PII_KEY,
    LOG_LEVEL: 'silent',
    SINK_CONNECT_TIMEOUT_MS: '300',
    SINK_REQUEST_TIMEOUT_MS: '800',
    SINK_MAX_ATTEMPTS: '2',
    DEADLINE_MARGIN_MS: '1000',
    ...overrides,
  };
}

const kinesis = (e: Record<string, string>) =>
  loadHandler<KinesisStreamEvent, KinesisStreamBatchResponse>('kinesis', e);
const firehose = (e: Record<string, string>) =>
  loadHandler<FirehoseTransformationEvent, FirehoseTransformationResult>('firehose', e);

/** Batches with alerts (email, mixed, sms) and one without (app: no shipped rule covers app events). */
const BATCHES = ['email', 'mixed', 'sms', 'app'] as const;

/** The PutObject requests the proxy saw for objects under a prefix, with their keys (path-style requests). */
const putObjectsUnder = (prefix: string) =>
  proxy.sent
    .filter((r) => r.method === 'PUT')
    .map((r) => ({ ...r, key: decodeURIComponent(r.path.split('?')[0] ?? '').replace(`/${BUCKET}/`, '') }))
    .filter((r) => r.key.startsWith(`${prefix}/`));
const allSeqs = (event: KinesisStreamEvent) => event.Records.map((r) => r.kinesis.sequenceNumber);

/** What a clean run of the Kinesis batches stores: objects (by key below the prefix) and delivered alert ids. */
interface CleanRun {
  objects: Map<string, string[]>;
  alertIds: string[];
  /** Rules that alerted, per batch. */
  rules: Record<string, string[]>;
}

async function cleanKinesisRun(): Promise<CleanRun> {
  const prefix = newPrefix('clean');
  const handler = kinesis(env(prefix, { AWS_ENDPOINT_URL_S3: s3.url }));
  const rules: Record<string, string[]> = {};
  for (const name of BATCHES) {
    const before = sns.delivered.length;
    expect(await handler(kinesisEvent(name), lambdaContext())).toEqual({ batchItemFailures: [] });
    rules[name] = sns.delivered.slice(before).map((m) => m.attributes.rule as string);
  }
  const alertIds = sns.delivered.map((m) => m.deduplicationId as string).sort();
  sns.reset();
  return { objects: await reader.snapshot(`${prefix}/`), alertIds, rules };
}

let clean: CleanRun;
beforeAll(async () => {
  clean = await cleanKinesisRun();
});

const PII = [/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/, /\+\d{7,15}/, /\b(?:\d{1,3}\.){3}\d{1,3}\b/];

describe('S3 archive and SNS alerts over HTTP', () => {
  it('stores gzip JSON Lines objects with reader metadata and SSE, and publishes filterable alerts', async () => {
    const prefix = newPrefix('shape');
    const handler = kinesis(env(prefix));
    const event = kinesisEvent('email');
    await handler(event, lambdaContext());
    const keys = await reader.keys(`${prefix}/`);
    const rawKey = keys.find((k) => k.startsWith(`${prefix}/raw/dt=`)) as string;
    expect(rawKey).toMatch(
      new RegExp(
        `^${prefix}/raw/dt=\\d{4}-\\d{2}-\\d{2}/hour=\\d{2}/kinesis/pinpoint-events/shardId-000000000002_\\d+_\\d+\\.jsonl\\.gz$`,
      ),
    );
    const raw = await reader.read(rawKey);
    expect(raw.lines).toHaveLength(event.Records.length);
    expect(raw.contentType).toBe('application/x-ndjson');
    expect(raw.contentEncoding).toBe('gzip');
    expect(raw.metadata).toMatchObject({
      origin: 'kinesis',
      stream: 'pinpoint-events',
      shard: 'shardId-000000000002',
      'first-id': event.Records[0]?.kinesis.sequenceNumber,
      'last-id': event.Records[event.Records.length - 1]?.kinesis.sequenceNumber,
      'record-count': String(event.Records.length),
    });
    // s3rver stores no encryption, so what counts is what the SDK sent: SSE-S3 on every PutObject.
    const puts = putObjectsUnder(prefix);
    expect(puts.map((p) => p.key)).toContain(rawKey);
    for (const put of puts) {
      expect(put.headers['x-amz-server-side-encryption']).toBe('AES256');
      expect(put.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBeUndefined();
    }

    expect(sns.delivered.length).toBeGreaterThan(0);
    for (const m of sns.delivered) {
      expect(Object.keys(m.attributes).sort()).toEqual([
        'app_id',
        'event_type',
        'family',
        'kind',
        'rule',
        'severity',
        'source',
      ]);
      expect(m.groupId).toBe(m.attributes.rule);
      expect(m.deduplicationId).toMatch(/^[0-9a-f]{32}$/);
      expect(m.subject).toMatch(/^\[(HIGH|MEDIUM|LOW|CRITICAL|INFO)\] /);
      expect(m.message).toContain(`Alert id: ${m.deduplicationId}`);
      for (const re of PII) expect(`${m.subject}\n${m.message}`).not.toMatch(re);
    }
  });

  it('asks for SSE-KMS with the configured key and an S3 Bucket Key on every PutObject', async () => {
    const prefix = newPrefix('kms');
    const keyArn = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';
    const handler = kinesis(env(prefix, { ARCHIVE_KMS_KEY_ID: keyArn }));
    expect(await handler(kinesisEvent('mixed'), lambdaContext())).toEqual({ batchItemFailures: [] });
    const puts = putObjectsUnder(prefix);
    expect(new Set(puts.map((p) => p.key.split('/')[1]))).toEqual(
      new Set(['raw', 'normalized', 'quarantine', 'rollups', 'analytics']),
    );
    for (const put of puts) {
      expect(put.headers).toMatchObject({
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': keyArn,
        'x-amz-server-side-encryption-bucket-key-enabled': 'true',
      });
    }
  });

  it('splits PublishBatch calls at 10 entries', async () => {
    const prefix = newPrefix('split');
    // 12 rules that all match every email event: 12 alerts for one batch.
    const rules = {
      version: 1,
      include_defaults: false,
      rules: Array.from({ length: 12 }, (_, i) => ({
        name: `all-email-${i}`,
        match: { family: 'email' },
        action: 'alert',
        severity: 'low',
      })),
    };
    const handler = kinesis(env(prefix, { RULES_FILE: writeTemp(JSON.stringify(rules)) }));
    expect(await handler(kinesisEvent('email'), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(sns.delivered).toHaveLength(12);
    expect(sns.requests).toBe(2);
  });

  type Case = {
    name: string;
    env?: () => Record<string, string>;
    arrange?: () => void;
    remainingMs?: number;
    expectS3Requests?: 'none' | 'some';
    /** Which batches the fault affects, given the rules that alert on them; default: every batch. */
    affects?: (rules: string[]) => boolean;
  };
  const withAlerts = (rules: string[]) => rules.length > 0;
  const cases: Case[] = [
    { name: 'S3 is down (connection refused)', env: () => ({ AWS_ENDPOINT_URL_S3: deadUrl }) },
    {
      name: 'S3 answers 500',
      arrange: () => (proxy.fault = { kind: 'status', status: 500, code: 'InternalError' }),
    },
    {
      name: 'S3 answers 503 SlowDown',
      arrange: () => (proxy.fault = { kind: 'status', status: 503, code: 'SlowDown' }),
    },
    {
      name: 'S3 is slower than the request timeout',
      arrange: () => (proxy.fault = { kind: 'delay', ms: 3000 }),
    },
    { name: 'S3 drops connections', arrange: () => (proxy.fault = { kind: 'reset' }) },
    { name: 'SNS is down', env: () => ({ AWS_ENDPOINT_URL_SNS: deadUrl }), affects: withAlerts },
    { name: 'SNS answers 500', arrange: () => (sns.failStatus = 500), affects: withAlerts },
    {
      name: 'PublishBatch reports some entries failed',
      arrange: () => (sns.failEntry = (e: SnsMessage) => e.attributes.rule === 'email-complaint'),
      affects: (rules) => rules.includes('email-complaint'),
    },
    { name: 'the deadline is too close to start', remainingMs: 500, expectS3Requests: 'none' },
    {
      name: 'the deadline arrives while S3 is slow',
      remainingMs: 1800,
      env: () => ({ SINK_REQUEST_TIMEOUT_MS: '30000' }),
      arrange: () => (proxy.fault = { kind: 'delay', ms: 20_000 }),
    },
  ];

  it('has batches with and without alerts to tell the cases apart', () => {
    expect(clean.rules.email).toEqual(expect.arrayContaining(['email-complaint', 'email-hard-bounce']));
    expect(clean.rules.mixed).toEqual(expect.arrayContaining(['eum-protect-blocked', 'eum-text-invalid']));
    expect(clean.rules.sms?.length).toBeGreaterThan(0);
    expect(clean.rules.app).toEqual([]);
  });

  it.each(cases)(
    'acknowledges nothing affected when $name, and a healthy retry stores exactly what a clean run does',
    async (c) => {
      const prefix = newPrefix('fault');
      const faulty = kinesis(env(prefix, c.env?.() ?? {}));
      c.arrange?.();
      const started = Date.now();
      for (const name of BATCHES) {
        const event = kinesisEvent(name);
        const res = await faulty(event, lambdaContext(c.remainingMs ?? 60_000));
        const affected = c.affects?.(clean.rules[name] ?? []) ?? true;
        expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(affected ? allSeqs(event) : []);
      }
      if (c.remainingMs !== undefined)
        expect(Date.now() - started).toBeLessThan(c.remainingMs * BATCHES.length);
      if (c.expectS3Requests === 'none') expect(proxy.requests).toBe(0);

      proxy.fault = { kind: 'pass' };
      sns.failStatus = undefined;
      sns.failEntry = () => false;
      const healthy = kinesis(env(prefix));
      for (const name of BATCHES) {
        expect(await healthy(kinesisEvent(name), lambdaContext())).toEqual({ batchItemFailures: [] });
      }
      const objects = await reader.snapshot(`${prefix}/`);
      expect([...objects.keys()]).toEqual([...clean.objects.keys()]);
      for (const [key, lines] of clean.objects) expect(objects.get(key)).toEqual(lines);
      // FIFO deduplication by the deterministic alert id: every alert once, none twice.
      expect(sns.delivered.map((m) => m.deduplicationId).sort()).toEqual(clean.alertIds);
    },
  );
});

describe('alerts too big for SNS as they are', () => {
  /** SES permanent bounces whose bounce sub type and message id are 140 KB, with a lone surrogate in them. */
  function hugeBounces(count: number): KinesisStreamEvent {
    const bounce = rawEvents('ses').find((e) => e.eventType === 'Bounce') as Record<string, unknown>;
    const records = Array.from({ length: count }, (_, i) => {
      const event = structuredClone(bounce) as {
        bounce: { bounceSubType: string };
        mail: { messageId: string };
      };
      event.bounce.bounceSubType = `General\ud800${'x'.repeat(140_000)}`;
      event.mail.messageId = `${i}-${'m'.repeat(140_000)}`;
      return { data: Buffer.from(JSON.stringify(event)), arrivalMs: Date.UTC(2025, 10, 20, 19) + i };
    });
    return toKinesisEvent(records, { shardId: 'shardId-000000000009' });
  }

  it('delivers them cut to fit, instead of failing the batch on every retry, and sends the same alert again on a retry', async () => {
    const prefix = newPrefix('huge-alerts');
    const handler = kinesis(env(prefix, { ALERT_SAMPLE_SIZE: '20' }));
    const event = hugeBounces(5);
    expect(await handler(event, lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(sns.rejected).toEqual([]);
    expect(sns.delivered).toHaveLength(1);
    const message = sns.delivered[0] as SnsMessage;
    expect(message.attributes.rule).toBe('ses-permanent-bounce');
    expect(Buffer.byteLength(message.message)).toBeLessThan(262_144);
    const alert = JSON.parse(message.message.slice(message.message.indexOf('--- alert JSON ---\n') + 19));
    expect(alert.count).toBe(5);
    expect(alert.samples).toHaveLength(5);
    for (const sample of alert.samples) {
      expect(sample.bounce_sub_type).toMatch(/^General\ud800x+…\[truncated \d+ chars\]$/);
      expect(sample.message_id).toMatch(/^\d-m+…\[truncated \d+ chars\]$/);
    }
    expect(message.message).toContain('bounce_sub_type=General\ufffdxxx');

    const retried = await handler(hugeBounces(5), lambdaContext());
    expect(retried).toEqual({ batchItemFailures: [] });
    expect(sns.accepted.map((m) => m.deduplicationId)).toEqual([
      message.deduplicationId,
      message.deduplicationId,
    ]);
    expect(sns.accepted[1]?.message).toBe(message.message);
    expect(sns.delivered).toHaveLength(1);
  });
});

describe('Firehose path over HTTP', () => {
  it('fails the invocation when SNS rejects an alert, and a retry publishes the same alert ids', async () => {
    const prefix = newPrefix('firehose');
    const handler = firehose(env(prefix));
    sns.failEntry = (e) => e.attributes.rule === 'ses-complaint';
    // The handler module is loaded afresh (its own copy of src/errors): errors are compared by name.
    await expect(handler(firehoseEvent('ses'), lambdaContext())).rejects.toMatchObject({
      name: 'DeliveryError',
      retryable: true,
      errors: [expect.objectContaining({ name: 'SinkError', sink: 'alerts' })],
    });
    const firstIds = sns.accepted.map((m) => m.deduplicationId);
    sns.failEntry = () => false;
    const res = await handler(firehoseEvent('ses'), lambdaContext());
    expect(res.records.every((r) => r.result === 'Ok')).toBe(true);
    const ids = new Set(sns.delivered.map((m) => m.deduplicationId));
    // ses-permanent-bounce, ses-complaint, ses-reject, ses-rendering-failure
    expect(ids.size).toBe(4);
    for (const id of firstIds) expect(ids.has(id)).toBe(true);
  });

  it('fails the invocation when the quarantine, the rollups and the analytics rows cannot be written', async () => {
    const prefix = newPrefix('firehose-q');
    const handler = firehose(env(prefix, { AWS_ENDPOINT_URL_S3: deadUrl }));
    const failed = await handler(firehoseEvent('mixed'), lambdaContext()).then(
      () => undefined,
      (err: unknown) => err as { name: string; retryable: boolean; message: string; errors: Error[] },
    );
    expect(failed).toMatchObject({ name: 'DeliveryError', retryable: true });
    const puts = (failed?.errors ?? []).map((e) => {
      expect(e).toMatchObject({ name: 'SinkError', sink: 'archive' });
      return /^PutObject s3:\/\/[^/]+\/[^/]+\/([a-z]+)\//.exec(e.message)?.[1];
    });
    // One quarantine object (the batch has poison), one rollups and one analytics object per hour of the
    // records' arrival.
    expect(puts.filter((zone) => zone === 'quarantine')).toHaveLength(1);
    expect(puts.filter((zone) => zone === 'rollups').length).toBeGreaterThan(0);
    expect(puts.filter((zone) => zone === 'analytics').length).toBeGreaterThan(0);
    expect(puts.every((zone) => zone === 'quarantine' || zone === 'rollups' || zone === 'analytics')).toBe(
      true,
    );
    expect(failed?.message).toMatch(
      new RegExp(`^${puts.length} sink write\\(s\\) failed for firehose:pinpoint-events/`),
    );
    const healthy = firehose(env(prefix));
    const res = await healthy(firehoseEvent('mixed'), lambdaContext());
    expect(res.records.filter((r) => r.result === 'ProcessingFailed')).toHaveLength(8);
    const keys = await reader.keys(`${prefix}/quarantine/`);
    expect(keys).toHaveLength(1);
    expect((await reader.read(keys[0] as string)).lines).toHaveLength(8);
  });
});

function writeTemp(text: string): string {
  const { mkdtempSync, writeFileSync } = require('node:fs') as typeof import('node:fs');
  const { join } = require('node:path') as typeof import('node:path');
  const dir = mkdtempSync(join(require('node:os').tmpdir(), 'rules-'));
  const path = join(dir, 'rules.json');
  writeFileSync(path, text);
  return path;
}
