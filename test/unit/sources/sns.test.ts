import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { JsonObject } from '../../../src/decode';
import { PoisonRecordError } from '../../../src/errors';
import { SES_DETAIL_TYPES } from '../../../src/fixtures/eventBridge';
import { ENVELOPES, normalizeEvent } from '../../../src/normalize';
import { type PiiMode, PiiProtector } from '../../../src/pii';
import type { NormalizedRecord } from '../../../src/schema';
import type { NormalizeContext } from '../../../src/sources/common';
import { SNS } from '../../../src/sources/sns';

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
const NOTIFICATIONS = raw('ses-sns');

/** What an SNS envelope adds to or changes in the record of its event (docs/schema.md §2). */
const FROM_SNS = ['source_event_id', 'arrival_time', 'dt', 'hour'] as const;

function without(rec: NormalizedRecord, keys: readonly string[]): Partial<NormalizedRecord> {
  const copy: Record<string, unknown> = { ...rec };
  for (const key of keys) delete copy[key];
  return copy as Partial<NormalizedRecord>;
}

/** An SNS notification as a Firehose subscription without raw message delivery writes it. */
function notification(message: unknown, overrides: JsonObject = {}): JsonObject {
  return {
    Type: 'Notification',
    MessageId: '719a6bbf-f51b-5320-920f-3385b5e9aa56',
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:ses-events',
    Message: typeof message === 'string' ? message : JSON.stringify(message),
    Timestamp: '2025-11-20T19:02:28.032Z',
    UnsubscribeURL:
      'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:123456789012:ses-events:0b410f3c-ee5e-49d8-b59b-3b4aa6d8fcf5',
    ...overrides,
  };
}

const sesSample = (eventType: string) =>
  structuredClone(SES.find((e) => e.eventType === eventType) as JsonObject);

