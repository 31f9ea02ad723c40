import { MAX_ALERT_TEXT } from '../alerts/eventAlert';
import type { CompiledRateRule } from '../rules/compileRateRules';
import { groupFieldReader } from '../rules/rateGroupKeys';
import type { NormalizedRecord } from '../schema';
import { truncateText } from '../truncateText';
import { groupKeyOf, type RateWindowState, type RuleWindowCounts } from './rateWindowState';

/**
 * Digits reserved for every count when the state's size is estimated against a byte budget (the rollups count
 * without one). One batch's hour holds far fewer records than 10 million: a Kinesis batch is at most 10,000
 * records, a Firehose invocation at most 6 MB.
 */
const COUNT_DIGITS = 7;
/** The longest group value counted as it is; longer ones are cut (with a marker) as alert texts are. */
export const MAX_GROUP_VALUE = MAX_ALERT_TEXT;

/** A group value as counted: bounded in length, and undefined where the record has none (or not a string). */
function boundedValue(value: string | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  return value.length > MAX_GROUP_VALUE ? truncateText(value, MAX_GROUP_VALUE) : value;
}

interface Group {
  /** The key of the group in the serialized state (groupKeyOf its values). */
  readonly key: string;
  readonly counts: number[];
}

/** The counts of one rule in one window: a map of groups under a byte budget, and the `other` group. */
class RuleCounter {
  /** By an in-memory key (see keyOf): one lookup per counted record, no JSON. */
  readonly groups = new Map<string | undefined, Group>();
  other: number[] | undefined;
  /** Estimated serialized bytes of the groups (see entryBytes). */
  bytes = 0;
  private readonly width: number;
  private readonly fields: ReadonlyArray<(record: NormalizedRecord) => string | undefined>;
  /** The bytes of an entry whose values are all empty: less than any entry can take. */
  private readonly minEntryBytes: number;

  constructor(
    readonly rule: CompiledRateRule,
    /** Bytes the groups may take; Infinity for no bound. */
    private readonly budget: number,
  ) {
    this.width = rule.outcomes.length;
    this.fields = rule.groupBy.map(groupFieldReader);
    this.minEntryBytes = this.entryBytes(groupKeyOf(rule.groupBy.map(() => '')));
  }

  /** Counts one record that matches the rule, whose outcome is the rule's `index`th. */
  count(record: NormalizedRecord, index: number): void {
    const key = this.keyOf(record);
    let group = this.groups.get(key);
    if (group === undefined) {
      const values = this.fields.map((read) => boundedValue(read(record)) ?? null);
      const stateKey = this.fits(values);
      if (stateKey === undefined) {
        this.other ??= new Array<number>(this.width).fill(0);
        (this.other[index] as number)++;
        return;
      }
      group = { key: stateKey, counts: new Array<number>(this.width).fill(0) };
      this.groups.set(key, group);
    }
    (group.counts[index] as number)++;
  }

  toCounts(): RuleWindowCounts {
    const groups: { [key: string]: readonly number[] } = {};
    for (const { key, counts } of this.groups.values()) groups[key] = [...counts];
    return {
      fingerprint: this.rule.fingerprint,
      outcomes: [...this.rule.outcomes],
      group_by: [...this.rule.groupBy],
      groups,
      ...(this.other !== undefined && { other: [...this.other] }),
    };
  }

  /**
   * The state key of a new group when it fits the budget (its bytes are then added to `bytes`), undefined when
   * it does not.
   */
  private fits(values: readonly (string | null)[]): string | undefined {
    if (this.budget !== Number.POSITIVE_INFINITY) {
      // Every character takes at least one byte: a group too long even so is refused without serializing it.
      let least = this.minEntryBytes;
      for (const v of values) if (v !== null) least += v.length;
      if (this.bytes + least > this.budget) return undefined;
    }
    const key = groupKeyOf(values);
    const bytes = this.entryBytes(key);
    if (this.bytes + bytes > this.budget) return undefined;
    this.bytes += bytes;
    return key;
  }

