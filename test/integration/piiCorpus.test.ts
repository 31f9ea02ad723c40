import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationResult,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
} from 'aws-lambda';
import type { AnyAlert } from '../../src/alerts/anyAlert';
import type { JsonObject } from '../../src/decode';
import { type FixtureRecord, toFirehoseEvent, toKinesisEvent } from '../../src/fixtures/wrap';
import { normalizeEvent } from '../../src/normalize';
import { PiiProtector } from '../../src/pii';
import type { NormalizedRecord } from '../../src/schema';
import { snsAlertMessage } from '../../src/sinks/aws/snsAlertMessage';
import { lambdaContext, loadHandler } from '../helpers/loadHandler';
import { rawEvents, TEST_PII_KEY } from '../helpers/runtime';

/**
 * The PII corpus: every planted email address, phone number and IP address, in every place an event can
 * carry one (each normalized string field's source, attribute / metric / context / tag keys and values, free
 * text, URL paths, queries and encodings, the SES objects that are not normalized, an EventBridge envelope),
 * goes through both handlers and the CLI in `hash` and `redact` mode. Then every output — normalized records,
 * Firehose response data, alerts (and the SNS subject and body built from them), logs on stdout/stderr, CLI
 * output — is searched for each planted value and its digits-only form. Only `raw/` and `quarantine/` (the raw
 * archive: bytes as received) and Firehose `ProcessingFailed` data (the original record) are exempt.
 */
jest.setTimeout(180_000);

const ROOT = join(__dirname, '..', '..');
const ARRIVAL_MS = 1_763_650_000_000;

/** The planted values, and what must not appear in any output because of each (compared case-insensitively). */
const PLANTED: Array<{ value: string; forms?: string[] }> = [
  // Phone numbers, national and international formats.
  { value: '(415) 555-0102' },
  { value: '+1 415 555 0104' },
  { value: '07700 900106' },
  { value: '14155550105' },
  { value: '+44 7700 900123' },
  { value: '+49 (0)151 2345 6789' },
  { value: '415.555.0100' },
  { value: 'tel:+14155550101', forms: ['+14155550101'] },
  { value: '+33 6 12 34 56 78' },
  { value: '0151/2345 6780' },
  { value: '+1\u00a0212\u00a0555\u00a00199' },
  { value: '%2B14155550107', forms: ['+14155550107', '14155550107'] },
  // Email addresses.
  { value: 'jane.doe@example.com' },
  { value: 'Jane Roe <jane.roe@example.org>', forms: ['jane.roe@example.org'] },
  { value: 'ü@bücher.de' },
  { value: 'user@[10.0.0.1]', forms: ['10.0.0.1'] },
  { value: 'admin@localhost' },
  { value: 'user%40example.net', forms: ['user@example.net'] },
  { value: 'contact@例え.テスト' },
  { value: '"jim beam"@example.com', forms: ['jim beam'] },
  // IP addresses.
  { value: '203.0.113.7' },
  { value: '2001:db8::7' },
  { value: '2001:0db8:85a3:0000:0000:8a2e:0370:7334' },
  { value: 'fe80::1%eth0', forms: ['fe80::1'] },
  { value: '[2001:db8::9]:8443', forms: ['2001:db8::9'] },
  { value: '::ffff:198.51.100.9', forms: ['198.51.100.9'] },
];

/** The strings no output may contain: each value, its listed forms, and its digits when there are 7 or more. */
const FORBIDDEN: string[] = [
  ...new Set(
    PLANTED.flatMap(({ value, forms = [] }) => {
      const digits = value.replace(/\D/g, '');
      return [value, ...forms, ...(digits.length >= 7 ? [digits] : [])].map((f) => f.toLowerCase());
    }),
  ),
];

// ---------------------------------------------------------------------------------------------------------
// Base events: one fresh copy of a bundled sample per call.

const RAW = Object.fromEntries(
  ['app', 'campaign', 'journey', 'email', 'sms', 'eum', 'ses', 'rcs', 'eum-not-sent', 'eum-eventbridge'].map(
    (f) => [f, rawEvents(f)],
  ),
) as Record<string, JsonObject[]>;

