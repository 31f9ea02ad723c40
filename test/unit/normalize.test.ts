import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { JsonObject } from '../../src/decode';
import { PoisonRecordError } from '../../src/errors';
import { normalizeEvent as normalizeOnly } from '../../src/normalize';
import { type PiiMode, PiiProtector } from '../../src/pii';
import { FIELD_POLICY } from '../../src/pii/fieldPolicy';
import {
  CHANNELS as CHANNEL_VALUES,
  FAMILIES as FAMILY_VALUES,
  type NormalizedRecord,
  OUTCOMES as OUTCOME_VALUES,
} from '../../src/schema';
import type { NormalizeContext } from '../../src/sources/common';

const INGEST_MS = 1_763_650_000_000; // 2025-11-20T14:46:40.000Z
const EVENT_ID = 'evt-0001';
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** As the pipeline writes it: normalized, then (after routing) protected by the PII mode. */
function normalizeEvent(event: JsonObject, ctx: NormalizeContext) {
  const rec = normalizeOnly(event, ctx);
  ctx.pii.record(rec);
  return rec;
}

function context(mode: PiiMode = 'hash'): NormalizeContext {
  return {
    eventId: EVENT_ID,
    ingestMs: INGEST_MS,
    pii: new PiiProtector(mode, Buffer.from('test-key-0123456789')),
  };
}

const FILES = ['app', 'campaign', 'journey', 'email', 'sms', 'eum', 'eum-not-sent', 'rcs', 'ses'] as const;
type RawFile = (typeof FILES)[number];

interface RawEvent {
  file: RawFile;
  index: number;
  text: string;
  event: JsonObject;
}

const RAW: RawEvent[] = FILES.flatMap((file) => {
  const events = JSON.parse(
    readFileSync(join(__dirname, '../../events/raw', `${file}.json`), 'utf8'),
  ) as JsonObject[];
  return events.map((event, index) => ({ file, index, text: JSON.stringify(event), event }));
});

function fresh(raw: RawEvent): JsonObject {
  return structuredClone(raw.event);
}

function typeOf(event: JsonObject): string {
  return String(event.event_type ?? event.eventType ?? event.notificationType);
}

/** The event type plus whatever decides its classification: channel, send/record status, bounce type. */
function label(event: JsonObject): string {
  const attrs = (event.attributes ?? {}) as Record<string, string>;
  const bounce = (event.bounce ?? {}) as Record<string, string>;
  return [
    typeOf(event),
    attrs.delivery_type ?? attrs.journey_activity_type,
    attrs.campaign_send_status ?? attrs.journey_send_status ?? attrs.record_status,
    bounce.bounceType,
    // An RCS event's messageStatus can say more than its type (RCS_FAILED REJECTED).
    event.rcsBusinessId !== undefined ? (event.messageStatus as string) : undefined,
  ]
    .filter((part) => part !== undefined)
    .join(' ');
}

type Expected = [
  source: NormalizedRecord['source'],
  family: NormalizedRecord['family'],
  outcome: NormalizedRecord['outcome'],
  channel: NormalizedRecord['channel'] | null,
  extra?: Partial<NormalizedRecord>,
];

