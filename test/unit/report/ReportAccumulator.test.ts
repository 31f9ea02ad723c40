import fc from 'fast-check';
import type { AnalyticsRow, MessagesRow } from '../../../src/report/analyticsRow';
import {
  MAX_ALERTS_SHOWN,
  MAX_TRACKED_GROUPS,
  type RateAlertRow,
  TOP_GROUPS,
} from '../../../src/report/model';
import { ReportAccumulator } from '../../../src/report/ReportAccumulator';
import { OUTCOMES } from '../../../src/schema';

function msg(partial: Partial<MessagesRow> & Pick<MessagesRow, 'outcome' | 'count'>): MessagesRow {
  return {
    kind: 'messages',
    day: '2026-12-07',
    hour: 9,
    source: 'ses',
    family: 'email',
    other: false,
    ...partial,
  };
}

const email = (outcome: MessagesRow['outcome'], count: number, extra: Partial<MessagesRow> = {}) =>
  msg({ channel: 'EMAIL', outcome, count, ...extra });
const sms = (outcome: MessagesRow['outcome'], count: number, extra: Partial<MessagesRow> = {}) =>
  msg({ source: 'end_user_messaging', family: 'sms', channel: 'SMS', outcome, count, ...extra });

function report(rows: AnalyticsRow[], from = '2026-12-07', to = '2026-12-07') {
  const acc = new ReportAccumulator(from, to, 'test');
  for (const r of rows) acc.addRow(r);
  return acc.result();
}

