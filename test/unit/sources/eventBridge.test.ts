import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject } from '../../../src/decode';
import { SES_DETAIL_TYPES } from '../../../src/fixtures/eventBridge';
import { normalizeEvent } from '../../../src/normalize';
import { type PiiMode, PiiProtector } from '../../../src/pii';
import type { NormalizedRecord } from '../../../src/schema';
import type { NormalizeContext } from '../../../src/sources/common';
import { EVENTBRIDGE } from '../../../src/sources/eventBridge';

const INGEST_MS = 1_763_650_000_000; // 2025-11-20T14:46:40.000Z
const KEY = Buffer.from('test-key-0123456789');

function context(mode: PiiMode = 'hash'): NormalizeContext {
  return { eventId: 'evt-0001', ingestMs: INGEST_MS, pii: new PiiProtector(mode, KEY) };
}

/** As the pipeline writes it: normalized, then protected by the PII mode. */
function normalize(event: JsonObject, mode: PiiMode = 'hash'): NormalizedRecord {
  const ctx = context(mode);
  const rec = normalizeEvent(event, ctx);
  ctx.pii.record(rec);
  return rec;
}

const raw = (name: string) =>
  JSON.parse(readFileSync(join(__dirname, '../../../events/raw', `${name}.json`), 'utf8')) as JsonObject[];
const SES = raw('ses');
const ENVELOPES = raw('ses-eventbridge');

/** The fields an EventBridge envelope adds to or changes in the record of its SES event (docs/schema.md §2). */
const FROM_ENVELOPE = ['source_event_id', 'arrival_time', 'dt', 'hour'] as const;

function without(rec: NormalizedRecord, keys: readonly string[]): Partial<NormalizedRecord> {
  const copy: Record<string, unknown> = { ...rec };
  for (const key of keys) delete copy[key];
  return copy as Partial<NormalizedRecord>;
}

function envelope(detail: JsonObject, overrides: JsonObject = {}): JsonObject {
  return {
    version: '0',
    id: '2a6e3f0c-5b1d-4e7a-9c8b-0f1e2d3c4b5a',
    'detail-type': SES_DETAIL_TYPES[String(detail.eventType)] ?? 'Email Sent',
    source: 'aws.ses',
    account: '123456789012',
    time: '2025-11-20T19:02:28Z',
    region: 'us-east-1',
    resources: ['arn:aws:ses:us-east-1:123456789012:configuration-set/prod-engagement'],
    detail,
    ...overrides,
  };
}

const sesSample = (eventType: string) =>
  structuredClone(SES.find((e) => e.eventType === eventType) as JsonObject);

