import { z } from 'zod';
import { OUTCOMES } from '../schema';
import { GLOB_KEYS, MAX_GLOB_LENGTH, NO_GLOB, noGlobProblem } from './globMatcher';
import {
  ATTRIBUTE_GROUP_FIELD,
  ATTRIBUTE_GROUP_PREFIX,
  MAX_GROUP_ATTRIBUTE_NAME,
  RATE_GROUP_KEYS,
} from './rateGroupKeys';
import { RATE_WINDOWS } from './rateWindows';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

const nonEmpty = z.string().min(1);
/**
 * One value to match, at most MAX_GLOB_LENGTH (256) characters: a glob's matching time grows with its length,
 * and no exact value worth matching is longer.
 */
const matchValue = nonEmpty.max(MAX_GLOB_LENGTH, `at most ${MAX_GLOB_LENGTH} characters`);
/**
 * When a "needs at least one key" check runs: only on a map without other problems. A map whose only key is
 * unknown (`match: { famly: sms }`) is parsed without it, and would be told it has none as well.
 */
const onlyWhenValid = (payload: { issues: readonly unknown[] }) => payload.issues.length === 0;

/** A single value or a list of alternatives (any may match); the values may be globs. */
const oneOrMany = z.union([matchValue, z.array(matchValue).min(1)]);

/**
 * A single value or a list of alternatives for `key`, a key that takes no globs (only GLOB_KEYS do): a `*` or `?`
 * is an error that says so, not a literal character that silently never matches (`configuration_set: mkt-*`).
 * The JSON Schema gets the same rule as a `pattern`.
 */
const exactOneOrMany = (key: string) => {
  const value = matchValue.regex(NO_GLOB, { error: (issue) => noGlobProblem(key, String(issue.input)) });
  return z.union([value, z.array(value).min(1)]);
};

/** How the keys outside a vocabulary that take no globs describe themselves (a vocabulary says it for the others). */
const NO_GLOBS = `compared exactly, no globs (only ${GLOB_KEYS.join(' and ')} take * and ?)`;

/** The match keys every rule may use; event rules add `outcome` and `bounce_type`. */
const sharedMatchKeys = {
  source: exactOneOrMany('source').optional().describe('The service the event comes from'),
  family: exactOneOrMany('family').optional().describe('The kind of event'),
  event_type: oneOrMany.optional().describe('The event type as the source names it; globs: * and ?'),
  channel: exactOneOrMany('channel').optional().describe('The channel of the message'),
  status: exactOneOrMany('status')
    .optional()
    .describe(`The delivery or send status, as the source names it; ${NO_GLOBS}`),
  app_id: exactOneOrMany('app_id').optional().describe(`Pinpoint project (application) id; ${NO_GLOBS}`),
  configuration_set: exactOneOrMany('configuration_set')
    .optional()
    .describe(`SES or End User Messaging configuration set the message was sent with; ${NO_GLOBS}`),
  // Empty would match every record while looking like a condition.
  attributes: z
    .record(matchValue, oneOrMany)
    .refine((a) => Object.keys(a).length > 0, {
      message: 'attributes needs at least one attribute',
      when: onlyWhenValid,
    })
    .optional()
    .describe('Event attributes: { name: value or [values] }; globs: * and ?'),
};

/**
 * What a rule matches. Every key given must match (AND); the values of one key are alternatives (OR).
 * String comparisons ignore case. `event_type` and `attributes` values may be globs: `*` for any run of
 * characters, `?` for exactly one character (a Unicode code point: an emoji is one), everything else literal
 * (`_email.*` is a prefix match); a `*` or `?` in a value of any other key is an error. Every value, glob or
 * not, and every attribute name is at most 256 characters. Closed: an unknown key is an error, not a silently
 * ignored typo.
 */
export const matchSchema = z
  .strictObject({
    source: sharedMatchKeys.source,
    family: sharedMatchKeys.family,
    event_type: sharedMatchKeys.event_type,
    channel: sharedMatchKeys.channel,
    status: sharedMatchKeys.status,
    outcome: exactOneOrMany('outcome')
      .optional()
      .describe('What happened, in one vocabulary for every source (docs/schema.md)'),
    bounce_type: exactOneOrMany('bounce_type').optional().describe('The class of a bounce'),
    app_id: sharedMatchKeys.app_id,
    configuration_set: sharedMatchKeys.configuration_set,
    attributes: sharedMatchKeys.attributes,
  })
  .refine((m) => Object.keys(m).length > 0, { message: 'match needs at least one key', when: onlyWhenValid })
  .describe(
    'Every key given must match (AND); the values of one key are alternatives (OR). Case is ignored; values are at most 256 characters.',
  );

/**
 * A key a rate rule's match may not use: it would filter the denominator along with the numerator (a delivered
 * email has no bounce type), so the rate would mean something else than it says.
 */
const notOnRates = (why: string) => z.never({ error: `not on a rate rule: ${why}` }).optional();

