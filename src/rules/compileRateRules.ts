import { type NormalizedRecord, OUTCOMES, type Outcome } from '../schema';
import { assertMatchesValid, compileMatch } from './compileRules';
import type { RateGroupField } from './rateGroupKeys';
import { DEFAULT_RATE_WINDOW, RATE_WINDOW_MS, type RateWindowName } from './rateWindows';
import { contentHash } from './routingConfig';
import type { RateRuleSpec, RuleSpec, Severity } from './ruleSchema';

/** A rate rule ready to count records with (src/rules/ruleSchema.ts `rateRuleSchema`, docs/rates.md). */
export interface CompiledRateRule {
  readonly name: string;
  readonly description?: string;
  readonly severity: Severity;
  /** The numerator outcomes, each once, in the order of OUTCOMES. */
  readonly numerator: readonly Outcome[];
  /** The denominator outcomes, each once, in the order of OUTCOMES. */
  readonly denominator: readonly Outcome[];
  /** Numerator and denominator outcomes together, in the order of OUTCOMES: the order of every count list. */
  readonly outcomes: readonly Outcome[];
  /** The fields a rate is computed per (empty: one rate for every matching record). */
  readonly groupBy: readonly RateGroupField[];
  /** The tumbling window counted over (`window`, default 1h) and its length. */
  readonly window: RateWindowName;
  readonly windowMs: number;
  readonly threshold: number;
  readonly minVolume: number;
  /**
   * A short hash of what the rule counts (outcomes, match, group_by, window): part of every counter's key, so
   * that counts of another definition (a deployment changed the rule in the middle of a window) are never
   * added to.
   */
  readonly fingerprint: string;
  /** The rule's match filter; true for every record when the rule has none. */
  matches(record: NormalizedRecord): boolean;
}

const everyRecord = (): boolean => true;

/**
 * Compiles the rate rules among validated rule specs, in order; event rules are compileRules' (the two kinds
 * share one rules file and one validator). Disabled rules are checked, then left out. A match filter is
 * checked and compiled as an event rule's is (assertMatchesValid, compileMatch): the same vocabularies, the
 * same messages, the same matching.
 *
 * @throws RulesValidationError listing every match value outside its vocabulary, of every rate rule
 */
export function compileRateRules(specs: readonly RuleSpec[]): CompiledRateRule[] {
  const rates = specs.filter((s): s is RateRuleSpec => s.kind === 'rate');
  assertMatchesValid(rates);
  const compiled = rates.map(compileRateRule);
  return compiled.filter((_, i) => rates[i]?.enabled !== false);
}

function compileRateRule(spec: RateRuleSpec): CompiledRateRule {
  const matches = spec.match !== undefined ? compileMatch(spec.match).matches : everyRecord;
  const inOrder = (list: readonly Outcome[]) => OUTCOMES.filter((o) => list.includes(o));
  const numerator = inOrder(spec.numerator);
  const denominator = inOrder(spec.denominator);
  const outcomes = inOrder([...numerator, ...denominator]);
  const groupBy = [...(spec.group_by ?? [])] as RateGroupField[];
  const window = spec.window ?? DEFAULT_RATE_WINDOW;
  const rule: CompiledRateRule = {
    name: spec.name,
    severity: spec.severity,
    numerator: Object.freeze(numerator),
    denominator: Object.freeze(denominator),
    outcomes: Object.freeze(outcomes),
    groupBy: Object.freeze(groupBy),
    threshold: spec.threshold,
    minVolume: spec.min_volume,
    window,
    windowMs: RATE_WINDOW_MS[window],
    fingerprint: contentHash({ outcomes, match: spec.match ?? null, group_by: groupBy, window }),
    matches,
    ...(spec.description !== undefined && { description: spec.description }),
  };
  return Object.freeze(rule);
}
