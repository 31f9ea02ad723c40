import { createHash } from 'node:crypto';
import type { RateGroupField } from '../rules/rateGroupKeys';
import type { Severity } from '../rules/ruleSchema';
import type { Outcome } from '../schema';
import { truncateText } from '../truncateText';
import { MAX_ALERT_DESCRIPTION, MAX_ALERT_TEXT } from './eventAlert';

/**
 * A rate alert: one group of one rate rule over one window whose rate reached the rule's threshold
 * (src/rates/counterAlert.ts makes it). Carries counts and identifiers only: group values are fields of the
 * normalized record (campaign ids, configuration sets…), counted after personal data was protected, and every
 * text is bounded (boundRateAlert).
 */
export interface RateAlert {
  kind: 'rate';
  /**
   * Deterministic: a hash of the window's start, the rule and the group (rateAlertId), the same whichever shard,
   * invocation or path saw the window cross; the rate store lets one of them send it.
   */
  alert_id: string;
  rule: string;
  severity: Severity;
  description?: string;
  /** The window counted (tumbling, by arrival time, aligned to UTC), ISO-8601 UTC. */
  window: { start: string; end: string };
  /** The rule's group_by fields, in order. */
  group_by: RateGroupField[];
  /** The group: each group_by field and its value; null where the records had none. Empty for `overflow`. */
  group: Record<string, string | null>;
  /**
   * The rule's `other` group: records of the groups beyond one invocation's counter bound, counted together
   * (the rate of many groups at once).
   */
  overflow?: true;
  numerator: number;
  denominator: number;
  /** numerator / denominator. */
  rate: number;
  threshold: number;
  min_volume: number;
  numerator_outcomes: Outcome[];
  denominator_outcomes: Outcome[];
  /** The group's count of every outcome the rule counts. */
  counts: Partial<Record<Outcome, number>>;
  /** How many groups of this rule crossed in the invocation that sent this alert (this one included). */
  groups_alerting: number;
  /** Where the crossing was seen: `kinesis:<stream>/<shard>` or `firehose:<delivery stream>`. */
  batch: string;
}

/**
 * `alert_id` of a rate alert: the first 32 hex digits of a SHA-256 over the window's start, the rule and the
 * group, unambiguously joined. The same for every shard, invocation and path that sees the window cross.
 */
export function rateAlertId(parts: {
  windowStart: string;
  rule: string;
  /** The group's values as a JSON array, or null for the `other` group. */
  group: string | null;
}): string {
  const canonical = JSON.stringify([parts.windowStart, parts.rule, parts.group]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

/**
 * The alert with every text cut as event alerts are (boundAlert): the rule, group values and window to
 * MAX_ALERT_TEXT characters, the description and the batch label to MAX_ALERT_DESCRIPTION, each with a visible
 * marker. The id is left as it is. Idempotent. counterAlert returns bounded alerts; sinks may bound again.
 */
export function boundRateAlert(alert: RateAlert): RateAlert {
  const text = (s: string) => truncateText(s, MAX_ALERT_TEXT);
  const group: RateAlert['group'] = {};
  for (const [key, value] of Object.entries(alert.group)) {
    group[key] = value === null ? null : text(value);
  }
  return {
    kind: 'rate',
    alert_id: alert.alert_id,
    rule: text(alert.rule),
    severity: alert.severity,
    ...(alert.description !== undefined && {
      description: truncateText(alert.description, MAX_ALERT_DESCRIPTION),
    }),
    window: { start: text(alert.window.start), end: text(alert.window.end) },
    group_by: [...alert.group_by],
    group,
    ...(alert.overflow === true && { overflow: true as const }),
    numerator: alert.numerator,
    denominator: alert.denominator,
    rate: alert.rate,
    threshold: alert.threshold,
    min_volume: alert.min_volume,
    numerator_outcomes: [...alert.numerator_outcomes],
    denominator_outcomes: [...alert.denominator_outcomes],
    counts: { ...alert.counts },
    groups_alerting: alert.groups_alerting,
    batch: truncateText(alert.batch, MAX_ALERT_DESCRIPTION),
  };
}
