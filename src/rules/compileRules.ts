import { RulesValidationError } from '../errors';
import { BOUNCE_CLASSES, CHANNELS, FAMILIES, type NormalizedRecord, OUTCOMES, SOURCES } from '../schema';
import { compileGlob, GLOB_KEYS, hasGlobCharacter, MAX_GLOB_LENGTH, noGlobProblem } from './globMatcher';
import type { EventRuleSpec, MatchSpec, RateMatchSpec, RuleSpec, Severity } from './ruleSchema';

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

/** A problem of one match key: where (from the rule: `match.family`), the value's index in a list, and what. */
export interface MatchProblem {
  readonly path: readonly ['match', ...string[]];
  /** The index of the value in the key's list of values; absent for a single value or the key as a whole. */
  readonly index?: number;
  readonly message: string;
}

/**
 * The values of a match outside their closed vocabulary (source, family, channel, outcome, bounce_type): what
 * the rules schema's types cannot see. Reads a match as the user wrote it, valid or not: anything that is not a
 * string (or a list of them) under a known key is the schema's to report, and is skipped here.
 */
export function vocabularyProblems(match: unknown): MatchProblem[] {
  const problems: MatchProblem[] = [];
  if (match === null || typeof match !== 'object' || Array.isArray(match)) return problems;
  for (const key of Object.keys(VOCABULARY) as Array<keyof typeof VOCABULARY>) {
    if (!Object.hasOwn(match, key)) continue;
    const vocabulary = VOCABULARY[key] as readonly string[];
    const values: unknown = (match as Record<string, unknown>)[key];
    const list: unknown[] = Array.isArray(values) ? values : [values];
    list.forEach((v, i) => {
      if (typeof v !== 'string' || vocabulary.includes(v.toLowerCase())) return;
      problems.push({
        path: ['match', key],
        ...(Array.isArray(values) && { index: i }),
        message: `'${clipValue(v)}' is not one of ${vocabulary.join(', ')}`,
      });
    });
  }
  return problems;
}

/**
 * Every problem of a match that a compiled rule must not have: values outside their vocabulary, and — should
 * a spec have skipped the rules schema, which refuses them first — a `*` or `?` in a value of a key that takes
 * no globs, and values (or attribute names) longer than MAX_GLOB_LENGTH.
 */
export function matchProblems(match: MatchSpec | RateMatchSpec): MatchProblem[] {
  const problems: MatchProblem[] = [];
  // Values already refused for their form (as the schema refuses them) are not looked up in a vocabulary.
  const refused = new Set<string>();
  for (const key of FIELD_KEYS) {
    const values = (match as MatchSpec)[key];
    if (values === undefined) continue;
    const list = Array.isArray(values) ? values : [values];
    list.forEach((v, i) => {
      const messages: string[] = [];
      if (v.length > MAX_GLOB_LENGTH) messages.push(tooLong(v));
      if (!(GLOB_KEYS as readonly string[]).includes(key) && hasGlobCharacter(v)) {
        messages.push(noGlobProblem(key, v));
      }
      for (const message of messages) {
        problems.push({ path: ['match', key], ...(Array.isArray(values) && { index: i }), message });
      }
      if (messages.length > 0) refused.add(`${key}\n${i}`);
    });
  }
  for (const p of vocabularyProblems(match)) {
    if (!refused.has(`${p.path[1]}\n${p.index ?? 0}`)) problems.push(p);
  }
  for (const [name, values] of Object.entries(match.attributes ?? {})) {
    const list = Array.isArray(values) ? values : [values];
    for (const v of [name, ...list]) {
      if (v.length > MAX_GLOB_LENGTH)
        problems.push({ path: ['match', 'attributes', name], message: tooLong(v) });
    }
  }
  return problems;
}

/**
 * Throws a RulesValidationError listing every problem of the matches of these specs (matchProblems), each with
 * its rule: `rule 'x': match.family: 'emial' is not one of …`. Specs that went through loadRules never have
 * one; a spec built another way is checked as thoroughly.
 */
