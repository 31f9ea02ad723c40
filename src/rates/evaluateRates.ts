import type { Outcome } from '../schema';
import type { CompiledRateRule } from './compileRateRules';
import { boundRateAlert, type RateAlert, rateAlertId } from './rateAlert';
import { type RateWindow, windowTimes } from './rateWindow';
import { groupOf, type RateWindowState, type RuleWindowCounts } from './rateWindowState';

/** Where a window's counts came from: the event's `eventSourceARN` (or stream name) and `shardId`. */
export interface RateAlertSource {
  readonly stream: string;
  readonly shard: string;
}

export interface RateEvaluationOptions {
  /**
   * The most alerts one rule sends for one window (default MAX_RATE_ALERTS_PER_RULE): those of the highest
   * rates. A flood of groups over the threshold is one incident, not a page per campaign.
   */
  readonly maxAlertsPerRule?: number;
}

export interface RateEvaluation {
  /** In rule order; within a rule, highest rate first. Bounded (boundRateAlert). */
  readonly alerts: RateAlert[];
  /** Groups over their threshold left out by maxAlertsPerRule (each sent alert says how many groups alerted). */
  readonly omitted: number;
}

export const MAX_RATE_ALERTS_PER_RULE = 20;

interface Candidate {
  readonly key: string | null;
  readonly counts: readonly number[];
  readonly numerator: number;
  readonly denominator: number;
  readonly rate: number;
}

/**
 * The rate alerts of a window: per rate rule, every group (the `other` group included) whose denominator count
 * reached `min_volume` and whose rate, numerator / denominator, reached `threshold`. Rules are the ones
 * configured now; counts of a rule whose definition changed during the window (another fingerprint) are not
 * judged by the new rule. Deterministic: the same state gives the same alerts with the same ids.
 *
 * Call it on the window's final invoke (`isFinalInvokeForWindow`), and on an invoke whose window Lambda ended
 * early (`isWindowTerminatedEarly`: the next invoke continues the window with a fresh state, so these counts
 * would be lost): "Using tumbling windows with Kinesis", Lambda developer guide.
 *
 * @param state the window's counts (addToRateWindow's `state`)
 * @param window the event's `window` ({start, end})
 */
export function evaluateRates(
  state: RateWindowState,
  window: RateWindow,
  rules: readonly CompiledRateRule[],
  source: RateAlertSource,
  options: RateEvaluationOptions = {},
): RateEvaluation {
  const max = options.maxAlertsPerRule ?? MAX_RATE_ALERTS_PER_RULE;
  const times = windowTimes(window);
  const alerts: RateAlert[] = [];
  let omitted = 0;
  for (const rule of rules) {
    if (!Object.hasOwn(state.rules, rule.name)) continue;
    const counts = state.rules[rule.name] as RuleWindowCounts;
    if (counts.fingerprint !== rule.fingerprint) continue;
    const crossing = candidates(rule, counts).sort(
      (a, b) => b.rate - a.rate || b.denominator - a.denominator || compareKeys(a.key, b.key),
    );
    omitted += Math.max(0, crossing.length - max);
    for (const c of crossing.slice(0, max)) {
      // Keys are decoded for the groups that alert only: most groups of a window do not.
      const group = groupOf(counts, c.key);
      const byOutcome: RateAlert['counts'] = {};
      counts.outcomes.forEach((o, i) => {
        byOutcome[o] = c.counts[i] ?? 0;
      });
      alerts.push(
        boundRateAlert({
          kind: 'rate',
          alert_id: rateAlertId({ ...source, windowStart: times.start, rule: rule.name, group: c.key }),
          rule: rule.name,
          severity: rule.severity,
          ...(rule.description !== undefined && { description: rule.description }),
          window: times,
          group_by: [...counts.group_by],
          group,
          ...(c.key === null && { overflow: true as const }),
          numerator: c.numerator,
          denominator: c.denominator,
          rate: c.rate,
          threshold: rule.threshold,
          min_volume: rule.minVolume,
          numerator_outcomes: [...rule.numerator],
          denominator_outcomes: [...rule.denominator],
          counts: byOutcome,
          groups_alerting: crossing.length,
          batch: `kinesis:${source.stream}/${source.shard}`,
        }),
      );
    }
  }
  return { alerts, omitted };
}

/**
 * The numerator and denominator of one group of a rule's window counts: its counts of the rule's numerator
 * outcomes and of its denominator outcomes, added up as evaluateRates judges them. Returns a function of a
 * group's count list (a group's of `counts.groups`, or `counts.other`).
 */
export function rateTerms(
  rule: CompiledRateRule,
  counts: RuleWindowCounts,
): (list: readonly number[]) => { numerator: number; denominator: number } {
  const index = new Map<Outcome, number>(counts.outcomes.map((o, i) => [o, i]));
  const sum = (list: readonly number[], outcomes: readonly Outcome[]) => {
    let n = 0;
    for (const o of outcomes) {
      const i = index.get(o);
      if (i !== undefined) n += list[i] ?? 0;
    }
    return n;
  };
  return (list) => ({ numerator: sum(list, rule.numerator), denominator: sum(list, rule.denominator) });
}

/** The groups of a rule whose counts cross its threshold at or above its minimum volume. */
function candidates(rule: CompiledRateRule, counts: RuleWindowCounts): Candidate[] {
  const terms = rateTerms(rule, counts);
  const out: Candidate[] = [];
  const consider = (key: string | null, list: readonly number[]) => {
    const { numerator, denominator } = terms(list);
    if (denominator < rule.minVolume || denominator === 0) return;
    const rate = numerator / denominator;
    if (rate < rule.threshold) return;
    out.push({ key, counts: list, numerator, denominator, rate });
  };
  for (const [key, list] of Object.entries(counts.groups)) consider(key, list);
  if (counts.other !== undefined) consider(null, counts.other);
  return out;
}

/** Group keys in code-unit order, the `other` group (null) last. */
function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}
