import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { isRetryable } from '../errors';
import type { CompiledRateRule } from '../rates/compileRateRules';
import { kinesisBatchRef } from '../sinks/archiveLayout';
import { nameSafeIds, readKinesisEvent, readKinesisWindow } from './envelope';
import { type KinesisWindowRun, startKinesisWindow } from './kinesisWindow';
import { type BatchConfig, type BatchContext, type BatchLogLines, runBatch } from './run';

/** What the Kinesis path needs (a `Runtime` is one). */
export interface KinesisContext extends BatchContext {
  readonly config: BatchConfig;
  /** Counted over tumbling windows when the event source mapping has them (`window` in the event). */
  readonly rateRules: readonly CompiledRateRule[];
}

/**
 * The partial batch response; with tumbling windows on, also the window's `state`, which every response must
 * then carry (Lambda counts a response without it as a failed invocation).
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
  const windowInput = readKinesisWindow(event);
  if (!envelope.wellFormed) ctx.logger.warn('kinesis event without a Records array: nothing to process');
  const inputs = envelope.inputs;
  const firstArrivalMs = inputs[0]?.ingestMs ?? windowInput?.startMs ?? now;
  const source = {
    stream: windowInput?.eventSourceArn ?? envelope.streamArn ?? 'unknown-stream',
    shard: windowInput?.shardId ?? envelope.eventId?.split(':')[0] ?? 'unknown-shard',
    streamArn: windowInput?.eventSourceArn ?? envelope.streamArn,
  };
  const window: KinesisWindowRun | undefined =
    windowInput === undefined
      ? undefined
      : startKinesisWindow(windowInput, ctx.rateRules, source, firstArrivalMs);
  // Nothing to count and nothing closing: the state goes back as it came.
  if (
    inputs.length === 0 &&
    (windowInput === undefined || !(windowInput.final || windowInput.terminatedEarly))
  ) {
    return respond([], window?.received);
  }

  let closed: ReturnType<KinesisWindowRun['close']> | undefined;
  const run = await runBatch(ctx, {
    path: 'kinesis',
    inputs,
    pipeline: { keepRaw: true, ...(window !== undefined && { onRecord: window.onRecord }) },
    // The batch is what was processed: a cut-short batch is archived under its own range, and the tail's next
    // attempt (another range) writes other objects — no record is archived twice.
    batchRef: (processed) =>
      kinesisBatchRef(
        envelope.streamArn,
        envelope.eventId ?? (windowInput?.shardId !== undefined ? `${windowInput.shardId}:` : undefined),
        nameSafeIds(processed.map((p) => p.input.id)),
        firstArrivalMs,
      ),
    zones: ZONES,
    config: ctx.config,
    remainingMs,
    whenCutShort: 'deliver',
    // The window's counts are those of the records processed; when it closes, its rollups and rate alerts
    // are delivered with the batch (archive before alerts, all or nothing).
    ...(window !== undefined && {
      additional: (processed) => {
        closed = window.close(processed);
        return closed.delivery;
      },
    }),
    log: LOG,
    ...(windowInput !== undefined && {
      logFields: {
        window: { start: windowInput.start, end: windowInput.end },
        finalInvoke: windowInput.final,
        ...(windowInput.terminatedEarly && { windowTerminatedEarly: true }),
      },
    }),
  });
  if (run.status === 'failed') {
    if (!isRetryable(run.error)) throw run.error;
    // Every record, so that the retry is the same batch and rewrites the same archive keys (see deliver());
    // and the state received, so that the retry counts each record once.
    return respond(
      inputs.map((i) => i.id),
      window?.received,
    );
  }
  if (window === undefined || closed === undefined) {
    return respond(failuresFrom(inputs, run.processed.length), undefined);
  }
  reportWindow(ctx, closed, windowInput);
  return respond(failuresFrom(inputs, run.processed.length), closed.state);
}

/** The ids from `first` on, for Lambda to hand back (none when `first` is past the end). */
function failuresFrom(inputs: readonly { id: string }[], first: number): string[] {
  return inputs.slice(first).map((i) => i.id);
}

/** `{batchItemFailures}`, with `state` when windows are on (`state` undefined: they are off). */
function respond(failed: readonly string[], state: unknown): KinesisResponse {
  const batchItemFailures = failed.map((itemIdentifier) => ({ itemIdentifier }));
  return state === undefined ? { batchItemFailures } : { batchItemFailures, state };
}

/** Metrics and a log line for a delivered window invocation. */
function reportWindow(
  ctx: KinesisContext,
  closed: NonNullable<ReturnType<KinesisWindowRun['close']>>,
  input: ReturnType<typeof readKinesisWindow>,
): void {
  const { update } = closed;
  ctx.telemetry.rateWindow({
    path: 'kinesis',
    stateBytes: update.bytes,
    overflowed: update.overflowed,
    rulesReset: update.reset.length,
    discarded: closed.discarded,
  });
  if (closed.discarded) {
    ctx.logger.warn('kinesis window state received was not one this function writes: counting started over', {
      window: input?.start,
    });
  }
  if (update.reset.length > 0) {
    ctx.logger.warn('rate rules changed during the window: their counts so far were dropped', {
      window: input?.start,
      rules: update.reset,
    });
  }
  if (closed.closing) {
    ctx.logger.info('kinesis rate window closed', {
      window: { start: input?.start, end: input?.end },
      terminatedEarly: input?.terminatedEarly === true,
      rateAlerts: closed.alerts.length,
      rateAlertsOmitted: closed.omitted,
      rollupRows: closed.rows.length,
      stateBytes: update.bytes,
      overflowed: update.overflowed,
    });
  }
}
