import { createHash } from 'node:crypto';
import { MAX_ALERT_TEXT } from '../alerts/eventAlert';
import type { CompiledRateRule } from '../rules/compileRateRules';
import { groupFieldReader } from '../rules/rateGroupKeys';
import type { NormalizedRecord } from '../schema';
import { isoFromMs, MAX_EPOCH_MS } from '../time';
import { truncateText } from '../truncateText';

/** Arrival times at or after this are in no window: the longest window (1d) must end by MAX_EPOCH_MS. */
const LAST_WINDOWED_MS = MAX_EPOCH_MS - 86_400_000;

/** The longest group value counted as it is; longer ones are cut (with a marker) as alert texts are. */
export const MAX_GROUP_VALUE = MAX_ALERT_TEXT;

/**
 * The most counters one invocation writes by default (RATE_MAX_COUNTERS): the shipped rules over a realistic
 * batch touch a few dozen; a batch of thousands of distinct campaigns must not turn into thousands of writes.
 */
export const DEFAULT_MAX_COUNTERS = 200;

/**
 * One shared counter a batch adds to: a rate rule's counts of one group in one window (docs/rates.md). The key
 * fields are those of the rate store's counter (src/sinks/rateStore.ts RateCounterRef).
 */
export interface CounterPlan {
  /** Deterministic: `rate:<rule>:<fingerprint>:<window start ms>:<window>:<group hash or other>`. */
  readonly id: string;
  readonly rule: CompiledRateRule;
  /** Window start and end, ISO-8601 UTC (fixed width). */
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly windowEndMs: number;
  /** The group's values as JSON in group_by order (`["marketing"]`), null for the rule's other group. */
  readonly group: string | null;
  /** Counts to add, by outcome. */
  readonly counts: Readonly<Record<string, number>>;
  /**
   * The records counted, in batch order: their input index and the index of their outcome in `rule.outcomes`.
   * A counter whose store has seen part of them (a Kinesis retry of another size) adds only the rest.
   */
  readonly entries: readonly RateEntry[];
}

export interface RateEntry {
  readonly index: number;
  readonly outcome: number;
}

/** The counters of a batch's delivered records. */
export interface RatePlan {
  readonly counters: readonly CounterPlan[];
  /** Records counted into an `other` group because the batch had more counters than allowed. */
  readonly overflowed: number;
  /** Records counted (per rule: a record two rules count is counted twice). */
  readonly counted: number;
  /** Normalized records whose arrival time was unreadable: in no window. */
  readonly uncounted: number;
}

interface Slot {
  readonly rule: CompiledRateRule;
  readonly windowStartMs: number;
  /** The group's key (JSON of its values), null for other. */
  readonly group: string | null;
  /** Flat pairs: input index, outcome index. */
  readonly entries: number[];
}

/**
 * A batch's rate counts, tallied record by record while the pipeline goes (as each record is archived: after
 * routing and personal-data protection), turned into counter plans once the batch is delivered — for the
 * records that were (a Kinesis prefix cut short near the deadline, a Firehose response without the records
 * failed for size). Pure: no I/O, no clock.
 *
 * Per record: one Map lookup of the outcome (most records, opens and sends, stop there), then per rule counting
 * that outcome its match filter, its window (the arrival time parsed once per distinct value) and one Map
 * lookup of the counter. Memory: two numbers per counted record and rule.
 */
export class RateTally {
  /** Every slot, in the order first counted. */
  private readonly slots: Slot[] = [];
  private readonly byOutcome = new Map<string, Target[]>();
  private uncounted = 0;
  private lastTime = '';
  private lastMs = Number.NaN;

