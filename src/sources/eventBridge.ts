import type { JsonObject } from '../decode';
import { epochMs, obj, str } from '../fields';
import type { NormalizedRecord, Source } from '../schema';
import { lookup, type NormalizeContext, startRecord } from './common';
import { END_USER_MESSAGING, REGISTRATION } from './endUserMessaging';
import type { Envelope, Unwrapped } from './envelope';
import { SES } from './ses';
import type { SourceAdapter } from './sourceAdapter';

/** EventBridge `source` → the schema's source of that service's events, and the adapters of its details. */
const EVENTBRIDGE_SOURCES: Readonly<Record<string, { source: Source; adapters: readonly SourceAdapter[] }>> =
  {
    // SES event publishing to the default bus: the detail is the event the Firehose destination would write.
    'aws.ses': { source: 'ses', adapters: [SES] },
    // End User Messaging (AWS End User Messaging SMS User Guide, "Monitoring with EventBridge"): the detail of
    // "Text / Media / Voice Message Delivery Status Updated" is the configuration-set event; that of
    // "Registration Status Change" describes a registration.
    'aws.sms-voice': { source: 'end_user_messaging', adapters: [REGISTRATION, END_USER_MESSAGING] },
  };

/**
 * An Amazon EventBridge event, as a rule target (a Kinesis stream, a Firehose stream) receives it:
 * `{version, id, detail-type, source, account, time, region, resources, detail}`. Recognized by a non-empty
 * string `detail-type`, a string `source` and an object `detail` (EventBridge requires all three; none is a key
 * of another source's events).
 *
 * The detail of a known `source` is normalized exactly as that service's bare event; the envelope adds its
 * `id` (`source_event_id`), its `time` as the arrival time (the services' events have none of their own), and
 * `account` and the SES configuration set named in `resources` where the detail names none. Any other event
 * (an unknown `source`, or a detail that is no event of that source, such as SES's account-level `Sending
 * Status Disabled`) is a well-formed record of family `unknown`, with `detail-type` as its event type; an
 * unknown `source` is written as source `eventbridge`. Follows the EventBridge user guide ("Amazon EventBridge
 * events"), the SES developer guide ("Monitoring SES events using Amazon EventBridge") and the End User
 * Messaging SMS user guide ("Monitoring with EventBridge").
 */
export const EVENTBRIDGE: Envelope = {
  name: 'eventbridge',
  unwrap(event: JsonObject): Unwrapped | undefined {
    const detailType = event['detail-type'];
    const source = event.source;
    const detail = obj(event.detail);
    if (typeof detailType !== 'string' || detailType.length === 0) return undefined;
    if (typeof source !== 'string' || detail === undefined) return undefined;
    const known = lookup(EVENTBRIDGE_SOURCES, source);
    const timeMs = epochMs(event.time);
    return {
      facts: {
        sourceEventId: str(event.id),
        arrivalMs: timeMs,
        accountId: str(event.account),
        configurationSet: configurationSetOf(event.resources),
      },
      inner: detail,
      adapters: known?.adapters ?? [],
      unknown: (ctx) => unknownDetail(detailType, source, known?.source ?? 'eventbridge', timeMs, ctx),
    };
  },
};

/** An envelope whose detail we do not normalize: only the envelope is read, the detail is not copied. */
function unknownDetail(
  detailType: string,
  eventBridgeSource: string,
  source: Source,
  timeMs: number | undefined,
  ctx: NormalizeContext,
): NormalizedRecord {
  const cls = { family: 'unknown', outcome: 'other' } as const;
  const rec = startRecord(source, detailType, cls, timeMs, undefined, ctx);
  // Which service sent it, when the partition (`eventbridge`) cannot say.
  if (source === 'eventbridge') rec.attributes = { eventbridge_source: eventBridgeSource };
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
