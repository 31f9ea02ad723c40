import type { RateGroupKey } from '../rules/rateGroupKeys';
import type { RateAlert } from './rateAlert';

/** SNS `Subject`: fewer than 100 characters, printable ASCII (Amazon SNS API Reference, Publish). */
const MAX_SUBJECT = 99;

/**
 * The group fields a rate alert carries as message attributes when its group has a value for them, in this
 * order, under their own names: what event alerts carry too (`source`, `app_id`), and what a subscription may
 * want to filter rate alerts by (a configuration set, a channel). At most six, so that a rate alert has at most
 * nine attributes, under SNS's ten.
 */
const GROUP_ATTRIBUTES: readonly RateGroupKey[] = [
  'source',
  'app_id',
  'configuration_set',
  'channel',
  'campaign_id',
  'journey_id',
];

/**
 * What an alert sink sends for a rate alert, built from the (bounded) alert only: a subject, a body a person
 * can read in an email subscription ending with the alert as JSON, and filterable String attributes (`kind`,
 * `severity`, `rule`, and the group's values: see GROUP_ATTRIBUTES). A bounded rate alert is a few tens of
 * kilobytes at most, far below one SNS message (src/sinks/alertMessage.ts checks it).
 */
export function rateAlertMessage(alert: RateAlert): {
  Subject: string;
  Message: string;
  MessageAttributes: Record<string, { DataType: 'String'; StringValue: string }>;
} {
  const attributes: Record<string, { DataType: 'String'; StringValue: string }> = {};
  const put = (name: string, value: string | null | undefined) => {
    if (value === null || value === undefined) return;
    const v = oneLine(value);
    // SNS refuses an empty attribute value: leave the attribute out.
    if (v.length > 0) attributes[name] = { DataType: 'String', StringValue: v };
  };
  put('kind', 'rate');
  put('severity', alert.severity);
  put('rule', alert.rule);
  for (const field of GROUP_ATTRIBUTES) put(field, alert.group[field]);
  return { Subject: rateAlertSubject(alert), Message: rateAlertBody(alert), MessageAttributes: attributes };
}

/** `[HIGH] email-bounce-rate-high: 6.2% >= 5% (31/500) configuration_set=marketing` */
export function rateAlertSubject(alert: RateAlert): string {
  const subject = `[${alert.severity.toUpperCase()}] ${alert.rule}: ${percent(alert.rate)} >= ${percent(alert.threshold)} (${alert.numerator}/${alert.denominator}) ${groupText(alert)}`;
  const ascii = subject.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= MAX_SUBJECT ? ascii : `${ascii.slice(0, MAX_SUBJECT - 3)}...`;
}

/** Values from the data on one line each: no value can forge a line of the message. */
export function rateAlertBody(alert: RateAlert): string {
  const counts = Object.entries(alert.counts).map(([o, n]) => `${o} ${n}`);
  const lines = [
    `${alert.severity.toUpperCase()} — ${oneLine(alert.rule)}: ${percent(alert.rate)} over ${oneLine(alert.window.start)} .. ${oneLine(alert.window.end)}`,
  ];
  if (alert.description !== undefined) lines.push(oneLine(alert.description));
  lines.push(
    '',
    `Group: ${groupText(alert)}`,
    `Rate: ${alert.numerator} ${alert.numerator_outcomes.join('+')} / ${alert.denominator} ${alert.denominator_outcomes.join('+')} = ${percent(alert.rate)} (threshold ${percent(alert.threshold)}, at least ${alert.min_volume} counted)`,
    `Counts: ${counts.join(', ')}`,
    `Groups over the threshold in this window: ${alert.groups_alerting}`,
    `Window: ${oneLine(alert.window.start)} .. ${oneLine(alert.window.end)}`,
    `Batch: ${oneLine(alert.batch)}`,
    `Alert id: ${alert.alert_id}`,
    '',
    '--- alert JSON ---',
    JSON.stringify(alert),
  );
  return lines.join('\n');
}

/** `configuration_set=marketing app_id=-`, `all records`, `other groups (beyond one batch's counters)`. */
function groupText(alert: RateAlert): string {
  if (alert.overflow === true) return "other groups (beyond one batch's counters)";
  if (alert.group_by.length === 0) return 'all records';
  return alert.group_by.map((k) => `${k}=${oneLine(alert.group[k] ?? '-')}`).join(' ');
}

/** 0.0623 → `6.23%`; at most four significant digits, no trailing zeros. */
function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(4))}%`;
}

/** On one line, and valid UTF-8 (lone surrogates have no UTF-8 form). */
function oneLine(value: string): string {
  return value
    .replace(/[\p{Cc}\u2028\u2029]/gu, ' ')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}
