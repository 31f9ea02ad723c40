import type { z } from 'zod';
import { RulesValidationError } from '../errors';
import { type CompiledRateRule, compileRateRules } from '../rates/compileRateRules';
import { type CompiledRule, compileRules } from './compileRules';
import { DEFAULT_RATE_RULES, DEFAULT_RULES } from './defaultRules';
import { type AnalyticsSpec, type RuleSpec, rulesFileSchema } from './ruleSchema';
import { type DocumentPath, findReservedKeys, parseUserDocument, RESERVED_KEYS } from './userDocument';

/**
 * Every rule of a rules file, compiled: event rules for routing, rate rules for window counts; and how the
 * analytics rows read the records (the file's `analytics` key, undefined when it has none).
 */
export interface RuleSet {
  readonly rules: CompiledRule[];
  readonly rateRules: CompiledRateRule[];
  readonly analytics?: AnalyticsSpec;
}

/** A rules file's rule specs (merged with the defaults) and its `analytics` settings, validated. */
export interface RulesFileSpecs {
  readonly rules: RuleSpec[];
  /** The file's `analytics` key as written (undefined when absent: the defaults). */
  readonly analytics?: AnalyticsSpec;
}

/** Keys only a rate rule has: on a rule without `kind: rate` they get a hint instead of a bare "unknown key". */
const RATE_ONLY_KEYS: ReadonlySet<string> = new Set([
  'numerator',
  'denominator',
  'group_by',
  'threshold',
  'min_volume',
]);

/**
 * Parses and validates a rules file (YAML or JSON — JSON is YAML) against the closed rules schema and
 * merges it with the defaults. Every problem is reported with the rule's name and the offending key.
 * Returns the event rules; the rate rules of the same file are validated too (loadRuleSet returns both).
 *
 * @param text file contents, or undefined for the defaults alone
 * @param origin the file name, for messages
 */
export function loadRules(text: string | undefined, origin = 'rules'): CompiledRule[] {
  return validateRules(text, origin).compiled.rules;
}

/** The same validation as {@link loadRules}, returning the event rules and the rate rules, each in order. */
export function loadRuleSet(text: string | undefined, origin = 'rules'): RuleSet {
  return validateRules(text, origin).compiled;
}

/**
 * The same validation as {@link loadRules}, returning the merged rule specs (plain JSON, event and rate rules
 * in file order) instead of the compiled rules: what a deployment packages into its bundles
 * (src/rules/routingConfig.ts), where the matchers are compiled again at cold start without YAML or zod
 * (compileRules for event rules, compileRateRules for rate rules).
 */
export function loadRuleSpecs(text: string | undefined, origin = 'rules'): RuleSpec[] {
  return validateRules(text, origin).specs;
}

/** {@link loadRuleSpecs}, with the file's `analytics` settings: what a deployment packages. */
export function loadRulesFileSpecs(text: string | undefined, origin = 'rules'): RulesFileSpecs {
  const { specs, compiled } = validateRules(text, origin);
  return { rules: specs, ...(compiled.analytics !== undefined && { analytics: compiled.analytics }) };
}

function validateRules(text: string | undefined, origin: string): { specs: RuleSpec[]; compiled: RuleSet } {
  // Event defaults first, then rate defaults: the order of the rules in force, and of `disable`'s list.
  const defaults = validateSpecs(
    { version: 1, rules: [...DEFAULT_RULES, ...DEFAULT_RATE_RULES] },
    'default rules',
  );
  if (text === undefined) return { specs: defaults, compiled: compileWithContext(defaults, 'default rules') };
  const parsed = parseUserDocument(text);
  if (!parsed.ok) throw new RulesValidationError(`${origin}: ${parsed.message}`);
  const { doc } = parsed;
  const reserved = findReservedKeys(doc);
  if (reserved.length > 0) {
    const lines = reserved.map((path) => {
      const { where, at } = locate(path, doc);
      return `${where.length > 0 ? `${where}: ` : ''}${at}: reserved key (${RESERVED_KEYS.join(', ')} are refused in every map)`;
    });
    throw new RulesValidationError(`${origin} is invalid:\n  - ${lines.join('\n  - ')}`);
  }
  const file = validateSpecs(doc, origin);
  const { include_defaults: includeDefaults, disable = [] } = doc as {
    include_defaults?: boolean;
    disable?: string[];
  };
  for (const name of disable) {
    if (!defaults.some((r) => r.name === name)) {
      throw new RulesValidationError(
        `${origin}: disable: '${name}' is not a default rule (${defaults.map((r) => r.name).join(', ')})`,
      );
    }
  }
  const skip = new Set([...file.map((r) => r.name), ...disable]);
  const merged = includeDefaults === false ? file : [...defaults.filter((r) => !skip.has(r.name)), ...file];
  const analytics = (doc as { analytics?: AnalyticsSpec }).analytics;
  const compiled = compileWithContext(merged, origin);
  return {
    specs: merged,
    compiled: analytics === undefined ? compiled : { ...compiled, analytics: { ...analytics } },
  };
}

function validateSpecs(doc: unknown, origin: string): RuleSpec[] {
  const parsed = rulesFileSchema.safeParse(doc);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => describeIssue(issue, doc));
    throw new RulesValidationError(`${origin} is invalid:\n  - ${lines.join('\n  - ')}`);
  }
  const seen = new Set<string>();
  for (const rule of parsed.data.rules) {
    if (seen.has(rule.name))
      throw new RulesValidationError(`${origin}: rule '${rule.name}' is defined twice`);
    seen.add(rule.name);
  }
  return parsed.data.rules;
}

function compileWithContext(specs: RuleSpec[], origin: string): RuleSet {
  try {
    return { rules: compileRules(specs), rateRules: compileRateRules(specs) };
  } catch (err) {
    if (err instanceof RulesValidationError) {
      throw new RulesValidationError(`${origin} is invalid: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/** `rule 'email-bounce' (rules[3]): match.sevrity: unknown key` — where the problem is, in the user's terms. */
function describeIssue(issue: z.core.$ZodIssue, doc: unknown): string {
  const { where, at } = locate(issue.path as DocumentPath, doc);
  let what = `${at}: ${issue.message}`;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (at.length > 0 ? `${at}.${k}` : k));
    what = `${keys.join(', ')}: unknown key${keys.length > 1 ? 's' : ''}`;
    if (where.length > 0 && at.length === 0 && issue.keys.some((k) => RATE_ONLY_KEYS.has(k))) {
      what += ' (rate rules only: add kind: rate)';
    }
  } else if (at.length === 0) {
    what = issue.message;
  }
  return where.length > 0 ? `${where}: ${what}` : what;
}

/** A path into the rules file as the user reads it: the rule (by name when it has one) and the key within it. */
function locate(path: DocumentPath, doc: unknown): { where: string; at: string } {
  const rest = [...path];
  let where = '';
  if (rest[0] === 'rules' && typeof rest[1] === 'number') {
    const index = rest[1];
    const name = (doc as { rules?: Array<{ name?: unknown }> } | null)?.rules?.[index]?.name;
    where = typeof name === 'string' ? `rule '${name}' (rules[${index}])` : `rules[${index}]`;
    rest.splice(0, 2);
  }
  return { where, at: rest.map(String).join('.') };
}
