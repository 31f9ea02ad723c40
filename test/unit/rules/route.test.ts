import fc from 'fast-check';
import { compileRules } from '../../../src/rules/compileRules';
import { routeRecord } from '../../../src/rules/route';
import type { RuleSpec } from '../../../src/rules/ruleSchema';
import type { NormalizedRecord } from '../../../src/schema';
import { normalizedRecord } from '../../helpers/factories';

const record = (overrides: Partial<NormalizedRecord> = {}): NormalizedRecord =>
  normalizedRecord({
    family: 'sms',
    event_type: '_SMS.FAILURE',
    outcome: 'rejected',
    status: 'BLOCKED',
    ...overrides,
  });

const rules = compileRules([
  { name: 'sms-alert', match: { family: 'sms' }, action: 'alert', severity: 'high' },
  { name: 'tag-sms', match: { family: 'sms' }, action: 'tag', tags: ['sms', 'phone'] },
  { name: 'drop-blocked', match: { status: 'BLOCKED' }, action: 'drop' },
  { name: 'email-alert', match: { family: 'email' }, action: 'alert', severity: 'low' },
  { name: 'tag-blocked', match: { status: 'BLOCKED' }, action: 'tag', tags: ['blocked', 'sms'] },
  { name: 'blocked-alert', match: { status: 'BLOCKED' }, action: 'alert', severity: 'critical' },
]);

describe('routeRecord', () => {
  it('applies every matching rule: drop, tags and alerts together', () => {
    const r = record();
    const decision = routeRecord(r, rules);
    expect(decision.drop).toBe(true);
    expect(decision.alerts.map((a) => a.name)).toEqual(['sms-alert', 'blocked-alert']);
    expect(r.tags).toEqual(['sms', 'phone', 'blocked']);
  });

  it('leaves a record that matches nothing as it is', () => {
    const r = record({ family: 'app', event_type: '_session.start', outcome: 'session', status: 'OK' });
    const before = structuredClone(r);
    const decision = routeRecord(r, rules);
    expect(decision).toEqual({ drop: false, alerts: [] });
    expect(r).toEqual(before);
    expect(r).not.toHaveProperty('tags');
  });

  it('applies only the rules that match', () => {
    const r = record({ status: 'DELIVERED', outcome: 'delivered' });
    const decision = routeRecord(r, rules);
    expect(decision.drop).toBe(false);
    expect(decision.alerts.map((a) => a.name)).toEqual(['sms-alert']);
    expect(r.tags).toEqual(['sms', 'phone']);
  });

  it('keeps the alerts of a dropped record', () => {
    const decision = routeRecord(record({ family: 'email' }), rules);
    expect(decision.drop).toBe(true);
    expect(decision.alerts.map((a) => a.name)).toEqual(['email-alert', 'blocked-alert']);
  });

  it('adds tags to the ones the record already has, without duplicates', () => {
    const r = record({ tags: ['phone', 'vip'] });
    routeRecord(r, rules);
    expect(r.tags).toEqual(['phone', 'vip', 'sms', 'blocked']);
  });

  it('gives the same tags when a record is routed twice', () => {
    const r = record();
    routeRecord(r, rules);
    routeRecord(r, rules);
    expect(r.tags).toEqual(['sms', 'phone', 'blocked']);
  });

  it('gives each record its own alert list', () => {
    const first = routeRecord(record({ status: 'OK' }), rules).alerts;
    const second = routeRecord(record({ status: 'OK' }), rules).alerts;
    expect(first).not.toBe(second);
    expect(routeRecord(record({ family: 'app', status: 'OK' }), rules).alerts).toEqual([]);
  });
});

describe('routeRecord with many rules and event types', () => {
  const sources = ['pinpoint', 'ses', 'end_user_messaging'] as const;
  const families = ['email', 'sms', 'app', 'custom'] as const;
  const types = [
    '_email.send',
    '_EMAIL.Send',
    '_sms.failure',
    'Bounce',
    'TEXT_BLOCKED',
    'purchase',
    'Purchase',
  ];
  const oneOrMany = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, fc.array(arb, { minLength: 1, maxLength: 3 }));
  const spec = fc.record(
    {
      source: oneOrMany(fc.constantFrom(...sources)),
      family: oneOrMany(fc.constantFrom(...families)),
      event_type: oneOrMany(fc.constantFrom(...types, '_email.*', '*BLOCK*', 'p?rchase')),
      status: fc.constantFrom('BLOCKED', 'SPAM'),
    },
    { requiredKeys: [] },
  );
  const rulesArb = fc
    .array(fc.tuple(spec, fc.constantFrom('alert', 'drop', 'tag')), { minLength: 1, maxLength: 8 })
    .map((list) =>
      compileRules(
        list.map(
          ([match, action], i): RuleSpec =>
            action === 'tag'
              ? { name: `r${i}`, match, action, tags: [`t${i}`] }
              : action === 'alert'
                ? { name: `r${i}`, match, action, severity: 'low' }
                : { name: `r${i}`, match, action },
        ),
      ),
    );
  const recordArb = fc
    .record({
      source: fc.constantFrom(...sources),
      family: fc.constantFrom(...families),
      event_type: fc.constantFrom(...types),
      status: fc.constantFrom('BLOCKED', 'SPAM', 'OK'),
    })
    .map((r) => normalizedRecord(r));

  it('decides as testing every rule on every record would', () => {
    fc.assert(
      fc.property(rulesArb, fc.array(recordArb, { minLength: 1, maxLength: 20 }), (rules, records) => {
        for (const r of records) {
          const matching = rules.filter((rule) => rule.matches(r));
          const decision = routeRecord(r, rules);
          expect(decision.drop).toBe(matching.some((m) => m.action === 'drop'));
          expect(decision.alerts.map((a) => a.name)).toEqual(
            matching.filter((m) => m.action === 'alert').map((m) => m.name),
          );
          const tags = [...new Set(matching.flatMap((m) => m.tags ?? []))];
          // No tag matched: no `tags` key at all (the schema writes it only when a tag rule matched).
          expect(r.tags).toEqual(tags.length > 0 ? tags : undefined);
        }
      }),
    );
  });

  it('routes records too long to index as it routes the others', () => {
    const custom = compileRules([
      { name: 'long', match: { event_type: 'purchase_*x' }, action: 'alert', severity: 'low' },
      { name: 'sms', match: { family: 'sms' }, action: 'drop' },
    ]);
    for (let i = 0; i < 200; i++) {
      const type = `purchase_${'y'.repeat(300 + i)}${i % 2 === 0 ? 'x' : 'z'}`;
      const r = normalizedRecord({ family: i % 3 === 0 ? 'sms' : 'custom', event_type: type });
      const decision = routeRecord(r, custom);
      expect(decision.alerts.map((a) => a.name)).toEqual(i % 2 === 0 ? ['long'] : []);
      expect(decision.drop).toBe(i % 3 === 0);
    }
  });

  it('stays right with more distinct event types than it indexes', () => {
    const custom = compileRules([
      { name: 'big-spenders', match: { event_type: 'purchase_*' }, action: 'alert', severity: 'low' },
    ]);
    for (let i = 0; i < 25_000; i++) {
      const type = i % 2 === 0 ? `purchase_${i}` : `view_${i}`;
      const { alerts } = routeRecord(normalizedRecord({ family: 'custom', event_type: type }), custom);
      expect(alerts.length).toBe(i % 2 === 0 ? 1 : 0);
    }
  });
});
