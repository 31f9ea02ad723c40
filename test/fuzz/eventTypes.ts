/**
 * The event type a normalized record gets, read from the event as docs/schema.md §1 and §2 describe source
 * detection and the envelopes — written apart from the code under test, so that the fuzz suite can say what a
 * record must become.
 */

type JsonObject = Record<string, unknown>;

const nonEmpty = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Envelopes opened at most, one inside the other (docs/schema.md §2). */
const MAX_ENVELOPES = 2;

export const REGISTRATION_STATUS_CHANGE = 'Registration Status Change';

/** The type of an object by its own shape (no envelope): Pinpoint, SES, a registration, End User Messaging. */
function shapeType(e: JsonObject): string | undefined {
  const pinpoint = nonEmpty(e.event_type);
  if (pinpoint !== undefined) return pinpoint;
  const camel = e.eventType ?? e.notificationType;
  if (nonEmpty(camel) !== undefined && isObject(e.mail)) return camel as string;
  if (isObject(e.registrationDetails)) return REGISTRATION_STATUS_CHANGE;
  return nonEmpty(camel);
}

/** An EventBridge event: detail-type, source, detail. */
export function isEventBridge(e: JsonObject): boolean {
  return nonEmpty(e['detail-type']) !== undefined && typeof e.source === 'string' && isObject(e.detail);
}

/** An SNS notification: Type Notification and a string Message. */
export function isSnsNotification(e: JsonObject): boolean {
  return e.Type === 'Notification' && typeof e.Message === 'string';
}

/** The event type the record of this object gets, or undefined when it is poison (no event type). */
export function expectedEventType(e: JsonObject, depth = 0): string | undefined {
  if (depth < MAX_ENVELOPES && isEventBridge(e)) {
    const detail = e.detail as JsonObject;
    if (e.source === 'aws.ses') {
      const camel = detail.eventType ?? detail.notificationType;
      return nonEmpty(camel) !== undefined && isObject(detail.mail)
        ? (camel as string)
        : (e['detail-type'] as string);
    }
    if (e.source === 'aws.sms-voice') {
      if (isObject(detail.registrationDetails)) return REGISTRATION_STATUS_CHANGE;
      return nonEmpty(detail.eventType ?? detail.notificationType) ?? (e['detail-type'] as string);
    }
    return e['detail-type'] as string;
  }
  if (depth < MAX_ENVELOPES && isSnsNotification(e)) {
    let inner: unknown;
    try {
      inner = JSON.parse(e.Message as string);
    } catch {
      return 'Notification';
    }
    return (isObject(inner) ? expectedEventType(inner, depth + 1) : undefined) ?? 'Notification';
  }
  return shapeType(e);
}
