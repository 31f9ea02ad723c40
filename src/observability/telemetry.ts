import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DeliveryResult } from '../batch/deliver';
import { SinkError } from '../errors';
import type { ProcessedRecord } from '../pipeline';

/** What one batch did, for metrics: counts only, never payloads. */
export interface BatchReport {
  path: 'kinesis' | 'firehose';
  processed: readonly ProcessedRecord[];
  delivery: DeliveryResult;
  /** When the handler finished the batch (Unix ms), for arrival-to-processing latency. */
  nowMs: number;
}

/** Port for metrics: the batch processors report, an adapter turns reports into CloudWatch metrics. */
export interface Telemetry {
  batch(report: BatchReport): void;
  /** One call of a sink's SDK client: attempts made (retries = attempts − 1) and whether it succeeded. */
  sinkCall(sink: 'archive' | 'alerts', attempts: number, ok: boolean): void;
}

export const noTelemetry: Telemetry = { batch: () => undefined, sinkCall: () => undefined };

/**
 * CloudWatch metrics through Powertools Metrics (Embedded Metric Format). Dimensions stay low-cardinality:
 * path, source, family, outcome, poison reason, rule and severity, archive zone, sink — never ids.
 *
 * | metric | unit | dimensions |
 * |---|---|---|
 * | RecordsIn | Count | Path |
 * | RecordsOut | Count | Path, Source, Family, Outcome |
 * | RecordsDropped | Count | Path |
 * | PoisonRecords | Count | Path, Reason |
 * | AlertsSent | Count | Rule, Severity |
 * | ArchiveObjects, ArchiveBytes (uncompressed) | Count, Bytes | Zone |
 * | ArrivalLatencyMax, ArrivalLatencyAvg (stream arrival → processed) | Milliseconds | Path |
 * | BatchesNotDelivered | Count | Path |
 * | SinkFailures | Count | Sink |
 * | SinkRetries | Count | Sink |
 */
export class PowertoolsTelemetry implements Telemetry {
  constructor(private readonly metrics: Metrics) {}

  batch(report: BatchReport): void {
    const { path, processed, delivery, nowMs } = report;
    this.metrics.addDimension('Path', path);
    this.metrics.addMetric('RecordsIn', MetricUnit.Count, processed.length);

    const out = new Map<string, number>();
    const poison = new Map<string, number>();
    let dropped = 0;
    let latencyMax = 0;
    let latencySum = 0;
    for (const p of processed) {
      const latency = Math.max(0, nowMs - p.input.ingestMs);
      latencySum += latency;
      if (latency > latencyMax) latencyMax = latency;
      const o = p.outcome;
      if (o.kind === 'poison') poison.set(o.reason, (poison.get(o.reason) ?? 0) + 1);
      else if (o.dropped) dropped++;
      else {
        const key = `${o.record.source}\u0000${o.record.family}\u0000${o.record.outcome}`;
        out.set(key, (out.get(key) ?? 0) + 1);
      }
    }
    this.metrics.addMetric('RecordsDropped', MetricUnit.Count, dropped);
    this.metrics.addMetric('BatchesNotDelivered', MetricUnit.Count, delivery.delivered ? 0 : 1);
    if (processed.length > 0) {
      this.metrics.addMetric('ArrivalLatencyMax', MetricUnit.Milliseconds, latencyMax);
      this.metrics.addMetric(
        'ArrivalLatencyAvg',
        MetricUnit.Milliseconds,
        Math.round(latencySum / processed.length),
      );
    }

    for (const [key, n] of out) {
      const [source, family, outcome] = key.split('\u0000') as [string, string, string];
      this.single('RecordsOut', MetricUnit.Count, n, {
        Path: path,
        Source: source,
        Family: family,
        Outcome: outcome,
      });
    }
    for (const [reason, n] of poison)
      this.single('PoisonRecords', MetricUnit.Count, n, { Path: path, Reason: reason });
    for (const a of delivery.sentAlerts) {
      this.single('AlertsSent', MetricUnit.Count, 1, { Rule: a.rule, Severity: a.severity });
    }
    for (const z of delivery.archived) {
      this.single('ArchiveObjects', MetricUnit.Count, 1, { Zone: z.zone });
      this.single('ArchiveBytes', MetricUnit.Bytes, z.bytes, { Zone: z.zone });
    }
    for (const err of delivery.errors) {
      const sink = err instanceof SinkError ? err.sink : 'deadline';
      this.single('SinkFailures', MetricUnit.Count, 1, { Sink: sink });
    }
  }

  sinkCall(sink: 'archive' | 'alerts', attempts: number, _ok: boolean): void {
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
