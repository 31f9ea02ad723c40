import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject } from '../../../src/decode';
import type { NormalizedRecord } from '../../../src/schema';
import { classifyPinpoint, normalizePinpoint } from '../../../src/sources/pinpoint';
import { hashOf, protectedNormalizer } from '../../helpers/sourceNormalizer';

const normalize = protectedNormalizer(normalizePinpoint, (e) => e.event_type);

const RAW: Record<string, JsonObject[]> = Object.fromEntries(
  ['app', 'campaign', 'journey', 'email', 'sms'].map((file) => [
    file,
    JSON.parse(readFileSync(join(__dirname, '../../../events/raw', `${file}.json`), 'utf8')) as JsonObject[],
  ]),
);

/** A fresh copy of the first sample of `file` with that event type (and attributes matching `attrs`). */
function sample(file: string, eventType: string, attrs: Record<string, string> = {}): JsonObject {
  const found = RAW[file]?.find((e) => {
    if (e.event_type !== eventType) return false;
    const a = (e.attributes ?? {}) as Record<string, string>;
    return Object.entries(attrs).every(([k, v]) => a[k] === v);
  });
  if (found === undefined) throw new Error(`no ${file} sample ${eventType} ${JSON.stringify(attrs)}`);
  return structuredClone(found);
}

/** The mail_event facet of an email sample, for editing. */
function mailEvent(event: JsonObject): JsonObject {
  return ((event.facets as JsonObject).email_channel as JsonObject).mail_event as JsonObject;
}

function endpointEvent(endpoint: unknown): JsonObject {
  return {
    event_type: '_campaign.send',
    event_timestamp: 1_763_610_800_000,
    arrival_timestamp: 1_763_610_800_068,
    application: { app_id: 'app-1' },
    client: { client_id: 'ep-1' },
    attributes: { campaign_id: 'c-1', delivery_type: 'EMAIL', campaign_send_status: 'SUCCESS' },
    client_context: { custom: { endpoint } },
  };
}