/**
 * The records a rate rule counts: the keys of an event rule's match except `outcome` (numerator and denominator
 * say which outcomes count) and `bounce_type` (only bounces have one, so the denominator would lose its
 * deliveries). The filter applies to the numerator and the denominator alike.
 */
export const rateMatchSchema = z
  .strictObject({
    ...sharedMatchKeys,
    outcome: notOnRates('numerator and denominator say which outcomes are counted'),
    bounce_type: notOnRates('it would filter the denominator too (a delivery has no bounce type)'),
  })
  .refine((m) => Object.keys(m).length > 0, {
    message: 'match needs at least one key (leave match out to count every record)',
    when: onlyWhenValid,
  })
  .describe(
    'Which records are counted, numerator and denominator alike: the keys of an event rule except outcome and bounce_type.',
  );

const ruleName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'letters, digits, _ . - (at most 100)')
  .describe('Unique in the file; a default rule of the same name is replaced');

/** An event rule: tested on every record; alerts are aggregated per rule per batch. */
export const eventRuleSchema = z
  .strictObject({
    kind: z.literal('event').optional().describe('event (the default): a rule tested on every record'),
    name: ruleName,
    description: z.string().optional().describe('Carried by the alerts of this rule'),
    enabled: z.boolean().optional().describe('false: checked, but switched off'),
    match: matchSchema,
    action: z
      .enum(['alert', 'drop', 'tag'])
      .describe('alert: one aggregated alert per batch; drop: not archived; tag: add tags to the record'),
    severity: z.enum(SEVERITIES).optional().describe('Alert rules only, and required there'),
    tags: z
      .array(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits, _ . : - (at most 64)'))
      .optional()
      .describe('Tag rules only, and at least one there'),
  })
  .superRefine((rule, ctx) => {
    if (rule.action === 'alert' && rule.severity === undefined) {
      ctx.addIssue({ code: 'custom', path: ['severity'], message: 'an alert rule needs a severity' });
    }
    if (rule.action !== 'alert' && rule.severity !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['severity'], message: `severity applies to alert rules only` });
    }
    if (rule.action === 'tag' && (rule.tags === undefined || rule.tags.length === 0)) {
      ctx.addIssue({ code: 'custom', path: ['tags'], message: 'a tag rule needs at least one tag' });
    }
    if (rule.action !== 'tag' && rule.tags !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['tags'], message: 'tags apply to tag rules only' });
    }
  });

/** A list of outcomes, each once; `role` names the list in messages. */
const outcomeList = (role: string) =>
  z
    .array(
      z.enum(OUTCOMES, {
        error: (issue) => `'${String(issue.input)}' is not an outcome (${OUTCOMES.join(', ')})`,
      }),
      {
        error: (issue) =>
          issue.input === undefined
            ? `a rate rule needs a ${role}: a list of outcomes`
            : 'a list of outcomes',
      },
    )
    .min(1, `the ${role} needs at least one outcome`);

/** The message of a group_by entry that is not a field a rate rule can group by. */
const notAGroupField = (issue: { input?: unknown }) =>
  `'${String(issue.input).slice(0, 300)}' cannot be grouped by (${RATE_GROUP_KEYS.join(', ')}, or ${ATTRIBUTE_GROUP_PREFIX}<tag name> of 1–256 characters)`;

/**
 * A rate rule: counts numerator and denominator outcomes per group over a tumbling window by arrival time
 * (`window`, default 1h), in the shared rate store both paths add to, and alerts once per group and window when
 * the denominator reaches `min_volume` and the rate reaches `threshold` (docs/rates.md).
 */