  constructor(readonly rules: readonly CompiledRateRule[]) {
    for (const rule of rules) {
      const read = groupReader(rule);
      // One slot map per rule, shared by its outcomes: by window start, then by group key (no key string per
      // record and rule: 0.8 → 0.55 µs a record, tally and plan together, on the realistic 6 MB batch).
      const windows = new Map<number, Map<string, Slot>>();
      rule.outcomes.forEach((outcome, index) => {
        let list = this.byOutcome.get(outcome);
        if (list === undefined) {
          list = [];
          this.byOutcome.set(outcome, list);
        }
        list.push({ rule, index, read, windows });
      });
    }
  }

  /** The pipeline's onRecord: tallies one normalized record (dropped ones too) with its input's index. */
  readonly add = (record: NormalizedRecord, index: number): void => {
    const targets = this.byOutcome.get(record.outcome);
    if (targets === undefined) return;
    let ms = this.lastMs;
    if (record.arrival_time !== this.lastTime) {
      const time = record.arrival_time;
      ms = typeof time === 'string' ? Date.parse(time) : Number.NaN;
      // The last day of year 9999 too: its windows would end past the last time ISO-8601 can write.
      if (!(ms >= 0 && ms < LAST_WINDOWED_MS)) ms = Number.NaN;
      this.lastTime = time;
      this.lastMs = ms;
    }
    if (Number.isNaN(ms)) {
      this.uncounted++;
      return;
    }
    for (const target of targets) {
      const { rule } = target;
      if (!rule.matches(record)) continue;
      const start = Math.floor(ms / rule.windowMs) * rule.windowMs;
      let groups = target.windows.get(start);
      if (groups === undefined) {
        groups = new Map();
        target.windows.set(start, groups);
      }
      const key = target.read.key(record);
      let slot = groups.get(key);
      if (slot === undefined) {
        slot = { rule, windowStartMs: start, group: target.read.values(record), entries: [] };
        groups.set(key, slot);
        this.slots.push(slot);
      }
      slot.entries.push(index, target.index);
    }
  };

  /**
   * The counters of the records `delivered` says were delivered, at most `maxCounters` of them: when there are
   * more, the counters with the fewest records are merged into their rule's `other` group of the same window
   * (deterministically: the same records always give the same plan, so a retried batch adds to the same
   * counters). In rule order, then window, then as first counted.
   */
  plan(delivered: (index: number) => boolean, maxCounters = DEFAULT_MAX_COUNTERS): RatePlan {
    interface Live {
      readonly slot: Slot;
      readonly entries: RateEntry[];
      readonly order: number;
    }
    const live: Live[] = [];
    let order = 0;
    for (const slot of this.slots) {
      const entries: RateEntry[] = [];
      for (let i = 0; i < slot.entries.length; i += 2) {
        const index = slot.entries[i] as number;
        if (delivered(index)) entries.push({ index, outcome: slot.entries[i + 1] as number });
      }
      if (entries.length > 0) live.push({ slot, entries, order: order++ });
    }
    let counted = 0;
    for (const l of live) counted += l.entries.length;

    // Keep the largest counters; the rest go to their rule's other group per window. The kept ones and the
    // other groups together stay within the bound: with k kept, the others are the distinct (rule, window)
    // pairs among the rest, counted from the end in one pass.
    let kept = live;
    let overflowed = 0;
    const others = new Map<string, { slot: Slot; entries: RateEntry[]; order: number }>();
    if (live.length > maxCounters) {
      const ranked = [...live].sort(
        (a, b) =>
          b.entries.length - a.entries.length || compareText(slotSortKey(a.slot), slotSortKey(b.slot)),
      );
      const distinctAfter = new Array<number>(ranked.length + 1).fill(0);
      const seen = new Set<string>();
      for (let i = ranked.length - 1; i >= 0; i--) {
        const s = (ranked[i] as Live).slot;
        seen.add(`${s.rule.name}\u0000${s.windowStartMs}`);
        distinctAfter[i] = seen.size;
      }
      let k = Math.min(maxCounters, ranked.length);
      while (k > 0 && k + (distinctAfter[k] as number) > maxCounters) k--;
      kept = ranked.slice(0, k).sort((a, b) => a.order - b.order);
      for (const l of ranked.slice(k)) {
        const pair = `${l.slot.rule.name}\u0000${l.slot.windowStartMs}`;
        let other = others.get(pair);
        if (other === undefined) {
          other = {
            slot: { rule: l.slot.rule, windowStartMs: l.slot.windowStartMs, group: null, entries: [] },
            entries: [],
            order: l.order,
          };
          others.set(pair, other);
        }
        other.entries.push(...l.entries);
        overflowed += l.entries.length;
      }
      for (const other of others.values()) other.entries.sort((a, b) => a.index - b.index);
    }
    const ruleOrder = new Map(this.rules.map((r, i) => [r.name, i]));
    const all = [...kept, ...others.values()].sort(
      (a, b) =>
        (ruleOrder.get(a.slot.rule.name) ?? 0) - (ruleOrder.get(b.slot.rule.name) ?? 0) ||
        a.slot.windowStartMs - b.slot.windowStartMs ||
        Number(a.slot.group === null) - Number(b.slot.group === null) ||
        a.order - b.order,
    );
    return {
      counters: all.map(({ slot, entries }) => counterPlan(slot, entries)),
      overflowed,
      counted,
      uncounted: this.uncounted,
    };
  }
}

