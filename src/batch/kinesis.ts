import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { isRetryable } from '../errors';
import type { InputRecord, ProcessedRecord } from '../pipeline';
import { rateBatchId, sequenceKey } from '../rates/sequenceKey';
import type { CompiledRateRule } from '../rules/compileRateRules';
import { planRollupObjects } from '../sinks/archiveObjects';
import { kinesisBatchRef } from '../sinks/batchRef';
import { hasTumblingWindow, nameSafeIds, readKinesisEvent } from './envelope';
import { openRecordCounts } from './recordCounts';
import { type BatchContext, type BatchLogLines, runBatch } from './run';

/** What the Kinesis path needs (a `Runtime` is one). */
export interface KinesisContext extends BatchContext {
  /** Counted into the shared rate store (when there is one) and into the batch's rollups. */
  readonly rateRules: readonly CompiledRateRule[];
}

/**
 * The partial batch response; with an event source mapping that still has tumbling windows, an empty `state`,
 * which every response must then carry (Lambda counts a response without it as a failed invocation).
 */
export type KinesisResponse = KinesisStreamBatchResponse & { state?: unknown };

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
): Promise<KinesisResponse> {
  const now = Date.now();
  const envelope = readKinesisEvent(event, now);
  // An event source mapping still set up with tumbling windows (a stack deployed before the rate store) must get
  // a `state` back, or Lambda counts the invocation as failed. Counting no longer uses it.
  const windowed = hasTumblingWindow(event);
  if (!envelope.wellFormed) ctx.logger.warn('kinesis event without a Records array: nothing to process');
  const inputs = envelope.inputs;
  if (inputs.length === 0) return respond([], windowed);
  const firstArrivalMs = (inputs[0] as InputRecord).ingestMs;
  // One shard for the batch's name and for its rate lane.
  const shard = envelope.shard ?? 'unknown-shard';
  const { analytics, rollup, tally, onRecord } = openRecordCounts(ctx);
  const batchRef = (processed: readonly ProcessedRecord[]) =>
    kinesisBatchRef(envelope.streamArn, shard, nameSafeIds(processed.map((p) => p.input.id)), firstArrivalMs);
  const run = await runBatch(ctx, {
    path: 'kinesis',
    inputs,
    pipeline: { keepRaw: true, onRecord },
    // The batch is what was processed: a cut-short batch is archived under its own range, and the tail's next
    // attempt (another range) writes other objects — no record is archived twice.
    batchRef,
    zones: ZONES,
    remainingMs,
    whenCutShort: 'deliver',
    // Every processed record's analytics rows, per hour of arrival, under the batch's name (the tail handed back
    // is counted by the batch that processes it).
    analytics,
    // The processed records' rollups, per hour of arrival, under the batch's name: a retry rewrites them.
    ...(rollup !== undefined && {
      additional: (processed) => {
        const batch = batchRef(processed);
        return { batch, objects: planRollupObjects(batch, rollup.rows()), alerts: [] };
      },
    }),
    ...(tally !== undefined && {
      rates: {
        tally,
        guard: (processed) =>
          ctx.rates?.kinesisGuard === 'batch'
            ? {
                kind: 'batch',
                batchId: rateBatchId(
                  `kinesis:${envelope.streamArn ?? ''}:${shard}`,
                  processed.map((p) => p.input.id),
                ),
              }
            : { kind: 'sequence', lane: shard, sequenceKey: (i) => sequenceKey(inputs[i]?.id ?? '') },
      },
    }),
    log: LOG,
  });
  if (run.status === 'failed') {
    if (!isRetryable(run.error)) throw run.error;
    // Every record, so that the retry is the same batch and rewrites the same archive keys (see deliver()).
    return respond(
      inputs.map((i) => i.id),
      windowed,
    );
  }
  return respond(failuresFrom(inputs, run.processed.length), windowed);
}

/** The ids from `first` on, for Lambda to hand back (none when `first` is past the end). */
function failuresFrom(inputs: readonly { id: string }[], first: number): string[] {
  return inputs.slice(first).map((i) => i.id);
}

/** `{batchItemFailures}`, with an empty `state` for an event source mapping that still has tumbling windows. */
function respond(failed: readonly string[], windowed: boolean): KinesisResponse {
  const batchItemFailures = failed.map((itemIdentifier) => ({ itemIdentifier }));
  return windowed ? { batchItemFailures, state: {} } : { batchItemFailures };
}
