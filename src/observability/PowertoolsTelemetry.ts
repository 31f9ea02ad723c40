import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DeadlineError, SinkError } from '../errors';
import type { BatchReport, RatesReport, Telemetry } from './telemetry';

/**
 * CloudWatch metrics through Powertools Metrics (Embedded Metric Format). Dimensions stay low-cardinality:
 * path, source, family, outcome, poison reason, rule and severity, archive zone, sink — never ids.
 *
 * | metric | unit | dimensions |
 * |---|---|---|
 * | RecordsIn | Count | Path |
 * | RecordsOut (delivered batches) | Count | Path, Source, Family, Outcome |
 * | RecordsDropped | Count | Path |
 * | PoisonRecords (delivered batches) | Count | Path, Reason |
 * | InternalErrors (records a normalizer failed on with a bug of ours: quarantined as `internal_error`) | Count | Path |
 * | RecordsFailedForSize (Firehose: `ProcessingFailed` to fit the 6 MB response) | Count | Path |
 * | RecordsDeferred (handed back unprocessed near the deadline) | Count | Path |
 * | AlertsSent | Count | Rule, Severity |
 * | ArchiveObjects, ArchiveBytes (uncompressed) | Count, Bytes | Zone |
 * | ArrivalLatencyMax, ArrivalLatencyAvg (stream arrival → processed) | Milliseconds | Path |
 * | BatchesNotDelivered | Count | Path |
 * | SinkFailures | Count | Sink |
 * | SinkRetries | Count | Sink |
 * | MessageEvents (delivered batches, dropped and failed-for-size records included) | Count | Source, Channel, Outcome |
 * | RateCountsDropped, RateCounterWrites, RateRecordsOverflowed (the shared rate store) | Count | Path |
 * | AnalyticsRowsMerged (delivered batches: records merged into `other` analytics rows past ANALYTICS_MAX_ROWS) | Count | Path |
 * | ConfigurationSetEvents (the same, for the sets of METRIC_CONFIGURATION_SETS only) | Count | ConfigurationSet, Channel, Outcome |
 *
 * The names and dimension sets are METRIC_CATALOG's (metricCatalog.ts), which alarms and dashboards are
 * checked against; a unit test checks this adapter's EMF output against it.
 */
export class PowertoolsTelemetry implements Telemetry {
  constructor(private readonly metrics: Metrics) {}

  batch(report: BatchReport): void {
    const { path, summary, delivery } = report;
    this.metrics.addDimension('Path', path);
    this.metrics.addMetric('RecordsIn', MetricUnit.Count, summary.records);
    this.metrics.addMetric('RecordsDropped', MetricUnit.Count, summary.dropped);
    // Counted on every attempt, delivered or not: a bad deploy must show within minutes, whatever the sinks do.
    this.metrics.addMetric('InternalErrors', MetricUnit.Count, summary.internalErrors);
    this.metrics.addMetric('BatchesNotDelivered', MetricUnit.Count, delivery.delivered ? 0 : 1);
    this.metrics.addMetric('RecordsDeferred', MetricUnit.Count, summary.deferred);
    if (path === 'firehose') {
      this.metrics.addMetric('RecordsFailedForSize', MetricUnit.Count, summary.failedForSize);
    }
    // The batch's analytics rows merged past ANALYTICS_MAX_ROWS: on every batch that wrote them, 0 on most.
    if (report.analytics !== undefined && delivery.delivered) {
      this.metrics.addMetric('AnalyticsRowsMerged', MetricUnit.Count, report.analytics.merged);
    }
    if (summary.records > 0) {
      this.metrics.addMetric('ArrivalLatencyMax', MetricUnit.Milliseconds, summary.arrivalLatencyMaxMs);
      this.metrics.addMetric('ArrivalLatencyAvg', MetricUnit.Milliseconds, summary.arrivalLatencyAvgMs);
    }

    // Records count once, when their batch is delivered: a batch that goes back is counted on the attempt
    // that delivers it.
    const delivered = delivery.delivered;
    for (const [key, n] of delivered ? Object.entries(summary.byOutcome) : []) {
      const [source, family, outcome] = key.split('/') as [string, string, string];
      this.single('RecordsOut', MetricUnit.Count, n, {
        Path: path,
        Source: source,
        Family: family,
        Outcome: outcome,
      });
    }
    for (const [key, n] of delivered ? Object.entries(summary.byMessage) : []) {
      const [source, channel, outcome] = key.split('/') as [string, string, string];
      this.single('MessageEvents', MetricUnit.Count, n, {
        Source: source,
        Channel: channel,
        Outcome: outcome,
      });
    }
    for (const [key, n] of delivered ? Object.entries(summary.byConfigurationSet ?? {}) : []) {
      const [set, channel, outcome] = key.split('/') as [string, string, string];
      this.single('ConfigurationSetEvents', MetricUnit.Count, n, {
        ConfigurationSet: set,
        Channel: channel,
        Outcome: outcome,
      });
    }
    for (const [reason, n] of delivered ? Object.entries(summary.poisonByReason) : [])
      this.single('PoisonRecords', MetricUnit.Count, n, { Path: path, Reason: reason });
    for (const a of delivery.sentAlerts) {
      this.single('AlertsSent', MetricUnit.Count, 1, { Rule: a.rule, Severity: a.severity });
    }
    for (const z of delivery.archived) {
      this.single('ArchiveObjects', MetricUnit.Count, 1, { Zone: z.zone });
      this.single('ArchiveBytes', MetricUnit.Bytes, z.bytes, { Zone: z.zone });
    }
    // Failed writes by sink, and the deadline; other errors (a bug) fail the invocation and show in Errors.
    for (const err of delivery.errors) {
      const sink =
        err instanceof SinkError ? err.sink : err instanceof DeadlineError ? 'deadline' : undefined;
      if (sink !== undefined) this.single('SinkFailures', MetricUnit.Count, 1, { Sink: sink });
    }
  }

  rates(report: RatesReport): void {
    const path = { Path: report.path };
    // Zero on most batches: the alarm sees a value, not missing data.
    this.single('RateCountsDropped', MetricUnit.Count, report.dropped, path);
    this.single('RateCounterWrites', MetricUnit.Count, report.written, path);
    if (report.overflowed > 0)
      this.single('RateRecordsOverflowed', MetricUnit.Count, report.overflowed, path);
  }

  sinkCall(sink: 'archive' | 'alerts', attempts: number): void {
    if (attempts > 1) this.single('SinkRetries', MetricUnit.Count, attempts - 1, { Sink: sink });
  }

  private single(
    name: string,
    unit: (typeof MetricUnit)[keyof typeof MetricUnit],
    value: number,
    dimensions: Record<string, string>,
  ): void {
    const m = this.metrics.singleMetric();
    m.addDimensions(dimensions);
    m.addMetric(name, unit, value);
  }
}