describe('ReportAccumulator', () => {
  it('counts the rates as docs/rates.md defines them, on their channel only', () => {
    const r = report([
      email('delivered', 900),
      email('bounced', 100),
      email('complained', 2),
      email('opened', 300),
      email('clicked', 45),
      email('rejected', 5),
      email('failed', 5),
      email('sent', 1000),
      // Not EMAIL: counted in no email rate.
      msg({ source: 'pinpoint', family: 'campaign', channel: 'PUSH', outcome: 'opened', count: 50 }),
      sms('delivered', 90),
      sms('failed', 6),
      sms('rejected', 4),
      sms('sent', 100),
    ]);
    expect(r.rates.email).toEqual({
      delivery: { numerator: 900, denominator: 1010, rate: 900 / 1010 },
      open: { numerator: 300, denominator: 900, rate: 300 / 900 },
      click: { numerator: 45, denominator: 900, rate: 45 / 900 },
      bounce: { numerator: 100, denominator: 1000, rate: 0.1, threshold: 0.05, over: true },
      complaint: { numerator: 2, denominator: 900, rate: 2 / 900, threshold: 0.001, over: true },
    });
    expect(r.rates.sms).toEqual({
      delivery: { numerator: 90, denominator: 100, rate: 0.9 },
      failure: { numerator: 6, denominator: 100, rate: 0.06 },
      rejected: { numerator: 4, denominator: 100, rate: 0.04 },
    });
    expect(r.totals.records).toBe(900 + 100 + 2 + 300 + 45 + 5 + 5 + 1000 + 50 + 90 + 6 + 4 + 100);
  });

  it('gives no rate without a denominator, and says a rate under its threshold is not over', () => {
    const r = report([email('delivered', 10_000), email('bounced', 1), email('complained', 9)]);
    expect(r.rates.email.complaint).toMatchObject({ rate: 0.0009, over: false });
    expect(r.rates.sms.delivery).toEqual({ numerator: 0, denominator: 0, rate: null });
  });

  it('names outcome counts by the schema, only those seen, in its order', () => {
    const r = report([email('clicked', 1), email('sent', 2), email('other', 3)]);
    expect(Object.keys(r.totals.outcomes)).toEqual(['sent', 'clicked', 'other']);
    expect(Object.keys(r.totals.outcomes).every((o) => (OUTCOMES as readonly string[]).includes(o))).toBe(
      true,
    );
  });

  it('lists the top 50 campaigns by records and sums the others', () => {
    const rows = Array.from({ length: 60 }, (_, i) => email('delivered', 1000 - i, { campaign: `c${i}` }));
    rows.push(email('opened', 5, { campaign: 'c59' }), email('sent', 7));
    const t = report(rows).groups.campaign;
    expect(t.rows).toHaveLength(TOP_GROUPS);
    expect(t.rows.map((g) => g.value)).toEqual(Array.from({ length: 50 }, (_, i) => `c${i}`));
    expect(t.others).toMatchObject({
      value: '(others)',
      groups: 10,
      records: Array.from({ length: 10 }, (_, i) => 1000 - 50 - i).reduce((a, b) => a + b, 0) + 5,
    });
    expect(t.distinct).toBe(60);
    expect(t.withoutValue).toBe(7);
    expect(t.merged).toBeNull();
  });

  it('keeps the rows the producer merged apart from the ranked groups', () => {
    const t = report([
      email('delivered', 3, { campaign: 'spring' }),
      email('delivered', 40, { campaign: '(other)', configuration_set: '(other)', other: true }),
      // A campaign really named (other), not merged: a campaign like any.
      email('delivered', 2, { campaign: '(other)' }),
    ]).groups.campaign;
    expect(t.rows.map((g) => [g.value, g.records])).toEqual([
      ['spring', 3],
      ['(other)', 2],
    ]);
    expect(t.merged).toMatchObject({ value: '(other)', records: 40 });
  });

  it('gives each group its funnel, rates and spend', () => {
    const g = report([
      email('sent', 100, { configuration_set: 'm' }),
      email('delivered', 90, { configuration_set: 'm' }),
      email('opened', 30, { configuration_set: 'm' }),
      email('bounced', 10, { configuration_set: 'm' }),
      sms('delivered', 8, { configuration_set: 'm', price_usd: 0.05, carrier_fee_usd: 0.01 }),
      sms('failed', 2, { configuration_set: 'm' }),
    ]).groups.configuration_set.rows[0];
    expect(g).toEqual({
      value: 'm',
      records: 240,
      outcomes: { sent: 100, delivered: 98, opened: 30, bounced: 10, failed: 2 },
      rates: { open: 30 / 90, click: 0, bounce: 0.1, complaint: 0, smsDelivery: 0.8 },
      spendUsd: 0.06,
    });
  });

  it('tracks at most MAX_TRACKED_GROUPS values per table, counting later ones in the others', () => {
    const acc = new ReportAccumulator('2026-12-07', '2026-12-07', 'test');
    for (let i = 0; i < MAX_TRACKED_GROUPS + 5; i++) acc.addRow(email('delivered', 1, { campaign: `c${i}` }));
    const t = acc.result().groups.campaign;
    expect(t.distinct).toBe(MAX_TRACKED_GROUPS);
    expect(t.untrackedRecords).toBe(5);
    expect(t.others?.records).toBe(MAX_TRACKED_GROUPS - TOP_GROUPS + 5);
    expect(t.rows.length + (t.others?.records ?? 0)).toBe(MAX_TRACKED_GROUPS + 5);
  });

  it('counts only the rows of the range, and the rows of unknown kinds apart', () => {
    const r = report(
      [
        email('delivered', 1, { day: '2026-12-06', hour: 23 }),
        email('delivered', 2, { day: '2026-12-07' }),
        email('delivered', 4, { day: '2026-12-08' }),
        email('delivered', 8, { day: '2026-12-09' }),
        { kind: 'ignored' },
      ],
      '2026-12-07',
      '2026-12-08',
    );
    expect(r.totals.records).toBe(6);
    expect(r.input).toMatchObject({ messageRows: 2, outOfRangeRows: 2, ignoredRows: 1 });
    expect(r.days.map((d) => [d.day, d.records])).toEqual([
      ['2026-12-07', 2],
      ['2026-12-08', 4],
    ]);
  });

  it('puts rates over time per hour up to 3 days, per day past it', () => {
    const rows = [
      email('delivered', 90, { day: '2026-12-01', hour: 5 }),
      email('bounced', 10, { day: '2026-12-01', hour: 5 }),
      email('delivered', 10, { day: '2026-12-03', hour: 23 }),
    ];
    const hourly = report(rows, '2026-12-01', '2026-12-03');
    expect(hourly.granularity).toBe('hour');
    expect(hourly.series).toHaveLength(72);
    expect(hourly.series[5]).toMatchObject({ start: '2026-12-01T05:00:00.000Z', rates: { bounce: 0.1 } });
    expect(hourly.series[4]?.rates.bounce).toBeNull();
    expect(hourly.series[71]).toMatchObject({ start: '2026-12-03T23:00:00.000Z', rates: { bounce: 0 } });
    const daily = report(rows, '2026-12-01', '2026-12-04');
    expect(daily.granularity).toBe('day');
    expect(daily.series.map((p) => [p.start, p.rates.bounce])).toEqual([
      ['2026-12-01T00:00:00.000Z', 0.1],
      ['2026-12-02T00:00:00.000Z', null],
      ['2026-12-03T00:00:00.000Z', 0],
      ['2026-12-04T00:00:00.000Z', null],
    ]);
  });

  it('counts email by provider, SMS and voice by country with spend, and the reasons', () => {
    const r = report([
      email('delivered', 10, { mailbox_provider: 'gmail' }),
      email('bounced', 2, {
        mailbox_provider: 'gmail',
        bounce_type: 'permanent',
        bounce_sub_type: 'General',
      }),
      email('bounced', 1, { bounce_type: 'transient', bounce_sub_type: 'MailboxFull' }),
      email('complained', 1, { mailbox_provider: 'yahoo', complaint_type: 'abuse' }),
      sms('delivered', 20, { country: 'US', price_usd: 0.1162, carrier_fee_usd: 0.006 }),
      sms('failed', 3, { country: 'US', status: 'UNREACHABLE' }),
      sms('rejected', 2, { country: 'GB', status: 'BLOCKED' }),
      msg({
        source: 'end_user_messaging',
        family: 'voice',
        channel: 'VOICE',
        outcome: 'failed',
        count: 1,
        status: 'BUSY',
      }),
    ]);
    expect(r.mailboxProviders.rows.map((p) => [p.provider, p.records, p.rates.bounce])).toEqual([
      ['gmail', 12, 2 / 12],
      ['(none)', 1, 1],
      ['yahoo', 1, null],
    ]);
    expect(r.countries.rows).toEqual([
      {
        channel: 'SMS',
        country: 'US',
        records: 23,
        outcomes: { delivered: 20, failed: 3 },
        deliveryRate: 20 / 23,
        priceUsd: 0.1162,
        carrierFeeUsd: 0.006,
        spendUsd: 0.1222,
      },
      expect.objectContaining({ channel: 'SMS', country: 'GB', records: 2, deliveryRate: 0 }),
      expect.objectContaining({ channel: 'VOICE', country: '(unknown)', records: 1 }),
    ]);
    expect(r.bounceTypes.rows).toEqual([
      { bounce_type: 'permanent', bounce_sub_type: 'General', count: 2 },
      { bounce_type: 'transient', bounce_sub_type: 'MailboxFull', count: 1 },
    ]);
    expect(r.complaintTypes.rows).toEqual([{ complaint_type: 'abuse', count: 1 }]);
    expect(r.failureStatuses.rows).toEqual([
      { channel: 'SMS', status: 'UNREACHABLE', count: 3 },
      { channel: 'SMS', status: 'BLOCKED', count: 2 },
      { channel: 'VOICE', status: 'BUSY', count: 1 },
    ]);
    expect(r.totals).toMatchObject({ priceUsd: 0.1162, carrierFeeUsd: 0.006, spendUsd: 0.1222 });
  });

  it('counts quarantine rows by reason', () => {
    const q = report([
      { kind: 'quarantine', day: '2026-12-07', hour: 1, reason: 'invalid_json', count: 2 },
      { kind: 'quarantine', day: '2026-12-07', hour: 2, reason: 'invalid_json', count: 3 },
      { kind: 'quarantine', day: '2026-12-07', hour: 2, reason: 'internal_error', count: 1 },
    ]).quarantine;
    expect(q.total).toBe(6);
    expect(q.reasons.rows).toEqual([
      { reason: 'invalid_json', count: 5 },
      { reason: 'internal_error', count: 1 },
    ]);
  });

  const rowArb: fc.Arbitrary<AnalyticsRow> = fc.oneof(
    fc.record({
      kind: fc.constant('messages' as const),
      day: fc.constantFrom('2026-12-06', '2026-12-07', '2026-12-08'),
      hour: fc.integer({ min: 0, max: 23 }),
      source: fc.constantFrom('ses', 'pinpoint', 'end_user_messaging'),
      family: fc.constantFrom('email', 'sms', 'campaign'),
      channel: fc.constantFrom('EMAIL', 'SMS', 'VOICE', 'PUSH'),
      campaign: fc.constantFrom('a', 'b', 'c'),
      configuration_set: fc.constantFrom('x', 'y'),
      outcome: fc.constantFrom('sent', 'delivered', 'bounced', 'complained', 'opened', 'failed', 'rejected'),
      country: fc.constantFrom('US', 'GB'),
      mailbox_provider: fc.constantFrom('gmail', 'other'),
      status: fc.constantFrom('BLOCKED', 'UNREACHABLE'),
      count: fc.integer({ min: 0, max: 1000 }),
      price_usd: fc.integer({ min: 0, max: 100_000 }).map((n) => n / 1e5),
      other: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant('quarantine' as const),
      day: fc.constant('2026-12-07'),
      hour: fc.integer({ min: 0, max: 23 }),
      reason: fc.constantFrom('invalid_json', 'internal_error'),
      count: fc.integer({ min: 0, max: 10 }),
    }),
  );

  it('gives the same numbers whatever the order and however the rows are split (docs/analytics.md §4)', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 60 }), fc.integer(), (rows, seed) => {
        const whole = report(rows, '2026-12-07', '2026-12-08');
        // Each row split in two rows whose counts (and price) add up to it, everything shuffled.
        const split: AnalyticsRow[] = rows.flatMap((r): AnalyticsRow[] => {
          if (r.kind === 'ignored') return [r];
          const a = Math.floor(r.count / 2);
          if (r.kind === 'quarantine')
            return [
              { ...r, count: a },
              { ...r, count: r.count - a },
            ];
          const { price_usd: p = 0, ...rest } = r;
          return [
            { ...rest, count: a, price_usd: Math.round(p * 1e6 * 0.25) / 1e6 },
            {
              ...rest,
              count: r.count - a,
              price_usd: (Math.round(p * 1e6) - Math.round(p * 1e6 * 0.25)) / 1e6,
            },
          ];
        });
        let s = seed;
        const shuffled = split
          .map((r) => {
            s = (Math.imul(s, 1103515245) + 12345) | 0;
            return { r, k: s };
          })
          .sort((x, y) => x.k - y.k)
          .map((x) => x.r);
        const parts = report(shuffled, '2026-12-07', '2026-12-08');
        expect({ ...parts, input: undefined }).toEqual({ ...whole, input: undefined });
      }),
      { numRuns: 150 },
    );
  });
});

