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
    source: oneOrMany.optional().describe('The service the event comes from'),
    family: oneOrMany.optional().describe('The kind of event'),
    event_type: oneOrMany.optional().describe('The event type as the source names it; globs: * and ?'),
    channel: oneOrMany.optional().describe('The channel of the message'),
    status: oneOrMany.optional().describe('The delivery or send status, as the source names it'),
    outcome: oneOrMany
      .optional()
      .describe('What happened, in one vocabulary for every source (docs/schema.md)'),
    bounce_type: oneOrMany.optional().describe('The class of a bounce'),
    app_id: oneOrMany.optional().describe('Pinpoint project (application) id'),
    // Empty would match every record while looking like a condition.
    attributes: z
      .record(matchValue, oneOrMany)
      .refine((a) => Object.keys(a).length > 0, { message: 'attributes needs at least one attribute' })
      .optional()
      .describe('Event attributes: { name: value or [values] }; globs: * and ?'),
  })
  .refine((m) => Object.keys(m).length > 0, { message: 'match needs at least one key' })
  .describe(
    'Every key given must match (AND); the values of one key are alternatives (OR). Case is ignored; values are at most 256 characters.',
  );

export const ruleSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'letters, digits, _ . - (at most 100)')
      .describe('Unique in the file; a default rule of the same name is replaced'),
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
});

export type MatchSpec = z.infer<typeof matchSchema>;
export type RuleSpec = z.infer<typeof ruleSchema>;
export type RulesFile = z.infer<typeof rulesFileSchema>;