/** What every sample event must normalize to. Keyed by `label()`; every sample needs an entry. */
const EXPECTED: Record<string, Expected> = {
  // app
  '_session.start': ['pinpoint', 'app', 'session', null],
  '_session.stop': ['pinpoint', 'app', 'session', null],
  '_session.pause': ['pinpoint', 'app', 'session', null],
  '_session.resume': ['pinpoint', 'app', 'session', null],
  '_userauth.sign_in': ['pinpoint', 'app', 'sign_in', null],
  '_userauth.sign_up': ['pinpoint', 'app', 'sign_up', null],
  '_userauth.auth_fail': ['pinpoint', 'app', 'auth_failed', null],
  '_monetization.purchase': ['pinpoint', 'app', 'purchase', null],
  '_inapp.message_displayed': ['pinpoint', 'app', 'displayed', 'IN_APP'],
  '_inapp.message_dismissed': ['pinpoint', 'app', 'dismissed', 'IN_APP'],
  '_inapp.message_clicked': ['pinpoint', 'app', 'clicked', 'IN_APP'],
  PlayedSong: ['pinpoint', 'custom', 'other', null],
  '_test.event': ['pinpoint', 'custom', 'other', null],
  // campaign
  '_campaign.send EMAIL SUCCESS': ['pinpoint', 'campaign', 'sent', 'EMAIL', { status: 'SUCCESS' }],
  '_campaign.send SMS SUCCESS': ['pinpoint', 'campaign', 'sent', 'SMS', { status: 'SUCCESS' }],
  '_campaign.send APNS SUCCESS': ['pinpoint', 'campaign', 'sent', 'PUSH', { delivery_type: 'APNS' }],
  '_campaign.send EMAIL FAILURE_PERMANENT': [
    'pinpoint',
    'campaign',
    'failed',
    'EMAIL',
    { status: 'FAILURE_PERMANENT' },
  ],
  '_campaign.send SMS QUIET_TIME': ['pinpoint', 'campaign', 'suppressed', 'SMS', { status: 'QUIET_TIME' }],
  '_campaign.send GCM DAILY_CAP': ['pinpoint', 'campaign', 'suppressed', 'PUSH', { status: 'DAILY_CAP' }],
  '_campaign.opened_notification': ['pinpoint', 'campaign', 'opened', 'PUSH'],
  '_campaign.received_foreground': ['pinpoint', 'campaign', 'received', 'PUSH'],
  '_campaign.received_background': ['pinpoint', 'campaign', 'received', 'PUSH'],
  // journey
  '_journey.send EMAIL SUCCESS': ['pinpoint', 'journey', 'sent', 'EMAIL', { status: 'SUCCESS' }],
  '_journey.send SMS SUCCESS': ['pinpoint', 'journey', 'sent', 'SMS', { status: 'SUCCESS' }],
  '_journey.send SMS FAILURE_PERMANENT': [
    'pinpoint',
    'journey',
    'failed',
    'SMS',
    { status: 'FAILURE_PERMANENT', status_code: '400' },
  ],
  '_journey.send PUSH THROTTLED': ['pinpoint', 'journey', 'suppressed', 'PUSH', { status: 'THROTTLED' }],
  '_journey.send QUIET_TIME_WAIT_FINISHED': [
    'pinpoint',
    'journey',
    'other',
    null,
    { status: 'QUIET_TIME_WAIT_FINISHED' },
  ],
  '_journey.send CUSTOM CUSTOM_DELIVERY_FAILURE': [
    'pinpoint',
    'journey',
    'failed',
    'CUSTOM',
    { status: 'CUSTOM_DELIVERY_FAILURE' },
  ],
  '_journey.opened_notification': ['pinpoint', 'journey', 'opened', 'PUSH'],
  '_journey.received_foreground': ['pinpoint', 'journey', 'received', 'PUSH'],
  '_journey.received_background': ['pinpoint', 'journey', 'received', 'PUSH'],
  // email
  '_email.send': ['pinpoint', 'email', 'sent', 'EMAIL'],
  '_email.delivered': ['pinpoint', 'email', 'delivered', 'EMAIL'],
  '_email.rejected': ['pinpoint', 'email', 'rejected', 'EMAIL', { reject_reason: 'Bad content' }],
  '_email.hardbounce': ['pinpoint', 'email', 'bounced', 'EMAIL', { bounce_type: 'permanent' }],
  '_email.softbounce': ['pinpoint', 'email', 'bounced', 'EMAIL', { bounce_type: 'transient' }],
  '_email.complaint': ['pinpoint', 'email', 'complained', 'EMAIL', { complaint_type: 'abuse' }],
  '_email.open': ['pinpoint', 'email', 'opened', 'EMAIL'],
  '_email.click': ['pinpoint', 'email', 'clicked', 'EMAIL'],
  '_email.unsubscribe': ['pinpoint', 'email', 'unsubscribed', 'EMAIL'],
  '_email.rendering_failure': ['pinpoint', 'email', 'failed', 'EMAIL'],
  // sms
  '_SMS.BUFFERED SUCCESSFUL': ['pinpoint', 'sms', 'sent', 'SMS', { status: 'SUCCESSFUL' }],
  '_SMS.SUCCESS DELIVERED': ['pinpoint', 'sms', 'delivered', 'SMS', { status: 'DELIVERED' }],
  '_SMS.FAILURE BLOCKED': ['pinpoint', 'sms', 'rejected', 'SMS', { status: 'BLOCKED' }],
  '_SMS.FAILURE SPAM': ['pinpoint', 'sms', 'rejected', 'SMS', { status: 'SPAM' }],
  '_SMS.FAILURE CARRIER_BLOCKED': ['pinpoint', 'sms', 'rejected', 'SMS', { status: 'CARRIER_BLOCKED' }],
  '_SMS.FAILURE INVALID': ['pinpoint', 'sms', 'failed', 'SMS', { status: 'INVALID' }],
  '_SMS.FAILURE UNREACHABLE': ['pinpoint', 'sms', 'failed', 'SMS', { status: 'UNREACHABLE' }],
  '_SMS.OPTOUT OPTED_OUT': ['pinpoint', 'sms', 'opted_out', 'SMS', { status: 'OPTED_OUT' }],
  '_SMS.SEND SUCCESSFUL': ['pinpoint', 'sms', 'sent', 'SMS'],
  '_sms.success DELIVERED': ['pinpoint', 'sms', 'delivered', 'SMS'],
  // AWS End User Messaging SMS/voice v2
  TEXT_QUEUED: ['end_user_messaging', 'sms', 'pending', 'SMS'],
  TEXT_SENT: ['end_user_messaging', 'sms', 'sent', 'SMS'],
  TEXT_PENDING: ['end_user_messaging', 'sms', 'pending', 'SMS'],
  TEXT_DELIVERED: ['end_user_messaging', 'sms', 'delivered', 'SMS'],
  TEXT_SUCCESSFUL: ['end_user_messaging', 'sms', 'delivered', 'SMS'],
  TEXT_BLOCKED: ['end_user_messaging', 'sms', 'rejected', 'SMS', { status: 'BLOCKED' }],
  TEXT_TTL_EXPIRED: ['end_user_messaging', 'sms', 'failed', 'SMS'],
  TEXT_CARRIER_UNREACHABLE: ['end_user_messaging', 'sms', 'failed', 'SMS'],
  TEXT_INVALID: ['end_user_messaging', 'sms', 'failed', 'SMS'],
  TEXT_INVALID_MESSAGE: ['end_user_messaging', 'sms', 'failed', 'SMS'],
  TEXT_CARRIER_BLOCKED: ['end_user_messaging', 'sms', 'rejected', 'SMS'],
  TEXT_UNREACHABLE: ['end_user_messaging', 'sms', 'failed', 'SMS'],
  TEXT_SPAM: ['end_user_messaging', 'sms', 'rejected', 'SMS'],
  TEXT_UNKNOWN: ['end_user_messaging', 'sms', 'unknown', 'SMS'],
  VOICE_INITIATED: ['end_user_messaging', 'voice', 'sent', 'VOICE'],
  VOICE_RINGING: ['end_user_messaging', 'voice', 'pending', 'VOICE'],
  VOICE_ANSWERED: ['end_user_messaging', 'voice', 'delivered', 'VOICE'],
  VOICE_COMPLETED: ['end_user_messaging', 'voice', 'delivered', 'VOICE', { is_final: true }],
  VOICE_BUSY: ['end_user_messaging', 'voice', 'failed', 'VOICE'],
  VOICE_NO_ANSWER: ['end_user_messaging', 'voice', 'failed', 'VOICE'],
  VOICE_FAILED: ['end_user_messaging', 'voice', 'failed', 'VOICE', { status: 'FAILED' }],
  VOICE_TTL_EXPIRED: ['end_user_messaging', 'voice', 'failed', 'VOICE'],
  MEDIA_SENT: ['end_user_messaging', 'sms', 'sent', 'SMS'],
  MEDIA_DELIVERED: ['end_user_messaging', 'sms', 'delivered', 'SMS'],
  MEDIA_BLOCKED: ['end_user_messaging', 'sms', 'rejected', 'SMS'],
  TEXT_PROTECT_BLOCKED: [
    'end_user_messaging',
    'sms',
    'suppressed',
    'SMS',
    {
      status: 'PROTECT_BLOCKED',
      status_message: 'Message blocked by protect configuration',
      attributes: {
        purpose: 'otp',
        message_encoding: 'GSM',
        is_international_send: 'true',
        protect_configuration_id: 'protect-e06e5d722c31455286262a108e7d863d',
        protect_status: 'BLOCK',
      },
    },
  ],
  MEDIA_FILE_TYPE_UNSUPPORTED: [
    'end_user_messaging',
    'sms',
    'failed',
    'SMS',
    { status: 'FILE_TYPE_UNSUPPORTED' },
  ],
  // AWS End User Messaging RCS ("RCS message events")
  'RCS_DELIVERED DELIVERED': [
    'end_user_messaging',
    'rcs',
    'delivered',
    'RCS',
    { rcs_business_id: 'examplestore_06fr8x6o_agent' },
  ],
  'RCS_READ READ': ['end_user_messaging', 'rcs', 'read', 'RCS', { status: 'READ', price_usd: 0 }],
  'RCS_QUEUED QUEUED': ['end_user_messaging', 'rcs', 'pending', 'RCS'],
  'RCS_SENT SENT': ['end_user_messaging', 'rcs', 'sent', 'RCS'],
  'RCS_DELIVERED PENDING': ['end_user_messaging', 'rcs', 'pending', 'RCS', { status: 'PENDING' }],
  'RCS_FAILED UNDELIVERABLE': ['end_user_messaging', 'rcs', 'failed', 'RCS', { status: 'UNDELIVERABLE' }],
  'RCS_FAILED REJECTED': ['end_user_messaging', 'rcs', 'rejected', 'RCS', { status: 'REJECTED' }],
  'RCS_TTL_EXPIRED TTL_EXPIRATION_REVOKED': ['end_user_messaging', 'rcs', 'failed', 'RCS'],
  'RCS_TTL_EXPIRED TTL_EXPIRATION_REVOKE_FAILED': ['end_user_messaging', 'rcs', 'unknown', 'RCS'],
  'RCS_FALLEN_BACK_TO_SMS FALLEN_BACK_TO_SMS': ['end_user_messaging', 'rcs', 'fallen_back', 'RCS'],
  'RCS_PROTECT_BLOCKED PROTECT_BLOCKED': [
    'end_user_messaging',
    'rcs',
    'suppressed',
    'RCS',
    { rcs_agent_country: 'US', country: 'NG' },
  ],
  // Amazon SES event publishing
  Send: ['ses', 'email', 'sent', 'EMAIL'],
  Delivery: ['ses', 'email', 'delivered', 'EMAIL'],
  Open: ['ses', 'email', 'opened', 'EMAIL'],
  Click: ['ses', 'email', 'clicked', 'EMAIL'],
  'Bounce Permanent': ['ses', 'email', 'bounced', 'EMAIL', { bounce_type: 'permanent', status: 'Permanent' }],
  'Bounce Transient': ['ses', 'email', 'bounced', 'EMAIL', { bounce_type: 'transient', status: 'Transient' }],
  Complaint: ['ses', 'email', 'complained', 'EMAIL', { complaint_type: 'abuse' }],
  Reject: ['ses', 'email', 'rejected', 'EMAIL', { reject_reason: 'Bad content' }],
  'Rendering Failure': ['ses', 'email', 'failed', 'EMAIL'],
  DeliveryDelay: ['ses', 'email', 'delayed', 'EMAIL', { status: 'TransientCommunicationFailure' }],
  Subscription: ['ses', 'email', 'subscription', 'EMAIL'],
};