describe('classifyPinpoint', () => {
  it.each<
    [string, Record<string, string> | undefined, NormalizedRecord['family'], NormalizedRecord['outcome']]
  >([
    ['_sms.success', undefined, 'sms', 'delivered'],
    ['_sms.failure', { record_status: 'SPAM' }, 'sms', 'rejected'],
    ['_SMS.SEND', undefined, 'sms', 'sent'],
    ['_Email.HardBounce', undefined, 'email', 'bounced'],
    ['_SESSION.START', undefined, 'app', 'session'],
  ])('reads %s case-insensitively', (type, attrs, family, outcome) => {
    expect(classifyPinpoint(type, attrs)).toMatchObject({ family, outcome });
  });

  it.each([
    ['a custom name', 'PlayedSong', { family: 'custom', outcome: 'other' }],
    ['a _test. name', '_test.event_42', { family: 'custom', outcome: 'other' }],
    ['an unknown reserved family', '_foo.bar', { family: 'unknown', outcome: 'other' }],
    ['a reserved name without a dot', '_foo', { family: 'unknown', outcome: 'other' }],
    ['a new email type', '_email.amp_open', { family: 'email', outcome: 'other', channel: 'EMAIL' }],
    ['a new SMS type', '_SMS.RECEIVED', { family: 'sms', outcome: 'other', channel: 'SMS' }],
    ['a new in-app type', '_inapp.message_snoozed', { family: 'app', outcome: 'other', channel: 'IN_APP' }],
    ['a new session type', '_session.timeout', { family: 'app', outcome: 'session' }],
    ['a new campaign type', '_campaign.delivered', { family: 'campaign', outcome: 'other' }],
    ['a new journey type', '_journey.entered', { family: 'journey', outcome: 'other' }],
    ['a custom name that is an Object member', 'constructor', { family: 'custom', outcome: 'other' }],
    ['a custom name __proto__', '__proto__', { family: 'unknown', outcome: 'other' }],
    ['a reserved family __proto__', '__proto__.x', { family: 'unknown', outcome: 'other' }],
    ['a custom name toString', 'toString', { family: 'custom', outcome: 'other' }],
  ])('classifies %s (%s)', (_name, type, expected) => {
    expect(classifyPinpoint(type, undefined)).toEqual(expected);
  });

  it.each<[string, NormalizedRecord['outcome']]>([
    ['SUCCESS', 'sent'],
    ['FAILURE', 'failed'],
    ['DAILY_CAP', 'suppressed'],
    ['EXPIRED', 'suppressed'],
    ['QUIET_TIME', 'suppressed'],
    ['HOLDOUT', 'suppressed'],
    ['DUPLICATE_ADDRESS', 'suppressed'],
    ['CAMPAIGN_CAP', 'suppressed'],
    ['FAILURE_PERMANENT', 'failed'],
    ['TRANSIENT_FAILURE', 'failed'],
    ['THROTTLED', 'suppressed'],
    ['UNKNOWN', 'unknown'],
    ['HOOK_FAILURE', 'failed'],
    ['CUSTOM_DELIVERY_FAILURE', 'failed'],
    ['RECOMMENDATION_FAILURE', 'failed'],
    ['UNSUPPORTED_CHANNEL', 'failed'],
    ['SOMETHING_NEW', 'other'],
    ['constructor', 'other'],
    ['toString', 'other'],
  ])('maps campaign_send_status %s to outcome %s', (status, outcome) => {
    expect(classifyPinpoint('_campaign.send', { campaign_send_status: status })).toEqual({
      family: 'campaign',
      outcome,
    });
  });

  it.each<[string, NormalizedRecord['outcome']]>([
    ['SUCCESS', 'sent'],
    ['FAILURE', 'failed'],
    ['CUSTOM_DELIVERY_FAILURE', 'failed'],
    ['FAILURE_PERMANENT', 'failed'],
    ['THROTTLED', 'suppressed'],
    ['UNSUPPORTED_CHANNEL', 'failed'],
    ['DAILY_CAP', 'suppressed'],
    ['QUIET_TIME', 'suppressed'],
    ['QUIET_TIME_MISSING_TIMEZONE', 'suppressed'],
    ['QUIET_TIME_WAIT_FINISHED', 'other'],
  ])('maps journey_send_status %s to outcome %s', (status, outcome) => {
    expect(classifyPinpoint('_journey.send', { journey_send_status: status })).toEqual({
      family: 'journey',
      outcome,
    });
  });

  it.each<[string, NormalizedRecord['channel']]>([
    ['EMAIL', 'EMAIL'],
    ['SMS', 'SMS'],
    ['ADM', 'PUSH'],
    ['APNS', 'PUSH'],
    ['APNS_SANDBOX', 'PUSH'],
    ['APNS_VOIP', 'PUSH'],
    ['APNS_VOIP_SANDBOX', 'PUSH'],
    ['VOICE', 'VOICE'],
    ['GCM', 'PUSH'],
    ['BAIDU', 'PUSH'],
    ['PUSH', 'PUSH'],
    ['CUSTOM', 'CUSTOM'],
  ])('maps delivery_type %s to channel %s', (type, channel) => {
    expect(
      classifyPinpoint('_campaign.send', { delivery_type: type, campaign_send_status: 'SUCCESS' }),
    ).toEqual({
      family: 'campaign',
      outcome: 'sent',
      channel,
    });
  });

  it.each<[string, NormalizedRecord['channel']]>([
    ['EMAIL', 'EMAIL'],
    ['SMS', 'SMS'],
    ['PUSH', 'PUSH'],
    ['CONTACT_CENTER', 'VOICE'],
    ['CUSTOM', 'CUSTOM'],
  ])('maps journey_activity_type %s to channel %s', (type, channel) => {
    expect(classifyPinpoint('_journey.send', { journey_activity_type: type })).toMatchObject({ channel });
  });

  it.each(['WHATSAPP', 'constructor', 'valueOf'])('leaves the channel out for delivery_type %s', (type) => {
    expect(classifyPinpoint('_campaign.send', { delivery_type: type })).toEqual({
      family: 'campaign',
      outcome: 'other',
    });
  });

  it.each<[string, NormalizedRecord['outcome']]>([
    ['BLOCKED', 'rejected'],
    ['SPAM', 'rejected'],
    ['CARRIER_BLOCKED', 'rejected'],
    ['INVALID', 'failed'],
    ['UNREACHABLE', 'failed'],
    ['CARRIER_UNREACHABLE', 'failed'],
    ['INVALID_MESSAGE', 'failed'],
    ['TTL_EXPIRED', 'failed'],
    ['MAX_PRICE_EXCEEDED', 'failed'],
    ['UNKNOWN', 'failed'],
  ])('maps _SMS.FAILURE with record_status %s to outcome %s', (status, outcome) => {
    expect(classifyPinpoint('_SMS.FAILURE', { record_status: status })).toEqual({
      family: 'sms',
      outcome,
      channel: 'SMS',
    });
  });

  it('keeps record_status from changing the outcome of a success', () => {
    expect(classifyPinpoint('_SMS.SUCCESS', { record_status: 'BLOCKED' }).outcome).toBe('delivered');
  });
});

