import type { BatchSummary } from '../observability/telemetry';
import type { ProcessedRecord } from '../pipeline';

export interface SummaryOptions {
  /** Records the invocation received, when more than were processed (the rest are `deferred`). */
  received?: number;
  /** Indexes (into `processed`) of normalized records the Firehose response failed for size. */
  failedForSize?: ReadonlySet<number>;
  /** The configuration sets counted apart (`byConfigurationSet`): `METRIC_CONFIGURATION_SETS`. */
  configurationSets?: readonly string[];
}

export function summarize(
  processed: readonly ProcessedRecord[],
  nowMs: number,
  options: SummaryOptions = {},
): BatchSummary {
  const received = Math.max(options.received ?? processed.length, processed.length);
  const sizeFailed = options.failedForSize;
  const s: BatchSummary = {
    records: received,
    ok: 0,
    dropped: 0,
    poison: 0,
    poisonByReason: {},
    byOutcome: {},
    byMessage: {},
    internalErrors: 0,
    failedForSize: 0,
    deferred: received - processed.length,
    arrivalLatencyMaxMs: 0,
    arrivalLatencyAvgMs: 0,
  };
  const sets = options.configurationSets ?? [];
  const bySet: Record<string, number> | undefined = sets.length > 0 ? {} : undefined;
  if (bySet !== undefined) s.byConfigurationSet = bySet;
  let latencySum = 0;
  for (let i = 0; i < processed.length; i++) {
    const p = processed[i] as ProcessedRecord;
    const latency = Math.max(0, nowMs - p.input.ingestMs);
    latencySum += latency;
    if (latency > s.arrivalLatencyMaxMs) s.arrivalLatencyMaxMs = latency;
    const o = p.outcome;
    if (o.kind === 'poison') {
      s.poison++;
      s.poisonByReason[o.reason] = (s.poisonByReason[o.reason] ?? 0) + 1;
      continue;
    }
    if (o.kind === 'internal_error') {
      s.internalErrors++;
      continue;
    }
    const k = o.keys;
    const message = `${k.source}/${k.channel ?? 'NONE'}/${k.outcome}`;
    s.byMessage[message] = (s.byMessage[message] ?? 0) + 1;
    if (bySet !== undefined && k.configurationSet !== undefined && sets.includes(k.configurationSet)) {
      const key = `${k.configurationSet}/${k.channel ?? 'NONE'}/${k.outcome}`;
      bySet[key] = (bySet[key] ?? 0) + 1;
    }
    if (o.dropped) s.dropped++;
    else if (sizeFailed?.has(i) === true) s.failedForSize++;
    else {
      s.ok++;
      const key = `${o.keys.source}/${o.keys.family}/${o.keys.outcome}`;
      s.byOutcome[key] = (s.byOutcome[key] ?? 0) + 1;
    }
  }
  if (processed.length > 0) s.arrivalLatencyAvgMs = Math.round(latencySum / processed.length);
  return s;
}
