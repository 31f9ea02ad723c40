import { type AnalyticsRows, AnalyticsTally } from '../analytics/AnalyticsTally';
import {
  type AnalyticsSettings,
  DEFAULT_ANALYTICS_MAX_ROWS,
  DEFAULT_CAMPAIGN_TAG,
} from '../analytics/analyticsRow';
import { DeadlineError, DeliveryError } from '../errors';
import { errorFields, type Logger } from '../logger';
import type { BatchPath, BatchSummary, Telemetry } from '../observability/telemetry';
import {
  type InputRecord,
  type PipelineOptions,
  type PipelineSettings,
  type ProcessedRecord,
  runPipeline,
} from '../pipeline';
import type { RatePlan, RateTally } from '../rates/RateTally';
import { planAnalyticsObjects } from '../sinks/archiveObjects';
import type { ArchiveZone, BatchRef, DeliveryResult, Sinks } from '../sinks/ports';
import type { RateStore } from '../sinks/rateStore';
import { countRates, type RateCountingResult, type RateGuard, settleRateAlerts } from './countRates';
import { startDeadline, warnOnceIfAdapted } from './deadline';
import { type AdditionalDelivery, deliver, type RateStep } from './deliver';
import { summarize } from './summary';

/** What every batch needs, whichever door it came through, built once per cold start (a `Runtime` is one). */
export interface BatchContext {
  /** What every path reads of the configuration (a `Config` is one). */
  readonly config: BatchConfig;
  readonly settings: PipelineSettings;
  readonly sinks: Sinks;
  readonly logger: Logger;
  readonly telemetry: Telemetry;
  /** The shared rate store and how to use it; absent: rates are not counted (no store configured). */
  readonly rates?: RateSettings | undefined;
  /** How the batches' analytics rows are written (docs/analytics.md); absent: the defaults. */
  readonly analytics?: AnalyticsSettings | undefined;
}

/** How batches count rates into the shared store (docs/rates.md; a `Runtime` builds it from the config). */
export interface RateSettings {
  readonly store: RateStore;
  /** Counters and batch markers expire this long after their window ends (`RATE_RETENTION_HOURS`). */
  readonly retentionMs: number;
  /** The most counters one batch writes (`RATE_MAX_COUNTERS`); the rest go to their rule's other group. */
  readonly maxCounters: number;
  /** Store calls in flight at once (`RATE_CONCURRENCY`). */
  readonly concurrency: number;
  /** How long a claimed rate alert is held before another invocation may send it. */
  readonly claimLeaseMs: number;
  readonly maxAlertsPerRule: number;
  /**
   * How Kinesis batches apply once: `sequence` (per-shard high-water marks, exact — one consumer per shard, the
   * event source mapping's parallelization factor 1) or `batch` (batch markers, for a factor above 1, where a
   * shard's records arrive in concurrent lanes). `RATE_KINESIS_GUARD`, set by the stack from the factor.
   */
  readonly kinesisGuard: 'sequence' | 'batch';
}

/** A batch's rate counting: the tally the pipeline fed, and what makes its adds apply once. */
export interface BatchRates {
  readonly tally: RateTally;
  /** Given the records processed, which of them (by input index) are delivered; default: every one. */
  readonly delivered?: (processed: readonly ProcessedRecord[]) => (index: number) => boolean;
  /** Given the records processed: the guard of the batch's adds (its lane and sequence keys, or its id). */
  readonly guard: (processed: readonly ProcessedRecord[]) => RateGuard;
  /**
   * Told the batch's plan and what the store made of it, once its counts are stored and before its rate alerts
   * are published (the CLI's `--rates` collects the counters to read back at the end of the run).
   */
  readonly onCounted?: (plan: RatePlan, counted: RateCountingResult) => void;
}

/** The configuration every path reads (a `Config` is one). */
export interface BatchConfig {
  /** `DEADLINE_MARGIN_MS`: see src/batch/deadline.ts. */
  readonly deadlineMarginMs: number;
  readonly alertSampleSize: number;
  /** `METRIC_CONFIGURATION_SETS`: the configuration sets whose records the summary counts apart. */
  readonly metricConfigurationSets?: readonly string[];
}

/**
 * The log line of each thing that can happen to a batch, in the words of its path (what the service does
 * next). A path without them (the CLI, which reports through its exit code) logs nothing.
 */
