import { createHash } from 'node:crypto';
import type { CompiledRule } from '../rules/compileRules';
import type { Severity } from '../rules/ruleSchema';
import type { Family, NormalizedRecord, Source } from '../schema';
import { truncateText } from '../truncateText';

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

/** Longest text an alert copies from the data (event types, app ids, sample values…), truncation marker included. */
export const MAX_ALERT_TEXT = 256;
/** Longest rule description and batch label an alert carries. */
export const MAX_ALERT_DESCRIPTION = 1024;
/** Most event types and apps an alert lists by name; the others are counted. */
export const MAX_ALERT_LISTED = 10;

/**
 * An event alert: one per rule per batch, with a count, the spread, and a few redacted samples. Bounded: see
 * boundAlert. Rate rules alert with a RateAlert (rateAlert.ts); AnyAlert (anyAlert.ts) is either kind. How it
 * reads for a person is alertText.ts'; how a transport carries it is its sink's (src/sinks/).
 */
export interface Alert {
  /**
   * `event`: an alert of an event rule, as opposed to a rate alert (`kind: 'rate'`, rateAlert.ts). Sinks and
   * subscribers tell the two apart by it (an attribute of the alert's text: alertAttributes).
   */
  kind: 'event';
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
  /** Records per event type, for the MAX_ALERT_LISTED most frequent types. */
  event_types: Record<string, number>;
  /** Records whose event type is not listed in `event_types`. */
  event_types_other?: number;
  /** The MAX_ALERT_LISTED apps with the most records, sorted. */
  app_ids: string[];
  /** Apps not listed in `app_ids`. */
  app_ids_other?: number;
  first_event_time?: string;
  last_event_time?: string;
  /** Where the records came from: stream/shard/sequence range or delivery stream and record ids. */
  batch: string;
  samples: AlertSample[];
  /**
   * Samples a transport left out so that the alert fits its message size limit (fitAlert; the SNS sink's
   * 256 KiB). Absent while every sample is there.
   */
  samples_omitted?: number;
}

/**
 * Aggregates per-record alert matches into one alert per rule, in the order rules first match. Records are
 * given in batch order. The alerts are bounded (boundAlert) whatever the records hold.
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
  // Maps, not objects: an event type named __proto__ is data like any other.
  const eventTypes = new Map<string, number>();
  const apps = new Map<string, number>();
  let firstTime: string | undefined;
  let lastTime: string | undefined;
  for (const r of records) {
    hash.update('\n').update(r.event_id);
    eventTypes.set(r.event_type, (eventTypes.get(r.event_type) ?? 0) + 1);
    if (r.app_id !== undefined) apps.set(r.app_id, (apps.get(r.app_id) ?? 0) + 1);
    const t = r.event_time;
    if (t !== undefined) {
      if (firstTime === undefined || t < firstTime) firstTime = t;
      if (lastTime === undefined || t > lastTime) lastTime = t;
    }
  }
  const types = mostFrequent(eventTypes);
  const topApps = mostFrequent(apps);
  const alert: Alert = {
    kind: 'event',
    alert_id: hash.digest('hex').slice(0, 32),
    rule: rule.name,
    severity: rule.severity ?? 'medium',
    count: records.length,
    source: first.source,
    family: first.family,
    event_type: first.event_type,
    event_types: Object.fromEntries(types.listed),
    app_ids: topApps.listed.map(([id]) => id).sort(),
    batch,
    samples: records.slice(0, sampleSize).map(sampleOf),
  };
  if (types.others > 0) alert.event_types_other = types.others;
  if (topApps.rest > 0) alert.app_ids_other = topApps.rest;
  if (rule.description !== undefined) alert.description = rule.description;
  if (first.app_id !== undefined) alert.app_id = first.app_id;
  if (firstTime !== undefined) alert.first_event_time = firstTime;
  if (lastTime !== undefined) alert.last_event_time = lastTime;
  return boundAlert(alert);
}

/** The MAX_ALERT_LISTED keys with the highest counts (ties by key), the sum of the others' counts and how many they are. */
function mostFrequent(counts: ReadonlyMap<string, number>): {
  listed: Array<[string, number]>;
  others: number;
  rest: number;
} {
  const sorted = [...counts].sort(([a, m], [b, n]) => n - m || (a < b ? -1 : a > b ? 1 : 0));
  const listed = sorted.slice(0, MAX_ALERT_LISTED);
  let others = 0;
  for (const [, n] of sorted.slice(MAX_ALERT_LISTED)) others += n;
  return { listed, others, rest: sorted.length - listed.length };
}

function sampleOf(record: NormalizedRecord): AlertSample {
  const sample: Record<string, unknown> = {};
  for (const key of SAMPLE_FIELDS) {
    const v = record[key];
    if (v !== undefined) sample[key] = v;
  }
  return sample as AlertSample;
}

/**
 * The alert with every text that comes from the data — event types, app ids, source, family, times, sample
 * values — cut to MAX_ALERT_TEXT characters, the description and the batch label to MAX_ALERT_DESCRIPTION,
 * each with a visible marker (`…[truncated 140000 chars]`), and event types and apps to the MAX_ALERT_LISTED
 * most frequent, the others counted. The alert id is left as it is: it is a hash, and it deduplicates.
 * Idempotent. aggregateAlerts returns bounded alerts; the sinks bound again whatever they are given (boundAnyAlert).
 */
export function boundAlert(alert: Alert): Alert {
  const text = (s: string) => truncateText(s, MAX_ALERT_TEXT);
  // Two event types cut to the same text are counted together.
  const typeCounts = new Map<string, number>();
  for (const [type, n] of Object.entries(alert.event_types)) {
    const key = text(type);
    typeCounts.set(key, (typeCounts.get(key) ?? 0) + n);
  }
  const types = mostFrequent(typeCounts);
  const apps = [...new Set(alert.app_ids.map(text))].sort();
  const bounded: Alert = {
    kind: 'event',
    alert_id: alert.alert_id,
    rule: text(alert.rule),
    severity: alert.severity,
    count: alert.count,
    source: text(alert.source) as Source,
    family: text(alert.family) as Family,
    event_type: text(alert.event_type),
    event_types: Object.fromEntries(types.listed),
    app_ids: apps.slice(0, MAX_ALERT_LISTED),
    batch: truncateText(alert.batch, MAX_ALERT_DESCRIPTION),
    samples: alert.samples.map((sample) => {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(sample))
        out[key] = typeof value === 'string' ? text(value) : value;
      return out as AlertSample;
    }),
  };
  // Optional fields after the others, as aggregateAlerts has always written them.
  const typesOther = (alert.event_types_other ?? 0) + types.others;
  const appsOther = (alert.app_ids_other ?? 0) + Math.max(0, apps.length - MAX_ALERT_LISTED);
  if (alert.description !== undefined)
    bounded.description = truncateText(alert.description, MAX_ALERT_DESCRIPTION);
  if (alert.app_id !== undefined) bounded.app_id = text(alert.app_id);
  if (alert.first_event_time !== undefined) bounded.first_event_time = text(alert.first_event_time);
  if (alert.last_event_time !== undefined) bounded.last_event_time = text(alert.last_event_time);
  if (typesOther > 0) bounded.event_types_other = typesOther;
  if (appsOther > 0) bounded.app_ids_other = appsOther;
  if (alert.samples_omitted !== undefined) bounded.samples_omitted = alert.samples_omitted;
  return bounded;
}
