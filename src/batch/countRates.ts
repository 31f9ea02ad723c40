import { randomUUID } from 'node:crypto';
import type { RateAlert } from '../alerts/rateAlert';
import { errorFields, type Logger } from '../logger';
import { counterAlert } from '../rates/counterAlert';
import type { CounterPlan, RateEntry, RatePlan } from '../rates/RateTally';
import type { WriteOptions } from '../sinks/ports';
import type { RateCounterItem, RateCounterRef, RateStore } from '../sinks/rateStore';

/**
 * What makes a batch's counts apply once (docs/rates.md §3):
 *
 * - `sequence` (the Kinesis path, one consumer per shard): the shard is the lane, the records' sequence keys
 *   (src/rates/sequenceKey.ts) order them, and each counter keeps the lane's high-water mark. A retry — even one
 *   Lambda hands over in another size after a crash — adds only the records past the mark.
 * - `batch` (Firehose, and Kinesis with a parallelization factor above 1, where one shard's records arrive in
 *   several concurrent lanes): the batch's id (a hash of its record ids) marks it, and a marker item lists the
 *   counters it still has to add to.
 */
export type RateGuard =
  | { readonly kind: 'sequence'; readonly lane: string; readonly sequenceKey: (index: number) => string }
  | { readonly kind: 'batch'; readonly batchId: string };

export interface RateCountingOptions {
  readonly store: RateStore;
  readonly guard: RateGuard;
  /** Where the batch came from, for the alerts' `batch` field. */
  readonly batchLabel: string;
  readonly nowMs: number;
  /** Counters and markers expire this long after their window ends (`RATE_RETENTION_HOURS`). */
  readonly retentionMs: number;
  /** Store calls in flight at once. */
  readonly concurrency: number;
  /** A claimed alert that was not settled (a crash) may be claimed again after this long. */
  readonly claimLeaseMs: number;
  /** The most alerts one rule sends from one invocation (the highest rates first). */
  readonly maxAlertsPerRule: number;
  /** Each store call's options: the signal that aborts it at the Lambda deadline. */
  readonly write: () => WriteOptions;
  readonly logger: Logger;
}

/** A claimed alert: sent with the batch's alerts, then settled. */
export interface ClaimedRateAlert {
  readonly alert: RateAlert;
  readonly counter: RateCounterRef;
  readonly token: string;
}

export interface RateCountingResult {
  /** Alerts this invocation claimed and must send (then settle with {@link settleRateAlerts}). */
  readonly claimed: readonly ClaimedRateAlert[];
  /** Counters written (adds that applied). */
  readonly written: number;
  /** Counters whose add the store had already applied (a retry). */
  readonly alreadyApplied: number;
  /** Records whose counts could not be stored and are lost: RateCountsDropped. */
  readonly dropped: number;
  /** Crossing groups left out by maxAlertsPerRule (they alert on the next batch to add to their counter). */
  readonly omitted: number;
  /** Every store error (already retried by the adapter), for the log. */
  readonly errors: readonly unknown[];
}

/**
 * Adds a delivered batch's rate counts to the shared store, exactly once, then evaluates each counter it wrote on
 * the running totals the store returned and claims the alert of each that crossed — at most one claimant per
 * counter ever sends it (docs/rates.md §3, §4).
 *
 * Never throws and never fails the batch: a store that throttles or is down past the adapter's retries loses
 * those counts — counted in `dropped` (the RateCountsDropped metric and its alarm) and logged — and the batch
 * is delivered all the same. Rates must not stall a shard or fail a Firehose invocation.
 */
export async function countRates(plan: RatePlan, options: RateCountingOptions): Promise<RateCountingResult> {
  const counters = plan.counters;
  const errors: unknown[] = [];
  let written = 0;
  let alreadyApplied = 0;
  let dropped = 0;
  const items: Array<RateCounterItem | undefined> = new Array(counters.length);
  const refs = counters.map((c) => counterRef(c, options.retentionMs));
  const fail = (i: number, err: unknown) => {
    errors.push(err);
    dropped += (counters[i] as CounterPlan).entries.length;
  };

  if (counters.length > 0) {
    if (options.guard.kind === 'sequence') {
      const guard = options.guard;
      await forEachLimited(counters.length, options.concurrency, async (i) => {
        try {
          const out = await addSequenced(
            options.store,
            refs[i] as RateCounterRef,
            counters[i] as CounterPlan,
            guard,
            options,
          );
          items[i] = out.item;
          if (out.applied) written++;
          else alreadyApplied++;
        } catch (err) {
          fail(i, err);
        }
      });
    } else {
      const out = await addMarked(options.store, refs, counters, options.guard.batchId, options, items);
      written += out.written;
      alreadyApplied += out.alreadyApplied;
      for (const [i, err] of out.failed) fail(i, err);
    }
  }

  const { claimed, omitted, claimErrors } = await claimCrossings(counters, refs, items, options);
  errors.push(...claimErrors);
  if (errors.length > 0) {
    options.logger.error('rate counts not stored: the batch is delivered, these counts are dropped', {
      batch: options.batchLabel,
      droppedRecords: dropped,
      counters: counters.length,
      errors: errors.slice(0, 5).map(errorFields),
    });
  }
  return { claimed, written, alreadyApplied, dropped, omitted, errors };
}

