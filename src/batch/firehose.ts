import type {
  FirehoseTransformationEvent,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
} from 'aws-lambda';
import { DeadlineError, SinkError } from '../errors';
import { errorFields } from '../logger';
import { type InputRecord, type ProcessedRecord, runPipeline } from '../pipeline';
import type { Runtime } from '../runtime';
import type { ArchiveZone } from '../sinks/archive';
import { firehoseBatchRef } from '../sinks/batchRef';
import { startDeadline, warnOnceIfAdapted } from './deadline';
import { deliver } from './deliver';
import { nameSafeIds, readFirehoseEvent } from './envelope';
import { summarize } from './summary';

/** Bytes of JSON around one record in the response, beyond its id, data and partition keys (measured: ~90). */
const RECORD_OVERHEAD_BYTES = 128;

/**
 * Processes one Firehose data-transformation invocation. Every input recordId comes back exactly once:
 * `Ok` with the normalized record as one JSON line (and partition keys for dynamic partitioning),
 * `Dropped` when a rule says so, `ProcessingFailed` with the original data for poison.
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
  const processed = runPipeline(inputs, runtime.settings, {
    keepRaw: runtime.config.firehoseArchiveRaw,
    encoding: 'base64',
    shouldStop: deadline.stopRecords,
  });
  if (processed.length < inputs.length) {
    // Firehose takes every record back or none: nothing is written, and the retry processes the whole batch.
    const error = new DeadlineError(
      `${processed.length} of ${inputs.length} records processed when the deadline margin was reached; failing the invocation so that Firehose retries it`,
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

  const zones = new Set<ArchiveZone>(
    runtime.config.firehoseArchiveRaw ? ['raw', 'quarantine'] : ['quarantine'],
  );
  const delivery = await deliver(batch, processed, runtime.sinks, {
    zones,
    alertSampleSize: runtime.config.alertSampleSize,
    deadlineMarginMs: deadline.marginMs,
    ...(remainingMs !== undefined && { remainingMs }),
  });
  const summary = summarize(processed, Date.now());
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

  const result = { records: toFirehoseRecords(processed, runtime.config.firehoseResponseLimitBytes) };
  runtime.logger.info('firehose batch processed', {
    batch: batch.label,
    invocationId: envelope.invocationId,
    ...summary,
    archivedObjects: delivery.archived.length,
    alertsSent: delivery.sentAlerts.length,
    failedForSize: countSizeFailures(result.records, summary),
  });
  return result;
}

/**
 * Shapes the response and keeps it under the size budget: Firehose fails the whole invocation when the
 * response exceeds 6 MB. Normalized records are usually smaller than the raw ones, but not always; when the
 * total would not fit, records are turned (from the end) into `ProcessingFailed` with their original data —
 * Firehose then keeps them under the error prefix instead of losing the batch.
 */
export function toFirehoseRecords(
  processed: readonly ProcessedRecord[],
  limitBytes: number,
): FirehoseTransformationResultRecord[] {
  const out: FirehoseTransformationResultRecord[] = new Array(processed.length);
  const sizes: number[] = new Array(processed.length);
  let total = 16;
  for (let i = 0; i < processed.length; i++) {
    const p = processed[i] as ProcessedRecord;
    const o = p.outcome;
    let rec: FirehoseTransformationResultRecord;
    if (o.kind === 'poison') rec = failed(p);
    else if (o.dropped) rec = { recordId: p.input.id, result: 'Dropped', data: '' };
    else {
      const k = o.keys;
      rec = {
        recordId: p.input.id,
        result: 'Ok',
        data: o.encoding === 'base64' ? o.line : Buffer.from(o.line, 'utf8').toString('base64'),
        metadata: { partitionKeys: { source: k.source, family: k.family, dt: k.dt, hour: k.hour } },
      };
    }
    out[i] = rec;
    sizes[i] = sizeOf(rec);
    total += sizes[i] as number;
  }
  for (let i = processed.length - 1; i >= 0 && total > limitBytes; i--) {
    if ((out[i] as FirehoseTransformationResultRecord).result !== 'Ok') continue;
    const replacement = failed(processed[i] as ProcessedRecord);
    const size = sizeOf(replacement);
    if (size >= (sizes[i] as number)) continue;
    total += size - (sizes[i] as number);
    out[i] = replacement;
    sizes[i] = size;
  }
  if (total > limitBytes) {
    // Cannot happen with a request within Firehose's own 6 MB limit; fail loudly rather than lose the batch.
    throw new SinkError(
      'firehose-response',
      `response of ${total} bytes exceeds the ${limitBytes}-byte limit`,
    );
  }
  return out;
}

function failed(p: ProcessedRecord): FirehoseTransformationResultRecord {
  const data = typeof p.input.data === 'string' ? p.input.data : p.input.data.toString('base64');
  return { recordId: p.input.id, result: 'ProcessingFailed', data };
}

function sizeOf(rec: FirehoseTransformationResultRecord): number {
  let n = RECORD_OVERHEAD_BYTES + rec.recordId.length + (rec.data?.length ?? 0);
  const keys = rec.metadata?.partitionKeys;
  if (keys !== undefined) for (const k in keys) n += k.length + (keys[k] as string).length + 6;
  return n;
}

function countSizeFailures(
  records: readonly FirehoseTransformationResultRecord[],
  summary: { poison: number },
): number {
  let failedCount = 0;
  for (const r of records) if (r.result === 'ProcessingFailed') failedCount++;
  return failedCount - summary.poison;
}