/** Every event type the AWS documentation lists (docs/schema.md cites the pages), per sample file. */
const DOCUMENTED: Record<RawFile, string[]> = {
  app: [
    '_session.start',
    '_session.stop',
    '_session.pause',
    '_session.resume',
    '_userauth.sign_in',
    '_userauth.sign_up',
    '_userauth.auth_fail',
    '_monetization.purchase',
    '_inapp.message_displayed',
    '_inapp.message_dismissed',
    '_inapp.message_clicked',
  ],
  campaign: [
    '_campaign.send',
    '_campaign.opened_notification',
    '_campaign.received_foreground',
    '_campaign.received_background',
  ],
  journey: [
    '_journey.send',
    '_journey.opened_notification',
    '_journey.received_foreground',
    '_journey.received_background',
  ],
  email: [
    '_email.send',
    '_email.delivered',
    '_email.rejected',
    '_email.hardbounce',
    '_email.softbounce',
    '_email.complaint',
    '_email.open',
    '_email.click',
    '_email.unsubscribe',
    '_email.rendering_failure',
  ],
  sms: ['_SMS.BUFFERED', '_SMS.SUCCESS', '_SMS.FAILURE', '_SMS.OPTOUT', '_SMS.SEND', '_sms.success'],
  eum: [
    'TEXT_SENT',
    'TEXT_DELIVERED',
    'TEXT_SUCCESSFUL',
    'TEXT_QUEUED',
    'TEXT_PENDING',
    'TEXT_BLOCKED',
    'TEXT_TTL_EXPIRED',
    'TEXT_CARRIER_UNREACHABLE',
    'TEXT_INVALID',
    'TEXT_INVALID_MESSAGE',
    'TEXT_CARRIER_BLOCKED',
    'TEXT_UNREACHABLE',
    'TEXT_SPAM',
    'TEXT_UNKNOWN',
    'VOICE_INITIATED',
    'VOICE_RINGING',
    'VOICE_ANSWERED',
    'VOICE_COMPLETED',
    'VOICE_BUSY',
    'VOICE_NO_ANSWER',
    'VOICE_FAILED',
    'VOICE_TTL_EXPIRED',
  ],
  // SMS Protect ("Messaging Events", SMS Protect example log) and an MMS whose media cannot be sent.
  'eum-not-sent': ['TEXT_PROTECT_BLOCKED', 'MEDIA_FILE_TYPE_UNSUPPORTED'],
  // The RCS_ values of MatchingEventTypes (SMS and Voice v2 API reference, UpdateEventDestination).
  rcs: [
    'RCS_QUEUED',
    'RCS_SENT',
    'RCS_DELIVERED',
    'RCS_READ',
    'RCS_FAILED',
    'RCS_TTL_EXPIRED',
    'RCS_PROTECT_BLOCKED',
    'RCS_FALLEN_BACK_TO_SMS',
  ],
  ses: [
    'Send',
    'Delivery',
    'Bounce',
    'Complaint',
    'Reject',
    'Open',
    'Click',
    'Rendering Failure',
    'DeliveryDelay',
    'Subscription',
  ],
};