/**
 * Settles the claims once the alerts were published: `sent` for those the alert sink took (never sent again),
 * `released` for the rest (the next batch to add to the counter claims and sends them). Errors are logged: a
 * claim that stays unsettled lapses after the lease.
 */
export async function settleRateAlerts(
  store: RateStore,
  claimed: readonly ClaimedRateAlert[],
  sent: ReadonlySet<string>,
  options: Pick<RateCountingOptions, 'concurrency' | 'write' | 'logger'>,
): Promise<void> {
  const errors: unknown[] = [];
  await forEachLimited(claimed.length, options.concurrency, async (i) => {
    const c = claimed[i] as ClaimedRateAlert;
    try {
      await store.settleAlert(
        c.counter,
        c.token,
        sent.has(c.alert.alert_id) ? 'sent' : 'released',
        options.write(),
      );
    } catch (err) {
      errors.push(err);
    }
  });
  if (errors.length > 0) {
    options.logger.warn('rate alert claims not settled: they lapse after their lease', {
      claims: claimed.length,
      errors: errors.slice(0, 5).map(errorFields),
    });
  }
}

/** The store's view of a counter plan: its key, what describes it, when it expires. */
export function counterRef(c: CounterPlan, retentionMs: number): RateCounterRef {
  return {
    id: c.id,
    rule: c.rule.name,
    windowStart: c.windowStart,
    windowEnd: c.windowEnd,
    group: c.group,
    expiresAt: Math.ceil((c.windowEndMs + retentionMs) / 1000),
  };
}

/** Counts of some entries of a counter, by outcome. */
function countsOf(counter: CounterPlan, entries: readonly RateEntry[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of entries) {
    const o = counter.rule.outcomes[e.outcome] as string;
    counts[o] = (counts[o] ?? 0) + 1;
  }
  return counts;
}

/**
 * One counter under the high-water mark of its lane. When the store refuses (its mark is at or past our first
 * record: a retry), the records past the mark are added — none when the batch was applied in full. Two rounds
 * at most in a lane read by one consumer; a third refusal means another writer of the lane, and the add stops.
 */
async function addSequenced(
  store: RateStore,
  ref: RateCounterRef,
  counter: CounterPlan,
  guard: Extract<RateGuard, { kind: 'sequence' }>,
  options: RateCountingOptions,
): Promise<{ applied: boolean; item: RateCounterItem | undefined }> {
  let entries = counter.entries;
  let applied = false;
  let item: RateCounterItem | undefined;
  for (let round = 0; round < 3 && entries.length > 0; round++) {
    const first = guard.sequenceKey((entries[0] as RateEntry).index);
    const last = guard.sequenceKey((entries[entries.length - 1] as RateEntry).index);
    const out = await store.add(
      ref,
      round === 0 ? counter.counts : countsOf(counter, entries),
      { kind: 'sequence', lane: guard.lane, first, last },
      options.write(),
    );
    item = out.item;
    if (out.applied) {
      applied = true;
      break;
    }
    const mark = item?.highWater[guard.lane];
    if (mark === undefined) break;
    entries = entries.filter((e) => guard.sequenceKey(e.index) > mark);
  }
  return { applied, item };
}

/**
 * Every counter of a batch under its marker: the marker lists the counters still to add to; each add is guarded
 * by the batch id on the counter (in flight); once an add is known applied, the marker forgets the counter and
 * the counter forgets the batch. A retry finds the marker and adds only to the counters still listed — the
 * others are read, for their alerts. A crash at any step leaves either the marker's entry (the add is guarded
 * by the counter's in-flight id) or nothing to do.
 */
