import type { JsonObject } from '../decode';
import { arr, epochMs, int32, int64, obj, parseJsonObject, str } from '../fields';
import type { Channel, NormalizedRecord, Outcome } from '../schema';
import {
  type Classification,
  firstOf,
  lookup,
  type NormalizeContext,
  numberMap,
  put,
  putBounce,
  putMailParties,
  startRecord,
  stringMap,
  usd,
} from './common';
import { nonEmptyString, type SourceAdapter } from './sourceAdapter';

/** Exact event types (lower-cased: older SMS data uses `_sms.*`) with their family and outcome. */
const KNOWN: Record<string, Classification> = {
  '_session.start': { family: 'app', outcome: 'session' },
  '_session.stop': { family: 'app', outcome: 'session' },
  '_session.pause': { family: 'app', outcome: 'session' },
  '_session.resume': { family: 'app', outcome: 'session' },
  '_userauth.sign_in': { family: 'app', outcome: 'sign_in' },
  '_userauth.sign_up': { family: 'app', outcome: 'sign_up' },
  '_userauth.auth_fail': { family: 'app', outcome: 'auth_failed' },
  '_monetization.purchase': { family: 'app', outcome: 'purchase' },
  '_inapp.message_displayed': { family: 'app', outcome: 'displayed', channel: 'IN_APP' },
  '_inapp.message_dismissed': { family: 'app', outcome: 'dismissed', channel: 'IN_APP' },
  '_inapp.message_clicked': { family: 'app', outcome: 'clicked', channel: 'IN_APP' },
  '_campaign.opened_notification': { family: 'campaign', outcome: 'opened', channel: 'PUSH' },
  '_campaign.received_foreground': { family: 'campaign', outcome: 'received', channel: 'PUSH' },
  '_campaign.received_background': { family: 'campaign', outcome: 'received', channel: 'PUSH' },
  '_journey.opened_notification': { family: 'journey', outcome: 'opened', channel: 'PUSH' },
  '_journey.received_foreground': { family: 'journey', outcome: 'received', channel: 'PUSH' },
  '_journey.received_background': { family: 'journey', outcome: 'received', channel: 'PUSH' },
  '_email.send': { family: 'email', outcome: 'sent', channel: 'EMAIL' },
  '_email.delivered': { family: 'email', outcome: 'delivered', channel: 'EMAIL' },
  '_email.rejected': { family: 'email', outcome: 'rejected', channel: 'EMAIL' },
  '_email.hardbounce': { family: 'email', outcome: 'bounced', channel: 'EMAIL' },
  '_email.softbounce': { family: 'email', outcome: 'bounced', channel: 'EMAIL' },
  '_email.complaint': { family: 'email', outcome: 'complained', channel: 'EMAIL' },
  '_email.open': { family: 'email', outcome: 'opened', channel: 'EMAIL' },
  '_email.click': { family: 'email', outcome: 'clicked', channel: 'EMAIL' },
  '_email.unsubscribe': { family: 'email', outcome: 'unsubscribed', channel: 'EMAIL' },
  '_email.rendering_failure': { family: 'email', outcome: 'failed', channel: 'EMAIL' },
  '_sms.buffered': { family: 'sms', outcome: 'sent', channel: 'SMS' },
  '_sms.send': { family: 'sms', outcome: 'sent', channel: 'SMS' },
  '_sms.success': { family: 'sms', outcome: 'delivered', channel: 'SMS' },
  '_sms.failure': { family: 'sms', outcome: 'failed', channel: 'SMS' },
  '_sms.optout': { family: 'sms', outcome: 'opted_out', channel: 'SMS' },
};

/** Families of Pinpoint's reserved `_prefix.` names, for event types of a known family that we have not listed. */
const PREFIX_FAMILY: Record<string, Classification> = {
  _session: { family: 'app', outcome: 'session' },
  _userauth: { family: 'app', outcome: 'other' },
  _monetization: { family: 'app', outcome: 'other' },
  _inapp: { family: 'app', outcome: 'other', channel: 'IN_APP' },
  _campaign: { family: 'campaign', outcome: 'other' },
  _journey: { family: 'journey', outcome: 'other' },
  _email: { family: 'email', outcome: 'other', channel: 'EMAIL' },
  _sms: { family: 'sms', outcome: 'other', channel: 'SMS' },
  _test: { family: 'custom', outcome: 'other' },
};

/** `campaign_send_status` / `journey_send_status` → outcome. */
const SEND_STATUS_OUTCOME: Record<string, Outcome> = {
  SUCCESS: 'sent',
  FAILURE: 'failed',
  FAILURE_PERMANENT: 'failed',
  TRANSIENT_FAILURE: 'failed',
  HOOK_FAILURE: 'failed',
  CUSTOM_DELIVERY_FAILURE: 'failed',
  RECOMMENDATION_FAILURE: 'failed',
  UNSUPPORTED_CHANNEL: 'failed',
  UNKNOWN: 'unknown',
  DAILY_CAP: 'suppressed',
  EXPIRED: 'suppressed',
  QUIET_TIME: 'suppressed',
  QUIET_TIME_MISSING_TIMEZONE: 'suppressed',
  HOLDOUT: 'suppressed',
  DUPLICATE_ADDRESS: 'suppressed',
  CAMPAIGN_CAP: 'suppressed',
  THROTTLED: 'suppressed',
  QUIET_TIME_WAIT_FINISHED: 'other',
};

