import type { JsonObject } from '../decode';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../decode';
import { PoisonRecordError } from '../errors';
import { epochMs, obj, str } from '../fields';
import type { NormalizedRecord } from '../schema';
import { type NormalizeContext, startRecord } from './common';
import type { Envelope, Unwrapped } from './envelope';

/**
 * An Amazon SNS notification as a Firehose stream subscribed to a topic *without* raw message delivery receives
 * it (Amazon SNS developer guide, "Formatting Amazon SNS notifications for storage in Amazon S3 destinations"):
 * `{Type: "Notification", MessageId, TopicArn, Subject?, Message, Timestamp, UnsubscribeURL, MessageAttributes?}`
 * (other deliveries add `SignatureVersion`, `Signature`, `SigningCertURL`). `Message` is the published text:
 * for SES event publishing (and SES notifications) to a topic, the SES event as a JSON string. With raw message
 * delivery the record is the message itself, a bare event, and no envelope is involved.
 *
 * Recognized by `Type` = `Notification` and a string `Message` (no source's event has either key). The message
 * is parsed and normalized by its own shape, as if it had arrived bare; the envelope adds `MessageId`
 * (`source_event_id`) and `Timestamp` (the arrival time, so `dt`/`hour`). A message that is no JSON object, or
 * no event of a known source, makes a record of source `sns`, family `unknown`, with `Type` as its event type and
 * the topic's name in `attributes.sns_topic`: the message is not copied.
 */
export const SNS: Envelope = {
  name: 'sns',
  unwrap(event: JsonObject): Unwrapped | undefined {
    const message = event.Message;
    if (event.Type !== 'Notification' || typeof message !== 'string') return undefined;
    const timestampMs = epochMs(event.Timestamp);
    return {
      facts: { sourceEventId: str(event.MessageId), arrivalMs: timestampMs },
      inner: parseMessage(message),
      unknown: (ctx) => unknownMessage(event, timestampMs, ctx),
    };
  },
};

/**
 * The message as a JSON object, or undefined when it is none. Its nesting is bounded as a record's is
 * (src/decode.ts): a message nested deeper is not an event, and would overflow the stack of later steps.
 */
function parseMessage(message: string): JsonObject | undefined {
  const first = message.trimStart().charCodeAt(0);
  // Only an object can be an event: spare the parse of plain text messages.
  if (first !== 123 /* { */) return undefined;
  if (nestsDeeperThan(message, MAX_JSON_DEPTH)) {
    throw new PoisonRecordError(
      'too_deeply_nested',
      `SNS message nests arrays or objects more than ${MAX_JSON_DEPTH} levels deep`,
    );
  }
  try {
    return obj(JSON.parse(message));
  } catch {
    return undefined;
  }
}

function unknownMessage(
  event: JsonObject,
  timestampMs: number | undefined,
  ctx: NormalizeContext,
): NormalizedRecord {
  const cls = { family: 'unknown', outcome: 'other' } as const;
  const rec = startRecord('sns', 'Notification', cls, timestampMs, undefined, ctx);
  const topic = topicName(event.TopicArn);
  // Which topic it came through, when the partition (`sns`) cannot say. The name only: the ARN's account id
  // reads as a phone number to the personal-data scanner, and the topic is what an operator knows it by.
  if (topic !== undefined) rec.attributes = { sns_topic: topic };
  return rec;
}

/** `arn:aws:sns:us-east-1:123456789012:ses-events` → `ses-events`. */
function topicName(arn: unknown): string | undefined {
  const s = str(arn);
  if (s === undefined || !s.startsWith('arn:')) return undefined;
  return str(s.slice(s.lastIndexOf(':') + 1));
}