export const rateRuleSchema = z
  .strictObject({
    kind: z.literal('rate').describe('rate: a rule on the ratio of two outcome counts over a window'),
    name: ruleName,
    description: z.string().optional().describe('Carried by the alerts of this rule'),
    enabled: z.boolean().optional().describe('false: checked, but switched off'),
    numerator: outcomeList('numerator').describe('The outcomes counted above the line'),
    denominator: outcomeList('denominator').describe(
      'The outcomes the rate is a fraction of; need not include the numerator (complaints / deliveries)',
    ),
    match: rateMatchSchema.optional(),
    group_by: z
      .array(
        z.union(
          [
            z.enum(RATE_GROUP_KEYS, { error: notAGroupField }),
            z.string({ error: notAGroupField }).regex(ATTRIBUTE_GROUP_FIELD, { error: notAGroupField }),
          ],
          { error: notAGroupField },
        ),
      )
      .min(1, 'leave group_by out to count every matching record as one group')
      .max(6, 'at most 6 fields')
      .optional()
      .describe(
        `One rate per distinct combination of these fields (absent: one rate for all): ${RATE_GROUP_KEYS.join(', ')}, or ${ATTRIBUTE_GROUP_PREFIX}<name> for a message tag (SES mail.tags, End User Messaging context, Pinpoint attributes)`,
      ),
    window: z
      .enum(RATE_WINDOWS, {
        error: (issue) =>
          `'${String(issue.input).slice(0, 300)}' is not a window (${RATE_WINDOWS.join(', ')})`,
      })
      .optional()
      .describe(
        'The tumbling window the rate is counted over, by arrival time, aligned to UTC (default 1h): 5m, 15m, 1h, 6h or 1d',
      ),
    threshold: z
      .number({ error: 'a rate rule needs a threshold: a fraction (0.05 is 5%)' })
      .gt(0, 'a fraction greater than 0 and at most 1 (0.05 is 5%)')
      .lte(1, 'a fraction greater than 0 and at most 1 (0.05 is 5%)')
      .describe('Alert when the rate reaches this fraction: 0 < threshold ≤ 1 (0.05 is 5%)'),
    min_volume: z
      .number({ error: 'a rate rule needs min_volume: the denominator count below which nothing fires' })
      .int('a whole number of events')
      .min(1, 'at least 1')
      .max(1_000_000_000, 'at most 1,000,000,000')
      .describe('No alert while the denominator count is below this'),
    severity: z.enum(SEVERITIES, {
      error: (issue) =>
        issue.input === undefined
          ? 'a rate rule needs a severity'
          : `'${String(issue.input)}' is not a severity (${SEVERITIES.join(', ')})`,
    }),
    action: notOnRates('a rate rule always alerts; leave action out'),
    tags: notOnRates('a rate rule tags no record'),
  })
  .superRefine((rule, ctx) => {
    for (const key of ['numerator', 'denominator', 'group_by'] as const) {
      const list: readonly string[] = rule[key] ?? [];
      const twice = list.filter((v, i) => list.indexOf(v) !== i);
      if (twice.length > 0) {
        ctx.addIssue({ code: 'custom', path: [key], message: `'${twice[0]}' is listed twice` });
      }
    }
    const numerator = [...new Set(rule.numerator)].sort();
    const denominator = [...new Set(rule.denominator)].sort();
    if (numerator.length === denominator.length && numerator.every((o, i) => o === denominator[i])) {
      ctx.addIssue({
        code: 'custom',
        path: ['denominator'],
        message: 'the same outcomes as the numerator: the rate would always be 1',
      });
    }
  });

/**
 * One rule of a rules file: an event rule (`kind: event`, the default when `kind` is left out, so that every
 * rules file written before rate rules still reads the same) or a rate rule (`kind: rate`).
 */
export const ruleSchema = z.discriminatedUnion('kind', [eventRuleSchema, rateRuleSchema], {
  error: (issue) => {
    const input = issue.input;
    if (issue.code !== 'invalid_union' || typeof input !== 'object' || input === null) return undefined;
    const kind = (input as { kind?: unknown }).kind;
    return `'event' (the default) or 'rate', not ${JSON.stringify(kind) ?? 'undefined'}`;
  },
});

/**
 * How the analytics rows read the records (docs/analytics.md): `campaign_tag`, the message tag whose value is a
 * record's campaign when it has no Pinpoint `campaign_id` (SES `mail.tags`, End User Messaging `context`,
 * Pinpoint `attributes`: all in the record's `attributes`). Default `campaign`. Closed.
 */
export const analyticsSchema = z
  .strictObject({
    campaign_tag: nonEmpty
      .max(MAX_GROUP_ATTRIBUTE_NAME, `at most ${MAX_GROUP_ATTRIBUTE_NAME} characters`)
      .regex(/^[^\r\n]*$/, 'one line: a message tag name')
      .optional()
      .describe(
        'The message tag (SES mail.tags, End User Messaging context, Pinpoint attributes) read as the campaign of a record without a Pinpoint campaign_id; compared exactly. Default: campaign',
      ),
  })
  .describe('How the analytics rows every batch writes read the records (docs/analytics.md)');

export const rulesFileSchema = z.strictObject({
  version: z.literal(1),
  /** Keep the shipped default rules (a rule of the same name in this file replaces the default). */
  include_defaults: z
    .boolean()
    .optional()
    .describe('Keep the shipped default rules (default true); a rule of the same name replaces one'),
  /** Names of default rules to switch off. */
  disable: z.array(nonEmpty).optional().describe('Names of shipped default rules to switch off'),
  rules: z.array(ruleSchema).describe('Every matching rule applies'),
  analytics: analyticsSchema.optional(),
});

export type MatchSpec = z.infer<typeof matchSchema>;
export type RateMatchSpec = z.infer<typeof rateMatchSchema>;
export type EventRuleSpec = z.infer<typeof eventRuleSchema>;
export type RateRuleSpec = z.infer<typeof rateRuleSchema>;
export type RuleSpec = z.infer<typeof ruleSchema>;
export type RulesFile = z.infer<typeof rulesFileSchema>;
export type AnalyticsSpec = z.infer<typeof analyticsSchema>;
