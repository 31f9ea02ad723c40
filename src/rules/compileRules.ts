import { RulesValidationError } from '../errors';
import { BOUNCE_CLASSES, CHANNELS, FAMILIES, type NormalizedRecord, OUTCOMES, SOURCES } from '../schema';
import { compileGlob, MAX_GLOB_LENGTH } from './globMatcher';
import type { EventRuleSpec, MatchSpec, RuleSpec, Severity } from './ruleSchema';

/** A rule ready to test records against: every condition pre-lower-cased and pre-compiled. */
export interface CompiledRule {
  readonly name: string;
  readonly description?: string;
  readonly action: 'alert' | 'drop' | 'tag';
  readonly severity?: Severity;
  readonly tags?: readonly string[];
  /** The sources the rule is limited to, if it names any: lets routing skip it for other sources. */
  readonly sources?: ReadonlySet<string>;
  /** The families the rule is limited to, if it names any. */
  readonly families?: ReadonlySet<string>;
  /** The event types the rule is limited to, if it names any: a test of the lower-cased type. */
  readonly eventTypes?: (lowerCaseType: string) => boolean;
  matches(record: NormalizedRecord): boolean;
}

type Test = (record: NormalizedRecord) => boolean;

/** Values the closed vocabularies accept, so that `family: emial` fails at cold start instead of never matching. */
const VOCABULARY: Partial<Record<keyof MatchSpec, readonly string[]>> = {
  source: SOURCES,
  family: FAMILIES,
  channel: CHANNELS.map((c) => c.toLowerCase()),
  bounce_type: BOUNCE_CLASSES,
  outcome: OUTCOMES,
};

const FIELD_KEYS = [
  'source',
  'family',
  'event_type',
  'channel',
  'status',
  'outcome',
  'bounce_type',
  'app_id',
  'configuration_set',
] as const satisfies ReadonlyArray<keyof MatchSpec & keyof NormalizedRecord>;

/**
 * Compiles the event rules among validated rule specs, in order; rate rules are compiled by compileRateRules
 * (src/rates/). Disabled rules are left out, but checked first: a typo in a rule switched off today must not
 * wait to fail the cold start on the day it is switched on.
 */
export function compileRules(specs: readonly RuleSpec[]): CompiledRule[] {
  // A rule without `kind` is an event rule.
  const events = specs.filter((s): s is EventRuleSpec => s.kind !== 'rate');
  const compiled = events.map(compileRule);
  return compiled.filter((_, i) => events[i]?.enabled !== false);
}

function compileRule(spec: EventRuleSpec): CompiledRule {
  const tests: Test[] = [];
  let eventTypes: ((lowerCaseType: string) => boolean) | undefined;
  for (const key of FIELD_KEYS) {
    const values = spec.match[key];
    if (values === undefined) continue;
    const raw = Array.isArray(values) ? values : [values];
    checkLengths(spec.name, key, raw);
    const list = raw.map((v) => v.toLowerCase());
    const vocabulary = VOCABULARY[key];
    if (vocabulary !== undefined) {
      for (const v of list) {
        if (!vocabulary.includes(v)) {
          throw new RulesValidationError(
            `rule '${spec.name}': match.${key}: '${v}' is not one of ${vocabulary.join(', ')}`,
          );
        }
      }
    }
    if (key === 'channel') {
      // Channels are written upper-case by the normalizers: compare in that case, no folding per record.
      const test = valueTest(
        list.map((v) => v.toUpperCase()),
        false,
      );
      tests.push((r) => r.channel !== undefined && test(r.channel));
    } else if (vocabulary !== undefined) {
      // Our own vocabularies (source, family, outcome, bounce_type) are always lower-case in records.
      const test = valueTest(list, false);
      tests.push((r) => {
        const v = r[key];
        return v !== undefined && test(v);
      });
    } else {
      const test = valueTest(list, key === 'event_type');
      if (key === 'event_type') eventTypes = test;
      tests.push((r) => {
        const v = r[key];
        return v !== undefined && test(v.toLowerCase());
      });
    }
  }
  const attributes = spec.match.attributes;
  if (attributes !== undefined) {
    for (const [name, values] of Object.entries(attributes)) {
      const raw = Array.isArray(values) ? values : [values];
      checkLengths(spec.name, `attributes.${name}`, [name, ...raw]);
      const test = valueTest(
        raw.map((v) => v.toLowerCase()),
        true,
      );
      tests.push((r) => {
        const attrs = r.attributes;
        // Own keys only: an attribute named `constructor` or `toString` must not find Object.prototype.
        if (attrs === undefined || !Object.hasOwn(attrs, name)) return false;
        const v = attrs[name];
        return typeof v === 'string' && test(v.toLowerCase());
      });
    }
  }
  const rule: CompiledRule = {
    name: spec.name,
    action: spec.action,
    matches: (record) => {
      for (const t of tests) if (!t(record)) return false;
      return true;
    },
    ...(spec.description !== undefined && { description: spec.description }),
    ...(spec.severity !== undefined && { severity: spec.severity }),
    ...(spec.tags !== undefined && { tags: Object.freeze([...spec.tags]) }),
    ...(spec.match.source !== undefined && { sources: lowerCaseSet(spec.match.source) }),
    ...(spec.match.family !== undefined && { families: lowerCaseSet(spec.match.family) }),
    ...(eventTypes !== undefined && { eventTypes }),
  };
  return Object.freeze(rule);
}

/** The schema bounds values already; compiled specs that skipped it must not bring back unbounded globs. */
function checkLengths(rule: string, key: string, values: readonly string[]): void {
  for (const v of values) {
    if (v.length > MAX_GLOB_LENGTH) {
      throw new RulesValidationError(
        `rule '${rule}': match.${key}: a value of ${v.length} characters (at most ${MAX_GLOB_LENGTH})`,
      );
    }
  }
}

function lowerCaseSet(values: string | readonly string[]): ReadonlySet<string> {
  return new Set((typeof values === 'string' ? [values] : values).map((v) => v.toLowerCase()));
}

/**
 * Exact values go in a Set; each glob (`*`, `?`) becomes a one-pass matcher (see compileGlob), never a RegExp
 * built from the rule: record values come from the data, of any length.
 */
function valueTest(values: string[], allowGlobs: boolean): (v: string) => boolean {
  const exact = new Set<string>();
  const globs: Array<(v: string) => boolean> = [];
  for (const v of values) {
    if (allowGlobs && /[*?]/.test(v)) globs.push(compileGlob(v));
    else exact.add(v);
  }
  if (globs.length === 0) return (v) => exact.has(v);
  return (v) => {
    if (exact.has(v)) return true;
    for (const glob of globs) if (glob(v)) return true;
    return false;
  };
}
