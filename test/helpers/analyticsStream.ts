import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AnalyticsMessagesRow, AnalyticsRow } from '../../src/analytics/analyticsRow';

/**
 * A seeded stream of analytics rows (docs/analytics.md) as a busy account's batches would write them: email
 * through SES configuration sets, SMS and voice through End User Messaging with prices, Pinpoint push campaigns
 * and journeys, quarantine rows, and rate alerts (with event alerts, which the report must skip) — written as
 * objects under `analytics/` and `alerts/` of a folder. The same seed writes the same bytes.
 */

export interface StreamOptions {
  seed: number;
  /** First hour, ISO (`2026-11-01T00:00:00.000Z`). */
  start: string;
  hours: number;
  objectsPerHour: number;
  rowsPerObject: number;
  campaigns?: number;
  configurationSets?: number;
  journeys?: number;
  /** Hours (0-based from `start`) whose email bounces and complaints spike past the SES thresholds. */
  spikes?: readonly number[];
  /** Extra campaign names to draw from (user text: the injection test puts markup here). */
  extraCampaigns?: readonly string[];
  /** Rate alerts written per day (0: none). */
  alertsPerDay?: number;
}

export interface StreamTotals {
  objects: number;
  rows: number;
  records: number;
  quarantined: number;
  outcomes: Record<string, number>;
  rateAlerts: number;
}

