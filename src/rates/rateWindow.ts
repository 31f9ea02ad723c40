import { isoFromMs, MAX_EPOCH_MS } from '../time';

/** The bounds of a window counted, `{ start, end }`, ISO-8601 UTC: the hour a rollup counts (openHourlyRollup). */
export interface RateWindow {
  readonly start: string;
  readonly end: string;
}

/**
 * The window's times in the fixed-width form of every time the processor writes (`2026-11-30T10:05:00.000Z`,
 * docs/schema.md §4), so that rollups sort and compare as strings whatever form the bounds were given in
 * (`2020-12-09T07:04:00Z`, say). A time that does not parse is kept as it is.
 */
export function windowTimes(window: RateWindow): { start: string; end: string } {
  return { start: isoTime(window.start), end: isoTime(window.end) };
}

function isoTime(value: string): string {
  const ms = Date.parse(value);
  return ms >= 0 && ms < MAX_EPOCH_MS ? isoFromMs(ms) : value;
}
