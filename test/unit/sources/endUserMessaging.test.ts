import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject } from '../../../src/decode';
import type { NormalizedRecord } from '../../../src/schema';
import {
  classifyEndUserMessaging,
  normalizeEndUserMessaging,
  normalizeRegistration,
  REGISTRATION_STATUS_CHANGE,
} from '../../../src/sources/endUserMessaging';
import { hashOf, normalizeContext, protectedNormalizer } from '../../helpers/sourceNormalizer';

const normalize = protectedNormalizer(normalizeEndUserMessaging, (e) => e.eventType);

const RAW = ['eum', 'eum-not-sent'].flatMap(
  (file) =>
    JSON.parse(readFileSync(join(__dirname, `../../../events/raw/${file}.json`), 'utf8')) as JsonObject[],
);

function sample(eventType: string): JsonObject {
  const found = RAW.find((e) => e.eventType === eventType);
  if (found === undefined) throw new Error(`no EUM sample ${eventType}`);
  return structuredClone(found);
}

/** The documented SMS example (End User Messaging user guide, "SMS example log"). */
function docExample(): JsonObject {
  return {
    eventType: 'TEXT_SUCCESSFUL',
    eventVersion: '1.0',
    eventTimestamp: 1_686_975_103_470,
    isFinal: true,
    originationPhoneNumber: '+12065550152',
    destinationPhoneNumber: '+14255550156',
    isInternationalSend: false,
    mcc: '310',
    mnc: '800',
    messageId: '862a8790-60c0-4430-9b2b-658bdexample',
    messageRequestTimestamp: 1_686_975_103_170,
    messageEncoding: 'GSM',
    messageType: 'PROMOTIONAL',
    messageStatus: 'SUCCESSFUL',
    messageStatusDescription: 'Message has been accepted by phone carrier',
    context: { account: 'bar' },
    totalMessageParts: 1,
    totalMessagePrice: 0.09582,
    totalCarrierFee: 0.0,
  };
}

describe('classifyEndUserMessaging', () => {
  it.each<[string, NormalizedRecord['outcome']]>([
    ['SENT', 'sent'],
    ['DELIVERED', 'delivered'],
    ['SUCCESSFUL', 'delivered'],
    ['QUEUED', 'pending'],
    ['PENDING', 'pending'],
    ['BLOCKED', 'rejected'],
    ['TTL_EXPIRED', 'failed'],
    ['CARRIER_UNREACHABLE', 'failed'],
    ['INVALID', 'failed'],
    ['INVALID_MESSAGE', 'failed'],
    ['CARRIER_BLOCKED', 'rejected'],
    ['UNREACHABLE', 'failed'],
    ['SPAM', 'rejected'],
    ['UNKNOWN', 'unknown'],
    ['PROTECT_BLOCKED', 'suppressed'],
    ['FILE_INACCESSIBLE', 'failed'],
    ['FILE_TYPE_UNSUPPORTED', 'failed'],
    ['FILE_SIZE_EXCEEDED', 'failed'],
  ])('maps TEXT_%s and MEDIA_%s to outcome %s', (status, outcome) => {
    expect(classifyEndUserMessaging(`TEXT_${status}`)).toEqual({ family: 'sms', outcome, channel: 'SMS' });
    expect(classifyEndUserMessaging(`MEDIA_${status}`)).toEqual({ family: 'sms', outcome, channel: 'SMS' });
  });

  it.each<[string, NormalizedRecord['outcome']]>([
    ['INITIATED', 'sent'],
    ['RINGING', 'pending'],
    ['ANSWERED', 'delivered'],
    ['COMPLETED', 'delivered'],
    ['BUSY', 'failed'],
    ['NO_ANSWER', 'failed'],
    ['FAILED', 'failed'],
    ['TTL_EXPIRED', 'failed'],
  ])('maps VOICE_%s to outcome %s', (status, outcome) => {
    expect(classifyEndUserMessaging(`VOICE_${status}`)).toEqual({
      family: 'voice',
      outcome,
      channel: 'VOICE',
    });
  });

  it.each([
    ['a new TEXT_ status', 'TEXT_SOMETHING_NEW', { family: 'sms', outcome: 'other', channel: 'SMS' }],
    ['a new VOICE_ status', 'VOICE_VOICEMAIL', { family: 'voice', outcome: 'other', channel: 'VOICE' }],
    ['a bare TEXT', 'TEXT', { family: 'sms', outcome: 'other', channel: 'SMS' }],
    ['an unknown kind', 'WHATSAPP_DELIVERED', { family: 'unknown', outcome: 'other' }],
    [
      'an RCS type without a status',
      'RCS_DELIVERED',
      { family: 'rcs', outcome: 'delivered', channel: 'RCS' },
    ],
    ['a new RCS_ status', 'RCS_TYPING', { family: 'rcs', outcome: 'other', channel: 'RCS' }],
    ['RCS_constructor', 'RCS_constructor', { family: 'rcs', outcome: 'other', channel: 'RCS' }],
    ['a lower-case type', 'text_delivered', { family: 'unknown', outcome: 'other' }],
    ['a leading underscore', '_TEXT_SENT', { family: 'unknown', outcome: 'other' }],
    ['an Object member as status', 'TEXT_constructor', { family: 'sms', outcome: 'other', channel: 'SMS' }],
    ['__proto__ as status', 'VOICE___proto__', { family: 'voice', outcome: 'other', channel: 'VOICE' }],
    ['toString as status', 'MEDIA_toString', { family: 'sms', outcome: 'other', channel: 'SMS' }],
  ])('classifies %s (%s)', (_name, type, expected) => {
    expect(classifyEndUserMessaging(type)).toEqual(expected);
  });
});

