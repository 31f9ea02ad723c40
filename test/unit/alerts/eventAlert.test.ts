import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Alert, aggregateAlerts, boundAlert } from '../../../src/alerts/eventAlert';
import type { JsonObject } from '../../../src/decode';
import { normalizeEvent } from '../../../src/normalize';
import { PiiProtector } from '../../../src/pii';
import { type CompiledRule, compileRules } from '../../../src/rules/compileRules';
import { routeRecord } from '../../../src/rules/route';
import type { NormalizedRecord } from '../../../src/schema';
import { normalizedRecord } from '../../helpers/factories';
import { loadRules } from '../../helpers/rules';

const record = (overrides: Partial<NormalizedRecord> = {}): NormalizedRecord =>
  normalizedRecord({
    event_type: '_email.hardbounce',
    outcome: 'bounced',
    event_time: '2025-11-20T14:00:00.000Z',
    app_id: 'app-1',
    ...overrides,
  });

const [bounce, complaint, anything] = compileRules([
  {
    name: 'bounce',
    description: 'hard bounces',
    match: { event_type: '*bounce*' },
    action: 'alert',
    severity: 'high',
  },
  { name: 'complaint', match: { event_type: '*complaint*' }, action: 'alert', severity: 'low' },
  { name: 'anything', match: { source: 'pinpoint' }, action: 'alert', severity: 'info' },
]) as [CompiledRule, CompiledRule, CompiledRule];

type Match = { record: NormalizedRecord; rules: readonly CompiledRule[] };

/** Matches as the pipeline builds them: each record with the alert rules it matched, in rule order. */
function matchesOf(records: NormalizedRecord[], rules: readonly CompiledRule[]): Match[] {
  return records.map((r) => ({ record: r, rules: rules.filter((rule) => rule.matches(r)) }));
}

const idsOf = (records: NormalizedRecord[], rule: CompiledRule = bounce) =>
  aggregateAlerts(matchesOf(records, [rule]), 'batch', 3).map((a) => a.alert_id);