function sample(file: string, type: string, has?: string): () => JsonObject {
  const found = (RAW[file] as JsonObject[]).find(
    (e) => (e.event_type ?? e.eventType) === type && (has === undefined || JSON.stringify(e).includes(has)),
  );
  if (found === undefined) throw new Error(`no ${file} sample ${type}`);
  return () => structuredClone(found);
}

const BASES: Record<string, () => JsonObject> = {
  app: sample('app', '_session.start'),
  campaign: sample('campaign', '_campaign.send', '"endpoint"'),
  journey: sample('journey', '_journey.send'),
  click: sample('email', '_email.click'),
  open: sample('email', '_email.open'),
  bounce: sample('email', '_email.hardbounce'),
  complaint: sample('email', '_email.complaint'),
  reject: sample('email', '_email.rejected'),
  failure: sample('email', '_email.rendering_failure'),
  delivered: sample('email', '_email.delivered'),
  sms: sample('sms', '_SMS.SUCCESS'),
  eum: sample('eum', 'TEXT_DELIVERED'),
  rcs: sample('rcs', 'RCS_DELIVERED'),
  protect: sample('eum-not-sent', 'TEXT_PROTECT_BLOCKED'),
  registration: () => structuredClone(RAW['eum-eventbridge']?.[3] as JsonObject),
  sesBounce: sample('ses', 'Bounce'),
  sesClick: sample('ses', 'Click'),
  sesOpen: sample('ses', 'Open'),
  sesComplaint: sample('ses', 'Complaint'),
  sesReject: sample('ses', 'Reject'),
  sesFailure: sample('ses', 'Rendering Failure'),
  sesDelay: sample('ses', 'DeliveryDelay'),
  sesSubscription: sample('ses', 'Subscription'),
  sesDelivery: sample('ses', 'Delivery'),
};

/**
 * Sets `path` (dot-separated, numbers index arrays) in `event`, creating objects on the way; `key`, when given,
 * is the last key as is (a planted value with dots in it).
 */
function setPath(event: JsonObject, path: string, value: unknown, key?: string): void {
  const keys = path.split('.');
  if (key !== undefined) keys.push(key);
  let at: Record<string, unknown> = event;
  for (const k of keys.slice(0, -1)) {
    const next = at[k];
    if (next === null || typeof next !== 'object') at[k] = {};
    at = at[k] as Record<string, unknown>;
  }
  at[keys[keys.length - 1] as string] = value;
}

const ME = 'facets.email_channel.mail_event';
const asText = (v: string) => `Delivery to ${v} failed (code 550 5.1.1); retry later`;
const asId = (v: string) => `id-${v}`;
const urlPath = (v: string) => `https://example.com/u/${v}/prefs`;
const urlEncodedPath = (v: string) => `https://example.com/u/${encodeURIComponent(v)}/prefs`;
const urlQuery = (v: string) => `https://example.com/unsubscribe?email=${encodeURIComponent(v)}#${v}`;
const withEndpoint = (field: string) => (e: JsonObject, v: string) => {
  const endpoint = JSON.parse(((e.client_context as JsonObject).custom as JsonObject).endpoint as string);
  setPath(endpoint, field, v);
  ((e.client_context as JsonObject).custom as JsonObject).endpoint = JSON.stringify(endpoint);
};

type Place = [name: string, base: string, set: (event: JsonObject, v: string) => void];

