import type { Alert, AlertSample } from '../../../src/alerts/eventAlert';
import type { RateAlert } from '../../../src/alerts/rateAlert';

/** A small, valid alert (as aggregateAlerts makes them), with the given fields replaced. */
export function testAlert(extra: Partial<Alert> = {}, i = 1): Alert {
  return {
    kind: 'event',
    alert_id: i.toString(16).padStart(32, '0'),
    rule: `rule-${i % 3}`,
    severity: 'high',
    count: 2,
    source: 'pinpoint',
    family: 'email',
    event_type: '_email.hardbounce',
    app_id: 'app-1',
    event_types: { '_email.hardbounce': 2 },
    app_ids: ['app-1'],
    batch: 'kinesis:s/shard/1..2',
    samples: [{ event_id: 'e1', email_domain: 'example.com', recipient_hash: 'ab'.repeat(16) }],
    ...extra,
  };
}

/** A small, valid rate alert (as counterAlert makes them), with the given fields replaced. */
export function testRateAlert(extra: Partial<RateAlert> = {}, i = 1): RateAlert {
  return {
    kind: 'rate',
    alert_id: `f${i.toString(16).padStart(31, '0')}`,
    rule: 'email-bounce-rate-high',
    severity: 'high',
    description: 'Email bounce rate at 5% or more',
    window: { start: '2026-11-30T10:00:00.000Z', end: '2026-11-30T10:05:00.000Z' },
    group_by: ['app_id', 'configuration_set'],
    group: { app_id: null, configuration_set: `set-${i}` },
    numerator: 31,
    denominator: 500,
    rate: 0.062,
    threshold: 0.05,
    min_volume: 200,
    numerator_outcomes: ['bounced'],
    denominator_outcomes: ['delivered', 'bounced'],
    counts: { delivered: 469, bounced: 31 },
    groups_alerting: 1,
    batch: 'kinesis:events/shardId-000000000001',
    ...extra,
  };
}

/** Sample fields that hold text from the data. */
const TEXT_FIELDS = [
  'event_type',
  'app_id',
  'app_name',
  'campaign_id',
  'journey_id',
  'journey_activity_id',
  'message_id',
  'status',
  'status_code',
  'bounce_sub_type',
  'complaint_type',
  'country',
  'email_domain',
  'phone_country',
  'recipient_hash',
] as const;

/**
 * A sample whose every text field is `length` characters of `unit` — a control character takes 6 bytes in
 * JSON, a CJK character 3 in UTF-8 — as a record with hostile values would give.
 */
export function hugeSample(i: number, unit = '\u0001', length = 5_000): AlertSample {
  const sample: Record<string, string> = { event_id: `e-${i}` };
  for (const field of TEXT_FIELDS) sample[field] = unit.repeat(length);
  return sample as AlertSample;
}
