import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../../src/errors';
import { DEFAULT_RATE_RULES, DEFAULT_RULES } from '../../../src/rules/defaultRules';
import { RULES_SCHEMA_PATH, rulesJsonSchema } from '../../../src/rules/rulesJsonSchema';
import { loadRules } from '../../helpers/rules';

const ROOT = join(__dirname, '..', '..', '..');
const committed = readFileSync(join(ROOT, RULES_SCHEMA_PATH), 'utf8');
// Strict, except for `required` naming properties that the rule declares one level up (in if/then/else).
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
const validateSchema = ajv.compile(JSON.parse(committed));

/** The validator's verdict (what the cold start, `sls package` and `rules check` say). */
function zodAccepts(text: string): boolean {
  try {
    loadRules(text, 'rules.yaml');
    return true;
  } catch (err) {
    if (err instanceof ConfigError) return false;
    throw err;
  }
}

/** The JSON Schema's verdict on the same file, parsed as the validator parses it. */
function schemaAccepts(text: string): boolean {
  return validateSchema(parseYaml(text)) === true;
}

const rule = (body: string) => `version: 1\nrules:\n  - ${body.trim().split('\n').join('\n    ')}\n`;

const VALID: Record<string, string> = {
  'an empty file of rules': 'version: 1\nrules: []\n',
  'JSON, the defaults off': JSON.stringify({
    version: 1,
    include_defaults: false,
    rules: [{ name: 'j', match: { event_type: ['_email.*', 'Bounce'] }, action: 'drop' }],
  }),
  'every match key': rule(`
name: all-keys
match:
  source: [ses, Pinpoint]
  family: EMAIL
  event_type: "*bounce*"
  channel: [email, Sms]
  status: PERMANENT
  outcome: [bounced, complained]
  bounce_type: Permanent
  app_id: a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6
  attributes: { campaign_id: ["c-*", c2], "x?": y }
action: alert
severity: critical
description: everything
enabled: false`),
  'a tag rule': rule('name: t.1\nmatch: { family: sms }\naction: tag\ntags: [vip, "team:a"]'),
  'a disabled default': 'version: 1\ndisable: [sms-opt-out, ses-complaint]\nrules: []\n',
  'a value of 256 characters': rule(`name: long\nmatch: { status: "${'x'.repeat(256)}" }\naction: drop`),
  'a rule named like a default replaces it': rule(
    'name: email-hard-bounce\nmatch: { family: email }\naction: alert\nseverity: low',
  ),
  'an event rule that says kind: event': rule('kind: event\nname: e\nmatch: { family: sms }\naction: drop'),
  'a rate rule': rule(`
kind: rate
name: bounce-rate
description: bounces over deliveries
numerator: [bounced]
denominator: [delivered, bounced]
match: { channel: Email, source: [ses, pinpoint], attributes: { tier: gold } }
group_by: [configuration_set, app_id]
threshold: 0.05
min_volume: 100
severity: high
enabled: true`),
  'a rate rule without match or group_by, threshold 1': rule(
    'kind: rate\nname: r\nnumerator: [complained]\ndenominator: [delivered]\nthreshold: 1\nmin_volume: 1\nseverity: low',
  ),
  'a disabled default rate rule': 'version: 1\ndisable: [email-bounce-rate-warn]\nrules: []\n',
  'globs in event_type and attribute values, exact values elsewhere': rule(
    'name: g\nmatch: { event_type: ["_email.*", "?ounce"], attributes: { "x?": "y*" }, configuration_set: mkt-1, status: OK }\naction: drop',
  ),
};

/** A rate rule with one line replaced or added (`key: value`), or removed (`key:` alone). */
function rateRule(change: string): string {
  const lines = new Map(
    [
      'kind: rate',
      'name: r',
      'numerator: [bounced]',
      'denominator: [delivered, bounced]',
      'threshold: 0.05',
      'min_volume: 100',
      'severity: high',
    ].map((l) => [l.slice(0, l.indexOf(':')), l]),
  );
  const key = change.slice(0, change.indexOf(':'));
  if (change.trim().endsWith(':')) lines.delete(key);
  else lines.set(key, change);
  return rule([...lines.values()].join('\n'));
}

