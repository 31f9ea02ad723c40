import { z } from 'zod';
import { MAX_GLOB_LENGTH } from './globMatcher';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

const nonEmpty = z.string().min(1);
/**
 * One value to match, at most MAX_GLOB_LENGTH (256) characters: a glob's matching time grows with its length,
 * and no exact value worth matching is longer.
 */
const matchValue = nonEmpty.max(MAX_GLOB_LENGTH, `at most ${MAX_GLOB_LENGTH} characters`);
/** A single value or a list of alternatives (any may match). */
const oneOrMany = z.union([matchValue, z.array(matchValue).min(1)]);

/**
 * What a rule matches. Every key given must match (AND); the values of one key are alternatives (OR).
 * String comparisons ignore case. `event_type` and `attributes` values may be globs: `*` for any run of
 * characters, `?` for exactly one character (a Unicode code point: an emoji is one), everything else literal
 * (`_email.*` is a prefix match). Every value, glob or not, and every attribute name is at most 256
 * characters. Closed: an unknown key is an error, not a silently ignored typo.
 */
export const matchSchema = z
  .strictObject({
    source: oneOrMany.optional(),
    family: oneOrMany.optional(),
    event_type: oneOrMany.optional(),
    channel: oneOrMany.optional(),
    status: oneOrMany.optional(),
    outcome: oneOrMany.optional(),
    bounce_type: oneOrMany.optional(),
    app_id: oneOrMany.optional(),
    // Empty would match every record while looking like a condition.
    attributes: z
      .record(matchValue, oneOrMany)
      .refine((a) => Object.keys(a).length > 0, { message: 'attributes needs at least one attribute' })
      .optional(),
  })
  .refine((m) => Object.keys(m).length > 0, { message: 'match needs at least one key' });

export const ruleSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'letters, digits, _ . - (at most 100)'),
    description: z.string().optional(),
    enabled: z.boolean().optional(),
    match: matchSchema,
    action: z.enum(['alert', 'drop', 'tag']),
    severity: z.enum(SEVERITIES).optional(),
    tags: z
      .array(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits, _ . : - (at most 64)'))
      .optional(),
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

export const rulesFileSchema = z.strictObject({
  version: z.literal(1),
  /** Keep the shipped default rules (a rule of the same name in this file replaces the default). */
  include_defaults: z.boolean().optional(),
  /** Names of default rules to switch off. */
  disable: z.array(nonEmpty).optional(),
  rules: z.array(ruleSchema),
});

export type MatchSpec = z.infer<typeof matchSchema>;
export type RuleSpec = z.infer<typeof ruleSchema>;
export type RulesFile = z.infer<typeof rulesFileSchema>;