export function assertMatchesValid(
  specs: ReadonlyArray<{ name: string; match?: MatchSpec | RateMatchSpec }>,
): void {
  const lines: string[] = [];
  for (const spec of specs) {
    if (spec.match === undefined) continue;
    for (const p of matchProblems(spec.match))
      lines.push(`rule '${spec.name}': ${p.path.join('.')}: ${p.message}`);
  }
  if (lines.length === 0) return;
  const message =
    lines.length === 1 ? (lines[0] as string) : `${lines.length} problems:\n  - ${lines.join('\n  - ')}`;
  throw new RulesValidationError(message, { problems: lines });
}

/**
 * Compiles the event rules among validated rule specs, in order; rate rules are compiled by compileRateRules. Disabled rules are left out, but checked first: a typo in a rule switched off today must not
 * wait to fail the cold start on the day it is switched on.
 *
 * @throws RulesValidationError listing every problem of every rule's match (assertMatchesValid)
 */
export function compileRules(specs: readonly RuleSpec[]): CompiledRule[] {
  // A rule without `kind` is an event rule.
  const events = specs.filter((s): s is EventRuleSpec => s.kind !== 'rate');
  assertMatchesValid(events);
  const compiled = events.map(compileRule);
  return compiled.filter((_, i) => events[i]?.enabled !== false);
}

function compileRule(spec: EventRuleSpec): CompiledRule {
  const { matches, eventTypes } = compileMatch(spec.match);
  const rule: CompiledRule = {
    name: spec.name,
    action: spec.action,
    matches,
    ...(spec.description !== undefined && { description: spec.description }),
    ...(spec.severity !== undefined && { severity: spec.severity }),
    ...(spec.tags !== undefined && { tags: Object.freeze([...spec.tags]) }),
    ...(spec.match.source !== undefined && { sources: lowerCaseSet(spec.match.source) }),
    ...(spec.match.family !== undefined && { families: lowerCaseSet(spec.match.family) }),
    ...(eventTypes !== undefined && { eventTypes }),
  };
  return Object.freeze(rule);
}

/** A rule's `match`, ready to test records against. */
export interface CompiledMatch {
  /** True when the record meets every condition of the match (an empty match: every record). */
  matches(record: NormalizedRecord): boolean;
  /** The test of the lower-cased event type, when the match names event types: lets routing skip the rule. */
  readonly eventTypes?: (lowerCaseType: string) => boolean;
}

/**
 * Compiles a match filter — an event rule's, or a rate rule's (compileRateRules): every condition
 * pre-lower-cased and pre-compiled, globs as one-pass matchers. The match is taken as valid: its values are
 * checked first (assertMatchesValid), as compileRules and compileRateRules do.
 */
export function compileMatch(match: MatchSpec | RateMatchSpec): CompiledMatch {
  const tests: Test[] = [];
  let eventTypes: ((lowerCaseType: string) => boolean) | undefined;
  for (const key of FIELD_KEYS) {
    const values = (match as MatchSpec)[key];
    if (values === undefined) continue;
    const list = (Array.isArray(values) ? values : [values]).map((v) => v.toLowerCase());
    const vocabulary = VOCABULARY[key];
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
  const attributes = match.attributes;
  if (attributes !== undefined) {
    for (const [name, values] of Object.entries(attributes)) {
      const raw = Array.isArray(values) ? values : [values];
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
  return {
    matches: (record) => {
      for (const t of tests) if (!t(record)) return false;
      return true;
    },
    ...(eventTypes !== undefined && { eventTypes }),
  };
}

const tooLong = (v: string) => `a value of ${v.length} characters (at most ${MAX_GLOB_LENGTH})`;

/** A value as messages quote it: at most 100 characters. */
function clipValue(v: string): string {
  return v.length > 100 ? `${v.slice(0, 100)}…` : v;
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
    if (allowGlobs && hasGlobCharacter(v)) globs.push(compileGlob(v));
    else exact.add(v);
  }
  if (globs.length === 0) return (v) => exact.has(v);
  return (v) => {
    if (exact.has(v)) return true;
    for (const glob of globs) if (glob(v)) return true;
    return false;
  };
}
