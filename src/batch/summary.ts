import type { ProcessedRecord } from '../pipeline';

/** Counts of one batch, for the log line (and metrics) — identifiers and numbers only, never payloads. */
export interface BatchSummary {
  records: number;
  ok: number;
  dropped: number;
  poison: number;
  poisonByReason: Record<string, number>;
}

export function summarize(processed: readonly ProcessedRecord[]): BatchSummary {
  const s: BatchSummary = { records: processed.length, ok: 0, dropped: 0, poison: 0, poisonByReason: {} };
  for (const p of processed) {
    const o = p.outcome;
    if (o.kind === 'poison') {
      s.poison++;
      s.poisonByReason[o.reason] = (s.poisonByReason[o.reason] ?? 0) + 1;
    } else if (o.dropped) s.dropped++;
    else s.ok++;
  }
  return s;
}
