import type { JsonObject } from './decode';
import { MAX_EPOCH_MS } from './time';

/** Lenient readers for messy real-world fields: numbers arrive as strings, objects go missing. */

export function obj(value: unknown): JsonObject | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}

export function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

export function num(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Range of an Athena `int` column (32-bit signed). */
const INT_MIN = -2_147_483_648;
const INT_MAX = 2_147_483_647;

/**
 * A value for an Athena `int` column (`message_parts`, `recipient_count`): a number or numeric string,
 * rounded to the nearest integer; undefined outside the 32-bit range. Athena's JSON SerDe fails every query
 * over a partition that holds one `1.5` or `3e9` in an `int` column, so nothing else may be written there.
 */
export function int32(value: unknown): number | undefined {
  const n = num(value);
  if (n === undefined) return undefined;
  const r = Math.round(n);
  // `+ 0` turns -0 (Math.round(-0.2)) into 0.
  return r >= INT_MIN && r <= INT_MAX ? r + 0 : undefined;
}

/**
 * A value for an Athena `bigint` column (`delivery_latency_ms`, `session_duration_ms`): a number or numeric
 * string, rounded to the nearest integer; undefined outside the safe-integer range (±2^53 − 1), past which a
 * double is no longer an exact integer and `JSON.stringify` writes `1e+21`, which `bigint` cannot read.
 */
export function int64(value: unknown): number | undefined {
  const n = num(value);
  if (n === undefined) return undefined;
  const r = Math.round(n);
  return Number.isSafeInteger(r) ? r + 0 : undefined;
}

export function bool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

export function arr(value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

/** Below this a Unix timestamp must be in seconds: 1e11 ms is March 1973, 1e11 s is the year 5138. */
const SECONDS_CUTOFF = 1e11;

/**
 * ISO-8601 as SES writes it (`2017-08-05T00:41:02.669Z`), also without seconds, fraction or offset. Checked
 * before `Date.parse`, whose legacy fallback reads junk such as `"Item 5"` or `"hello 2024"` as dates.
 */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Reads a timestamp as Unix milliseconds: numbers or numeric strings in ms or seconds (with decimals), or an
 * ISO-8601 string (SES). Returns undefined for anything else, or for dates outside 1970–9999.
 */
export function epochMs(value: unknown): number | undefined {
  let n = num(value);
  if (n === undefined) {
    if (typeof value !== 'string') return undefined;
    const text = value.trim();
    const iso = ISO_8601.exec(text);
    if (iso === null) return undefined;
    // Date.parse reads a date-time without an offset as local time; event times are UTC.
    n = Date.parse(iso[1] === undefined && text.length > 10 ? `${text}Z` : text);
    return Number.isFinite(n) && n >= 0 && n < MAX_EPOCH_MS ? n : undefined;
  }
  if (n <= 0) return undefined;
  if (n < SECONDS_CUTOFF) n *= 1000;
  n = Math.round(n);
  return n < MAX_EPOCH_MS ? n : undefined;
}

/** A JSON-encoded object inside a string field (Pinpoint's endpoint record, `customer_context`). Broken → undefined. */
export function parseJsonObject(value: unknown): JsonObject | undefined {
  if (typeof value !== 'string') return obj(value);
  try {
    return obj(JSON.parse(value));
  } catch {
    return undefined;
  }
}
