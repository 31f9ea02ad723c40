/**
 * Baseline: a typical middy implementation — @middy/core + @middy/event-normalizer, then the same
 * normalization as ours. event-normalizer decodes Firehose `data` only when `deliveryStreamArn` is the
 * sample placeholder `aws:lambda:events`; on real invocations it leaves base64, so this baseline decodes
 * Firehose data itself (one more reason not to depend on it).
 */
import middy from '@middy/core';
import eventNormalizer from '@middy/event-normalizer';
import type {
  Context,
  FirehoseTransformationEvent,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
} from 'aws-lambda';
import type { JsonObject } from '../../src/decode';
import { PiiProtector } from '../../src/pii';
import type { PipelineSettings } from '../../src/pipeline';
import { normalizeLikeUs } from './shared';

const context = {} as Context;

export function middyFirehose(settings: PipelineSettings) {
  const handler = middy<FirehoseTransformationEvent, FirehoseTransformationResult>()
    .use(eventNormalizer())
    .handler(async (event) => {
      const pii = new PiiProtector(settings.piiMode, settings.piiKey);
      const records: FirehoseTransformationResultRecord[] = event.records.map((r) => {
        try {
          const data = r.data as unknown;
          const text =
            typeof data === 'string'
              ? Buffer.from(data, 'base64').toString('utf8').trim()
              : JSON.stringify(data);
          const ev = (typeof data === 'string' ? JSON.parse(text) : data) as JsonObject;
          const { record, drop } = normalizeLikeUs(ev, text, r.approximateArrivalTimestamp, settings, pii);
          if (drop) return { recordId: r.recordId, result: 'Dropped', data: '' };
          return {
            recordId: r.recordId,
            result: 'Ok',
            data: Buffer.from(`${JSON.stringify(record)}\n`).toString('base64'),
            metadata: {
              partitionKeys: {
                source: record.source,
                family: record.family,
                dt: record.dt,
                hour: record.hour,
              },
            },
          };
        } catch {
          return { recordId: r.recordId, result: 'ProcessingFailed', data: r.data };
        }
      });
      return { records };
    });
  return (event: FirehoseTransformationEvent) => handler(event, context);
}

export function middyKinesis(settings: PipelineSettings) {
  const handler = middy<KinesisStreamEvent, KinesisStreamBatchResponse>()
    .use(eventNormalizer())
    .handler(async (event) => {
      const pii = new PiiProtector(settings.piiMode, settings.piiKey);
      const failures: Array<{ itemIdentifier: string }> = [];
      const lines: string[] = [];
      for (const r of event.Records) {
        try {
          const ev = r.kinesis.data as unknown as JsonObject;
          if (typeof ev !== 'object' || ev === null) throw new Error('not an object');
          const { record, drop } = normalizeLikeUs(
            ev,
            JSON.stringify(ev),
            r.kinesis.approximateArrivalTimestamp * 1000,
            settings,
            pii,
          );
          if (!drop) lines.push(`${JSON.stringify(record)}\n`);
        } catch {
          // A typical handler would quarantine here; the benchmark only counts.
        }
      }
      return { batchItemFailures: failures };
    });
  return (event: KinesisStreamEvent) => handler(event, context);
}
