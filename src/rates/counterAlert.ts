import { boundRateAlert, type RateAlert, rateAlertId } from '../alerts/rateAlert';
import type { Outcome } from '../schema';
import type { CounterPlan } from './RateTally';

/**
 * A counter's rate alert, when its running totals cross the rule: denominator at or above `min_volume` and
 * numerator / denominator at or above `threshold`; undefined otherwise. The id is a hash of the rule, the group
 * and the window's start only: every shard, invocation and path that sees the window cross names the same
 * alert, so that the store's claim lets one of them send it and a reader can drop any copy.
 *
 * @param totals the counter's counts as the store returned them after this batch's add
 * @param batch where the crossing was seen (`kinesis:<stream>/<shard>`, `firehose:<delivery stream>`)
 */
export function counterAlert(
  counter: CounterPlan,
  totals: Readonly<Record<string, number>>,
  batch: string,
): RateAlert | undefined {
  const { rule } = counter;
  const sum = (outcomes: readonly Outcome[]) => {
    let n = 0;
    for (const o of outcomes) {
      const v = Object.hasOwn(totals, o) ? totals[o] : undefined;
      if (typeof v === 'number' && Number.isFinite(v) && v > 0) n += v;
    }
    return n;
  };
  const numerator = sum(rule.numerator);
  const denominator = sum(rule.denominator);
  if (denominator === 0 || denominator < rule.minVolume) return undefined;
  const rate = numerator / denominator;
  if (rate < rule.threshold) return undefined;
  const values = counter.group === null ? [] : (JSON.parse(counter.group) as (string | null)[]);
  const group: Record<string, string | null> = {};
  if (counter.group !== null) {
    rule.groupBy.forEach((field, i) => {
      group[field] = values[i] ?? null;
    });
  }
  const counts: RateAlert['counts'] = {};
  for (const o of rule.outcomes) counts[o] = sum([o]);
  return boundRateAlert({
    kind: 'rate',
    alert_id: rateAlertId({ windowStart: counter.windowStart, rule: rule.name, group: counter.group }),
    rule: rule.name,
    severity: rule.severity,
    ...(rule.description !== undefined && { description: rule.description }),
    window: { start: counter.windowStart, end: counter.windowEnd },
    group_by: [...rule.groupBy],
    group,
    ...(counter.group === null && { overflow: true as const }),
    numerator,
    denominator,
    rate,
    threshold: rule.threshold,
    min_volume: rule.minVolume,
    numerator_outcomes: [...rule.numerator],
    denominator_outcomes: [...rule.denominator],
    counts,
    groups_alerting: 1,
    batch,
  });
}
