import type { WriteOptions } from './writeOptions';

/**
 * The rate window store port (docs/rates.md): shared counters of the rate rules, one per (rule, group,
 * window), that every Kinesis shard, every Firehose invocation and both paths add into. Adapters:
 * src/sinks/aws/DynamoRateStore.ts (a DynamoDB table, `RATE_TABLE`) and src/sinks/local/LocalRateStore.ts
 * (files under `LOCAL_SINK_DIR/rates/`, the same semantics).
 *
 * The port offers conditional primitives only; the protocol that makes a batch count exactly once and an alert
 * fire at most once is src/batch/countRates.ts, the same for every adapter. Every primitive is one conditional
 * write or one consistent read of one item (DynamoDB UpdateItem / GetItem): no transaction, no scan.
 *
 * A rejected promise means "not done" (a SinkError, retryable — the adapter has already retried as its client
 * settings allow); a condition that does not hold is an answer, never an error.
 */

/** One counter: a rate rule's counts of one group in one window. */
export interface RateCounterRef {
  /**
   * The item's key: deterministic from the rule's name and fingerprint, the window and the group (built by
   * src/rates/rateCounters.ts); at most 512 characters of `[A-Za-z0-9#:._-]`, never starting with `batch#` (the
   * batch markers' keys; adapters refuse it).
   */
  readonly id: string;
  /** Written on the item for people reading the table: the rule, the window (ISO-8601 UTC) and the group. */
  readonly rule: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  /** The group's values as JSON (`["marketing"]`), or `null` for the rule's other group. */
  readonly group: string | null;
  /** Epoch seconds after which the store may delete the item (DynamoDB TTL): window end + retention. */
  readonly expiresAt: number;
}

/** Counts to add, by outcome name: positive whole numbers. */
export type RateCounts = Readonly<Record<string, number>>;

/** An alert's claim on a counter: who claimed it until when, or that it was sent. */
export interface RateAlertMark {
  readonly state: 'claimed' | 'sent';
  /** The claimant's token (claimed) or the sender's (sent). */
  readonly token: string;
  /** Epoch milliseconds after which a claim that was not settled lapses. */
  readonly until: number;
}

/** A counter as stored. */
export interface RateCounterItem {
  /** Running totals by outcome (outcomes never counted are absent). */
  readonly counts: Readonly<Record<string, number>>;
  /** Per lane (a Kinesis shard): the highest sequence key applied to this counter. */
  readonly highWater: Readonly<Record<string, string>>;
  /** Batches whose add is applied but not yet cleared (see {@link RateStore.clearInFlight}). */
  readonly inFlight: readonly string[];
  readonly alert?: RateAlertMark;
}

/**
 * What makes an add apply at most once.
 *
 * - `sequence`: records of one lane (a Kinesis shard read by one consumer at a time) arrive in order. The add
 *   applies only when the counter's high-water mark of the lane is below `first` (or absent), and sets it to
 *   `last`. Sequence keys compare as strings (src/rates/sequenceKey.ts makes decimal sequence numbers so).
 * - `batch`: the add applies only when `batchId` is not among the counter's in-flight batches, and adds it
 *   there; {@link RateStore.clearInFlight} removes it once the batch's marker says it is applied.
 */
export type RateAddGuard =
  | { readonly kind: 'sequence'; readonly lane: string; readonly first: string; readonly last: string }
  | { readonly kind: 'batch'; readonly batchId: string };

/** The marker of a batch counted with the `batch` guard: the counters it adds to, and those still to do. */
export interface RateBatchMarker {
  readonly batchId: string;
  /** Counter ids not yet known to be applied. */
  readonly pending: readonly string[];
}

/** What an add did: the item after it, or `applied: false` and the item as it is (absent when never counted). */
export type RateAddResult =
  | { applied: true; item: RateCounterItem }
  | { applied: false; item: RateCounterItem | undefined };

export interface RateStore {
  /**
   * Adds counts to a counter (creating it) when the guard allows; returns the item after the add, or
   * `applied: false` when the guard refused it (already applied), with the item as it is.
   */
  add(
    counter: RateCounterRef,
    counts: RateCounts,
    guard: RateAddGuard,
    options?: WriteOptions,
  ): Promise<RateAddResult>;

  /** The counter as stored (a consistent read), or undefined when nothing was counted in it. */
  get(counter: RateCounterRef, options?: WriteOptions): Promise<RateCounterItem | undefined>;

  /**
   * Creates a batch's marker listing the counters it will add to, unless it exists: then returns the existing
   * one (a retry of the batch), whose `pending` says what is left to do.
   */
  openBatch(
    batchId: string,
    counterIds: readonly string[],
    expiresAt: number,
    options?: WriteOptions,
  ): Promise<{ created: true } | { created: false; marker: RateBatchMarker }>;

  /** Removes counters from a batch marker's pending list (they are applied). */
  settleBatch(batchId: string, counterIds: readonly string[], options?: WriteOptions): Promise<void>;

  /** Removes a batch from a counter's in-flight list (its marker no longer lists the counter as pending). */
  clearInFlight(counter: RateCounterRef, batchId: string, options?: WriteOptions): Promise<void>;

  /**
   * Claims the counter's alert for `token` until `until` (epoch ms): succeeds when no alert was claimed or sent,
   * or a claim lapsed before `nowMs`, or `token` already holds the claim (a retried claim keeps it, until the new
   * `until`). At most one claimant holds it at a time; once sent, never again.
   */
  claimAlert(
    counter: RateCounterRef,
    token: string,
    nowMs: number,
    until: number,
    options?: WriteOptions,
  ): Promise<boolean>;

  /** Settles a claim held by `token`: `sent` (the alert went out) or `released` (it did not; another may claim). */
  settleAlert(
    counter: RateCounterRef,
    token: string,
    outcome: 'sent' | 'released',
    options?: WriteOptions,
  ): Promise<void>;
}
