import { type AnyAlert, boundRateAlert, type RateAlert } from '../rates/rateAlert';
import { rateAlertMessage } from '../rates/rateAlertMessage';
import { type Alert, boundAlert, truncateText } from '../rules/alerts';

/**
 * What SNS accepts, from the Amazon SNS API Reference:
 * - Publish (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html): `Message` is UTF-8 and "at most 256 KB
 *   (262,144 bytes, not 262,144 characters)"; `Subject` has "no line breaks or control characters, and [is] less
 *   than 100 characters long" (earlier editions: "ASCII text that begins with a letter, number, or punctuation
 *   mark"). SNS answers HTTP 400 `InvalidParameter` otherwise.
 * - MessageAttributeValue (https://docs.aws.amazon.com/sns/latest/api/API_MessageAttributeValue.html): "Name,
 *   type, and value must not be empty or null"; "all parts of the message attribute, including name, type, and
 *   value, are included in the message size restriction".
 * - PublishBatch (https://docs.aws.amazon.com/sns/latest/api/API_PublishBatch.html): at most 10 entries (HTTP 400
 *   `TooManyEntriesInBatchRequest`), and "the maximum total payload size (the sum of the individual lengths of
 *   all of the batched messages)" is 262,144 bytes too (HTTP 400 `BatchRequestTooLong`).
 * The reference does not say whether the subject counts toward the size: it is counted here, so an alert fits
 * either way.
 */
export const SNS_LIMITS = Object.freeze({
  messageBytes: 262_144,
  batchBytes: 262_144,
  batchEntries: 10,
  subjectChars: 99,
});

/** The parts of a Publish request or PublishBatch entry that SNS counts toward the message size. */
export interface SnsMessageParts {
  Subject?: string | undefined;
  Message?: string | undefined;
  MessageAttributes?:
    | Record<string, { DataType?: string | undefined; StringValue?: string | undefined }>
    | undefined;
}

/** An alert as SNS will take it: the alert as sent, and the message built from it. */
export interface FittedAlert {
  /** Bounded (boundAlert), and without the samples that did not fit (`samples_omitted` says how many). */
  alert: Alert;
  Subject: string;
  Message: string;
  /** Filterable String attributes: kind, source, family, event_type, severity, app_id, rule; none empty. */
  MessageAttributes: Record<string, { DataType: 'String'; StringValue: string }>;
}

/** Any alert as SNS will take it (fitAnyAlert): an event alert as fitAlert fits it, or a rate alert. */
export interface FittedAnyAlert {
  /** The alert as sent: bounded, and for an event alert without the samples that did not fit. */
  alert: AnyAlert;
  Subject: string;
  Message: string;
  MessageAttributes: Record<string, { DataType: 'String'; StringValue: string }>;
}

/**
 * Bytes SNS counts for one message: the UTF-8 bytes of the message, of the subject, and of every attribute's
 * name, data type and value. Exact for well-formed strings (every string fitAlert builds is one).
 */
export function snsMessageBytes(parts: SnsMessageParts): number {
  let n = Buffer.byteLength(parts.Message ?? '', 'utf8') + Buffer.byteLength(parts.Subject ?? '', 'utf8');
  for (const [name, value] of Object.entries(parts.MessageAttributes ?? {})) {
    n +=
      Buffer.byteLength(name, 'utf8') +
      Buffer.byteLength(value.DataType ?? '', 'utf8') +
      Buffer.byteLength(value.StringValue ?? '', 'utf8');
  }
  return n;
}

/**
 * The alert as one SNS message that SNS accepts, whatever the records held: texts bounded (boundAlert), subject
 * made printable ASCII under 100 characters, and — should the whole still exceed `maxBytes` — the last samples
 * left out, as few as possible, with their number in `samples_omitted`. Without samples an alert takes well
 * under 100 KiB, so the default limit is always met; below that, event types and apps are counted instead of
 * listed. Deterministic: a retried batch sends the same message.
 */