/** `[place, base, path, how the value is written]`: the value as is, or also inside text or an id. */
const PATHS: Array<[string, string, ...Array<(v: string) => string>]> = [
  // Pinpoint envelope, application, device, session.
  ['app:application.version_name', 'application.version_name', (v) => v, (v) => `4.1 (${v})`],
  ['app:application.sdk.name', 'application.sdk.name', (v) => v],
  ['app:client.client_id', 'client.client_id', (v) => v, asId],
  ['app:session.session_id', 'session.session_id', (v) => v, asId],
  ['app:device.model', 'device.model', (v) => v, (v) => `Pixel of ${v}`],
  ['app:device.make', 'device.make', (v) => v],
  ['app:device.platform.name', 'device.platform.name', (v) => v],
  ['app:device.locale.code', 'device.locale.code', (v) => v],
  ['app:device.locale.country', 'device.locale.country', (v) => v],
  ['campaign:awsAccountId', 'awsAccountId', (v) => v],
  // Attribute values copied to fields, and free-text ones.
  ['campaign:attributes.delivery_type', 'attributes.delivery_type', (v) => v],
  ['campaign:attributes.campaign_send_status', 'attributes.campaign_send_status', (v) => v],
  ['campaign:attributes.note', 'attributes.note', (v) => v, asText],
  ['journey:attributes.journey_send_status_message', 'attributes.journey_send_status_message', asText],
  ['journey:attributes.journey_send_status_code', 'attributes.journey_send_status_code', (v) => v],
  ['sms:attributes.message_type', 'attributes.message_type', (v) => v],
  ['sms:attributes.record_status', 'attributes.record_status', (v) => v],
  ['sms:attributes.iso_country_code', 'attributes.iso_country_code', (v) => v],
  ['sms:attributes.destination_phone_number', 'attributes.destination_phone_number', (v) => v],
  ['sms:attributes.origination_phone_number', 'attributes.origination_phone_number', (v) => v],
  ['sms:attributes.customer_context', 'attributes.customer_context', (v) => JSON.stringify({ who: v })],
  ['sms:attributes.sender_request_id', 'attributes.sender_request_id', (v) => v],
  // URLs: path, encoded path, query (cut) and fragment.
  ['click:attributes.feedback', 'attributes.feedback', urlPath, urlEncodedPath, urlQuery],
  [`click:${ME}.click.link`, `${ME}.click.link`, urlPath, urlEncodedPath, urlQuery],
  [`click:${ME}.click.user_agent`, `${ME}.click.user_agent`, (v) => `Mozilla/5.0 (${v})`],
  [`click:${ME}.click.ip_address`, `${ME}.click.ip_address`, (v) => v],
  [`open:${ME}.open.user_agent`, `${ME}.open.user_agent`, (v) => v],
  [`open:${ME}.open.ip_address`, `${ME}.open.ip_address`, (v) => v],
  // The email facet.
  [`bounce:${ME}.mail.from_address`, `${ME}.mail.from_address`, (v) => v],
  [`bounce:${ME}.mail.destination.0`, `${ME}.mail.destination.0`, (v) => v],
  [`bounce:${ME}.mail.common_headers.subject`, `${ME}.mail.common_headers.subject`, asText],
  [`bounce:${ME}.bounce.bounce_sub_type`, `${ME}.bounce.bounce_sub_type`, (v) => v],
  [
    `bounce:${ME}.bounce.bounced_recipients.0.email_address`,
    `${ME}.bounce.bounced_recipients.0.email_address`,
    (v) => v,
  ],
  [
    `bounce:${ME}.bounce.bounced_recipients.0.diagnostic_code`,
    `${ME}.bounce.bounced_recipients.0.diagnostic_code`,
    asText,
  ],
  [`bounce:${ME}.bounce.reporting_mta`, `${ME}.bounce.reporting_mta`, (v) => `dsn; ${v}`],
  [`complaint:${ME}.complaint.complaint_feedback_type`, `${ME}.complaint.complaint_feedback_type`, (v) => v],
  [`complaint:${ME}.complaint.user_agent`, `${ME}.complaint.user_agent`, (v) => v],
  [`reject:${ME}.reject.reason`, `${ME}.reject.reason`, (v) => v, asText],
  [`failure:${ME}.failure.error_message`, `${ME}.failure.error_message`, asText],
  [`failure:${ME}.failure.template_name`, `${ME}.failure.template_name`, (v) => v],
  [`delivered:${ME}.delivery.smtp_response`, `${ME}.delivery.smtp_response`, asText],
  [`delivered:${ME}.delivery.recipients.0`, `${ME}.delivery.recipients.0`, (v) => v],
  // End User Messaging.
  ['eum:messageType', 'messageType', (v) => v],
  ['eum:messageStatus', 'messageStatus', (v) => v],
  ['eum:messageStatusDescription', 'messageStatusDescription', asText],
  ['eum:isoCountryCode', 'isoCountryCode', (v) => v],
  ['eum:mcc', 'mcc', (v) => v],
  ['eum:messageEncoding', 'messageEncoding', (v) => v],
  ['eum:originationPhoneNumber', 'originationPhoneNumber', (v) => v],
  ['eum:destinationPhoneNumber', 'destinationPhoneNumber', (v) => v],
  ['eum:context.userId', 'context.userId', (v) => v, asId],
  // SES.
  ['sesBounce:mail.sendingAccountId', 'mail.sendingAccountId', (v) => v],
  ['sesBounce:mail.source', 'mail.source', (v) => v],
  ['sesBounce:mail.destination.0', 'mail.destination.0', (v) => v],
  ['sesBounce:mail.headers.0.value', 'mail.headers.0.value', (v) => v],
  ['sesBounce:mail.commonHeaders.subject', 'mail.commonHeaders.subject', asText],
  ['sesBounce:mail.tags.campaign', 'mail.tags.campaign', (v) => [v] as unknown as string],
  ['sesBounce:bounce.bounceType', 'bounce.bounceType', (v) => v],
  ['sesBounce:bounce.bounceSubType', 'bounce.bounceSubType', (v) => v],
  ['sesBounce:bounce.bouncedRecipients.0.emailAddress', 'bounce.bouncedRecipients.0.emailAddress', (v) => v],
  [
    'sesBounce:bounce.bouncedRecipients.0.diagnosticCode',
    'bounce.bouncedRecipients.0.diagnosticCode',
    asText,
  ],
  ['sesBounce:bounce.reportingMTA', 'bounce.reportingMTA', (v) => v],
  ['sesComplaint:complaint.complaintFeedbackType', 'complaint.complaintFeedbackType', (v) => v],
  ['sesComplaint:complaint.userAgent', 'complaint.userAgent', (v) => v],
  ['sesReject:reject.reason', 'reject.reason', asText],
  ['sesFailure:failure.errorMessage', 'failure.errorMessage', asText],
  ['sesFailure:failure.templateName', 'failure.templateName', (v) => v],
  ['sesDelay:deliveryDelay.delayType', 'deliveryDelay.delayType', (v) => v],
  [
    'sesDelay:deliveryDelay.delayedRecipients.0.emailAddress',
    'deliveryDelay.delayedRecipients.0.emailAddress',
    (v) => v,
  ],
  ['sesOpen:open.ipAddress', 'open.ipAddress', (v) => v],
  ['sesOpen:open.userAgent', 'open.userAgent', (v) => v],
  ['sesClick:click.link', 'click.link', urlPath, urlEncodedPath, urlQuery],
  ['sesClick:click.userAgent', 'click.userAgent', (v) => v],
  ['sesClick:click.linkTags.offer', 'click.linkTags.offer', (v) => [v] as unknown as string],
  ['sesSubscription:subscription.contactList', 'subscription.contactList', (v) => v],
  ['sesDelivery:delivery.smtpResponse', 'delivery.smtpResponse', asText],
  ['sesDelivery:delivery.recipients.0', 'delivery.recipients.0', (v) => v],
  // End User Messaging RCS, SMS Protect, registrations.
  ['rcs:destinationPhoneNumber', 'destinationPhoneNumber', (v) => v],
  ['rcs:originationPhoneNumber', 'originationPhoneNumber', (v) => v],
  ['rcs:messageStatusDescription', 'messageStatusDescription', asText],
  ['rcs:messageStatus', 'messageStatus', (v) => v],
  ['rcs:agentIsoCountryCode', 'agentIsoCountryCode', (v) => v],
  ['rcs:rcsMetadata.billingEventType', 'rcsMetadata.billingEventType', (v) => v],
  ['rcs:conversationInitiatingMessageType', 'conversationInitiatingMessageType', (v) => v],
  ['protect:protectConfiguration.protectStatus', 'protectConfiguration.protectStatus', (v) => v],
  ['protect:protectConfiguration.blockReason', 'protectConfiguration.blockReason', asText],
  ['protect:destinationPhoneNumber', 'destinationPhoneNumber', (v) => v],
  ['registration:account', 'account', (v) => v],
  ['registration:detail-type', 'detail-type', (v) => `Registration ${v}`],
  [
    'registration:detail.registrationDetails.currentStatus',
    'detail.registrationDetails.currentStatus',
    (v) => v,
  ],
  [
    'registration:detail.registrationDetails.registrationType',
    'detail.registrationDetails.registrationType',
    (v) => v,
  ],
];

