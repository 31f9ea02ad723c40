import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AttributeValue, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationResult,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
} from 'aws-lambda';
import { lambdaContext, loadHandler } from '../helpers/loadHandler';
import { rawEvents, TEST_PII_KEY } from '../helpers/runtime';
import { FaultProxy } from '../support/faultProxy';
import { createRateTable, type Started, startDynalite, startS3rver } from '../support/servers';
import { SnsTestServer } from '../support/snsServer';

/**
 * Rate alerts for every source through the shared window store, end to end: the real handlers (a cold start
 * each, configured by their environment, as deployed: SINKS=aws) writing to s3rver, publishing to the SNS test
 * server and counting into dynalite (behind a fault proxy). Two Kinesis shards and a Firehose invocation add to
 * one window; retried batches count once; the alert fires once, when the window crosses; a DynamoDB outage does
 * not hold the batches back.
 */

jest.setTimeout(60_000);

const BUCKET = 'archive';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:pinpoint-alerts';
const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/pinpoint-events';
const DELIVERY_STREAM_ARN = 'arn:aws:firehose:us-east-1:123456789012:deliverystream/pinpoint-events';
const HOUR = Date.parse('2026-12-07T09:00:00.000Z');
const RULE = 'ses-bounce-rate';
const RULES = `version: 1
include_defaults: false
rules:
  - name: ${RULE}
    kind: rate
    numerator: [bounced]
    denominator: [delivered, bounced]
    match: { source: ses }
    group_by: [configuration_set]
    window: 1h
    threshold: 0.1
    min_volume: 100
    severity: high
  - name: ses-campaign-bounce-rate
    kind: rate
    numerator: [bounced]
    denominator: [delivered, bounced]
    match: { source: ses }
    group_by: [attributes.campaign]
    threshold: 0.5
    min_volume: 1000
    severity: medium
`;

let s3: Started;
let dynalite: Started;
let proxy: FaultProxy;
let dynamoUrl: string;
let sns: SnsTestServer;
let snsUrl: string;
let rulesFile: string;
let table = 0;
let tableName: string;
let raw: DynamoDBClient;

const [DELIVERY, BOUNCE] = ((): [Record<string, unknown>, Record<string, unknown>] => {
  const events = rawEvents('ses');
  const find = (type: string) => events.find((e) => e.eventType === type) as Record<string, unknown>;
  return [find('Delivery'), find('Bounce')];
})();

/** An SES event of configuration set `set` (and campaign tag), a unique message id, `bounced` or delivered. */
function sesEvent(i: number, bounced: boolean, set = 'marketing', campaign = 'spring'): Buffer {
  const event = structuredClone(bounced ? BOUNCE : DELIVERY) as { mail: Record<string, unknown> };
  event.mail.messageId = `0100019aa3e1b7c4-${String(i).padStart(8, '0')}-000000`;
  event.mail.tags = { 'ses:configuration-set': [set], campaign: [campaign] };
  return Buffer.from(JSON.stringify(event));
}

/** A Kinesis batch of one shard: events `from`…, arriving one second apart in the hour. */
function kinesisEvent(
  shard: string,
  from: number,
  bounces: (i: number) => boolean,
  n: number,
): KinesisStreamEvent {
  return {
    Records: Array.from({ length: n }, (_, k) => {
      const i = from + k;
      const sequenceNumber = `4965617863247894622571823091943127147812703646${String(1_000_000_000 + i)}`;
      return {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: `pk-${i}`,
          sequenceNumber,
          data: sesEvent(i, bounces(i)).toString('base64'),
          approximateArrivalTimestamp: (HOUR + i * 1000) / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shard}:${sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::123456789012:role/test',
        awsRegion: 'us-east-1',
        eventSourceARN: STREAM_ARN,
      };
    }),
  };
}

function firehoseEvent(
  from: number,
  bounces: (i: number) => boolean,
  n: number,
  sets?: (i: number) => string,
) {
  const event: FirehoseTransformationEvent = {
    invocationId: `inv-${from}`,
    deliveryStreamArn: DELIVERY_STREAM_ARN,
    region: 'us-east-1',
    records: Array.from({ length: n }, (_, k) => {
      const i = from + k;
      return {
        recordId: `4954698668313554428650745793632162567570019247115678${String(i).padStart(4, '0')}`,
        approximateArrivalTimestamp: HOUR + i * 1000,
        data: sesEvent(i, bounces(i), 'marketing', sets?.(i) ?? 'spring').toString('base64'),
      };
    }),
  };
  return event;
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    SINKS: 'aws',
    ARCHIVE_BUCKET: BUCKET,
    ALERT_TOPIC_ARN: TOPIC,
    AWS_ENDPOINT_URL_S3: s3.url,
    AWS_ENDPOINT_URL_SNS: snsUrl,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
    RATE_TABLE: tableName,
    RULES_FILE: rulesFile,
    PII_HASH_KEY: TEST_PII_KEY,
    SINK_MAX_ATTEMPTS: '2',
    SINK_REQUEST_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'silent',
    ...extra,
  };
}