export function fitAlert(alert: Alert, maxBytes: number = SNS_LIMITS.messageBytes): FittedAlert {
  const bounded = boundAlert(alert);
  const all = bounded.samples;
  const keeping = (k: number): FittedAlert =>
    render(
      k === all.length
        ? bounded
        : {
            ...bounded,
            samples: all.slice(0, k),
            samples_omitted: (bounded.samples_omitted ?? 0) + all.length - k,
          },
    );
  const full = keeping(all.length);
  if (snsMessageBytes(full) <= maxBytes) return full;
  // The most samples that fit: more samples never make a smaller message, so a binary search finds them.
  let fits: FittedAlert | undefined;
  let low = 0;
  let high = all.length - 1;
  while (low <= high) {
    const k = (low + high) >>> 1;
    const candidate = keeping(k);
    if (snsMessageBytes(candidate) <= maxBytes) {
      fits = candidate;
      low = k + 1;
    } else high = k - 1;
  }
  if (fits !== undefined) return fits;
  const bare = keeping(0).alert;
  const counted: Alert = {
    ...bare,
    event_types: {},
    event_types_other: Object.values(bare.event_types).reduce((a, b) => a + b, bare.event_types_other ?? 0),
    app_ids: [],
    app_ids_other: bare.app_ids.length + (bare.app_ids_other ?? 0),
  };
  if (counted.app_ids_other === 0) delete counted.app_ids_other;
  return render(counted);
}

/**
 * Any alert as one SNS message, by its kind: an event alert through {@link fitAlert}; a rate alert bounded
 * (boundRateAlert) and rendered by rateAlertMessage, with the attributes `kind`, `severity`, `rule` and the
 * values of its group. A bounded rate alert has no samples and every text cut (six group values and the rule
 * to 256 characters, description and batch to 1,024): some 30 KiB at the very most with every character
 * escaped six-fold, so it always fits `maxBytes` of SNS; should a smaller limit be asked for, its description
 * is left out first, then its group values are cut further.
 */
export function fitAnyAlert(alert: AnyAlert, maxBytes: number = SNS_LIMITS.messageBytes): FittedAnyAlert {
  return alert.kind === 'rate' ? fitRateAlert(alert, maxBytes) : fitAlert(alert, maxBytes);
}

function fitRateAlert(alert: RateAlert, maxBytes: number): FittedAnyAlert {
  const bounded = boundRateAlert(alert);
  const render = (a: RateAlert): FittedAnyAlert => ({ alert: a, ...rateAlertMessage(a) });
  const full = render(bounded);
  if (snsMessageBytes(full) <= maxBytes) return full;
  const { description: _left, ...bare } = bounded;
  const fitted = render(bare);
  if (snsMessageBytes(fitted) <= maxBytes) return fitted;
  const group: RateAlert['group'] = {};
  for (const [k, v] of Object.entries(bare.group) as Array<[keyof RateAlert['group'], string | null]>) {
    group[k] = v === null ? null : truncateText(v, 32);
  }
  return render({ ...bare, group });
}

function render(alert: Alert): FittedAlert {
  return {
    alert,
    Subject: alertSubject(alert),
    Message: alertBody(alert),
    MessageAttributes: alertAttributes(alert),
  };
}

function alertAttributes(alert: Alert): FittedAlert['MessageAttributes'] {
  const attributes: FittedAlert['MessageAttributes'] = {};
  const put = (name: string, value: string | undefined) => {
    if (value === undefined) return;
    const v = wellFormed(value);
    // SNS refuses an empty attribute value: leave the attribute out.
    if (v.length > 0) attributes[name] = { DataType: 'String', StringValue: v };
  };
  put('kind', 'event');
  put('source', alert.source);
  put('family', alert.family);
  put('event_type', alert.event_type);
  put('severity', alert.severity);
  put('app_id', alert.app_id);
  put('rule', alert.rule);
  return attributes;
}

/** SNS subjects: printable ASCII (no line breaks or control characters), fewer than 100 characters. */
export function alertSubject(alert: Alert): string {
  const subject = `[${alert.severity.toUpperCase()}] ${alert.rule}: ${alert.count} x ${alert.event_type}`;
  const ascii = subject.replace(/[^\x20-\x7e]/g, '?');
  const max = SNS_LIMITS.subjectChars;
  return ascii.length <= max ? ascii : `${ascii.slice(0, max - 3)}...`;
}

/**
 * A body a person can read in an email subscription, ending with the alert as JSON for programs.
 * Built only from the alert, which carries no address, phone number or IP by construction. Values from the data
 * are shown on one line each: control characters and line breaks in them become spaces, so that no value can
 * forge a line of the message.
 */
export function alertBody(alert: Alert): string {
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
    const left = omitted > 0 ? `, ${omitted} more left out to fit the SNS message size limit` : '';
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

/** On one line, and valid UTF-8. */
function printable(value: string): string {
  return wellFormed(value.replace(/[\p{Cc}\u2028\u2029]/gu, ' '));
}

/**
 * Lone surrogates (JSON input may hold them: "\ud800") replaced by U+FFFD: they have no UTF-8 form, and the SDK
 * refuses to URL-encode them.
 */
function wellFormed(value: string): string {
  return value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}
