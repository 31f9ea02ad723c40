import { AnalyticsRowError, readAnalyticsRow } from '../../../src/report/analyticsRow';
import { readRateAlertLine } from '../../../src/report/rateAlertLine';

const HOUR = '2026-12-07T09:00:00.000Z';

describe('readAnalyticsRow', () => {
  it('reads the examples of docs/analytics.md §2', () => {
    expect(
      readAnalyticsRow({
        kind: 'messages',
        hour: HOUR,
        source: 'ses',
        family: 'email',
        channel: 'EMAIL',
        configuration_set: 'marketing',
        campaign: 'spring-sale',
        outcome: 'bounced',
        mailbox_provider: 'gmail',
        bounce_type: 'permanent',
        bounce_sub_type: 'General',
        count: 3,
      }),
    ).toEqual({
      kind: 'messages',
      day: '2026-12-07',
      hour: 9,
      source: 'ses',
      family: 'email',
      channel: 'EMAIL',
      configuration_set: 'marketing',
      campaign: 'spring-sale',
      outcome: 'bounced',
      mailbox_provider: 'gmail',
      bounce_type: 'permanent',
      bounce_sub_type: 'General',
      count: 3,
      other: false,
    });
    expect(
      readAnalyticsRow({
        kind: 'messages',
        hour: HOUR,
        source: 'end_user_messaging',
        family: 'sms',
        channel: 'SMS',
        configuration_set: 'otp',
        outcome: 'delivered',
        country: 'US',
        count: 120,
        price_usd: 0.9852,
        carrier_fee_usd: 0.36,
      }),
    ).toMatchObject({ country: 'US', count: 120, price_usd: 0.9852, carrier_fee_usd: 0.36, other: false });
    expect(readAnalyticsRow({ kind: 'quarantine', hour: HOUR, reason: 'invalid_json', count: 2 })).toEqual({
      kind: 'quarantine',
      day: '2026-12-07',
      hour: 9,
      reason: 'invalid_json',
      count: 2,
    });
  });

  it('marks the rows the producer merged past its bound', () => {
    const row = readAnalyticsRow({
      kind: 'messages',
      hour: HOUR,
      source: 'ses',
      family: 'email',
      outcome: 'sent',
      campaign: '(other)',
      count: 9,
      other: true,
    });
    expect(row).toMatchObject({ other: true, campaign: '(other)' });
  });

  it('skips a kind it does not know, so that a newer producer does not break the report', () => {
    expect(readAnalyticsRow({ kind: 'latency', hour: HOUR, count: 1 })).toEqual({ kind: 'ignored' });
  });

  it('cuts group values at 256 characters', () => {
    const row = readAnalyticsRow({
      kind: 'messages',
      hour: HOUR,
      source: 'ses',
      family: 'email',
      outcome: 'sent',
      campaign: 'c'.repeat(10_000),
      count: 1,
    });
    expect(row.kind === 'messages' && row.campaign?.length).toBe(256);
  });

  it.each([
    [[], 'not a JSON object'],
    ['row', 'not a JSON object'],
    [{ hour: HOUR, count: 1 }, 'no kind'],
    [{ kind: 'messages', hour: '2026-12-07T09:30:00.000Z', count: 1 }, 'hour is not'],
    [{ kind: 'messages', hour: '2026-02-30T09:00:00.000Z', count: 1 }, 'hour is not'],
    [{ kind: 'messages', hour: '2026-12-07T24:00:00.000Z', count: 1 }, 'hour is not'],
    [{ kind: 'quarantine', hour: HOUR, reason: 'x', count: -1 }, 'count is not'],
    [{ kind: 'quarantine', hour: HOUR, reason: 'x', count: 1.5 }, 'count is not'],
    [{ kind: 'quarantine', hour: HOUR, reason: 'x', count: '3' }, 'count is not'],
    [{ kind: 'quarantine', hour: HOUR, count: 3 }, 'no reason'],
    [{ kind: 'messages', hour: HOUR, source: 'ses', family: 'email', count: 1 }, 'no outcome'],
    [
      { kind: 'messages', hour: HOUR, source: 'ses', family: 'email', outcome: 'lost', count: 1 },
      "outcome 'lost'",
    ],
    [{ kind: 'messages', hour: HOUR, family: 'email', outcome: 'sent', count: 1 }, 'no source'],
    [
      {
        kind: 'messages',
        hour: HOUR,
        source: 'ses',
        family: 'email',
        outcome: 'sent',
        count: 1,
        campaign: 7,
      },
      'campaign is not a string',
    ],
    [
      {
        kind: 'messages',
        hour: HOUR,
        source: 'ses',
        family: 'sms',
        outcome: 'sent',
        count: 1,
        price_usd: 'x',
      },
      'price_usd is not a number',
    ],
  ])('refuses %j: %s', (value, message) => {
    expect(() => readAnalyticsRow(value)).toThrow(AnalyticsRowError);
    expect(() => readAnalyticsRow(value)).toThrow(message);
  });
});

describe('readRateAlertLine', () => {
  const alert = {
    kind: 'rate',
    alert_id: 'a1',
    rule: 'email-bounce-rate-high',
    severity: 'high',
    window: { start: '2026-12-07T09:00:00.000Z', end: '2026-12-07T09:05:00.000Z' },
    group_by: ['app_id', 'configuration_set'],
    group: { app_id: null, configuration_set: 'marketing' },
    numerator: 20,
    denominator: 200,
    rate: 0.1,
    threshold: 0.05,
  };

  it('reads a rate alert, its group as text', () => {
    expect(readRateAlertLine(alert)).toEqual({
      alert_id: 'a1',
      rule: 'email-bounce-rate-high',
      severity: 'high',
      window_start: '2026-12-07T09:00:00.000Z',
      window_end: '2026-12-07T09:05:00.000Z',
      group: 'app_id=(none) configuration_set=marketing',
      numerator: 20,
      denominator: 200,
      rate: 0.1,
      threshold: 0.05,
    });
    expect(readRateAlertLine({ ...alert, group: {} })?.group).toBe('(all)');
    expect(readRateAlertLine({ ...alert, group: {}, overflow: true })?.group).toBe('(other groups)');
  });

  it('skips event alerts, with or without kind', () => {
    expect(readRateAlertLine({ kind: 'event', rule: 'ses-complaint', count: 1 })).toBeUndefined();
    expect(readRateAlertLine({ rule: 'ses-complaint', count: 1 })).toBeUndefined();
  });

  it('refuses a rate alert without what the page shows', () => {
    expect(() => readRateAlertLine({ ...alert, window: undefined })).toThrow('without its window');
    expect(() => readRateAlertLine({ ...alert, rate: 'high' })).toThrow('without rate');
    expect(() => readRateAlertLine({ ...alert, rule: '' })).toThrow('without rule');
  });
});
