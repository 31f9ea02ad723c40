import { AnalyticsRowError, cut, MAX_VALUE_CHARS } from './analyticsRow';
import type { RateAlertRow } from './model';

/**
 * One line of an `alerts/` file (the alert as sent, `kind` telling rate alerts from event alerts: docs/rates.md
 * §4), as the report lists it. Event alerts (`kind: "event"`, or no kind: written before `kind` existed) are not
 * part of the report: undefined. Texts are cut at {@link MAX_VALUE_CHARS}. Pure.
 *
 * @throws AnalyticsRowError on a rate alert without the fields the report shows
 */
export function readRateAlertLine(value: unknown): RateAlertRow | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AnalyticsRowError('not a JSON object');
  }
  const o = value as Record<string, unknown>;
  if (o.kind !== 'rate') return undefined;
  const window = o.window as Record<string, unknown> | undefined;
  const start = typeof window === 'object' && window !== null ? window.start : undefined;
  const end = typeof window === 'object' && window !== null ? window.end : undefined;
  if (typeof start !== 'string' || !Number.isFinite(Date.parse(start)) || typeof end !== 'string') {
    throw new AnalyticsRowError('a rate alert without its window');
  }
  const text = (key: string): string => {
    const v = o[key];
    if (typeof v !== 'string' || v === '') throw new AnalyticsRowError(`a rate alert without ${key}`);
    return cut(v, MAX_VALUE_CHARS);
  };
  const num = (key: string): number => {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new AnalyticsRowError(`a rate alert without ${key}`);
    return v;
  };
  return {
    alert_id: text('alert_id'),
    rule: text('rule'),
    severity: text('severity'),
    window_start: new Date(Date.parse(start)).toISOString(),
    window_end: cut(end, MAX_VALUE_CHARS),
    group: groupText(o.group, o.overflow === true),
    numerator: num('numerator'),
    denominator: num('denominator'),
    rate: num('rate'),
    threshold: num('threshold'),
  };
}

/** `configuration_set=marketing app_id=(none)`; `(all)` for a rule without group_by; `(other groups)` for overflow. */
function groupText(group: unknown, overflow: boolean): string {
  if (overflow) return '(other groups)';
  if (typeof group !== 'object' || group === null) return '(all)';
  const parts = Object.entries(group as Record<string, unknown>).map(
    ([k, v]) => `${k}=${typeof v === 'string' ? v : '(none)'}`,
  );
  return parts.length === 0 ? '(all)' : cut(parts.join(' '), MAX_VALUE_CHARS * 2);
}
