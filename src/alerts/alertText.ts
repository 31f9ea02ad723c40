import type { RateGroupKey } from '../rules/rateGroupKeys';
import type { AnyAlert } from './anyAlert';
import type { Alert } from './eventAlert';
import type { RateAlert } from './rateAlert';

/**
 * How an alert reads for a person, whatever carries it: a subject, a body, and attributes a subscriber can
 * filter on. Built from the (bounded) alert only, which carries no address, phone number or IP by construction.
 * A transport makes the text fit its own rules (the SNS sink: src/sinks/aws/snsAlertMessage.ts).
 */
export interface AlertText {
  /**
   * The headline: `[HIGH] rule: 2 x event type`, `[HIGH] rule: 6.2% >= 5% (31/500) group`. Not cut, and an
   * event alert's rule and event type as they are (a rate alert's group values on one line): a transport with
   * rules for subjects applies them (the SNS sink: snsSubject).
   */
  subject: string;
  /**
   * A body a person can read in an email, ending with the alert as JSON for programs. Values from the data are
   * shown on one line each: control characters and line breaks in them become spaces, so that no value can
   * forge a line of the message.
   */
  body: string;
  /**
   * Filterable attributes, by name: `kind`, `severity`, `rule`, and for an event alert `source`, `family`,
   * `event_type`, `app_id`, for a rate alert its group's values (RATE_GROUP_ATTRIBUTES). No value is empty (an
   * attribute without a value is left out), and every value is valid UTF-8.
   */
  attributes: Record<string, string>;
}

export interface AlertTextOptions {
  /**
   * What the samples left out of an event alert (`samples_omitted`) were left out for, as its body says it:
   * the transport's limit (`the SNS message size limit`). Default `the message size limit`.
   */
  sizeLimit?: string;
}

/**
 * The group fields a rate alert carries as attributes when its group has a value for them, in this order,
 * under their own names: what event alerts carry too (`source`, `app_id`), and what a subscription may want to
 * filter rate alerts by (a configuration set, a channel). At most six, so that a rate alert has at most nine
 * attributes (SNS takes ten).
 */
export const RATE_GROUP_ATTRIBUTES: readonly RateGroupKey[] = [
  'source',
  'app_id',
  'configuration_set',
  'channel',
  'campaign_id',
  'journey_id',
];

/** The alert's subject, body and attributes, by its kind. */
export function alertText(alert: AnyAlert, options: AlertTextOptions = {}): AlertText {
  return {
    subject: alertSubject(alert),
    body: alertBody(alert, options),
    attributes: alertAttributes(alert),
  };
}

/** `[HIGH] rule-1: 2 x _email.hardbounce`; `[HIGH] email-bounce-rate-high: 6.2% >= 5% (31/500) configuration_set=marketing` */
export function alertSubject(alert: AnyAlert): string {
  if (alert.kind === 'rate') {
    return `[${alert.severity.toUpperCase()}] ${alert.rule}: ${percent(alert.rate)} >= ${percent(alert.threshold)} (${alert.numerator}/${alert.denominator}) ${groupText(alert)}`;
  }
  return `[${alert.severity.toUpperCase()}] ${alert.rule}: ${alert.count} x ${alert.event_type}`;
}

/** See AlertText.body. */
export function alertBody(alert: AnyAlert, options: AlertTextOptions = {}): string {
  return alert.kind === 'rate' ? rateAlertBody(alert) : eventAlertBody(alert as Alert, options);
}

/** See AlertText.attributes. */
export function alertAttributes(alert: AnyAlert): Record<string, string> {
  const attributes: Record<string, string> = {};
  if (alert.kind === 'rate') {
    const put = (name: string, value: string | null | undefined) => {
      if (value === null || value === undefined) return;
      const v = printable(value);
      if (v.length > 0) attributes[name] = v;
    };
    put('kind', 'rate');
    put('severity', alert.severity);
    put('rule', alert.rule);
    for (const field of RATE_GROUP_ATTRIBUTES) put(field, alert.group[field]);
    return attributes;
  }
  const event = alert as Alert;
  // Event alerts' attribute values keep their line breaks (as they always have); only valid UTF-8 is asked.
  const put = (name: string, value: string | undefined) => {
    if (value === undefined) return;
    const v = wellFormed(value);
    if (v.length > 0) attributes[name] = v;
  };
  put('kind', 'event');
  put('source', event.source);
  put('family', event.family);
  put('event_type', event.event_type);
  put('severity', event.severity);
  put('app_id', event.app_id);
  put('rule', event.rule);
  return attributes;
}