/** SMS `record_status` values that mean the message was refused rather than lost. */
const SMS_REJECTED = new Set(['BLOCKED', 'SPAM', 'CARRIER_BLOCKED']);

/** Campaign `delivery_type` / journey `journey_activity_type` → channel. */
const CHANNEL_OF: Record<string, Channel> = {
  EMAIL: 'EMAIL',
  SMS: 'SMS',
  VOICE: 'VOICE',
  CONTACT_CENTER: 'VOICE',
  CUSTOM: 'CUSTOM',
  PUSH: 'PUSH',
  ADM: 'PUSH',
  APNS: 'PUSH',
  APNS_SANDBOX: 'PUSH',
  APNS_VOIP: 'PUSH',
  APNS_VOIP_SANDBOX: 'PUSH',
  GCM: 'PUSH',
  BAIDU: 'PUSH',
  IN_APP: 'IN_APP',
};

/**
 * Family, outcome and channel of a Pinpoint event. Names without a leading underscore are custom app
 * events; reserved `_x.` names of a family we do not know are `unknown` — both normalized, never rejected.
 */
export function classifyPinpoint(
  eventType: string,
  attrs: Record<string, string> | undefined,
): Classification {
  const lower = eventType.toLowerCase();
  let cls = lookup(KNOWN, lower);
  if (cls === undefined) {
    if (!lower.startsWith('_')) return { family: 'custom', outcome: 'other' };
    const dot = lower.indexOf('.');
    cls = (dot > 0 ? lookup(PREFIX_FAMILY, lower.slice(0, dot)) : undefined) ?? {
      family: 'unknown',
      outcome: 'other',
    };
  }
  if (lower === '_campaign.send' || lower === '_journey.send') {
    const status = attrs?.campaign_send_status ?? attrs?.journey_send_status;
    const type = attrs?.delivery_type ?? attrs?.journey_activity_type;
    const outcome = (status !== undefined ? lookup(SEND_STATUS_OUTCOME, status) : undefined) ?? 'other';
    const channel = type !== undefined ? lookup(CHANNEL_OF, type) : undefined;
    return channel === undefined ? { family: cls.family, outcome } : { family: cls.family, outcome, channel };
  }
  if (
    lower === '_sms.failure' &&
    attrs?.record_status !== undefined &&
    SMS_REJECTED.has(attrs.record_status)
  ) {
    return { ...cls, outcome: 'rejected' };
  }
  return cls;
}

/** Normalizes one Pinpoint event-stream record (app, campaign, journey, email, SMS) to schema v1. */
export function normalizePinpoint(
  event: JsonObject,
  eventType: string,
  ctx: NormalizeContext,
): NormalizedRecord {
  const attrs = stringMap(event.attributes);
  const cls = classifyPinpoint(eventType, attrs);
  const application = obj(event.application);
  const client = obj(event.client);
  const rec = startRecord(
    'pinpoint',
    eventType,
    cls,
    epochMs(event.event_timestamp),
    epochMs(event.arrival_timestamp),
    ctx,
  );

  put(rec, 'app_id', str(application?.app_id));
  put(rec, 'account_id', str(event.awsAccountId));
  put(rec, 'endpoint_id', str(client?.client_id));

  if (attrs !== undefined) {
    put(rec, 'campaign_id', attrs.campaign_id);
    put(rec, 'campaign_activity_id', attrs.campaign_activity_id);
    put(rec, 'treatment_id', attrs.treatment_id);
    put(rec, 'journey_id', attrs.journey_id);
    put(rec, 'journey_run_id', attrs.journey_run_id);
    put(rec, 'journey_activity_id', attrs.journey_activity_id);
    put(rec, 'delivery_type', attrs.delivery_type ?? attrs.journey_activity_type);
    put(rec, 'status', attrs.campaign_send_status ?? attrs.journey_send_status ?? attrs.record_status);
    put(rec, 'status_message', attrs.journey_send_status_message);
    put(rec, 'status_code', attrs.journey_send_status_code);
  }

  const metrics = numberMap(event.metrics);
  if (cls.family === 'email') addEmailFacets(rec, event, eventType, ctx);
  else if (cls.family === 'sms') addSms(rec, attrs, metrics, ctx);
  addEndpoint(rec, event, ctx);
  addAppContext(rec, event, application, eventType);

  if (attrs !== undefined) rec.attributes = attrs;
  if (metrics !== undefined) rec.metrics = metrics;
  return rec;
}