describe('rate alerts', () => {
  const alert = (i: number, start: string, id = `id-${i}`): RateAlertRow => ({
    alert_id: id,
    rule: i % 2 === 0 ? 'email-bounce-rate-high' : 'sms-failure-rate-high',
    severity: i % 2 === 0 ? 'high' : 'medium',
    window_start: start,
    window_end: start,
    group: '(all)',
    numerator: 1,
    denominator: 10,
    rate: 0.1,
    threshold: 0.05,
  });

  it('lists the alerts whose window starts in the range, once per alert_id, the first by window', () => {
    const acc = new ReportAccumulator('2026-12-01', '2026-12-02', 'test');
    acc.addAlert(alert(0, '2026-11-30T23:55:00.000Z'));
    acc.addAlert(alert(1, '2026-12-03T00:00:00.000Z'));
    const starts: string[] = [];
    for (let i = 0; i < MAX_ALERTS_SHOWN + 30; i++) {
      const start = new Date(Date.UTC(2026, 11, 1) + ((i * 7919) % 2880) * 60_000).toISOString();
      starts.push(start);
      acc.addAlert(alert(i, start));
    }
    // The same alert again (a retried window, a replay): counted once.
    acc.addAlert(alert(3, starts[3] as string));
    const a = acc.result().rateAlerts;
    expect(a.total).toBe(MAX_ALERTS_SHOWN + 30);
    expect(a.shown).toHaveLength(MAX_ALERTS_SHOWN);
    expect(a.omitted).toBe(30);
    expect(a.shown.map((x) => x.window_start)).toEqual([...starts].sort().slice(0, MAX_ALERTS_SHOWN));
    expect(a.byRule).toEqual([
      { rule: 'email-bounce-rate-high', severity: 'high', count: 115 },
      { rule: 'sms-failure-rate-high', severity: 'medium', count: 115 },
    ]);
    expect(a.available).toBe(true);
  });

  it('says when the source keeps no alerts', () => {
    const acc = new ReportAccumulator('2026-12-01', '2026-12-02', 'test');
    acc.setAlertsAvailable(false);
    expect(acc.result().rateAlerts).toMatchObject({ available: false, total: 0 });
  });
});
