import type { CompiledRateRule } from '../rules/compileRateRules';
import { attributeOfGroupField, type RateGroupKey } from '../rules/rateGroupKeys';
import type { GlueFields, NormalizedRecord } from '../schema';
import { isoFromMs, MAX_EPOCH_MS } from '../time';
import { RateCounter } from './RateCounter';
import { type RateWindow, windowTimes } from './rateWindow';
import { decodedGroups, type RateWindowState } from './rateWindowState';

/**
 * One line of the `rollups/` archive zone (gzip JSON Lines, read by Athena): how many records of one outcome
 * one rate rule counted for one group over one window (an hour of arrival). Counts add up: the rows of an hour
 * written in several pieces (one object per Kinesis batch and per Firehose invocation, from every shard and
 * both paths) sum to the rows of the whole, so queries `sum(count)` and never pick one row.
 *
 * Columns: strings, and `count` a bigint. A group column is present when the rule groups by it and the records
 * had a value; `overflow` marks a rule's `other` group, which has no group columns: only in rows written before
 * the shared rate store, whose per-window counts had a size bound (rollups count every group now).
 */
export interface RollupRow {
  /** ISO-8601 UTC, fixed width (`2026-11-30T10:05:00.000Z`). */
  window_start: string;
  window_end: string;
  rule: string;
  app_id?: string;
  campaign_id?: string;
  journey_id?: string;
  configuration_set?: string;
  channel?: string;
  source?: string;
  /** The message tags the rule groups by (`group_by: [attributes.campaign]`) and the records had, by name. */
  attributes?: Record<string, string>;
  overflow?: true;
  outcome: string;
  count: number;
}

/**
 * Every field of {@link RollupRow}, in order, with its Athena column type: the columns of the Glue table `rollups`
 * and of the DDL in docs/rates.md §8 (test/unit/columns.test.ts). It does not compile until a new field of the
 * row is listed here, with a type its values fit.
 */
export const ROLLUP_FIELDS = {
  window_start: 'string',
  window_end: 'string',
  rule: 'string',
  app_id: 'string',
  campaign_id: 'string',
  journey_id: 'string',
  configuration_set: 'string',
  channel: 'string',
  source: 'string',
  attributes: 'map<string,string>',
  overflow: 'boolean',
  outcome: 'string',
  count: 'bigint',
} as const satisfies GlueFields<RollupRow>;

/**
 * The rollup rows of a window's counts: one per rule × group × outcome with a count above zero, in state order
 * (rule order, groups as first counted, outcomes in the vocabulary's order). From the counts alone: the rows
 * name the rules, outcomes and groups the counts were made with.
 *
 * @param state the window's counts (RateCounter.toState)
 * @param window the window counted: an hour of arrival (openHourlyRollup)
 */
export function rollupRows(state: RateWindowState, window: RateWindow): RollupRow[] {
  const { start, end } = windowTimes(window);
  const rows: RollupRow[] = [];
  for (const [rule, counts] of Object.entries(state.rules)) {
    const emit = (
      group: Partial<Record<RateGroupKey, string>> & { attributes?: Record<string, string> },
      overflow: boolean,
      list: readonly number[],
    ) => {
      counts.outcomes.forEach((outcome, i) => {
        const count = list[i] ?? 0;
        if (count === 0) return;
        rows.push({
          window_start: start,
          window_end: end,
          rule,
          ...group,
          ...(overflow && { overflow: true as const }),
          outcome,
          count,
        });
      });
    };
    for (const { values, counts: list } of decodedGroups(counts)) {
      const group: Partial<Record<RateGroupKey, string>> & { attributes?: Record<string, string> } = {};
      counts.group_by.forEach((field, i) => {
        const v = values[i];
        if (v === null || v === undefined) return;
        const tag = attributeOfGroupField(field);
        if (tag === undefined) group[field as RateGroupKey] = v;
        else {
          group.attributes ??= {};
          group.attributes[tag] = v;
        }
      });
      emit(group, false, list);
    }
    if (counts.other !== undefined) emit({}, true, counts.other);
  }
  return rows;
}

const HOUR_MS = 3_600_000;
const LAST_ISO = '9999-12-31T23:59:59.999Z';

/** A batch's rollup being counted, one record at a time (openHourlyRollup). */
export interface OpenHourlyRollup {
  /** Counts one record into the hour of its `dt` and `hour`. */
  add(record: NormalizedRecord): void;
  /** The rows so far: by window start, then as rollupRows orders them. */
  rows(): RollupRow[];
}

/**
 * The rollup rows of one batch (a Kinesis batch, a Firehose invocation, a batch of `pinpoint-stream process`),
 * counted one record at a time while each is at hand (after personal data is protected, as archived): the
 * records are counted per hour of arrival (their `dt` and `hour`, the partition the normalized archive puts them
 * in), each hour a window from `HH:00:00.000` to the next hour. Every group is kept (a batch's records bound
 * them), so the rows of any split of the records into batches sum to the rows of all of them.
 */
export function openHourlyRollup(rules: readonly CompiledRateRule[]): OpenHourlyRollup {
  const hours = new Map<string, RateCounter>();
  return {
    add(record) {
      const hour = `${record.dt}T${record.hour}`;
      let counter = hours.get(hour);
      if (counter === undefined) {
        counter = new RateCounter(rules, Number.POSITIVE_INFINITY);
        hours.set(hour, counter);
      }
      counter.add(record);
    },
    rows() {
      const rows: RollupRow[] = [];
      for (const hour of [...hours.keys()].sort()) {
        const start = `${hour}:00:00.000Z`;
        const ms = Date.parse(start);
        // The last hour of year 9999 ends where ISO-8601's four-digit years do: at its last millisecond.
        const end = !Number.isFinite(ms)
          ? start
          : ms + HOUR_MS < MAX_EPOCH_MS
            ? isoFromMs(ms + HOUR_MS)
            : LAST_ISO;
        rows.push(...rollupRows((hours.get(hour) as RateCounter).toState(), { start, end }));
      }
      return rows;
    },
  };
}
