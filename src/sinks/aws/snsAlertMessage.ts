import { alertText } from '../../alerts/alertText';
import type { AnyAlert } from '../../alerts/anyAlert';
import { fitAlert } from '../../alerts/fitAlert';

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

/** An alert as one SNS message: the alert as sent, and the message built from it (alertText). */
export interface SnsAlertMessage<A extends AnyAlert = AnyAlert> {
  /**
   * The alert as sent: bounded, and for an event alert without the samples that did not fit
   * (`samples_omitted` says how many).
   */
  alert: A;
  /** The alert's subject made an SNS subject (snsSubject). */
  Subject: string;
  /** The alert's body, ending with the alert as JSON. */
  Message: string;
  /** The alert's attributes as String message attributes, for subscription filter policies. */
  MessageAttributes: Record<string, { DataType: 'String'; StringValue: string }>;
}

/**
 * Bytes SNS counts for one message: the UTF-8 bytes of the message, of the subject, and of every attribute's
 * name, data type and value. Exact for well-formed strings (every string alertText builds is one).
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
 * Any alert as one SNS message that SNS accepts, whatever the records held: its text (alertText) with the
 * subject made an SNS subject and the attributes String message attributes, the whole — subject and attributes
 * included — at most `maxBytes`, made smaller as fitAlert does when it is not: an event alert's last samples
 * left out (the body says they were left out "to fit the SNS message size limit"), then its event types and
 * apps counted instead of listed; a rate alert's description left out, then its group values cut. Without
 * samples a bounded event alert takes well under 100 KiB, and a bounded rate alert some 30 KiB at the very
 * most, so the default limit is always met. Deterministic: a retried batch sends the same message.
 */
export function snsAlertMessage<A extends AnyAlert>(
  alert: A,
  maxBytes: number = SNS_LIMITS.messageBytes,
): SnsAlertMessage<A> {
  const render = (a: AnyAlert): SnsAlertMessage<A> => {
    const text = alertText(a, { sizeLimit: 'the SNS message size limit' });
    return {
      alert: a as A,
      Subject: snsSubject(text.subject),
      Message: text.body,
      MessageAttributes: snsAttributes(text.attributes),
    };
  };
  return fitAlert(alert, render, (message) => snsMessageBytes(message) <= maxBytes);
}

/** An SNS subject: printable ASCII (no line breaks or control characters), fewer than 100 characters. */
export function snsSubject(subject: string): string {
  const ascii = subject.replace(/[^\x20-\x7e]/g, '?');
  const max = SNS_LIMITS.subjectChars;
  return ascii.length <= max ? ascii : `${ascii.slice(0, max - 3)}...`;
}

/** The alert's attributes as SNS String message attributes (alertText leaves out empty values: SNS refuses them). */
function snsAttributes(attributes: Readonly<Record<string, string>>): SnsAlertMessage['MessageAttributes'] {
  const out: SnsAlertMessage['MessageAttributes'] = {};
  for (const [name, value] of Object.entries(attributes))
    out[name] = { DataType: 'String', StringValue: value };
  return out;
}