const INVALID: Record<string, string> = {
  'an unknown top-level key': 'version: 1\nrule: []\n',
  'no rules': 'version: 1\n',
  'version 2': 'version: 2\nrules: []\n',
  'an unknown rule key': rule('name: x\nmatch: { family: sms }\naction: drop\nseverity_: low'),
  'an unknown match key': rule('name: x\nmatch: { bounce_typ: permanent }\naction: drop'),
  'an empty match': rule('name: x\nmatch: {}\naction: drop'),
  'empty attributes': rule('name: x\nmatch: { attributes: {} }\naction: drop'),
  'an alert without severity': rule('name: x\nmatch: { family: sms }\naction: alert'),
  'a drop with severity': rule('name: x\nmatch: { family: sms }\naction: drop\nseverity: low'),
  'a tag rule without tags': rule('name: x\nmatch: { family: sms }\naction: tag'),
  'a tag rule with no tag': rule('name: x\nmatch: { family: sms }\naction: tag\ntags: []'),
  'tags on an alert': rule('name: x\nmatch: { family: sms }\naction: alert\nseverity: low\ntags: [a]'),
  'a family outside the vocabulary': rule('name: x\nmatch: { family: emial }\naction: drop'),
  'a source outside the vocabulary': rule('name: x\nmatch: { source: [ses, sqs] }\naction: drop'),
  'a channel outside the vocabulary': rule('name: x\nmatch: { channel: fax }\naction: drop'),
  'an outcome outside the vocabulary': rule('name: x\nmatch: { outcome: lost }\naction: drop'),
  'a bounce type outside the vocabulary': rule('name: x\nmatch: { bounce_type: hard }\naction: drop'),
  'a value of 257 characters': rule(`name: x\nmatch: { status: "${'x'.repeat(257)}" }\naction: drop`),
  'an attribute name of 257 characters': rule(
    `name: x\nmatch: { attributes: { "${'a'.repeat(257)}": b } }\naction: drop`,
  ),
  'an empty value': rule('name: x\nmatch: { status: "" }\naction: drop'),
  'an empty list of values': rule('name: x\nmatch: { status: [] }\naction: drop'),
  'a bad rule name': rule('name: -x\nmatch: { family: sms }\naction: drop'),
  'a bad tag': rule('name: x\nmatch: { family: sms }\naction: tag\ntags: ["a b"]'),
  'an unknown action': rule('name: x\nmatch: { family: sms }\naction: page'),
  'disabling a rule that is not a default': 'version: 1\ndisable: [no-such-rule]\nrules: []\n',
  'a severity outside the list': rule('name: x\nmatch: { family: sms }\naction: alert\nseverity: urgent'),
  'a number as a value': rule('name: x\nmatch: { status: 5 }\naction: drop'),
  'an unknown kind': rule('kind: ratio\nname: x\nmatch: { family: sms }\naction: drop'),
  'rate keys on an event rule': rule('name: x\nmatch: { family: sms }\naction: drop\nthreshold: 0.5'),
  'a rate rule with an unknown outcome': rateRule('numerator: [bounced, lost]'),
  'a rate rule without a denominator': rateRule('denominator:'),
  'a rate rule without min_volume': rateRule('min_volume:'),
  'a rate rule without a severity': rateRule('severity:'),
  'a rate rule with an empty numerator': rateRule('numerator: []'),
  'a rate rule with an outcome twice': rateRule('denominator: [delivered, bounced, bounced]'),
  'a rate rule with a percentage as threshold': rateRule('threshold: 5'),
  'a rate rule with a threshold of 0': rateRule('threshold: 0'),
  'a rate rule with a fractional min_volume': rateRule('min_volume: 1.5'),
  'a rate rule with an unknown group_by key': rateRule('group_by: [campaign]'),
  'a rate rule with a group_by key twice': rateRule('group_by: [app_id, app_id]'),
  'a rate rule with an empty group_by': rateRule('group_by: []'),
  'a rate rule matching an outcome': rateRule('match: { outcome: bounced }'),
  'a rate rule matching a bounce type': rateRule('match: { bounce_type: permanent }'),
  'a rate rule with an empty match': rateRule('match: {}'),
  'a rate rule with a channel outside the vocabulary': rateRule('match: { channel: fax }'),
  'a rate rule with an action': rateRule('action: alert'),
  'a rate rule with tags': rateRule('tags: [a]'),
  'a rate rule with an unknown key': rateRule('window: 300'),
  'a glob in configuration_set': rule('name: x\nmatch: { configuration_set: "mkt-*" }\naction: drop'),
  'a ? in status': rule('name: x\nmatch: { status: "PERM?" }\naction: drop'),
  'a glob in a list of app ids': rule('name: x\nmatch: { app_id: [a1, "a*"] }\naction: drop'),
  'a glob in source': rule('name: x\nmatch: { source: "s*" }\naction: drop'),
  'a glob in a rate rule match': rateRule('match: { configuration_set: "mkt-?" }'),
};

