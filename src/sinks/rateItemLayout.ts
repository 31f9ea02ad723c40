import type { RateAlertMark, RateCounterItem, RateCounterRef } from './rateStore';

/**
 * The rate store's item layout (docs/rate-store.md), written and read in this one place so that the DynamoDB
 * table and the local files hold the same attributes: one item per counter (key: the counter's id) and one per
 * batch marker (key: `batch#<batch id>`), every item with its TTL attribute `expires_at`. Pure: no I/O.
 */

/** Attribute names. Counts and high-water marks have one attribute each per outcome or lane (`c:…`, `hw:…`). */
export const RATE_ATTR = {
  pk: 'pk',
  kind: 'kind',
  rule: 'rule',
  windowStart: 'window_start',
  windowEnd: 'window_end',
  group: 'group',
  /** Epoch seconds: DynamoDB TTL deletes the item some time after it (within days, not at once). */
  expiresAt: 'expires_at',
  /** String set: batches whose `batch`-guarded add is applied and not yet cleared. */
  inFlight: 'in_flight',
  /** String set (batch markers): counter ids not yet known to be applied. */
  pending: 'pending',
  alertState: 'alert_state',
  alertToken: 'alert_token',
  /** Epoch milliseconds. */
  alertUntil: 'alert_until',
} as const;

/** The Number attribute holding an outcome's count. */
export const countAttr = (outcome: string): string => `c:${outcome}`;

/** The String attribute holding a lane's high-water mark. */
export const highWaterAttr = (lane: string): string => `hw:${lane}`;

/** The key of a batch's marker: apart from counter ids, which may not start with `batch#` (rateInputLimits.ts). */
export const batchKey = (batchId: string): string => `batch#${batchId}`;

/** An attribute's value as both adapters hold it: S, N, a string set (SS) or NULL. */
export type RateItemValue = string | number | null | readonly string[];

/**
 * The attributes every write to a counter sets when the item does not have them yet (DynamoDB
 * `if_not_exists`): what the item is, for people reading the table, and when it may be deleted.
 */
export function counterDescription(counter: RateCounterRef): Record<string, RateItemValue> {
  return {
    [RATE_ATTR.kind]: 'counter',
    [RATE_ATTR.rule]: counter.rule,
    [RATE_ATTR.windowStart]: counter.windowStart,
    [RATE_ATTR.windowEnd]: counter.windowEnd,
    [RATE_ATTR.group]: counter.group,
    [RATE_ATTR.expiresAt]: counter.expiresAt,
  };
}

/**
 * A counter item's attributes read back as the port's {@link RateCounterItem}. Defensive: the table can be
 * edited by hand, so an attribute of the wrong type or out of range is ignored rather than trusted (a count
 * that is not a whole number ≥ 0, a mark that is not a string, a set with other things in it, an alert mark
 * missing one of its three attributes).
 */
export function counterItemOf(item: Readonly<Record<string, unknown>>): RateCounterItem {
  const counts: Record<string, number> = {};
  const highWater: Record<string, string> = {};
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith('c:') && name.length > 2) {
      if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)
        counts[name.slice(2)] = value;
    } else if (name.startsWith('hw:') && name.length > 3) {
      if (typeof value === 'string') highWater[name.slice(3)] = value;
    }
  }
  const alert = alertOf(item);
  return {
    counts,
    highWater,
    inFlight: stringSetOf(item[RATE_ATTR.inFlight]),
    ...(alert !== undefined && { alert }),
  };
}

/** A string set attribute's members; anything else (absent, hand-edited to another type) reads as empty. */
export function stringSetOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function alertOf(item: Readonly<Record<string, unknown>>): RateAlertMark | undefined {
  const state = item[RATE_ATTR.alertState];
  const token = item[RATE_ATTR.alertToken];
  const until = item[RATE_ATTR.alertUntil];
  if ((state !== 'claimed' && state !== 'sent') || typeof token !== 'string') return undefined;
  if (typeof until !== 'number' || !Number.isFinite(until)) return undefined;
  return { state, token, until };
}
