import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RulesValidationError } from '../../../src/errors';
import { DEFAULT_RULES } from '../../../src/rules/defaultRules';
import { routeRecord } from '../../../src/rules/route';
import { EVERY_PROBLEM_RULES, everyProblemMatchers } from '../../helpers/everyRulesProblem';
import { normalizedRecord } from '../../helpers/factories';
import { loadRules } from '../../helpers/rules';

const DEFAULT_NAMES = DEFAULT_RULES.map((r) => r.name);

const record = normalizedRecord;

/** The error loadRules throws for a file; fails the test when it does not throw one. */
function errorOf(text: string): RulesValidationError {
  try {
    loadRules(text, 'rules.yaml');
  } catch (err) {
    if (err instanceof RulesValidationError) return err;
    throw err;
  }
  throw new Error('expected loadRules to reject the file');
}

const ONE_RULE = (rule: string) => `version: 1\nrules:\n${rule}`;

describe('loadRules', () => {
  describe('merging with the defaults', () => {
    it('returns the default rules, in order, when there is no rules file', () => {
      expect(loadRules(undefined).map((r) => r.name)).toEqual(DEFAULT_NAMES);
    });

    it('keeps the defaults when include_defaults is absent and appends the file rules after them', () => {
      const rules = loadRules(
        ONE_RULE(
          '  - { name: b, match: { family: sms }, action: drop }\n  - { name: a, match: { family: app }, action: drop }\n',
        ),
      );
      expect(rules.map((r) => r.name)).toEqual([...DEFAULT_NAMES, 'b', 'a']);
    });

    it('keeps the defaults when include_defaults is true', () => {
      const rules = loadRules('version: 1\ninclude_defaults: true\nrules: []\n');
      expect(rules.map((r) => r.name)).toEqual(DEFAULT_NAMES);
    });

    it('leaves the defaults out when include_defaults is false', () => {
      const rules = loadRules(
        'version: 1\ninclude_defaults: false\nrules:\n  - { name: only, match: { family: sms }, action: drop }\n',
      );
      expect(rules.map((r) => r.name)).toEqual(['only']);
    });

    it('switches off the defaults named in disable and keeps the others', () => {
      const rules = loadRules('version: 1\ndisable: [sms-opt-out, ses-complaint]\nrules: []\n');
      expect(rules.map((r) => r.name)).toEqual(
        DEFAULT_NAMES.filter((n) => n !== 'sms-opt-out' && n !== 'ses-complaint'),
      );
    });

    it('replaces a default with the file rule of the same name', () => {
      const rules = loadRules(
        ONE_RULE(
          '  - name: email-hard-bounce\n    match: { event_type: "_email.hardbounce" }\n    action: alert\n    severity: critical\n',
        ),
      );
      const named = rules.filter((r) => r.name === 'email-hard-bounce');
      expect(named).toHaveLength(1);
      expect(named[0]?.severity).toBe('critical');
      expect(named[0]?.description).toBeUndefined();
      expect(rules).toHaveLength(DEFAULT_NAMES.length);
    });

    it('switches a default off with a same-name rule that has enabled: false', () => {
      const rules = loadRules(
        ONE_RULE(
          '  - { name: sms-spam, enabled: false, match: { family: sms, status: SPAM }, action: alert, severity: high }\n',
        ),
      );
      expect(rules.map((r) => r.name)).toEqual(DEFAULT_NAMES.filter((n) => n !== 'sms-spam'));
    });

    it('leaves out a file rule with enabled: false', () => {
      const rules = loadRules(
        'version: 1\ninclude_defaults: false\nrules:\n' +
          '  - { name: off, enabled: false, match: { family: sms }, action: drop }\n' +
          '  - { name: on, enabled: true, match: { family: sms }, action: drop }\n',
      );
      expect(rules.map((r) => r.name)).toEqual(['on']);
    });

    it('reads a JSON rules file', () => {
      const rules = loadRules(
        JSON.stringify({
          version: 1,
          include_defaults: false,
          rules: [{ name: 'vip', match: { app_id: 'abc' }, action: 'tag', tags: ['vip'] }],
        }),
      );
      expect(rules).toHaveLength(1);
      expect(rules[0]).toMatchObject({ name: 'vip', action: 'tag', tags: ['vip'] });
    });
  });

  describe('the shipped rules.example.yaml', () => {
    const text = readFileSync(join(__dirname, '../../../rules.example.yaml'), 'utf8');

    it('loads, keeps the defaults except the disabled one and adds its own rules', () => {
      const rules = loadRules(text, 'rules.example.yaml');
      expect(rules.map((r) => r.name)).toEqual([
        ...DEFAULT_NAMES.filter((n) => n !== 'sms-opt-out'),
        'drop-test-events',
        'tag-vip-app',
        'journey-throttled',
      ]);
    });

    it('drops test events, tags the VIP app and alerts on throttled journeys', () => {
      const rules = loadRules(text, 'rules.example.yaml');
      expect(routeRecord(record({ family: 'custom', event_type: '_test.event' }), rules).drop).toBe(true);

      const vip = record({ app_id: 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6', family: 'sms' });
      expect(routeRecord(vip, rules).drop).toBe(false);
      expect(vip.tags).toEqual(['vip']);

      const throttled = record({ family: 'journey', event_type: '_journey.send', status: 'THROTTLED' });
      expect(routeRecord(throttled, rules).alerts.map((r) => r.name)).toEqual(['journey-throttled']);

      const optOut = record({ family: 'sms', event_type: '_SMS.OPTOUT', outcome: 'opted_out' });
      expect(routeRecord(optOut, rules).alerts).toEqual([]);
    });
  });

  describe('validation', () => {
    it.each([
      [
        'a misspelt rule key',
        ONE_RULE('  - name: x\n    match: { family: sms }\n    action: alert\n    sevrity: high\n'),
        ["rule 'x'", 'sevrity', 'unknown key'],
      ],
      [
        'a misspelt match key',
        ONE_RULE('  - { name: x, match: { familly: sms }, action: drop }\n'),
        ["rule 'x'", 'match.familly', 'unknown key'],
      ],
      [
        'a family outside the vocabulary',
        ONE_RULE('  - { name: x, match: { family: emial }, action: alert, severity: high }\n'),
        ["rule 'x'", 'match.family', "'emial'"],
      ],
      [
        'a family outside the vocabulary in a disabled rule',
        ONE_RULE('  - { name: x, enabled: false, match: { family: emial }, action: drop }\n'),
        ["rule 'x'", 'match.family', "'emial'"],
      ],
      [
        'an alert rule without a severity',
        ONE_RULE('  - { name: x, match: { family: sms }, action: alert }\n'),
        ["rule 'x'", 'severity', 'needs a severity'],
      ],
      [
        'a severity outside the vocabulary',
        ONE_RULE('  - { name: x, match: { family: sms }, action: alert, severity: urgent }\n'),
        ["rule 'x'", 'severity', 'critical'],
      ],
      [
        'a tag rule without tags',
        ONE_RULE('  - { name: x, match: { family: sms }, action: tag }\n'),
        ["rule 'x'", 'tags', 'at least one tag'],
      ],
      [
        'a tag rule with an empty tag list',
        ONE_RULE('  - { name: x, match: { family: sms }, action: tag, tags: [] }\n'),
        ["rule 'x'", 'tags', 'at least one tag'],
      ],
      [
        'a tag with a space',
        ONE_RULE('  - { name: x, match: { family: sms }, action: tag, tags: ["two words"] }\n'),
        ["rule 'x'", 'tags.0'],
      ],
      [
        'a severity on a drop rule',
        ONE_RULE('  - { name: x, match: { family: sms }, action: drop, severity: high }\n'),
        ["rule 'x'", 'severity', 'alert rules only'],
      ],
      [
        'tags on an alert rule',
        ONE_RULE('  - { name: x, match: { family: sms }, action: alert, severity: high, tags: [a] }\n'),
        ["rule 'x'", 'tags', 'tag rules only'],
      ],
      [
        'an unknown action',
        ONE_RULE('  - { name: x, match: { family: sms }, action: page }\n'),
        ["rule 'x'", 'action'],
      ],
      [
        'an empty match',
        ONE_RULE('  - { name: x, match: {}, action: drop }\n'),
        ["rule 'x'", 'match', 'at least one key'],
      ],
      [
        'an empty attributes map',
        ONE_RULE('  - { name: x, match: { attributes: {} }, action: drop }\n'),
        ["rule 'x'", 'match.attributes', 'at least one attribute'],
      ],
      [
        'an empty match value',
        ONE_RULE('  - { name: x, match: { status: "" }, action: drop }\n'),
        ["rule 'x'", 'match.status'],
      ],
      [
        'a glob longer than 256 characters',
        ONE_RULE(`  - { name: x, match: { event_type: "*${'a'.repeat(256)}" }, action: drop }\n`),
        ["rule 'x'", 'match.event_type', 'at most 256 characters'],
      ],
      [
        'a glob longer than 256 characters in a list',
        ONE_RULE(`  - { name: x, match: { event_type: [a, "${'?'.repeat(257)}"] }, action: drop }\n`),
        ["rule 'x'", 'match.event_type.1', 'at most 256 characters'],
      ],
      [
        'an attribute value longer than 256 characters',
        ONE_RULE(`  - { name: x, match: { attributes: { tier: "${'b'.repeat(257)}" } }, action: drop }\n`),
        ["rule 'x'", 'match.attributes.tier', 'at most 256 characters'],
      ],
      [
        'an attribute name longer than 256 characters',
        ONE_RULE(`  - { name: x, match: { attributes: { ${'n'.repeat(257)}: gold } }, action: drop }\n`),
        ["rule 'x'", 'match.attributes', 'Invalid key'],
      ],
      [
        'an exact value longer than 256 characters',
        ONE_RULE(`  - { name: x, match: { status: "${'S'.repeat(257)}" }, action: drop }\n`),
        ["rule 'x'", 'match.status', 'at most 256 characters'],
      ],
      [
        'a rule without a name',
        ONE_RULE('  - { match: { family: sms }, action: drop }\n'),
        ['rules[0]', 'name'],
      ],
      [
        'a name with a space',
        ONE_RULE('  - { name: "my rule", match: { family: sms }, action: drop }\n'),
        ['rules[0]', 'name'],
      ],
      ['an unknown top-level key', 'version: 1\nrulez: []\nrules: []\n', ['rulez', 'unknown key']],
      ['version 2', 'version: 2\nrules: []\n', ['version']],
      ['a missing version', 'rules: []\n', ['version']],
      ['a missing rules list', 'version: 1\ninclude_defaults: true\n', ['rules']],
      ['a list instead of a mapping', '- a\n- b\n', ['expected object']],
      ['an empty file', '', ['expected object', 'received null']],
      ['YAML that does not parse', 'version: 1\nrules: [\n', ['not valid YAML']],
      [
        'a key given twice',
        'version: 1\nversion: 1\nrules: []\n',
        ['not valid YAML', 'line 2, column 1', 'unique'],
      ],
      [
        'two rules with the same name',
        ONE_RULE(
          '  - { name: x, match: { family: sms }, action: drop }\n  - { name: x, match: { family: app }, action: drop }\n',
        ),
        ["rule 'x'", 'defined twice'],
      ],
      [
        'disabling a rule that is not a default',
        'version: 1\ndisable: [nope]\nrules: []\n',
        ['disable', "'nope'"],
      ],
    ])('rejects %s with a message naming the place and the problem', (_, text, parts) => {
      const err = errorOf(text);
      expect(err.message.startsWith('rules.yaml')).toBe(true);
      for (const part of parts) expect(err.message).toContain(part);
    });

    it('reports every schema problem of a file at once', () => {
      const err = errorOf(
        ONE_RULE(
          '  - { name: first, match: { family: sms }, action: alert }\n' +
            '  - { name: second, match: { stauts: X }, action: drop }\n',
        ),
      );
      expect(err.message).toContain("rule 'first' (rules[0]): severity");
      expect(err.message).toContain("rule 'second' (rules[1]): match.stauts: unknown key");
    });

    it('reports a problem of every kind at once, each with its rule: schema, vocabulary, globs, names, disable', () => {
      const err = errorOf(EVERY_PROBLEM_RULES);
      expect(err.problems).toEqual(everyProblemMatchers());
      expect(err.message).toBe(`rules.yaml is invalid:\n  - ${err.problems.join('\n  - ')}`);
    });

    it('finds vocabulary problems in a rule the schema refuses, and in a rule of an unknown kind', () => {
      const err = errorOf(
        ONE_RULE(
          '  - { name: x, match: { family: emial, stauts: X }, action: page }\n' +
            '  - { kind: ratio, name: y, match: { channel: fax } }\n',
        ),
      );
      expect(err.problems).toEqual([
        expect.stringMatching(/^rule 'x' \(rules\[0\]\): match\.family: 'emial' is not one of/),
        "rule 'x' (rules[0]): match.stauts: unknown key",
        expect.stringMatching(/^rule 'x' \(rules\[0\]\): action: /),
        `rule 'y' (rules[1]): kind: 'event' (the default) or 'rate', not "ratio"`,
        expect.stringMatching(/^rule 'y' \(rules\[1\]\): match\.channel: 'fax' is not one of/),
      ]);
    });

    it('says a value refused for its form once: a glob in a vocabulary key is not also outside the vocabulary', () => {
      const err = errorOf(
        ONE_RULE('  - { name: x, match: { source: "pin*", family: [sms, "e?ail"] }, action: drop }\n'),
      );
      expect(err.problems).toEqual([
        expect.stringMatching(
          /^rule 'x' \(rules\[0\]\): match\.source: 'pin\*': source takes no globs \(only event_type/,
        ),
        expect.stringMatching(/^rule 'x' \(rules\[0\]\): match\.family\.1: 'e\?ail': family takes no globs/),
      ]);
    });

    it('does not tell a match whose only key is misspelt that it has no key', () => {
      expect(errorOf(ONE_RULE('  - { name: x, match: { famly: sms }, action: drop }\n')).problems).toEqual([
        "rule 'x' (rules[0]): match.famly: unknown key",
      ]);
    });

    it.each([
      ['status', '"FAILURE_*"'],
      ['configuration_set', '"mkt-*"'],
      ['app_id', '[a1b2, "a1b?"]'],
      ['source', '"pin*"'],
      ['family', '"e?ail"'],
      ['channel', '"*"'],
      ['outcome', '"bounce*"'],
      ['bounce_type', '"perm*"'],
    ])('refuses a glob in %s, a key that takes none, saying which keys do', (key, value) => {
      const err = errorOf(ONE_RULE(`  - { name: x, match: { ${key}: ${value} }, action: drop }\n`));
      expect(err.problems).toHaveLength(1);
      expect(err.problems[0]).toMatch(
        new RegExp(
          `^rule 'x' \\(rules\\[0\\]\\): match\\.${key}(\\.1)?: '[^']+': ${key} takes no globs \\(only event_type and attributes values do: \\* and \\?\\); it is compared exactly, ignoring case$`,
        ),
      );
    });

    it('takes globs in event_type and attribute values', () => {
      const rules = loadRules(
        ONE_RULE(
          '  - { name: x, match: { event_type: "_email.*", attributes: { tier: "g?ld*" } }, action: drop }\n',
        ),
      );
      const x = rules.find((r) => r.name === 'x');
      expect(x?.matches(record({ event_type: '_email.send', attributes: { tier: 'GOLD-plus' } }))).toBe(true);
      expect(x?.matches(record({ event_type: '_sms.send', attributes: { tier: 'gold' } }))).toBe(false);
    });

    it('accepts values of exactly 256 characters, globs included', () => {
      const glob = `*${'a?'.repeat(127)}b`;
      expect(glob).toHaveLength(256);
      const rules = loadRules(
        ONE_RULE(
          `  - { name: x, match: { event_type: "${glob}", status: "${'S'.repeat(256)}" }, action: drop }\n`,
        ),
      );
      expect(rules.map((r) => r.name)).toContain('x');
    });

    it('fails the cold start for good: a rules error is not retryable', () => {
      expect(errorOf('version: 2\nrules: []\n').retryable).toBe(false);
    });
  });
});