/**
 * Places of identifiers AWS or the sender's infrastructure mints (docs/schema.md §5, policy `minted`): never
 * scanned, so that they join the services' own records. Nothing is planted there for the no-trace tests; the
 * test below holds that they are kept as received (and that the attribute copies of Pinpoint's are not).
 */
const MINTED_PATHS: Array<[base: string, path: string, field: string]> = [
  ['app', 'application.app_id', 'app_id'],
  ['campaign', 'attributes.campaign_id', 'campaign_id'],
  ['campaign', 'attributes.campaign_activity_id', 'campaign_activity_id'],
  ['campaign', 'attributes.treatment_id', 'treatment_id'],
  ['journey', 'attributes.journey_id', 'journey_id'],
  ['journey', 'attributes.journey_run_id', 'journey_run_id'],
  ['journey', 'attributes.journey_activity_id', 'journey_activity_id'],
  ['sms', 'attributes.message_id', 'message_id'],
  ['bounce', `${ME}.mail.message_id`, 'message_id'],
  ['eum', 'messageId', 'message_id'],
  ['eum', 'configurationSet', 'configuration_set'],
  ['sesBounce', 'mail.messageId', 'message_id'],
  ['rcs', 'rcsBusinessId', 'rcs_business_id'],
  ['rcs', 'conversationInitiatingMessageId', 'conversation_id'],
  ['registration', 'detail.registrationDetails.registrationId', 'registration_id'],
];