/** SES carries the event time in the detail object named after the type (`send{}` has none: mail.timestamp). */
const SES_DETAIL: Record<string, string> = {
  Send: 'send',
  Delivery: 'delivery',
  Bounce: 'bounce',
  Complaint: 'complaint',
  Reject: 'reject',
  Open: 'open',
  Click: 'click',
  'Rendering Failure': 'failure',
  DeliveryDelay: 'deliveryDelay',
  Subscription: 'subscription',
};

function expectedEventTime(event: JsonObject): string {
  if (event.event_type !== undefined) return new Date(event.event_timestamp as number).toISOString();
  if (event.mail === undefined) return new Date(event.eventTimestamp as number).toISOString();
  const detail = event[SES_DETAIL[event.eventType as string] as string] as JsonObject;
  const mail = event.mail as JsonObject;
  return new Date((detail.timestamp ?? mail.timestamp) as string).toISOString();
}

/** Paths of every undefined or null value, however deep. */
function emptyValuePaths(value: unknown, path = '$'): string[] {
  if (value === undefined || value === null) return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => emptyValuePaths(v, `${path}[${i}]`));
  if (typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => emptyValuePaths(v, `${path}.${k}`));
  }
  return [];
}

const EMAIL_RE = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const PHONE_RE = /\+[1-9]\d{6,14}/g;
// Not preceded by `/` or `.`: `Chrome/131.0.0.0` in a user agent is a version, not an address.
const IPV4_RE = /(?<![\w./])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])/g;

/** Email addresses, E.164 phone numbers and IPv4 addresses anywhere in the raw JSON text. */
function personalData(text: string): string[] {
  return [
    ...new Set(
      [...text.matchAll(EMAIL_RE), ...text.matchAll(PHONE_RE), ...text.matchAll(IPV4_RE)].map((m) => m[0]),
    ),
  ];
}

const CASES = RAW.map((raw) => [`${raw.file}[${raw.index}] ${label(raw.event)}`, raw] as const);

