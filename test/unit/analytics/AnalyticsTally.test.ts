import { AnalyticsTally, type AnalyticsTallyOptions } from '../../../src/analytics/AnalyticsTally';
import {
  ANALYTICS_FIELDS,
  type AnalyticsMessagesRow,
  type AnalyticsRow,
} from '../../../src/analytics/analyticsRow';
import { type InputRecord, type PipelineSettings, runPipeline } from '../../../src/pipeline';
import type { NormalizedRecord } from '../../../src/schema';
import { normalizedRecord } from '../../helpers/factories';
import { testRuntime } from '../../helpers/runtime';

/** The rows of `records` (each delivered), with the batch in the hour of the first. */
function rowsOf(
  records: readonly NormalizedRecord[],
  options: AnalyticsTallyOptions & { maxRows?: number; quarantined?: string[] } = {},
): AnalyticsRow[] {
  const tally = new AnalyticsTally(options);
  records.forEach((r, i) => {
    tally.add(r, i);
  });
  return tally.rows({
    batchHour: { dt: '2026-12-07', hour: '09' },
    maxRows: options.maxRows ?? 2000,
    ...(options.quarantined !== undefined && { quarantined: options.quarantined }),
  }).rows;
}

const ses = (over: Partial<NormalizedRecord>): NormalizedRecord =>
  normalizedRecord({
    source: 'ses',
    family: 'email',
    channel: 'EMAIL',
    configuration_set: 'marketing',
    dt: '2026-12-07',
    hour: '09',
    ...over,
  });

const sms = (over: Partial<NormalizedRecord>): NormalizedRecord =>
  normalizedRecord({
    source: 'end_user_messaging',
    family: 'sms',
    channel: 'SMS',
    event_type: 'TEXT_DELIVERED',
    configuration_set: 'otp',
    outcome: 'delivered',
    dt: '2026-12-07',
    hour: '09',
    ...over,
  });

