import { RulesValidationError } from '../../../src/errors';
import { compileRateRules } from '../../../src/rules/compileRateRules';
import { compileRules } from '../../../src/rules/compileRules';
import { DEFAULT_RATE_RULES, DEFAULT_RULES } from '../../../src/rules/defaultRules';
import { loadRuleSet } from '../../../src/rules/loadRules';
import type { RateRuleSpec } from '../../../src/rules/ruleSchema';
import { normalizedRecord } from '../../helpers/factories';
import { loadRuleSpecs, loadRules } from '../../helpers/rules';

/** The error loadRuleSet throws for a file; fails the test when it does not throw one. */
function errorOf(text: string): RulesValidationError {
  try {
    loadRuleSet(text, 'rules.yaml');
  } catch (err) {
    if (err instanceof RulesValidationError) return err;
    throw err;
  }
  throw new Error('expected loadRuleSet to accept nothing of this file');
}

/** A rules file of one rule, written as YAML flow mappings (`key: value` per line of the rule). */
const FILE = (...lines: string[]) =>
  `version: 1\ninclude_defaults: false\nrules:\n  - ${lines.join('\n    ')}\n`;

/** A valid rate rule, as lines; `over` replaces or adds lines by key. */
function rateRule(over: Record<string, string | undefined> = {}): string {
  const lines: Record<string, string | undefined> = {
    kind: 'rate',
    name: 'bounce-rate',
    numerator: '[bounced]',
    denominator: '[delivered, bounced]',
    match: '{ channel: email }',
    group_by: '[configuration_set]',
    threshold: '0.05',
    min_volume: '100',
    severity: 'high',
    ...over,
  };
  return FILE(
    ...Object.entries(lines)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}: ${v}`),
  );
}

describe('rate rules in a rules file', () => {
  it('load as written in the issue, next to event rules', () => {
    const text = `${rateRule()}  - { name: drop-tests, match: { event_type: "_test.*" }, action: drop }\n`;
    const { rules, rateRules } = loadRuleSet(text, 'rules.yaml');
    expect(rules.map((r) => r.name)).toEqual(['drop-tests']);
    expect(rateRules).toHaveLength(1);
    expect(rateRules[0]).toMatchObject({
      name: 'bounce-rate',
      severity: 'high',
      numerator: ['bounced'],
      denominator: ['delivered', 'bounced'],
      outcomes: ['delivered', 'bounced'],
      groupBy: ['configuration_set'],
      threshold: 0.05,
      minVolume: 100,
    });
    // loadRules, what routing uses, has the event rules only.
    expect(loadRules(text).map((r) => r.name)).toEqual(['drop-tests']);
  });

  it('are event rules when kind is left out or says event, so that older files read the same', () => {
    const text = FILE('name: a', 'kind: event', 'match: { family: sms }', 'action: drop');
    expect(loadRuleSet(text).rules.map((r) => r.name)).toEqual(['a']);
    expect(loadRuleSet(text).rateRules).toEqual([]);
  });

  it('accept a numerator outside the denominator: complaints over deliveries', () => {
    const { rateRules } = loadRuleSet(rateRule({ numerator: '[complained]', denominator: '[delivered]' }));
    expect(rateRules[0]?.outcomes).toEqual(['delivered', 'complained']);
  });

  it('accept no match and no group_by: every record, one group', () => {
    const { rateRules } = loadRuleSet(rateRule({ match: undefined, group_by: undefined }));
    expect(rateRules[0]?.groupBy).toEqual([]);
    expect(rateRules[0]?.matches(normalizedRecord({ channel: 'SMS' }))).toBe(true);
  });

  it('accept a threshold of exactly 1 and a min_volume of 1', () => {
    expect(loadRuleSet(rateRule({ threshold: '1', min_volume: '1' })).rateRules).toHaveLength(1);
  });

  it('switch off with enabled: false, after being checked', () => {
    expect(loadRuleSet(rateRule({ enabled: 'false' })).rateRules).toEqual([]);
    expect(() => loadRuleSet(rateRule({ enabled: 'false', match: '{ family: emial }' }))).toThrow(
      /match.family: 'emial'/,
    );
  });

  it.each<[string, string, string[]]>([
    [
      'an unknown outcome in the numerator',
      rateRule({ numerator: '[bounced, lost]' }),
      ['numerator.1', "'lost' is not an outcome"],
    ],
    [
      'an unknown outcome in the denominator',
      rateRule({ denominator: '[delivred]' }),
      ['denominator.0', "'delivred' is not an outcome", 'delivered'],
    ],
    ['a missing denominator', rateRule({ denominator: undefined }), ['denominator', 'needs a denominator']],
    ['a missing numerator', rateRule({ numerator: undefined }), ['numerator', 'needs a numerator']],
    ['an empty numerator', rateRule({ numerator: '[]' }), ['numerator', 'at least one outcome']],
    [
      'a denominator that is the numerator',
      rateRule({ numerator: '[bounced]', denominator: '[bounced]' }),
      ['denominator', 'always be 1'],
    ],
    [
      'an outcome listed twice',
      rateRule({ denominator: '[delivered, bounced, delivered]' }),
      ['denominator', "'delivered' is listed twice"],
    ],
    ['a percentage for a threshold', rateRule({ threshold: '5' }), ['threshold', 'at most 1 (0.05 is 5%)']],
    ['a threshold of 0', rateRule({ threshold: '0' }), ['threshold', 'greater than 0']],
    ['a negative threshold', rateRule({ threshold: '-0.1' }), ['threshold', 'greater than 0']],
    ['a threshold as text', rateRule({ threshold: '"5%"' }), ['threshold', 'a fraction']],
    ['a missing threshold', rateRule({ threshold: undefined }), ['threshold', 'needs a threshold']],
    ['a missing min_volume', rateRule({ min_volume: undefined }), ['min_volume', 'needs min_volume']],
    ['a min_volume of 0', rateRule({ min_volume: '0' }), ['min_volume', 'at least 1']],
    ['a fractional min_volume', rateRule({ min_volume: '2.5' }), ['min_volume', 'whole number']],
    ['a missing severity', rateRule({ severity: undefined }), ['severity', 'needs a severity']],
    ['an unknown severity', rateRule({ severity: 'urgent' }), ['severity', "'urgent' is not a severity"]],
    [
      'an unknown group_by key',
      rateRule({ group_by: '[campaign]' }),
      ['group_by.0', "'campaign' cannot be grouped by", 'campaign_id'],
    ],
    [
      'a group_by key given twice',
      rateRule({ group_by: '[app_id, app_id]' }),
      ['group_by', "'app_id' is listed twice"],
    ],
    ['an empty group_by', rateRule({ group_by: '[]' }), ['group_by', 'leave group_by out']],
    [
      'outcome in the match',
      rateRule({ match: '{ outcome: bounced }' }),
      ['match.outcome', 'not on a rate rule', 'numerator and denominator'],
    ],
    [
      'bounce_type in the match',
      rateRule({ match: '{ bounce_type: permanent }' }),
      ['match.bounce_type', 'not on a rate rule', 'denominator too'],
    ],
    ['an empty match', rateRule({ match: '{}' }), ['match', 'leave match out']],
    ['an unknown match key', rateRule({ match: '{ chanel: email }' }), ['match.chanel', 'unknown key']],
    [
      'a match value outside its vocabulary',
      rateRule({ match: '{ channel: fax }' }),
      ["rule 'bounce-rate'", 'match.channel', "'fax'"],
    ],
    ['an action', rateRule({ action: 'alert' }), ['action', 'always alerts']],
    ['tags', rateRule({ tags: '[a]' }), ['tags', 'not on a rate rule']],
    ['an unknown key', rateRule({ windw: '1h' }), ['windw', 'unknown key']],
    [
      'a window that is not one of the five',
      rateRule({ window: '300' }),
      ['window', "'300' is not a window (5m, 15m, 1h, 6h, 1d)"],
    ],
    [
      'a group_by tag without a name',
      rateRule({ group_by: '[attributes.]' }),
      ['group_by.0', 'attributes.<tag name>'],
    ],
    ['an unknown kind', rateRule({ kind: 'ratio' }), ['kind', "'event' (the default) or 'rate'", '"ratio"']],
    [
      'rate keys without kind: rate',
      rateRule({ kind: undefined }),
      ['numerator', 'unknown keys', 'add kind: rate'],
    ],
  ])('reject %s, naming the rule and the key', (_, text, parts) => {
    const err = errorOf(text);
    expect(err.message).toMatch(/^rules\.yaml( is invalid)?/);
    expect(err.message).toContain("rule 'bounce-rate'");
    for (const part of parts) expect(err.message).toContain(part);
  });

  it('reject a rate rule and an event rule of the same name', () => {
    const text = `${rateRule()}  - { name: bounce-rate, match: { family: sms }, action: drop }\n`;
    expect(errorOf(text).message).toContain(
      "rule 'bounce-rate' (rules[1]): name: defined twice, first at rules[0] (names are unique in a file)",
    );
  });
});

describe('the shipped rate rules', () => {
  const defaults = loadRuleSet(undefined);

  it('come after the event rules, compiled in order', () => {
    expect(defaults.rules.map((r) => r.name)).toEqual(DEFAULT_RULES.map((r) => r.name));
    expect(defaults.rateRules.map((r) => r.name)).toEqual(DEFAULT_RATE_RULES.map((r) => r.name));
    expect(loadRuleSpecs(undefined).map((r) => r.name)).toEqual(
      [...DEFAULT_RULES, ...DEFAULT_RATE_RULES].map((r) => r.name),
    );
  });

  it('each have a description, a minimum volume, and group per sending project or configuration set', () => {
    for (const rule of defaults.rateRules) {
      expect(rule.description?.length).toBeGreaterThan(0);
      expect(rule.minVolume).toBeGreaterThanOrEqual(50);
      expect(rule.groupBy).toEqual(['app_id', 'configuration_set']);
    }
  });

  it('follow the rates at which SES reviews an account: bounces 5%, complaints 0.1%, each warned below', () => {
    const byName = new Map(defaults.rateRules.map((r) => [r.name, r]));
    expect(byName.get('email-bounce-rate-high')).toMatchObject({ threshold: 0.05, severity: 'high' });
    expect(byName.get('email-bounce-rate-warn')).toMatchObject({ threshold: 0.02, severity: 'medium' });
    expect(byName.get('email-complaint-rate-high')).toMatchObject({
      threshold: 0.001,
      severity: 'high',
      numerator: ['complained'],
      denominator: ['delivered'],
    });
    expect(byName.get('email-complaint-rate-warn')).toMatchObject({ threshold: 0.0005, severity: 'medium' });
  });

  it('switch off by name with disable, and are replaced by a rule of the same name', () => {
    const off = loadRuleSet('version: 1\ndisable: [email-bounce-rate-warn]\nrules: []\n');
    expect(off.rateRules.map((r) => r.name)).not.toContain('email-bounce-rate-warn');
    expect(off.rateRules).toHaveLength(DEFAULT_RATE_RULES.length - 1);
    const replaced = loadRuleSet(
      rateRule({ name: 'email-bounce-rate-high', threshold: '0.08' }).replace(
        'include_defaults: false\n',
        '',
      ),
    );
    const named = replaced.rateRules.filter((r) => r.name === 'email-bounce-rate-high');
    expect(named).toHaveLength(1);
    expect(named[0]?.threshold).toBe(0.08);
    expect(replaced.rateRules).toHaveLength(DEFAULT_RATE_RULES.length);
  });

  it('leave the defaults out with include_defaults: false', () => {
    expect(loadRuleSet('version: 1\ninclude_defaults: false\nrules: []\n')).toEqual({
      rules: [],
      rateRules: [],
    });
  });
});

describe('compileRateRules', () => {
  const spec = (over: Partial<RateRuleSpec> = {}): RateRuleSpec => ({
    kind: 'rate',
    name: 'r',
    numerator: ['bounced'],
    denominator: ['delivered', 'bounced'],
    threshold: 0.05,
    min_volume: 10,
    severity: 'high',
    ...over,
  });

  it('compiles rate rules only, and compileRules event rules only, from one list', () => {
    const specs = [spec(), { name: 'e', match: { family: 'sms' }, action: 'drop' as const }];
    expect(compileRateRules(specs).map((r) => r.name)).toEqual(['r']);
    expect(compileRules(specs).map((r) => r.name)).toEqual(['e']);
  });

  it('filters records with the match, case-insensitively like event rules', () => {
    const [rule] = compileRateRules([spec({ match: { channel: 'email', source: ['SES', 'pinpoint'] } })]);
    expect(rule?.matches(normalizedRecord({ channel: 'EMAIL', source: 'ses' }))).toBe(true);
    expect(rule?.matches(normalizedRecord({ channel: 'SMS', source: 'ses' }))).toBe(false);
    expect(rule?.matches(normalizedRecord({ channel: undefined }))).toBe(false);
  });

  it('lists outcomes in the vocabulary order, each once, whatever order the file used', () => {
    const [rule] = compileRateRules([
      spec({ numerator: ['failed', 'rejected'], denominator: ['rejected', 'delivered', 'failed'] }),
    ]);
    expect(rule?.numerator).toEqual(['rejected', 'failed']);
    expect(rule?.denominator).toEqual(['delivered', 'rejected', 'failed']);
    expect(rule?.outcomes).toEqual(['delivered', 'rejected', 'failed']);
  });

  it('fingerprints what is counted: not the threshold, severity or numerator/denominator split', () => {
    const [base] = compileRateRules([spec({ match: { channel: 'EMAIL' }, group_by: ['app_id'] })]);
    const same = compileRateRules([
      spec({
        match: { channel: 'EMAIL' },
        group_by: ['app_id'],
        threshold: 0.5,
        severity: 'low',
        numerator: ['delivered'],
        denominator: ['bounced'],
      }),
    ])[0];
    expect(same?.fingerprint).toBe(base?.fingerprint);
    for (const other of [
      spec({ match: { channel: 'SMS' }, group_by: ['app_id'] }),
      spec({ match: { channel: 'EMAIL' }, group_by: ['campaign_id'] }),
      spec({
        match: { channel: 'EMAIL' },
        group_by: ['app_id'],
        denominator: ['delivered', 'bounced', 'failed'],
      }),
    ]) {
      expect(compileRateRules([other])[0]?.fingerprint).not.toBe(base?.fingerprint);
    }
  });

  it('refuses a match value outside its vocabulary, naming the rule, in a compiled bundle too', () => {
    expect(() => compileRateRules([spec({ match: { family: 'emial' } })])).toThrow(
      /rule 'r': match.family: 'emial' is not one of/,
    );
  });
});