describe('normalizeEvent source detection', () => {
  it('routes a snake_case event_type to the Pinpoint normalizer', () => {
    expect(normalizeEvent({ event_type: '_session.start' }, context()).source).toBe('pinpoint');
  });

  it('routes an eventType with a mail object to the SES normalizer', () => {
    const rec = normalizeEvent({ eventType: 'Send', mail: { messageId: 'm-1' } }, context());
    expect(rec).toMatchObject({ source: 'ses', family: 'email', outcome: 'sent', message_id: 'm-1' });
  });

  it('routes an SES notification (notificationType with mail) to the SES normalizer', () => {
    const rec = normalizeEvent(
      {
        notificationType: 'Bounce',
        mail: { messageId: 'm-2', destination: ['jo@example.com'] },
        bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'jo@example.com' }] },
      },
      context(),
    );
    expect(rec).toMatchObject({
      source: 'ses',
      event_type: 'Bounce',
      outcome: 'bounced',
      bounce_type: 'permanent',
    });
  });

  it('routes any other eventType to the End User Messaging normalizer', () => {
    expect(normalizeEvent({ eventType: 'TEXT_DELIVERED' }, context())).toMatchObject({
      source: 'end_user_messaging',
      family: 'sms',
      outcome: 'delivered',
    });
  });

  it.each([
    ['null', null],
    ['an array', [{ messageId: 'm' }]],
    ['a string', 'mail'],
  ])('treats an eventType whose mail is %s as End User Messaging', (_name, mail) => {
    expect(normalizeEvent({ eventType: 'TEXT_SENT', mail }, context()).source).toBe('end_user_messaging');
  });

  it('routes an EventBridge event of SES to the SES normalizer, with the envelope’s id', () => {
    const rec = normalizeEvent(
      {
        version: '0',
        id: 'e-1',
        'detail-type': 'Email Sent',
        source: 'aws.ses',
        time: '2025-11-20T18:59:21Z',
        detail: { eventType: 'Send', mail: { messageId: 'm-1' } },
      },
      context(),
    );
    expect(rec).toMatchObject({ source: 'ses', family: 'email', outcome: 'sent', source_event_id: 'e-1' });
  });

  it('normalizes an EventBridge event of another service as source eventbridge, family unknown', () => {
    const rec = normalizeEvent(
      { 'detail-type': 'EC2 Instance State-change Notification', source: 'aws.ec2', detail: {} },
      context(),
    );
    expect(rec).toMatchObject({ source: 'eventbridge', family: 'unknown', outcome: 'other' });
  });

  it('prefers the EventBridge shape over the keys its detail might share with another source', () => {
    const rec = normalizeEvent(
      { 'detail-type': 'Custom', source: 'my.app', detail: {}, event_type: '_email.send' },
      context(),
    );
    expect(rec).toMatchObject({ source: 'eventbridge', event_type: 'Custom' });
  });

  it('prefers event_type over eventType when both are present', () => {
    const rec = normalizeEvent({ event_type: '_email.send', eventType: 'Send', mail: {} }, context());
    expect(rec).toMatchObject({ source: 'pinpoint', event_type: '_email.send' });
  });

  it('falls back to eventType when event_type is empty', () => {
    expect(normalizeEvent({ event_type: '', eventType: 'VOICE_FAILED' }, context())).toMatchObject({
      source: 'end_user_messaging',
      family: 'voice',
      outcome: 'failed',
    });
  });

  it('classifies an unknown End User Messaging eventType as family unknown', () => {
    expect(normalizeEvent({ eventType: 'WHATSAPP_DELIVERED', messageId: 'x' }, context())).toMatchObject({
      source: 'end_user_messaging',
      family: 'unknown',
      outcome: 'other',
    });
  });

  it('classifies an unknown SES eventType that carries mail as family unknown', () => {
    expect(normalizeEvent({ eventType: 'Received', mail: { messageId: 'm-3' } }, context())).toMatchObject({
      source: 'ses',
      family: 'unknown',
      outcome: 'other',
      message_id: 'm-3',
    });
  });

  it.each<[string, JsonObject]>([
    ['an empty object', {}],
    ['an object with only a payload', { mail: { messageId: 'm' }, attributes: {} }],
    ['an empty event_type', { event_type: '' }],
    ['an empty eventType', { eventType: '' }],
    ['a numeric event_type', { event_type: 42 }],
    ['a null eventType', { eventType: null }],
    ['an object as notificationType', { notificationType: { type: 'Bounce' }, mail: {} }],
    ['an EventBridge event without a detail object', { 'detail-type': 'Email Sent', source: 'aws.ses' }],
  ])('rejects %s as poison with reason missing_event_type', (_name, event) => {
    let thrown: unknown;
    try {
      normalizeEvent(event, context());
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PoisonRecordError);
    expect((thrown as PoisonRecordError).reason).toBe('missing_event_type');
    expect((thrown as PoisonRecordError).retryable).toBe(false);
  });
});

describe('normalizeEvent on every sample event', () => {
  it('has samples of every documented event type', () => {
    for (const file of FILES) {
      const present = new Set(RAW.filter((r) => r.file === file).map((r) => typeOf(r.event)));
      expect({ file, missing: DOCUMENTED[file].filter((t) => !present.has(t)) }).toEqual({
        file,
        missing: [],
      });
    }
  });

  it('has an expectation for every sample and a sample for every expectation', () => {
    const labels = new Set(RAW.map((r) => label(r.event)));
    expect([...labels].filter((l) => EXPECTED[l] === undefined)).toEqual([]);
    expect(Object.keys(EXPECTED).filter((l) => !labels.has(l))).toEqual([]);
  });

  it.each(CASES)('%s: classifies source, family, outcome and channel', (_name, raw) => {
    const [source, family, outcome, channel, extra = {}] = EXPECTED[label(raw.event)] as Expected;
    const rec = normalizeEvent(fresh(raw), context());
    const picked: Record<string, unknown> = { source, family, outcome, channel: rec.channel ?? null };
    for (const key of Object.keys(extra)) picked[key] = rec[key as keyof NormalizedRecord];
    expect(picked).toEqual({ source, family, outcome, channel, ...extra });
    expect(rec.event_type).toBe(typeOf(raw.event));
  });

  it.each(CASES)('%s: writes schema v1 envelope with ISO times and partitions from arrival', (_name, raw) => {
    const rec = normalizeEvent(fresh(raw), context());
    expect(rec.schema_version).toBe(1);
    expect(rec.event_id).toBe(EVENT_ID);
    expect(rec.ingest_time).toBe('2025-11-20T14:46:40.000Z');
    expect(rec.event_time).toMatch(ISO_MS);
    expect(rec.arrival_time).toMatch(ISO_MS);
    expect(rec.event_time).toBe(expectedEventTime(raw.event));
    const arrival =
      typeof raw.event.arrival_timestamp === 'number'
        ? new Date(raw.event.arrival_timestamp).toISOString()
        : rec.ingest_time;
    expect(rec.arrival_time).toBe(arrival);
    expect(rec.dt).toBe(arrival.slice(0, 10));
    expect(rec.hour).toBe(arrival.slice(11, 13));
  });

  it.each(CASES)('%s: omits null fields and survives a JSON round trip', (_name, raw) => {
    const rec = normalizeEvent(fresh(raw), context());
    expect(emptyValuePaths(rec)).toEqual([]);
    expect(JSON.parse(JSON.stringify(rec))).toEqual(rec);
  });

  it.each(CASES)('%s: leaves the input event untouched', (_name, raw) => {
    const event = fresh(raw);
    normalizeEvent(event, context());
    expect(event).toEqual(raw.event);
  });
});

