import type { FirehoseTransformationEvent, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { GenRecord } from './arbitraries';
import { type Oracle, oracleOf } from './oracle';

/** One batch as the invariants see it: per record, what was generated and what the envelope carried. */
export interface BatchCase {
  records: readonly GenRecord[];
  /** `sequenceNumber` / `recordId` as sent (the envelope tests send garbage ones too). */
  ids: readonly unknown[];
  /** `data` as sent. */
  datas: readonly unknown[];
  /** Kinesis `partitionKey` as sent. */
  partitionKeys: readonly unknown[];
  oracles: readonly Oracle[];
}

export const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/fuzz-events';
export const DELIVERY_STREAM_ARN = 'arn:aws:firehose:us-east-1:123456789012:deliverystream/fuzz-events';
/** 2025-11-20T14:46:40Z: arrival of the first record of every batch. */
export const ARRIVAL_MS = 1_763_650_000_000;

let batches = 0;

/** Wraps records into a Kinesis event of one shard: distinct sequence numbers in every batch of a run. */
export function kinesisEventOf(records: readonly GenRecord[]): {
  event: KinesisStreamEvent;
  batch: BatchCase;
} {
  const base =
    49_656_178_632_478_946_225_718_230_919_431_271_478_127_036_462_117_879_810n +
    BigInt(batches++) * 10n ** 12n;
  const shard = `shardId-${String(batches % 1000).padStart(12, '0')}`;
  const Records = records.map((r, i): KinesisStreamRecord => {
    const sequenceNumber = (base + BigInt(i) * 1000n).toString();
    return {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: `pk-${i % 5}`,
        sequenceNumber,
        data: r.data,
        approximateArrivalTimestamp: (ARRIVAL_MS + i * 37) / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shard}:${sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/fuzz',
      awsRegion: 'us-east-1',
      eventSourceARN: STREAM_ARN,
    };
  });
  return { event: { Records }, batch: caseOfKinesis(records, { Records }) };
}

/** Wraps records into a Firehose transformation event with distinct record ids. */
export function firehoseEventOf(records: readonly GenRecord[]): {
  event: FirehoseTransformationEvent;
  batch: BatchCase;
} {
  const n = batches++;
  const event: FirehoseTransformationEvent = {
    invocationId: `fuzz-invocation-${n}`,
    deliveryStreamArn: DELIVERY_STREAM_ARN,
    region: 'us-east-1',
    records: records.map((r, i) => ({
      recordId: `4954698668313554428650745793632162567570019247115678${String(n).padStart(6, '0')}${String(i).padStart(6, '0')}`,
      approximateArrivalTimestamp: ARRIVAL_MS + i * 37,
      data: r.data,
    })),
  };
  return { event, batch: caseOfFirehose(records, event) };
}

/** The case of a Kinesis event whose envelopes may have been tampered with after wrapping. */
export function caseOfKinesis(records: readonly GenRecord[], event: { Records?: unknown }): BatchCase {
  const list = Array.isArray(event.Records)
    ? (event.Records as Array<{ kinesis?: Record<string, unknown> }>)
    : [];
  return {
    records,
    ids: list.map((r) => r.kinesis?.sequenceNumber),
    datas: list.map((r) => r.kinesis?.data),
    partitionKeys: list.map((r) => r.kinesis?.partitionKey),
    oracles: list.map((r) => oracleOf(r.kinesis?.data)),
  };
}

/** The case of a Firehose event whose envelopes may have been tampered with after wrapping. */
export function caseOfFirehose(records: readonly GenRecord[], event: { records?: unknown }): BatchCase {
  const list = Array.isArray(event.records) ? (event.records as Array<Record<string, unknown>>) : [];
  return {
    records,
    ids: list.map((r) => r.recordId),
    datas: list.map((r) => r.data),
    partitionKeys: list.map(() => undefined),
    oracles: list.map((r) => oracleOf(r.data)),
  };
}
