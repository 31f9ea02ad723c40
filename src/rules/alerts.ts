import { createHash } from 'node:crypto';
import type { Family, NormalizedRecord, Source } from '../schema';
import type { CompiledRule } from './compileRules';
import type { Severity } from './ruleSchema';

/**
 * Fields of a record that may appear in an alert. Chosen so that no address, phone number, IP address or
 * free text (which may echo one) can reach an alert, whatever the PII mode.
 */
const SAMPLE_FIELDS = [
  'event_id',
  'event_type',
  'event_time',
  'app_id',
  'app_name',
  'channel',
  'campaign_id',
  'journey_id',
  'journey_activity_id',
  'message_id',
  'status',
  'status_code',
  'bounce_type',
  'bounce_sub_type',
  'complaint_type',
  'country',
  'email_domain',
  'phone_country',
  'recipient_hash',
] as const satisfies ReadonlyArray<keyof NormalizedRecord>;

export type AlertSample = Partial<Pick<NormalizedRecord, (typeof SAMPLE_FIELDS)[number]>>;

/** One message per rule per batch: a count, the spread, and a few redacted samples. */
export interface Alert {
  /** Deterministic: the same rule over the same records gives the same id, so a retried batch does not page twice. */
  alert_id: string;
  rule: string;
  severity: Severity;
  description?: string;
  count: number;
  source: Source;
  family: Family;
  event_type: string;
  app_id?: string;
  event_types: Record<string, number>;
  app_ids: string[];
  first_event_time?: string;
  last_event_time?: string;
  /** Where the records came from: stream/shard/sequence range or delivery stream and record ids. */
  batch: string;
  samples: AlertSample[];
}

/**
 * Aggregates per-record alert matches into one alert per rule, in the order rules first match. Records are
 * given in batch order.
 */
export function aggregateAlerts(
  matches: Iterable<{ record: NormalizedRecord; rules: readonly CompiledRule[] }>,
  batch: string,
  sampleSize: number,
): Alert[] {
  const byRule = new Map<string, { rule: CompiledRule; records: NormalizedRecord[] }>();
  for (const { record, rules } of matches) {
    for (const rule of rules) {
      let group = byRule.get(rule.name);
      if (group === undefined) {
        group = { rule, records: [] };
        byRule.set(rule.name, group);
      }
      group.records.push(record);
    }
  }
  return [...byRule.values()].map(({ rule, records }) => buildAlert(rule, records, batch, sampleSize));
}

function buildAlert(
  rule: CompiledRule,
  records: NormalizedRecord[],
  batch: string,
  sampleSize: number,
): Alert {
  const first = records[0] as NormalizedRecord;
  const hash = createHash('sha256').update(rule.name);
  const eventTypes: Record<string, number> = {};
  const appIds = new Set<string>();
  let firstTime: string | undefined;
  let lastTime: string | undefined;
  for (const r of records) {
    hash.update('\n').update(r.event_id);
    eventTypes[r.event_type] = (eventTypes[r.event_type] ?? 0) + 1;
    if (r.app_id !== undefined) appIds.add(r.app_id);
    const t = r.event_time;
    if (t !== undefined) {
      if (firstTime === undefined || t < firstTime) firstTime = t;
      if (lastTime === undefined || t > lastTime) lastTime = t;
    }
  }
  const alert: Alert = {
    alert_id: hash.digest('hex').slice(0, 32),
    rule: rule.name,
    severity: rule.severity ?? 'medium',
    count: records.length,
    source: first.source,
    family: first.family,
    event_type: first.event_type,
    event_types: eventTypes,
    app_ids: [...appIds].sort(),
    batch,
    samples: records.slice(0, sampleSize).map(sampleOf),
  };
  if (rule.description !== undefined) alert.description = rule.description;
  if (first.app_id !== undefined) alert.app_id = first.app_id;
  if (firstTime !== undefined) alert.first_event_time = firstTime;
  if (lastTime !== undefined) alert.last_event_time = lastTime;
  return alert;
}

function sampleOf(record: NormalizedRecord): AlertSample {
  const sample: Record<string, unknown> = {};
  for (const key of SAMPLE_FIELDS) {
    const v = record[key];
    if (v !== undefined) sample[key] = v;
  }
  return sample as AlertSample;
}