const kinesisHandler = (extra?: Record<string, string>) =>
  loadHandler<KinesisStreamEvent, KinesisStreamBatchResponse>('kinesis', env(extra));
const firehoseHandler = (extra?: Record<string, string>) =>
  loadHandler<FirehoseTransformationEvent, FirehoseTransformationResult>('firehose', env(extra));

/** Every item of the rate table. */
async function items(): Promise<Array<Record<string, AttributeValue>>> {
  const out = await raw.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  return out.Items ?? [];
}

/** The counts of the counters of a rule, by group, as stored. */
async function counters(rule: string): Promise<Map<string, Record<string, number>>> {
  const byGroup = new Map<string, Record<string, number>>();
  for (const item of await items()) {
    if (item.kind?.S !== 'counter' || item.rule?.S !== rule) continue;
    const counts: Record<string, number> = {};
    for (const [name, value] of Object.entries(item)) {
      if (name.startsWith('c:') && value.N !== undefined) counts[name.slice(2)] = Number(value.N);
    }
    byGroup.set(item.group?.S ?? 'other', counts);
  }
  return byGroup;
}

/** The rate alerts SNS accepted, as the JSON each message ends with. */
const rateAlerts = () =>
  sns.accepted
    .filter((m) => m.attributes.kind === 'rate')
    .map((m) => {
      const json = m.message.slice(m.message.lastIndexOf('\n{') + 1);
      return JSON.parse(json) as { rule: string; numerator: number; denominator: number };
    });