  /**
   * An upper bound of the bytes a group adds to the serialized state: its key as a JSON string, and a list of
   * counts of COUNT_DIGITS digits each, with the separators.
   */
  private entryBytes(key: string): number {
    return jsonStringBytes(key) + 1 + 2 + this.width * (COUNT_DIGITS + 1);
  }

  /**
   * The in-memory key of a record's group, built without JSON: nothing for no group_by, the value itself for one
   * field (a Map takes `undefined` as a key: the records without the field), and for several, each value with
   * its length in front (`-` for none), which no two different groups share.
   */
  private keyOf(record: NormalizedRecord): string | undefined {
    const fields = this.fields;
    if (fields.length === 0) return '';
    if (fields.length === 1)
      return boundedValue((fields[0] as (r: NormalizedRecord) => string | undefined)(record));
    let key = '';
    for (const read of fields) {
      const v = boundedValue(read(record));
      key += v === undefined ? '-' : `${v.length}:${v}`;
    }
    return key;
  }
}

/**
 * Counts records for a set of rate rules into one window's state: the rollups' (openHourlyRollup builds one per
 * hour of a batch, without a bound). Mutable and internal.
 * Per record: one Map lookup of the outcome (most records, opens and sends, stop there), then per rule that
 * counts that outcome its match filter and one Map lookup of the group.
 */
export class RateCounter {
  private readonly counters: RuleCounter[];
  private readonly byOutcome = new Map<string, Array<{ counter: RuleCounter; index: number }>>();

  /**
   * @param rules the rules to count for, in order
   * @param budgetBytes the most bytes the serialized state may take, shared equally by the rules; Infinity for
   * no bound
   */
  constructor(rules: readonly CompiledRateRule[], budgetBytes: number) {
    const share = rules.length === 0 ? 0 : (budgetBytes - stateOverhead()) / rules.length;
    this.counters = rules.map((rule) => new RuleCounter(rule, share - ruleOverhead(rule)));
    for (const counter of this.counters) {
      counter.rule.outcomes.forEach((outcome, index) => {
        let list = this.byOutcome.get(outcome);
        if (list === undefined) {
          list = [];
          this.byOutcome.set(outcome, list);
        }
        list.push({ counter, index });
      });
    }
  }

  add(record: NormalizedRecord): void {
    const targets = this.byOutcome.get(record.outcome);
    if (targets === undefined) return;
    for (const { counter, index } of targets) {
      if (counter.rule.matches(record)) counter.count(record, index);
    }
  }

  toState(): RateWindowState {
    const rules: { [rule: string]: RuleWindowCounts } = {};
    for (const counter of this.counters) rules[counter.rule.name] = counter.toCounts();
    return { version: 1, rules };
  }
}

/**
 * The UTF-8 bytes of `value` written as a JSON string, quotes included, counted from above: a control
 * character as six (`\u0001`), `"` and `\\` as two, the rest as UTF-8 has them. One pass, no allocation.
 */
function jsonStringBytes(value: string): number {
  let n = 2;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20) n += 6;
    else if (c === 0x22 || c === 0x5c) n += 2;
    else if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    // A surrogate: half of a 4-byte pair, or a lone one JSON.stringify writes as `\udxxx`.
    else if (c >= 0xd800 && c <= 0xdfff) n += 6;
    else n += 3;
  }
  return n;
}

/** `{"version":1,"rules":{}}` */
function stateOverhead(): number {
  return JSON.stringify({ version: 1, rules: {} }).length;
}

/** The serialized bytes of a rule's counts without groups, its `other` group included, and a separator. */
function ruleOverhead(rule: CompiledRateRule): number {
  const skeleton = {
    [rule.name]: {
      fingerprint: rule.fingerprint,
      outcomes: rule.outcomes,
      group_by: rule.groupBy,
      groups: {},
      other: rule.outcomes.map(() => 10 ** COUNT_DIGITS - 1),
    },
  };
  return Buffer.byteLength(JSON.stringify(skeleton), 'utf8') + 1;
}
