import { OUTCOMES, type Outcome } from '../schema';
import { isRateGroupField, type RateGroupField } from './rateGroupKeys';

/**
 * The counts of one window, as Lambda keeps them between the invocations of a Kinesis tumbling window: the
 * response's `state`, given back in the next event's `state` ("Using tumbling windows with Kinesis", Lambda
 * developer guide: at most 1 MB per shard, past which Lambda ends the window early). Plain JSON, bounded by
 * a byte budget (addToRateWindow). Self-describing: the rollups of a window can be written from the state
 * alone, whatever rules are configured when the window closes.
 */
export interface RateWindowState {
  readonly version: 1;
  /** Per rate rule, by name, in rule order. */
  readonly rules: { readonly [rule: string]: RuleWindowCounts };
}

export interface RuleWindowCounts {
  /** CompiledRateRule.fingerprint when counting started: counts of another definition are not added to. */
  readonly fingerprint: string;
  /** The outcomes counted, in the order of every count list below. */
  readonly outcomes: readonly Outcome[];
  /** The fields of a group, in the order of the values in every group key. */
  readonly group_by: readonly RateGroupField[];
  /**
   * Group key → counts per outcome. The key is the JSON array of the group's values in `group_by` order,
   * `null` where the record had no such field (`["marketing"]`, `[null,"c-1"]`, `[]` without group_by).
   */
  readonly groups: { readonly [groupKey: string]: readonly number[] };
  /**
   * The records whose group did not fit the state's byte budget, counted together per outcome: the `other`
   * group. Absent while every group fits.
   */
  readonly other?: readonly number[];
}

/** The state of a window nothing was counted in yet. */
export const EMPTY_RATE_WINDOW_STATE: RateWindowState = Object.freeze({
  version: 1,
  rules: Object.freeze({}),
});

/** One group of a rule, decoded from its key. */
export interface DecodedGroup {
  /** The group's values in `group_by` order; null where the records had no such field. */
  readonly values: readonly (string | null)[];
  readonly counts: readonly number[];
}

const OUTCOME_SET: ReadonlySet<string> = new Set(OUTCOMES);

/** The key of a group in RuleWindowCounts.groups. */
export function groupKeyOf(values: readonly (string | null)[]): string {
  return JSON.stringify(values);
}

/**
 * The state as a RateWindowState, checked field by field; `undefined`, `null` and `{}` (Lambda's state at the
 * start of a window) are the empty state. Anything else that is not a state this module wrote — another
 * version, a hand-edited value, counts that are not whole numbers — is `valid: false` with the empty state: a
 * window counted over again from there is better than alerts computed from counts nobody can vouch for.
 */
export function readRateWindowState(value: unknown): { state: RateWindowState; valid: boolean } {
  if (value === undefined || value === null) return { state: EMPTY_RATE_WINDOW_STATE, valid: true };
  if (!isObject(value)) return { state: EMPTY_RATE_WINDOW_STATE, valid: false };
  if (Object.keys(value).length === 0) return { state: EMPTY_RATE_WINDOW_STATE, valid: true };
  if (value.version !== 1 || !isObject(value.rules)) return { state: EMPTY_RATE_WINDOW_STATE, valid: false };
  for (const counts of Object.values(value.rules)) {
    if (!isRuleWindowCounts(counts)) return { state: EMPTY_RATE_WINDOW_STATE, valid: false };
  }
  return { state: value as unknown as RateWindowState, valid: true };
}

/**
 * A group of a rule's counts as its group_by fields and values (null where the records had none), decoded from
 * its key; `{}` for the rule's other group (`key` null).
 */
export function groupOf(counts: RuleWindowCounts, key: string | null): Record<string, string | null> {
  const group: Record<string, string | null> = {};
  if (key === null) return group;
  const values = JSON.parse(key) as (string | null)[];
  counts.group_by.forEach((field, i) => {
    group[field] = values[i] ?? null;
  });
  return group;
}

/** The groups of a rule's counts with their values decoded, in state order. */
export function* decodedGroups(counts: RuleWindowCounts): Generator<DecodedGroup> {
  for (const [key, list] of Object.entries(counts.groups)) {
    yield { values: JSON.parse(key) as (string | null)[], counts: list };
  }
}

function isRuleWindowCounts(value: unknown): value is RuleWindowCounts {
  if (!isObject(value)) return false;
  const { fingerprint, outcomes, group_by: groupBy, groups, other } = value;
  if (typeof fingerprint !== 'string') return false;
  if (!isListOf(outcomes, OUTCOME_SET) || outcomes.length === 0) return false;
  if (!Array.isArray(groupBy) || !groupBy.every((f) => typeof f === 'string' && isRateGroupField(f))) {
    return false;
  }
  if (!isObject(groups)) return false;
  const width = outcomes.length;
  if (other !== undefined && !isCounts(other, width)) return false;
  for (const [key, list] of Object.entries(groups)) {
    if (!isCounts(list, width) || !isGroupKey(key, groupBy.length)) return false;
  }
  return true;
}

/** A key of one value with nothing JSON escapes: canonical as it is, checked without JSON.parse. */
const PLAIN_ONE_VALUE_KEY = /^\["[\x20\x21\x23-\x5b\x5d-\ud7ff\ue000-\uffff]*"\]$/;

function isGroupKey(key: string, width: number): boolean {
  if (width === 1 && PLAIN_ONE_VALUE_KEY.test(key)) return true;
  let values: unknown;
  try {
    values = JSON.parse(key);
  } catch {
    return false;
  }
  return (
    Array.isArray(values) &&
    values.length === width &&
    values.every((v) => v === null || typeof v === 'string') &&
    // One spelling per group: a key written any other way would be a second entry for the same group.
    groupKeyOf(values) === key
  );
}

function isCounts(value: unknown, width: number): value is number[] {
  return (
    Array.isArray(value) &&
    value.length === width &&
    value.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)
  );
}

function isListOf(value: unknown, allowed: ReadonlySet<string>): value is string[] {
  return (
    Array.isArray(value) &&
    value.every((v) => typeof v === 'string' && allowed.has(v)) &&
    new Set(value).size === value.length
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