describe('normalizeEndUserMessaging', () => {
  it('normalizes the documented SMS example', () => {
    expect(normalize(docExample())).toEqual({
      schema_version: 1,
      event_id: 'evt-0001',
      source: 'end_user_messaging',
      family: 'sms',
      event_type: 'TEXT_SUCCESSFUL',
      outcome: 'delivered',
      event_time: '2023-06-17T04:11:43.470Z',
      arrival_time: '2025-11-20T14:46:40.000Z',
      ingest_time: '2025-11-20T14:46:40.000Z',
      dt: '2025-11-20',
      hour: '14',
      channel: 'SMS',
      message_id: '862a8790-60c0-4430-9b2b-658bdexample',
      message_type: 'PROMOTIONAL',
      message_parts: 1,
      status: 'SUCCESSFUL',
      status_message: 'Message has been accepted by phone carrier',
      is_final: true,
      price_usd: 0.09582,
      carrier_fee_usd: 0,
      delivery_latency_ms: 300,
      recipient_hash: hashOf('+14255550156'),
      sender_hash: hashOf('+12065550152'),
      phone_country: 'US',
      country: 'US',
      attributes: {
        account: 'bar',
        mcc: '310',
        mnc: '800',
        message_encoding: 'GSM',
        is_international_send: 'false',
      },
    });
  });

  it('takes the arrival time and partitions from the stream, having none of its own', () => {
    const rec = normalizeEndUserMessaging(sample('TEXT_SENT'), 'TEXT_SENT', {
      ...normalizeContext(),
      ingestMs: Date.UTC(2025, 10, 21, 7, 5, 0, 9),
    });
    expect(rec).toMatchObject({ arrival_time: '2025-11-21T07:05:00.009Z', dt: '2025-11-21', hour: '07' });
    expect(rec.event_time).toBe('2025-11-20T16:53:20.412Z');
  });

  it('reads price and carrier fee in USD', () => {
    expect(normalize(sample('TEXT_DELIVERED'))).toMatchObject({
      price_usd: 0.00581,
      carrier_fee_usd: 0.00302,
    });
  });

  it('reads prices, parts and timestamps given as strings', () => {
    const event = sample('TEXT_DELIVERED');
    event.totalMessagePrice = '0.00581';
    event.totalCarrierFee = '0.00302';
    event.totalMessageParts = '3';
    event.eventTimestamp = '1763657603417';
    event.messageRequestTimestamp = '1763657600000';
    event.isFinal = 'true';
    expect(normalize(event)).toMatchObject({
      price_usd: 0.00581,
      carrier_fee_usd: 0.00302,
      message_parts: 3,
      delivery_latency_ms: 3417,
      is_final: true,
      event_time: '2025-11-20T16:53:23.417Z',
    });
  });

  it('reads timestamps in seconds', () => {
    const event = sample('TEXT_DELIVERED');
    event.eventTimestamp = 1_763_657_603;
    event.messageRequestTimestamp = 1_763_657_600;
    expect(normalize(event)).toMatchObject({
      event_time: '2025-11-20T16:53:23.000Z',
      delivery_latency_ms: 3000,
    });
  });

  it('writes the delivery latency of a delivered message only', () => {
    expect(normalize(sample('TEXT_DELIVERED')).delivery_latency_ms).toBe(3417);
    expect(normalize(sample('TEXT_SUCCESSFUL')).delivery_latency_ms).toBe(366);
    expect(normalize(sample('MEDIA_DELIVERED')).delivery_latency_ms).toBe(4881);
    expect(normalize(sample('TEXT_SENT')).delivery_latency_ms).toBeUndefined();
    expect(normalize(sample('TEXT_BLOCKED')).delivery_latency_ms).toBeUndefined();
  });

  it('writes no delivery latency when the request time is missing or after the event', () => {
    const missing = sample('TEXT_DELIVERED');
    delete missing.messageRequestTimestamp;
    const later = sample('TEXT_DELIVERED');
    later.messageRequestTimestamp = (later.eventTimestamp as number) + 1;
    expect(normalize(missing).delivery_latency_ms).toBeUndefined();
    expect(normalize(later).delivery_latency_ms).toBeUndefined();
  });

  it('reads status, final flag and status description', () => {
    expect(normalize(sample('VOICE_FAILED'))).toMatchObject({
      family: 'voice',
      outcome: 'failed',
      channel: 'VOICE',
      status: 'FAILED',
      is_final: true,
      status_message: 'The call could not be completed',
    });
    expect(normalize(sample('TEXT_SENT')).is_final).toBe(false);
  });

  it('scrubs phone numbers out of the status description', () => {
    const event = sample('TEXT_INVALID');
    event.messageStatusDescription = 'The destination phone number +12065550116 is invalid';
    expect(normalize(event).status_message).toBe(
      `The destination phone number hmac:${hashOf('+12065550116')} is invalid`,
    );
    expect(normalize(event, 'redact').status_message).toBe('The destination phone number [phone] is invalid');
  });

  it('hashes both phone numbers and derives the phone country', () => {
    const rec = normalize(sample('TEXT_SUCCESSFUL'));
    expect(rec).toMatchObject({ phone_country: 'GB', country: 'GB' });
    expect(rec.recipient_hash).toMatch(/^[0-9a-f]{32}$/);
    expect(rec.sender_hash).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(rec)).not.toMatch(/\+\d{7,}/);
  });

  it('writes the raw numbers in keep mode and none in redact mode', () => {
    const event = sample('TEXT_DELIVERED');
    expect(normalize(event, 'keep')).toMatchObject({ recipient: '+14255550111', sender: '+12065550100' });
    const redacted = normalize(event, 'redact');
    expect(redacted.phone_country).toBe('US');
    for (const key of ['recipient', 'recipient_hash', 'sender', 'sender_hash'] as const) {
      expect(redacted[key]).toBeUndefined();
    }
  });

  it('takes the country (and the phone country, without parsing the number) from isoCountryCode', () => {
    const event = sample('TEXT_DELIVERED');
    event.isoCountryCode = 'CA';
    expect(normalize(event)).toMatchObject({ country: 'CA', phone_country: 'CA' });
  });

  it('falls back to the phone country when isoCountryCode is missing', () => {
    const event = sample('TEXT_CARRIER_UNREACHABLE');
    delete event.isoCountryCode;
    expect(normalize(event).country).toBe('DE');
  });

  it('writes no country when neither isoCountryCode nor a parsable number is present', () => {
    const event = sample('TEXT_DELIVERED');
    delete event.isoCountryCode;
    delete event.destinationPhoneNumber;
    const rec = normalize(event);
    expect(rec.country).toBeUndefined();
    expect(rec.phone_country).toBeUndefined();
    expect(rec.recipient_hash).toBeUndefined();
  });

  it('merges context and transport details into the attributes', () => {
    expect(normalize(sample('TEXT_DELIVERED')).attributes).toEqual({
      userId: 'user-123',
      orderId: 'ORD-58213',
      mcc: '310',
      mnc: '260',
      message_encoding: 'GSM',
      is_international_send: 'false',
    });
  });

  it('lets a context key win over a transport detail of the same name', () => {
    const event = sample('TEXT_DELIVERED');
    event.context = { mcc: 'from-context' };
    expect(normalize(event).attributes?.mcc).toBe('from-context');
  });

  it('leaves the input context untouched', () => {
    const event = sample('TEXT_DELIVERED');
    const before = structuredClone(event);
    normalize(event);
    normalize(event, 'keep');
    expect(event).toEqual(before);
  });

  it('coerces context values that are not strings and drops null ones', () => {
    const event = sample('TEXT_DELIVERED');
    event.context = { retries: 2, vip: true, missing: null, meta: { a: 1 } };
    delete event.mcc;
    delete event.mnc;
    delete event.messageEncoding;
    delete event.isInternationalSend;
    expect(normalize(event).attributes).toEqual({ retries: '2', vip: 'true', meta: '{"a":1}' });
  });

  it('scrubs personal data out of the context', () => {
    const event = sample('TEXT_DELIVERED');
    event.context = { email: 'ava.reader@example.com', note: 'call +447700900123' };
    const rec = normalize(event);
    expect(JSON.stringify(rec)).not.toContain('ava.reader@example.com');
    expect(JSON.stringify(rec)).not.toContain('+447700900123');
  });

  it('reads the configuration set, and keeps it in the attributes too', () => {
    const rec = normalize({ ...docExample(), configurationSet: 'otp-sms' });
    expect(rec.configuration_set).toBe('otp-sms');
    expect(rec.attributes?.configuration_set).toBe('otp-sms');
  });

  it('keeps a context key configuration_set in the attributes and the event’s own set in the field', () => {
    const rec = normalize({
      ...docExample(),
      configurationSet: 'otp-sms',
      context: { configuration_set: 'x' },
    });
    expect(rec.configuration_set).toBe('otp-sms');
    expect(rec.attributes?.configuration_set).toBe('x');
  });

  it('has no configuration set when the event names none', () => {
    expect(normalize(docExample()).configuration_set).toBeUndefined();
    expect(normalize({ ...docExample(), configurationSet: '' }).configuration_set).toBeUndefined();
  });

  it('writes no attributes when there is nothing to put in them', () => {
    expect(normalize({ eventType: 'TEXT_SENT', messageId: 'm-1' }).attributes).toBeUndefined();
  });

  it('normalizes a bare event type without any other field', () => {
    const rec = normalize({ eventType: 'VOICE_BUSY' });
    expect(rec).toEqual({
      schema_version: 1,
      event_id: 'evt-0001',
      source: 'end_user_messaging',
      family: 'voice',
      event_type: 'VOICE_BUSY',
      outcome: 'failed',
      arrival_time: '2025-11-20T14:46:40.000Z',
      ingest_time: '2025-11-20T14:46:40.000Z',
      dt: '2025-11-20',
      hour: '14',
      channel: 'VOICE',
    });
  });

  it('normalizes fields of the wrong type without throwing', () => {
    const rec = normalize({
      eventType: 'TEXT_DELIVERED',
      eventTimestamp: 'yesterday',
      messageRequestTimestamp: {},
      totalMessagePrice: 'free',
      totalMessageParts: null,
      isFinal: 'maybe',
      destinationPhoneNumber: 14255550111,
      context: 'not an object',
    });
    expect(rec).toMatchObject({ family: 'sms', outcome: 'delivered' });
    for (const key of [
      'event_time',
      'price_usd',
      'message_parts',
      'is_final',
      'delivery_latency_ms',
    ] as const) {
      expect(rec[key]).toBeUndefined();
    }
  });

  it('classifies an unknown event type as family unknown without a channel', () => {
    const rec = normalize({ ...sample('TEXT_SENT'), eventType: 'REGISTRATION_STATUS_CHANGE' });
    expect(rec).toMatchObject({ source: 'end_user_messaging', family: 'unknown', outcome: 'other' });
    expect(rec.channel).toBeUndefined();
  });
});

