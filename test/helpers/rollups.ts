import { openHourlyRollup, type RollupRow } from '../../src/rates/rollups';
import type { CompiledRateRule } from '../../src/rules/compileRateRules';
import { RATE_GROUP_KEYS } from '../../src/rules/rateGroupKeys';
import type { NormalizedRecord } from '../../src/schema';

/** The rollup rows of records counted as one batch: openHourlyRollup fed every record, then its rows. */
export function rollupRecords(
  records: Iterable<NormalizedRecord>,
  rules: readonly CompiledRateRule[],
): RollupRow[] {
  const rollup = openHourlyRollup(rules);
  for (const record of records) rollup.add(record);
  return rollup.rows();
}

/**
 * Rows with the same window, rule, group and outcome added together, in the order each first appears: what a
 * query's `sum(count) … GROUP BY` sees.
 */
export function sumRollups(rows: Iterable<RollupRow>): RollupRow[] {
  const sums = new Map<string, RollupRow>();
  for (const row of rows) {
    const key = JSON.stringify([
      row.window_start,
      row.window_end,
      row.rule,
      ...RATE_GROUP_KEYS.map((k) => row[k] ?? null),
      row.attributes === undefined ? null : Object.entries(row.attributes).sort(),
      row.overflow === true,
      row.outcome,
    ]);
    const sum = sums.get(key);
    if (sum === undefined)
      sums.set(key, { ...row, ...(row.attributes && { attributes: { ...row.attributes } }) });
    else sum.count += row.count;
  }
  return [...sums.values()];
}
