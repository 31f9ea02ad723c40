import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject } from '../../../src/decode';
import type { NormalizedRecord } from '../../../src/schema';
import { classifySes, normalizeSes } from '../../../src/sources/ses';
import { hashOf, protectedNormalizer } from '../../helpers/sourceNormalizer';

const normalize = protectedNormalizer(normalizeSes, (e) => e.eventType ?? e.notificationType);

const RAW = JSON.parse(readFileSync(join(__dirname, '../../../events/raw/ses.json'), 'utf8')) as JsonObject[];

/** A fresh copy of the first SES sample of that type (and bounce type). */
function sample(eventType: string, bounceType?: string): JsonObject {
  const found = RAW.find(
    (e) =>
      e.eventType === eventType &&
      (bounceType === undefined || (e.bounce as JsonObject | undefined)?.bounceType === bounceType),
  );
  if (found === undefined) throw new Error(`no SES sample ${eventType} ${bounceType ?? ''}`);
  return structuredClone(found);
}

function detail(event: JsonObject, name: string): JsonObject {
  return event[name] as JsonObject;
}

describe('classifySes', () => {
  it.each<[string, NormalizedRecord['outcome']]>([
    ['Send', 'sent'],
    ['Delivery', 'delivered'],
    ['Bounce', 'bounced'],
    ['Complaint', 'complained'],
    ['Reject', 'rejected'],
    ['Open', 'opened'],
    ['Click', 'clicked'],
    ['Rendering Failure', 'failed'],
    ['DeliveryDelay', 'delayed'],
    ['Subscription', 'subscription'],
  ])('classifies %s as an email %s', (type, outcome) => {
    expect(classifySes(type)).toEqual({ family: 'email', outcome, channel: 'EMAIL' });
  });

  it.each(['Received', 'AmpOpen', 'bounce', 'constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'classifies %s as family unknown on the email channel',
    (type) => {
      expect(classifySes(type)).toEqual({ family: 'unknown', outcome: 'other', channel: 'EMAIL' });
    },
  );
});

describe('normalizeSes', () => {
  it('reads the message envelope, recipient and sender of a send', () => {
    const rec = normalize(sample('Send'));
    expect(rec).toMatchObject({
      source: 'ses',
      family: 'email',
      outcome: 'sent',
      channel: 'EMAIL',
      account_id: '123456789012',
      message_id: '0100019aa3e1b7c4-5d6e7f80-91a2-4b3c-8d4e-5f60718293a4-000000',
      recipient_count: 1,
      email_domain: 'example.com',
      recipient_hash: hashOf('carmen.shopper@example.com'),
      sender_hash: hashOf('orders@example.com'),
      event_time: '2025-11-20T18:59:20.117Z',
    });
  });

  it('takes the arrival time and partitions from the stream', () => {
    expect(normalize(sample('Send'))).toMatchObject({
      arrival_time: '2025-11-20T14:46:40.000Z',
      ingest_time: '2025-11-20T14:46:40.000Z',
      dt: '2025-11-20',
      hour: '14',
    });
  });

  it("takes the event time from the detail object's timestamp", () => {
    expect(normalize(sample('Complaint')).event_time).toBe('2025-11-21T00:18:28.821Z');
    expect(normalize(sample('Subscription')).event_time).toBe('2025-11-20T22:34:21.440Z');
  });

  it('falls back to the mail timestamp when the detail has none', () => {
    const event = sample('Delivery');
    delete detail(event, 'delivery').timestamp;
    expect(normalize(event).event_time).toBe('2025-11-20T18:59:20.117Z');
  });

  it('writes no event time when neither timestamp is readable', () => {
    const event = sample('Reject');
    (event.mail as JsonObject).timestamp = 'not a date';
    expect(normalize(event).event_time).toBeUndefined();
  });

  it('reads the delivery latency and the delivered recipient', () => {
    expect(normalize(sample('Delivery'))).toMatchObject({
      outcome: 'delivered',
      delivery_latency_ms: 1776,
      recipient_hash: hashOf('carmen.shopper@example.com'),
    });
  });

  it('reads processingTimeMillis given as a string', () => {
    const event = sample('Delivery');
    detail(event, 'delivery').processingTimeMillis = '1776';
    expect(normalize(event).delivery_latency_ms).toBe(1776);
  });

  it('classifies a Permanent bounce as permanent with its sub-type and bounced recipient', () => {
    expect(normalize(sample('Bounce', 'Permanent'))).toMatchObject({
      outcome: 'bounced',
      status: 'Permanent',
      bounce_type: 'permanent',
      bounce_sub_type: 'General',
      email_domain: 'example.net',
      recipient_hash: hashOf('gone.away@example.net'),
    });
  });

  it('classifies a Transient bounce as transient', () => {
    expect(normalize(sample('Bounce', 'Transient'))).toMatchObject({
      bounce_type: 'transient',
      bounce_sub_type: 'MailboxFull',
    });
  });

  it.each([
    ['Undetermined', 'undetermined'],
    ['Weird', 'undetermined'],
    ['constructor', 'undetermined'],
  ])('classifies bounce type %s as %s', (bounceType, expected) => {
    const event = sample('Bounce', 'Permanent');
    detail(event, 'bounce').bounceType = bounceType;
    expect(normalize(event).bounce_type).toBe(expected);
  });

  it('takes the recipient from the bounced recipients rather than the destination', () => {
    const event = sample('Bounce', 'Permanent');
    (event.mail as JsonObject).destination = ['first@example.com', 'gone.away@example.net'];
    expect(normalize(event)).toMatchObject({
      recipient_hash: hashOf('gone.away@example.net'),
      email_domain: 'example.net',
      recipient_count: 2,
    });
  });

  it('writes no diagnostic code, which echoes the address', () => {
    const out = JSON.stringify(normalize(sample('Bounce', 'Permanent')));
    expect(out).not.toContain('smtp; 550');
  });

  it('reads the complaint feedback type and complained recipient', () => {
    expect(normalize(sample('Complaint'))).toMatchObject({
      outcome: 'complained',
      complaint_type: 'abuse',
      recipient_hash: hashOf('not.interested@example.net'),
      sender_hash: hashOf('coach@example.com'),
    });
  });

  it('writes the reject reason, scrubbed of addresses', () => {
    expect(normalize(sample('Reject')).reject_reason).toBe('Bad content');
    const event = sample('Reject');
    detail(event, 'reject').reason = 'Bad content from sam.buyer@example.net';
    expect(normalize(event).reject_reason).toBe(`Bad content from hmac:${hashOf('sam.buyer@example.net')}`);
  });

  it('writes the rendering failure message, scrubbed of addresses', () => {
    expect(normalize(sample('Rendering Failure'))).toMatchObject({
      outcome: 'failed',
      status_message: "Attribute 'firstName' is not present in the rendering data.",
    });
    const event = sample('Rendering Failure');
    detail(event, 'failure').errorMessage = 'Bad value max.tester@example.com';
    expect(normalize(event, 'redact').status_message).toBe('Bad value [email]');
  });

  it('reads the delay type and the delayed recipient of a DeliveryDelay', () => {
    expect(normalize(sample('DeliveryDelay'))).toMatchObject({
      outcome: 'delayed',
      status: 'TransientCommunicationFailure',
      email_domain: 'example.org',
      recipient_hash: hashOf('slow.mx@example.org'),
      event_time: '2025-11-20T19:27:27.459Z',
    });
  });

  it('classifies a topic preference change as subscription', () => {
    expect(normalize(sample('Subscription'))).toMatchObject({
      outcome: 'subscription',
      email_domain: 'example.com',
    });
  });

  it.each([true, 'true'])('classifies unsubscribeAll %p as unsubscribed', (flag) => {
    const event = sample('Subscription');
    (detail(event, 'subscription').newTopicPreferences as JsonObject).unsubscribeAll = flag;
    expect(normalize(event)).toMatchObject({ family: 'email', outcome: 'unsubscribed' });
  });

  it('hashes the IP and the user agent of an open, and classes the user agent', () => {
    const event = sample('Open');
    const ua = detail(event, 'open').userAgent as string;
    const rec = normalize(event);
    expect(rec).toMatchObject({
      outcome: 'opened',
      ip_hash: hashOf('192.0.2.41'),
      user_agent_hash: hashOf(ua),
    });
    expect(rec.user_agent_class).toBe('desktop');
    expect(rec.user_agent).toBeUndefined();
    expect(rec.ip_address).toBeUndefined();
    expect(normalize(event, 'keep').user_agent).toContain('Chrome/131.0.0.0');
  });

  it('hashes an IPv6 address', () => {
    const event = sample('Open');
    detail(event, 'open').ipAddress = '2001:db8::8a2e:370:7334';
    const rec = normalize(event);
    expect(rec.ip_hash).toBe(hashOf('2001:db8::8a2e:370:7334'));
    expect(JSON.stringify(rec)).not.toContain('2001:db8');
  });

  it('writes the clicked link without its query string', () => {
    const rec = normalize(sample('Click'));
    expect(rec).toMatchObject({ outcome: 'clicked', link: 'https://track.example.com/orders/ORD-60117' });
    expect(normalize(sample('Click'), 'keep').link).toBe(
      'https://track.example.com/orders/ORD-60117?utm_source=ses&t=eyJvcmRlciI6Ik9SRC02MDExNyJ9.q1w2e3',
    );
  });

  it('writes raw addresses and IP in keep mode only', () => {
    const keep = normalize(sample('Click'), 'keep');
    expect(keep).toMatchObject({
      recipient: 'carmen.shopper@example.com',
      sender: 'orders@example.com',
      ip_address: '192.0.2.41',
    });
    const redact = normalize(sample('Click'), 'redact');
    for (const key of [
      'recipient',
      'recipient_hash',
      'sender',
      'sender_hash',
      'ip_address',
      'ip_hash',
    ] as const) {
      expect(redact[key]).toBeUndefined();
    }
    expect(redact.email_domain).toBe('example.com');
  });

  it('flattens message tags into attributes and hashes IP-valued tags', () => {
    const rec = normalize(sample('Send'));
    expect(rec.attributes).toEqual({
      'ses:source-tls-version': 'TLSv1.3',
      'ses:operation': 'SendEmail',
      'ses:configuration-set': 'prod-engagement',
      'ses:source-ip': `hmac:${hashOf('198.51.100.23')}`,
      'ses:from-domain': 'example.com',
      'ses:sender-identity': 'example.com',
      'ses:caller-identity': 'app-mailer',
      campaign: 'shipping-notice',
      tenant: 'eu-store',
    });
  });

  it('reads the configuration set from the ses:configuration-set tag, and keeps the tag', () => {
    for (const event of RAW) {
      const rec = normalize(structuredClone(event));
      expect(rec.configuration_set).toBe('prod-engagement');
      expect(rec.attributes?.['ses:configuration-set']).toBe('prod-engagement');
    }
  });

  it.each<[string, unknown, string | undefined]>([
    ['a list of one', ['marketing'], 'marketing'],
    ['a list of two (the first)', ['marketing', 'other'], 'marketing'],
    ['a bare string', 'marketing', 'marketing'],
    ['an empty list', [], undefined],
    ['an empty string', [''], undefined],
    ['an object', [{ name: 'marketing' }], undefined],
    ['null', null, undefined],
  ])('reads a configuration set tag that is %s', (_name, tag, expected) => {
    const event = sample('Send');
    (event.mail as JsonObject).tags = { 'ses:configuration-set': tag as JsonObject[string] };
    expect(normalize(event).configuration_set).toBe(expected);
  });

  it('has no configuration set without the tag (a notification, or tags missing)', () => {
    const event = sample('Bounce', 'Permanent');
    delete (event.mail as JsonObject).tags;
    expect(normalize(event).configuration_set).toBeUndefined();
  });

  it('keeps a configuration set name as received (the sender names it, never a recipient); its tag stays scanned', () => {
    const event = sample('Send');
    (event.mail as JsonObject).tags = { 'ses:configuration-set': ['ops-4155550100'] };
    for (const mode of ['hash', 'redact', 'keep'] as const) {
      expect(normalize(structuredClone(event), mode).configuration_set).toBe('ops-4155550100');
    }
    expect(normalize(structuredClone(event), 'redact').attributes?.['ses:configuration-set']).toBe(
      'ops-[phone]',
    );
  });

  it('keeps an SES message id as received, even one whose groups are all digits', () => {
    const event = sample('Delivery');
    (event.mail as JsonObject).messageId = '0100019a12345678-12345678-1234-1234-1234-123456789012-000000';
    expect(normalize(event, 'redact').message_id).toBe(
      '0100019a12345678-12345678-1234-1234-1234-123456789012-000000',
    );
  });

  it('joins multi-valued tags and reads scalar ones', () => {
    const event = sample('Send');
    (event.mail as JsonObject).tags = { team: ['a', 'b'], priority: 1, empty: [], gone: null };
    expect(normalize(event).attributes).toEqual({ team: 'a,b', priority: '1', empty: '' });
  });

  it('writes no attributes without tags', () => {
    const event = sample('Send');
    delete (event.mail as JsonObject).tags;
    expect(normalize(event).attributes).toBeUndefined();
  });

  it('normalizes an SES notification with notificationType', () => {
    const rec = normalize({
      notificationType: 'Complaint',
      complaint: {
        complainedRecipients: [{ emailAddress: 'jo@example.com' }],
        timestamp: '2025-11-20T10:00:00.000Z',
        complaintFeedbackType: 'abuse',
      },
      mail: { timestamp: '2025-11-20T09:00:00.000Z', source: 'news@example.com', messageId: 'm-9' },
    });
    expect(rec).toMatchObject({
      source: 'ses',
      event_type: 'Complaint',
      outcome: 'complained',
      complaint_type: 'abuse',
      message_id: 'm-9',
      event_time: '2025-11-20T10:00:00.000Z',
      recipient_hash: hashOf('jo@example.com'),
    });
  });

  it('normalizes an unknown event type from the mail object alone', () => {
    const rec = normalize({ ...sample('Send'), eventType: 'Received' });
    expect(rec).toMatchObject({
      family: 'unknown',
      outcome: 'other',
      channel: 'EMAIL',
      event_time: '2025-11-20T18:59:20.117Z',
      message_id: '0100019aa3e1b7c4-5d6e7f80-91a2-4b3c-8d4e-5f60718293a4-000000',
    });
  });

  it('ignores detail objects of an event type that looks like an Object member', () => {
    const rec = normalize({ eventType: 'constructor', mail: { timestamp: '2025-11-20T09:00:00.000Z' } });
    expect(rec).toMatchObject({
      family: 'unknown',
      outcome: 'other',
      event_time: '2025-11-20T09:00:00.000Z',
    });
  });

  it('normalizes parts of the wrong type without throwing', () => {
    const rec = normalize({
      eventType: 'Bounce',
      mail: { destination: 'x@example.com', tags: [1], source: 7 },
      bounce: { bouncedRecipients: [null, 'x'], bounceType: 5 },
    });
    expect(rec).toMatchObject({ family: 'email', outcome: 'bounced', sender_hash: hashOf('7') });
    expect(rec.recipient_count).toBeUndefined();
    expect(rec.recipient_hash).toBeUndefined();
    expect(rec.attributes).toBeUndefined();
  });
});
