import { compileRules } from '../../../src/rules/compileRules';
import { routeRecord } from '../../../src/rules/route';
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
