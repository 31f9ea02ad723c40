import type { z } from 'zod';
import { RulesValidationError } from '../errors';
import { type CompiledRateRule, compileRateRules } from './compileRateRules';
import { type CompiledRule, compileRules, vocabularyProblems } from './compileRules';
import { DEFAULT_RATE_RULES, DEFAULT_RULES } from './defaultRules';
import { type AnalyticsSpec, type RuleSpec, type RulesFile, rulesFileSchema } from './ruleSchema';
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
 * merges it with the defaults. Every problem of the file is reported at once, each with the rule's name and
 * the offending key (checkRulesFile): the error's `problems` lists them. Returns the event rules and the rate
 * rules, each in order, compiled, and the file's `analytics` settings (what `rules check` reports).
 *
 * @param text file contents, or undefined for the defaults alone
 * @param origin the file name, for messages
 */
export function loadRuleSet(text: string | undefined, origin = 'rules'): RuleSet {
  return validateRules(text, origin).compiled;
}

/**
 * The same validation as {@link loadRuleSet}, returning the merged rule specs (plain JSON, event and rate rules
 * in file order) instead of the compiled rules, with the file's `analytics` settings: what a deployment packages
 * into its bundles (src/rules/routingConfig.ts), where the matchers are compiled again at cold start without
 * YAML or zod (compileRules for event rules, compileRateRules for rate rules).
 */
export function loadRulesFileSpecs(text: string | undefined, origin = 'rules'): RulesFileSpecs {
  const { specs, compiled } = validateRules(text, origin);
  return { rules: specs, ...(compiled.analytics !== undefined && { analytics: compiled.analytics }) };
}

/** How a list of problems is written: one per line, after the file's name. */
const PROBLEM = '\n  - ';

function validateRules(text: string | undefined, origin: string): { specs: RuleSpec[]; compiled: RuleSet } {
  // Event defaults first, then rate defaults: the order of the rules in force, and of `disable`'s list.
  const defaults = validateDefaults();
  if (text === undefined) return { specs: defaults, compiled: compileWithContext(defaults, 'default rules') };
  const parsed = parseUserDocument(text);
  if (!parsed.ok)
    throw new RulesValidationError(`${origin}: ${parsed.message}`, { problems: [parsed.message] });
  const { doc } = parsed;
  const checked = checkRulesFile(
    doc,
    defaults.map((r) => r.name),
  );
  if (!checked.ok) {
    throw new RulesValidationError(`${origin} is invalid:${PROBLEM}${checked.problems.join(PROBLEM)}`, {
      problems: checked.problems,
    });
  }
  const { rules: file, include_defaults: includeDefaults, disable = [] } = checked.file;
  const skip = new Set([...file.map((r) => r.name), ...disable]);
  const merged = includeDefaults === false ? file : [...defaults.filter((r) => !skip.has(r.name)), ...file];
  const analytics = (doc as { analytics?: AnalyticsSpec }).analytics;
  const compiled = compileWithContext(merged, origin);
  return {
    specs: merged,
    compiled: analytics === undefined ? compiled : { ...compiled, analytics: { ...analytics } },
  };
}

/** The shipped rules, checked as a user's file is: a problem there is a bug of ours, and fails loudly. */
function validateDefaults(): RuleSpec[] {
  const doc = { version: 1, rules: [...DEFAULT_RULES, ...DEFAULT_RATE_RULES] };
  const checked = checkRulesFile(doc, []);
  if (!checked.ok) {
    throw new RulesValidationError(`default rules are invalid:${PROBLEM}${checked.problems.join(PROBLEM)}`, {
      problems: checked.problems,
    });
  }
  return checked.file.rules;
}

/** A problem found in a rules file: where it is in the document (see documentOrder), and the line that says it. */
interface Found {
  readonly order: readonly number[];
  readonly line: string;
}

/**
 * Every problem of a parsed rules file, in one pass: keys JavaScript gives a meaning of their own, the closed
 * schema (keys, types, lengths, globs on keys that take none, what each kind of rule needs), and what the
 * schema cannot see — match values outside their vocabulary, a name given to two rules, `disable` naming no
 * default. Each check reads the document as written, so that one problem never hides another: a file with
 * five problems gets five lines, each with its rule (`rule 'x' (rules[2]): match.family: …`), the file's own
 * problems first, then the rules' in file order.
 */
