import { addToRateWindow } from '../../../src/rates/addToRateWindow';
import type { CompiledRateRule } from '../../../src/rates/compileRateRules';
import { evaluateRates } from '../../../src/rates/evaluateRates';
import type { RateWindowState } from '../../../src/rates/rateWindowState';
import type { NormalizedRecord, Outcome } from '../../../src/schema';
import { compile, RULES, rateSpec, rec } from './helpers';

const WINDOW = { start: '2026-11-30T10:00:00Z', end: '2026-11-30T10:05:00Z' };
const SOURCE = {
  stream: 'arn:aws:kinesis:us-east-1:123456789012:stream/events',
  shard: 'shardId-000000000001',
};

/** `n` records of an outcome in a configuration set. */
const many = (n: number, outcome: Outcome, set = 'marketing'): NormalizedRecord[] =>
  Array.from({ length: n }, () => rec(outcome, { configuration_set: set }));

function stateOf(records: NormalizedRecord[], rules: readonly CompiledRateRule[] = RULES): RateWindowState {
  return addToRateWindow({}, records, rules).state;
}

const evaluate = (state: RateWindowState, rules: readonly CompiledRateRule[] = RULES) =>
  evaluateRates(state, WINDOW, rules, SOURCE).alerts;

describe('evaluateRates', () => {
  it('alerts on a group whose rate reached the threshold, with the counts, the rule and the window', () => {
    const state = stateOf([
      ...many(94, 'delivered'),
      ...many(6, 'bounced'),
      ...many(100, 'delivered', 'other-set'),
    ]);
    const alerts = evaluate(state);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toEqual({
      kind: 'rate',
      alert_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      rule: 'bounce-rate',
      severity: 'high',
      window: { start: '2026-11-30T10:00:00.000Z', end: '2026-11-30T10:05:00.000Z' },
      group_by: ['configuration_set'],
      group: { configuration_set: 'marketing' },
      numerator: 6,
      denominator: 100,
      rate: 0.06,
      threshold: 0.05,
      min_volume: 100,
      numerator_outcomes: ['bounced'],
      denominator_outcomes: ['delivered', 'bounced'],
      counts: { delivered: 94, bounced: 6 },
      groups_alerting: 1,
      batch: `kinesis:${SOURCE.stream}/${SOURCE.shard}`,
    });
  });

  describe('edges', () => {
    it.each<[string, number, number, boolean]>([
      ['a rate exactly at the threshold', 5, 95, true],
      ['a rate just below the threshold', 49, 951, false],
      ['a rate just above the threshold', 51, 949, true],
      ['a denominator exactly at min_volume', 50, 50, true],
      ['a denominator one below min_volume, whatever the rate', 99, 0, false],
      ['no bounces at all', 0, 1000, false],
      ['every message bounced', 100, 0, true],
    ])('%s: alert %s', (_, bounced, delivered, fires) => {
      const state = stateOf([...many(bounced, 'bounced'), ...many(delivered, 'delivered')]);
      expect(evaluate(state)).toHaveLength(fires ? 1 : 0);
    });

    it('holds at threshold 1: only a rate of 100% fires', () => {
      const rules = compile(rateSpec({ threshold: 1, min_volume: 1 }));
      expect(evaluate(stateOf(many(3, 'bounced'), rules), rules)).toHaveLength(1);
      expect(evaluate(stateOf([...many(3, 'bounced'), ...many(1, 'delivered')], rules), rules)).toHaveLength(
        0,
      );
    });

    it('judges volume by the denominator: a complaint rate of complaints over deliveries', () => {
      const rules = compile(
        rateSpec({
          name: 'complaints',
          numerator: ['complained'],
          denominator: ['delivered'],
          min_volume: 1000,
          threshold: 0.001,
        }),
      );
      const alerts = evaluate(stateOf([...many(999, 'delivered'), ...many(50, 'complained')], rules), rules);
      expect(alerts).toEqual([]);
      const [alert] = evaluate(stateOf([...many(1000, 'delivered'), ...many(1, 'complained')], rules), rules);
      expect(alert).toMatchObject({ numerator: 1, denominator: 1000, rate: 0.001 });
    });

    it('reports a rate above 1 when the numerator is not part of the denominator', () => {
      const rules = compile(
        rateSpec({ numerator: ['complained'], denominator: ['delivered'], min_volume: 1 }),
      );
      const [alert] = evaluate(stateOf([...many(1, 'delivered'), ...many(3, 'complained')], rules), rules);
      expect(alert?.rate).toBe(3);
    });
  });

  it('judges each group on its own, records without the field in a group of their own', () => {
    const records = [
      ...many(90, 'delivered', 'a'),
      ...many(10, 'bounced', 'a'),
      ...many(99, 'delivered', 'b'),
      ...many(1, 'bounced', 'b'),
      ...Array.from({ length: 100 }, () => rec('bounced')),
    ];
    const alerts = evaluate(stateOf(records));
    expect(alerts.map((a) => [a.group, a.rate])).toEqual([
      [{ configuration_set: null }, 1],
      [{ configuration_set: 'a' }, 0.1],
    ]);
    expect(alerts.every((a) => a.groups_alerting === 2)).toBe(true);
  });

  it("alerts on a rule's other group, marked overflow, with no group values", () => {
    const [byCampaign] = compile(
      rateSpec({ name: 'by-campaign', group_by: ['campaign_id'], min_volume: 100 }),
    );
    const rules = byCampaign ? [byCampaign] : [];
    const records = Array.from({ length: 2_000 }, (_, i) =>
      rec(i % 2 === 0 ? 'bounced' : 'delivered', { campaign_id: `campaign-${i}` }),
    );
    const update = addToRateWindow({}, records, rules, { budgetBytes: 2_000 });
    expect(update.overflowed).toBeGreaterThan(1_900);
    const alerts = evaluateRates(update.state, WINDOW, rules, SOURCE).alerts;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ overflow: true, group: {}, group_by: ['campaign_id'], rate: 0.5 });
  });

  it('sends at most maxAlertsPerRule alerts per rule, the highest rates, and counts the others', () => {
    const records = Array.from({ length: 30 }, (_, g) => [
      ...many(100 - g, 'delivered', `set-${g}`),
      ...many(g + 10, 'bounced', `set-${g}`),
    ]).flat();
    const { alerts, omitted } = evaluateRates(stateOf(records), WINDOW, RULES, SOURCE, {
      maxAlertsPerRule: 5,
    });
    expect(alerts.map((a) => a.group.configuration_set)).toEqual([
      'set-29',
      'set-28',
      'set-27',
      'set-26',
      'set-25',
    ]);
    expect(omitted).toBe(25);
    expect(alerts.every((a) => a.groups_alerting === 30)).toBe(true);
    expect(evaluateRates(stateOf(records), WINDOW, RULES, SOURCE).alerts).toHaveLength(20);
  });

  it('follows the configured rules: new thresholds apply, counts of a changed definition are not judged', () => {
    const state = stateOf([...many(97, 'delivered'), ...many(3, 'bounced')]);
    expect(evaluate(state)).toEqual([]);
    const stricter = compile(rateSpec({ threshold: 0.02, severity: 'critical' }));
    expect(evaluate(state, stricter).map((a) => a.severity)).toEqual(['critical']);
    const regrouped = compile(rateSpec({ threshold: 0.02, group_by: ['app_id'] }));
    expect(evaluate(state, regrouped)).toEqual([]);
    expect(evaluate(state, [])).toEqual([]);
  });

  describe('alert_id', () => {
    const state = stateOf([...many(90, 'delivered'), ...many(10, 'bounced')]);
    const [alert] = evaluate(state);

    it('is the same for the same window of the same shard, after the state went over the wire and back', () => {
      const again = evaluate(JSON.parse(JSON.stringify(state)) as RateWindowState);
      expect(again[0]?.alert_id).toBe(alert?.alert_id);
      // Counts do not enter it: a final invoke retried after more records still pages once.
      const more = evaluate(stateOf([...many(80, 'delivered'), ...many(20, 'bounced')]));
      expect(more[0]?.alert_id).toBe(alert?.alert_id);
    });

    it('differs for another shard, stream, window, rule or group', () => {
      const ids = new Set([
        alert?.alert_id,
        evaluateRates(state, WINDOW, RULES, { ...SOURCE, shard: 'shardId-000000000002' }).alerts[0]?.alert_id,
        evaluateRates(state, WINDOW, RULES, { ...SOURCE, stream: 'other' }).alerts[0]?.alert_id,
        evaluateRates(state, { start: '2026-11-30T10:05:00Z', end: WINDOW.end }, RULES, SOURCE).alerts[0]
          ?.alert_id,
        evaluate(stateOf([...many(90, 'delivered', 'b'), ...many(10, 'bounced', 'b')]))[0]?.alert_id,
        evaluate(
          addToRateWindow(
            {},
            [...many(90, 'delivered'), ...many(10, 'bounced')],
            compile(rateSpec({ name: 'x' })),
          ).state,
          compile(rateSpec({ name: 'x' })),
        )[0]?.alert_id,
      ]);
      expect(ids.size).toBe(6);
    });

    it('does not depend on how Lambda wrote the window start', () => {
      const other = evaluateRates(
        state,
        { start: '2026-11-30T10:00:00.000Z', end: WINDOW.end },
        RULES,
        SOURCE,
      );
      expect(other.alerts[0]?.alert_id).toBe(alert?.alert_id);
    });
  });

  it('carries identifiers and counts only: no field of a record but the group values', () => {
    const records = [
      ...many(90, 'delivered'),
      ...Array.from({ length: 10 }, () =>
        rec('bounced', {
          configuration_set: 'marketing',
          recipient: 'jane@example.com',
          ip_address: '192.0.2.1',
        }),
      ),
    ];
    const [alert] = evaluate(stateOf(records));
    expect(Object.keys(alert ?? {}).sort()).toEqual(
      [
        'kind',
        'alert_id',
        'rule',
        'severity',
        'window',
        'group_by',
        'group',
        'numerator',
        'denominator',
        'rate',
        'threshold',
        'min_volume',
        'numerator_outcomes',
        'denominator_outcomes',
        'counts',
        'groups_alerting',
        'batch',
      ].sort(),
    );
    expect(JSON.stringify(alert)).not.toMatch(/example\.com|192\.0\.2/);
  });

  it('bounds the texts of the alert whatever the group values hold', () => {
    const [rule] = compile(
      rateSpec({ group_by: ['campaign_id'], min_volume: 1, description: 'd'.repeat(5000) }),
    );
    const rules = rule ? [rule] : [];
    const state = stateOf([rec('bounced', { campaign_id: 'c'.repeat(100_000) })], rules);
    const [alert] = evaluateRates(state, WINDOW, rules, { stream: 's'.repeat(5000), shard: 'x' }).alerts;
    expect(alert?.group.campaign_id?.length).toBeLessThanOrEqual(256);
    expect(alert?.description?.length).toBeLessThanOrEqual(1024);
    expect(alert?.batch.length).toBeLessThanOrEqual(1024);
  });
});
