import fc from 'fast-check';
import { type CompiledRateRule, compileRateRules } from '../../../src/rules/compileRateRules';
import type { RateRuleSpec } from '../../../src/rules/ruleSchema';
import type { Channel, NormalizedRecord, Outcome } from '../../../src/schema';
import { normalizedRecord } from '../../helpers/factories';

/** A rate rule spec with the given fields replaced. */
export function rateSpec(over: Partial<RateRuleSpec> = {}): RateRuleSpec {
  return {
    kind: 'rate',
    name: 'bounce-rate',
    numerator: ['bounced'],
    denominator: ['delivered', 'bounced'],
    match: { channel: 'EMAIL' },
    group_by: ['configuration_set'],
    threshold: 0.05,
    min_volume: 100,
    severity: 'high',
    ...over,
  };
}

export function compile(...specs: RateRuleSpec[]): CompiledRateRule[] {
  return compileRateRules(specs);
}

/** Three rules that count differently: by one field, by none, by two. */
export const RULES = compile(
  rateSpec(),
  rateSpec({
    name: 'complaint-rate',
    numerator: ['complained'],
    denominator: ['delivered'],
    match: undefined,
    group_by: undefined,
    threshold: 0.001,
    min_volume: 10,
  }),
  rateSpec({
    name: 'sms-failure-rate',
    numerator: ['failed', 'rejected'],
    denominator: ['delivered', 'failed', 'rejected'],
    match: { channel: 'SMS' },
    group_by: ['app_id', 'campaign_id'],
    threshold: 0.1,
    min_volume: 5,
    severity: 'medium',
  }),
);

/**
 * A normalized record (after protection, as the pipeline archives it) with a configuration set: the field
 * another change adds to NormalizedRecord, set here through the same loose type the counter reads it with.
 */
export function rec(
  outcome: Outcome,
  over: Partial<NormalizedRecord> & { configuration_set?: string } = {},
): NormalizedRecord {
  return normalizedRecord({ outcome, channel: 'EMAIL', ...over });
}

/** Records of a few outcomes, channels, configuration sets, apps and campaigns, some fields missing. */
export const recordArb: fc.Arbitrary<NormalizedRecord> = fc
  .record({
    outcome: fc.constantFrom<Outcome>(
      'delivered',
      'bounced',
      'complained',
      'failed',
      'rejected',
      'sent',
      'opened',
    ),
    channel: fc.constantFrom<Channel | undefined>('EMAIL', 'SMS', undefined),
    configuration_set: fc.constantFrom('marketing', 'transactional', 'x"\\\u0000é', undefined),
    app_id: fc.constantFrom('app-1', 'app-2', undefined),
    campaign_id: fc.constantFrom('c-1', 'c-2', 'c-3', undefined),
  })
  .map(({ outcome, ...fields }) => {
    const over: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) over[k] = v;
    const r = rec(outcome, over);
    if (fields.channel === undefined) delete r.channel;
    return r;
  });

/** `records` cut into consecutive pieces at the given positions (any order, any repeats). */
export function splitAt<T>(records: readonly T[], cuts: readonly number[]): T[][] {
  const at = [...new Set(cuts.map((c) => c % (records.length + 1)))].sort((a, b) => a - b);
  const pieces: T[][] = [];
  let from = 0;
  for (const c of [...at, records.length]) {
    pieces.push(records.slice(from, c));
    from = c;
  }
  return pieces;
}

/** Freezes a value and everything in it: a test fails on any write. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
