import type { JsonObject } from '../decode';
import { arr, bool, epochMs, int32, int64, obj, str } from '../fields';
import type { NormalizedRecord, Outcome } from '../schema';
import {
  type Classification,
  firstOf,
  lookup,
  type NormalizeContext,
  put,
  putBounce,
  putMailParties,
  startRecord,
} from './common';
import type { SourceAdapter } from './sourceAdapter';

interface SesType {
  outcome: Outcome;
  /** Name of the object that carries the event's details. */
  detail: string;
}

const SES_TYPES: Record<string, SesType> = {
  Send: { outcome: 'sent', detail: 'send' },
  Delivery: { outcome: 'delivered', detail: 'delivery' },
  Bounce: { outcome: 'bounced', detail: 'bounce' },
  Complaint: { outcome: 'complained', detail: 'complaint' },
  Reject: { outcome: 'rejected', detail: 'reject' },
  Open: { outcome: 'opened', detail: 'open' },
  Click: { outcome: 'clicked', detail: 'click' },
  'Rendering Failure': { outcome: 'failed', detail: 'failure' },
  DeliveryDelay: { outcome: 'delayed', detail: 'deliveryDelay' },
  Subscription: { outcome: 'subscription', detail: 'subscription' },
};

/** Family, outcome and channel of an SES event-publishing (or notification) type. */
export function classifySes(eventType: string): Classification {
  const t = lookup(SES_TYPES, eventType);
  return t === undefined
    ? { family: 'unknown', outcome: 'other', channel: 'EMAIL' }
    : { family: 'email', outcome: t.outcome, channel: 'EMAIL' };
}

/**
 * The event type when the object is shaped like an SES event: a non-empty `eventType` (event publishing) or
 * `notificationType` (notifications) with a `mail` object. Undefined otherwise.
 */
function sesEventType(event: JsonObject): string | undefined {
  const type = event.eventType ?? event.notificationType;
  return typeof type === 'string' && type.length > 0 && obj(event.mail) !== undefined ? type : undefined;
}

/**
 * Normalizes one Amazon SES event-publishing record (`eventType`) or SES notification (`notificationType`)
 * to schema v1.
 */
export function normalizeSes(event: JsonObject, eventType: string, ctx: NormalizeContext): NormalizedRecord {
  const cls = classifySes(eventType);
  const mail = obj(event.mail);
  const detailName = lookup(SES_TYPES, eventType)?.detail;
  const detail = detailName !== undefined ? obj(event[detailName]) : undefined;
  const eventMs = epochMs(detail?.timestamp) ?? epochMs(mail?.timestamp);
  const rec = startRecord('ses', eventType, cls, eventMs, undefined, ctx);
  if (eventType === 'Subscription' && bool(obj(detail?.newTopicPreferences)?.unsubscribeAll) === true) {
    rec.outcome = 'unsubscribed';
  }

  put(rec, 'account_id', str(mail?.sendingAccountId));
  put(rec, 'configuration_set', configurationSetOf(mail?.tags));
  put(rec, 'message_id', str(mail?.messageId));
  const destination = arr(mail?.destination);
  if (destination !== undefined) put(rec, 'recipient_count', int32(destination.length));

  const recipients = [
    firstOf(detail?.bouncedRecipients, 'emailAddress'),
    firstOf(detail?.complainedRecipients, 'emailAddress'),
    firstOf(detail?.delayedRecipients, 'emailAddress'),
    firstOf(detail?.recipients),
  ];
  putMailParties(rec, ctx, recipients, destination, mail?.source);

  if (detail !== undefined) {
    switch (eventType) {
      case 'Bounce': {
        const type = str(detail.bounceType);
        put(rec, 'status', type);
        putBounce(rec, type, detail.bounceSubType);
        break;
      }
      case 'Complaint':
        put(rec, 'complaint_type', str(detail.complaintFeedbackType));
        break;
      case 'Reject':
        put(rec, 'reject_reason', str(detail.reason));
        break;
      case 'Delivery': {
        put(rec, 'delivery_latency_ms', int64(detail.processingTimeMillis));
        break;
      }
      case 'DeliveryDelay':
        put(rec, 'status', str(detail.delayType));
        break;
      case 'Rendering Failure':
        put(rec, 'status_message', str(detail.errorMessage));
        break;
      case 'Open':
      case 'Click':
        ctx.pii.ip(rec, str(detail.ipAddress));
        ctx.pii.userAgent(rec, str(detail.userAgent));
        put(rec, 'link', str(detail.link));
        break;
    }
  }

  const tags = sesTags(mail?.tags);
  if (tags !== undefined) rec.attributes = tags;
  return rec;
}

/**
 * The configuration set that published the event: SES adds the `ses:configuration-set` tag to every event it
 * publishes through one (a list of one value, as every tag). The tag stays in `attributes` too.
 */
function configurationSetOf(value: unknown): string | undefined {
  const tag = obj(value)?.['ses:configuration-set'];
  return str(Array.isArray(tag) ? tag[0] : tag);
}

/** SES message tags are `{name: [values]}`; flattened to `name → "v1,v2"` to fit the attributes map. */
function sesTags(value: unknown): Record<string, string> | undefined {
  const tags = obj(value);
  if (tags === undefined) return undefined;
  let out: Record<string, string> | undefined;
  for (const name in tags) {
    const values = tags[name];
    const joined = Array.isArray(values) ? values.map((v) => str(v) ?? '').join(',') : str(values);
    if (joined === undefined) continue;
    out ??= {};
    out[name] = joined;
  }
  return out;
}

/** Amazon SES event publishing and notifications: `eventType` or `notificationType` with a `mail` object. */
export const SES: SourceAdapter = { source: 'ses', typeOf: sesEventType, normalize: normalizeSes };
