import type { JsonObject } from './decode';
import { PoisonRecordError } from './errors';
import type { NormalizedRecord } from './schema';
import type { NormalizeContext } from './sources/common';
import { normalizeEndUserMessaging } from './sources/endUserMessaging';
import { eventBridgeEnvelope, normalizeEventBridge } from './sources/eventBridge';
import { normalizePinpoint } from './sources/pinpoint';
import { normalizeSes, sesEventType } from './sources/ses';

/**
 * Detects the source from the event's shape and normalizes it. Fields copied from the event are copied as they
 * are: the pipeline routes the record, then protects personal data in every field (`PiiProtector.record`, by
 * the field policy of docs/schema.md §5) before anything is written.
 * - `detail-type`, `source` and a `detail` object → an Amazon EventBridge event: its detail normalized by
 *   the normalizer of its `source` (SES), else family `unknown` (src/sources/eventBridge.ts);
 * - `event_type` (snake_case envelope) → Amazon Pinpoint event stream;
 * - `eventType`/`notificationType` with a `mail` object → Amazon SES event publishing / notifications;
 * - any other `eventType` → AWS End User Messaging SMS/voice v2 (unknown types become family `unknown`).
 *
 * @throws PoisonRecordError when the object carries no event type at all.
 */
export function normalizeEvent(event: JsonObject, ctx: NormalizeContext): NormalizedRecord {
  const envelope = eventBridgeEnvelope(event);
  if (envelope !== undefined) return normalizeEventBridge(envelope, ctx);
  const pinpointType = event.event_type;
  if (typeof pinpointType === 'string' && pinpointType.length > 0) {
    return normalizePinpoint(event, pinpointType, ctx);
  }
  const sesType = sesEventType(event);
  if (sesType !== undefined) return normalizeSes(event, sesType, ctx);
  const camelType = event.eventType ?? event.notificationType;
  if (typeof camelType === 'string' && camelType.length > 0) {
    return normalizeEndUserMessaging(event, camelType, ctx);
  }
  throw new PoisonRecordError(
    'missing_event_type',
    'JSON object has no event type (event_type, eventType, notificationType or an EventBridge detail-type)',
  );
}