const PLACES: Place[] = [
  ...PATHS.flatMap(([name, path, ...writes]) => {
    const base = name.split(':')[0] as string;
    return writes.map((write, i): Place => [`${name}#${i}`, base, (e, v) => setPath(e, path, write(v))]);
  }),
  // Fields that are not a plain path.
  ['app:event_type', 'app', (e, v) => setPath(e, 'event_type', `lead ${v}`)],
  ['eum:eventType', 'eum', (e, v) => setPath(e, 'eventType', `TEXT_${v}`)],
  ['sesSend:eventType', 'sesBounce', (e, v) => setPath(e, 'eventType', `Custom ${v}`)],
  ['campaign:attributes key', 'campaign', (e, v) => setPath(e, 'attributes', 'opted_in', v)],
  ['app:metrics key', 'app', (e, v) => setPath(e, 'metrics', 3, v)],
  ['eum:context key', 'eum', (e, v) => setPath(e, 'context', 'x', v)],
  ['sesBounce:tags key', 'sesBounce', (e, v) => setPath(e, 'mail.tags', ['x'], v)],
  ['protect:protectConfiguration key', 'protect', (e, v) => setPath(e, 'protectConfiguration', 'x', v)],
  ['rcs:eventType', 'rcs', (e, v) => setPath(e, 'eventType', `RCS_${v}`)],
  // SES through SNS: the SES event as the notification's Message; plain text; the topic.
  [
    'sns:Message',
    'sesBounce',
    (e, v) => {
      setPath(e, 'bounce.bouncedRecipients.0.diagnosticCode', asText(v));
      const message = JSON.stringify(e);
      for (const key of Object.keys(e)) delete e[key];
      Object.assign(e, snsNotification(message));
    },
  ],
  [
    'sns:plain Message',
    'sesBounce',
    (e, v) => {
      for (const key of Object.keys(e)) delete e[key];
      Object.assign(e, snsNotification(asText(v)), { Subject: `For ${v}` });
    },
  ],
  [
    'sns:TopicArn',
    'sesBounce',
    (e, v) => {
      for (const key of Object.keys(e)) delete e[key];
      Object.assign(e, snsNotification('plain'), { TopicArn: `arn:aws:sns:us-east-1:123456789012:${v}` });
    },
  ],
  ['campaign:endpoint.User.UserId', 'campaign', withEndpoint('User.UserId')],
  ['campaign:endpoint.Address', 'campaign', withEndpoint('Address')],
  ['campaign:endpoint.ChannelType', 'campaign', withEndpoint('ChannelType')],
  ['campaign:endpoint.EndpointStatus', 'campaign', withEndpoint('EndpointStatus')],
  ['campaign:endpoint.OptOut', 'campaign', withEndpoint('OptOut')],
  ['campaign:endpoint.Demographic.Model', 'campaign', withEndpoint('Demographic.Model')],
  // SES through EventBridge: the SES event under `detail`.
  [
    'eventbridge:detail',
    'sesBounce',
    (e, v) => {
      setPath(e, 'bounce.bouncedRecipients.0.diagnosticCode', asText(v));
      const detail = structuredClone(e);
      for (const key of Object.keys(e)) delete e[key];
      Object.assign(e, {
        version: '0',
        id: '8e7c5f2a-1b3d-4c5e-9f60-7182a3b4c5d6',
        'detail-type': 'Email Bounced',
        source: 'aws.ses',
        account: '123456789012',
        time: '2025-11-20T14:46:40Z',
        region: 'us-east-1',
        resources: ['arn:aws:ses:us-east-1:123456789012:configuration-set/prod'],
        detail,
      });
    },
  ],
];

