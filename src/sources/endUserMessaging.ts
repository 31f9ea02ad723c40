import type { JsonObject } from '../decode';
import { bool, epochMs, int32, int64, num, str } from '../fields';
import type { NormalizedRecord, Outcome } from '../schema';
import {
  type Classification,
  lookup,
  type NormalizeContext,
  put,
  startRecord,
  stringMap,
  usd,
} from './common';

/** Outcome of a TEXT_/MEDIA_ status suffix (MMS events mirror the SMS ones). */
const MESSAGE_OUTCOME: Record<string, Outcome> = {
  SENT: 'sent',
  DELIVERED: 'delivered',
  SUCCESSFUL: 'delivered',
  QUEUED: 'pending',
  PENDING: 'pending',
  BLOCKED: 'rejected',
  SPAM: 'rejected',
  CARRIER_BLOCKED: 'rejected',
  TTL_EXPIRED: 'failed',
  CARRIER_UNREACHABLE: 'failed',
  INVALID: 'failed',
  INVALID_MESSAGE: 'failed',
  UNREACHABLE: 'failed',
  UNKNOWN: 'unknown',
};

const VOICE_OUTCOME: Record<string, Outcome> = {
  INITIATED: 'sent',
  RINGING: 'pending',
  ANSWERED: 'delivered',
  COMPLETED: 'delivered',
  BUSY: 'failed',
  NO_ANSWER: 'failed',
  FAILED: 'failed',
  TTL_EXPIRED: 'failed',
};

/** Family, outcome and channel of an End User Messaging SMS/voice v2 event type. */
export function classifyEndUserMessaging(eventType: string): Classification {
  const us = eventType.indexOf('_');
  const kind = us > 0 ? eventType.slice(0, us) : eventType;
  const status = us > 0 ? eventType.slice(us + 1) : '';
  if (kind === 'TEXT' || kind === 'MEDIA') {
    return { family: 'sms', outcome: lookup(MESSAGE_OUTCOME, status) ?? 'other', channel: 'SMS' };
  }
  if (kind === 'VOICE')
    return { family: 'voice', outcome: lookup(VOICE_OUTCOME, status) ?? 'other', channel: 'VOICE' };
  return { family: 'unknown', outcome: 'other' };
}

/** Normalizes one AWS End User Messaging SMS/voice v2 configuration-set event (camelCase) to schema v1. */
export function normalizeEndUserMessaging(
  event: JsonObject,
  eventType: string,
  ctx: NormalizeContext,
): NormalizedRecord {
  const cls = classifyEndUserMessaging(eventType);
  const eventMs = epochMs(event.eventTimestamp);
  // These events have no arrival time of their own: the stream's arrival stands in.
  const rec = startRecord('end_user_messaging', eventType, cls, eventMs, undefined, ctx);

  put(rec, 'configuration_set', str(event.configurationSet));
  put(rec, 'message_id', str(event.messageId));
  put(rec, 'message_type', str(event.messageType));
  put(rec, 'message_parts', int32(event.totalMessageParts));
  put(rec, 'status', str(event.messageStatus));
  put(rec, 'status_message', str(event.messageStatusDescription));
  put(rec, 'is_final', bool(event.isFinal));
  put(rec, 'price_usd', usd(num(event.totalMessagePrice)));
  put(rec, 'carrier_fee_usd', usd(num(event.totalCarrierFee)));

  ctx.pii.recipient(rec, str(event.destinationPhoneNumber), str(event.isoCountryCode));
  ctx.pii.sender(rec, str(event.originationPhoneNumber));
  // `isoCountryCode` is the service's own answer; the number's calling code is the fallback.
  put(rec, 'country', str(event.isoCountryCode) ?? rec.phone_country);

  const requested = epochMs(event.messageRequestTimestamp);
  // Delivery latency is request → delivery; for voice that is the answer, not the end of the call.
  if (
    cls.outcome === 'delivered' &&
    eventType !== 'VOICE_COMPLETED' &&
    requested !== undefined &&
    eventMs !== undefined &&
    eventMs >= requested
  ) {
    put(rec, 'delivery_latency_ms', int64(eventMs - requested));
  }

  // A copy: the extra keys below must not be written into the caller's event.
  const attrs: Record<string, string> = { ...stringMap(event.context) };
  const extra: Array<[string, unknown]> = [
    ['mcc', event.mcc],
    ['mnc', event.mnc],
    ['message_encoding', event.messageEncoding],
    ['is_international_send', event.isInternationalSend],
    ['configuration_set', event.configurationSet],
  ];
  for (const [key, value] of extra) {
    const s = str(value);
    if (s !== undefined && attrs[key] === undefined) attrs[key] = s;
  }
  for (const _ in attrs) {
    rec.attributes = attrs;
    break;
  }
  return rec;
}
