import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { DeadlineError } from '../errors';
import { errorFields } from '../logger';
import { type InputRecord, runPipeline } from '../pipeline';
import type { Runtime } from '../runtime';
import { kinesisBatchRef } from '../sinks/archiveLayout';
import { startDeadline, warnOnceIfAdapted } from './deadline';
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
 *
 * Near the deadline the records stop between two of them, whatever each one costs: the processed prefix is
 * archived as a batch of its own (objects named for its first and last sequence numbers) and acknowledged,
 * and the unprocessed tail is returned in `batchItemFailures` from its first record — Lambda starts the next
 * batch there, instead of killing this invocation half-way and retrying all of it.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
 */
export async function processKinesisBatch(
  event: KinesisStreamEvent,
  runtime: Runtime,
  remainingMs?: () => number,
): Promise<KinesisStreamBatchResponse> {
  const { config, logger } = runtime;
  const envelope = readKinesisEvent(event, Date.now());
  if (!envelope.wellFormed) logger.warn('kinesis event without a Records array: nothing to process');
  const inputs = envelope.inputs;
  if (inputs.length === 0) return { batchItemFailures: [] };

  const deadline = startDeadline(remainingMs, config.deadlineMarginMs);
  warnOnceIfAdapted(deadline, config.deadlineMarginMs, logger);
  if (deadline.tooLate) {
    const error = new DeadlineError(
      `the invocation started with ${deadline.startMs} ms left, no more than its ${deadline.marginMs} ms deadline margin`,
    );
    const summary = summarize([], Date.now(), { received: inputs.length });
    runtime.telemetry.batch({
      path: 'kinesis',
      summary,
      delivery: { delivered: false, errors: [error], archived: [], sentAlerts: [] },
    });
    logger.error(
      'kinesis batch returned unprocessed: too close to the deadline to start; raise the timeout',
      {
        ...summary,
        errors: [errorFields(error)],
      },
    );
    return { batchItemFailures: inputs.map((i) => ({ itemIdentifier: i.id })) };
  }
  const processed = runPipeline(inputs, runtime.settings, {
    keepRaw: true,
    shouldStop: deadline.stopRecords,
  });
  const done = processed.length;
  // The batch is what was processed: a cut-short batch is archived under its own range, and the tail's next
  // attempt (another range) writes other objects — no record is archived twice.
  const batch = kinesisBatchRef(
    envelope.streamArn,
    envelope.eventId,
    nameSafeIds(processed.map((p) => p.input.id)),
    (inputs[0] as InputRecord).ingestMs,
  );
  const delivery = await deliver(batch, processed, runtime.sinks, {
    zones: KINESIS_ZONES,
    alertSampleSize: config.alertSampleSize,
    deadlineMarginMs: deadline.marginMs,
    ...(remainingMs !== undefined && { remainingMs }),
  });

  const summary = summarize(processed, Date.now(), { received: inputs.length });
  runtime.telemetry.batch({ path: 'kinesis', summary, delivery });
  const fields = {
    batch: batch.label,
    ...summary,
    archivedObjects: delivery.archived.length,
    alertsSent: delivery.sentAlerts.length,
  };
  if (!delivery.delivered) {
    // Lambda restarts from the lowest failed sequence number: reporting every record keeps the retry the
    // same batch, so it rewrites the same archive keys (see deliver()).
    logger.error('kinesis batch not delivered; all records returned for retry', {
      ...fields,
      errors: delivery.errors.map(errorFields),
    });
    return { batchItemFailures: inputs.map((i) => ({ itemIdentifier: i.id })) };
  }
  if (done < inputs.length) {
    logger.warn('kinesis batch cut short near the deadline; the unprocessed records are returned for retry', {
      ...fields,
      marginMs: deadline.marginMs,
      firstDeferred: (inputs[done] as InputRecord).id,
    });
    return { batchItemFailures: inputs.slice(done).map((i) => ({ itemIdentifier: i.id })) };
  }
  logger.info('kinesis batch processed', fields);
  return { batchItemFailures: [] };
}
