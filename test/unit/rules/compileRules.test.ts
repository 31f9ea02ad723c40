import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject } from '../../../src/decode';
import { RulesValidationError } from '../../../src/errors';
import { normalizeEvent } from '../../../src/normalize';
import { PiiProtector } from '../../../src/pii';
import { compileRateRules } from '../../../src/rules/compileRateRules';
import { type CompiledRule, compileMatch, compileRules } from '../../../src/rules/compileRules';
import type { MatchSpec, RuleSpec } from '../../../src/rules/ruleSchema';
import { normalizedRecord } from '../../helpers/factories';

const record = normalizedRecord;

/** One drop rule matching `match`. */
function matcher(match: MatchSpec): CompiledRule {
  const [rule] = compileRules([{ name: 'r', match, action: 'drop' }]);
  if (rule === undefined) throw new Error('rule was not compiled');
  return rule;
}

const eventType = (match: MatchSpec, type: string) => matcher(match).matches(record({ event_type: type }));

describe('compileRules', () => {
  describe('configuration_set', () => {
    it('matches the configuration set, ignoring case, and never a record without one', () => {
      const rule = matcher({ configuration_set: ['Marketing', 'transactional'] });
      expect(rule.matches(record({ configuration_set: 'marketing' }))).toBe(true);
      expect(rule.matches(record({ configuration_set: 'TRANSACTIONAL' }))).toBe(true);
      expect(rule.matches(record({ configuration_set: 'alerts' }))).toBe(false);
      expect(rule.matches(record({}))).toBe(false);
    });
  });

  describe('event_type', () => {
    it('matches an exact value and nothing else', () => {
      expect(eventType({ event_type: '_email.hardbounce' }, '_email.hardbounce')).toBe(true);
      expect(eventType({ event_type: '_email.hardbounce' }, '_email.softbounce')).toBe(false);
      expect(eventType({ event_type: '_email.hardbounce' }, '_email.hardbounce2')).toBe(false);
      expect(eventType({ event_type: '_email.hardbounce' }, 'x_email.hardbounce')).toBe(false);
    });

    it('ignores case in the rule and in the record', () => {
      expect(eventType({ event_type: '_EMAIL.HardBounce' }, '_email.hardbounce')).toBe(true);
      expect(eventType({ event_type: '_sms.failure' }, '_SMS.FAILURE')).toBe(true);
      expect(eventType({ event_type: '_sms.*' }, '_SMS.FAILURE')).toBe(true);
    });

    it('treats a trailing * as a prefix match', () => {
      const rule = { event_type: '_email.*' };
      expect(eventType(rule, '_email.send')).toBe(true);
      expect(eventType(rule, '_email.hardbounce')).toBe(true);
      expect(eventType(rule, '_sms.send')).toBe(false);
      expect(eventType(rule, 'custom_email.send')).toBe(false);
    });

    it('takes the other characters of a glob literally', () => {
      expect(eventType({ event_type: '_email.*' }, '_emailXsend')).toBe(false);
      expect(eventType({ event_type: 'a+b(c)*' }, 'a+b(c)d')).toBe(true);
      expect(eventType({ event_type: 'a+b(c)*' }, 'aab(c)d')).toBe(false);
      expect(eventType({ event_type: '[ab]*' }, 'a')).toBe(false);
      expect(eventType({ event_type: '[ab]*' }, '[ab]x')).toBe(true);
    });

    it('matches * anywhere, including the empty run', () => {
      const rule = { event_type: '*bounce*' };
      expect(eventType(rule, '_email.hardbounce')).toBe(true);
      expect(eventType(rule, 'Bounce')).toBe(true);
      expect(eventType(rule, 'bounced_later')).toBe(true);
      expect(eventType(rule, '_email.complaint')).toBe(false);
    });

    it('matches ? with exactly one character', () => {
      const rule = { event_type: '_email.?ardbounce' };
      expect(eventType(rule, '_email.hardbounce')).toBe(true);
      expect(eventType(rule, '_email.ardbounce')).toBe(false);
      expect(eventType(rule, '_email.xhardbounce')).toBe(false);
    });

    it('matches any value of a list', () => {
      const rule = { event_type: ['TEXT_BLOCKED', 'TEXT_SPAM', 'VOICE_*'] };
      expect(eventType(rule, 'TEXT_BLOCKED')).toBe(true);
      expect(eventType(rule, 'TEXT_SPAM')).toBe(true);
      expect(eventType(rule, 'VOICE_FAILED')).toBe(true);
      expect(eventType(rule, 'TEXT_DELIVERED')).toBe(false);
    });
  });

  describe('several keys', () => {
    it('requires every key to match', () => {
      const rule = matcher({ source: 'pinpoint', family: 'sms', status: ['BLOCKED', 'SPAM'] });
      expect(rule.matches(record({ family: 'sms', status: 'BLOCKED' }))).toBe(true);
      expect(rule.matches(record({ family: 'sms', status: 'spam' }))).toBe(true);
      expect(rule.matches(record({ family: 'sms', status: 'DELIVERED' }))).toBe(false);
      expect(rule.matches(record({ family: 'email', status: 'BLOCKED' }))).toBe(false);
      expect(rule.matches(record({ source: 'end_user_messaging', family: 'sms', status: 'BLOCKED' }))).toBe(
        false,
      );
    });

    it('does not match a record that lacks a field the rule names', () => {
      expect(matcher({ status: 'BLOCKED' }).matches(record())).toBe(false);
      expect(matcher({ bounce_type: 'permanent' }).matches(record())).toBe(false);
      expect(matcher({ app_id: 'abc' }).matches(record())).toBe(false);
    });

    it('matches channel, outcome, bounce_type and app_id whatever their case', () => {
      const rule = matcher({
        channel: 'email',
        outcome: 'BOUNCED',
        bounce_type: 'Permanent',
        app_id: 'ABC123',
      });
      const bounced = record({
        channel: 'EMAIL',
        outcome: 'bounced',
        bounce_type: 'permanent',
        app_id: 'abc123',
      });
      expect(rule.matches(bounced)).toBe(true);
      expect(rule.matches({ ...bounced, bounce_type: 'transient' })).toBe(false);
      expect(rule.matches({ ...bounced, channel: 'SMS' })).toBe(false);
    });

    it.each([
      ['status', 'FAILURE_*'],
      ['configuration_set', 'mkt-*'],
      ['app_id', ['a1b2', 'c3d?']],
      ['source', 'pin*'],
    ] as const)(
      'refuses a glob in %s, should a spec skip the schema: only event_type and attributes hold globs',
      (key, value) => {
        const spec: RuleSpec = { name: 'r', match: { [key]: value }, action: 'drop' };
        expect(() => compileRules([spec])).toThrow(
          new RegExp(
            `^rule 'r': match\\.${key}: '[^']+': ${key} takes no globs \\(only event_type and attributes values do`,
          ),
        );
      },
    );

    it('lists every problem of every rule at once', () => {
      let error: unknown;
      try {
        compileRules([
          { name: 'a', match: { family: 'emial', status: 'X*' }, action: 'drop' },
          { name: 'b', match: { channel: 'fax' }, action: 'drop' },
        ]);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(RulesValidationError);
      expect((error as RulesValidationError).problems).toEqual([
        expect.stringMatching(/^rule 'a': match\.status: 'X\*': status takes no globs/),
        expect.stringMatching(/^rule 'a': match\.family: 'emial' is not one of/),
        expect.stringMatching(/^rule 'b': match\.channel: 'fax' is not one of/),
      ]);
      expect((error as RulesValidationError).message).toMatch(/^3 problems:\n {2}- rule 'a'/);
    });
  });

  describe('attributes', () => {
    it('matches an attribute value whatever its case, any value of a list', () => {
      const rule = matcher({ attributes: { campaign_type: ['Promo', 'news*'] } });
      expect(rule.matches(record({ attributes: { campaign_type: 'PROMO' } }))).toBe(true);
      expect(rule.matches(record({ attributes: { campaign_type: 'newsletter' } }))).toBe(true);
      expect(rule.matches(record({ attributes: { campaign_type: 'transactional' } }))).toBe(false);
    });

    it('requires every named attribute and does not match when one is absent', () => {
      const rule = matcher({ attributes: { tier: 'gold', region: 'eu' } });
      expect(rule.matches(record({ attributes: { tier: 'gold', region: 'eu' } }))).toBe(true);
      expect(rule.matches(record({ attributes: { tier: 'gold' } }))).toBe(false);
      expect(rule.matches(record())).toBe(false);
    });

    it('looks at the record own attributes only, not at Object.prototype', () => {
      const rule = matcher({ attributes: { constructor: '*', toString: '*' } });
      expect(rule.matches(record({ attributes: { tier: 'gold' } }))).toBe(false);
      expect(rule.matches(record({ attributes: { constructor: 'x', toString: 'y' } }))).toBe(true);
    });

    it('combines attributes with the other keys', () => {
      const rule = matcher({ family: 'campaign', attributes: { tier: 'gold' } });
      expect(rule.matches(record({ family: 'campaign', attributes: { tier: 'gold' } }))).toBe(true);
      expect(rule.matches(record({ family: 'journey', attributes: { tier: 'gold' } }))).toBe(false);
    });
  });

  describe('vocabularies', () => {
    it.each([
      ['source', 'pinpiont'],
      ['family', 'emial'],
      ['channel', 'mail'],
      ['outcome', 'bounce'],
      ['bounce_type', 'hard'],
    ] as const)('rejects %s %s naming the rule, the key and the value', (key, value) => {
      const spec: RuleSpec = { name: 'bad-rule', match: { [key]: value }, action: 'drop' };
      expect(() => compileRules([spec])).toThrow(RulesValidationError);
      expect(() => compileRules([spec])).toThrow(`rule 'bad-rule': match.${key}: '${value}' is not one of`);
    });

    it('rejects a bad value inside a list', () => {
      expect(() =>
        compileRules([{ name: 'r', match: { family: ['sms', 'emial'] }, action: 'drop' }]),
      ).toThrow("match.family: 'emial'");
    });

    it('checks a disabled rule too', () => {
      expect(() =>
        compileRules([{ name: 'off', enabled: false, match: { channel: 'mail' }, action: 'drop' }]),
      ).toThrow("rule 'off': match.channel");
    });

    it('accepts vocabulary values in any case', () => {
      expect(() =>
        compileRules([
          {
            name: 'r',
            match: { source: 'SES', family: 'Email', channel: 'EMAIL', outcome: 'Bounced' },
            action: 'drop',
          },
        ]),
      ).not.toThrow();
    });

    it('accepts every source, family, channel, outcome and bounce_type the normalizer gives the samples', () => {
      const pii = new PiiProtector('hash', Buffer.from('test-key-0123456789'));
      const seen = { source: new Set<string>(), family: new Set<string>(), channel: new Set<string>() };
      const outcomes = new Set<string>();
      const bounceTypes = new Set<string>();
      let n = 0;
      for (const file of ['app', 'campaign', 'journey', 'email', 'sms', 'eum', 'ses']) {
        const events = JSON.parse(
          readFileSync(join(__dirname, '../../../events/raw', `${file}.json`), 'utf8'),
        ) as JsonObject[];
        for (const event of events) {
          const r = normalizeEvent(event, { eventId: `e-${n++}`, ingestMs: 1763650000000, pii });
          seen.source.add(r.source);
          seen.family.add(r.family);
          if (r.channel !== undefined) seen.channel.add(r.channel);
          outcomes.add(r.outcome);
          if (r.bounce_type !== undefined) bounceTypes.add(r.bounce_type);
        }
      }
      const match: MatchSpec = {
        source: [...seen.source],
        family: [...seen.family],
        channel: [...seen.channel],
        outcome: [...outcomes],
        bounce_type: [...bounceTypes],
      };
      expect(() => compileRules([{ name: 'all', match, action: 'drop' }])).not.toThrow();
      expect(seen.channel.size).toBeGreaterThan(3);
      expect(outcomes.size).toBeGreaterThan(10);
    });

    it('rejects a value longer than the schema allows, should a spec skip the schema', () => {
      const long = `*${'a'.repeat(256)}`;
      expect(() => compileRules([{ name: 'r', match: { event_type: long }, action: 'drop' }])).toThrow(
        "rule 'r': match.event_type: a value of 257 characters (at most 256)",
      );
      expect(() =>
        compileRules([{ name: 'r', match: { attributes: { k: ['x', long] } }, action: 'drop' }]),
      ).toThrow("rule 'r': match.attributes.k: a value of 257 characters");
    });

    it('leaves status and app_id open', () => {
      expect(() =>
        compileRules([{ name: 'r', match: { status: 'ANYTHING_AT_ALL', app_id: 'x' }, action: 'drop' }]),
      ).not.toThrow();
    });
  });

  describe('the compiled rules', () => {
    it('keeps the order of the specs and leaves out disabled ones', () => {
      const rules = compileRules([
        { name: 'c', match: { family: 'sms' }, action: 'drop' },
        { name: 'a', enabled: false, match: { family: 'sms' }, action: 'drop' },
        { name: 'b', enabled: true, match: { family: 'sms' }, action: 'drop' },
      ]);
      expect(rules.map((r) => r.name)).toEqual(['c', 'b']);
    });

    it('carries the action, severity, tags and description and cannot be changed', () => {
      const [alert, tag] = compileRules([
        {
          name: 'alert',
          description: 'why',
          match: { family: 'sms' },
          action: 'alert',
          severity: 'critical',
        },
        { name: 'tag', match: { family: 'sms' }, action: 'tag', tags: ['a', 'b'] },
      ]);
      expect(alert).toMatchObject({
        name: 'alert',
        action: 'alert',
        severity: 'critical',
        description: 'why',
      });
      expect(alert).not.toHaveProperty('tags');
      expect(tag).toMatchObject({ name: 'tag', action: 'tag', tags: ['a', 'b'] });
      expect(tag).not.toHaveProperty('severity');
      expect(Object.isFrozen(alert)).toBe(true);
      expect(Object.isFrozen(tag?.tags)).toBe(true);
    });

    it('does not share the tag list with the spec', () => {
      const spec: RuleSpec = { name: 'tag', match: { family: 'sms' }, action: 'tag', tags: ['a'] };
      const [rule] = compileRules([spec]);
      spec.tags?.push('b');
      expect(rule?.tags).toEqual(['a']);
    });
  });
});

describe('compileMatch', () => {
  const records = [
    record({ event_type: '_email.hardbounce', channel: 'EMAIL', configuration_set: 'marketing' }),
    record({ event_type: '_email.delivered', channel: 'EMAIL', attributes: { campaign: 'Spring' } }),
    record({ event_type: '_SMS.FAILURE', channel: 'SMS', source: 'pinpoint' }),
  ];
  const matches: MatchSpec[] = [
    { event_type: '_email.*' },
    { channel: 'email', configuration_set: 'MARKETING' },
    { attributes: { campaign: 'spr*' } },
    { source: 'pinpoint', family: 'sms' },
  ];

  it('is what an event rule matches with, and what a rate rule counts with', () => {
    for (const match of matches) {
      const compiled = compileMatch(match);
      const [rate] = compileRateRules([
        {
          name: 'rate',
          kind: 'rate',
          numerator: ['bounced'],
          denominator: ['delivered'],
          match: match as Omit<MatchSpec, 'outcome' | 'bounce_type'>,
          threshold: 0.5,
          min_volume: 1,
          severity: 'high',
        },
      ]);
      for (const r of records) {
        expect(compiled.matches(r)).toBe(matcher(match).matches(r));
        expect(rate?.matches(r)).toBe(compiled.matches(r));
      }
    }
  });

  it('matches every record when empty, and gives an event type test only when event types are named', () => {
    expect(records.every((r) => compileMatch({}).matches(r))).toBe(true);
    expect(compileMatch({ channel: 'email' }).eventTypes).toBeUndefined();
    expect(compileMatch({ event_type: ['_email.*'] }).eventTypes?.('_email.send')).toBe(true);
  });
});