describe('AnalyticsTally: the rows of docs/analytics.md', () => {
  it('writes the contract example: email by mailbox provider and bounce type, SMS by country with its spend', () => {
    const records = [
      ...Array.from({ length: 3 }, (_, i) =>
        ses({
          event_id: `b${i}`,
          outcome: 'bounced',
          email_domain: 'gmail.com',
          bounce_type: 'permanent',
          bounce_sub_type: 'General',
          attributes: { campaign: 'spring-sale', other_tag: 'x' },
        }),
      ),
      ...Array.from({ length: 120 }, (_, i) =>
        sms({ event_id: `s${i}`, country: 'US', price_usd: 0.00821, carrier_fee_usd: 0.003 }),
      ),
    ];
    const rows = rowsOf(records, { quarantined: ['invalid_json', 'invalid_json'] });
    expect(rows).toHaveLength(3);
    expect(JSON.stringify(rows[0])).toBe(
      '{"kind":"messages","hour":"2026-12-07T09:00:00.000Z","source":"ses","family":"email","channel":"EMAIL","configuration_set":"marketing","campaign":"spring-sale","outcome":"bounced","mailbox_provider":"gmail","bounce_type":"permanent","bounce_sub_type":"General","count":3}',
    );
    expect(rows[1]).toEqual({
      kind: 'messages',
      hour: '2026-12-07T09:00:00.000Z',
      source: 'end_user_messaging',
      family: 'sms',
      channel: 'SMS',
      configuration_set: 'otp',
      outcome: 'delivered',
      country: 'US',
      count: 120,
      price_usd: 0.9852,
      carrier_fee_usd: 0.36,
    });
    expect(rows[2]).toEqual({
      kind: 'quarantine',
      hour: '2026-12-07T09:00:00.000Z',
      reason: 'invalid_json',
      count: 2,
    });
  });

  it('writes the fields in the column order of the contract, and never null', () => {
    const rows = rowsOf([
      ses({ outcome: 'complained', complaint_type: 'abuse', email_domain: 'example.com', app_id: 'a1' }),
      sms({ outcome: 'failed', status: 'UNREACHABLE', journey_id: 'j1', campaign_id: 'c1', price_usd: 0 }),
    ]);
    for (const row of rows) {
      const keys = Object.keys(row);
      expect(keys).toEqual(Object.keys(ANALYTICS_FIELDS).filter((f) => keys.includes(f)));
      expect(Object.values(row)).not.toContain(null);
      expect(Object.values(row)).not.toContain(undefined);
    }
    expect(rows[0]).toMatchObject({ complaint_type: 'abuse', mailbox_provider: 'other', app_id: 'a1' });
    expect(rows[1]).toMatchObject({ status: 'UNREACHABLE', campaign: 'c1', journey_id: 'j1', price_usd: 0 });
    expect(rows[1]).not.toHaveProperty('carrier_fee_usd');
  });

  it('takes the campaign from campaign_id, else from the campaign tag of the rules file (default campaign)', () => {
    const records = [
      normalizedRecord({ campaign_id: 'pinpoint-c', attributes: { campaign: 'tag-c' } }),
      ses({ attributes: { campaign: 'tag-c', newsletter: 'may' } }),
      ses({ attributes: { newsletter: 'may' } }),
    ];
    expect(rowsOf(records).map((r) => (r as AnalyticsMessagesRow).campaign)).toEqual([
      'pinpoint-c',
      'tag-c',
      undefined,
    ]);
    expect(
      rowsOf(records, { campaignTag: 'newsletter' }).map((r) => (r as AnalyticsMessagesRow).campaign),
    ).toEqual(['pinpoint-c', 'may']);
    // A tag named like an Object.prototype member is read as an own property only.
    expect(rowsOf([ses({})], { campaignTag: 'toString' })[0]).not.toHaveProperty('campaign');
  });

  it('gives SMS, MMS, voice and RCS their country, and the status of those that failed, were rejected or blocked', () => {
    const rows = rowsOf([
      sms({ outcome: 'delivered', status: 'DELIVERED', country: 'US' }),
      sms({ outcome: 'rejected', status: 'CARRIER_BLOCKED', phone_country: 'GB' }),
      sms({ outcome: 'suppressed', status: 'PROTECT_BLOCKED', country: 'NG' }),
      sms({ channel: 'VOICE', family: 'voice', outcome: 'failed', status: 'BUSY', country: 'DE' }),
      sms({ channel: 'RCS', family: 'rcs', outcome: 'failed', status: 'UNDELIVERABLE', country: 'FR' }),
      // Email has no country or status column, whatever the record holds.
      ses({ outcome: 'failed', status: 'x', country: 'US' }),
    ]) as AnalyticsMessagesRow[];
    expect(rows.map((r) => [r.channel, r.outcome, r.status ?? null, r.country ?? null])).toEqual([
      ['SMS', 'delivered', null, 'US'],
      ['SMS', 'rejected', 'CARRIER_BLOCKED', 'GB'],
      ['SMS', 'suppressed', 'PROTECT_BLOCKED', 'NG'],
      ['VOICE', 'failed', 'BUSY', 'DE'],
      ['RCS', 'failed', 'UNDELIVERABLE', 'FR'],
      ['EMAIL', 'failed', null, null],
    ]);
  });

  it("counts a message's price once: on the final event of an SMS, MMS or voice message, on each RCS event", () => {
    // End User Messaging repeats a text's total price on each of its status events.
    const text = (outcome: NormalizedRecord['outcome'], is_final: boolean) =>
      sms({ outcome, is_final, country: 'US', price_usd: 0.00581, carrier_fee_usd: 0.00302 });
    const rcs = (outcome: NormalizedRecord['outcome'], is_final: boolean, price_usd: number) =>
      sms({ channel: 'RCS', family: 'rcs', outcome, is_final, country: 'US', price_usd, carrier_fee_usd: 0 });
    const rows = rowsOf([
      text('pending', false),
      text('sent', false),
      text('pending', false),
      text('delivered', true),
      // Pinpoint SMS events say nothing of finality: their price is the final event's.
      sms({ source: 'pinpoint', outcome: 'delivered', country: 'US', price_usd: 0.00645 }),
      // RCS: the delivery bills, the read that follows does not.
      rcs('delivered', false, 0.007),
      rcs('read', true, 0),
    ]) as AnalyticsMessagesRow[];
    const spend = (channel: string) =>
      rows.filter((r) => r.channel === channel).reduce((n, r) => n + (r.price_usd ?? 0), 0);
    expect(spend('SMS')).toBeCloseTo(0.00581 + 0.00645, 10);
    expect(spend('RCS')).toBeCloseTo(0.007, 10);
    // The counts are every event's.
    expect(rows.filter((r) => r.channel === 'SMS').reduce((n, r) => n + r.count, 0)).toBe(5);
    expect(rows.find((r) => r.outcome === 'pending')).not.toHaveProperty('price_usd');
    expect(rows.find((r) => r.outcome === 'delivered' && r.source === 'end_user_messaging')).toMatchObject({
      price_usd: 0.00581,
      carrier_fee_usd: 0.00302,
    });
  });

  it('counts only the delivered records, and quarantine rows in the batch hour', () => {
    const tally = new AnalyticsTally();
    const records = [sms({ price_usd: 1 }), sms({ price_usd: 2 }), sms({ price_usd: 4 })];
    records.forEach((r, i) => {
      tally.add(r, i * 2);
    });
    const { rows, merged } = tally.rows({
      delivered: (i) => i !== 2,
      quarantined: ['invalid_json', 'internal_error', 'invalid_json'],
      batchHour: { dt: '2026-12-06', hour: '23' },
      maxRows: 2000,
    });
    expect(merged).toBe(0);
    expect(rows).toEqual([
      {
        kind: 'quarantine',
        hour: '2026-12-06T23:00:00.000Z',
        reason: 'invalid_json',
        count: 2,
      },
      { kind: 'quarantine', hour: '2026-12-06T23:00:00.000Z', reason: 'internal_error', count: 1 },
      expect.objectContaining({ kind: 'messages', hour: '2026-12-07T09:00:00.000Z', count: 2, price_usd: 5 }),
    ]);
    expect(
      tally.rows({ delivered: () => false, batchHour: { dt: '2026-12-06', hour: '23' }, maxRows: 10 }).rows,
    ).toEqual([]);
  });

  it('is deterministic: the same records give the same rows, byte for byte', () => {
    const records = Array.from({ length: 200 }, (_, i) =>
      i % 3 === 0
        ? sms({ country: ['US', 'GB', 'DE'][(i % 7) % 3], price_usd: 0.001 * (i % 5) })
        : ses({ outcome: i % 2 === 0 ? 'delivered' : 'opened', attributes: { campaign: `c${i % 9}` } }),
    );
    const a = JSON.stringify(rowsOf(records, { maxRows: 12 }));
    expect(JSON.stringify(rowsOf(records, { maxRows: 12 }))).toBe(a);
    expect(JSON.stringify(rowsOf(records))).toBe(JSON.stringify(rowsOf(records)));
  });

  it('reads a record read back from a file as the contract allows: a bad hour, outcome or type never reaches a row', () => {
    const bogus = {
      ...ses({}),
      dt: '2026-02-30',
      outcome: 'lost',
      channel: 7,
      price_usd: '1.5',
      carrier_fee_usd: Number.NaN,
      attributes: 'campaign',
      source: '',
    } as unknown as NormalizedRecord;
    const [row] = rowsOf([bogus]);
    expect(row).toEqual({
      kind: 'messages',
      // The batch's hour: the record's does not exist.
      hour: '2026-12-07T09:00:00.000Z',
      source: 'unknown',
      family: 'email',
      configuration_set: 'marketing',
      outcome: 'other',
      count: 1,
    });
  });
});

