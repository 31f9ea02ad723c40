import type { RateGroupField } from '../rules/rateGroupKeys';
import type { Outcome } from '../schema';

/**
 * The counts of one rollup window (RateCounter.toState: an hour of a batch's records), per rule, group and
 * outcome. Plain JSON, optionally bounded by a byte budget (the groups past it counted in each rule's other
 * group). Self-describing: the rollup rows are written from the state alone (rollupRows).
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

/** One group of a rule, decoded from its key. */
export interface DecodedGroup {
  /** The group's values in `group_by` order; null where the records had no such field. */
  readonly values: readonly (string | null)[];
  readonly counts: readonly number[];
}

/** The key of a group in RuleWindowCounts.groups. */
export function groupKeyOf(values: readonly (string | null)[]): string {
  return JSON.stringify(values);
}

/** The groups of a rule's counts with their values decoded, in state order. */
export function* decodedGroups(counts: RuleWindowCounts): Generator<DecodedGroup> {
  for (const [key, list] of Object.entries(counts.groups)) {
    yield { values: JSON.parse(key) as (string | null)[], counts: list };
  }
}
