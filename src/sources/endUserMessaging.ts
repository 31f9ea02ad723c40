import type { JsonObject } from '../decode';
import { bool, epochMs, int32, int64, num, obj, str } from '../fields';
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
import { nonEmptyString, type SourceAdapter } from './sourceAdapter';

/**
 * Outcome of a TEXT_/MEDIA_ status suffix (MMS events mirror the SMS ones). Event types: AWS End User Messaging
 * SMS User Guide, "Event types for SMS, MMS, and voice", and the `MatchingEventTypes` values of the SMS and
 * Voice v2 API reference (UpdateEventDestination).
 */
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
  // MMS whose media the service could not fetch or send: the message was not sent.
  FILE_INACCESSIBLE: 'failed',
  FILE_TYPE_UNSUPPORTED: 'failed',
  FILE_SIZE_EXCEEDED: 'failed',
  UNKNOWN: 'unknown',
  // "Messages blocked by protect configuration": the sender's own SMS Protect rules kept it from being sent.
  PROTECT_BLOCKED: 'suppressed',
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

/**
 * Outcome of an RCS event type's suffix (`RCS_DELIVERED` → `DELIVERED`): the outbound status events that reach
 * configuration-set event destinations (AWS End User Messaging SMS User Guide, "RCS message events"; the
 * `RCS_*` values of `MatchingEventTypes`).
 */
const RCS_OUTCOME: Record<string, Outcome> = {
  QUEUED: 'pending',
  SENT: 'sent',
  DELIVERED: 'delivered',
  // A read receipt: the recipient viewed the message (always after, or with, its RCS_DELIVERED).
  READ: 'read',
  FAILED: 'failed',
  // The TTL elapsed before delivery and the message was revoked: it never reached the recipient.
  TTL_EXPIRED: 'failed',
  PROTECT_BLOCKED: 'suppressed',
  // Not delivered over RCS; sent on as SMS or MMS, whose own TEXT_/MEDIA_ events follow.
  FALLEN_BACK_TO_SMS: 'fallen_back',
};

/**
 * The `messageStatus` of an RCS delivery status event ("Each outbound status event has an eventType of
 * RCS_DELIVERED (and related RCS status event types) and a messageStatus field"): it says more than the type.
 */
const RCS_DELIVERY_STATUS: Record<string, Outcome> = {
  DELIVERED: 'delivered',
  PENDING: 'pending',
  // "The platform permanently cannot deliver the message (for example, the recipient's device does not support
  // RCS)": a fallback may follow.
  UNDELIVERABLE: 'failed',
  // "The message was rejected due to a content policy violation."
  REJECTED: 'rejected',
};

/** The RCS types whose `messageStatus` is one of RCS_DELIVERY_STATUS's: the delivery status events. */
const RCS_DELIVERY_TYPES = new Set(['QUEUED', 'SENT', 'DELIVERED', 'FAILED']);

/**
 * The two outcomes of a TTL expiration, as the RCS page names them: in `messageStatus` of an `RCS_TTL_EXPIRED`
 * event, or as the event type itself.
 */
const RCS_TTL_OUTCOME: Record<string, Outcome> = {
  // "The expired message was successfully removed before the recipient viewed it."
  TTL_EXPIRATION_REVOKED: 'failed',
  // "The revocation failed and the message might still be delivered": nobody knows yet.
  TTL_EXPIRATION_REVOKE_FAILED: 'unknown',
};

/**
 * Family, outcome and channel of an End User Messaging SMS/voice v2 event: by its type, and for RCS by its
 * `messageStatus` where the RCS documentation gives it a meaning of its own. RCS events are the `RCS_*` types,
 * and any other type of an event that carries `rcsBusinessId` (which the documentation puts on every RCS event
 * and on no SMS or MMS event).
 */
export function classifyEndUserMessaging(eventType: string, event: JsonObject = {}): Classification {
  const us = eventType.indexOf('_');
  const kind = us > 0 ? eventType.slice(0, us) : eventType;
  const status = us > 0 ? eventType.slice(us + 1) : '';
  if (kind === 'TEXT' || kind === 'MEDIA') {
    return { family: 'sms', outcome: lookup(MESSAGE_OUTCOME, status) ?? 'other', channel: 'SMS' };
  }
  if (kind === 'VOICE')
    return { family: 'voice', outcome: lookup(VOICE_OUTCOME, status) ?? 'other', channel: 'VOICE' };
  if (kind === 'RCS') return { family: 'rcs', outcome: rcsOutcome(status, event), channel: 'RCS' };
  if (typeof event.rcsBusinessId === 'string') {
    return { family: 'rcs', outcome: lookup(RCS_TTL_OUTCOME, eventType) ?? 'other', channel: 'RCS' };
  }
  return { family: 'unknown', outcome: 'other' };
}

function rcsOutcome(status: string, event: JsonObject): Outcome {
  const messageStatus = str(event.messageStatus);
  if (messageStatus !== undefined) {
    if (RCS_DELIVERY_TYPES.has(status)) {
      const refined = lookup(RCS_DELIVERY_STATUS, messageStatus);
      if (refined !== undefined) return refined;
    } else if (status === 'TTL_EXPIRED') {
      const refined = lookup(RCS_TTL_OUTCOME, messageStatus);
      if (refined !== undefined) return refined;
    }
  }
  return lookup(RCS_OUTCOME, status) ?? 'other';
}

/**
 * Normalizes one AWS End User Messaging SMS/voice v2 configuration-set event (camelCase) — text, MMS, voice or
 * RCS — to schema v1. The same event arrives as the `detail` of an EventBridge event (`aws.sms-voice`).
 */