describe('the SES-via-SNS samples (events/raw/ses-sns.json)', () => {
  it('wrap every SES sample, in order, as the documented notification', () => {
    expect(NOTIFICATIONS.map((n) => JSON.parse(n.Message as string))).toEqual(SES);
    for (const n of NOTIFICATIONS) {
      expect(Object.keys(n)).toEqual([
        'Type',
        'MessageId',
        'TopicArn',
        'Message',
        'Timestamp',
        'UnsubscribeURL',
      ]);
      expect(n.Type).toBe('Notification');
      expect(n.TopicArn).toBe('arn:aws:sns:us-east-1:123456789012:ses-events');
      expect(n.Timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    }
    expect(new Set(NOTIFICATIONS.map((n) => n.MessageId)).size).toBe(NOTIFICATIONS.length);
  });

  it.each(
    NOTIFICATIONS.map(
      (n, i) => [`${i} ${(SES[i] as JsonObject).eventType}`, n, SES[i] as JsonObject] as const,
    ),
  )(
    '%s normalizes to the record of its bare SES event, plus the notification’s id and time',
    (_name, wrapped, bare) => {
      for (const mode of ['hash', 'redact', 'keep'] as const) {
        const rec = normalize(structuredClone(wrapped), mode);
        expect(without(rec, FROM_SNS)).toEqual(without(normalize(structuredClone(bare), mode), FROM_SNS));
        const time = new Date(String(wrapped.Timestamp)).toISOString();
        expect(rec).toMatchObject({
          source: 'ses',
          source_event_id: wrapped.MessageId,
          arrival_time: time,
          dt: time.slice(0, 10),
          hour: time.slice(11, 13),
        });
      }
    },
  );
});

describe('the SNS envelope', () => {
  it('is one entry of the envelope table, after EventBridge', () => {
    expect(ENVELOPES.map((e) => e.name)).toEqual(['eventbridge', 'sns']);
  });

  it('recognizes Type Notification with a string Message', () => {
    const n = notification(sesSample('Send'));
    expect(SNS.unwrap(n)).toMatchObject({
      facts: { sourceEventId: n.MessageId, arrivalMs: Date.parse('2025-11-20T19:02:28.032Z') },
      inner: sesSample('Send'),
    });
  });

  it.each<[string, JsonObject]>([
    ['another Type', { Type: 'SubscriptionConfirmation' }],
    ['a lower-case Type', { Type: 'notification' }],
    ['no Type', { Type: undefined }],
    ['a Message that is an object', { Message: { eventType: 'Send' } }],
    ['no Message', { Message: undefined }],
  ])(
    'does not take an object with %s for a notification: poison, it has no event type',
    (_name, overrides) => {
      const n = notification(sesSample('Send'), overrides);
      for (const key of Object.keys(overrides)) if (overrides[key] === undefined) delete n[key];
      expect(SNS.unwrap(n)).toBeUndefined();
      expect(() => normalize(n)).toThrow(PoisonRecordError);
    },
  );

  it('takes the stream’s arrival and no source_event_id when Timestamp and MessageId are missing or odd', () => {
    for (const overrides of [
      { Timestamp: undefined, MessageId: undefined },
      { Timestamp: 'yesterday', MessageId: '' },
      { Timestamp: null, MessageId: 42 },
    ] as JsonObject[]) {
      const n = notification(sesSample('Delivery'), overrides);
      for (const key of Object.keys(overrides)) if (overrides[key] === undefined) delete n[key];
      const rec = normalize(n);
      expect(rec).toMatchObject({
        source: 'ses',
        arrival_time: '2025-11-20T14:46:40.000Z',
        dt: '2025-11-20',
      });
      if (overrides.MessageId === 42) expect(rec.source_event_id).toBe('42');
      else expect(rec.source_event_id).toBeUndefined();
    }
  });

  it('carries an SES notification (notificationType) as SES', () => {
    const bounce = {
      notificationType: 'Bounce',
      mail: { messageId: 'm-2', destination: ['jo@example.com'], sendingAccountId: '123456789012' },
      bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'jo@example.com' }] },
    };
    const rec = normalize(notification(bounce));
    expect(without(rec, FROM_SNS)).toEqual(without(normalize(structuredClone(bounce)), FROM_SNS));
    expect(rec).toMatchObject({ source: 'ses', outcome: 'bounced', bounce_type: 'permanent' });
  });

  it('carries End User Messaging events as well: the message is detected by its shape', () => {
    const text = raw('eum')[3] as JsonObject;
    expect(normalize(notification(text))).toMatchObject({ source: 'end_user_messaging', family: 'sms' });
    const rcs = raw('rcs')[0] as JsonObject;
    expect(normalize(notification(rcs))).toMatchObject({ source: 'end_user_messaging', family: 'rcs' });
  });

  it('writes the EventBridge event a topic carries with EventBridge’s id and time: the innermost envelope wins', () => {
    const eventBridge = raw('ses-eventbridge')[0] as JsonObject;
    const rec = normalize(
      notification(eventBridge, { MessageId: 'sns-id', Timestamp: '2030-01-01T00:00:00.000Z' }),
    );
    expect(rec).toEqual(normalize(structuredClone(eventBridge)));
    const registration = raw('eum-eventbridge')[3] as JsonObject;
    expect(normalize(notification(registration))).toMatchObject({
      source: 'end_user_messaging',
      family: 'registration',
      source_event_id: registration.id,
    });
  });

  it('takes the notification’s id where the inner envelope has none', () => {
    const eventBridge = structuredClone(raw('ses-eventbridge')[0] as JsonObject);
    delete eventBridge.id;
    delete eventBridge.time;
    const rec = normalize(notification(eventBridge, { MessageId: 'sns-id' }));
    expect(rec).toMatchObject({ source_event_id: 'sns-id', arrival_time: '2025-11-20T19:02:28.032Z' });
  });

  it('opens two envelopes at most: a third is the record of the second', () => {
    const twice = notification(notification(sesSample('Send'), { MessageId: 'inner' }), {
      MessageId: 'outer',
    });
    expect(normalize(twice)).toMatchObject({ source: 'ses', source_event_id: 'inner' });
    const thrice = notification(twice, { MessageId: 'outermost' });
    expect(normalize(thrice)).toMatchObject({ source: 'sns', family: 'unknown', source_event_id: 'outer' });
  });

  it.each<[string, string]>([
    ['plain text', 'Release 2025.11.20 is live, call +1 415 555 0100'],
    ['a JSON array', '[{"eventType":"Send","mail":{}}]'],
    ['broken JSON', '{"eventType":"Send","mail":'],
    ['a JSON object without an event type', '{"hello":"jo@example.com"}'],
    ['an empty message', ''],
    ['JSON null', 'null'],
  ])(
    'writes a notification of %s as source sns, family unknown, without copying the message',
    (_name, message) => {
      const rec = normalize(notification(message, { Subject: 'to jo@example.com' }), 'redact');
      expect(rec).toEqual({
        schema_version: 1,
        event_id: 'evt-0001',
        source: 'sns',
        family: 'unknown',
        event_type: 'Notification',
        outcome: 'other',
        event_time: '2025-11-20T19:02:28.032Z',
        arrival_time: '2025-11-20T19:02:28.032Z',
        ingest_time: '2025-11-20T14:46:40.000Z',
        dt: '2025-11-20',
        hour: '19',
        attributes: { sns_topic: 'ses-events' },
        source_event_id: '719a6bbf-f51b-5320-920f-3385b5e9aa56',
      });
    },
  );

  it('names no topic when TopicArn is missing or no ARN', () => {
    for (const TopicArn of [undefined, 'ses-events', 42, 'arn:aws:sns:us-east-1:1:']) {
      const n = notification('plain', { TopicArn });
      if (TopicArn === undefined) delete n.TopicArn;
      expect(normalize(n).attributes).toBeUndefined();
    }
  });

  it('protects a topic name that holds personal data', () => {
    const rec = normalize(
      notification('x', { TopicArn: 'arn:aws:sns:us-east-1:1:jo-at-4155550100' }),
      'redact',
    );
    expect(rec.attributes).toEqual({ sns_topic: 'jo-at-[phone]' });
  });

  it('quarantines a message nested deeper than a record may be', () => {
    const deep = `{"eventType":"Send","mail":{},"x":${'['.repeat(100)}1${']'.repeat(100)}}`;
    let thrown: unknown;
    try {
      normalize(notification(deep));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PoisonRecordError);
    expect((thrown as PoisonRecordError).reason).toBe('too_deeply_nested');
  });

  it('is a pure function of the event: the notification is not modified', () => {
    const n = notification(sesSample('Click'));
    const before = structuredClone(n);
    normalize(n);
    expect(n).toEqual(before);
  });
});

