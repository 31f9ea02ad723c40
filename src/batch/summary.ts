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
  // Counted in nested maps of our own vocabulary strings: a `source/family/outcome` key built per record
  // would be one string allocation per record.
  const counts = new Map<string, Map<string, Map<string, number>>>();
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
      const { source, family, outcome } = o.keys;
      let byFamily = counts.get(source);
      if (byFamily === undefined) {
        byFamily = new Map();
        counts.set(source, byFamily);
      }
      let byOutcome = byFamily.get(family);
      if (byOutcome === undefined) {
        byOutcome = new Map();
        byFamily.set(family, byOutcome);
      }
      byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
    }
  }
  for (const [source, byFamily] of counts)
    for (const [family, byOutcome] of byFamily)
      for (const [outcome, n] of byOutcome) s.byOutcome[`${source}/${family}/${outcome}`] = n;
  if (processed.length > 0) s.arrivalLatencyAvgMs = Math.round(latencySum / processed.length);
  return s;
}