export interface BatchLogLines {
  /** info: delivered in full. */
  readonly processed: string;
  /** error: delivered, but records failed for size (Firehose). */
  readonly failedForSize?: string;
  /** warn: the records before the deadline were delivered, the rest handed back (Kinesis). */
  readonly cutShort?: string;
  /**
   * error: nothing written because of the deadline — the invocation started too close to it, or the records were
   * cut short on a path that does not deliver part of a batch.
   */
  readonly stoppedByDeadline: string;
  /** error: the response could not be shaped (Firehose). */
  readonly unanswerable?: string;
  /** error: a sink did not take the batch. */
  readonly notDelivered: string;
}

/** A response shaped from the processed records before anything is written (Firehose). */
export interface ShapedResponse<R> {
  readonly value: R;
  /** Indexes (into the processed records) of normalized records the response fails for size. */
  readonly failedForSize?: ReadonlySet<number>;
  /** Added to the batch's log line. */
  readonly logFields?: Readonly<Record<string, unknown>>;
}

/** One batch, as a door hands it to {@link runBatch}. */
export interface BatchJob<R> {
  readonly path: BatchPath;
  readonly inputs: readonly InputRecord[];
  /** Pipeline options (the deadline's `shouldStop` is added). */
  readonly pipeline?: PipelineOptions;
  /**
   * Runs the records instead of the pipeline (the CLI re-routes records that are already normalized). Must
   * return one outcome per input, in order, or a prefix of them when `shouldStop` answers true.
   */
  readonly process?: (shouldStop: () => boolean) => ProcessedRecord[];
  /** The batch's identity, from the records processed (a batch cut short is named for what it holds). */
  readonly batchRef: (processed: readonly ProcessedRecord[]) => BatchRef;
  /** Archive zones this path writes. */
  readonly zones: ReadonlySet<ArchiveZone>;
  /** Milliseconds left before the Lambda deadline (`context.getRemainingTimeInMillis`); absent outside Lambda. */
  readonly remainingMs?: (() => number) | undefined;
  /**
   * When the deadline stops the records part-way: deliver those processed as a batch of their own and hand the
   * rest back (Kinesis), or fail with nothing written (the default: Firehose takes every record back or none).
   */
  readonly whenCutShort?: 'deliver' | 'fail';
  /** Shapes the response before anything is written, so that the records it fails are known and counted. */
  readonly respond?: (processed: readonly ProcessedRecord[]) => ShapedResponse<R>;
  /**
   * What else to deliver with the records processed (a closing window's rollups and rate alerts; a Firehose
   * invocation's rollups), built once they are all processed. Delivered with the batch, all or nothing.
   */
  readonly additional?: (processed: readonly ProcessedRecord[]) => AdditionalDelivery | undefined;
  /** The batch's rate counting (both handlers; the CLI's `process`, and `replay --rates`). */
  readonly rates?: BatchRates;
  /**
   * The batch's analytics rows (docs/analytics.md): the tally the pipeline fed (every normalized record, dropped
   * ones too). Its rows — the delivered records' and the quarantine's, within the row bound — are written with
   * the batch into `analytics/`, under the batch's name, all or nothing with it.
   */
  readonly analytics?: AnalyticsTally;
  readonly log?: BatchLogLines;
  /** Added to every log line of the batch (the Firehose invocation id). */
  readonly logFields?: Readonly<Record<string, unknown>>;
}

/** What happened to a batch. The door turns it into its response (or its exit code). */
export type BatchRun<R> =
  | {
      readonly status: 'delivered';
      /** The records processed: all inputs, or (Kinesis, near the deadline) the first of them. */
      readonly processed: readonly ProcessedRecord[];
      readonly batch: BatchRef;
      readonly summary: BatchSummary;
      readonly delivery: DeliveryResult;
      /** The shaped response, when the job has `respond`. */
      readonly response: R | undefined;
    }
  | {
      readonly status: 'failed';
      /**
       * Why nothing may be acknowledged: a DeadlineError (too close to the deadline), the error of `respond`,
       * or a DeliveryError holding every failed write. Its `retryable` says whether trying again can help.
       */
      readonly error: unknown;
      readonly processed: readonly ProcessedRecord[];
      readonly summary: BatchSummary;
    };

/**
 * A batch's analytics tally (docs/analytics.md), as the context says to count: its campaign tag, and its PII mode
 * (in `keep` mode the tally protects the group values itself). The door feeds it each record in the pipeline's
 * `onRecord` and hands it to {@link runBatch} as the job's `analytics`.
 */
export function openAnalytics(ctx: BatchContext): AnalyticsTally {
  return new AnalyticsTally({
    campaignTag: ctx.analytics?.campaignTag ?? DEFAULT_CAMPAIGN_TAG,
    piiMode: ctx.settings.piiMode,
  });
}