/** What JSON Schema cannot say, and the validator checks: exactly these files get different verdicts. */
const GAPS: Record<string, string> = {
  'two rules of the same name': `version: 1\nrules:\n  - { name: x, match: { family: sms }, action: drop }\n  - { name: x, match: { family: app }, action: drop }\n`,
  'a rate rule whose denominator is its numerator': rateRule('denominator: [bounced]'),
};

/** The ```yaml blocks of the README and docs/ that are rules files, and the example file. */
function documentedExamples(): Array<[string, string]> {
  const examples: Array<[string, string]> = [
    ['rules.example.yaml', readFileSync(join(ROOT, 'rules.example.yaml'), 'utf8')],
  ];
  const docs = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((f) => join('docs', f))];
  for (const doc of docs.filter((f) => f.endsWith('.md'))) {
    const text = readFileSync(join(ROOT, doc), 'utf8');
    let n = 0;
    for (const m of text.matchAll(/```ya?ml\n([\s\S]*?)```/g)) {
      const block = m[1] as string;
      n++;
      let doc_: unknown;
      try {
        doc_ = parseYaml(block);
      } catch {
        continue;
      }
      if (doc_ !== null && typeof doc_ === 'object' && 'rules' in doc_ && 'version' in doc_) {
        examples.push([`${doc} (yaml block ${n})`, block]);
      }
    }
  }
  return examples;
}

describe('the rules JSON Schema', () => {
  it('is committed as npm run schema writes it', () => {
    expect(committed).toBe(`${JSON.stringify(rulesJsonSchema(), null, 2)}\n`);
  });

  it('is a valid draft 2020-12 schema (ajv, strict mode)', () => {
    expect(ajv.validateSchema(JSON.parse(committed))).toBe(true);
  });

  it('is what rules.example.yaml points editors at', () => {
    expect(readFileSync(join(ROOT, 'rules.example.yaml'), 'utf8').split('\n')[0]).toBe(
      '# yaml-language-server: $schema=./schemas/rules.schema.json',
    );
  });

  it('lists the shipped default rules, event and rate, as what disable may name', () => {
    const disable = (JSON.parse(committed) as { properties: { disable: { items: { enum: string[] } } } })
      .properties.disable.items.enum;
    expect(disable).toEqual([...DEFAULT_RULES, ...DEFAULT_RATE_RULES].map((r) => r.name));
  });
});