describe('normalizePinpoint email', () => {
  it('reads delivery latency, message id and recipient count from the delivery facet', () => {
    const rec = normalize(sample('email', '_email.delivered'));
    expect(rec).toMatchObject({
      delivery_latency_ms: 1310,
      message_id: '0200000073rnbmd1-mbvdg3uo-q8ia-m3ku-ibd3-ms77kexample-000000',
      recipient_count: 1,
      email_domain: 'example.com',
      recipient_hash: hashOf('recipient@example.com'),
      sender_hash: hashOf('sender@example.com'),
      account_id: '123456789012',
      endpoint_id: 'e9a3000d-daa2-40dc-ac47-1cd34example',
    });
  });

  it('reads processing_time_millis given as a string', () => {
    const event = sample('email', '_email.delivered');
    (mailEvent(event).delivery as JsonObject).processing_time_millis = '1310';
    expect(normalize(event).delivery_latency_ms).toBe(1310);
  });

  it('writes no latency for events other than delivered', () => {
    expect(normalize(sample('email', '_email.send')).delivery_latency_ms).toBeUndefined();
  });

  it('carries the campaign ids of a campaign email', () => {
    expect(normalize(sample('email', '_email.send'))).toMatchObject({
      campaign_id: '8d2e5f3b9c1a4e7f8b6d0c2a4e6f8a1b',
      campaign_activity_id: '1f0e9d8c7b6a45f4e3d2c1b0a9f8e7d6',
      treatment_id: '0',
    });
  });

  it('carries the journey ids of a journey email', () => {
    expect(normalize(sample('email', '_email.hardbounce'))).toMatchObject({
      journey_id: '546a01670c5547b08811ac6a9c3d2e1f',
      journey_run_id: 'edc9a0b577164d1daf72ebd15a0b1c2d',
      journey_activity_id: 'Kx7pQ2mR9s',
    });
  });

  it('takes bounce type, sub-type and recipient from the bounce facet', () => {
    const rec = normalize(sample('email', '_email.hardbounce'));
    expect(rec).toMatchObject({
      outcome: 'bounced',
      bounce_type: 'permanent',
      bounce_sub_type: 'General',
      email_domain: 'example.net',
      recipient_hash: hashOf('old.address@example.net'),
    });
  });

  it('classifies a soft bounce as transient', () => {
    expect(normalize(sample('email', '_email.softbounce'))).toMatchObject({
      bounce_type: 'transient',
      bounce_sub_type: 'MailboxFull',
    });
  });

  it('derives the bounce type from the event type when the facets are missing', () => {
    const hard = sample('email', '_email.hardbounce');
    delete hard.facets;
    const soft = sample('email', '_email.softbounce');
    soft.facets = {};
    expect(normalize(hard).bounce_type).toBe('permanent');
    expect(normalize(soft).bounce_type).toBe('transient');
  });

  it('classifies an unexpected facet bounce type as undetermined', () => {
    const event = sample('email', '_email.hardbounce');
    (mailEvent(event).bounce as JsonObject).bounce_type = 'Weird';
    expect(normalize(event).bounce_type).toBe('undetermined');
  });

  it('takes complaint type and recipient from the complaint facet', () => {
    expect(normalize(sample('email', '_email.complaint'))).toMatchObject({
      outcome: 'complained',
      complaint_type: 'abuse',
      recipient_hash: hashOf('lee.complains@example.net'),
    });
  });

  it('writes the reject reason', () => {
    expect(normalize(sample('email', '_email.rejected')).reject_reason).toBe('Bad content');
  });

  it('scrubs addresses out of the reject reason', () => {
    const event = sample('email', '_email.rejected');
    (mailEvent(event).reject as JsonObject).reason = 'Virus found in mail from bad@example.org';
    const rec = normalize(event);
    expect(rec.reject_reason).toBe(`Virus found in mail from hmac:${hashOf('bad@example.org')}`);
  });

  it('writes the rendering failure message as status_message', () => {
    expect(normalize(sample('email', '_email.rendering_failure'))).toMatchObject({
      outcome: 'failed',
      status_message: "Attribute 'User.UserAttributes.FirstName' is not present in the rendering data.",
    });
  });

  it('scrubs addresses out of the rendering failure message', () => {
    const event = sample('email', '_email.rendering_failure');
    (mailEvent(event).failure as JsonObject).error_message = 'Bad value for max.tester@example.com';
    const rec = normalize(event);
    expect(rec.status_message).toBe(`Bad value for hmac:${hashOf('max.tester@example.com')}`);
    expect(normalize(event, 'redact').status_message).toBe('Bad value for [email]');
  });

  it('writes no status_message for a rendering failure without a message', () => {
    const event = sample('email', '_email.rendering_failure');
    mailEvent(event).failure = { template_name: 'streak-reminder-v3' };
    expect(normalize(event).status_message).toBeUndefined();
  });

  it('hashes the IP and the user agent of an open, and classes the user agent', () => {
    const event = sample('email', '_email.open');
    const ua = (mailEvent(event).open as JsonObject).user_agent as string;
    const rec = normalize(event);
    expect(rec.ip_hash).toBe(hashOf('198.51.100.77'));
    expect(rec).toMatchObject({ user_agent_class: 'mobile', user_agent_hash: hashOf(ua) });
    expect(rec.user_agent).toBeUndefined();
    expect(rec.ip_address).toBeUndefined();
  });

  it('keeps the raw user agent in keep mode only', () => {
    const event = sample('email', '_email.open');
    expect(normalize(event, 'keep').user_agent).toMatch(/^Mozilla\/5\.0 \(iPhone/);
    const redacted = normalize(event, 'redact');
    expect(redacted.user_agent_class).toBe('mobile');
    expect(redacted.user_agent).toBeUndefined();
    expect(redacted.user_agent_hash).toBeUndefined();
  });

  it('writes the clicked link without its query string', () => {
    const rec = normalize(sample('email', '_email.click'));
    expect(rec.link).toBe('https://www.example.com/picks/november');
    expect(rec.attributes?.feedback).toBe('https://www.example.com/picks/november');
    expect(JSON.stringify(rec)).not.toContain('token=');
  });

  it('keeps the whole link and the IP in keep mode', () => {
    const rec = normalize(sample('email', '_email.click'), 'keep');
    expect(rec.link).toBe(
      'https://www.example.com/picks/november?utm_source=pinpoint&utm_campaign=nov-jazz&token=3f9a1c7e52b84d0e9a6c',
    );
    expect(rec.ip_address).toBe('198.51.100.77');
    expect(rec.recipient).toBe('ava.reader@example.com');
    expect(rec.sender).toBe('news@example.com');
  });

  it('reads the bare address and lower-cases the domain of a display-name recipient', () => {
    const event = sample('email', '_email.send');
    (mailEvent(event).mail as JsonObject).destination = ['"Ava Reader" <Ava.Reader@Example.COM>'];
    const rec = normalize(event);
    expect(rec.email_domain).toBe('example.com');
    expect(rec.recipient_hash).toBe(hashOf('ava.reader@example.com'));
  });

  it('counts every destination address', () => {
    const event = sample('email', '_email.send');
    (mailEvent(event).mail as JsonObject).destination = ['a@example.com', 'b@example.com', 'c@example.org'];
    expect(normalize(event).recipient_count).toBe(3);
  });

  it('tolerates facets of the wrong shape', () => {
    const event = sample('email', '_email.delivered');
    event.facets = { email_channel: { mail_event: { mail: 'oops', delivery: [1, 2] } } };
    const rec = normalize(event);
    expect(rec).toMatchObject({ family: 'email', outcome: 'delivered' });
    expect(rec.message_id).toBeUndefined();
    expect(rec.delivery_latency_ms).toBeUndefined();
  });
});

describe('normalizePinpoint SMS', () => {
  it('converts price_in_millicents_usd to USD', () => {
    const rec = normalize(sample('sms', '_SMS.SUCCESS'));
    expect(rec.price_usd).toBe(0.00645);
    expect(rec.metrics).toEqual({ price_in_millicents_usd: 645 });
  });

  it('reads a price given as a numeric string', () => {
    const event = sample('sms', '_SMS.SUCCESS');
    event.metrics = { price_in_millicents_usd: '15840' };
    const rec = normalize(event);
    expect(rec.price_usd).toBe(0.1584);
    expect(rec.metrics).toEqual({ price_in_millicents_usd: 15840 });
  });

  it('writes no price for a buffered message', () => {
    expect(normalize(sample('sms', '_SMS.BUFFERED')).price_usd).toBeUndefined();
  });

  it('reads message fields and country from the attributes', () => {
    expect(normalize(sample('sms', '_SMS.FAILURE', { record_status: 'SPAM' }))).toMatchObject({
      message_id: 'z9y8x7w6v5u4t3s2r1q0p9o8n7m6l5k4j3i2h1g0',
      message_type: 'Promotional',
      message_parts: 2,
      country: 'DE',
      phone_country: 'DE',
      status: 'SPAM',
      outcome: 'rejected',
    });
  });

  it('hashes both phone numbers and the customer context', () => {
    const rec = normalize(sample('sms', '_SMS.BUFFERED'));
    expect(rec.recipient_hash).toBe(hashOf('+447700900123'));
    expect(rec.sender_hash).toBe(hashOf('ExTunes'));
    expect(rec.phone_country).toBe('GB');
    expect(rec.attributes?.destination_phone_number).toBe(`hmac:${hashOf('+447700900123')}`);
    expect(rec.attributes?.customer_context).toMatch(/^hmac:[0-9a-f]{32}$/);
  });

  it('writes the raw numbers in keep mode', () => {
    const rec = normalize(sample('sms', '_SMS.SUCCESS'), 'keep');
    expect(rec.recipient).toBe('+14255550199');
    expect(rec.sender).toBe('+12065550142');
    expect(rec.recipient_hash).toBeUndefined();
  });

  it('writes the phone country but no number in redact mode', () => {
    const rec = normalize(sample('sms', '_SMS.SUCCESS'), 'redact');
    expect(rec.phone_country).toBe('US');
    expect(rec.recipient).toBeUndefined();
    expect(rec.recipient_hash).toBeUndefined();
    expect(rec.attributes?.destination_phone_number).toBe('[value]');
  });

  it('normalizes lower-case _sms.success like _SMS.SUCCESS', () => {
    const rec = normalize(sample('sms', '_sms.success'));
    expect(rec).toMatchObject({ family: 'sms', outcome: 'delivered', channel: 'SMS', price_usd: 0.00581 });
  });

  it('normalizes legacy _SMS.SEND as sent', () => {
    expect(normalize(sample('sms', '_SMS.SEND'))).toMatchObject({
      family: 'sms',
      outcome: 'sent',
      status: 'SUCCESSFUL',
    });
  });
});

describe('normalizePinpoint endpoint record', () => {
  it('reads channel type, status, opt-out and user id from the JSON-string endpoint', () => {
    const rec = normalize(
      sample('campaign', '_campaign.send', { delivery_type: 'EMAIL', campaign_send_status: 'SUCCESS' }),
    );
    expect(rec).toMatchObject({
      endpoint_channel_type: 'EMAIL',
      endpoint_status: 'ACTIVE',
      endpoint_opt_out: 'NONE',
      user_id: 'user-123',
      email_domain: 'example.com',
      recipient_hash: hashOf('ava.reader@example.com'),
      campaign_id: '8d2e5f3b9c1a4e7f8b6d0c2a4e6f8a1b',
      campaign_activity_id: '1f0e9d8c7b6a45f4e3d2c1b0a9f8e7d6',
      treatment_id: '0',
      delivery_type: 'EMAIL',
      status: 'SUCCESS',
    });
  });

  it('derives the phone country of an SMS endpoint address', () => {
    const rec = normalize(
      sample('campaign', '_campaign.send', { delivery_type: 'SMS', campaign_send_status: 'SUCCESS' }),
    );
    expect(rec).toMatchObject({
      endpoint_channel_type: 'SMS',
      phone_country: 'US',
      recipient_hash: hashOf('+12065550123'),
    });
  });

  it('hashes a push token address without deriving a domain or country', () => {
    const rec = normalize(sample('campaign', '_campaign.send', { delivery_type: 'APNS' }));
    expect(rec.recipient_hash).toBe(
      hashOf('740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad'),
    );
    expect(rec.email_domain).toBeUndefined();
    expect(rec.phone_country).toBeUndefined();
  });

  it.each([
    ['truncated JSON', '{"ChannelType":"EMAIL","EndpointStatus":"ACT'],
    ['plain text', 'not json at all'],
    ['a JSON array', '[{"ChannelType":"EMAIL"}]'],
    ['JSON null', 'null'],
    ['an empty string', ''],
    ['a number', 42],
  ])('writes no endpoint fields and does not throw for %s', (_name, endpoint) => {
    const rec = normalize(endpointEvent(endpoint));
    for (const key of [
      'endpoint_channel_type',
      'endpoint_status',
      'endpoint_opt_out',
      'user_id',
      'recipient_hash',
      'email_domain',
    ] as const) {
      expect(rec[key]).toBeUndefined();
    }
    expect(rec).toMatchObject({ family: 'campaign', outcome: 'sent', campaign_id: 'c-1' });
  });

  it('reads an endpoint record that arrives as an object', () => {
    const rec = normalize(
      endpointEvent({ ChannelType: 'SMS', EndpointStatus: 'INACTIVE', User: { UserId: 'u-9' } }),
    );
    expect(rec).toMatchObject({ endpoint_channel_type: 'SMS', endpoint_status: 'INACTIVE', user_id: 'u-9' });
  });

  it('protects a user id that is an email address or a phone number', () => {
    const email = JSON.stringify({ ChannelType: 'EMAIL', User: { UserId: 'Jane.Doe@example.com' } });
    const phone = JSON.stringify({ ChannelType: 'SMS', User: { UserId: '+447700900123' } });
    expect(normalize(endpointEvent(email)).user_id).toBe(`hmac:${hashOf('jane.doe@example.com')}`);
    expect(normalize(endpointEvent(phone)).user_id).toBe(`hmac:${hashOf('+447700900123')}`);
    expect(normalize(endpointEvent(email), 'redact').user_id).toBe('[email]');
    expect(normalize(endpointEvent(email), 'keep').user_id).toBe('Jane.Doe@example.com');
  });

  it('lets the event recipient win over the endpoint address', () => {
    const event = sample('email', '_email.send');
    event.client_context = { custom: { endpoint: JSON.stringify({ Address: 'other@example.org' }) } };
    const rec = normalize(event);
    expect(rec.email_domain).toBe('example.com');
    expect(rec.recipient_hash).toBe(hashOf('ava.reader@example.com'));
  });
});

describe('normalizePinpoint journey', () => {
  it('reads ids, status, status code and the scrubbed status message', () => {
    const event = sample('journey', '_journey.send', { journey_send_status: 'FAILURE_PERMANENT' });
    (event.attributes as JsonObject).journey_send_status_message = 'Invalid number +5511900001234 for SMS';
    const rec = normalize(event);
    expect(rec).toMatchObject({
      journey_id: 'b2c3d4e5f6a74b8c9d0e1f2a3b4c5d6e',
      journey_run_id: '1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6',
      journey_activity_id: 'Pq9rS3tU5v',
      delivery_type: 'SMS',
      status: 'FAILURE_PERMANENT',
      status_code: '400',
      status_message: `Invalid number hmac:${hashOf('+5511900001234')} for SMS`,
      outcome: 'failed',
      channel: 'SMS',
    });
  });

  it('writes no channel or delivery type for QUIET_TIME_WAIT_FINISHED', () => {
    const rec = normalize(
      sample('journey', '_journey.send', { journey_send_status: 'QUIET_TIME_WAIT_FINISHED' }),
    );
    expect(rec.channel).toBeUndefined();
    expect(rec.delivery_type).toBeUndefined();
    expect(rec.outcome).toBe('other');
  });
});

describe('normalizePinpoint app', () => {
  it('computes the session duration of a _session.stop', () => {
    const stops = (RAW.app as JsonObject[]).filter((e) => e.event_type === '_session.stop');
    expect(stops.map((e) => normalize(structuredClone(e)).session_duration_ms)).toEqual([599_976, 870_250]);
  });

  it('computes the session duration from timestamps in seconds or as strings', () => {
    const event = sample('app', '_session.stop');
    event.session = { session_id: 's-1', start_timestamp: 1_763_600_120, stop_timestamp: '1763600990387' };
    expect(normalize(event).session_duration_ms).toBe(870_387);
  });

  it('writes no session duration for other session events or a stop before its start', () => {
    expect(normalize(sample('app', '_session.start')).session_duration_ms).toBeUndefined();
    const event = sample('app', '_session.stop');
    event.session = {
      session_id: 's-1',
      start_timestamp: 1_763_600_990_387,
      stop_timestamp: 1_763_600_120_137,
    };
    expect(normalize(event).session_duration_ms).toBeUndefined();
  });

  it('reads device, locale, app version and SDK', () => {
    expect(normalize(sample('app', '_userauth.sign_up'))).toMatchObject({
      device_platform: 'iOS',
      device_make: 'apple',
      device_model: 'iPhone15,2',
      locale: 'en_GB',
      country: 'GB',
      app_version: '3.2.1',
      sdk_name: 'aws-sdk-iOS',
      session_id: 'b7a3e2c1-20251120-014025012',
      endpoint_id: 'B7A3E2C1-4D5F-4A6B-9C8D-7E6F5A4B3C2D',
      app_id: 'f0e1d2c3b4a5968778695a4b3c2d1e0f',
    });
  });

  it('keeps custom attributes and metrics', () => {
    const rec = normalize(sample('app', 'PlayedSong'));
    expect(rec.family).toBe('custom');
    expect(rec.attributes).toMatchObject({ track_id: 'trk-004821', offline: 'false' });
    expect(rec.metrics).toEqual({ listen_duration_sec: 183.5, track_length_sec: 214, skip_count: 0 });
  });

  it('writes no cognito id', () => {
    const event = sample('app', '_session.start');
    expect(JSON.stringify(normalize(event))).not.toContain((event.client as JsonObject).cognito_id as string);
  });
});

describe('normalizePinpoint leniency', () => {
  it('normalizes an event without device, session, application or client', () => {
    const event = sample('app', '_session.stop');
    delete event.device;
    delete event.session;
    delete event.application;
    delete event.client;
    const rec = normalize(event);
    expect(rec).toMatchObject({ family: 'app', outcome: 'session', event_time: '2017-02-24T22:03:22.507Z' });
    for (const key of [
      'device_platform',
      'session_id',
      'session_duration_ms',
      'app_id',
      'endpoint_id',
    ] as const) {
      expect(rec[key]).toBeUndefined();
    }
  });

  it('normalizes parts that are null or of the wrong type', () => {
    const rec = normalize({
      event_type: '_session.start',
      event_timestamp: 1_763_650_000_000,
      device: null,
      session: 'abc',
      application: [1],
      client: 7,
      attributes: 'x',
      metrics: null,
      client_context: { custom: null },
    });
    expect(rec).toMatchObject({ family: 'app', outcome: 'session' });
    expect(rec.attributes).toBeUndefined();
    expect(rec.metrics).toBeUndefined();
  });

  it.each([
    ['a numeric string', '1763650000000'],
    ['seconds', 1_763_650_000],
    ['seconds as a string', '1763650000'],
    ['seconds with decimals', 1_763_650_000.0],
  ])('reads an event_timestamp given as %s', (_name, value) => {
    const event = sample('sms', '_SMS.SUCCESS');
    event.event_timestamp = value;
    expect(normalize(event).event_time).toBe('2025-11-20T14:46:40.000Z');
  });

  it('reads an arrival_timestamp in seconds with decimals and partitions by it', () => {
    const event = sample('sms', '_SMS.SUCCESS');
    event.arrival_timestamp = '1763607600.25';
    expect(normalize(event)).toMatchObject({
      arrival_time: '2025-11-20T03:00:00.250Z',
      dt: '2025-11-20',
      hour: '03',
    });
  });

  it('falls back to the ingest time when the arrival time is missing or unusable', () => {
    const event = sample('sms', '_SMS.SUCCESS');
    event.arrival_timestamp = 'soon';
    expect(normalize(event)).toMatchObject({
      arrival_time: '2025-11-20T14:46:40.000Z',
      ingest_time: '2025-11-20T14:46:40.000Z',
      dt: '2025-11-20',
      hour: '14',
    });
  });

  it('writes no event time when event_timestamp is unusable', () => {
    const event = sample('sms', '_SMS.SUCCESS');
    event.event_timestamp = null;
    expect(normalize(event).event_time).toBeUndefined();
  });

  it('coerces attribute values that are not strings and drops null ones', () => {
    const event = sample('app', 'PlayedSong');
    event.attributes = {
      plays: 3,
      tags: null,
      meta: { source: 'radio' },
      offline: false,
      list: ['a'],
      title: 'x',
    };
    expect(normalize(event).attributes).toEqual({
      plays: '3',
      meta: '{"source":"radio"}',
      offline: 'false',
      list: '["a"]',
      title: 'x',
    });
  });

  it('writes no attributes when every value is null', () => {
    const event = sample('app', 'PlayedSong');
    event.attributes = { tags: null };
    expect(normalize(event).attributes).toBeUndefined();
  });

  it('reads campaign ids and send status given as numbers', () => {
    const event = sample('campaign', '_campaign.send', {
      delivery_type: 'EMAIL',
      campaign_send_status: 'SUCCESS',
    });
    (event.attributes as JsonObject).treatment_id = 2;
    expect(normalize(event)).toMatchObject({ treatment_id: '2', outcome: 'sent' });
  });

  it('scrubs personal data out of nested attribute values', () => {
    const event = sample('app', 'PlayedSong');
    event.attributes = { contact: { email: 'ava.reader@example.com' } };
    const rec = normalize(event);
    expect(JSON.stringify(rec)).not.toContain('ava.reader@example.com');
    expect(rec.attributes?.contact).toContain('hmac:');
  });

  it('reads numeric-string metrics and drops the rest', () => {
    const event = sample('app', 'PlayedSong');
    event.metrics = { a: '12.5', b: ' 7 ', c: 'abc', d: null, e: '', f: 3, g: { x: 1 }, h: 'Infinity' };
    expect(normalize(event).metrics).toEqual({ a: 12.5, b: 7, f: 3 });
  });

  it('writes no metrics when none is a number', () => {
    const event = sample('app', 'PlayedSong');
    event.metrics = { a: 'abc' };
    expect(normalize(event).metrics).toBeUndefined();
  });

  it('ignores unknown extra keys', () => {
    const event = sample('email', '_email.delivered');
    event.brand_new_field = { nested: true };
    (mailEvent(event).delivery as JsonObject).event_timestamp = 1;
    expect(normalize(event)).toEqual(normalize(sample('email', '_email.delivered')));
  });
});

describe('session duration', () => {
  it('is computed whatever the case of _session.stop', () => {
    const stop = sample('app', '_session.stop');
    const upper = normalize({ ...stop, event_type: '_SESSION.STOP' });
    expect(upper.session_duration_ms).toBe(normalize(stop).session_duration_ms);
    expect(upper.session_duration_ms).toBeGreaterThan(0);
  });
});
