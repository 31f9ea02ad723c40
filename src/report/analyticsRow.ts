import { OUTCOMES, type Outcome } from '../schema';

/**
 * One analytics row as the report reads it (docs/analytics.md §2), checked: a row that breaks the contract is
 * an error naming what is wrong, never a guess. Group values are cut at {@link MAX_VALUE_CHARS}, as the
 * producer cuts them, so a row holds a bounded amount whatever the object says. Pure.
 */

/** Group values are cut at 256 characters (docs/analytics.md §2). */
export const MAX_VALUE_CHARS = 256;

export interface MessagesRow {
  kind: 'messages';
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  /** 0–23, UTC. */
  hour: number;
  source: string;
  family: string;
  channel?: string;
  app_id?: string;
  configuration_set?: string;
  journey_id?: string;
  campaign?: string;
  outcome: Outcome;
  mailbox_provider?: string;
  bounce_type?: string;
  bounce_sub_type?: string;
  complaint_type?: string;
  status?: string;
  country?: string;
  count: number;
  price_usd?: number;
  carrier_fee_usd?: number;
  /** The producer merged groups past its row bound into this row (its group values are `(other)`). */
  other: boolean;
}

export interface QuarantineRow {
  kind: 'quarantine';
  day: string;
  hour: number;
  reason: string;
  count: number;
}

/** A row of a kind this version does not know: skipped and counted, so that a newer producer does not break it. */
export interface IgnoredRow {
  kind: 'ignored';
}

export type AnalyticsRow = MessagesRow | QuarantineRow | IgnoredRow;

/** A line that is not an analytics row; the message says why. */
export class AnalyticsRowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnalyticsRowError';
  }
}

const OUTCOME_SET: ReadonlySet<string> = new Set(OUTCOMES);
/** `hour`: ISO-8601 UTC, fixed width (`2026-12-07T09:00:00.000Z`). */
const HOUR = /^(\d{4}-\d{2}-\d{2})T(\d{2}):00:00\.000Z$/;
const OPTIONAL_TEXT = [
  'channel',
  'app_id',
  'configuration_set',
  'journey_id',
  'campaign',
  'mailbox_provider',
  'bounce_type',
  'bounce_sub_type',
  'complaint_type',
  'status',
  'country',
] as const;

/**
 * Reads one parsed JSON line.
 * @throws AnalyticsRowError when it is not a row of the contract
 */
export function readAnalyticsRow(value: unknown): AnalyticsRow {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AnalyticsRowError('not a JSON object');
  }
  const o = value as Record<string, unknown>;
  if (typeof o.kind !== 'string') throw new AnalyticsRowError('no kind');
  if (o.kind !== 'messages' && o.kind !== 'quarantine') return { kind: 'ignored' };
  const at = typeof o.hour === 'string' ? HOUR.exec(o.hour) : null;
  const day = at?.[1];
  if (at === null || day === undefined || !isDay(day) || Number(at[2]) > 23) {
    throw new AnalyticsRowError('hour is not an ISO-8601 UTC hour (2026-12-07T09:00:00.000Z)');
  }
  const hour = Number(at[2]);
  const count = o.count;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
    throw new AnalyticsRowError('count is not a whole number from 0 up');
  }
  if (o.kind === 'quarantine') {
    return { kind: 'quarantine', day, hour, reason: requiredText(o, 'reason'), count };
  }
  const outcome = requiredText(o, 'outcome');
  if (!OUTCOME_SET.has(outcome))
    throw new AnalyticsRowError(`outcome '${cut(outcome, 40)}' is not the schema's`);
  const row: MessagesRow = {
    kind: 'messages',
    day,
    hour,
    source: requiredText(o, 'source'),
    family: requiredText(o, 'family'),
    outcome: outcome as Outcome,
    count,
    other: o.other === true,
  };
  for (const key of OPTIONAL_TEXT) {
    const v = optionalText(o, key);
    if (v !== undefined) row[key] = v;
  }
  for (const key of ['price_usd', 'carrier_fee_usd'] as const) {
    const v = o[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new AnalyticsRowError(`${key} is not a number`);
    row[key] = v;
  }
  return row;
}

function requiredText(o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new AnalyticsRowError(`no ${key}`);
  return cut(v, MAX_VALUE_CHARS);
}

function optionalText(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new AnalyticsRowError(`${key} is not a string`);
  return v === '' ? undefined : cut(v, MAX_VALUE_CHARS);
}

/** At most `max` UTF-16 units, never half a surrogate pair. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\ud800-\udbff]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

/** A real calendar day, `YYYY-MM-DD`. */
export function isDay(day: string): boolean {
  const known = KNOWN_DAYS.get(day);
  if (known !== undefined) return known;
  const ok =
    /^\d{4}-\d{2}-\d{2}$/.test(day) &&
    new Date(Date.parse(`${day}T00:00:00Z`)).toISOString().slice(0, 10) === day;
  // Rows of a range name few days: parsing each row's date again cost a tenth of a month's report.
  if (KNOWN_DAYS.size >= 1000) KNOWN_DAYS.clear();
  KNOWN_DAYS.set(day, ok);
  return ok;
}
const KNOWN_DAYS = new Map<string, boolean>();