describe('normalizeEvent personal data', () => {
  it('finds personal data in the samples to check against', () => {
    const all = new Set(RAW.flatMap((r) => personalData(r.text)));
    expect([...all].filter((v) => v.includes('@')).length).toBeGreaterThan(10);
    expect([...all].filter((v) => v.startsWith('+')).length).toBeGreaterThan(10);
    expect(all).toContain('198.51.100.77');
    expect(all).not.toContain('131.0.0.0');
  });

  it.each(CASES)('%s: writes no address, phone number or IP in hash mode', (_name, raw) => {
    const out = JSON.stringify(normalizeEvent(fresh(raw), context('hash')));
    expect(personalData(raw.text).filter((value) => out.includes(value))).toEqual([]);
    expect(out).not.toMatch(/"(recipient|sender|ip_address)":/);
  });

  it.each(CASES)('%s: writes no address, phone number or IP in redact mode', (_name, raw) => {
    const rec = normalizeEvent(fresh(raw), context('redact'));
    const out = JSON.stringify(rec);
    expect(personalData(raw.text).filter((value) => out.includes(value))).toEqual([]);
    for (const key of [
      'recipient',
      'recipient_hash',
      'sender',
      'sender_hash',
      'ip_address',
      'ip_hash',
    ] as const) {
      expect(rec[key]).toBeUndefined();
    }
  });

  it.each(CASES)('%s: keeps the derived fields of hash mode in redact mode', (_name, raw) => {
    const hashed = normalizeEvent(fresh(raw), context('hash'));
    const redacted = normalizeEvent(fresh(raw), context('redact'));
    expect(redacted.email_domain).toBe(hashed.email_domain);
    expect(redacted.phone_country).toBe(hashed.phone_country);
  });

  const withRecipient = CASES.filter(
    ([, raw]) => normalizeEvent(fresh(raw), context('hash')).recipient_hash !== undefined,
  );

  it('hashes a recipient for every messaging sample', () => {
    const families = new Set(withRecipient.map(([, raw]) => raw.file));
    expect([...families].sort()).toEqual([
      'campaign',
      'email',
      'eum',
      'eum-not-sent',
      'journey',
      'rcs',
      'ses',
      'sms',
    ]);
    expect(withRecipient.length).toBeGreaterThan(60);
  });

  it.each(withRecipient)('%s: writes the raw recipient in keep mode', (_name, raw) => {
    const rec = normalizeEvent(fresh(raw), context('keep'));
    expect(rec.recipient).toEqual(expect.any(String));
    expect(raw.text).toContain(rec.recipient);
    expect(rec.recipient_hash).toBeUndefined();
  });
});

