import type { NormalizedRecord } from '../schema';
import type { CompiledRateRule } from './compileRateRules';
import { RateCounter } from './RateCounter';
import { type RateWindowState, readRateWindowState } from './rateWindowState';

/**
 * Bytes the rate counts may take in a tumbling window's state, estimated from above: half of Lambda's 1 MB per
 * shard, leaving the other half as margin and for whatever else the handler keeps there. Past it, new groups
 * are counted in each rule's `other` group instead of growing the state.
 */
export const RATE_STATE_BUDGET_BYTES = 512 * 1024;

export interface RateWindowOptions {
  /** The most bytes the serialized state may take (default RATE_STATE_BUDGET_BYTES), shared equally by the rules. */
  readonly budgetBytes?: number;
}

/** What addToRateWindow returns: a new state and what a handler reports about it. */
export interface RateWindowUpdate {
  /** The counts with the records added: a new object, for the response's `state`. */
  readonly state: RateWindowState;
  /** Records this call counted into an `other` group (their group did not fit the budget): a metric. */
  readonly overflowed: number;
  /** Rules whose counts in the given state were dropped: the rule counts other outcomes, records or groups now. */
  readonly reset: readonly string[];
  /** The given state was not one this module writes (nor empty): counting started over from nothing. */
  readonly discarded: boolean;
  /** The estimated serialized size of `state` in bytes, an upper bound. */
  readonly bytes: number;
}

/**
 * Adds records to the rate counts of a Kinesis tumbling window: per rate rule, per group, per outcome. Pure:
 * the given state is read, never changed, and a new state is returned. A batch that fails returns the state it
 * was given, as it was, so that its retry never counts a record twice; a batch that reports item failures
 * must add only the records before the first failed one (Lambda redelivers from there).
 *
 * Count the records as they are archived (after personal data is protected): group values reach the state, the
 * rollups and the alerts. Adding in pieces gives the same state as adding at once:
 * `add(add(s, a), b)` equals `add(s, [...a, ...b])`.
 *
 * Lambda: "Using tumbling windows with Kinesis" (every response carries `state`; at most 1 MB per shard).
 *
 * @param state the event's `state` as Lambda gave it back (or the part of it the handler keeps the counts in);
 * `undefined` or `{}` at the start of a window
 * @param records the records to count, in batch order
 * @param rules the compiled rate rules (compileRateRules)
 */
export function addToRateWindow(
  state: unknown,
  records: Iterable<NormalizedRecord>,
  rules: readonly CompiledRateRule[],
  options: RateWindowOptions = {},
): RateWindowUpdate {
  const window = openRateWindow(state, rules, options);
  for (const record of records) window.add(record);
  return window.close();
}

/** A window's counts being added to, one record at a time (openRateWindow). */
export interface OpenRateWindow {
  /** Counts one record: a Map lookup of its outcome, then per rule that counts it its filter and group. */
  add(record: NormalizedRecord): void;
  /** The counts so far as a new state, and what happened to them (as addToRateWindow returns them). */
  close(): RateWindowUpdate;
}

/**
 * addToRateWindow one record at a time, for a handler that counts each record while it is at hand (the
 * pipeline lets every record go once it is written: holding a batch of them costs the garbage collector more
 * than counting them). The given state is read once, and never changed; `close` can be called more than once,
 * each time with the records added so far. `openRateWindow(s, rules)` then `add` of each record and `close`
 * gives exactly `addToRateWindow(s, records, rules)`.
 */
export function openRateWindow(
  state: unknown,
  rules: readonly CompiledRateRule[],
  options: RateWindowOptions = {},
): OpenRateWindow {
  const read = readRateWindowState(state);
  const counter = new RateCounter(rules, options.budgetBytes ?? RATE_STATE_BUDGET_BYTES);
  const reset = counter.load(read.state);
  return {
    add: (record) => counter.add(record),
    close: () => ({
      state: counter.toState(),
      overflowed: counter.overflowed,
      reset,
      discarded: !read.valid,
      bytes: counter.bytes,
    }),
  };
}