/** A rule's group of a record: its in-memory key, and (for a new group only) its values as JSON. */
interface Reader {
  key(record: NormalizedRecord): string;
  values(record: NormalizedRecord): string;
}

interface Target {
  readonly rule: CompiledRateRule;
  /** The index of the outcome in the rule's outcomes. */
  readonly index: number;
  readonly read: Reader;
  /** The rule's slots: by window start, then group key. */
  readonly windows: Map<number, Map<string, Slot>>;
}

/**
 * A rule's group of a record: an in-memory key built without JSON (nothing for no group_by, the value itself for
 * one field, and for several each value with its length in front, `-` for none, which no two different groups
 * share) and the group's JSON, computed only when a group is new.
 */
function groupReader(rule: CompiledRateRule): Reader {
  const fields = rule.groupBy.map(groupFieldReader);
  if (fields.length === 0) return { key: () => '', values: () => '[]' };
  const values = (record: NormalizedRecord) =>
    JSON.stringify(fields.map((read) => bounded(read(record)) ?? null));
  if (fields.length === 1) {
    const read = fields[0] as (record: NormalizedRecord) => string | undefined;
    // `-` for none, and every value behind `:`: no value is taken for none.
    return {
      key: (record) => {
        const v = bounded(read(record));
        return v === undefined ? '-' : `:${v}`;
      },
      values,
    };
  }
  return {
    key: (record) => {
      let key = '';
      for (const read of fields) {
        const v = bounded(read(record));
        key += v === undefined ? '-' : `${v.length}:${v}`;
      }
      return key;
    },
    values,
  };
}

/** A group value as counted: bounded in length; anything but a string counts as none. */
function bounded(value: string | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  return value.length > MAX_GROUP_VALUE ? truncateText(value, MAX_GROUP_VALUE) : value;
}

function slotSortKey(slot: Slot): string {
  return `${slot.rule.name}\u0000${slot.windowStartMs}\u0000${slot.group ?? ''}`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function counterPlan(slot: Slot, entries: readonly RateEntry[]): CounterPlan {
  const { rule, windowStartMs, group } = slot;
  const counts: Record<string, number> = {};
  for (const e of entries) {
    const outcome = rule.outcomes[e.outcome] as string;
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  }
  const groupId = group === null ? 'other' : createHash('sha256').update(group).digest('hex').slice(0, 24);
  const windowEndMs = windowStartMs + rule.windowMs;
  return {
    id: `rate:${rule.name}:${rule.fingerprint}:${windowStartMs}:${rule.window}:${groupId}`,
    rule,
    windowStart: isoFromMs(windowStartMs),
    windowEnd: isoFromMs(windowEndMs),
    windowEndMs,
    group,
    counts,
    entries,
  };
}
