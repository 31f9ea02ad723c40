import type { ProcessedRecord } from '../pipeline';

/**
 * Counts of one batch, for the log line and the metrics — identifiers and numbers only, never payloads.
 * Computed once per batch: both the logger and the telemetry read this.
 */
export interface BatchSummary {
  records: number;
  ok: number;
  dropped: number;
  poison: number;
  poisonByReason: Record<string, number>;
  /** Normalized (not dropped) records by `source/family/outcome`. */
  byOutcome: Record<string, number>;
  /** Stream arrival → `nowMs`, over all records (0 for an empty batch). */
  arrivalLatencyMaxMs: number;
  arrivalLatencyAvgMs: number;
}

export function summarize(processed: readonly ProcessedRecord[], nowMs: number): BatchSummary {
  const s: BatchSummary = {
    records: processed.length,
    ok: 0,
    dropped: 0,
    poison: 0,
    poisonByReason: {},
    byOutcome: {},
    arrivalLatencyMaxMs: 0,
    arrivalLatencyAvgMs: 0,
  };
  let latencySum = 0;
  for (const p of processed) {
    const latency = Math.max(0, nowMs - p.input.ingestMs);
    latencySum += latency;
    if (latency > s.arrivalLatencyMaxMs) s.arrivalLatencyMaxMs = latency;
    const o = p.outcome;
    if (o.kind === 'poison') {
      s.poison++;
      s.poisonByReason[o.reason] = (s.poisonByReason[o.reason] ?? 0) + 1;
    } else if (o.dropped) s.dropped++;
    else {
      s.ok++;
      const key = `${o.keys.source}/${o.keys.family}/${o.keys.outcome}`;
      s.byOutcome[key] = (s.byOutcome[key] ?? 0) + 1;
    }
  }
  if (processed.length > 0) s.arrivalLatencyAvgMs = Math.round(latencySum / processed.length);
  return s;
}