describe('AnalyticsTally: the row bound (ANALYTICS_MAX_ROWS)', () => {
  /** 30 campaigns of 1 to 30 records, delivered, in one hour; and 5 SMS countries. */
  const records = [
    ...Array.from({ length: 30 }, (_, c) =>
      Array.from({ length: c + 1 }, () =>
        ses({
          outcome: 'delivered',
          app_id: undefined,
          attributes: { campaign: `c${String(c).padStart(2, '0')}` },
        }),
      ),
    ).flat(),
    ...['US', 'GB', 'DE', 'FR', 'IN'].map((country) =>
      sms({ country, price_usd: 0.5, carrier_fee_usd: 0.25 }),
    ),
  ];

  it('merges the groups with the fewest records, per hour, source, family, channel and outcome, into other rows', () => {
    const tally = new AnalyticsTally();
    records.forEach((r, i) => {
      tally.add(r, i);
    });
    const { rows, merged } = tally.rows({ batchHour: { dt: '2026-12-07', hour: '09' }, maxRows: 20 });
    expect(rows.length).toBeLessThanOrEqual(20);
    const others = rows.filter((r) => r.kind === 'messages' && r.other === true) as AnalyticsMessagesRow[];
    // Two buckets: SES email delivered (campaigns), and the SMS countries (all of one record).
    expect(others).toEqual([
      {
        kind: 'messages',
        hour: '2026-12-07T09:00:00.000Z',
        source: 'ses',
        family: 'email',
        channel: 'EMAIL',
        configuration_set: '(other)',
        campaign: '(other)',
        outcome: 'delivered',
        count: expect.any(Number),
        other: true,
      },
      {
        kind: 'messages',
        hour: '2026-12-07T09:00:00.000Z',
        source: 'end_user_messaging',
        family: 'sms',
        channel: 'SMS',
        configuration_set: '(other)',
        outcome: 'delivered',
        count: 5,
        price_usd: 2.5,
        carrier_fee_usd: 1.25,
        other: true,
      },
    ]);
    // The campaigns kept are the largest.
    const kept = rows
      .filter((r) => r.kind === 'messages' && r.other !== true && r.source === 'ses')
      .map((r) => (r as AnalyticsMessagesRow).campaign);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => `c${30 - kept.length + i}`));
    expect(merged).toBe((others[0] as AnalyticsMessagesRow).count + 5);
    // Nothing lost: every record is in a row.
    expect(rows.reduce((n, r) => n + r.count, 0)).toBe(records.length);
  });

  it('keeps a group as it is when merging it would save no row', () => {
    const one = [...records.slice(0, 3), sms({ country: 'US' })];
    const tally = new AnalyticsTally();
    one.forEach((r, i) => {
      tally.add(r, i);
    });
    // SES: c00 (1 record) and c01 (2): merging them saves one row; the lone SMS group would save none.
    const { rows, merged } = tally.rows({ batchHour: { dt: '2026-12-07', hour: '09' }, maxRows: 2 });
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ source: 'end_user_messaging', country: 'US', count: 1 });
    expect(rows[0]).not.toHaveProperty('other');
    expect(rows[1]).toMatchObject({ source: 'ses', campaign: '(other)', count: 3, other: true });
    expect(merged).toBe(3);
  });

  it('never goes below one row per hour, source, family, channel and outcome (and quarantine reason)', () => {
    const spread = ['00', '01', '02', '03'].flatMap((hour) =>
      (['delivered', 'opened'] as const).map((outcome) =>
        ses({ hour, outcome, attributes: { campaign: hour } }),
      ),
    );
    const tally = new AnalyticsTally();
    spread.forEach((r, i) => {
      tally.add(r, i);
    });
    const { rows, merged } = tally.rows({
      quarantined: ['invalid_json'],
      batchHour: { dt: '2026-12-07', hour: '00' },
      maxRows: 3,
    });
    // 8 groups, each alone in its hour and outcome: none can be merged into another.
    expect(rows).toHaveLength(9);
    expect(merged).toBe(0);
  });
});