async function addMarked(
  store: RateStore,
  refs: readonly RateCounterRef[],
  counters: readonly CounterPlan[],
  batchId: string,
  options: RateCountingOptions,
  items: Array<RateCounterItem | undefined>,
): Promise<{ written: number; alreadyApplied: number; failed: Array<[number, unknown]> }> {
  const failed: Array<[number, unknown]> = [];
  let written = 0;
  let alreadyApplied = 0;
  const ids = refs.map((r) => r.id);
  const expiresAt = Math.max(...refs.map((r) => r.expiresAt));
  let pending: ReadonlySet<string>;
  let retry = false;
  try {
    const opened = await store.openBatch(batchId, ids, expiresAt, options.write());
    if (opened.created) pending = new Set(ids);
    else {
      pending = new Set(opened.marker.pending);
      retry = true;
    }
  } catch (err) {
    return { written, alreadyApplied, failed: counters.map((_, i) => [i, err]) };
  }
  const done: string[] = [];
  await forEachLimited(counters.length, options.concurrency, async (i) => {
    const ref = refs[i] as RateCounterRef;
    try {
      if (!pending.has(ref.id)) {
        items[i] = await store.get(ref, options.write());
        alreadyApplied++;
        return;
      }
      const out = await store.add(
        ref,
        (counters[i] as CounterPlan).counts,
        { kind: 'batch', batchId },
        options.write(),
      );
      items[i] = out.item;
      if (out.applied) written++;
      else alreadyApplied++;
      done.push(ref.id);
    } catch (err) {
      failed.push([i, err]);
    }
  });
  if (done.length > 0) {
    try {
      await store.settleBatch(batchId, done, options.write());
      // A retry also clears what an earlier attempt may have left between its settle and its clear.
      const clear = retry ? refs : refs.filter((r) => done.includes(r.id));
      await forEachLimited(clear.length, options.concurrency, async (i) => {
        await store.clearInFlight(clear[i] as RateCounterRef, batchId, options.write());
      });
    } catch (err) {
      // The counts are stored; what is left behind is bookkeeping that expires with the items.
      options.logger.warn('rate batch marker not settled: its counts are stored, its bookkeeping expires', {
        batch: options.batchLabel,
        error: errorFields(err),
      });
    }
  }
  return { written, alreadyApplied, failed };
}

/**
 * The counters whose totals cross their rule, their alert not sent nor claimed by another: claimed for this
 * invocation, at most `maxAlertsPerRule` per rule (highest rates first).
 */
async function claimCrossings(
  counters: readonly CounterPlan[],
  refs: readonly RateCounterRef[],
  items: ReadonlyArray<RateCounterItem | undefined>,
  options: RateCountingOptions,
): Promise<{ claimed: ClaimedRateAlert[]; omitted: number; claimErrors: unknown[] }> {
  const byRule = new Map<string, Array<{ i: number; alert: RateAlert }>>();
  for (let i = 0; i < counters.length; i++) {
    const item = items[i];
    if (item === undefined) continue;
    const mark = item.alert;
    if (mark !== undefined && (mark.state === 'sent' || mark.until > options.nowMs)) continue;
    const counter = counters[i] as CounterPlan;
    const alert = counterAlert(counter, item.counts, options.batchLabel);
    if (alert === undefined) continue;
    let list = byRule.get(counter.rule.name);
    if (list === undefined) {
      list = [];
      byRule.set(counter.rule.name, list);
    }
    list.push({ i, alert });
  }
  const chosen: Array<{ i: number; alert: RateAlert }> = [];
  let omitted = 0;
  for (const list of byRule.values()) {
    list.sort((a, b) => b.alert.rate - a.alert.rate || b.alert.denominator - a.alert.denominator);
    omitted += Math.max(0, list.length - options.maxAlertsPerRule);
    for (const c of list.slice(0, options.maxAlertsPerRule)) {
      c.alert.groups_alerting = list.length;
      chosen.push(c);
    }
  }
  const token = randomUUID();
  const claimed: ClaimedRateAlert[] = [];
  const claimErrors: unknown[] = [];
  await forEachLimited(chosen.length, options.concurrency, async (k) => {
    const { i, alert } = chosen[k] as { i: number; alert: RateAlert };
    const ref = refs[i] as RateCounterRef;
    try {
      const won = await options.store.claimAlert(
        ref,
        token,
        options.nowMs,
        options.nowMs + options.claimLeaseMs,
        options.write(),
      );
      if (won) claimed.push({ alert, counter: ref, token });
    } catch (err) {
      claimErrors.push(err);
    }
  });
  // The order of the alerts does not depend on which claim answered first.
  const order = new Map(chosen.map((c, k) => [c.alert.alert_id, k]));
  claimed.sort((a, b) => (order.get(a.alert.alert_id) ?? 0) - (order.get(b.alert.alert_id) ?? 0));
  return { claimed, omitted, claimErrors };
}

/** Runs `task(0…n-1)` with at most `limit` in flight; resolves when all have settled (tasks do not throw). */
async function forEachLimited(n: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, Math.max(1, limit)) }, worker));
}
