import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { errorFields } from '../logger';
import { type InputRecord, runPipeline } from '../pipeline';
import type { Runtime } from '../runtime';
import { kinesisBatchRef } from '../sinks/batchRef';
import { deliver } from './deliver';
import { nameSafeIds, readKinesisEvent } from './envelope';
import { summarize } from './summary';

const KINESIS_ZONES = new Set(['raw', 'normalized', 'quarantine'] as const);

/**
 * Processes one Kinesis event-source-mapping batch (one shard) and returns the partial batch response.
 *
 * Poison records are quarantined and count as done: they must not stall the shard. When a sink fails, the
 * batch is not acknowledged: every record is reported in `batchItemFailures` (archive objects hold the whole
 * batch, so every record is affected; Lambda restarts from the lowest failed sequence number, which keeps
 * per-shard order).
 * https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
 */
export async function processKinesisBatch(
  event: KinesisStreamEvent,
  runtime: Runtime,
  remainingMs?: () => number,
): Promise<KinesisStreamBatchResponse> {
  const envelope = readKinesisEvent(event, Date.now());
  if (!envelope.wellFormed) runtime.logger.warn('kinesis event without a Records array: nothing to process');
  const inputs = envelope.inputs;
  if (inputs.length === 0) return { batchItemFailures: [] };

  const batch = kinesisBatchRef(
    envelope.streamArn,
    envelope.eventId,
    nameSafeIds(inputs.map((i) => i.id)),
    (inputs[0] as InputRecord).ingestMs,
  );

  const processed = runPipeline(inputs, runtime.settings, { keepRaw: true });
  const delivery = await deliver(batch, processed, runtime.sinks, {
    zones: KINESIS_ZONES,
    alertSampleSize: runtime.config.alertSampleSize,
    deadlineMarginMs: runtime.config.deadlineMarginMs,
    ...(remainingMs !== undefined && { remainingMs }),
  });

  const summary = summarize(processed, Date.now());
  runtime.telemetry.batch({ path: 'kinesis', summary, delivery });
  const fields = {
    batch: batch.label,
    ...summary,
    archivedObjects: delivery.archived.length,
    alertsSent: delivery.sentAlerts.length,
  };
  if (delivery.delivered) {
    runtime.logger.info('kinesis batch processed', fields);
    return { batchItemFailures: [] };
  }
  // Lambda restarts from the lowest failed sequence number: reporting every record keeps the retry the
  // same batch, so it rewrites the same archive keys (see deliver()).
  runtime.logger.error('kinesis batch not delivered; all records returned for retry', {
    ...fields,
    errors: delivery.errors.map(errorFields),
  });
  return { batchItemFailures: inputs.map((i) => ({ itemIdentifier: i.id })) };
}