function checkRulesFile(
  doc: unknown,
  defaultNames: readonly string[],
): { ok: true; file: RulesFile } | { ok: false; problems: string[] } {
  const found: Found[] = [];
  const order = documentOrder(doc);
  const add = (path: DocumentPath, what: string) => {
    const { where, at } = locate(path, doc);
    const line = [where, at, what].filter((part) => part.length > 0).join(': ');
    found.push({ order: order(path), line });
  };

  for (const path of findReservedKeys(doc)) {
    add(path, `reserved key (${RESERVED_KEYS.join(', ')} are refused in every map)`);
  }

  const parsed = rulesFileSchema.safeParse(doc);
  // Where the schema found a problem: a value it refused is not reported again by the checks below.
  const refused = new Set<string>();
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path as DocumentPath;
      // Unknown keys are reported on the map that holds them: placed where the first of them is.
      const at = issue.code === 'unrecognized_keys' ? [...path, issue.keys[0] ?? ''] : path;
      found.push({ order: order(at), line: describeIssue(issue, doc) });
      refused.add(pathKey(issue.path as DocumentPath));
    }
  }

  const raw = (doc !== null && typeof doc === 'object' ? doc : {}) as { rules?: unknown; disable?: unknown };
  const rules = Array.isArray(raw.rules) ? (raw.rules as unknown[]) : [];
  const firstByName = new Map<string, number>();
  rules.forEach((rule, i) => {
    if (rule === null || typeof rule !== 'object') return;
    const { match, name } = rule as { match?: unknown; name?: unknown };
    for (const problem of vocabularyProblems(match)) {
      const key: DocumentPath = ['rules', i, ...problem.path];
      const value = problem.index === undefined ? key : [...key, problem.index];
      if (refused.has(pathKey(key)) || refused.has(pathKey(value))) continue;
      add(key, problem.message);
    }
    if (typeof name !== 'string') return;
    const first = firstByName.get(name);
    if (first === undefined) firstByName.set(name, i);
    else add(['rules', i, 'name'], `defined twice, first at rules[${first}] (names are unique in a file)`);
  });

  if (Array.isArray(raw.disable)) {
    for (const name of raw.disable) {
      if (typeof name !== 'string' || name.length === 0 || defaultNames.includes(name)) continue;
      add(['disable'], `'${name}' is not a default rule (${defaultNames.join(', ')})`);
    }
  }

  if (found.length > 0 || !parsed.success) {
    // The file's own problems first, then each rule's; within a rule in the order of its keys (sort is stable).
    const problems = found.sort((a, b) => compareOrder(a.order, b.order)).map((f) => f.line);
    return { ok: false, problems };
  }
  return { ok: true, file: parsed.data };
}

/**
 * Where a path is in the document, for sorting problems: a problem outside `rules` comes first ([-1]); one in
 * a rule is [its index, then the position of each key along the path among its map's keys, as written] — so
 * that a rule's problems read top to bottom. A key the document does not have sorts after those it has. Each
 * map's key positions are computed once: a map of 100,000 keys with a problem in each costs linear time.
 */
function documentOrder(doc: unknown): (path: DocumentPath) => number[] {
  const positions = new WeakMap<object, Map<string, number>>();
  const positionIn = (node: object, key: string): number => {
    let keys = positions.get(node);
    if (keys === undefined) {
      keys = new Map(Object.keys(node).map((k, i) => [k, i]));
      positions.set(node, keys);
    }
    return keys.get(key) ?? keys.size;
  };
  return (path) => {
    if (path[0] !== 'rules' || typeof path[1] !== 'number') return [-1];
    const order = [path[1]];
    let node: unknown = (doc as { rules: unknown[] }).rules[path[1]];
    for (const step of path.slice(2)) {
      if (node === null || typeof node !== 'object') break;
      if (Array.isArray(node)) order.push(typeof step === 'number' ? step : node.length);
      else order.push(positionIn(node, String(step)));
      node = Object.hasOwn(node, String(step)) ? (node as Record<string, unknown>)[String(step)] : undefined;
    }
    return order;
  };
}

/** Lexicographic; a path before the paths below it. */
function compareOrder(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

const pathKey = (path: DocumentPath): string => JSON.stringify(path);

function compileWithContext(specs: RuleSpec[], origin: string): RuleSet {
  try {
    return { rules: compileRules(specs), rateRules: compileRateRules(specs) };
  } catch (err) {
    // checkRulesFile finds every problem compileRules would: this is a guard, not a path a file takes.
    if (err instanceof RulesValidationError) {
      throw new RulesValidationError(`${origin} is invalid:${PROBLEM}${err.problems.join(PROBLEM)}`, {
        cause: err,
        problems: err.problems,
      });
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
