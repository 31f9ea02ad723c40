/**
 * Baseline: a typical implementation with Powertools for AWS Lambda — `@aws-lambda-powertools/batch`
 * (BatchProcessor + processPartialResponse for Kinesis) and `@aws-lambda-powertools/parser` (zod schemas for
 * the Firehose record and for the three event shapes), then the same normalization as ours.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { parser } from '@aws-lambda-powertools/batch/parser';
import { KinesisFirehoseRecordSchema } from '@aws-lambda-powertools/parser/schemas/kinesis-firehose';
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda';
import { z } from 'zod';
import type { JsonObject } from '../../src/decode';
import { PiiProtector } from '../../src/pii';
import type { PipelineSettings } from '../../src/pipeline';
import { normalizeLikeUs } from './shared';

const stringMap = z.record(z.string(), z.string().nullable());
const PinpointEvent = z.looseObject({
  event_type: z.string(),
  event_timestamp: z.union([z.number(), z.string()]),
  arrival_timestamp: z.union([z.number(), z.string()]).optional(),
  event_version: z.string().optional(),
  application: z.looseObject({ app_id: z.string() }).optional(),
  client: z.looseObject({ client_id: z.string().optional() }).optional(),
  device: z.looseObject({}).optional(),
  session: z.looseObject({}).optional(),
  attributes: stringMap.optional(),
  metrics: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
  awsAccountId: z.string().optional(),
  facets: z.looseObject({}).optional(),
});
const EumEvent = z.looseObject({
  eventType: z.string(),
  eventVersion: z.string().optional(),
  eventTimestamp: z.number(),
  messageId: z.string().optional(),
  destinationPhoneNumber: z.string().optional(),
  originationPhoneNumber: z.string().optional(),
  messageStatus: z.string().optional(),
  totalMessagePrice: z.number().optional(),
  context: z.record(z.string(), z.unknown()).optional(),
});
const SesEvent = z.looseObject({
  eventType: z.string(),
  mail: z.looseObject({
    timestamp: z.string(),
    source: z.string(),
    messageId: z.string(),
    destination: z.array(z.string()),
    tags: z.record(z.string(), z.array(z.string())).optional(),
  }),
});
const AnyEvent = z.union([PinpointEvent, SesEvent, EumEvent]);

export function powertoolsFirehose(settings: PipelineSettings) {
  return async (event: FirehoseTransformationEvent): Promise<FirehoseTransformationResult> => {
    const pii = new PiiProtector(settings.piiMode, settings.piiKey);
    const records: FirehoseTransformationResultRecord[] = event.records.map((raw) => {
      const parsed = KinesisFirehoseRecordSchema.safeParse(raw);
      if (!parsed.success) return { recordId: raw.recordId, result: 'ProcessingFailed', data: raw.data };
      try {
        const text = parsed.data.data.trim();
        const ev = AnyEvent.parse(JSON.parse(text)) as JsonObject;
        const { record, drop } = normalizeLikeUs(ev, text, raw.approximateArrivalTimestamp, settings, pii);
        if (drop) return { recordId: raw.recordId, result: 'Dropped', data: '' };
        return {
          recordId: raw.recordId,
          result: 'Ok',
          data: Buffer.from(`${JSON.stringify(record)}\n`).toString('base64'),
          metadata: {
            partitionKeys: { source: record.source, family: record.family, dt: record.dt, hour: record.hour },
          },
        };
      } catch {
        return { recordId: raw.recordId, result: 'ProcessingFailed', data: raw.data };
      }
    });
    return { records };
  };
}

export function powertoolsKinesis(settings: PipelineSettings) {
  const processor = new BatchProcessor(EventType.KinesisDataStreams, {
    parser,
    innerSchema: AnyEvent,
    transformer: 'base64',
  });
  return async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
    const pii = new PiiProtector(settings.piiMode, settings.piiKey);
    const lines: string[] = [];
    const handler = async (record: KinesisStreamRecord) => {
      const ev = record.kinesis.data as unknown as JsonObject;
      const { record: rec, drop } = normalizeLikeUs(
        ev,
        JSON.stringify(ev),
        record.kinesis.approximateArrivalTimestamp * 1000,
        settings,
        pii,
      );
      if (!drop) lines.push(`${JSON.stringify(rec)}\n`);
    };
    return processPartialResponse(event, handler, processor);
  };
}