describe('any SES event, bare, through SNS and through EventBridge (property)', () => {
  const SES_TYPES = Object.keys(SES_DETAIL_TYPES);
  const word = fc.string({ maxLength: 16 });
  const personal = fc.constantFrom(
    'jo@example.com',
    '"Jo Doe" <jo.doe@example.org>',
    '+1 415 555 0100',
    '(206) 555-0147',
    '203.0.113.9',
    '2001:db8::7',
  );
  const text = fc.oneof(word, personal, fc.constantFrom('1111-2222-3333', '0100019a-0001-000000'));
  const when = fc.date({
    min: new Date('1971-01-02T00:00:00Z'),
    max: new Date('9999-12-30T00:00:00Z'),
    noInvalidDate: true,
  });
  const detailOf: Record<string, string> = {
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

  /** An SES event: a sample with its type, ids, parties, tags and details replaced by generated ones. */
  const sesEvent = fc
    .record({
      base: fc.constantFrom(...SES),
      type: fc.oneof(
        fc.constantFrom(...SES_TYPES),
        word.filter((w) => w.length > 0),
      ),
      asNotification: fc.boolean(),
      messageId: text,
      source: text,
      destination: fc.array(text, { maxLength: 3 }),
      account: fc.option(fc.oneof(fc.stringMatching(/^\d{12}$/), text), { nil: undefined }),
      tags: fc.option(fc.dictionary(text, fc.array(text, { maxLength: 2 }), { maxKeys: 3 }), {
        nil: undefined,
      }),
      detail: fc.record(
        {
          timestamp: when.map((d) => d.toISOString()),
          bounceType: fc.constantFrom('Permanent', 'Transient', 'Undetermined', 'odd'),
          bouncedRecipients: fc.array(fc.record({ emailAddress: text }), { maxLength: 2 }),
          recipients: fc.array(text, { maxLength: 2 }),
          ipAddress: text,
          userAgent: text,
          link: text.map((t) => `https://example.com/${t}?to=${t}`),
          reason: text,
          errorMessage: text,
        },
        { requiredKeys: [] },
      ),
      extra: fc.dictionary(word, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }),
    })
    .map(({ base, type, asNotification, messageId, source, destination, account, tags, detail, extra }) => {
      const event: JsonObject = { ...structuredClone(extra), ...structuredClone(base) };
      delete event.eventType;
      event[asNotification ? 'notificationType' : 'eventType'] = type;
      const mail = { ...(event.mail as JsonObject), messageId, source, destination } as JsonObject;
      if (account === undefined) delete mail.sendingAccountId;
      else mail.sendingAccountId = account;
      if (tags === undefined) delete mail.tags;
      else mail.tags = tags;
      event.mail = mail;
      const name = detailOf[type];
      if (name !== undefined) event[name] = { ...(event[name] as JsonObject | undefined), ...detail };
      return event;
    });

  const uuid = fc.uuid();
  const sns = fc.record({ id: uuid, time: when }).map(({ id, time }) => ({ id, time: time.toISOString() }));
  const eventBridge = fc.record({
    id: uuid,
    // EventBridge times are whole seconds.
    time: when.map((d) => `${d.toISOString().slice(0, 19)}Z`),
    account: fc.stringMatching(/^\d{12}$/),
    set: fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/),
  });

  it('give the same record but for the envelope’s id and time (and, from EventBridge, the account and configuration set the event lacks)', () => {
    fc.assert(
      fc.property(
        sesEvent,
        sns,
        eventBridge,
        fc.constantFrom<PiiMode>('hash', 'redact', 'keep'),
        (event, s, e, mode) => {
          const bare = normalize(structuredClone(event), mode);
          const throughSns = normalize(
            notification(structuredClone(event), { MessageId: s.id, Timestamp: s.time }),
            mode,
          );
          const throughEventBridge = normalize(
            {
              version: '0',
              id: e.id,
              'detail-type':
                SES_DETAIL_TYPES[String(event.eventType ?? event.notificationType)] ?? 'Email Sent',
              source: 'aws.ses',
              account: e.account,
              time: e.time,
              region: 'us-east-1',
              resources: [`arn:aws:ses:us-east-1:${e.account}:configuration-set/${e.set}`],
              detail: structuredClone(event),
            },
            mode,
          );
          const arrival = (iso: string) => ({
            arrival_time: new Date(iso).toISOString(),
            dt: new Date(iso).toISOString().slice(0, 10),
            hour: new Date(iso).toISOString().slice(11, 13),
          });
          expect(throughSns).toEqual({ ...bare, source_event_id: s.id, ...arrival(s.time) });
          expect(throughEventBridge).toEqual({
            ...bare,
            source_event_id: e.id,
            ...arrival(e.time),
            account_id: bare.account_id ?? e.account,
            configuration_set: bare.configuration_set ?? e.set,
          });
          expect(bare.source_event_id).toBeUndefined();
          expect(bare.arrival_time).toBe('2025-11-20T14:46:40.000Z');
          // The stream's arrival is the stream's, whatever the envelope: ingest_time is never derived from it.
          expect(throughSns.ingest_time).toBe(bare.ingest_time);
        },
      ),
      { numRuns: 300 },
    );
  });
});