function addEmailFacets(
  rec: NormalizedRecord,
  event: JsonObject,
  eventType: string,
  ctx: NormalizeContext,
): void {
  const mailEvent = obj(obj(obj(event.facets)?.email_channel)?.mail_event);
  const mail = obj(mailEvent?.mail);
  const lower = eventType.toLowerCase();
  if (lower === '_email.hardbounce') rec.bounce_type = 'permanent';
  else if (lower === '_email.softbounce') rec.bounce_type = 'transient';
  if (mailEvent === undefined) return;

  put(rec, 'message_id', str(mail?.message_id));
  const destination = arr(mail?.destination);
  if (destination !== undefined) put(rec, 'recipient_count', int32(destination.length));

  const bounce = obj(mailEvent.bounce);
  const complaint = obj(mailEvent.complaint);
  const delivery = obj(mailEvent.delivery);
  const open = obj(mailEvent.open);
  const click = obj(mailEvent.click);
  const reject = obj(mailEvent.reject);
  const failure = obj(mailEvent.failure);

  const recipients = [
    firstOf(bounce?.bounced_recipients, 'email_address'),
    firstOf(complaint?.complained_recipients, 'email_address'),
    firstOf(delivery?.recipients),
  ];
  putMailParties(rec, ctx, recipients, destination, mail?.from_address);

  if (bounce !== undefined) putBounce(rec, str(bounce.bounce_type), bounce.bounce_sub_type);
  if (complaint !== undefined) put(rec, 'complaint_type', str(complaint.complaint_feedback_type));
  if (reject !== undefined) put(rec, 'reject_reason', str(reject.reason));
  // `_email.rendering_failure`: a snake_case copy of SES's `failure{errorMessage, templateName}`.
  if (failure !== undefined) put(rec, 'status_message', str(failure.error_message));
  if (delivery !== undefined) put(rec, 'delivery_latency_ms', int64(delivery.processing_time_millis));
  const engagement = click ?? open;
  if (engagement !== undefined) {
    ctx.pii.ip(rec, str(engagement.ip_address));
    ctx.pii.userAgent(rec, str(engagement.user_agent));
    put(rec, 'link', str(click?.link));
  }
}

function addSms(
  rec: NormalizedRecord,
  attrs: Record<string, string> | undefined,
  metrics: Record<string, number> | undefined,
  ctx: NormalizeContext,
): void {
  if (attrs !== undefined) {
    put(rec, 'message_id', attrs.message_id);
    put(rec, 'message_type', attrs.message_type);
    put(rec, 'message_parts', int32(attrs.number_of_message_parts));
    put(rec, 'country', attrs.iso_country_code);
    ctx.pii.recipient(rec, attrs.destination_phone_number, attrs.iso_country_code);
    ctx.pii.sender(rec, attrs.origination_phone_number);
  }
  const millicents = metrics?.price_in_millicents_usd;
  // 1 USD = 100 cents = 100,000 millicents.
  if (millicents !== undefined) rec.price_usd = usd(millicents / 100_000);
}

/** Campaign and journey events carry the endpoint record as a JSON string; a broken one yields no fields. */
function addEndpoint(rec: NormalizedRecord, event: JsonObject, ctx: NormalizeContext): void {
  const custom = obj(obj(event.client_context)?.custom);
  if (custom === undefined) return;
  const endpoint = parseJsonObject(custom.endpoint);
  if (endpoint === undefined) return;
  put(rec, 'endpoint_channel_type', str(endpoint.ChannelType));
  put(rec, 'endpoint_status', str(endpoint.EndpointStatus));
  put(rec, 'endpoint_opt_out', str(endpoint.OptOut));
  // Apps often use the email address or phone number as the user id: `PiiProtector.record` protects it.
  put(rec, 'user_id', str(obj(endpoint.User)?.UserId));
  if (rec.recipient_hash === undefined && rec.recipient === undefined && rec.email_domain === undefined) {
    ctx.pii.recipient(rec, str(endpoint.Address));
  }
}

function addAppContext(
  rec: NormalizedRecord,
  event: JsonObject,
  application: JsonObject | undefined,
  eventType: string,
): void {
  const session = obj(event.session);
  if (session !== undefined) {
    put(rec, 'session_id', str(session.session_id));
    if (eventType.toLowerCase() === '_session.stop') {
      const start = epochMs(session.start_timestamp);
      const stop = epochMs(session.stop_timestamp);
      if (start !== undefined && stop !== undefined && stop >= start)
        put(rec, 'session_duration_ms', int64(stop - start));
    }
  }
  const device = obj(event.device);
  if (device !== undefined) {
    put(rec, 'device_platform', str(obj(device.platform)?.name));
    put(rec, 'device_make', str(device.make));
    put(rec, 'device_model', str(device.model));
    const locale = obj(device.locale);
    put(rec, 'locale', str(locale?.code));
    if (rec.country === undefined) put(rec, 'country', str(locale?.country));
  }
  if (application !== undefined) {
    put(rec, 'app_version', str(application.version_name));
    put(rec, 'sdk_name', str(obj(application.sdk)?.name));
  }
}

/** Amazon Pinpoint event streams: a non-empty snake_case `event_type`. */
export const PINPOINT: SourceAdapter = {
  source: 'pinpoint',
  typeOf: (event) => nonEmptyString(event.event_type),
  normalize: normalizePinpoint,
};