describe('voice delivery latency', () => {
  it('measures request to answer, and leaves it out of VOICE_COMPLETED', () => {
    const answered = normalize(sample('VOICE_ANSWERED'));
    expect(answered.delivery_latency_ms).toBe(
      Number(sample('VOICE_ANSWERED').eventTimestamp) -
        Number(sample('VOICE_ANSWERED').messageRequestTimestamp),
    );
    expect(normalize(sample('VOICE_COMPLETED')).delivery_latency_ms).toBeUndefined();
  });
});

const RCS = JSON.parse(readFileSync(join(__dirname, '../../../events/raw/rcs.json'), 'utf8')) as JsonObject[];

/** The RCS page's delivery event of a rich message ("RCS message events", Delivery status events). */
function rcsDocExample(): JsonObject {
  return {
    eventType: 'RCS_DELIVERED',
    eventVersion: '1.0',
    eventTimestamp: 1781661267660,
    isFinal: true,
    originationPhoneNumber: 'rcs-c020de2520714385964ebf7b095c4b60',
    destinationPhoneNumber: '+12065550147',
    isoCountryCode: 'US',
    isInternationalSend: false,
    messageId: 'test-sc1-004',
    messageRequestTimestamp: 1781300397157,
    messageEncoding: 'UNICODE',
    messageType: 'TRANSACTIONAL',
    messageStatus: 'DELIVERED',
    messageStatusDescription: 'Message has been accepted by phone',
    totalMessageParts: 1,
    totalMessagePrice: 0.007,
    totalCarrierFee: 0.00494,
    rcsMetadata: { billingEventType: 'RICH' },
    rcsBusinessId: 'endusermessagingtesting1_06fr8x6o_agent',
    agentIsoCountryCode: 'US',
  };
}

