import { alertAttributes, alertBody, alertSubject } from '../../../src/alerts/alertText';
import { type AnyAlert, boundAnyAlert, isRateAlert } from '../../../src/alerts/anyAlert';
import type { Alert } from '../../../src/alerts/eventAlert';
import { boundRateAlert, type RateAlert, rateAlertId } from '../../../src/alerts/rateAlert';

/** A rate alert as counterAlert makes them, with the given fields replaced. */
function rateAlert(over: Partial<RateAlert> = {}): RateAlert {
  return {
    kind: 'rate',
    alert_id: 'a'.repeat(32),
    rule: 'email-bounce-rate-high',
    severity: 'high',
    description: 'bounces',
    window: { start: '2026-11-30T10:00:00.000Z', end: '2026-11-30T10:05:00.000Z' },
    group_by: ['configuration_set'],
    group: { configuration_set: 'marketing' },
    numerator: 31,
    denominator: 500,
    rate: 0.062,
    threshold: 0.05,
    min_volume: 100,
    numerator_outcomes: ['bounced'],
    denominator_outcomes: ['delivered', 'bounced'],
    counts: { delivered: 469, bounced: 31 },
    groups_alerting: 1,
    batch: 'kinesis:arn:aws:kinesis:us-east-1:123456789012:stream/events/shardId-000000000001',
    ...over,
  };
}

const ID = {
  windowStart: '2026-11-30T10:00:00.000Z',
  rule: 'email-bounce-rate-high',
  group: '["marketing"]',
};

describe('rateAlertId', () => {
  it('is 32 hex digits, the same for the same window, rule and group, whichever shard or path', () => {
    expect(rateAlertId(ID)).toMatch(/^[0-9a-f]{32}$/);
    expect(rateAlertId({ ...ID })).toBe(rateAlertId(ID));
  });

  it.each(Object.keys(ID) as Array<keyof typeof ID>)('differs when the %s differs', (key) => {
    expect(rateAlertId({ ...ID, [key]: `${ID[key]}x` })).not.toBe(rateAlertId(ID));
  });

  it('tells the other group from a group, and does not run one part into the next', () => {
    expect(rateAlertId({ ...ID, group: null })).not.toBe(rateAlertId({ ...ID, group: 'null' }));
    expect(rateAlertId({ ...ID, rule: 'ab', group: 'c' })).not.toBe(
      rateAlertId({ ...ID, rule: 'a', group: 'bc' }),
    );
  });
});

describe('boundRateAlert', () => {
  it('cuts rule, group values and window to 256 characters and description and batch to 1024, with a marker', () => {
    const huge = 'x'.repeat(100_000);
    const bounded = boundRateAlert(
      rateAlert({
        rule: huge,
        description: huge,
        batch: huge,
        group_by: ['campaign_id', 'app_id'],
        group: { campaign_id: huge, app_id: null },
        window: { start: huge, end: huge },
      }),
    );
    for (const text of [
      bounded.rule,
      bounded.group.campaign_id ?? '',
      bounded.window.start,
      bounded.window.end,
    ]) {
      expect(text.length).toBeLessThanOrEqual(256);
      expect(text).toMatch(/…\[truncated \d+ chars\]$/);
    }
    expect(bounded.description?.length).toBeLessThanOrEqual(1024);
    expect(bounded.batch.length).toBeLessThanOrEqual(1024);
    expect(bounded.group.app_id).toBeNull();
    expect(JSON.stringify(bounded).length).toBeLessThan(8_000);
  });

  it('is idempotent and leaves a bounded alert as it is, its id included', () => {
    const alert = rateAlert({ overflow: true, group: {} });
    expect(boundRateAlert(alert)).toEqual(alert);
    expect(boundRateAlert(boundRateAlert(alert))).toEqual(boundRateAlert(alert));
  });
});

describe('AnyAlert', () => {
  it('tells rate alerts from event alerts by kind, event alerts with or without one', () => {
    const event = { kind: 'event', alert_id: 'e', rule: 'r' } as Alert;
    const older = { alert_id: 'e', rule: 'r' } as Alert;
    const alerts: AnyAlert[] = [event, older, rateAlert()];
    expect(alerts.map(isRateAlert)).toEqual([false, false, true]);
  });

  it('is bounded by its kind: boundAnyAlert bounds a rate alert as boundRateAlert does', () => {
    const alert = rateAlert({ rule: 'x'.repeat(1_000) });
    expect(boundAnyAlert(alert)).toEqual(boundRateAlert(alert));
  });
});

describe('the text of a rate alert', () => {
  it('has a subject on one line with the rate, the threshold and the group', () => {
    expect(alertSubject(rateAlert())).toBe(
      '[HIGH] email-bounce-rate-high: 6.2% >= 5% (31/500) configuration_set=marketing',
    );
    // Group values on one line; the SNS sink makes the subject ASCII and short (snsAlertMessage.test.ts).
    expect(
      alertSubject(rateAlert({ group_by: ['campaign_id'], group: { campaign_id: 'a\nb\u0007é' } })),
    ).toBe('[HIGH] email-bounce-rate-high: 6.2% >= 5% (31/500) campaign_id=a b é');
  });

  it('names the other group and the rules without group_by', () => {
    expect(alertSubject(rateAlert({ overflow: true, group: {} }))).toMatch(/other groups/);
    expect(alertSubject(rateAlert({ group_by: [], group: {} }))).toMatch(/all records$/);
  });

  it('has a body a person can read, one value per line, ending with the alert as JSON', () => {
    const alert = rateAlert({ group: { configuration_set: 'a\nForged: line' } });
    const body = alertBody(alert);
    expect(body).toContain(
      'Rate: 31 bounced / 500 delivered+bounced = 6.2% (threshold 5%, at least 100 counted)',
    );
    expect(body).toContain('Group: configuration_set=a Forged: line');
    expect(body.split('\n').some((l) => l.startsWith('Forged'))).toBe(false);
    expect(JSON.parse(body.slice(body.indexOf('--- alert JSON ---\n') + 19))).toEqual(alert);
  });

  it("has filterable attributes: kind, severity, rule and the group's values", () => {
    expect(alertAttributes(rateAlert())).toEqual({
      kind: 'rate',
      severity: 'high',
      rule: 'email-bounce-rate-high',
      configuration_set: 'marketing',
    });
    const attributes = alertAttributes(
      rateAlert({
        group_by: ['app_id', 'channel', 'campaign_id'],
        group: { app_id: null, channel: 'EMAIL', campaign_id: '' },
      }),
    );
    // No attribute for a group value that is null or empty.
    expect(Object.keys(attributes)).toEqual(['kind', 'severity', 'rule', 'channel']);
  });
});
