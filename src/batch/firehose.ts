import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { DeadlineError, SinkError } from '../errors';
import { errorFields } from '../logger';
import { type InputRecord, runPipeline } from '../pipeline';
import type { Runtime } from '../runtime';
import { firehoseBatchRef } from '../sinks/archiveLayout';
import type { ArchiveZone } from '../sinks/ports';
import { startDeadline, warnOnceIfAdapted } from './deadline';
import { deliver } from './deliver';
import { nameSafeIds, readFirehoseEvent } from './envelope';
import { type FirehoseResponsePlan, toFirehoseRecords } from './firehoseResponse';
import { summarize } from './summary';

/**
 * Processes one Firehose data-transformation invocation. Every input recordId comes back exactly once:
 * `Ok` with the normalized record as one JSON line (and partition keys for dynamic partitioning),
 * `Dropped` when a rule says so, `ProcessingFailed` with the original data for poison — and for normalized
 * records that do not fit the 6 MB response (see {@link toFirehoseRecords}), counted as failed for size.
 *
 * A sink failure fails the whole invocation (Firehose retries it, then writes the batch to the error prefix);
 * nothing is acknowledged without its quarantine objects and alerts. So does nearing the deadline: the records
 * stop between two of them and the invocation fails early, rather than being killed half-way.
 * https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html
 */
export async function processFirehoseBatch(
  event: FirehoseTransformationEvent,
  runtime: Runtime,
  remainingMs?: () => number,
): Promise<FirehoseTransformationResult> {
  const envelope = readFirehoseEvent(event, Date.now());
  if (!envelope.wellFormed) runtime.logger.warn('firehose event without a records array: nothing to process');
  const inputs = envelope.inputs;
  if (inputs.length === 0) return { records: [] };

  const batch = firehoseBatchRef(
    envelope.deliveryStreamArn,
    nameSafeIds(inputs.map((i) => i.id)),
    (inputs[0] as InputRecord).ingestMs,
  );
  const deadline = startDeadline(remainingMs, runtime.config.deadlineMarginMs);
  warnOnceIfAdapted(deadline, runtime.config.deadlineMarginMs, runtime.logger);
  const processed = deadline.tooLate
    ? []
    : runPipeline(inputs, runtime.settings, {
        keepRaw: runtime.config.firehoseArchiveRaw,
        encoding: 'base64',
        shouldStop: deadline.stopRecords,
      });
  if (processed.length < inputs.length) {
    // Firehose takes every record back or none: nothing is written, and the retry processes the whole batch.
    const error = new DeadlineError(
      deadline.tooLate
        ? `the invocation started with ${deadline.startMs} ms left, no more than its ${deadline.marginMs} ms deadline margin; failing it so that Firehose retries it`
        : `${processed.length} of ${inputs.length} records processed when the deadline margin was reached; failing the invocation so that Firehose retries it`,
    );
    const summary = summarize(processed, Date.now(), { received: inputs.length });
    runtime.telemetry.batch({
      path: 'firehose',
      summary,
      delivery: { delivered: false, errors: [error], archived: [], sentAlerts: [] },
    });
    runtime.logger.error('firehose batch cut short near the deadline; failing the invocation', {
      batch: batch.label,
      invocationId: envelope.invocationId,
      ...summary,
      marginMs: deadline.marginMs,
    });
    throw error;
  }

  // The response is shaped before anything is written: the records it fails for size are known, and counted.
  let response: FirehoseResponsePlan;
  try {
    response = toFirehoseRecords(processed, runtime.config.firehoseResponseLimitBytes);
  } catch (err) {
    const summary = summarize(processed, Date.now());
    runtime.telemetry.batch({
      path: 'firehose',
      summary,
      delivery: { delivered: false, errors: [err], archived: [], sentAlerts: [] },
    });
    runtime.logger.error('firehose response does not fit; failing the invocation', {
      batch: batch.label,
      invocationId: envelope.invocationId,
      ...summary,
      errors: [errorFields(err)],
    });
    throw err;
  }

  const zones = new Set<ArchiveZone>(
    runtime.config.firehoseArchiveRaw ? ['raw', 'quarantine'] : ['quarantine'],
  );
  const delivery = await deliver(batch, processed, runtime.sinks, {
    zones,
    alertSampleSize: runtime.config.alertSampleSize,
    deadlineMarginMs: deadline.marginMs,
    ...(remainingMs !== undefined && { remainingMs }),
  });
  const summary = summarize(processed, Date.now(), { failedForSize: response.failedForSize });
  runtime.telemetry.batch({ path: 'firehose', summary, delivery });
  if (!delivery.delivered) {
    runtime.logger.error('firehose batch failed; failing the invocation so that Firehose retries it', {
      batch: batch.label,
      invocationId: envelope.invocationId,
      ...summary,
      errors: delivery.errors.map(errorFields),
    });
    throw new SinkError('delivery', `${delivery.errors.length} sink write(s) failed for ${batch.label}`, {
      cause: new AggregateError(delivery.errors),
    });
  }

  const fields = {
    batch: batch.label,
    invocationId: envelope.invocationId,
    ...summary,
    responseBytes: response.bytes,
    archivedObjects: delivery.archived.length,
    alertsSent: delivery.sentAlerts.length,
  };
  if (summary.failedForSize > 0) {
    runtime.logger.error(
      'firehose response over its size limit: records returned as ProcessingFailed (under the error prefix)',
      { ...fields, limitBytes: runtime.config.firehoseResponseLimitBytes },
    );
  } else {
    runtime.logger.info('firehose batch processed', fields);
  }
  return { records: response.records };
}