export function normalizeEndUserMessaging(
  event: JsonObject,
  eventType: string,
  ctx: NormalizeContext,
): NormalizedRecord {
  const cls = classifyEndUserMessaging(eventType, event);
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
  put(rec, 'rcs_business_id', str(event.rcsBusinessId));
  put(rec, 'rcs_agent_country', str(event.agentIsoCountryCode));
  put(rec, 'conversation_id', str(event.conversationInitiatingMessageId));
  put(rec, 'price_usd', usd(num(event.totalMessagePrice)));
  put(rec, 'carrier_fee_usd', usd(num(event.totalCarrierFee)));
  put(rec, 'session_fee_usd', usd(num(event.conversationSessionFee)));

  ctx.pii.recipient(rec, str(event.destinationPhoneNumber), str(event.isoCountryCode));
  // An RCS agent's identity (`rcs-…`) stands where a text's origination number does: protected alike.
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
    ['carrier_name', event.carrierName],
    ['message_encoding', event.messageEncoding],
    ['is_international_send', event.isInternationalSend],
    ['configuration_set', event.configurationSet],
    ['rcs_billing_event_type', obj(event.rcsMetadata)?.billingEventType],
    ['conversation_initiating_message_type', event.conversationInitiatingMessageType],
  ];
  for (const [key, value] of extra) {
    const s = str(value);
    if (s !== undefined && attrs[key] === undefined) attrs[key] = s;
  }
  addProtect(attrs, obj(event.protectConfiguration));
  for (const _ in attrs) {
    rec.attributes = attrs;
    break;
  }
  return rec;
}

/**
 * The SMS Protect verdict an event carries (`protectConfiguration: {protectConfigurationId, protectStatus}`),
 * into attributes as `protect_configuration_id`, `protect_status`: on a `*_PROTECT_BLOCKED` event, why the
 * message was not sent. Every other scalar of the object comes along the same way, so that a reason field is
 * kept whatever it is called: a camelCase name in snake case (`blockReason` → `protect_block_reason`), any
 * other name as it is (its text reaches the personal-data scan unchanged).
 */
function addProtect(attrs: Record<string, string>, protect: JsonObject | undefined): void {
  if (protect === undefined) return;
  for (const key in protect) {
    const s = str(protect[key]);
    if (s === undefined) continue;
    const name = `protect_${CAMEL_CASE.test(key) ? snakeCase(key.startsWith('protect') ? key.slice(7) : key) : key}`;
    if (attrs[name] === undefined) attrs[name] = s;
  }
}

/** A camelCase name: letters and digits only, bounded (anchored, bounded repetition: linear). */
const CAMEL_CASE = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

/** `ConfigurationId` → `configuration_id`. */
function snakeCase(key: string): string {
  let out = '';
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c >= 65 && c <= 90) out += (out.length > 0 ? '_' : '') + String.fromCharCode(c + 32);
    else out += key[i];
  }
  return out;
}

/** The `detail-type` End User Messaging gives a registration's status change on EventBridge. */
export const REGISTRATION_STATUS_CHANGE = 'Registration Status Change';

/**
 * The event type when the object is the detail of an End User Messaging registration status change
 * (`registrationDetails` object), else undefined.
 */
function registrationEventType(event: JsonObject): string | undefined {
  return obj(event.registrationDetails) !== undefined ? REGISTRATION_STATUS_CHANGE : undefined;
}

/**
 * Normalizes the detail of an End User Messaging "Registration Status Change" EventBridge event (AWS End User
 * Messaging SMS User Guide, "Monitoring with EventBridge"): `{registrationDetails: {registrationId,
 * registrationVersionNumber, registrationType, registrationStatusChangeTimestamp, currentStatus},
 * registrationArn}`. Family `registration`, outcome `other` (a registration is not a message), no channel; the
 * status a rule alerts on is `status` (`CREATED`, `SUBMITTED`, `REVIEWING`, `REQUIRES_AUTHENTICATION`,
 * `PROVISIONING`, `COMPLETE`, `REQUIRES_UPDATES`, `CLOSED`, `DELETED`).
 */
export function normalizeRegistration(
  event: JsonObject,
  eventType: string,
  ctx: NormalizeContext,
): NormalizedRecord {
  const details = obj(event.registrationDetails) ?? {};
  const cls = { family: 'registration', outcome: 'other' } as const;
  const rec = startRecord(
    'end_user_messaging',
    eventType,
    cls,
    epochMs(details.registrationStatusChangeTimestamp),
    undefined,
    ctx,
  );
  put(rec, 'registration_id', str(details.registrationId));
  put(rec, 'status', str(details.currentStatus));
  const attrs: Record<string, string> = {};
  const type = str(details.registrationType);
  const version = str(details.registrationVersionNumber);
  if (type !== undefined) attrs.registration_type = type;
  if (version !== undefined) attrs.registration_version_number = version;
  for (const _ in attrs) {
    rec.attributes = attrs;
    break;
  }
  return rec;
}

/**
 * AWS End User Messaging SMS/voice v2 events (text, MMS, voice, RCS): any other non-empty `eventType` (or
 * `notificationType`); types we do not know become family `unknown`.
 */
export const END_USER_MESSAGING: SourceAdapter = {
  source: 'end_user_messaging',
  typeOf: (event) => nonEmptyString(event.eventType ?? event.notificationType),
  normalize: normalizeEndUserMessaging,
};

/** End User Messaging registration status changes: a `registrationDetails` object (EventBridge detail). */
export const REGISTRATION: SourceAdapter = {
  source: 'end_user_messaging',
  typeOf: registrationEventType,
  normalize: normalizeRegistration,
};
