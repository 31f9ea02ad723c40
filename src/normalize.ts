import type { JsonObject } from './decode';
import { PoisonRecordError } from './errors';
import type { NormalizedRecord } from './schema';
import type { NormalizeContext } from './sources/common';
import { END_USER_MESSAGING, REGISTRATION } from './sources/endUserMessaging';
import { applyEnvelopeFacts, type Envelope, type EnvelopeFacts, type Unwrapped } from './sources/envelope';
import { EVENTBRIDGE } from './sources/eventBridge';
import { PINPOINT } from './sources/pinpoint';
import { SES } from './sources/ses';
import { SNS } from './sources/sns';
import { detectSource, type SourceAdapter } from './sources/sourceAdapter';

/**
 * The envelopes events arrive in, tried in order before source detection (docs/schema.md §2, "Envelopes"): an
 * object of an envelope's shape is unwrapped, and what it carries is normalized in its place. The next envelope
 * is one more entry.
 */
export const ENVELOPES: readonly Envelope[] = [EVENTBRIDGE, SNS];

/**
 * Source detection by shape, in order (docs/schema.md §1): a snake_case `event_type` is Pinpoint; an
 * `eventType`/`notificationType` with a `mail` object is SES; a `registrationDetails` object is an End User
 * Messaging registration; any other `eventType` is End User Messaging.
 */
const SOURCES_BY_SHAPE: readonly SourceAdapter[] = [PINPOINT, SES, REGISTRATION, END_USER_MESSAGING];

/**
 * Envelopes unwrapped at most, one inside the other (EventBridge → SNS topic → Firehose is two). Past that an
 * envelope is not opened: its record is the one of the last envelope opened.
 */
const MAX_ENVELOPES = 2;

/**
 * Detects the source from the event's shape and normalizes it. Fields copied from the event are copied as they
 * are: the pipeline routes the record, then protects personal data in every field (`PiiProtector.record`, by
 * the field policy of docs/schema.md §5) before anything is written.
 *
 * First the envelopes (`ENVELOPES`): an Amazon EventBridge event (its detail normalized by the adapters of its
 * `source`) or an Amazon SNS notification (its message normalized by its own shape), then source detection
 * (`SOURCES_BY_SHAPE`). What an envelope carries is normalized exactly as the same event arriving bare; the
 * envelope then adds its id and time (and, for EventBridge, the account and configuration set the event does not
 * name). Each step reads the record once: linear in its size.
 *
 * @throws PoisonRecordError when the object carries no event type at all, and is no envelope.
 */
export function normalizeEvent(event: JsonObject, ctx: NormalizeContext): NormalizedRecord {
  const facts: EnvelopeFacts[] = [];
  const rec = normalizeUnwrapped(event, ctx, facts);
  if (facts.length > 0) applyEnvelopeFacts(rec, facts);
  return rec;
}

/** Unwraps the envelopes around the event (their facts into `facts`, innermost first) and normalizes it. */
function normalizeUnwrapped(
  event: JsonObject,
  ctx: NormalizeContext,
  facts: EnvelopeFacts[],
): NormalizedRecord {
  let current = event;
  let opened: Unwrapped | undefined;
  for (let depth = 0; depth < MAX_ENVELOPES; depth++) {
    const next = unwrap(current);
    if (next === undefined) break;
    opened = next;
    facts.unshift(next.facts);
    if (next.inner === undefined) return next.unknown(ctx);
    if (next.adapters !== undefined) {
      const found = detectSource(next.inner, next.adapters);
      return found !== undefined
        ? found.adapter.normalize(next.inner, found.eventType, ctx)
        : next.unknown(ctx);
    }
    current = next.inner;
  }
  const found = detectSource(current, SOURCES_BY_SHAPE);
  if (found !== undefined) return found.adapter.normalize(current, found.eventType, ctx);
  if (opened !== undefined) return opened.unknown(ctx);
  throw new PoisonRecordError(
    'missing_event_type',
    'JSON object has no event type (event_type, eventType, notificationType, an EventBridge detail-type or an SNS Message)',
  );
}

function unwrap(event: JsonObject): Unwrapped | undefined {
  for (const envelope of ENVELOPES) {
    const unwrapped = envelope.unwrap(event);
    if (unwrapped !== undefined) return unwrapped;
  }
  return undefined;
}