function eventAlertBody(alert: Alert, options: AlertTextOptions): string {
  const listed = Object.entries(alert.event_types).map(([t, n]) => `${printable(t)} (${n})`);
  if (alert.event_types_other !== undefined) listed.push(`${alert.event_types_other} of other types`);
  const apps = alert.app_ids.map(printable);
  if (alert.app_ids_other !== undefined) apps.push(`${alert.app_ids_other} other apps`);
  const lines = [
    `${alert.severity.toUpperCase()} — ${printable(alert.rule)}: ${alert.count} event${alert.count === 1 ? '' : 's'}`,
  ];
  if (alert.description !== undefined) lines.push(printable(alert.description));
  lines.push(
    '',
    `Source: ${printable(alert.source)}   Family: ${printable(alert.family)}`,
    `Event types: ${listed.join(', ')}`,
    `Apps: ${apps.length > 0 ? apps.join(', ') : '-'}`,
    `Event time: ${printable(alert.first_event_time ?? '?')} .. ${printable(alert.last_event_time ?? '?')}`,
    `Batch: ${printable(alert.batch)}`,
    `Alert id: ${printable(alert.alert_id)}`,
  );
  const omitted = alert.samples_omitted ?? 0;
  if (alert.samples.length > 0 || omitted > 0) {
    const limit = options.sizeLimit ?? 'the message size limit';
    const left = omitted > 0 ? `, ${omitted} more left out to fit ${limit}` : '';
    lines.push('', `Samples (${alert.samples.length} of ${alert.count}${left}):`);
    for (const s of alert.samples) {
      lines.push(
        `- ${Object.entries(s)
          .map(([k, v]) => `${k}=${printable(String(v))}`)
          .join(' ')}`,
      );
    }
  }
  // JSON.stringify escapes control characters and lone surrogates: this part is well-formed as it is.
  lines.push('', '--- alert JSON ---', JSON.stringify(alert));
  return lines.join('\n');
}

function rateAlertBody(alert: RateAlert): string {
  const counts = Object.entries(alert.counts).map(([o, n]) => `${o} ${n}`);
  const lines = [
    `${alert.severity.toUpperCase()} — ${printable(alert.rule)}: ${percent(alert.rate)} over ${printable(alert.window.start)} .. ${printable(alert.window.end)}`,
  ];
  if (alert.description !== undefined) lines.push(printable(alert.description));
  lines.push(
    '',
    `Group: ${groupText(alert)}`,
    `Rate: ${alert.numerator} ${alert.numerator_outcomes.join('+')} / ${alert.denominator} ${alert.denominator_outcomes.join('+')} = ${percent(alert.rate)} (threshold ${percent(alert.threshold)}, at least ${alert.min_volume} counted)`,
    `Counts: ${counts.join(', ')}`,
    `Groups over the threshold in this window: ${alert.groups_alerting}`,
    `Window: ${printable(alert.window.start)} .. ${printable(alert.window.end)}`,
    `Batch: ${printable(alert.batch)}`,
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
  return alert.group_by.map((k) => `${k}=${printable(alert.group[k] ?? '-')}`).join(' ');
}

/** 0.0623 → `6.23%`; at most four significant digits, no trailing zeros. */
function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(4))}%`;
}

/** On one line, and valid UTF-8. */
function printable(value: string): string {
  return wellFormed(value.replace(/[\p{Cc}\u2028\u2029]/gu, ' '));
}

/**
 * Lone surrogates (JSON input may hold them: "\ud800") replaced by U+FFFD: they have no UTF-8 form, and an SDK
 * refuses to URL-encode them.
 */
function wellFormed(value: string): string {
  return value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}