describe('AnalyticsTally: no personal data, bounded work', () => {
  let settings: PipelineSettings;
  beforeAll(async () => {
    settings = (await testRuntime()).runtime.settings;
  });

  /** Raw events through the pipeline (hash mode, as deployed) into a tally: the rows as a batch writes them. */
  function pipelineRows(events: unknown[], tally = new AnalyticsTally()): AnalyticsRow[] {
    const inputs: InputRecord[] = events.map((e, i) => ({
      id: String(i),
      data: Buffer.from(JSON.stringify(e), 'utf8'),
      ingestMs: Date.parse('2026-12-07T09:30:00.000Z'),
    }));
    runPipeline(inputs, settings, { onRecord: (r, _i, index) => tally.add(r, index) });
    return tally.rows({ batchHour: { dt: '2026-12-07', hour: '09' }, maxRows: 2000 }).rows;
  }

  const ADDRESS = 'carmen.shopper@gmail.com';
  const PHONE = '+14255550111';

  const sesEvent = (tags: Record<string, string[]>, destination = ADDRESS) => ({
    eventType: 'Bounce',
    mail: {
      timestamp: '2026-12-07T09:00:00.000Z',
      source: 'orders@shop.example',
      messageId: 'm-1',
      destination: [destination],
      tags: { 'ses:configuration-set': ['marketing'], ...tags },
    },
    bounce: {
      bounceType: 'Permanent',
      bounceSubType: `General ${PHONE}`,
      bouncedRecipients: [{ emailAddress: destination }],
      timestamp: '2026-12-07T09:00:01.000Z',
    },
  });

  const smsEvent = (status: string) => ({
    eventType: 'TEXT_BLOCKED',
    eventTimestamp: Date.parse('2026-12-07T09:00:00.000Z'),
    destinationPhoneNumber: PHONE,
    originationPhoneNumber: '+12065550100',
    isoCountryCode: 'US',
    messageId: 'x-1',
    messageStatus: status,
    configurationSet: 'otp',
    context: { campaign: `promo for ${ADDRESS}` },
  });

  const planted = [
    sesEvent({ campaign: [ADDRESS] }),
    sesEvent({ campaign: ['spring-sale'] }, 'ceo@small-bakery.example'),
    smsEvent(PHONE),
    smsEvent(`blocked: ${ADDRESS}`),
  ];

  function expectNoPersonalData(rows: AnalyticsRow[]): void {
    const text = JSON.stringify(rows);
    for (const secret of [
      ADDRESS,
      PHONE,
      '4255550111',
      'carmen',
      'small-bakery',
      'gmail.com',
      'shop.example',
    ]) {
      expect(text).not.toContain(secret);
    }
  }

  it('writes protected values only: an address as campaign tag, a phone as status text, a business domain', () => {
    const rows = pipelineRows(planted) as AnalyticsMessagesRow[];
    expectNoPersonalData(rows);
    expect(rows.map((r) => [r.source, r.outcome, r.mailbox_provider ?? null])).toEqual([
      ['ses', 'bounced', 'gmail'],
      ['ses', 'bounced', 'other'],
      ['end_user_messaging', 'rejected', null],
      ['end_user_messaging', 'rejected', null],
    ]);
    // The campaign tag that held an address is its keyed token; the business's campaign is kept.
    expect(rows[0]?.campaign).toMatch(/^hmac:[0-9a-f]{32}$/);
    expect(rows[1]?.campaign).toBe('spring-sale');
    expect(rows[0]?.bounce_sub_type).toMatch(/^General hmac:[0-9a-f]{32}$|^hmac:[0-9a-f]{32}$/);
    expect(rows[2]?.status).toMatch(/^hmac:[0-9a-f]{32}$/);
  });

  it('protects them itself when the archive keeps raw personal data (PII_MODE=keep)', async () => {
    const keep = (await testRuntime({ PII_MODE: 'keep' })).runtime.settings;
    const tally = new AnalyticsTally({ piiMode: 'keep' });
    const inputs: InputRecord[] = planted.map((e, i) => ({
      id: String(i),
      data: Buffer.from(JSON.stringify(e), 'utf8'),
      ingestMs: Date.parse('2026-12-07T09:30:00.000Z'),
    }));
    const kept: NormalizedRecord[] = [];
    runPipeline(inputs, keep, {
      onRecord: (r, _i, index) => {
        kept.push(r);
        tally.add(r, index);
      },
    });
    // The records themselves hold the address: keep mode.
    expect(JSON.stringify(kept)).toContain(ADDRESS);
    const rows = tally.rows({ batchHour: { dt: '2026-12-07', hour: '09' }, maxRows: 2000 }).rows;
    expectNoPersonalData(rows);
    expect((rows[0] as AnalyticsMessagesRow).campaign).toBe('[email]');
    expect((rows[1] as AnalyticsMessagesRow).campaign).toBe('spring-sale');
  });

  it('keeps every value of a hostile record to 256 characters, in time linear in its size', () => {
    const huge = (n: number) => `${'a'.repeat(n)}`;
    const events = (n: number) =>
      Array.from({ length: 4 }, (_, i) => ({
        ...smsEvent(i + huge(n)),
        configurationSet: i + huge(n),
        isoCountryCode: i + huge(n),
        context: { campaign: i + huge(n) },
      }));
    const time = (n: number) => {
      const start = process.hrtime.bigint();
      const rows = pipelineRows(events(n));
      return { rows, ms: Number(process.hrtime.bigint() - start) / 1e6 };
    };
    time(1000);
    const small = time(250_000);
    const large = time(1_000_000);
    expect(large.rows).toHaveLength(4);
    for (const row of large.rows) {
      for (const value of Object.values(row)) {
        if (typeof value === 'string') expect(value.length).toBeLessThanOrEqual(256);
      }
      expect((row as AnalyticsMessagesRow).campaign).toMatch(/…\[truncated \d+ chars\]$/);
    }
    expect(JSON.stringify(large.rows).length).toBeLessThan(8 * 1024);
    // Four times the bytes: no more than a generous multiple of four times the time (the pipeline included).
    expect(large.ms).toBeLessThan(Math.max(50, small.ms) * 12);
  });
});
