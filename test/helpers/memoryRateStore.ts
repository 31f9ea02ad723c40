import { SinkError } from '../../src/errors';
import {
  checkCounterIds,
  checkCounterRef,
  checkCounts,
  checkGuard,
  checkId,
  checkToken,
  checkWhole,
  compareUtf8,
} from '../../src/sinks/rateInputLimits';
import type {
  RateAddGuard,
  RateAddResult,
  RateAlertMark,
  RateBatchMarker,
  RateCounterItem,
  RateCounterRef,
  RateCounts,
  RateStore,
} from '../../src/sinks/rateStore';
import type { WriteOptions } from '../../src/sinks/writeOptions';

/** The primitives of the port, as named in {@link MemoryRateStore.calls} and the fault hook. */
export type RateStoreOp =
  | 'add'
  | 'get'
  | 'openBatch'
  | 'settleBatch'
  | 'clearInFlight'
  | 'claimAlert'
  | 'settleAlert';

/**
 * What a call suffers: nothing, a failure before it is applied (`before`: the store was not reached), or a
 * failure after (`after`: applied, but the answer was lost — what a caller sees when DynamoDB applied a write and
 * the connection dropped).
 */
export type RateStoreFault = 'none' | 'before' | 'after';

interface StoredCounter {
  readonly ref: RateCounterRef;
  counts: Record<string, number>;
  highWater: Record<string, string>;
  inFlight: Set<string>;
  alert?: RateAlertMark;
}

interface StoredMarker {
  pending: Set<string>;
  expiresAt: number;
}

/**
 * The rate store in memory: the port's semantics as plainly as they can be written (each primitive runs to its
 * end before another starts: JavaScript has one thread), for unit tests of the protocol (src/batch/countRates.ts).
 * The contract tests (test/integration/rateStoreContract.test.ts) hold it to the same behaviour as the DynamoDB
 * and local adapters. It checks its inputs with the adapters' limits, so a test breaking one fails as production
 * would.
 *
 * `fault` injects failures per call; `calls` records every call (the op and the key it touched).
 */
export class MemoryRateStore implements RateStore {
  readonly counters = new Map<string, StoredCounter>();
  readonly markers = new Map<string, StoredMarker>();
  readonly calls: Array<{ op: RateStoreOp; key: string }> = [];
  fault: (op: RateStoreOp, key: string) => RateStoreFault = () => 'none';

  async add(
    counter: RateCounterRef,
    counts: RateCounts,
    guard: RateAddGuard,
    options?: WriteOptions,
  ): Promise<RateAddResult> {
    checkCounterRef(counter);
    checkCounts(counts);
    checkGuard(guard);
    return this.run('add', counter.id, options, () => {
      const existing = this.counters.get(counter.id);
      if (guard.kind === 'sequence') {
        const mark = existing?.highWater[guard.lane];
        if (mark !== undefined && compareUtf8(mark, guard.first) >= 0) {
          return { applied: false, item: itemOf(existing) };
        }
      } else if (existing?.inFlight.has(guard.batchId)) {
        return { applied: false, item: itemOf(existing) };
      }
      const c = existing ?? this.create(counter);
      for (const [outcome, n] of Object.entries(counts)) c.counts[outcome] = (c.counts[outcome] ?? 0) + n;
      if (guard.kind === 'sequence') c.highWater[guard.lane] = guard.last;
      else c.inFlight.add(guard.batchId);
      return { applied: true, item: itemOf(c) as RateCounterItem };
    });
  }

  async get(counter: RateCounterRef, options?: WriteOptions): Promise<RateCounterItem | undefined> {
    checkCounterRef(counter);
    return this.run('get', counter.id, options, () => itemOf(this.counters.get(counter.id)));
  }

  async openBatch(
    batchId: string,
    counterIds: readonly string[],
    expiresAt: number,
    options?: WriteOptions,
  ): Promise<{ created: true } | { created: false; marker: RateBatchMarker }> {
    checkId('batch id', batchId);
    checkCounterIds(counterIds);
    checkWhole('expiresAt', expiresAt);
    return this.run('openBatch', batchId, options, () => {
      const existing = this.markers.get(batchId);
      if (existing !== undefined)
        return { created: false, marker: { batchId, pending: [...existing.pending] } };
      this.markers.set(batchId, { pending: new Set(counterIds), expiresAt });
      return { created: true };
    });
  }

  async settleBatch(batchId: string, counterIds: readonly string[], options?: WriteOptions): Promise<void> {
    checkId('batch id', batchId);
    checkCounterIds(counterIds);
    this.run('settleBatch', batchId, options, () => {
      const marker = this.markers.get(batchId);
      for (const id of counterIds) marker?.pending.delete(id);
    });
  }

  async clearInFlight(counter: RateCounterRef, batchId: string, options?: WriteOptions): Promise<void> {
    checkCounterRef(counter);
    checkId('batch id', batchId);
    this.run('clearInFlight', counter.id, options, () => {
      this.counters.get(counter.id)?.inFlight.delete(batchId);
    });
  }

  async claimAlert(
    counter: RateCounterRef,
    token: string,
    nowMs: number,
    until: number,
    options?: WriteOptions,
  ): Promise<boolean> {
    checkCounterRef(counter);
    checkToken(token);
    checkWhole('nowMs', nowMs);
    checkWhole('until', until);
    return this.run('claimAlert', counter.id, options, () => {
      const alert = this.counters.get(counter.id)?.alert;
      const free =
        alert === undefined || (alert.state === 'claimed' && (alert.until < nowMs || alert.token === token));
      if (!free) return false;
      const c = this.counters.get(counter.id) ?? this.create(counter);
      c.alert = { state: 'claimed', token, until };
      return true;
    });
  }

  async settleAlert(
    counter: RateCounterRef,
    token: string,
    outcome: 'sent' | 'released',
    options?: WriteOptions,
  ): Promise<void> {
    checkCounterRef(counter);
    checkToken(token);
    this.run('settleAlert', counter.id, options, () => {
      const c = this.counters.get(counter.id);
      if (c?.alert === undefined || c.alert.token !== token || c.alert.state !== 'claimed') return;
      if (outcome === 'sent') c.alert = { ...c.alert, state: 'sent' };
      else delete c.alert;
    });
  }

  /** The TTL a stored item carries (epoch seconds), by the key the DynamoDB table would give it. */
  expiresAtOf(pk: string): number | undefined {
    if (pk.startsWith('batch#')) return this.markers.get(pk.slice('batch#'.length))?.expiresAt;
    return this.counters.get(pk)?.ref.expiresAt;
  }

  private create(counter: RateCounterRef): StoredCounter {
    const c: StoredCounter = { ref: counter, counts: {}, highWater: {}, inFlight: new Set() };
    this.counters.set(counter.id, c);
    return c;
  }

  private run<T>(op: RateStoreOp, key: string, options: WriteOptions | undefined, apply: () => T): T {
    this.calls.push({ op, key });
    if (options?.signal?.aborted) throw new SinkError('rates', `${op} '${key}' aborted`);
    const fault = this.fault(op, key);
    if (fault === 'before') throw new SinkError('rates', `injected failure before ${op} '${key}'`);
    const result = apply();
    if (fault === 'after') throw new SinkError('rates', `injected failure after ${op} '${key}' (applied)`);
    return result;
  }
}

function itemOf(c: StoredCounter | undefined): RateCounterItem | undefined {
  if (c === undefined) return undefined;
  return {
    counts: { ...c.counts },
    highWater: { ...c.highWater },
    inFlight: [...c.inFlight],
    ...(c.alert !== undefined && { alert: { ...c.alert } }),
  };
}