/** EMF lines printed while `run` runs (METRICS=on). */
async function metricsOf(run: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    lines.push(...String(chunk).split('\n'));
    return true;
  });
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
    lines.push(...a.map(String).join(' ').split('\n'));
  });
  try {
    await run();
  } finally {
    out.mockRestore();
    log.mockRestore();
  }
  return lines.flatMap((l) => {
    try {
      const j = JSON.parse(l);
      return j._aws !== undefined ? [j as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

beforeAll(async () => {
  [s3, dynalite] = await Promise.all([startS3rver([BUCKET]), startDynalite()]);
  proxy = new FaultProxy(dynalite.url);
  dynamoUrl = await proxy.start();
  sns = new SnsTestServer();
  snsUrl = await sns.start();
  raw = new DynamoDBClient({ endpoint: dynalite.url, region: 'us-east-1' });
  const dir = mkdtempSync(join(tmpdir(), 'rate-alerts-'));
  rulesFile = join(dir, 'rules.yaml');
  writeFileSync(rulesFile, RULES);
});

beforeEach(async () => {
  // A table per test: each starts from empty counters.
  tableName = `rates-${++table}`;
  await createRateTable(dynalite.url, tableName);
  sns.reset();
  proxy.fault = { kind: 'pass' };
  proxy.next = [];
});

afterAll(async () => {
  raw?.destroy();
  await sns.stop();
  await proxy.stop();
  await Promise.all([s3.stop(), dynalite.stop()]);
});

describe('rate alerts through the shared window store', () => {
  it('adds two shards and a Firehose invocation running in parallel into one window, exactly', async () => {
    const [shardA, shardB, firehose] = [kinesisHandler(), kinesisHandler(), firehoseHandler()];
    const every10th = (i: number) => i % 10 === 0;
    const [a, b, f] = await Promise.all([
      shardA(kinesisEvent('shardId-000000000000', 0, every10th, 60), lambdaContext()),
      shardB(kinesisEvent('shardId-000000000001', 1000, every10th, 60), lambdaContext()),
      firehose(firehoseEvent(2000, every10th, 80), lambdaContext()),
    ]);
    expect(a.batchItemFailures).toEqual([]);
    expect(b.batchItemFailures).toEqual([]);
    expect(f.records.map((r) => r.result)).toEqual(Array(80).fill('Ok'));
    const byGroup = await counters(RULE);
    expect([...byGroup.entries()]).toEqual([['["marketing"]', { delivered: 180, bounced: 20 }]]);
    // 20 / 200 = 10% at a volume of 200: the window crossed, and exactly one of the three sent the alert.
    expect(rateAlerts()).toHaveLength(1);
    expect(rateAlerts()[0]).toMatchObject({ rule: RULE });
  });

  it('counts a Kinesis batch and a Firehose invocation retried three times once each', async () => {
    const kinesis = kinesisHandler();
    const firehose = firehoseHandler();
    const kEvent = kinesisEvent('shardId-000000000003', 0, () => false, 30);
    const fEvent = firehoseEvent(100, () => false, 20);
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await kinesis(structuredClone(kEvent), lambdaContext())).batchItemFailures).toEqual([]);
      expect((await firehose(structuredClone(fEvent), lambdaContext())).records).toHaveLength(20);
    }
    // A retry Lambda hands over in another size after a crash: only the records past the mark are new.
    await kinesis(
      kinesisEvent('shardId-000000000003', 0, () => false, 45),
      lambdaContext(),
    );
    expect(await counters(RULE)).toEqual(new Map([['["marketing"]', { delivered: 65 }]]));
    // Nothing is left in flight once the Firehose invocation's marker is settled.
    for (const item of await items()) expect(item.in_flight).toBeUndefined();
  });

  it('fires the alert once, as soon as the window crosses, not at its end', async () => {
    const kinesis = kinesisHandler();
    const shard = 'shardId-000000000004';
    // 90 deliveries: below min_volume. Then 10 bounces: 10/100 = 10% at volume 100 — it crosses.
    await kinesis(
      kinesisEvent(shard, 0, () => false, 90),
      lambdaContext(),
    );
    expect(rateAlerts()).toHaveLength(0);
    await kinesis(
      kinesisEvent(shard, 90, () => true, 10),
      lambdaContext(),
    );
    expect(rateAlerts()).toEqual([expect.objectContaining({ rule: RULE, numerator: 10, denominator: 100 })]);
    // Still over the threshold, from another path: never again for this window and group.
    await firehoseHandler()(
      firehoseEvent(500, () => true, 30),
      lambdaContext(),
    );
    await kinesis(
      kinesisEvent(shard, 100, () => true, 10),
      lambdaContext(),
    );
    expect(rateAlerts()).toHaveLength(1);
    expect(await counters(RULE)).toEqual(new Map([['["marketing"]', { delivered: 90, bounced: 50 }]]));
  });

  it('sets the TTL of every item: the window end plus the retention', async () => {
    await firehoseHandler({ RATE_RETENTION_HOURS: '6' })(
      firehoseEvent(0, () => false, 5),
      lambdaContext(),
    );
    const all = await items();
    expect(all.length).toBeGreaterThan(0);
    const windowEnd = (HOUR + 3_600_000) / 1000;
    for (const item of all) expect(Number(item.expires_at?.N)).toBe(windowEnd + 6 * 3600);
  });

  it('delivers the batches and counts the lost records when DynamoDB throttles or is down', async () => {
    const kinesis = kinesisHandler({ METRICS: 'on' });
    const firehose = firehoseHandler({ METRICS: 'on' });
    proxy.fault = { kind: 'status', status: 400, code: 'ThrottlingException', format: 'json' };
    let k: KinesisStreamBatchResponse | undefined;
    let f: FirehoseTransformationResult | undefined;
    const throttled = await metricsOf(async () => {
      k = await kinesis(
        kinesisEvent('shardId-000000000005', 0, () => false, 25),
        lambdaContext(),
      );
      f = await firehose(
        firehoseEvent(100, () => false, 15),
        lambdaContext(),
      );
    });
    expect(k?.batchItemFailures).toEqual([]);
    expect(f?.records.every((r) => r.result === 'Ok')).toBe(true);
    const dropped = throttled.filter((m) => typeof m.RateCountsDropped === 'number');
    expect(dropped.map((m) => [m.Path, m.RateCountsDropped])).toEqual([
      ['kinesis', 50],
      ['firehose', 30],
    ]);
    // An outage (connections dropped): the same.
    proxy.fault = { kind: 'reset' };
    const down = await metricsOf(async () => {
      k = await kinesis(
        kinesisEvent('shardId-000000000005', 25, () => false, 10),
        lambdaContext(),
      );
    });
    expect(k?.batchItemFailures).toEqual([]);
    expect(down.find((m) => typeof m.RateCountsDropped === 'number')?.RateCountsDropped).toBe(20);
    proxy.fault = { kind: 'pass' };
    expect(await items()).toEqual([]);
  });

  it('writes at most RATE_MAX_COUNTERS counters per invocation, the rest counted in the other group', async () => {
    const firehose = firehoseHandler({ RATE_MAX_COUNTERS: '5', METRICS: 'on' });
    // 30 campaigns: the campaign rule has 30 groups, the configuration-set rule one.
    const metrics = await metricsOf(() =>
      firehose(
        firehoseEvent(
          0,
          () => false,
          90,
          (i) => `campaign-${i % 30}`,
        ),
        lambdaContext(),
      ),
    );
    const counterItems = (await items()).filter((i) => i.kind?.S === 'counter');
    expect(counterItems).toHaveLength(5);
    const campaigns = await counters('ses-campaign-bounce-rate');
    expect(campaigns.has('other')).toBe(true);
    let total = 0;
    for (const counts of campaigns.values()) total += counts.delivered ?? 0;
    expect(total).toBe(90);
    const overflowed = metrics.find((m) => typeof m.RateRecordsOverflowed === 'number');
    expect(overflowed?.RateRecordsOverflowed).toBe(
      (campaigns.get('other') as Record<string, number>).delivered,
    );
  });
});