/**
 * The one batch orchestration every door runs — the Kinesis and Firehose handlers, the CLI's `process` and
 * `replay`: input records → pipeline (stopping between records near the deadline) → response shaped →
 * archive objects and alerts delivered → summary → telemetry and the log line. The doors only translate
 * their event in and the {@link BatchRun} out (PT `processPartialResponse`).
 *
 * Nothing here throws for a failed batch: a failure is a result, with the error that says whether a retry can
 * help (`retryable`), and the door decides what its service does with it.
 */
export async function runBatch<R = undefined>(ctx: BatchContext, job: BatchJob<R>): Promise<BatchRun<R>> {
  const { inputs } = job;
  const { config } = ctx;
  const deadline = startDeadline(job.remainingMs, config.deadlineMarginMs);
  warnOnceIfAdapted(deadline, config.deadlineMarginMs, ctx.logger);
  const failed = (
    processed: readonly ProcessedRecord[],
    error: unknown,
    line: string | undefined,
    fields = {},
  ) => {
    const summary = summarize(processed, Date.now(), {
      received: inputs.length,
      configurationSets: config.metricConfigurationSets,
    });
    ctx.telemetry.batch({
      path: job.path,
      summary,
      delivery: { delivered: false, errors: [error], archived: [], sentAlerts: [] },
    });
    if (line !== undefined) {
      ctx.logger.error(line, { ...job.logFields, ...summary, ...fields, errors: [errorFields(error)] });
    }
    return { status: 'failed', error, processed, summary } as const;
  };
  if (deadline.tooLate) {
    const error = new DeadlineError(
      `the invocation started with ${deadline.startMs} ms left, no more than its ${deadline.marginMs} ms deadline margin`,
    );
    return failed([], error, job.log?.stoppedByDeadline, { marginMs: deadline.marginMs });
  }

  const processed =
    job.process !== undefined
      ? job.process(deadline.stopRecords)
      : runPipeline(inputs, ctx.settings, { ...job.pipeline, shouldStop: deadline.stopRecords });
  const batch = job.batchRef(processed);
  if (processed.length < inputs.length && job.whenCutShort !== 'deliver') {
    const error = new DeadlineError(
      `${processed.length} of ${inputs.length} records processed when the deadline margin was reached`,
    );
    return failed(processed, error, job.log?.stoppedByDeadline, {
      batch: batch.label,
      marginMs: deadline.marginMs,
    });
  }
  let response: ShapedResponse<R> | undefined;
  let additional: AdditionalDelivery | undefined;
  let analytics: AnalyticsRows | undefined;
  try {
    response = job.respond?.(processed);
  } catch (err) {
    return failed(processed, err, job.log?.unanswerable, { batch: batch.label });
  }
  // The records the batch delivers: all it processed, but those a Firehose response fails for size (Firehose
  // never delivers them). A Kinesis tail handed back near the deadline was not processed at all.
  const failedForSize = response?.failedForSize;
  const delivered =
    failedForSize !== undefined && failedForSize.size > 0 ? (i: number) => !failedForSize.has(i) : undefined;
  try {
    additional = job.additional?.(processed);
    if (job.analytics !== undefined) {
      analytics = job.analytics.rows({
        ...(delivered !== undefined && { delivered }),
        quarantined: quarantineReasons(processed),
        batchHour: batch,
        maxRows: ctx.analytics?.maxRows ?? DEFAULT_ANALYTICS_MAX_ROWS,
      });
      additional = withObjects(additional, batch, planAnalyticsObjects(batch, analytics.rows));
    }
  } catch (err) {
    return failed(processed, err, job.log?.notDelivered, { batch: batch.label });
  }

  let ratesReport: Parameters<Telemetry['rates']>[0] | undefined;
  const rateStep = rateStepOf(ctx, job, processed, batch, delivered, (report) => {
    ratesReport = report;
  });
  const delivery = await deliver(batch, processed, ctx.sinks, {
    rates: rateStep,
    zones: job.zones,
    alertSampleSize: config.alertSampleSize,
    deadline,
    additional,
  });
  const summary = summarize(processed, Date.now(), {
    received: inputs.length,
    configurationSets: config.metricConfigurationSets,
    ...(response?.failedForSize !== undefined && { failedForSize: response.failedForSize }),
  });
  ctx.telemetry.batch({
    path: job.path,
    summary,
    delivery,
    ...(analytics !== undefined && {
      analytics: { rows: analytics.rows.length, merged: analytics.merged },
    }),
  });
  if (ratesReport !== undefined) ctx.telemetry.rates(ratesReport);
  const fields = {
    batch: batch.label,
    ...job.logFields,
    ...summary,
    ...response?.logFields,
    archivedObjects: delivery.archived.length,
    alertsSent: delivery.sentAlerts.length,
    ...(analytics !== undefined && {
      analyticsRows: analytics.rows.length,
      ...(analytics.merged > 0 && { analyticsRowsMerged: analytics.merged }),
    }),
    ...(ratesReport !== undefined && {
      rateCounters: ratesReport.counters,
      rateCounterWrites: ratesReport.written,
      ...(ratesReport.dropped > 0 && { rateCountsDropped: ratesReport.dropped }),
    }),
  };
  const log = job.log;
  if (!delivery.delivered) {
    const error = new DeliveryError(
      `${delivery.errors.length} sink write(s) failed for ${batch.label}`,
      delivery.errors,
    );
    if (log !== undefined) {
      ctx.logger.error(log.notDelivered, {
        ...fields,
        retryable: error.retryable,
        errors: delivery.errors.map(errorFields),
      });
    }
    return { status: 'failed', error, processed, summary };
  }
  if (log !== undefined) {
    if (summary.deferred > 0 && log.cutShort !== undefined) {
      ctx.logger.warn(log.cutShort, {
        ...fields,
        marginMs: deadline.marginMs,
        firstDeferred: (inputs[processed.length] as InputRecord).id,
      });
    } else if (summary.failedForSize > 0 && log.failedForSize !== undefined) {
      ctx.logger.error(log.failedForSize, fields);
    } else {
      ctx.logger.info(log.processed, fields);
    }
  }
  return { status: 'delivered', processed, batch, summary, delivery, response: response?.value };
}

