import type { DeliveryResult } from '../sinks/ports';

/**
 * The telemetry port: what the batch runner reports about each batch, counts only. The adapter
 * (PowertoolsTelemetry) turns reports into CloudWatch metrics; outside Lambda nothing is reported.
 */

/** Which door a batch came through: a metric dimension. */
export type BatchPath = 'kinesis' | 'firehose' | 'cli';

/**
 * Counts of one batch, for the log line and the metrics — identifiers and numbers only, never payloads.
 * Computed once per batch: both the logger and the telemetry read this.
 */
export interface BatchSummary {
  /** Records received: `ok + dropped + poison + internalErrors + failedForSize + deferred`. */
  records: number;
  /** Normalized records delivered (Kinesis: archived; Firehose: returned `Ok`). */
  ok: number;
  dropped: number;
  poison: number;
  poisonByReason: Record<string, number>;
  /** Normalized records delivered (the `ok` ones) by `source/family/outcome`. */
  byOutcome: Record<string, number>;
  /**
   * Every normalized record of the batch — dropped by a rule or failed for size (Firehose) included: what
   * happened, whatever was kept — by `source/channel/outcome`, `NONE` for a record without a channel. What the
   * rate windows count too (docs/rates.md §1).
   */
  byMessage: Record<string, number>;
  /**
   * The same records as `byMessage`, by `configurationSet/channel/outcome`, for the configuration sets named in
   * `METRIC_CONFIGURATION_SETS` only (the ones the stack wires: a bounded list); absent when none is named.
   */
  byConfigurationSet?: Record<string, number>;
  /**
   * Records a normalizer failed on with an error of ours (a bug, not bad input): quarantined as
   * `internal_error`, not counted as poison.
   */
  internalErrors: number;
  /**
   * Firehose: normalized records returned as `ProcessingFailed` to keep the response within its size limit.
   * Not delivered: Firehose keeps their original data under its error prefix.
   */
  failedForSize: number;
  /** Records not processed because the invocation neared its deadline: handed back for another attempt. */
  deferred: number;
  /** Stream arrival → `nowMs`, over all records (0 for an empty batch). */
  arrivalLatencyMaxMs: number;
  arrivalLatencyAvgMs: number;
}

/** What one batch did, for metrics: counts only, never payloads. */
export interface BatchReport {
  path: BatchPath;
  summary: BatchSummary;
  delivery: DeliveryResult;
  /** The batch's analytics rows (docs/analytics.md), when it wrote some: absent on a batch that failed early. */
  analytics?: AnalyticsReport;
}

/** What a batch's analytics rows came to. */
export interface AnalyticsReport {
  /** Rows written (within `ANALYTICS_MAX_ROWS`). */
  rows: number;
  /** Records whose groups were merged into `other` rows because the batch had more groups than rows allowed. */
  merged: number;
}

/** What one delivered batch did to the shared rate counters (docs/rates.md), for metrics. */
export interface RatesReport {
  path: BatchPath;
  /** Counters the batch's records add to. */
  counters: number;
  /** Adds the store applied. */
  written: number;
  /** Adds the store had already applied (a retried batch). */
  alreadyApplied: number;
  /** Records whose counts could not be stored and are lost. */
  dropped: number;
  /** Records counted into a rule's `other` group (the batch had more counters than allowed). */
  overflowed: number;
  /** Rate alerts this batch claimed (and sent with its alerts). */
  alertsClaimed: number;
}

/** Port for metrics: the batch processors report, an adapter turns reports into CloudWatch metrics. */
export interface Telemetry {
  batch(report: BatchReport): void;
  /** After a delivered batch that had rate rules to count (the batch's own report comes first). */
  rates(report: RatesReport): void;
  /**
   * One call of a sink's SDK client, succeeded or not: the attempts it made (retries = attempts − 1). Whether it
   * succeeded is not reported here: a failed write fails its batch, and `batch` counts it (SinkFailures).
   */
  sinkCall(sink: 'archive' | 'alerts', attempts: number): void;
}

export const noTelemetry: Telemetry = {
  batch: () => undefined,
  rates: () => undefined,
  sinkCall: () => undefined,
};