describe('the SES-via-EventBridge samples (events/raw/ses-eventbridge.json)', () => {
  it('wrap every SES sample, in order, with every SES detail-type', () => {
    expect(ENVELOPES.map((e) => e.detail)).toEqual(SES);
    expect(new Set(ENVELOPES.map((e) => e['detail-type']))).toEqual(new Set(Object.values(SES_DETAIL_TYPES)));
    for (const e of ENVELOPES) {
      expect(Object.keys(e)).toEqual([
        'version',
        'id',
        'detail-type',
        'source',
        'account',
        'time',
        'region',
        'resources',
        'detail',
      ]);
      expect(e).toMatchObject({
        version: '0',
        source: 'aws.ses',
        account: '123456789012',
        region: 'us-east-1',
      });
      expect(e.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(e.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(e['detail-type']).toBe(SES_DETAIL_TYPES[String((e.detail as JsonObject).eventType)]);
    }
    expect(new Set(ENVELOPES.map((e) => e.id)).size).toBe(ENVELOPES.length);
  });

  it.each(ENVELOPES.map((e, i) => [`${i} ${e['detail-type']}`, e, SES[i] as JsonObject] as const))(
    '%s normalizes to the record of its bare SES event, plus the envelope’s id and time',
    (_name, wrapped, bare) => {
      for (const mode of ['hash', 'redact', 'keep'] as const) {
        const rec = normalize(structuredClone(wrapped), mode);
        const expected = normalize(structuredClone(bare), mode);
        expect(without(rec, FROM_ENVELOPE)).toEqual(without(expected, FROM_ENVELOPE));
        expect(expected.source_event_id).toBeUndefined();
        const time = Date.parse(String(wrapped.time));
        expect(rec).toMatchObject({
          source_event_id: wrapped.id,
          arrival_time: new Date(time).toISOString(),
          dt: new Date(time).toISOString().slice(0, 10),
          hour: new Date(time).toISOString().slice(11, 13),
          configuration_set: 'prod-engagement',
        });
      }
    },
  );
});

describe('the EventBridge envelope', () => {
  it('recognizes the shape: detail-type, source and a detail object', () => {
    const e = envelope(sesSample('Send'));
    expect(EVENTBRIDGE.unwrap(e)).toMatchObject({
      facts: {
        sourceEventId: '2a6e3f0c-5b1d-4e7a-9c8b-0f1e2d3c4b5a',
        arrivalMs: Date.parse('2025-11-20T19:02:28Z'),
        accountId: '123456789012',
        configurationSet: 'prod-engagement',
      },
      inner: e.detail,
    });
  });

  it.each<[string, JsonObject]>([
    ['no detail-type', { 'detail-type': undefined }],
    ['an empty detail-type', { 'detail-type': '' }],
    ['a numeric detail-type', { 'detail-type': 7 }],
    ['no source', { source: undefined }],
    ['an object as source', { source: { name: 'aws.ses' } }],
    ['a string detail', { detail: '{"eventType":"Send"}' }],
    ['an array detail', { detail: [] }],
    ['a null detail', { detail: null }],
  ])('does not take an object with %s for an envelope', (_name, overrides) => {
    const e = envelope(sesSample('Send'), overrides);
    for (const key of Object.keys(overrides)) if (overrides[key] === undefined) delete e[key];
    expect(EVENTBRIDGE.unwrap(e)).toBeUndefined();
  });

  it('leaves such an object to the other detectors: poison when it has no event type of its own', () => {
    expect(() => normalize(envelope(sesSample('Send'), { detail: 'x' }))).toThrow(/no event type/);
  });
});

describe('an EventBridge event, normalized', () => {
  it('takes the envelope’s id, its time as the arrival time, and keeps the detail’s event time', () => {
    const rec = normalize(envelope(sesSample('Delivery'), { time: '2025-11-20T21:00:05Z' }));
    expect(rec).toMatchObject({
      source: 'ses',
      family: 'email',
      event_type: 'Delivery',
      outcome: 'delivered',
      source_event_id: '2a6e3f0c-5b1d-4e7a-9c8b-0f1e2d3c4b5a',
      event_time: '2025-11-20T18:59:22.010Z',
      arrival_time: '2025-11-20T21:00:05.000Z',
      ingest_time: '2025-11-20T14:46:40.000Z',
      dt: '2025-11-20',
      hour: '21',
    });
  });

  it.each([
    ['missing', undefined],
    ['not a time', 'yesterday'],
    ['a number', 1_763_665_162_000],
  ])('uses the stream’s arrival when the time is %s, as for a bare event', (_name, time) => {
    const e = envelope(sesSample('Send'), { time: time as JsonObject[string] });
    if (time === undefined) delete e.time;
    const rec = normalize(e);
    if (typeof time === 'number') {
      // Numbers are read as epoch times, as everywhere else.
      expect(rec.arrival_time).toBe(new Date(time).toISOString());
    } else {
      expect(rec).toMatchObject({ arrival_time: '2025-11-20T14:46:40.000Z', dt: '2025-11-20', hour: '14' });
    }
  });

  it('has no source_event_id without an id', () => {
    const e = envelope(sesSample('Send'));
    delete e.id;
    expect(normalize(e).source_event_id).toBeUndefined();
  });

  it('keeps its id as received: an id EventBridge mints is never scanned for personal data', () => {
    const rec = normalize(envelope(sesSample('Send'), { id: '1111-2222-3333' }), 'redact');
    expect(rec.source_event_id).toBe('1111-2222-3333');
  });

  it('prefers the detail’s configuration set and account, and falls back to the envelope’s', () => {
    const detail = sesSample('Send');
    const mail = detail.mail as JsonObject;
    expect(normalize(envelope(structuredClone(detail), { account: '999999999999' }))).toMatchObject({
      configuration_set: 'prod-engagement',
      account_id: '123456789012',
    });
    delete mail.tags;
    delete mail.sendingAccountId;
    const rec = normalize(
      envelope(detail, {
        account: '999999999999',
        resources: ['arn:aws:ses:us-east-1:999999999999:configuration-set/marketing'],
      }),
    );
    expect(rec).toMatchObject({ configuration_set: 'marketing', account_id: '999999999999' });
    expect(rec.attributes).toBeUndefined();
  });

  it.each<[string, unknown, string | undefined]>([
    [
      'the first configuration-set ARN',
      [
        'arn:aws:ses:eu-west-1:1:identity/x',
        'arn:aws:ses:eu-west-1:1:configuration-set/a',
        'arn:aws:ses:eu-west-1:1:configuration-set/b',
      ],
      'a',
    ],
    ['another partition', ['arn:aws-cn:ses:cn-north-1:1:configuration-set/cn'], 'cn'],
    ['an identity only', ['arn:aws:ses:us-east-1:1:identity/example.com'], undefined],
    [
      'another service’s configuration set',
      ['arn:aws:sms-voice:us-east-1:1:configuration-set/sms'],
      undefined,
    ],
    ['an empty name', ['arn:aws:ses:us-east-1:1:configuration-set/'], undefined],
    ['not an ARN', ['configuration-set/x'], undefined],
    ['no resources', [], undefined],
    ['resources that are not a list', 'arn:aws:ses:us-east-1:1:configuration-set/x', undefined],
    ['values that are not strings', [42, null, { arn: 'x' }], undefined],
  ])('reads the configuration set from resources with %s', (_name, resources, expected) => {
    const detail = sesSample('Send');
    delete (detail.mail as JsonObject).tags;
    const rec = normalize(envelope(detail, { resources: resources as JsonObject[string] }));
    expect(rec.configuration_set).toBe(expected);
  });

  it('normalizes an SES notification inside an envelope like the bare notification', () => {
    const detail: JsonObject = {
      notificationType: 'Complaint',
      mail: { messageId: 'm-9', sendingAccountId: '123456789012', destination: ['jo@example.com'] },
      complaint: {
        complainedRecipients: [{ emailAddress: 'jo@example.com' }],
        complaintFeedbackType: 'abuse',
      },
    };
    const wrapped = normalize(
      envelope(structuredClone(detail), { 'detail-type': 'Email Complaint Received', resources: [] }),
    );
    expect(without(wrapped, FROM_ENVELOPE)).toEqual(without(normalize(detail), FROM_ENVELOPE));
  });
});

describe('EventBridge events this processor does not normalize', () => {
  it('normalizes an envelope of an unknown source as source eventbridge, family unknown, never poison', () => {
    const rec = normalize({
      version: '0',
      id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
      'detail-type': 'AWS Health Event',
      source: 'aws.health',
      account: '123456789012',
      time: '2025-11-20T14:46:39Z',
      region: 'us-east-1',
      resources: [],
      detail: { service: 'SES', eventTypeCode: 'AWS_SES_OPERATIONAL_ISSUE', note: 'call +1 415 555 0100' },
    });
    expect(rec).toEqual({
      schema_version: 1,
      event_id: 'evt-0001',
      source: 'eventbridge',
      family: 'unknown',
      event_type: 'AWS Health Event',
      outcome: 'other',
      event_time: '2025-11-20T14:46:39.000Z',
      arrival_time: '2025-11-20T14:46:39.000Z',
      ingest_time: '2025-11-20T14:46:40.000Z',
      dt: '2025-11-20',
      hour: '14',
      source_event_id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
      account_id: '123456789012',
      attributes: { eventbridge_source: 'aws.health' },
    });
  });

  it.each(['', 'constructor', '__proto__', 'toString', 'AWS.SES', 'aws.ses '])(
    'treats the source %j as unknown',
    (source) => {
      const rec = normalize(envelope(sesSample('Send'), { source }));
      expect(rec).toMatchObject({ source: 'eventbridge', family: 'unknown', event_type: 'Email Sent' });
      expect(rec.attributes).toEqual({ eventbridge_source: source });
      expect(rec.message_id).toBeUndefined();
    },
  );

  it.each<[string, JsonObject]>([
    ['an account-level event', { sendingStatus: 'DISABLED', reason: 'review' }],
    ['a detail without mail', { eventType: 'Send' }],
    ['a detail without an event type', { mail: { messageId: 'm' } }],
    ['an empty detail', {}],
  ])(
    'normalizes an aws.ses envelope with %s as source ses, family unknown, without a channel',
    (_name, detail) => {
      const rec = normalize(envelope(detail, { 'detail-type': 'Sending Status Disabled' }));
      expect(rec).toMatchObject({
        source: 'ses',
        family: 'unknown',
        outcome: 'other',
        event_type: 'Sending Status Disabled',
        event_time: '2025-11-20T19:02:28.000Z',
        source_event_id: '2a6e3f0c-5b1d-4e7a-9c8b-0f1e2d3c4b5a',
        account_id: '123456789012',
        configuration_set: 'prod-engagement',
      });
      expect(rec.channel).toBeUndefined();
      expect(rec.message_id).toBeUndefined();
      expect(rec.attributes).toBeUndefined();
    },
  );

  it('normalizes an unknown SES event type inside an aws.ses envelope as SES does', () => {
    const rec = normalize(envelope({ eventType: 'AmpOpen', mail: { messageId: 'm-4' } }));
    expect(rec).toMatchObject({ source: 'ses', family: 'unknown', channel: 'EMAIL', message_id: 'm-4' });
  });

  it('protects a detail-type and a source that hold personal data', () => {
    const rec = normalize(
      envelope({}, { source: 'jo@example.com', 'detail-type': 'Call +1 415 555 0100' }),
      'redact',
    );
    expect(rec.event_type).toBe('[value]');
    expect(rec.attributes).toEqual({ eventbridge_source: '[email]' });
  });

  it('is a pure function of the event: the detail is not modified', () => {
    const e = envelope(sesSample('Click'));
    const before = structuredClone(e);
    normalizeEvent(e, context());
    expect(e).toEqual(before);
  });
});

describe('End User Messaging through EventBridge (aws.sms-voice)', () => {
  const EUM_EVENTS = raw('eum-eventbridge');

  it.each(
    EUM_EVENTS.filter((e) => e['detail-type'] !== 'Registration Status Change').map(
      (e) => [e['detail-type'], e] as const,
    ),
  )(
    'normalizes a %s event as its bare detail, plus the envelope’s id, time and account',
    (_type, wrapped) => {
      for (const mode of ['hash', 'redact', 'keep'] as const) {
        const rec = normalize(structuredClone(wrapped), mode);
        const bare = normalize(structuredClone(wrapped.detail as JsonObject), mode);
        expect(without(rec, [...FROM_ENVELOPE, 'account_id'])).toEqual(
          without(bare, [...FROM_ENVELOPE, 'account_id']),
        );
        expect(rec).toMatchObject({
          source: 'end_user_messaging',
          source_event_id: wrapped.id,
          account_id: wrapped.account,
          arrival_time: new Date(String(wrapped.time)).toISOString(),
        });
        expect(bare.account_id).toBeUndefined();
      }
    },
  );

  it('writes a registration status change as family registration, with its id and status', () => {
    const denied = EUM_EVENTS.find(
      (e) =>
        (e.detail as { registrationDetails?: { currentStatus?: string } }).registrationDetails
          ?.currentStatus === 'REQUIRES_UPDATES',
    ) as JsonObject;
    expect(normalize(structuredClone(denied), 'redact')).toEqual({
      schema_version: 1,
      event_id: 'evt-0001',
      source: 'end_user_messaging',
      family: 'registration',
      event_type: 'Registration Status Change',
      outcome: 'other',
      event_time: '2025-09-30T09:15:01.000Z',
      arrival_time: '2025-09-30T09:15:02.000Z',
      ingest_time: '2025-11-20T14:46:40.000Z',
      dt: '2025-09-30',
      hour: '09',
      registration_id: 'registration-30a16a8b7cec478a8e37febbb9005348',
      status: 'REQUIRES_UPDATES',
      attributes: { registration_type: 'ZZ_LONG_CODE_REGISTRATION', registration_version_number: '1' },
      source_event_id: '7f1c2a9e-0b3d-4e5f-8a6b-9c0d1e2f3a4b',
      account_id: '111122223333',
    });
  });

  it('writes a detail it does not know as End User Messaging’s, family unknown, not as an unknown EventBridge event', () => {
    const rec = normalize({
      version: '0',
      id: 'e-9',
      'detail-type': 'Phone Number Released',
      source: 'aws.sms-voice',
      account: '111122223333',
      time: '2025-10-01T10:00:00Z',
      detail: { phoneNumberId: 'phone-1', note: 'call +1 415 555 0100' },
    });
    expect(rec).toMatchObject({
      source: 'end_user_messaging',
      family: 'unknown',
      outcome: 'other',
      event_type: 'Phone Number Released',
      account_id: '111122223333',
    });
    expect(rec.attributes).toBeUndefined();
    expect(JSON.stringify(rec)).not.toContain('415');
  });

  it('takes an RCS event in a detail as RCS', () => {
    const rcs = raw('rcs')[7] as JsonObject;
    const rec = normalize({
      'detail-type': 'Text Message Delivery Status Updated',
      source: 'aws.sms-voice',
      detail: rcs,
    });
    expect(rec).toMatchObject({ source: 'end_user_messaging', family: 'rcs', outcome: 'rejected' });
  });
});