describe('normalizeEvent identifiers', () => {
  /** The ids that AWS or the sender's infrastructure mints (FIELD_POLICY `minted`): never scanned. */
  const MINTED = (Object.keys(FIELD_POLICY) as Array<keyof typeof FIELD_POLICY>).filter(
    (field) => FIELD_POLICY[field] === 'minted',
  );

  it('has minted identifiers to keep: message, event, campaign, journey, application ids, sets', () => {
    expect(MINTED).toEqual(
      expect.arrayContaining([
        'source_event_id',
        'app_id',
        'configuration_set',
        'campaign_id',
        'journey_id',
        'message_id',
        'rcs_business_id',
        'registration_id',
      ]),
    );
    expect(MINTED).not.toContain('endpoint_id');
    expect(MINTED).not.toContain('user_id');
  });

  it.each(CASES)('%s: keeps minted ids, versions and event types as received', (_name, raw) => {
    const kept = normalizeEvent(fresh(raw), context('keep'));
    const hashed = normalizeEvent(fresh(raw), context('hash'));
    const redacted = normalizeEvent(fresh(raw), context('redact'));
    expect(hashed.event_type).toBe(kept.event_type);
    expect(hashed.app_version).toBe(kept.app_version);
    expect(hashed.account_id).toBe(kept.account_id);
    for (const id of MINTED) {
      // The SMS sample's message id `1111-2222-3333` has the digits of a phone number, and stays one id.
      expect(hashed[id]).toBe(kept[id]);
      expect(redacted[id]).toBe(kept[id]);
    }
  });

  it('keeps the phone-shaped SMS message id of the samples, which joins End User Messaging’s records', () => {
    const sms = RAW.filter((r) => r.file === 'sms').map((r) => normalizeEvent(fresh(r), context('hash')));
    expect(sms.map((r) => r.message_id)).toContain('1111-2222-3333');
  });

  it.each(CASES)('%s: never writes a raw user agent outside keep mode', (_name, raw) => {
    for (const mode of ['hash', 'redact'] as const) {
      expect(normalizeEvent(fresh(raw), context(mode)).user_agent).toBeUndefined();
    }
  });

  it('keeps a minted id that looks like personal data, and replaces a user-chosen one that holds it', () => {
    const event: JsonObject = {
      event_type: '_email.send',
      application: { app_id: '+1 415 555 0100' },
      client: { client_id: '+1 415 555 0100' },
      attributes: { campaign_id: '1111-2222-3333', journey_id: '203.0.113.7' },
      client_context: { custom: { endpoint: JSON.stringify({ User: { UserId: '(415) 555-0102' } }) } },
      facets: { email_channel: { mail_event: { mail: { message_id: '4155550100-0001-000000' } } } },
    };
    const rec = normalizeEvent(event, context('hash'));
    expect(rec).toMatchObject({
      app_id: '+1 415 555 0100',
      campaign_id: '1111-2222-3333',
      journey_id: '203.0.113.7',
      message_id: '4155550100-0001-000000',
    });
    // User-chosen: the endpoint id and the user id are the recipient's number, hashed as the recipient is.
    expect(rec.endpoint_id).toMatch(/^hmac:[0-9a-f]{32}$/);
    expect(rec.user_id).toMatch(/^hmac:[0-9a-f]{32}$/);
    // Attributes stay scanned whatever their keys: the columns carry the ids for joins.
    expect(rec.attributes?.campaign_id).toMatch(/^hmac:/);
  });

  it('replaces an identifier field that holds an address, a number or an IP, in every source', () => {
    const pinpoint: JsonObject = {
      event_type: 'signup jane@example.com',
      arrival_timestamp: 1_763_650_000_000,
      application: { app_id: 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6', version_name: '1.2.3 (+1 415 555 0100)' },
      client: { client_id: '(415) 555-0102' },
      session: { session_id: 'sess 203.0.113.7' },
      device: { model: 'fe80::1%eth0', locale: { code: 'en_US' } },
      attributes: { campaign_id: 'c-07700 900106', 'user jane@example.com': 'yes' },
      metrics: { '+44 7700 900123': 1 },
    };
    const rec = normalizeEvent(pinpoint, context('redact'));
    expect(rec).toMatchObject({
      event_type: '[value]',
      app_id: 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6',
      app_version: '[value]',
      endpoint_id: '[phone]',
      session_id: '[value]',
      device_model: '[ip]',
      locale: 'en_US',
      // Minted by Pinpoint: kept as received (the attribute copy is scanned).
      campaign_id: 'c-07700 900106',
      attributes: { campaign_id: 'c-[phone]', '[key]': 'yes' },
      metrics: { '[phone]': 1 },
    });
    expect(rec.family).toBe('custom');

    const eum = normalizeEvent(
      {
        eventType: 'TEXT_DELIVERED',
        messageId: 'm 14155550105',
        messageStatus: 'to 14155550105',
        context: { '2001:db8::7': 'x' },
      },
      context('redact'),
    );
    expect(eum).toMatchObject({
      message_id: 'm 14155550105',
      status: '[value]',
      attributes: { '[ip]': 'x' },
    });

    const ses = normalizeEvent(
      {
        eventType: 'Bounce',
        mail: { messageId: 'jane@example.com', tags: { 'who jane@example.com': ['a'] } },
        bounce: { bounceSubType: 'jane@example.com' },
      },
      context('redact'),
    );
    expect(ses).toMatchObject({
      message_id: 'jane@example.com',
      bounce_sub_type: '[email]',
      attributes: { '[key]': 'a' },
    });
  });
});

describe('normalizeEvent on arbitrary input', () => {
  const FAMILIES: readonly string[] = FAMILY_VALUES;
  const OUTCOMES: readonly string[] = OUTCOME_VALUES;
  const CHANNELS: readonly string[] = CHANNEL_VALUES;
  // Names that a plain-object lookup table answers with Object.prototype members.
  const TRICKY = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '_campaign.send'];

  const word = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(...TRICKY));
  const timestamp = fc.oneof(
    fc.integer({ min: -1, max: 2_000_000_000_000 }),
    fc.integer({ min: 1, max: 2_000_000_000_000 }).map(String),
    fc.constant(null),
  );
  const loose = fc.dictionary(word, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 });

  function assertValid(rec: NormalizedRecord): void {
    expect(FAMILIES).toContain(rec.family);
    expect(OUTCOMES).toContain(rec.outcome);
    if (rec.channel !== undefined) expect(CHANNELS).toContain(rec.channel);
    if (rec.bounce_type !== undefined)
      expect(['permanent', 'transient', 'undetermined']).toContain(rec.bounce_type);
    expect(emptyValuePaths(rec)).toEqual([]);
    expect(rec.arrival_time).toMatch(ISO_MS);
    if (rec.event_time !== undefined) expect(rec.event_time).toMatch(ISO_MS);
    for (const value of Object.values(rec.attributes ?? {})) expect(typeof value).toBe('string');
    for (const value of Object.values(rec.metrics ?? {})) expect(Number.isFinite(value)).toBe(true);
  }

  it('normalizes any Pinpoint-shaped object into a valid record', () => {
    const event = fc.record(
      {
        event_type: fc.oneof(
          word.filter((s) => s.length > 0),
          fc.constantFrom('_email.hardbounce', '_SMS.FAILURE', '_journey.send', '_session.stop'),
        ),
        event_timestamp: timestamp,
        arrival_timestamp: timestamp,
        attributes: fc.oneof(
          loose,
          fc.record({
            campaign_send_status: word,
            delivery_type: word,
            record_status: word,
            journey_activity_type: word,
          }),
        ),
        metrics: loose,
        session: fc.record({ start_timestamp: timestamp, stop_timestamp: timestamp }),
        client_context: fc.record({ custom: fc.record({ endpoint: fc.oneof(fc.string(), fc.jsonValue()) }) }),
        facets: fc.record({
          email_channel: fc.record({
            mail_event: fc.record({ mail: loose, bounce: fc.record({ bounce_type: word }), click: loose }),
          }),
        }),
      },
      { requiredKeys: ['event_type'] },
    );
    fc.assert(fc.property(event, (e) => assertValid(normalizeEvent(e as JsonObject, context()))));
  });

  it('normalizes any End User Messaging-shaped object into a valid record', () => {
    const event = fc.record(
      {
        eventType: fc.oneof(
          word.filter((s) => s.length > 0),
          word.map((s) => `TEXT_${s}`),
          word.map((s) => `VOICE_${s}`),
          word.map((s) => `RCS_${s}`),
          fc.constantFrom('RCS_DELIVERED', 'RCS_FAILED', 'RCS_TTL_EXPIRED', 'TTL_EXPIRATION_REVOKED'),
        ),
        eventTimestamp: timestamp,
        messageRequestTimestamp: timestamp,
        messageStatus: fc.oneof(
          word,
          fc.constantFrom('REJECTED', 'UNDELIVERABLE', 'TTL_EXPIRATION_REVOKE_FAILED'),
        ),
        totalMessagePrice: fc.oneof(fc.double({ noNaN: true }), fc.string()),
        conversationSessionFee: fc.oneof(fc.double({ noNaN: true }), fc.string(), fc.jsonValue()),
        isFinal: fc.jsonValue(),
        destinationPhoneNumber: fc.oneof(fc.string(), fc.constant('+447700900123')),
        rcsBusinessId: fc.oneof(word, fc.jsonValue()),
        agentIsoCountryCode: fc.jsonValue(),
        rcsMetadata: fc.oneof(loose, fc.jsonValue()),
        protectConfiguration: fc.oneof(loose, fc.jsonValue()),
        registrationDetails: fc.oneof(loose, fc.jsonValue()),
        context: loose,
      },
      { requiredKeys: ['eventType'] },
    );
    fc.assert(fc.property(event, (e) => assertValid(normalizeEvent(e as JsonObject, context()))));
  });

  it('normalizes any EventBridge-shaped object into a valid record', () => {
    const sesDetail = fc.record({
      eventType: fc.oneof(word, fc.constantFrom(...Object.keys(SES_DETAIL))),
      mail: fc.oneof(loose, fc.record({ tags: loose, destination: fc.array(fc.string(), { maxLength: 2 }) })),
      bounce: fc.record({ bounceType: word, timestamp: timestamp }),
    });
    const event = fc.record(
      {
        version: fc.jsonValue(),
        id: fc.oneof(word, fc.jsonValue()),
        'detail-type': word.filter((s) => s.length > 0),
        source: fc.oneof(word, fc.constantFrom('aws.ses', 'aws.health', 'aws.sms-voice')),
        account: fc.oneof(word, fc.jsonValue()),
        time: fc.oneof(
          timestamp,
          fc.string(),
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        ),
        resources: fc.oneof(
          fc.array(
            fc.oneof(
              fc.string(),
              fc.string().map((n) => `arn:aws:ses:r:1:configuration-set/${n}`),
            ),
          ),
          fc.jsonValue(),
        ),
        detail: fc.oneof(
          sesDetail,
          loose,
          fc.record({ eventType: word, registrationDetails: fc.oneof(loose, fc.jsonValue()) }),
        ),
      },
      { requiredKeys: ['detail-type', 'source', 'detail'] },
    );
    fc.assert(
      fc.property(event, (e) => {
        const rec = normalizeEvent(e as JsonObject, context());
        assertValid(rec);
        expect(['ses', 'eventbridge', 'end_user_messaging']).toContain(rec.source);
      }),
    );
  });

  it('normalizes any SNS-notification-shaped object into a valid record, or quarantines it as poison', () => {
    const message = fc.oneof(
      fc.string(),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc
        .record({
          eventType: word,
          mail: loose,
          notificationType: word,
          'detail-type': word,
          source: word,
          detail: loose,
        })
        .map((v) => JSON.stringify(v)),
      fc.record({ Type: fc.constant('Notification'), Message: fc.string() }).map((v) => JSON.stringify(v)),
    );
    const event = fc.record(
      {
        Type: fc.oneof(fc.constant('Notification'), word),
        MessageId: fc.oneof(word, fc.jsonValue()),
        TopicArn: fc.oneof(
          word,
          fc.jsonValue(),
          word.map((w) => `arn:aws:sns:us-east-1:1:${w}`),
        ),
        Message: fc.oneof(message, fc.jsonValue()),
        Timestamp: fc.oneof(
          timestamp,
          fc.string(),
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        ),
        Subject: fc.jsonValue(),
      },
      { requiredKeys: ['Type', 'Message'] },
    );
    fc.assert(
      fc.property(event, (e) => {
        let rec: NormalizedRecord;
        try {
          rec = normalizeEvent(e as JsonObject, context());
        } catch (err) {
          // Only an object that is no notification and has no event type of its own.
          expect(err).toBeInstanceOf(PoisonRecordError);
          expect(e.Type === 'Notification' && typeof e.Message === 'string').toBe(false);
          return;
        }
        assertValid(rec);
      }),
    );
  });

  it('normalizes any SES-shaped object into a valid record', () => {
    const event = fc.record({
      eventType: fc.oneof(
        word.filter((s) => s.length > 0),
        fc.constantFrom(...Object.keys(SES_DETAIL)),
      ),
      mail: fc.record({
        tags: loose,
        destination: fc.array(fc.string(), { maxLength: 2 }),
        source: fc.string(),
      }),
      bounce: fc.record({ bounceType: word, timestamp: timestamp }),
      subscription: fc.record({ newTopicPreferences: loose }),
    });
    fc.assert(fc.property(event, (e) => assertValid(normalizeEvent(e as JsonObject, context()))));
  });
});
