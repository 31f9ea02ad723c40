import type {
  FirehoseTransformationEvent,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
} from 'aws-lambda';
import type { InputRecord } from '../pipeline';
import { rateBatchId } from '../rates/sequenceKey';
import type { CompiledRateRule } from '../rules/compileRateRules';
import { planRollupObjects } from '../sinks/archiveObjects';
import { firehoseBatchRef } from '../sinks/batchRef';
import type { ArchiveZone } from '../sinks/ports';
import { nameSafeIds, readFirehoseEvent } from './envelope';
import { toFirehoseRecords } from './firehoseResponse';
import { openRecordCounts } from './recordCounts';
import { type BatchConfig, type BatchContext, type BatchLogLines, runBatch } from './run';

/** What the Firehose path needs (a `Runtime` is one). */
export interface FirehoseContext extends BatchContext {
  readonly config: BatchConfig & {
    /** Also write the raw batch to the archive (`FIREHOSE_ARCHIVE_RAW`). */
    readonly firehoseArchiveRaw: boolean;
    /** Budget of the response body (`FIREHOSE_RESPONSE_LIMIT_BYTES`). */
    readonly firehoseResponseLimitBytes: number;
  };
  /** Counted into the shared rate store (when there is one) and into each invocation's rollups. */
  readonly rateRules: readonly CompiledRateRule[];
}

/** Normalized records are Firehose's to write; the raw batch only when asked (its source backup keeps it). */
const ZONES: ReadonlySet<ArchiveZone> = new Set(['quarantine']);
const ZONES_WITH_RAW: ReadonlySet<ArchiveZone> = new Set(['raw', 'quarantine']);

const LOG: BatchLogLines = {
  processed: 'firehose batch processed',
  failedForSize:
    'firehose response over its size limit: records returned as ProcessingFailed (under the error prefix)',
  stoppedByDeadline: 'firehose batch cut short near the deadline; failing the invocation',
  unanswerable: 'firehose response does not fit; failing the invocation',
  notDelivered: 'firehose batch failed; failing the invocation so that Firehose retries it',
};

/**
 * Processes one Firehose data-transformation invocation. Every input recordId comes back exactly once:
 * `Ok` with the normalized record as one JSON line (and partition keys for dynamic partitioning),
 * `Dropped` when a rule says so, `ProcessingFailed` with the original data for quarantined records — and for
 * normalized records that do not fit the 6 MB response (see {@link toFirehoseRecords}), counted as failed for
 * size.
 *
 * The rate rules count the invocation's delivered records (dropped ones too) into the shared rate store, once
 * per invocation however often Firehose retries it, and send a rate alert when a window crosses (docs/rates.md);
 * and per hour of arrival into its rollups, one `rollups/` object per invocation (and hour), written with the
 * quarantine: the rows of all invocations add up.
 *
 * Every invocation writes the analytics rows of the records it delivers (docs/analytics.md) with them.
 *
 * A sink failure fails the whole invocation (Firehose retries it, then writes the batch to the error prefix);
 * nothing is acknowledged without its quarantine, rollup and analytics objects and its alerts. So does nearing
 * the deadline: the records stop between two of them and the invocation fails early, rather than being killed
 * half-way.
 * https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html
 */
export async function processFirehoseBatch(
  event: FirehoseTransformationEvent,
  ctx: FirehoseContext,
  remainingMs?: () => number,
): Promise<FirehoseTransformationResult> {
  const envelope = readFirehoseEvent(event, Date.now());
  if (!envelope.wellFormed) ctx.logger.warn('firehose event without a records array: nothing to process');
  const inputs = envelope.inputs;
  if (inputs.length === 0) return { records: [] };

  const { config } = ctx;
  const batch = firehoseBatchRef(
    envelope.deliveryStreamArn,
    nameSafeIds(inputs.map((i) => i.id)),
    (inputs[0] as InputRecord).ingestMs,
  );
  const { analytics, rollup, tally, onRecord } = openRecordCounts(ctx);
  const run = await runBatch<FirehoseTransformationResultRecord[]>(ctx, {
    path: 'firehose',
    inputs,
    pipeline: {
      keepRaw: config.firehoseArchiveRaw,
      encoding: 'base64',
      onRecord,
    },
    batchRef: () => batch,
    zones: config.firehoseArchiveRaw ? ZONES_WITH_RAW : ZONES,
    remainingMs,
    // Firehose takes every record back or none: nothing is written, and the retry processes the whole batch.
    whenCutShort: 'fail',
    respond: (processed) => {
      const plan = toFirehoseRecords(processed, config.firehoseResponseLimitBytes);
      return {
        value: plan.records,
        failedForSize: plan.failedForSize,
        logFields: { responseBytes: plan.bytes, limitBytes: config.firehoseResponseLimitBytes },
      };
    },
    // The analytics rows of the records returned Ok or Dropped (not those failed for size: Firehose never
    // delivers them) and of the quarantine, under the batch's name (a hash of the record ids): a retried
    // invocation overwrites them.
    analytics,
    // The rollups' key is the batch's (a hash of the record ids): a retried invocation overwrites them.
    ...(rollup !== undefined && {
      additional: () => ({ batch, objects: planRollupObjects(batch, rollup.rows()), alerts: [] }),
    }),
    // The records returned Ok or Dropped count (those failed for size do not: Firehose never delivers them),
    // once: a retried invocation has the same record ids, so the same batch id.
    ...(tally !== undefined && {
      rates: {
        tally,
        guard: () => ({
          kind: 'batch' as const,
          batchId: rateBatchId(
            `firehose:${envelope.deliveryStreamArn ?? ''}`,
            inputs.map((i) => i.id),
          ),
        }),
      },
    }),
    log: LOG,
    logFields: { invocationId: envelope.invocationId },
  });
  if (run.status === 'failed') throw run.error;
  return { records: run.response ?? [] };
}