describe('RCS events', () => {
  it.each<[string, string | undefined, NormalizedRecord['outcome']]>([
    ['RCS_QUEUED', undefined, 'pending'],
    ['RCS_SENT', undefined, 'sent'],
    ['RCS_DELIVERED', undefined, 'delivered'],
    ['RCS_DELIVERED', 'DELIVERED', 'delivered'],
    ['RCS_DELIVERED', 'PENDING', 'pending'],
    ['RCS_DELIVERED', 'UNDELIVERABLE', 'failed'],
    ['RCS_DELIVERED', 'REJECTED', 'rejected'],
    ['RCS_FAILED', undefined, 'failed'],
    ['RCS_FAILED', 'UNDELIVERABLE', 'failed'],
    ['RCS_FAILED', 'REJECTED', 'rejected'],
    ['RCS_SENT', 'PENDING', 'pending'],
    ['RCS_READ', 'READ', 'read'],
    // A read receipt is read whatever its status says: the type is more specific.
    ['RCS_READ', 'DELIVERED', 'read'],
    ['RCS_TTL_EXPIRED', undefined, 'failed'],
    ['RCS_TTL_EXPIRED', 'TTL_EXPIRATION_REVOKED', 'failed'],
    ['RCS_TTL_EXPIRED', 'TTL_EXPIRATION_REVOKE_FAILED', 'unknown'],
    ['RCS_PROTECT_BLOCKED', undefined, 'suppressed'],
    ['RCS_FALLEN_BACK_TO_SMS', undefined, 'fallen_back'],
    // A fallback's status (why RCS failed) does not make it a failure: the message went on as SMS.
    ['RCS_FALLEN_BACK_TO_SMS', 'UNDELIVERABLE', 'fallen_back'],
    ['RCS_DELIVERED', 'constructor', 'delivered'],
  ])('classifies %s with messageStatus %s as %s', (type, messageStatus, outcome) => {
    const event: JsonObject = { rcsBusinessId: 'agent' };
    if (messageStatus !== undefined) event.messageStatus = messageStatus;
    expect(classifyEndUserMessaging(type, event)).toEqual({ family: 'rcs', outcome, channel: 'RCS' });
  });

  it.each<[string, NormalizedRecord['outcome']]>([
    ['TTL_EXPIRATION_REVOKED', 'failed'],
    ['TTL_EXPIRATION_REVOKE_FAILED', 'unknown'],
    ['CONVERSATION_STARTED', 'other'],
  ])('takes %s, an RCS event by its rcsBusinessId, as RCS with outcome %s', (type, outcome) => {
    expect(classifyEndUserMessaging(type, { rcsBusinessId: 'agent' })).toEqual({
      family: 'rcs',
      outcome,
      channel: 'RCS',
    });
    expect(classifyEndUserMessaging(type, {})).toEqual({ family: 'unknown', outcome: 'other' });
  });

  it('keeps TEXT_ and MEDIA_ events SMS even if they carried an RCS agent', () => {
    expect(classifyEndUserMessaging('TEXT_DELIVERED', { rcsBusinessId: 'agent' })).toEqual({
      family: 'sms',
      outcome: 'delivered',
      channel: 'SMS',
    });
  });

  it('normalizes the documented delivery event: agent fields as columns, prices, latency', () => {
    const rec = normalize(rcsDocExample());
    expect(rec).toMatchObject({
      source: 'end_user_messaging',
      family: 'rcs',
      channel: 'RCS',
      outcome: 'delivered',
      event_type: 'RCS_DELIVERED',
      event_time: '2026-06-17T01:54:27.660Z',
      message_id: 'test-sc1-004',
      message_type: 'TRANSACTIONAL',
      message_parts: 1,
      status: 'DELIVERED',
      status_message: 'Message has been accepted by phone',
      is_final: true,
      rcs_business_id: 'endusermessagingtesting1_06fr8x6o_agent',
      rcs_agent_country: 'US',
      country: 'US',
      price_usd: 0.007,
      carrier_fee_usd: 0.00494,
      delivery_latency_ms: 1781661267660 - 1781300397157,
      recipient_hash: hashOf('+12065550147'),
      sender_hash: hashOf('rcs-c020de2520714385964ebf7b095c4b60'),
      phone_country: 'US',
      attributes: {
        message_encoding: 'UNICODE',
        is_international_send: 'false',
        rcs_billing_event_type: 'RICH',
      },
    });
    expect(rec.conversation_id).toBeUndefined();
    expect(rec.session_fee_usd).toBeUndefined();
    expect(JSON.stringify(rec)).not.toContain('2065550147');
  });

  it('puts conversational pricing into the price columns and the session fee column', () => {
    const rec = normalize(structuredClone(RCS[2] as JsonObject));
    expect(rec).toMatchObject({
      outcome: 'delivered',
      price_usd: 0,
      carrier_fee_usd: 0,
      session_fee_usd: 0.012,
      conversation_id: '177930985040408106521449',
      rcs_agent_country: 'CA',
      country: 'CA',
      attributes: { conversation_initiating_message_type: 'OUTBOUND', rcs_billing_event_type: 'BASIC' },
    });
  });

  it('protects the destination number in every format, like an SMS one', () => {
    for (const number of ['+12065550147', '(206) 555-0147', '1 206 555 0147']) {
      const event = rcsDocExample();
      event.destinationPhoneNumber = number;
      event.messageStatusDescription = `Delivered to ${number}`;
      for (const mode of ['hash', 'redact'] as const) {
        const out = JSON.stringify(normalize(structuredClone(event), mode));
        expect(out).not.toContain(number);
        expect(out).not.toContain('2065550147');
      }
      expect(normalize(structuredClone(event), 'keep').recipient).toBe(number);
    }
  });

  it('writes a read receipt with no delivery latency', () => {
    const rec = normalize(structuredClone(RCS[1] as JsonObject));
    expect(rec).toMatchObject({ outcome: 'read', event_type: 'RCS_READ', status: 'READ' });
    expect(rec.delivery_latency_ms).toBeUndefined();
  });

  it('keeps an RCS agent id that looks like a number as received: the platform minted it', () => {
    const event = rcsDocExample();
    event.rcsBusinessId = '4155550100';
    expect(normalize(event, 'redact').rcs_business_id).toBe('4155550100');
  });
});

