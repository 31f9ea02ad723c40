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
  const read = readRateWindowState(state);
  const counter = new RateCounter(rules, options.budgetBytes ?? RATE_STATE_BUDGET_BYTES);
  const reset = counter.load(read.state);
  for (const record of records) counter.add(record);
  return {
    state: counter.toState(),
    overflowed: counter.overflowed,
    reset,
    discarded: !read.valid,
    bytes: counter.bytes,
  };
}