/** mulberry32: a small seeded generator, uniform in [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PROVIDERS = [
  'gmail',
  'microsoft',
  'yahoo',
  'apple',
  'other',
  'other',
  'other',
  'proton',
  'gmx',
  'comcast',
];
const COUNTRIES = ['US', 'US', 'US', 'GB', 'DE', 'FR', 'IN', 'BR', 'MX', 'CA', 'AU', 'JP', 'ES', 'IT', 'NL'];
const BOUNCE_SUB = [
  ['permanent', 'General'],
  ['permanent', 'NoEmail'],
  ['permanent', 'Suppressed'],
  ['transient', 'MailboxFull'],
  ['transient', 'General'],
  ['undetermined', 'Undetermined'],
] as const;
const COMPLAINT = ['abuse', 'not-spam', 'other', 'fraud'];
const SMS_FAILED = ['UNREACHABLE', 'INVALID', 'TTL_EXPIRED', 'CARRIER_UNREACHABLE', 'INVALID_MESSAGE'];
const SMS_REJECTED = ['BLOCKED', 'SPAM', 'CARRIER_BLOCKED'];
const VOICE_FAILED = ['BUSY', 'NO_ANSWER', 'FAILED', 'TTL_EXPIRED'];
const REASONS = ['invalid_json', 'not_an_object', 'missing_event_type', 'invalid_utf8', 'internal_error'];

/** Writes the stream into `dir` (analytics/ and alerts/) and returns its totals. */
export function writeStream(dir: string, opts: StreamOptions): StreamTotals {
  const rand = seeded(opts.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const campaigns = [
    ...Array.from({ length: opts.campaigns ?? 40 }, (_, i) => `campaign-${String(i).padStart(3, '0')}`),
    ...(opts.extraCampaigns ?? []),
  ];
  const sets = Array.from({ length: opts.configurationSets ?? 6 }, (_, i) => `config-set-${i}`);
  const journeys = Array.from(
    { length: opts.journeys ?? 12 },
    (_, i) => `journey-${i.toString(16).padStart(8, 'a')}`,
  );
  const spikes = new Set(opts.spikes ?? []);
  const totals: StreamTotals = {
    objects: 0,
    rows: 0,
    records: 0,
    quarantined: 0,
    outcomes: {},
    rateAlerts: 0,
  };
  const startMs = Date.parse(opts.start);

  for (let h = 0; h < opts.hours; h++) {
    const hour = new Date(startMs + h * 3_600_000).toISOString();
    const dt = hour.slice(0, 10);
    const hh = hour.slice(11, 13);
    // Daytime is busier.
    const load = 0.4 + 0.6 * Math.sin(((Number(hh) - 6) / 24) * Math.PI * 2) ** 2;
    const spike = spikes.has(h);
    for (let o = 0; o < opts.objectsPerHour; o++) {
      const rows: AnalyticsRow[] = [];
      for (let r = 0; r < opts.rowsPerObject; r++) {
        const kind = rand();
        const count = Math.max(1, Math.round(int(1, 60) * load));
        if (kind < 0.02) {
          rows.push({ kind: 'quarantine', hour, reason: pick(REASONS), count: int(1, 3) });
          continue;
        }
        let row: AnalyticsMessagesRow;
        if (kind < 0.6) {
          const x = rand();
          const bounceShare = spike ? 0.3 : 0.008;
          const complaintShare = spike ? 0.04 : 0.0004;
          const outcome =
            x < 0.3
              ? 'sent'
              : x < 0.3 + 0.33
                ? 'delivered'
                : x < 0.63 + bounceShare
                  ? 'bounced'
                  : x < 0.63 + bounceShare + complaintShare
                    ? 'complained'
                    : x < 0.86
                      ? 'opened'
                      : x < 0.93
                        ? 'clicked'
                        : x < 0.95
                          ? 'rejected'
                          : x < 0.96
                            ? 'failed'
                            : 'delayed';
          row = {
            kind: 'messages',
            hour,
            source: 'ses',
            family: 'email',
            channel: 'EMAIL',
            configuration_set: pick(sets),
            ...(rand() < 0.85 && { campaign: pick(campaigns) }),
            outcome,
            mailbox_provider: pick(PROVIDERS),
            count: outcome === 'complained' ? 1 : count,
          };
          if (outcome === 'bounced') {
            const [bounce_type, bounce_sub_type] = pick(BOUNCE_SUB);
            row.bounce_type = bounce_type;
            row.bounce_sub_type = bounce_sub_type;
          }
          if (outcome === 'complained') row.complaint_type = pick(COMPLAINT);
        } else if (kind < 0.85) {
          const x = rand();
          const outcome =
            x < 0.35
              ? 'sent'
              : x < 0.8
                ? 'delivered'
                : x < 0.9
                  ? 'failed'
                  : x < 0.95
                    ? 'rejected'
                    : 'pending';
          const price = outcome === 'sent' || outcome === 'delivered' ? 0.00581 : 0;
          row = {
            kind: 'messages',
            hour,
            source: 'end_user_messaging',
            family: 'sms',
            channel: 'SMS',
            configuration_set: pick(['otp', 'alerts', 'marketing-sms']),
            ...(rand() < 0.5 && { campaign: pick(campaigns) }),
            outcome,
            country: pick(COUNTRIES),
            count,
          };
          if (outcome === 'failed') row.status = pick(SMS_FAILED);
          if (outcome === 'rejected') row.status = pick(SMS_REJECTED);
          if (price > 0) {
            row.price_usd = Math.round(price * count * 1e6) / 1e6;
            row.carrier_fee_usd = Math.round(0.0003 * count * 1e6) / 1e6;
          }
        } else if (kind < 0.9) {
          const x = rand();
          const outcome = x < 0.3 ? 'sent' : x < 0.8 ? 'delivered' : 'failed';
          row = {
            kind: 'messages',
            hour,
            source: 'end_user_messaging',
            family: 'voice',
            channel: 'VOICE',
            configuration_set: 'voice-otp',
            outcome,
            country: pick(COUNTRIES.slice(0, 6)),
            count: Math.max(1, Math.round(count / 4)),
          };
          if (outcome === 'failed') row.status = pick(VOICE_FAILED);
          if (outcome === 'delivered') row.price_usd = Math.round(0.013 * row.count * 1e6) / 1e6;
        } else {
          const journey = rand() < 0.5;
          row = {
            kind: 'messages',
            hour,
            source: 'pinpoint',
            family: journey ? 'journey' : 'campaign',
            channel: 'PUSH',
            app_id: 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6',
            ...(journey ? { journey_id: pick(journeys) } : { campaign: pick(campaigns) }),
            outcome: pick(['sent', 'received', 'received', 'opened', 'suppressed']),
            count,
          };
        }
        rows.push(row);
      }
      const key = `analytics/dt=${dt}/hour=${hh}/kinesis/busy-stream/shardId-${String(o).padStart(12, '0')}_${h}.jsonl.gz`;
      write(dir, key, gzipSync(rows.map((x) => `${JSON.stringify(x)}\n`).join('')));
      totals.objects++;
      totals.rows += rows.length;
      for (const x of rows) {
        if (x.kind === 'quarantine') totals.quarantined += x.count;
        else {
          totals.records += x.count;
          totals.outcomes[x.outcome as string] = (totals.outcomes[x.outcome as string] ?? 0) + x.count;
        }
      }
    }
    // Rate alerts once a day at noon, and one event alert beside them (which the report skips).
    if (hh === '12' && (opts.alertsPerDay ?? 0) > 0) {
      const lines: string[] = [];
      for (let i = 0; i < (opts.alertsPerDay ?? 0); i++) {
        const set = pick(sets);
        const numerator = int(10, 40);
        const denominator = int(200, 400);
        lines.push(
          JSON.stringify({
            kind: 'rate',
            alert_id: `${opts.seed}-${h}-${i}`,
            rule: 'email-bounce-rate-high',
            severity: 'high',
            window: { start: hour, end: new Date(Date.parse(hour) + 300_000).toISOString() },
            group_by: ['app_id', 'configuration_set'],
            group: { app_id: null, configuration_set: set },
            numerator,
            denominator,
            rate: numerator / denominator,
            threshold: 0.05,
            min_volume: 200,
            numerator_outcomes: ['bounced'],
            denominator_outcomes: ['delivered', 'bounced'],
            counts: { bounced: numerator, delivered: denominator - numerator },
            groups_alerting: 1,
            batch: 'kinesis:busy-stream/shardId-000000000000/window',
          }),
        );
        totals.rateAlerts++;
      }
      lines.push(
        JSON.stringify({
          kind: 'event',
          alert_id: `event-${h}`,
          rule: 'ses-complaint',
          severity: 'high',
          count: 1,
        }),
      );
      write(dir, `alerts/dt=${dt}/hour=${hh}/kinesis/busy-stream/window-${h}.jsonl`, `${lines.join('\n')}\n`);
    }
  }
  return totals;
}

function write(dir: string, key: string, data: string | Buffer): void {
  const path = join(dir, key);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}
