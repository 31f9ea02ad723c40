import type { JsonObject } from '../decode';
import { epochMs, obj, str } from '../fields';
import type { NormalizedRecord, Source } from '../schema';
import { isoFromMs, partitionOf } from '../time';
import { lookup, type NormalizeContext, put, startRecord } from './common';
import { normalizeSes, sesEventType } from './ses';

/** An Amazon EventBridge event, as a rule target (a Kinesis stream, a Firehose stream) receives it. */
export interface EventBridgeEnvelope {
  /** The whole event: `version`, `id`, `detail-type`, `source`, `account`, `time`, `region`, `resources`, `detail`. */
  event: JsonObject;
  source: string;
  detailType: string;
  detail: JsonObject;
}

/**
 * The envelope when the event has its shape: a non-empty string `detail-type`, a string `source` and an
 * object `detail` (EventBridge requires all three). None of the three is a key of another source's events.
 */
export function eventBridgeEnvelope(event: JsonObject): EventBridgeEnvelope | undefined {
  const detailType = event['detail-type'];
  const source = event.source;
  const detail = obj(event.detail);
  if (typeof detailType !== 'string' || detailType.length === 0) return undefined;
  if (typeof source !== 'string' || detail === undefined) return undefined;
  return { event, source, detailType, detail };
}

interface EnvelopeSource {
  /** The schema's `source` for this service's events, including those whose detail it does not know. */
  source: Source;
  /** Normalizes the detail, or answers undefined when it is not an event of the kind this source normalizes. */
  normalize(detail: JsonObject, ctx: NormalizeContext): NormalizedRecord | undefined;
}

/** EventBridge `source` → the normalizer of its detail. */
const ENVELOPE_SOURCES: Record<string, EnvelopeSource> = {
  // SES event publishing to the default bus: the detail is the event the Firehose destination would write.
  'aws.ses': {
    source: 'ses',
    normalize: (detail, ctx) => {
      const type = sesEventType(detail);
      return type === undefined ? undefined : normalizeSes(detail, type, ctx);
    },
  },
};

/**
 * Normalizes an EventBridge event. The detail of a known source is normalized exactly as that source's bare
 * event (SES: as delivered by its Firehose destination), then the envelope adds what it knows
 * (docs/schema.md §2, "EventBridge envelope"): its `id` (`source_event_id`), its `time` as the arrival time
 * (SES events have none of their own), and `account` and the configuration set named in `resources` where
 * the detail names none. Any other envelope (an unknown `source`, or a detail that is not an event of that
 * source, such as SES's account-level `Sending Status Disabled`) is a well-formed event of family `unknown`,
 * with `detail-type` as its event type; an unknown `source` is written as source `eventbridge`.
 *
 * Follows the EventBridge event structure (EventBridge user guide, "Amazon EventBridge events") and the SES
 * developer guide, "Monitoring SES events using Amazon EventBridge".
 */
export function normalizeEventBridge(envelope: EventBridgeEnvelope, ctx: NormalizeContext): NormalizedRecord {
  const known = lookup(ENVELOPE_SOURCES, envelope.source);
  const rec =
    known?.normalize(envelope.detail, ctx) ?? unknownDetail(envelope, known?.source ?? 'eventbridge', ctx);
  const { event } = envelope;
  put(rec, 'source_event_id', str(event.id));
  const timeMs = epochMs(event.time);
  if (timeMs !== undefined) {
    const { dt, hour } = partitionOf(timeMs);
    rec.arrival_time = isoFromMs(timeMs);
    rec.dt = dt;
    rec.hour = hour;
  }
  if (rec.account_id === undefined) put(rec, 'account_id', str(event.account));
  if (rec.configuration_set === undefined) put(rec, 'configuration_set', configurationSetOf(event.resources));
  return rec;
}

/** An envelope whose detail we do not normalize: only the envelope is read, the detail is not copied. */
function unknownDetail(
  envelope: EventBridgeEnvelope,
  source: Source,
  ctx: NormalizeContext,
): NormalizedRecord {
  const cls = { family: 'unknown', outcome: 'other' } as const;
  const rec = startRecord(source, envelope.detailType, cls, epochMs(envelope.event.time), undefined, ctx);
  // Which service sent it, when the partition (`eventbridge`) cannot say.
  if (source === 'eventbridge') rec.attributes = { eventbridge_source: envelope.source };
  return rec;
}

const CONFIGURATION_SET = 'configuration-set/';

/**
 * The name in the first SES configuration-set ARN of `resources`
 * (`arn:aws:ses:us-east-1:123456789012:configuration-set/marketing` → `marketing`).
 */
function configurationSetOf(resources: unknown): string | undefined {
  if (!Array.isArray(resources)) return undefined;
  for (const value of resources) {
    if (typeof value !== 'string') continue;
    // arn:partition:service:region:account:resource
    const [prefix, , service, , , ...resource] = value.split(':');
    if (prefix !== 'arn' || service !== 'ses') continue;
    const name = resource.join(':');
    if (name.startsWith(CONFIGURATION_SET) && name.length > CONFIGURATION_SET.length) {
      return name.slice(CONFIGURATION_SET.length);
    }
  }
  return undefined;
}