describe('SMS Protect', () => {
  it('writes a blocked text as not sent, with the protect configuration and its verdict', () => {
    const rec = normalize(sample('TEXT_PROTECT_BLOCKED'));
    expect(rec).toMatchObject({
      family: 'sms',
      channel: 'SMS',
      outcome: 'suppressed',
      status: 'PROTECT_BLOCKED',
      status_message: 'Message blocked by protect configuration',
      country: 'NG',
      attributes: {
        protect_configuration_id: 'protect-e06e5d722c31455286262a108e7d863d',
        protect_status: 'BLOCK',
      },
    });
    expect(rec.delivery_latency_ms).toBeUndefined();
  });

  it('keeps every scalar of protectConfiguration as protect_<name>, objects and nulls left out', () => {
    // Names that are not camelCase stay as they are: their text reaches the personal-data scan unchanged.
    const event = docExample();
    event.eventType = 'TEXT_PROTECT_BLOCKED';
    event.protectConfiguration = {
      protectConfigurationId: 'protect-1',
      protectStatus: 'FILTER',
      blockReason: 'AIT_RISK',
      riskScore: 97,
      nested: { a: 1 },
      gone: null,
      __proto__x: 'y',
      '2001:DB8::7 Note': 'z',
    };
    expect(normalize(event, 'keep').attributes).toMatchObject({
      protect_configuration_id: 'protect-1',
      protect_status: 'FILTER',
      protect_block_reason: 'AIT_RISK',
      protect_risk_score: '97',
      protect___proto__x: 'y',
      'protect_2001:DB8::7 Note': 'z',
    });
    const attrs = normalize(structuredClone(event), 'keep').attributes ?? {};
    expect(Object.keys(attrs).filter((k) => k.startsWith('protect_'))).toHaveLength(6);
    expect(Object.keys(normalize(structuredClone(event), 'redact').attributes ?? {})).toContain('[key]');
  });

  it('keeps the verdict of an allowed message too (EventBridge example: protectStatus ALLOW)', () => {
    const event = docExample();
    event.protectConfiguration = { protectConfigurationId: 'protect-e06e', protectStatus: 'ALLOW' };
    event.carrierName = 'Movistar';
    expect(normalize(event).attributes).toMatchObject({
      protect_configuration_id: 'protect-e06e',
      protect_status: 'ALLOW',
      carrier_name: 'Movistar',
    });
  });

  it('ignores a protectConfiguration that is not an object', () => {
    for (const value of ['BLOCK', 7, null, ['BLOCK']]) {
      const event = docExample();
      event.protectConfiguration = value;
      expect(Object.keys(normalize(event).attributes ?? {}).some((k) => k.startsWith('protect_'))).toBe(
        false,
      );
    }
  });
});

