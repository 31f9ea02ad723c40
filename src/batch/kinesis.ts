import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { isRetryable } from '../errors';
import type { InputRecord } from '../pipeline';
import { kinesisBatchRef } from '../sinks/archiveLayout';
import { nameSafeIds, readKinesisEvent } from './envelope';
import { type BatchConfig, type BatchContext, type BatchLogLines, runBatch } from './run';

/** What the Kinesis path needs (a `Runtime` is one). */
export interface KinesisContext extends BatchContext {
  readonly config: BatchConfig;
}

const ZONES = new Set(['raw', 'normalized', 'quarantine'] as const);

const LOG: BatchLogLines = {
  processed: 'kinesis batch processed',
  cutShort: 'kinesis batch cut short near the deadline; the unprocessed records are returned for retry',
  stoppedByDeadline:
    'kinesis batch returned unprocessed: too close to the deadline to start; raise the timeout',
  notDelivered: 'kinesis batch not delivered; all records returned for retry',
};

/**
 * Processes one Kinesis event-source-mapping batch (one shard) and returns the partial batch response.
 *
 * Quarantined records count as done: they must not stall the shard. When a sink fails, the batch is not
 * acknowledged: every record is reported in `batchItemFailures` (archive objects hold the whole batch, so every
 * record is affected; Lambda restarts from the lowest failed sequence number, which keeps per-shard order). A
 * delivery that failed with an error that is not retryable (a bug, not an outage) fails the invocation instead:
 * Lambda retries the batch just the same, and the function's errors show it.
 *
 * Near the deadline the records stop between two of them, whatever each one costs: the processed prefix is
 * archived as a batch of its own (objects named for its first and last sequence numbers) and acknowledged,
 * and the unprocessed tail is returned in `batchItemFailures` from its first record — Lambda starts the next
 * batch there, instead of killing this invocation half-way and retrying all of it.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
 */
export async function processKinesisBatch(
  event: KinesisStreamEvent,
  ctx: KinesisContext,
  remainingMs?: () => number,
): Promise<KinesisStreamBatchResponse> {
  const envelope = readKinesisEvent(event, Date.now());
  if (!envelope.wellFormed) ctx.logger.warn('kinesis event without a Records array: nothing to process');
  const inputs = envelope.inputs;
  if (inputs.length === 0) return { batchItemFailures: [] };

  const run = await runBatch(ctx, {
    path: 'kinesis',
    inputs,
    pipeline: { keepRaw: true },
    // The batch is what was processed: a cut-short batch is archived under its own range, and the tail's next
    // attempt (another range) writes other objects — no record is archived twice.
    batchRef: (processed) =>
      kinesisBatchRef(
        envelope.streamArn,
        envelope.eventId,
        nameSafeIds(processed.map((p) => p.input.id)),
        (inputs[0] as InputRecord).ingestMs,
      ),
    zones: ZONES,
    config: ctx.config,
    remainingMs,
    whenCutShort: 'deliver',
    log: LOG,
  });
  if (run.status === 'failed') {
    if (!isRetryable(run.error)) throw run.error;
    // Every record, so that the retry is the same batch and rewrites the same archive keys (see deliver()).
    return failuresFrom(inputs, 0);
  }
  return failuresFrom(inputs, run.processed.length);
}

/** The records from `first` on, for Lambda to hand back (none when `first` is past the end). */
function failuresFrom(inputs: readonly InputRecord[], first: number): KinesisStreamBatchResponse {
  return { batchItemFailures: inputs.slice(first).map((i) => ({ itemIdentifier: i.id })) };
}