/**
 * The delivery's rate step: once the batch's archive objects are stored, the delivered records' counts go to
 * the shared store (countRates) and the alerts it claimed are published after the batch's own, then settled.
 * Undefined when the batch has no rates to count (no store, no rate rule, nothing delivered).
 */
function rateStepOf<R>(
  ctx: BatchContext,
  job: BatchJob<R>,
  processed: readonly ProcessedRecord[],
  batch: BatchRef,
  deliveredRecords: ((index: number) => boolean) | undefined,
  report: (report: Parameters<Telemetry['rates']>[0]) => void,
): RateStep | undefined {
  const settings = ctx.rates;
  const rates = job.rates;
  if (settings === undefined || rates === undefined || rates.tally.rules.length === 0) return undefined;
  const delivered = rates.delivered?.(processed) ?? deliveredRecords ?? (() => true);
  return async (write) => {
    const plan = rates.tally.plan(delivered, settings.maxCounters);
    const counted = await countRates(plan, {
      store: settings.store,
      guard: rates.guard(processed),
      batchLabel: batch.label,
      nowMs: Date.now(),
      retentionMs: settings.retentionMs,
      concurrency: settings.concurrency,
      claimLeaseMs: settings.claimLeaseMs,
      maxAlertsPerRule: settings.maxAlertsPerRule,
      write,
      logger: ctx.logger,
    });
    rates.onCounted?.(plan, counted);
    report({
      path: job.path,
      counters: plan.counters.length,
      written: counted.written,
      alreadyApplied: counted.alreadyApplied,
      dropped: counted.dropped,
      overflowed: plan.overflowed,
      alertsClaimed: counted.claimed.length,
    });
    return {
      batch: { ...batch, name: `${batch.name}.rates`, label: `${batch.label} (rates)` },
      alerts: counted.claimed.map((c) => c.alert),
      settle: (sent) =>
        settleRateAlerts(settings.store, counted.claimed, sent, {
          concurrency: settings.concurrency,
          write,
          logger: ctx.logger,
        }),
    };
  };
}

/** The reason of each quarantined record (poison and internal errors), in batch order. */
function* quarantineReasons(processed: readonly ProcessedRecord[]): Generator<string> {
  for (const p of processed) if (p.outcome.kind !== 'ok') yield p.outcome.reason;
}

/** `additional` with `objects` written too (under their own keys); a delivery of their own when there was none. */
function withObjects(
  additional: AdditionalDelivery | undefined,
  batch: BatchRef,
  objects: AdditionalDelivery['objects'],
): AdditionalDelivery | undefined {
  if (objects.length === 0) return additional;
  if (additional === undefined) return { batch, objects, alerts: [] };
  return { ...additional, objects: [...additional.objects, ...objects] };
}