describe('normalizeRegistration', () => {
  /** The documented detail ("Monitoring with EventBridge", Event for a registration status change). */
  const detail = (): JsonObject => ({
    registrationDetails: {
      registrationId: 'registration-30a16a8b7cec478a8e37febbb9005348',
      registrationVersionNumber: 1,
      registrationType: 'ZZ_LONG_CODE_REGISTRATION',
      registrationStatusChangeTimestamp: 1758908543000,
      currentStatus: 'SUBMITTED',
    },
    registrationArn:
      'arn:aws:sms-voice:us-east-1:111122223333:registration/registration-30a16a8b7cec478a8e37febbb9005348',
  });

  it('writes the registration id, its status, type and version, and the time of the change', () => {
    const ctx = normalizeContext();
    const rec = normalizeRegistration(detail(), REGISTRATION_STATUS_CHANGE, ctx);
    ctx.pii.record(rec);
    expect(rec).toEqual({
      schema_version: 1,
      event_id: 'evt-0001',
      source: 'end_user_messaging',
      family: 'registration',
      event_type: 'Registration Status Change',
      outcome: 'other',
      event_time: '2025-09-26T17:42:23.000Z',
      arrival_time: '2025-11-20T14:46:40.000Z',
      ingest_time: '2025-11-20T14:46:40.000Z',
      dt: '2025-11-20',
      hour: '14',
      registration_id: 'registration-30a16a8b7cec478a8e37febbb9005348',
      status: 'SUBMITTED',
      attributes: { registration_type: 'ZZ_LONG_CODE_REGISTRATION', registration_version_number: '1' },
    });
  });

  it('survives a detail whose registrationDetails is empty or odd', () => {
    for (const details of [{}, { currentStatus: 7, registrationId: null, registrationType: {} }]) {
      const rec = normalizeRegistration(
        { registrationDetails: details },
        REGISTRATION_STATUS_CHANGE,
        normalizeContext(),
      );
      expect(rec).toMatchObject({ family: 'registration', outcome: 'other' });
      expect(rec.registration_id).toBeUndefined();
    }
  });
});