/** An SNS notification of a Firehose subscription without raw message delivery. */
function snsNotification(message: string): JsonObject {
  return {
    Type: 'Notification',
    MessageId: '719a6bbf-f51b-5320-920f-3385b5e9aa56',
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:ses-events',
    Message: message,
    Timestamp: '2025-11-20T14:46:39.512Z',
  };
}

/** Every planted value in every place: one event each, in a fixed order. */
function corpus(): JsonObject[] {
  const events: JsonObject[] = [];
  for (const [, base, set] of PLACES) {
    const make = BASES[base];
    if (make === undefined) throw new Error(`no base ${base}`);
    for (const { value } of PLANTED) {
      const event = make();
      set(event, value);
      events.push(event);
    }
  }
  return events;
}

// ---------------------------------------------------------------------------------------------------------
// Searching the outputs.

interface Leak {
  where: string;
  form: string;
  context: string;
}

/** Every forbidden string in `text`, with where it was found and a little of what surrounds it. */
function leaksIn(where: string, text: string): Leak[] {
  const lower = text.toLowerCase();
  const out: Leak[] = [];
  for (const form of FORBIDDEN) {
    const at = lower.indexOf(form);
    if (at !== -1)
      out.push({ where, form, context: text.slice(Math.max(0, at - 120), at + form.length + 60) });
  }
  return out;
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

const EXEMPT_ZONES = ['raw', 'quarantine'];

/** The text of every output file under `dir` but the raw archive zones (gzip undone). */
function outputFiles(dir: string): Array<[string, string]> {
  return files(dir)
    .filter((f) => !EXEMPT_ZONES.includes(f.slice(dir.length + 1).split('/')[0] as string))
    .filter((f) => !f.endsWith('.yaml'))
    .map((f): [string, string] => {
      const bytes = readFileSync(f);
      return [f.slice(dir.length + 1), (f.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8')];
    });
}

/** The alerts written under `dir` (event and rate alerts), and what the SNS adapter would send for each. */
function alertTexts(dir: string): Array<[string, string]> {
  return outputFiles(dir)
    .filter(([name]) => name.startsWith('alerts/'))
    .flatMap(([name, text]) =>
      text
        .trimEnd()
        .split('\n')
        .map((line): [string, string] => {
          const { Subject, Message } = snsAlertMessage(JSON.parse(line) as AnyAlert);
          return [`${name} (SNS message)`, `${Subject}\n${Message}`];
        }),
    );
}

/** Runs `fn` with stdout and stderr captured (the handlers' logs and EMF metrics). */
async function captured<T>(fn: () => Promise<T>): Promise<{ result: T; logs: string }> {
  const chunks: string[] = [];
  const out = process.stdout.write;
  const err = process.stderr.write;
  const capture = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  try {
    const result = await fn();
    return { result, logs: chunks.join('') };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin', 'pinpoint-stream.js'), ...args],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
        maxBuffer: 256 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const chunk = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

const EVENTS = corpus();
const RECORDS: FixtureRecord[] = EVENTS.map((e) => ({
  data: Buffer.from(JSON.stringify(e)),
  arrivalMs: ARRIVAL_MS,
}));

const describeLeaks = (leaks: Leak[]) =>
  leaks.slice(0, 20).map((l) => `${l.where}: '${l.form}' in …${l.context}…`);

beforeAll(() => {
  // The bin runs dist/cli.js when it exists: build it from the current sources.
  execFileSync('npm', ['run', '--silent', 'build:cli'], { cwd: ROOT, stdio: 'pipe' });
});

describe('the PII corpus', () => {
  it('keeps every minted id as received, in every mode: they are never scanned', () => {
    for (const [base, path, field] of MINTED_PATHS) {
      for (const { value } of PLANTED) {
        const event = (BASES[base] as () => JsonObject)();
        setPath(event, path, value);
        for (const mode of ['hash', 'redact'] as const) {
          const pii = new PiiProtector(mode, Buffer.from(TEST_PII_KEY));
          const rec = normalizeEvent(event, { eventId: 'e', ingestMs: ARRIVAL_MS, pii });
          pii.record(rec);
          expect({ path, field, value: rec[field as keyof NormalizedRecord] }).toEqual({
            path,
            field,
            value,
          });
        }
      }
    }
  });

  it('plants every value in every place', () => {
    expect(PLACES.length).toBeGreaterThan(100);
    expect(EVENTS).toHaveLength(PLACES.length * PLANTED.length);
    // The corpus holds every planted value (JSON escapes the quotes of a quoted local part).
    const text = JSON.stringify(EVENTS);
    expect(PLANTED.filter(({ value }) => !text.includes(JSON.stringify(value).slice(1, -1)))).toEqual([]);
  });

  describe.each(['hash', 'redact'] as const)('in %s mode', (mode) => {
    let dir: string;
    let env: Record<string, string>;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), `pii-corpus-${mode}-`));
      const rules = join(dir, 'rules.yaml');
      writeFileSync(
        rules,
        [
          'version: 1',
          'include_defaults: true',
          'rules:',
          '  - name: every-event',
          '    match: { event_type: "*" }',
          '    action: alert',
          '    severity: low',
          '  - name: underscore-types',
          '    match: { event_type: "*_*" }',
          '    action: alert',
          '    severity: info',
          '',
        ].join('\n'),
      );
      env = {
        PII_MODE: mode,
        PII_HASH_KEY: TEST_PII_KEY,
        RULES_FILE: rules,
        ALERT_SAMPLE_SIZE: '20',
        LOG_LEVEL: 'debug',
        METRICS: 'on',
        FIREHOSE_ARCHIVE_RAW: 'true',
      };
    });

    it('leaves no trace through the Kinesis handler: normalized archive, alerts, logs', async () => {
      const out = join(dir, 'kinesis');
      const handler = loadHandler<KinesisStreamEvent, KinesisStreamBatchResponse>('kinesis', {
        ...env,
        LOCAL_SINK_DIR: out,
      });
      const leaks: Leak[] = [];
      let batch = 0;
      for (const records of chunk(RECORDS, 1000)) {
        const event = toKinesisEvent(records, {
          sequenceBase: String(900_000_000_000 + batch++ * 10_000_000),
        });
        const { result, logs } = await captured(() => handler(event, lambdaContext()));
        expect(result).toEqual({ batchItemFailures: [] });
        leaks.push(...leaksIn(`kinesis logs, batch ${batch}`, logs));
      }
      const written = outputFiles(out);
      expect(written.filter(([name]) => name.startsWith('normalized/')).length).toBeGreaterThan(0);
      expect(written.filter(([name]) => name.startsWith('alerts/')).length).toBeGreaterThan(0);
      for (const [name, text] of [...written, ...alertTexts(out)]) leaks.push(...leaksIn(name, text));
      expect(describeLeaks(leaks)).toEqual([]);
    });

    it('leaves no trace through the Firehose handler: Ok data, alerts, archive, logs', async () => {
      const out = join(dir, 'firehose');
      const handler = loadHandler<FirehoseTransformationEvent, FirehoseTransformationResult>('firehose', {
        ...env,
        LOCAL_SINK_DIR: out,
      });
      const leaks: Leak[] = [];
      const results: Record<string, number> = {};
      let batch = 0;
      for (const records of chunk(RECORDS, 500)) {
        const event = toFirehoseEvent(records, { invocationId: `corpus-${batch++}` });
        const { result, logs } = await captured(() => handler(event, lambdaContext()));
        leaks.push(...leaksIn(`firehose logs, batch ${batch}`, logs));
        for (const r of result.records) {
          results[r.result] = (results[r.result] ?? 0) + 1;
          // ProcessingFailed carries the original record to the error prefix: it is the raw archive.
          if (r.result !== 'Ok') continue;
          const data = Buffer.from(r.data ?? '', 'base64').toString('utf8');
          leaks.push(...leaksIn(`firehose Ok ${r.recordId}`, `${data}${JSON.stringify(r.metadata ?? {})}`));
        }
      }
      // Nearly every record must come back Ok: the leak search below only means something over Ok data.
      expect(results.Ok).toBeGreaterThanOrEqual(RECORDS.length - PLANTED.length);
      for (const [name, text] of [...outputFiles(out), ...alertTexts(out)])
        leaks.push(...leaksIn(name, text));
      expect(describeLeaks(leaks)).toEqual([]);
    });

    it('leaves no trace through the CLI process command: output folder, stdout, stderr', async () => {
      const input = join(dir, 'corpus.jsonl');
      writeFileSync(input, `${EVENTS.map((e) => JSON.stringify(e)).join('\n')}\n`);
      const out = join(dir, 'cli');
      const toFolder = await run(['process', '--out', out, input], env);
      expect(toFolder.code).toBe(0);
      const toStdout = await run(['process', '--stdout', input], env);
      expect(toStdout.code).toBe(0);
      expect(toStdout.stdout.trimEnd().split('\n').length).toBeGreaterThanOrEqual(
        EVENTS.length - PLANTED.length,
      );

      const leaks = [
        ...leaksIn('cli --out stdout', toFolder.stdout),
        ...leaksIn('cli --out stderr', toFolder.stderr),
        ...leaksIn('cli --stdout stdout', toStdout.stdout),
        ...leaksIn('cli --stdout stderr', toStdout.stderr),
      ];
      for (const [name, text] of [...outputFiles(out), ...alertTexts(out)])
        leaks.push(...leaksIn(name, text));
      expect(describeLeaks(leaks)).toEqual([]);
    });

    it('protects records that were normalized in keep mode when the CLI reads them back', async () => {
      const input = join(dir, 'corpus.jsonl');
      writeFileSync(input, `${EVENTS.map((e) => JSON.stringify(e)).join('\n')}\n`);
      const kept = await run(['process', '--stdout', input], { ...env, PII_MODE: 'keep' });
      expect(kept.code).toBe(0);
      // Keep mode keeps everything raw, as asked.
      expect(leaksIn('keep', kept.stdout).length).toBeGreaterThan(0);
      const normalized = join(dir, 'kept.jsonl');
      writeFileSync(normalized, kept.stdout);
      const again = await run(['process', '--stdout', normalized], env);
      expect(again.code).toBe(0);
      expect(
        describeLeaks([
          ...leaksIn('re-read stdout', again.stdout),
          ...leaksIn('re-read stderr', again.stderr),
        ]),
      ).toEqual([]);
    });
  });
});
