import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationResult,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
} from 'aws-lambda';

import type { NormalizedRecord } from '../../../src/schema';
import { lambdaContext, loadHandler } from '../../helpers/loadHandler';
import { firehoseEvent, kinesisEvent, TEST_PII_KEY } from '../../helpers/runtime';
import { referenceEventId } from '../../helpers/xxh64';

/**
 * The SES-via-SNS samples (events/*-ses-sns.json: notifications of a topic whose Firehose subscription has no
 * raw message delivery) through both functions: each record is the record of the same SES event delivered bare
 * (events/*-ses.json), but for what the notification and the path decide (docs/schema.md §2, "Envelopes").
 */

/** Set from the notification: its MessageId, and its Timestamp as the arrival time (so dt and hour). */
const FROM_ENVELOPE = ['source_event_id', 'arrival_time', 'dt', 'hour'];
/** Set by the path: the id of the bytes received, and when they entered the stream. */
const FROM_PATH = ['event_id', 'ingest_time'];

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

function without(rec: NormalizedRecord, keys: readonly string[]): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...rec };
  for (const key of keys) delete copy[key];
  return copy;
}

const keyOf = (rec: NormalizedRecord) => `${rec.message_id} ${rec.event_type}`;

/** As `event_id` is defined (docs/schema.md §1): XXH64 of the JSON text received under two seeds. */
const idOf = (base64: string) =>
  referenceEventId(Buffer.from(Buffer.from(base64, 'base64').toString('utf8').trim()));

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function sinkDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sns-${prefix}`));
  dirs.push(dir);
  return dir;
}

const env = (dir: string) => ({ LOCAL_SINK_DIR: dir, PII_HASH_KEY: TEST_PII_KEY, LOG_LEVEL: 'silent' });

/** The normalized records the Kinesis function archived for this batch, by message id and event type. */
async function throughKinesis(event: KinesisStreamEvent): Promise<Map<string, NormalizedRecord>> {
  const dir = sinkDir('eb-kinesis-');
  const handler = loadHandler<KinesisStreamEvent, KinesisStreamBatchResponse>('kinesis', env(dir));
  expect(await handler(event, lambdaContext())).toEqual({ batchItemFailures: [] });
  const records = files(join(dir, 'normalized'))
    .filter((f) => f.endsWith('.jsonl.gz'))
    .flatMap((f) => gunzipSync(readFileSync(f)).toString('utf8').trimEnd().split('\n'))
    .map((line) => JSON.parse(line) as NormalizedRecord);
  expect(records).toHaveLength(event.Records.length);
  return new Map(records.map((r) => [keyOf(r), r]));
}

/** The Firehose function's records for this batch, in input order, with their partition keys. */
async function throughFirehose(event: FirehoseTransformationEvent) {
  const dir = sinkDir('eb-firehose-');
  const handler = loadHandler<FirehoseTransformationEvent, FirehoseTransformationResult>(
    'firehose',
    env(dir),
  );
  const res = await handler(event, lambdaContext());
  expect(res.records.map((r) => r.result)).toEqual(event.records.map(() => 'Ok'));
  return res.records.map((r) => ({
    record: JSON.parse(Buffer.from(r.data ?? '', 'base64').toString('utf8')) as NormalizedRecord,
    partitionKeys: r.metadata?.partitionKeys,
  }));
}

const notificationOf = (base64: string) =>
  JSON.parse(Buffer.from(base64, 'base64').toString('utf8')) as { MessageId: string; Timestamp: string };

describe('SES through SNS, on the Kinesis path', () => {
  it('archives for every notification the record of its bare SES event, plus the notification’s id and time', async () => {
    const wrapped = kinesisEvent('ses-sns');
    const bare = await throughKinesis(kinesisEvent('ses'));
    const records = await throughKinesis(wrapped);
    expect([...records.keys()].sort()).toEqual([...bare.keys()].sort());
    for (const input of wrapped.Records) {
      const notification = notificationOf(input.kinesis.data);
      const rec = [...records.values()].find(
        (r) => r.source_event_id === notification.MessageId,
      ) as NormalizedRecord;
      const expected = bare.get(keyOf(rec)) as NormalizedRecord;
      expect(without(rec, [...FROM_ENVELOPE, ...FROM_PATH])).toEqual(
        without(expected, [...FROM_ENVELOPE, ...FROM_PATH]),
      );
      const time = new Date(notification.Timestamp).toISOString();
      expect(rec).toMatchObject({
        source: 'ses',
        event_id: idOf(input.kinesis.data),
        arrival_time: time,
        dt: time.slice(0, 10),
        hour: time.slice(11, 13),
        ingest_time: new Date(Math.round(input.kinesis.approximateArrivalTimestamp * 1000)).toISOString(),
      });
      expect(rec.event_id).not.toBe(expected.event_id);
    }
  });
});

describe('SES through SNS, on the Firehose path', () => {
  it('returns for every notification the record of its bare SES event, partitioned by the notification’s time', async () => {
    const wrapped = firehoseEvent('ses-sns');
    const bare = await throughFirehose(firehoseEvent('ses'));
    const out = await throughFirehose(wrapped);
    expect(out).toHaveLength(bare.length);
    out.forEach(({ record: rec, partitionKeys }, i) => {
      const input = wrapped.records[i] as FirehoseTransformationEvent['records'][number];
      const notification = notificationOf(input.data);
      const expected = bare[i]?.record as NormalizedRecord;
      expect(keyOf(rec)).toBe(keyOf(expected));
      expect(without(rec, [...FROM_ENVELOPE, ...FROM_PATH])).toEqual(
        without(expected, [...FROM_ENVELOPE, ...FROM_PATH]),
      );
      const time = new Date(notification.Timestamp).toISOString();
      expect(rec).toMatchObject({
        source_event_id: notification.MessageId,
        event_id: idOf(input.data),
        arrival_time: time,
        ingest_time: new Date(input.approximateArrivalTimestamp).toISOString(),
      });
      expect(partitionKeys).toEqual({
        source: 'ses',
        family: rec.family,
        dt: time.slice(0, 10),
        hour: time.slice(11, 13),
      });
    });
  });
});

describe('a notification of another publisher on the topic (events/*-mixed.json)', () => {
  it('is delivered as source sns, family unknown, on both paths, its message not copied', async () => {
    const isPlain = (base64: string) =>
      Buffer.from(base64, 'base64').toString('utf8').includes('Release 2025');
    const kinesis = kinesisEvent('mixed');
    kinesis.Records = kinesis.Records.filter((r) => isPlain(r.kinesis.data));
    const firehose = firehoseEvent('mixed');
    firehose.records = firehose.records.filter((r) => isPlain(r.data));
    expect([kinesis.Records.length, firehose.records.length]).toEqual([1, 1]);

    const [fromKinesis] = [...(await throughKinesis(kinesis)).values()];
    const [fromFirehose] = await throughFirehose(firehose);
    for (const rec of [fromKinesis, fromFirehose?.record]) {
      expect(rec).toMatchObject({
        source: 'sns',
        family: 'unknown',
        outcome: 'other',
        event_type: 'Notification',
        attributes: { sns_topic: 'ses-events' },
      });
      expect(JSON.stringify(rec)).not.toContain('Release');
    }
    expect(fromFirehose?.partitionKeys).toMatchObject({ source: 'sns', family: 'unknown' });
  });
});
