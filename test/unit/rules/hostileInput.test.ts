import { performance } from 'node:perf_hooks';
import { RulesValidationError } from '../../../src/errors';
import { compileRules } from '../../../src/rules/compileRules';
import { MAX_GLOB_LENGTH } from '../../../src/rules/globMatcher';
import { routeRecord } from '../../../src/rules/route';
import type { RuleSpec } from '../../../src/rules/ruleSchema';
import { parseUserDocument } from '../../../src/rules/userDocument';
import type { NormalizedRecord } from '../../../src/schema';
import { normalizedRecord } from '../../helpers/factories';
import { loadRules } from '../../helpers/rules';

jest.setTimeout(120_000);

/** Globs an operator may write that are worst cases for one matcher or another, all within the schema's bound. */
const ADVERSARIAL_GLOBS = [
  // A backtracking RegExp tries every way to place the a's before failing on the missing b: C(n, 5).
  '*a*a*a*a*a*b',
  // The two-pointer wildcard match restarts at every position and compares up to m characters: n · m.
  `*${'a'.repeat(MAX_GLOB_LENGTH - 2)}b`,
  `*${'a?'.repeat((MAX_GLOB_LENGTH - 2) / 2)}b`,
  `${'*a'.repeat((MAX_GLOB_LENGTH - 2) / 2)}*b`,
  `${'?'.repeat(MAX_GLOB_LENGTH - 1)}b`,
];

const ATTRIBUTES = ['campaign_type', 'tier'];

/** Rules on every key: globs where globs are allowed, exact values elsewhere; one rule matches to prove the work is done. */
const RULES: RuleSpec[] = [
  { name: 'types', match: { event_type: ADVERSARIAL_GLOBS }, action: 'alert', severity: 'high' },
  ...ADVERSARIAL_GLOBS.map(
    (glob, i): RuleSpec => ({ name: `type-${i}`, match: { event_type: glob }, action: 'drop' }),
  ),
  ...ATTRIBUTES.map(
    (name): RuleSpec => ({
      name: `attribute-${name}`,
      match: { attributes: { [name]: ADVERSARIAL_GLOBS } },
      action: 'tag',
      tags: [name],
    }),
  ),
  { name: 'source', match: { source: ['pinpoint', 'ses'] }, action: 'tag', tags: ['s'] },
  { name: 'family', match: { family: ['email', 'sms'] }, action: 'tag', tags: ['f'] },
  { name: 'channel', match: { channel: ['email', 'sms'] }, action: 'tag', tags: ['c'] },
  { name: 'status', match: { status: ['a'.repeat(MAX_GLOB_LENGTH), 'BLOCKED'] }, action: 'drop' },
  { name: 'outcome', match: { outcome: ['bounced', 'failed'] }, action: 'drop' },
  { name: 'bounce', match: { bounce_type: 'permanent' }, action: 'drop' },
  { name: 'app', match: { app_id: ['a'.repeat(MAX_GLOB_LENGTH), 'app-1'] }, action: 'drop' },
  {
    name: 'everything',
    match: { event_type: '*a?a', attributes: { campaign_type: 'a*', tier: '*a' } },
    action: 'alert',
    severity: 'low',
  },
];

/** A record whose every matched field is `n` characters long (all a's: no glob above ends on them). */
function hostileRecord(n: number): NormalizedRecord {
  const long = (c: string) => c.repeat(n);
  return normalizedRecord({
    event_type: long('a'),
    status: long('a'),
    app_id: long('a'),
    attributes: Object.fromEntries(ATTRIBUTES.map((name) => [name, long('a')])),
    // Closed vocabularies in normalized records, but the CLI routes normalized records read from files.
    source: long('s') as NormalizedRecord['source'],
    family: long('f') as NormalizedRecord['family'],
    channel: long('E') as NormalizedRecord['channel'],
    outcome: long('o') as NormalizedRecord['outcome'],
    bounce_type: long('p') as NormalizedRecord['bounce_type'],
  });
}

function fastest(runs: number, f: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    f();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/**
 * Routing may cost this much for a record that takes `baselineMs` to copy through JSON: generous, for a
 * loaded 2-core machine, and still far below what a backtracking or n·m matcher needs.
 */
const FACTOR = 30;
const FLOOR_MS = 50;
const budget = (baselineMs: number) => FACTOR * baselineMs + FLOOR_MS;

describe('routing hostile input', () => {
  const rules = compileRules(RULES);

  it('takes time in proportion to reading the record, up to one-megabyte values against adversarial globs', () => {
    const timings: string[] = [];
    // Doubling sizes: a matcher that is not linear fails at a small size in well under a second, instead of
    // running for hours at one megabyte.
    for (let n = 64; n <= 1 << 20; n *= 4) {
      const record = hostileRecord(n);
      const baseline = fastest(5, () => JSON.parse(JSON.stringify(record)));
      const route = () => routeRecord(record, rules);
      const once = fastest(1, route);
      const allowed = budget(baseline);
      if (once > allowed) {
        throw new Error(
          `routing took ${once.toFixed(1)} ms at ${n} characters (allowed ${allowed.toFixed(1)})`,
        );
      }
      const ms = Math.min(once, fastest(2, route));
      timings.push(`${n}: ${ms.toFixed(1)} ms (JSON copy ${baseline.toFixed(1)} ms)`);
      if (process.env.SHOW_TIMINGS) console.log(timings.at(-1));
      expect(ms).toBeLessThanOrEqual(allowed);
    }
    expect(timings).toHaveLength(8);
  });

  it('still decides right on one-megabyte values', () => {
    const record = hostileRecord(1 << 20);
    const decision = routeRecord(record, rules);
    expect(decision.alerts.map((r) => r.name)).toEqual(['everything']);
    expect(decision.drop).toBe(false);
    expect(record.tags).toBeUndefined();
    const matching = routeRecord(
      hostileRecord(1 << 20),
      compileRules([{ name: 'long', match: { event_type: `*${'a'.repeat(200)}` }, action: 'drop' }]),
    );
    expect(matching.drop).toBe(true);
  });
});

describe('validating a hostile rules file', () => {
  it('reports a problem in each of 8,000 keys of one map in time proportional to reading the file', () => {
    // Every problem is placed in document order: the keys of a map are looked up once, not once per problem.
    const attributes = Object.fromEntries(Array.from({ length: 8000 }, (_, i) => [`a${i}`, '']));
    const text = JSON.stringify({
      version: 1,
      rules: [{ name: 'x', action: 'drop', match: { attributes } }],
    });
    const parse = fastest(1, () => parseUserDocument(text));
    let problems: readonly string[] = [];
    const validate = fastest(1, () => {
      try {
        loadRules(text, 'hostile.json');
      } catch (err) {
        if (!(err instanceof RulesValidationError)) throw err;
        problems = err.problems;
      }
    });
    expect(problems).toHaveLength(8000);
    expect(problems[7999]).toMatch(/^rule 'x' \(rules\[0\]\): match\.attributes\.a7999: /);
    expect(validate).toBeLessThanOrEqual(3 * parse + 500);
  });
});
