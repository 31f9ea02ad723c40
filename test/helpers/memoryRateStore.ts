import type {
  RateAddGuard,
  RateBatchMarker,
  RateCounterItem,
  RateCounterRef,
  RateCounts,
  RateStore,
} from '../../src/sinks/rateStore';

interface MutableCounter {
  counts: Record<string, number>;
  highWater: Record<string, string>;
  inFlight: Set<string>;
  alert?: { state: 'claimed' | 'sent'; token: string; until: number };
  expiresAt: number;
  ref: RateCounterRef;
}

/**
 * The rate store port in memory, with the semantics of the DynamoDB adapter (each call is atomic, like one
 * conditional UpdateItem): for the protocol's unit tests. `calls` records every call; `failWith` makes the next
 * calls (of the given kinds) reject, as an outage past the adapter's retries would.
 */
export class MemoryRateStore implements RateStore {
  readonly counters = new Map<string, MutableCounter>();
  readonly markers = new Map<string, { pending: Set<string>; expiresAt: number }>();
  readonly calls: string[] = [];
  failWith: { error: unknown; calls?: ReadonlySet<string> } | undefined;

  private check(call: string): void {
    this.calls.push(call);
    const f = this.failWith;
    if (f !== undefined && (f.calls === undefined || f.calls.has(call))) throw f.error;
  }

  private snapshot(c: MutableCounter): RateCounterItem {
    return {
      counts: { ...c.counts },
      highWater: { ...c.highWater },
      inFlight: [...c.inFlight],
      ...(c.alert !== undefined && { alert: { ...c.alert } }),
    };
  }

  async add(
    ref: RateCounterRef,
    counts: RateCounts,
    guard: RateAddGuard,
  ): Promise<
    { applied: true; item: RateCounterItem } | { applied: false; item: RateCounterItem | undefined }
  > {
    this.check('add');
    let c = this.counters.get(ref.id);
    if (guard.kind === 'sequence') {
      const mark = c?.highWater[guard.lane];
      if (mark !== undefined && !(mark < guard.first)) return { applied: false, item: c && this.snapshot(c) };
    } else if (c?.inFlight.has(guard.batchId)) {
      return { applied: false, item: this.snapshot(c) };
    }
    if (c === undefined) {
      c = { counts: {}, highWater: {}, inFlight: new Set(), expiresAt: ref.expiresAt, ref };
      this.counters.set(ref.id, c);
    }
    for (const [o, n] of Object.entries(counts)) c.counts[o] = (c.counts[o] ?? 0) + n;
    if (guard.kind === 'sequence') c.highWater[guard.lane] = guard.last;
    else c.inFlight.add(guard.batchId);
    return { applied: true, item: this.snapshot(c) };
  }

  async get(ref: RateCounterRef): Promise<RateCounterItem | undefined> {
    this.check('get');
    const c = this.counters.get(ref.id);
    return c && this.snapshot(c);
  }

  async openBatch(
    batchId: string,
    counterIds: readonly string[],
    expiresAt: number,
  ): Promise<{ created: true } | { created: false; marker: RateBatchMarker }> {
    this.check('openBatch');
    const m = this.markers.get(batchId);
    if (m !== undefined) return { created: false, marker: { batchId, pending: [...m.pending] } };
    this.markers.set(batchId, { pending: new Set(counterIds), expiresAt });
    return { created: true };
  }

  async settleBatch(batchId: string, counterIds: readonly string[]): Promise<void> {
    this.check('settleBatch');
    const m = this.markers.get(batchId);
    if (m !== undefined) for (const id of counterIds) m.pending.delete(id);
  }

  async clearInFlight(ref: RateCounterRef, batchId: string): Promise<void> {
    this.check('clearInFlight');
    this.counters.get(ref.id)?.inFlight.delete(batchId);
  }

  async claimAlert(ref: RateCounterRef, token: string, nowMs: number, until: number): Promise<boolean> {
    this.check('claimAlert');
    const c = this.counters.get(ref.id);
    if (c === undefined) return false;
    if (c.alert !== undefined && !(c.alert.state === 'claimed' && c.alert.until < nowMs)) return false;
    c.alert = { state: 'claimed', token, until };
    return true;
  }

  async settleAlert(ref: RateCounterRef, token: string, outcome: 'sent' | 'released'): Promise<void> {
    this.check('settleAlert');
    const c = this.counters.get(ref.id);
    if (c?.alert === undefined || c.alert.token !== token || c.alert.state !== 'claimed') return;
    if (outcome === 'sent') c.alert = { ...c.alert, state: 'sent' };
    else delete c.alert;
  }

  /** The totals of every counter of a rule, by outcome. */
  totals(rule: string): Record<string, number> {
    const sum: Record<string, number> = {};
    for (const c of this.counters.values()) {
      if (c.ref.rule !== rule) continue;
      for (const [o, n] of Object.entries(c.counts)) sum[o] = (sum[o] ?? 0) + n;
    }
    return sum;
  }
}
