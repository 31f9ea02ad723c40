/**
 * The floor: the work no implementation can skip — per record, base64 decode, JSON.parse, JSON.stringify
 * and base64 encode. Poison records are caught and passed through.
 */
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationResult,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
} from 'aws-lambda';

function roundTrip(data: string): string | undefined {
  try {
    return Buffer.from(
      `${JSON.stringify(JSON.parse(Buffer.from(data, 'base64').toString('utf8')))}\n`,
    ).toString('base64');
  } catch {
    return undefined;
  }
}

export async function floorFirehose(
  event: FirehoseTransformationEvent,
): Promise<FirehoseTransformationResult> {
  return {
    records: event.records.map((r) => {
      const data = roundTrip(r.data);
      return data === undefined
        ? { recordId: r.recordId, result: 'ProcessingFailed', data: r.data }
        : { recordId: r.recordId, result: 'Ok', data };
    }),
  };
}

export async function floorKinesis(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
  let sink = 0;
  for (const r of event.Records) sink += roundTrip(r.kinesis.data)?.length ?? 0;
  return { batchItemFailures: sink < 0 ? [{ itemIdentifier: '' }] : [] };
}