describe('the JSON Schema and the validator agree', () => {
  it.each(Object.entries(VALID))('accepting %s', (_name, text) => {
    expect({ zod: zodAccepts(text), schema: schemaAccepts(text) }).toEqual({ zod: true, schema: true });
  });

  it.each(Object.entries(INVALID))('refusing %s', (_name, text) => {
    expect({ zod: zodAccepts(text), schema: schemaAccepts(text) }).toEqual({ zod: false, schema: false });
  });

  it.each(documentedExamples())('on the documented example %s', (_name, text) => {
    expect(schemaAccepts(text)).toBe(zodAccepts(text));
  });

  it('finds the documented examples; those of the example file, the README and the deploy docs are valid', () => {
    const examples = documentedExamples();
    const mustBeValid = ['rules.example.yaml', 'README.md', 'docs/deploy.md', 'docs/migration.md'];
    expect(examples.length).toBeGreaterThanOrEqual(3);
    expect(examples.some(([n]) => n.startsWith('docs/migration.md'))).toBe(true);
    for (const [name, text] of examples.filter(([n]) => mustBeValid.some((doc) => n.startsWith(doc)))) {
      expect({ name, valid: zodAccepts(text) }).toEqual({ name, valid: true });
    }
  });

  it.each(Object.entries(GAPS))('except where JSON Schema cannot say it: %s', (_name, text) => {
    expect({ zod: zodAccepts(text), schema: schemaAccepts(text) }).toEqual({ zod: false, schema: true });
  });

  it('on generated rules files, valid and invalid', () => {
    const pick = <T>(values: T[]) => fc.constantFrom(...values);
    const value = pick([
      'ses',
      'SES',
      'email',
      'Email',
      'sms',
      'permanent',
      'bounced',
      'EMAIL',
      'x',
      '',
      'emial',
      'a*',
      'mkt-?',
      '*',
      'x'.repeat(257),
    ]);
    const values = fc.oneof(value, fc.array(value, { maxLength: 3 }), pick([5, null, true]));
    const matchKeys = pick([
      'source',
      'family',
      'event_type',
      'channel',
      'status',
      'outcome',
      'bounce_type',
      'app_id',
      'configuration_set',
      'bounce_typ',
    ]);
    const match = fc.oneof(
      fc.dictionary(matchKeys, values, { maxKeys: 3 }),
      fc.record({ attributes: fc.dictionary(pick(['a', 'b', '', 'c'.repeat(257)]), values, { maxKeys: 2 }) }),
    );
    const ruleArb = fc.record(
      {
        name: pick(['r1', 'r2', 'r3', '-bad', 'email-hard-bounce']),
        match,
        action: pick(['alert', 'drop', 'tag', 'page']),
        severity: pick(['low', 'high', 'urgent']),
        tags: fc.array(pick(['vip', 'a b', 'x:y']), { maxLength: 2 }),
        enabled: fc.boolean(),
        extra: fc.constant(1),
      },
      { requiredKeys: ['name'] },
    );
    const file = fc.record(
      {
        version: pick([1, 2]),
        include_defaults: fc.boolean(),
        disable: fc.array(pick(['sms-opt-out', 'nope']), { maxLength: 2 }),
        // Drop rules whose match alone decides: every match key, glob or not, meets both validators.
        rules: fc.array(
          fc.oneof(ruleArb, fc.record({ name: pick(['m1', 'm2']), match, action: pick(['drop']) })),
          {
            maxLength: 3,
          },
        ),
      },
      { requiredKeys: [] },
    );
    let accepted = 0;
    fc.assert(
      fc.property(file, (doc) => {
        const rules = (doc.rules ?? []) as Array<{ name: string }>;
        const duplicate = new Set(rules.map((r) => r.name)).size !== rules.length;
        const text = JSON.stringify(doc);
        const zod = zodAccepts(text);
        if (zod) accepted++;
        // Duplicate names are the one thing only the validator sees.
        if (duplicate && !zod && schemaAccepts(text)) return;
        expect({ text, schema: schemaAccepts(text) }).toEqual({ text, schema: zod });
      }),
      { numRuns: 1000, seed: 12 },
    );
    expect(accepted).toBeGreaterThan(20);
  });

  it('on generated matches, globs where they are allowed and where they are not', () => {
    const pick = <T>(values: T[]) => fc.constantFrom(...values);
    // Values valid in some key, with and without glob characters: only the key decides whether `*` and `?` pass.
    const value = pick([
      'ses',
      'Email',
      'sms',
      'bounced',
      'permanent',
      'mkt-1',
      'a*',
      '*',
      'mkt-?',
      '?x*',
      'e?ail',
    ]);
    const values = fc.oneof(value, fc.array(value, { minLength: 1, maxLength: 3 }));
    const keys = pick([
      'source',
      'family',
      'event_type',
      'channel',
      'status',
      'outcome',
      'bounce_type',
      'app_id',
      'configuration_set',
    ]);
    const match = fc.oneof(
      fc.dictionary(keys, values, { minKeys: 1, maxKeys: 2 }),
      fc.record({ attributes: fc.dictionary(pick(['a', 'b?', 'c*']), values, { minKeys: 1, maxKeys: 2 }) }),
    );
    const kind = pick(['event', 'rate']);
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(kind, match, (k, m) => {
        const r =
          k === 'event'
            ? { name: 'm', match: m, action: 'drop' }
            : {
                kind: 'rate',
                name: 'm',
                numerator: ['bounced'],
                denominator: ['delivered'],
                threshold: 0.1,
                min_volume: 10,
                severity: 'low',
                match: m,
              };
        const text = JSON.stringify({ version: 1, include_defaults: false, rules: [r] });
        const zod = zodAccepts(text);
        if (zod) accepted++;
        else refused++;
        expect({ text, schema: schemaAccepts(text) }).toEqual({ text, schema: zod });
      }),
      { numRuns: 1000, seed: 14 },
    );
    expect(accepted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
  });

  it('on generated rate rules, valid and invalid', () => {
    const pick = <T>(values: T[]) => fc.constantFrom(...values);
    const outcomes = fc.uniqueArray(pick(['bounced', 'delivered', 'complained', 'failed']), {
      minLength: 1,
      maxLength: 3,
    });
    // A valid rate rule, then at most two keys set to values of every kind, valid or not, or removed.
    const base = fc.record(
      {
        kind: fc.constant('rate'),
        name: pick(['r1', 'email-bounce-rate-high']),
        numerator: outcomes,
        denominator: outcomes,
        threshold: pick([0.001, 0.05, 1]),
        min_volume: pick([1, 100]),
        severity: pick(['high', 'low']),
        match: fc.dictionary(
          pick(['channel', 'source', 'event_type', 'configuration_set', 'status']),
          pick(['email', 'SES', 'x*', 'mkt-?', 'PERMANENT']),
          {
            minKeys: 1,
            maxKeys: 2,
          },
        ),
        group_by: fc.uniqueArray(pick(['app_id', 'configuration_set', 'source']), {
          minLength: 1,
          maxLength: 2,
        }),
        description: pick(['d']),
      },
      { requiredKeys: ['kind', 'name', 'numerator', 'denominator', 'threshold', 'min_volume', 'severity'] },
    );
    const change = fc.tuple(
      pick([
        'kind',
        'numerator',
        'denominator',
        'threshold',
        'min_volume',
        'severity',
        'match',
        'group_by',
        'action',
        'tags',
        'extra',
      ]),
      fc.oneof(
        pick([undefined, 'event', 'ratio', 0, 1.5, 5, -1, '5%', 2.5, '100', 'urgent', 'alert', null, []]),
        pick([['lost'], ['bounced', 'bounced'], ['campaign'], ['app_id', 'app_id'], ['a']]),
        pick([
          {},
          { outcome: 'bounced' },
          { bounce_type: 'permanent' },
          { channel: 'fax' },
          { chanel: 'email' },
        ]),
      ),
    );
    const rateRuleArb = fc.tuple(base, fc.array(change, { maxLength: 2 })).map(([rule, changes]) => {
      const out: Record<string, unknown> = { ...rule };
      for (const [key, value] of changes) {
        if (value === undefined) delete out[key];
        else out[key] = value;
      }
      return out as { name: string; numerator?: unknown; denominator?: unknown };
    });
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(rateRuleArb, { minLength: 1, maxLength: 2 }), (rules) => {
        const text = JSON.stringify({ version: 1, include_defaults: false, rules });
        const zod = zodAccepts(text);
        if (zod) accepted++;
        const schema = schemaAccepts(text);
        const duplicate = new Set(rules.map((r) => r.name)).size !== rules.length;
        // The gaps: duplicate names, and a denominator of the very outcomes of the numerator.
        const sameOutcomes = rules.some(
          (r) =>
            Array.isArray(r.numerator) &&
            Array.isArray(r.denominator) &&
            JSON.stringify([...new Set(r.numerator)].sort()) ===
              JSON.stringify([...new Set(r.denominator)].sort()),
        );
        if ((duplicate || sameOutcomes) && !zod && schema) return;
        expect({ text, schema }).toEqual({ text, schema: zod });
      }),
      { numRuns: 1000, seed: 13 },
    );
    expect(accepted).toBeGreaterThan(50);
  });
});
