import type { JsonObject } from '../decode';
import { num, obj, str } from '../fields';
import type { PiiProtector } from '../pii';
import {
  BOUNCE_CLASSES,
  type BounceClass,
  type Channel,
  type Family,
  type NormalizedRecord,
  type Outcome,
  SCHEMA_VERSION,
  type Source,
} from '../schema';
import { isoFromMs, partitionOf } from '../time';

/** What a source normalizer needs besides the event: all of it decided outside, so normalizers stay pure. */
export interface NormalizeContext {
  eventId: string;
  /** When the record entered Kinesis/Firehose (approximate arrival), Unix ms. */
  ingestMs: number;
  pii: PiiProtector;
}

export interface Classification {
  family: Family;
  outcome: Outcome;
  channel?: Channel;
}

/**
 * Starts a record with the fields every source fills, in the order they are written. `arrivalMs` is the
 * source's own arrival time when it has one (Pinpoint), else the stream's; `dt`/`hour` derive from it.
 */
export function startRecord(
  source: Source,
  eventType: string,
  cls: Classification,
  eventMs: number | undefined,
  arrivalMs: number | undefined,
  ctx: NormalizeContext,
): NormalizedRecord {
  const arrival = arrivalMs ?? ctx.ingestMs;
  const { dt, hour } = partitionOf(arrival);
  const rec: NormalizedRecord = {
    schema_version: SCHEMA_VERSION,
    event_id: ctx.eventId,
    source,
    family: cls.family,
    event_type: eventType,
    outcome: cls.outcome,
    arrival_time: isoFromMs(arrival),
    ingest_time: isoFromMs(ctx.ingestMs),
    dt,
    hour,
  };
  if (eventMs !== undefined) rec.event_time = isoFromMs(eventMs);
  if (cls.channel !== undefined) rec.channel = cls.channel;
  return rec;
}

/** Sets `rec[key]` only when the value is present: null fields are omitted, never written. */
export function put<K extends keyof NormalizedRecord>(
  rec: NormalizedRecord,
  key: K,
  value: NormalizedRecord[K] | undefined,
): void {
  if (value !== undefined) rec[key] = value;
}

/** A string→string map (Pinpoint attributes, EUM context, SES tags) with odd values coerced or skipped. */
export function stringMap(value: unknown): Record<string, string> | undefined {
  const o = obj(value);
  if (o === undefined) return undefined;
  let out: Record<string, string> | undefined;
  let copied = false;
  for (const key in o) {
    const v = o[key];
    if (typeof v === 'string') continue;
    // Rare path: a value that is not a string (real data has `"tags": null`, numbers, nested objects).
    if (!copied) {
      out = { ...(o as Record<string, string>) };
      copied = true;
    }
    const s = v !== null && typeof v === 'object' ? JSON.stringify(v) : str(v);
    if (s === undefined) delete (out as Record<string, string>)[key];
    else (out as Record<string, string>)[key] = s;
  }
  const result = copied ? (out as Record<string, string>) : (o as Record<string, string>);
  for (const _ in result) return result;
  return undefined;
}

/** A string→number map (Pinpoint metrics); numbers-as-strings are read as numbers, the rest is skipped. */
export function numberMap(value: unknown): Record<string, number> | undefined {
  const o = obj(value);
  if (o === undefined) return undefined;
  let out: Record<string, number> | undefined;
  let copied = false;
  for (const key in o) {
    const v = o[key];
    if (typeof v === 'number' && Number.isFinite(v)) continue;
    if (!copied) {
      out = { ...(o as Record<string, number>) };
      copied = true;
    }
    const n = num(v);
    if (n === undefined) delete (out as Record<string, number>)[key];
    else (out as Record<string, number>)[key] = n;
  }
  const result = copied ? (out as Record<string, number>) : (o as Record<string, number>);
  for (const _ in result) return result;
  return undefined;
}

/** `"Jane" <jane@example.com>` → `jane@example.com`; plain addresses pass through. */
function bareAddress(value: unknown): string | undefined {
  const s = str(value);
  if (s === undefined) return undefined;
  const lt = s.lastIndexOf('<');
  if (lt !== -1) {
    const gt = s.indexOf('>', lt);
    if (gt > lt + 1) return s.slice(lt + 1, gt).trim();
  }
  return s.trim();
}

/** First element of an array field: a string, or the named key of an object. */
export function firstOf(value: unknown, key?: string): unknown {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const first = value[0];
  return key === undefined ? first : obj(first)?.[key];
}

/**
 * `table[key]` when `key` is the table's own entry. Event types and statuses come from the data, and a plain
 * object lookup would answer `constructor` or `__proto__` with Object's own members instead of `undefined`.
 */
export function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/**
 * The recipient and the sender of an email event, protected: the recipient is the first address the event's
 * detail names (`recipients`, in order of preference), else the first of the mail's destinations. SES events
 * and Pinpoint's snake_case copies of them name them alike.
 */
export function putMailParties(
  rec: NormalizedRecord,
  ctx: NormalizeContext,
  recipients: readonly unknown[],
  destination: readonly unknown[] | undefined,
  from: unknown,
): void {
  let recipient: unknown;
  for (const r of recipients) {
    if (r !== undefined && r !== null) {
      recipient = r;
      break;
    }
  }
  ctx.pii.recipient(rec, bareAddress(recipient ?? firstOf(destination)));
  ctx.pii.sender(rec, bareAddress(from));
}

/** An email bounce's class (from its type) and sub-type, as SES writes them and Pinpoint copies them. */
export function putBounce(rec: NormalizedRecord, type: string | undefined, subType: unknown): void {
  if (type !== undefined) rec.bounce_type = bounceClass(type);
  put(rec, 'bounce_sub_type', str(subType));
}

/**
 * The bounce class of a bounce type as a source writes it — SES `Permanent`, Pinpoint's `permanent` — in any
 * case; a type outside the classes is `undetermined`.
 */
function bounceClass(type: string): BounceClass {
  const lower = type.toLowerCase();
  return (BOUNCE_CLASSES as readonly string[]).includes(lower) ? (lower as BounceClass) : 'undetermined';
}

/** USD amounts are rounded to 10 decimals so that float noise (645 / 1e5) does not leak into the output. */
export function usd(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const rounded = Math.round(value * 1e10) / 1e10;
  // Past ~1.8e298 the scaling overflows to Infinity, which JSON writes as null: the Glue `double` column
  // takes finite numbers only, so such a price is left out.
  return Number.isFinite(rounded) ? rounded : undefined;
}

export type { JsonObject };