describe('aggregateAlerts', () => {
  it('makes one alert per rule for the whole batch, standing for its records in batch order', () => {
    const records = [
      record({ event_id: 'a' }),
      record({ event_id: 'b', event_type: '_email.complaint', outcome: 'complained' }),
      record({ event_id: 'c' }),
    ];
    const groups = aggregateAlerts(matchesOf(records, [bounce, complaint]), 'stream/shard-0', 3);
    expect(groups.map((g) => [g.rule, g.count, g.samples.map((x) => x.event_id)])).toEqual([
      ['bounce', 2, ['a', 'c']],
      ['complaint', 1, ['b']],
    ]);
  });

  it('counts event types, lists apps once, sorted, and spans the event times', () => {
    const records = [
      record({ event_id: 'a', app_id: 'zeta', event_time: '2025-11-20T14:05:00.000Z' }),
      record({
        event_id: 'b',
        app_id: 'alpha',
        event_type: 'Bounce',
        event_time: '2025-11-20T13:59:00.000Z',
      }),
      record({ event_id: 'c', app_id: 'zeta', event_time: '2025-11-20T14:10:00.000Z' }),
      record({ event_id: 'd', event_type: 'Bounce' }),
    ];
    delete records[3]?.app_id;
    delete records[3]?.event_time;
    const [group] = aggregateAlerts(matchesOf(records, [bounce]), 'batch-1', 3);
    expect(group).toMatchObject({
      rule: 'bounce',
      severity: 'high',
      description: 'hard bounces',
      count: 4,
      source: 'pinpoint',
      family: 'email',
      event_type: '_email.hardbounce',
      app_id: 'zeta',
      app_ids: ['alpha', 'zeta'],
      first_event_time: '2025-11-20T13:59:00.000Z',
      last_event_time: '2025-11-20T14:10:00.000Z',
      batch: 'batch-1',
    });
    expect(group?.event_types).toEqual({ '_email.hardbounce': 2, Bounce: 2 });
  });

  it('leaves out the app, the time span and the description when there are none', () => {
    const r = record({ event_type: '_email.complaint', outcome: 'complained' });
    delete r.app_id;
    delete r.event_time;
    const [group] = aggregateAlerts(matchesOf([r], [complaint]), 'b', 3);
    expect(group?.rule).toBe('complaint');
    expect(group?.app_ids).toEqual([]);
    expect(group).not.toHaveProperty('app_id');
    expect(group).not.toHaveProperty('first_event_time');
    expect(group).not.toHaveProperty('last_event_time');
    expect(group).not.toHaveProperty('description');
  });

  it('keeps at most sampleSize samples, the first records of the batch', () => {
    const records = ['a', 'b', 'c', 'd', 'e'].map((id) => record({ event_id: id }));
    const sampled = (size: number) =>
      aggregateAlerts(matchesOf(records, [bounce]), 'b', size)[0]?.samples.map((s) => s.event_id);
    expect(sampled(3)).toEqual(['a', 'b', 'c']);
    expect(sampled(10)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(sampled(0)).toEqual([]);
  });

  it("says it is an event rule's alert (kind: event), first, and keeps it when bounded", () => {
    const [alert] = aggregateAlerts(matchesOf([record()], [bounce]), 'batch', 3);
    expect(alert?.kind).toBe('event');
    expect(Object.keys(alert ?? {})[0]).toBe('kind');
    expect(boundAlert(alert as Alert).kind).toBe('event');
    // An alert read back from before kinds existed is an event alert, and says so once bounded.
    const { kind: _, ...older } = alert as Alert;
    expect(boundAlert(older as Alert).kind).toBe('event');
  });

  it('returns nothing for a batch without matches', () => {
    expect(aggregateAlerts([], 'b', 3)).toEqual([]);
    expect(aggregateAlerts(matchesOf([record({ event_type: 'x' })], [bounce]), 'b', 3)).toEqual([]);
  });

  describe('bounds', () => {
    it('lists the 10 most frequent event types and counts the records of the others', () => {
      const records = Array.from({ length: 15 }, (_, t) =>
        Array.from({ length: t + 1 }, (_, i) => record({ event_id: `${t}-${i}`, event_type: `type-${t}` })),
      ).flat();
      const [group] = aggregateAlerts(matchesOf(records, [anything]), 'b', 3);
      expect(group?.event_types).toEqual(
        Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`type-${14 - i}`, 15 - i])),
      );
      expect(group?.event_types_other).toBe(1 + 2 + 3 + 4 + 5);
      expect(group?.count).toBe(120);
    });

    it('lists the 10 apps with the most records, sorted, and counts the others', () => {
      const records = Array.from({ length: 12 }, (_, a) =>
        Array.from({ length: a + 1 }, (_, i) =>
          record({ event_id: `${a}-${i}`, app_id: `app-${String(a).padStart(2, '0')}` }),
        ),
      ).flat();
      const [group] = aggregateAlerts(matchesOf(records, [anything]), 'b', 3);
      expect(group?.app_ids).toEqual(
        Array.from({ length: 10 }, (_, i) => `app-${String(i + 2).padStart(2, '0')}`),
      );
      expect(group?.app_ids_other).toBe(2);
    });

    it('leaves out the counts of the others when every type and app is listed', () => {
      const [group] = aggregateAlerts(matchesOf([record()], [anything]), 'b', 3);
      expect(group).not.toHaveProperty('event_types_other');
      expect(group).not.toHaveProperty('app_ids_other');
    });

    it('counts an event type named __proto__ like any other', () => {
      const [group] = aggregateAlerts(matchesOf([record({ event_type: '__proto__' })], [anything]), 'b', 3);
      expect(Object.entries(group?.event_types ?? {})).toEqual([['__proto__', 1]]);
      expect(JSON.parse(JSON.stringify(group)).event_types).toEqual(JSON.parse('{"__proto__":1}'));
    });

    it('truncates every text from the data to 256 characters with a marker saying how much was cut', () => {
      const long = (c: string) => c.repeat(140_000);
      const r = record({
        event_type: long('t'),
        app_id: long('a'),
        bounce_sub_type: long('b'),
        status: long('s'),
        event_time: long('2'),
      });
      const [group] = aggregateAlerts(matchesOf([r], [anything]), long('B'), 3);
      const texts = [
        group?.event_type,
        group?.app_id,
        group?.first_event_time,
        group?.last_event_time,
        ...Object.keys(group?.event_types ?? {}),
        ...(group?.app_ids ?? []),
        group?.samples[0]?.event_type,
        group?.samples[0]?.app_id,
        group?.samples[0]?.bounce_sub_type,
        group?.samples[0]?.status,
      ];
      for (const text of texts) {
        expect(text).toHaveLength(256);
        expect(text).toMatch(/^(.)\1+…\[truncated 139769 chars\]$/);
      }
      expect(group?.batch).toHaveLength(1024);
      expect(group?.batch).toMatch(/…\[truncated \d+ chars\]$/);
      expect(JSON.stringify(group).length).toBeLessThan(8000);
    });

    it('truncates the description to 1024 characters', () => {
      const [described] = compileRules([
        {
          name: 'd',
          description: 'x'.repeat(5000),
          match: { source: 'pinpoint' },
          action: 'alert',
          severity: 'low',
        },
      ]);
      const [group] = aggregateAlerts(matchesOf([record()], [described as CompiledRule]), 'b', 3);
      expect(group?.description).toHaveLength(1024);
      expect(group?.description).toMatch(/^x+…\[truncated 3999 chars\]$/);
    });

    it('never cuts a surrogate pair in two', () => {
      for (const pad of ['', 'x']) {
        const [group] = aggregateAlerts(
          matchesOf([record({ event_type: pad + '\u{1F600}'.repeat(1000) })], [anything]),
          'b',
          3,
        );
        const type = group?.event_type ?? '';
        const kept = type.slice(0, type.indexOf('…'));
        expect(kept).toBe(pad + '\u{1F600}'.repeat((kept.length - pad.length) / 2));
      }
    });

    it('is idempotent and leaves a bounded alert as it is', () => {
      const r = record({ event_type: 'x'.repeat(10_000), status: 'y'.repeat(10_000) });
      const [group] = aggregateAlerts(matchesOf([r], [anything]), 'b', 3);
      expect(boundAlert(group as Alert)).toEqual(group);
    });

    it('keeps the alert id, which depends on the rule and the event ids only', () => {
      const small = idsOf([record({ event_id: 'a' })], anything);
      const huge = idsOf([record({ event_id: 'a', event_type: 'x'.repeat(1 << 20) })], anything);
      expect(huge).toEqual(small);
    });
  });

  describe('order', () => {
    it('lists the rules a record matched in rule order', () => {
      const groups = aggregateAlerts(matchesOf([record()], [bounce, anything]), 'b', 3);
      expect(groups.map((g) => g.rule)).toEqual(['bounce', 'anything']);
      const reversed = aggregateAlerts(matchesOf([record()], [anything, bounce]), 'b', 3);
      expect(reversed.map((g) => g.rule)).toEqual(['anything', 'bounce']);
    });

    it('lists rules in the order they first match in the batch', () => {
      const records = [
        record({ event_id: 'a', event_type: '_email.complaint' }),
        record({ event_id: 'b' }),
        record({ event_id: 'c', event_type: '_email.complaint' }),
      ];
      const groups = aggregateAlerts(matchesOf(records, [bounce, complaint]), 'b', 3);
      expect(groups.map((g) => [g.rule, g.samples.map((x) => x.event_id)])).toEqual([
        ['complaint', ['a', 'c']],
        ['bounce', ['b']],
      ]);
    });
  });

  describe('alert_id', () => {
    const batch = () => [record({ event_id: 'a' }), record({ event_id: 'b' })];

    it('is the same for the same rule over the same records, whatever else changes', () => {
      const id = idsOf(batch());
      expect(id).toHaveLength(1);
      expect(id[0]).toMatch(/^[0-9a-f]{32}$/);
      expect(idsOf(batch())).toEqual(id);
      const retried = batch().map((r) => ({ ...r, ingest_time: '2025-11-21T00:00:00.000Z' }));
      expect(idsOf(retried)).toEqual(id);
    });

    it('differs when a record differs, is added or is missing', () => {
      const id = idsOf(batch())[0];
      expect(idsOf([record({ event_id: 'a' }), record({ event_id: 'c' })])[0]).not.toBe(id);
      expect(idsOf([...batch(), record({ event_id: 'c' })])[0]).not.toBe(id);
      expect(idsOf([record({ event_id: 'a' })])[0]).not.toBe(id);
    });

    it('differs between rules over the same records', () => {
      const records = batch();
      const groups = aggregateAlerts(matchesOf(records, [bounce, anything]), 'b', 3);
      expect(groups).toHaveLength(2);
      expect(groups[0]?.alert_id).not.toBe(groups[1]?.alert_id);
    });

    it('does not run the rule name into the first event id', () => {
      const [ab] = compileRules([
        { name: 'ab', match: { source: 'pinpoint' }, action: 'alert', severity: 'low' },
      ]);
      const [a] = compileRules([
        { name: 'a', match: { source: 'pinpoint' }, action: 'alert', severity: 'low' },
      ]);
      expect(idsOf([record({ event_id: 'c' })], ab as CompiledRule)).not.toEqual(
        idsOf([record({ event_id: 'bc' })], a as CompiledRule),
      );
    });
  });

  describe('samples', () => {
    const FORBIDDEN = [
      'recipient',
      'sender',
      'sender_hash',
      'ip_address',
      'ip_hash',
      'status_message',
      'reject_reason',
      'link',
      'user_agent',
      'attributes',
      'metrics',
      'endpoint_id',
      'user_id',
    ];

    it('carry identifiers and derived fields but no address, number, IP or free text', () => {
      const r = record({
        campaign_id: 'camp-1',
        message_id: 'msg-1',
        status: 'Permanent',
        bounce_type: 'permanent',
        bounce_sub_type: 'General',
        email_domain: 'example.com',
        recipient_hash: 'f'.repeat(32),
        recipient: 'jane.doe@example.com',
        sender: 'news@example.org',
        sender_hash: 'e'.repeat(32),
        ip_address: '203.0.113.7',
        ip_hash: 'd'.repeat(32),
        status_message: '550 5.1.1 <jane.doe@example.com>: user unknown',
        reject_reason: 'Bad content for +12065550100',
        link: 'https://example.com/?u=jane.doe@example.com',
        user_agent: 'Mozilla/5.0',
        endpoint_id: 'endpoint-1',
        user_id: 'user-1',
        attributes: { email: 'jane.doe@example.com' },
        metrics: { n: 1 },
      });
      const [group] = aggregateAlerts(matchesOf([r], [bounce]), 'b', 3);
      const sample = group?.samples[0];
      expect(sample).toMatchObject({
        event_id: 'e-1',
        event_type: '_email.hardbounce',
        campaign_id: 'camp-1',
        message_id: 'msg-1',
        bounce_type: 'permanent',
        email_domain: 'example.com',
        recipient_hash: 'f'.repeat(32),
      });
      for (const key of FORBIDDEN) expect(sample).not.toHaveProperty(key);
      const text = JSON.stringify(group);
      expect(text).not.toContain('jane.doe');
      expect(text).not.toContain('news@');
      expect(text).not.toContain('203.0.113.7');
      expect(text).not.toContain('+1206');
      expect(text).not.toContain('Mozilla');
    });

    it('leak no personal data from any real sample, even with PII kept in the records', () => {
      const pii = new PiiProtector('keep', Buffer.from('test-key-0123456789'));
      const rules = loadRules(undefined);
      const matches: Match[] = [];
      let n = 0;
      for (const file of ['app', 'campaign', 'journey', 'email', 'sms', 'eum', 'ses']) {
        const events = JSON.parse(
          readFileSync(join(__dirname, '../../../events/raw', `${file}.json`), 'utf8'),
        ) as JsonObject[];
        for (const event of events) {
          const r = normalizeEvent(event, { eventId: `e-${n}`, ingestMs: 1763650000000, pii });
          const { alerts } = routeRecord(r, rules);
          if (alerts.length > 0) matches.push({ record: r, rules: alerts });
          n++;
        }
      }
      const groups = aggregateAlerts(matches, 'samples', 20);
      expect(groups.length).toBeGreaterThan(10);
      // In keep mode the records do carry addresses: the check below is not vacuous.
      expect(matches.some((m) => m.record.recipient?.includes('@'))).toBe(true);
      expect(matches.some((m) => m.record.recipient?.startsWith('+'))).toBe(true);
      for (const alert of groups) {
        for (const sample of alert.samples)
          for (const key of FORBIDDEN) expect(sample).not.toHaveProperty(key);
        const text = JSON.stringify(alert);
        expect(text).not.toMatch(/[^\s"@]+@[^\s"@]+\.[a-z]{2,}/i);
        expect(text).not.toMatch(/\+[1-9]\d{6,14}/);
        expect(text).not.toMatch(/\b(?:\d{1,3}\.){3}\d{1,3}\b/);
      }
    });
  });
});
