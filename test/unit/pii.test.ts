import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { type PiiMode, PiiProtector } from '../../src/pii';
import { BoundedMemo } from '../../src/pii/boundedMemo';
import type { NormalizedRecord } from '../../src/schema';
import { normalizedRecord } from '../helpers/factories';

const KEY = Buffer.from('unit-test-key-0123456789');
const OTHER_KEY = Buffer.from('another-test-key-9876543210');
const HEX32 = /^[0-9a-f]{32}$/;
const TOKEN = /^hmac:[0-9a-f]{32}$/;

const EMAIL = 'recipient@example.com';
const US_PHONE = '+14255550199';
const GB_PHONE = '+447700900123';
const DE_PHONE = '+4915123456789';

const record = (): NormalizedRecord =>
  normalizedRecord({
    event_id: 'e1',
    family: 'sms',
    event_type: '_SMS.SUCCESS',
    outcome: 'delivered',
    arrival_time: '2024-01-01T00:00:00.000Z',
    ingest_time: '2024-01-01T00:00:00.000Z',
    dt: '2024-01-01',
    hour: '00',
  });

/** The fields the PII methods may add, so that tests compare only those. */
function piiFields(rec: NormalizedRecord): Partial<NormalizedRecord> {
  const {
    schema_version,
    event_id,
    source,
    family,
    event_type,
    outcome,
    arrival_time,
    ingest_time,
    dt,
    hour,
    ...rest
  } = rec;
  return rest;
}

const hmac = (value: string, key: Buffer = KEY): string =>
  createHmac('sha256', key).update(value).digest('hex').slice(0, 32);

const protector = (mode: PiiMode, key: Buffer = KEY) => new PiiProtector(mode, key);

describe('PiiProtector.hash', () => {
  it('returns 32 lower-case hex characters: the first 128 bits of HMAC-SHA256 with the key', () => {
    const h = protector('hash').hash(EMAIL);
    expect(h).toMatch(HEX32);
    expect(h).toBe(hmac(EMAIL));
  });

  it('is deterministic for a key, across instances and repeated calls', () => {
    const a = protector('hash');
    const first = a.hash(US_PHONE);
    expect(a.hash(US_PHONE)).toBe(first);
    expect(protector('redact').hash(US_PHONE)).toBe(first);
  });

  it('differs across keys', () => {
    expect(protector('hash').hash(US_PHONE)).not.toBe(protector('hash', OTHER_KEY).hash(US_PHONE));
  });

  it('differs across values', () => {
    const p = protector('hash');
    expect(p.hash('a@example.com')).not.toBe(p.hash('b@example.com'));
  });
});

describe('PiiProtector.hash, memoized per container', () => {
  it('serves each key its own HMAC, whatever was memoized before, over random values and keys', () => {
    const keys = [KEY, OTHER_KEY, Buffer.from('third-key-for-the-memo-test')];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(keys.length - 1), fc.string({ maxLength: 300 })), { maxLength: 50 }),
        (calls) => {
          for (const [k, value] of calls) {
            const key = keys[k] as Buffer;
            expect(protector('hash', key).hash(value)).toBe(hmac(value, key));
          }
        },
      ),
    );
  });

  it('gives the same hash again once the memo has forgotten the value', () => {
    const p = protector('hash');
    const first = p.hash('forgotten@example.com');
    // More distinct values than the memo holds push the first one out.
    for (let i = 0; i < 20_001; i++) p.hash(`filler-${i}@example.com`);
    expect(p.hash('forgotten@example.com')).toBe(first);
    expect(first).toBe(hmac('forgotten@example.com'));
  });
});

describe('BoundedMemo', () => {
  it('keeps at most its size, dropping the oldest first, and never a key over its length', () => {
    const memo = new BoundedMemo<number>(3, 5);
    for (const [i, k] of ['a', 'b', 'c', 'd'].entries()) memo.set(k, i);
    expect(memo.size).toBe(3);
    expect(memo.has('a')).toBe(false);
    expect([memo.get('b'), memo.get('c'), memo.get('d')]).toEqual([1, 2, 3]);
    memo.set('c', 20); // an update does not evict
    expect(memo.size).toBe(3);
    expect(memo.get('b')).toBe(1);
    memo.set('toolong', 9);
    expect(memo.has('toolong')).toBe(false);
    expect(memo.size).toBe(3);
  });
});

describe('PiiProtector.recipient', () => {
  it('sets recipient_hash and email_domain for an email address in hash mode', () => {
    const rec = record();
    protector('hash').recipient(rec, EMAIL);
    expect(piiFields(rec)).toEqual({ recipient_hash: hmac(EMAIL), email_domain: 'example.com' });
  });

  it('hashes email addresses case-insensitively and lower-cases the domain', () => {
    const p = protector('hash');
    const upper = record();
    const lower = record();
    p.recipient(upper, 'Recipient@Example.COM');
    p.recipient(lower, 'recipient@example.com');
    expect(upper.recipient_hash).toBe(lower.recipient_hash);
    expect(upper.email_domain).toBe('example.com');
  });

  it('hashes an email address with surrounding spaces like the trimmed one', () => {
    const p = protector('hash');
    const padded = record();
    p.recipient(padded, ` ${EMAIL} `);
    expect(padded.recipient_hash).toBe(hmac(EMAIL));
  });

  it.each([
    ['+1 425 555 0199', US_PHONE, 'US'],
    ['+44 7700 900123 (a fictional range: the calling code’s main country)', GB_PHONE, 'GB'],
    ['+49 151 23456789', DE_PHONE, 'DE'],
    ['+33 6 12 34 56 78', '+33612345678', 'FR'],
  ])('sets phone_country for %s', (_label, phone, country) => {
    const rec = record();
    protector('hash').recipient(rec, phone);
    expect(piiFields(rec)).toEqual({ recipient_hash: hmac(phone), phone_country: country });
  });

  it('gives the same country when the same number comes twice', () => {
    const p = protector('hash');
    const a = record();
    const b = record();
    p.recipient(a, GB_PHONE);
    p.recipient(b, GB_PHONE);
    expect(a.phone_country).toBe('GB');
    expect(b.phone_country).toBe('GB');
  });

  it('sets no phone_country for a number without a known calling code', () => {
    const rec = record();
    protector('hash').recipient(rec, '+9991234567');
    expect(rec.phone_country).toBeUndefined();
    expect(rec.recipient_hash).toBe(hmac('+9991234567'));
  });

  it('sets only the hash for a push token', () => {
    const token = 'fGx1c2hUb2tlbjEyMzQ1Njc4OTA';
    const rec = record();
    protector('hash').recipient(rec, token);
    expect(piiFields(rec)).toEqual({ recipient_hash: hmac(token) });
  });

  it('sets only the derived fields in redact mode', () => {
    const p = protector('redact');
    const email = record();
    const phone = record();
    p.recipient(email, EMAIL);
    p.recipient(phone, US_PHONE);
    expect(piiFields(email)).toEqual({ email_domain: 'example.com' });
    expect(piiFields(phone)).toEqual({ phone_country: 'US' });
  });

  it('keeps the raw value and the derived field in keep mode, without a hash', () => {
    const p = protector('keep');
    const email = record();
    const phone = record();
    p.recipient(email, 'Recipient@Example.com');
    p.recipient(phone, DE_PHONE);
    expect(piiFields(email)).toEqual({ recipient: 'Recipient@Example.com', email_domain: 'example.com' });
    expect(piiFields(phone)).toEqual({ recipient: DE_PHONE, phone_country: 'DE' });
  });

  it('leaves the record untouched when there is no recipient', () => {
    const rec = record();
    protector('hash').recipient(rec, undefined);
    expect(rec).toEqual(record());
  });
});

describe('PiiProtector.sender', () => {
  it('sets sender_hash in hash mode, case-insensitively for email addresses', () => {
    const p = protector('hash');
    const rec = record();
    p.sender(rec, 'Sender@Example.com');
    expect(piiFields(rec)).toEqual({ sender_hash: hmac('sender@example.com') });
  });

  it('hashes a sender number like the same number as a recipient', () => {
    const p = protector('hash');
    const rec = record();
    p.sender(rec, US_PHONE);
    p.recipient(rec, US_PHONE);
    expect(rec.sender_hash).toBe(rec.recipient_hash);
  });

  it('sets sender in keep mode and nothing in redact mode', () => {
    const kept = record();
    const redacted = record();
    protector('keep').sender(kept, US_PHONE);
    protector('redact').sender(redacted, US_PHONE);
    expect(piiFields(kept)).toEqual({ sender: US_PHONE });
    expect(piiFields(redacted)).toEqual({});
  });

  it('leaves the record untouched when there is no sender', () => {
    const rec = record();
    protector('keep').sender(rec, undefined);
    expect(rec).toEqual(record());
  });
});

describe('PiiProtector.ip', () => {
  it.each([['192.0.2.10'], ['2001:db8::1']])('sets ip_hash for %s in hash mode', (ip) => {
    const rec = record();
    protector('hash').ip(rec, ip);
    expect(piiFields(rec)).toEqual({ ip_hash: hmac(ip) });
  });

  it('sets ip_address in keep mode and nothing in redact mode', () => {
    const kept = record();
    const redacted = record();
    protector('keep').ip(kept, '192.0.2.10');
    protector('redact').ip(redacted, '192.0.2.10');
    expect(piiFields(kept)).toEqual({ ip_address: '192.0.2.10' });
    expect(piiFields(redacted)).toEqual({});
  });

  it('leaves the record untouched when there is no IP', () => {
    const rec = record();
    protector('hash').ip(rec, undefined);
    expect(rec).toEqual(record());
  });
});

describe('PiiProtector.url', () => {
  it.each([
    ['a query', 'https://example.com/path/page?token=secret&u=1', 'https://example.com/path/page'],
    ['a fragment', 'https://example.com/path#section', 'https://example.com/path'],
    ['a query and a fragment', 'https://example.com/p?a=1#f', 'https://example.com/p'],
    ['a fragment holding a question mark', 'https://example.com/p#a?b', 'https://example.com/p'],
    ['nothing to strip', 'https://example.com/path', 'https://example.com/path'],
  ])('strips %s in hash mode', (_label, url, expected) => {
    expect(protector('hash').url(url)).toBe(expected);
  });

  it('strips the query in redact mode and keeps the URL in keep mode', () => {
    const url = 'https://example.com/unsubscribe?email=recipient%40example.com';
    expect(protector('redact').url(url)).toBe('https://example.com/unsubscribe');
    expect(protector('keep').url(url)).toBe(url);
  });
});

describe('PiiProtector.text', () => {
  it('replaces an email address in a bounce diagnostic with its recipient hash token', () => {
    const p = protector('hash');
    const text = `smtp; 550 5.1.1 <${EMAIL}>: Recipient address rejected`;
    expect(p.text(text)).toBe(`smtp; 550 5.1.1 <hmac:${hmac(EMAIL)}>: Recipient address rejected`);
  });

  it('gives an email address in text the same hash as the recipient, whatever its case', () => {
    const p = protector('hash');
    const rec = record();
    p.recipient(rec, EMAIL);
    expect(p.text('to Recipient@EXAMPLE.com failed')).toBe(`to hmac:${rec.recipient_hash} failed`);
  });

  it('replaces phone numbers and IPv4 addresses', () => {
    const p = protector('hash');
    expect(p.text(`sent to ${US_PHONE} from 192.0.2.10.`)).toBe(
      `sent to hmac:${hmac(US_PHONE)} from hmac:${hmac('192.0.2.10')}.`,
    );
  });

  it('replaces every occurrence', () => {
    const out = protector('redact').text('a@example.com, b@example.org and +14255550199, +447700900123');
    expect(out).toBe('[email], [email] and [phone], [phone]');
  });

  it('uses kind placeholders in redact mode', () => {
    expect(protector('redact').text(`${EMAIL}, ${US_PHONE}, 10.0.0.1`)).toBe('[email], [phone], [ip]');
  });

  it('takes a number and an IP address joined by a space as one span, of the IP kind', () => {
    expect(protector('redact').text(`${US_PHONE} 10.0.0.1`)).toBe('[ip]');
  });

  it('keeps text without personal data, including SMTP status codes and invalid IPv4-like numbers', () => {
    const p = protector('hash');
    const text = 'smtp; 550 5.7.1 rejected by 999.1.2.3 (code 4.4.7) at 12:30';
    expect(p.text(text)).toBe(text);
  });

  it('replaces only the address when it sits in a URL path', () => {
    expect(protector('redact').text(`see https://example.com/u/${EMAIL}/prefs`)).toBe(
      'see https://example.com/u/[email]/prefs',
    );
  });

  it('returns the text unchanged in keep mode', () => {
    const text = `to ${EMAIL} from 192.0.2.10`;
    expect(protector('keep').text(text)).toBe(text);
  });
});

describe('PiiProtector.attributes', () => {
  it.each([
    ['destination_phone_number', US_PHONE],
    ['origination_phone_number', '+18005550100'],
    ['customer_context', '{"userId":"u-123","plan":"gold"}'],
    ['address', 'some opaque address'],
    ['email', EMAIL],
    ['cognito_id', 'us-east-1:6e1a3f0e-0000-4000-8000-000000000000'],
  ])('replaces the known PII key %s whatever its value looks like', (key, value) => {
    const attrs = { [key]: value, campaign_id: 'c1' };
    const out = protector('hash').attributes(attrs);
    expect(out).toEqual({ [key]: `hmac:${hmac(value)}`, campaign_id: 'c1' });
  });

  it('matches known PII keys case-insensitively', () => {
    const out = protector('redact').attributes({ Destination_Phone_Number: 'x', Email: 'y' });
    expect(out).toEqual({ Destination_Phone_Number: '[value]', Email: '[value]' });
  });

  it.each([
    ['an email address', EMAIL, `hmac:${hmac(EMAIL)}`],
    ['an E.164 phone number', US_PHONE, `hmac:${hmac(US_PHONE)}`],
    ['an IPv4 address', '192.0.2.10', `hmac:${hmac('192.0.2.10')}`],
    ['an IPv6 address', '2001:db8::1', `hmac:${hmac('2001:db8::1')}`],
    ['an IPv4-mapped IPv6 address', '::ffff:192.0.2.10', `hmac:${hmac('::ffff:192.0.2.10')}`],
  ])('replaces a value that is %s under any key', (_label, value, expected) => {
    expect(protector('hash').attributes({ custom: value })).toEqual({ custom: expected });
  });

  it('replaces values with kind placeholders in redact mode', () => {
    const out = protector('redact').attributes({
      destination_phone_number: US_PHONE,
      who: EMAIL,
      ip6: '2001:db8::1',
      note: `reply to ${EMAIL}`,
    });
    expect(out).toEqual({
      destination_phone_number: '[value]',
      who: '[email]',
      ip6: '[ip]',
      note: 'reply to [email]',
    });
  });

  it('replaces an email address inside a free-text value', () => {
    const out = protector('hash').attributes({
      journey_send_status_message: `Address ${EMAIL} is suppressed`,
    });
    expect(out).toEqual({ journey_send_status_message: `Address hmac:${hmac(EMAIL)} is suppressed` });
  });

  it('replaces a phone number inside a free-text value', () => {
    const out = protector('redact').attributes({ status_message: `Number ${GB_PHONE} is opted out` });
    expect(out).toEqual({ status_message: 'Number [phone] is opted out' });
  });

  it('replaces an IPv4 address inside a free-text value', () => {
    const out = protector('redact').attributes({ status_message: 'Connection from 192.0.2.10 refused' });
    expect(out).toEqual({ status_message: 'Connection from [ip] refused' });
  });

  it('strips the query string and fragment of a URL value', () => {
    const out = protector('hash').attributes({ feedback: 'https://example.com/offer?utm=1&token=abc#top' });
    expect(out).toEqual({ feedback: 'https://example.com/offer' });
  });

  it('strips the query of a URL value that also carries an email address', () => {
    const out = protector('redact').attributes({
      feedback: `https://example.com/unsubscribe?token=secret-token&email=${EMAIL}`,
    });
    expect(out).toEqual({ feedback: 'https://example.com/unsubscribe' });
  });

  it('replaces an email address in the path of a URL value', () => {
    const out = protector('redact').attributes({ feedback: `https://example.com/u/${EMAIL}/prefs?x=1` });
    expect(out).toEqual({ feedback: 'https://example.com/u/[email]/prefs' });
  });

  it('returns the same object when nothing needs changing', () => {
    const attrs = {
      campaign_id: 'c1',
      number_of_message_parts: '1',
      message_type: 'Transactional',
      iso_country_code: 'US',
      app_version: '1.2.3',
      feedback: 'https://example.com/path',
      empty: '',
      price: '+5',
    };
    const p = protector('hash');
    expect(p.attributes(attrs)).toBe(attrs);
    expect(protector('redact').attributes(attrs)).toBe(attrs);
  });

  it('keeps an empty value under a known PII key', () => {
    const attrs = { destination_phone_number: '' };
    expect(protector('hash').attributes(attrs)).toBe(attrs);
  });

  it('returns a copy and never mutates its input', () => {
    const attrs = { destination_phone_number: US_PHONE, campaign_id: 'c1', who: EMAIL };
    const snapshot = structuredClone(attrs);
    const out = protector('hash').attributes(attrs);
    expect(out).not.toBe(attrs);
    expect(attrs).toEqual(snapshot);
    expect(out.campaign_id).toBe('c1');
    expect(out.destination_phone_number).toMatch(TOKEN);
    expect(out.who).toMatch(TOKEN);
  });

  it('returns the input as is in keep mode', () => {
    const attrs = { destination_phone_number: US_PHONE, feedback: 'https://example.com/?token=abc' };
    expect(protector('keep').attributes(attrs)).toBe(attrs);
    expect(attrs.destination_phone_number).toBe(US_PHONE);
  });

  it('gives an attribute phone number the same hash as the recipient', () => {
    const p = protector('hash');
    const rec = record();
    p.recipient(rec, US_PHONE);
    expect(p.attributes({ destination_phone_number: US_PHONE }).destination_phone_number).toBe(
      `hmac:${rec.recipient_hash}`,
    );
  });
});

describe('PiiProtector.url with an address in the path', () => {
  it('replaces the address in the path as well as cutting the query', () => {
    const out = new PiiProtector('hash', KEY).url(`https://example.com/unsubscribe/${EMAIL}/prefs?t=secret`);
    expect(out).not.toContain(EMAIL);
    expect(out).not.toContain('secret');
    expect(out).toMatch(/^https:\/\/example\.com\/unsubscribe\/hmac:[0-9a-f]{32}\/prefs$/);
    expect(new PiiProtector('redact', KEY).url(`https://example.com/u/${EMAIL}`)).toBe(
      'https://example.com/u/[email]',
    );
  });
});

describe('PiiProtector.identifier', () => {
  it.each([
    ['a UUID', '6e1a3f0e-0000-4000-8000-000000000000'],
    ['the nil UUID', '00000000-0000-0000-0000-000000000000'],
    ['an upper-case UUID', 'B7A3E2C1-4D5F-4A6B-9C8D-7E6F5A4B3C2D'],
    ['an SES message id', '010001791f1a6a8b-bcf2fb77-ab22-4f9e-8d6c-3d9bd50ee3bb-000000'],
    ['a 32-hex Pinpoint id', 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6'],
    ['an Amplify session id', 'b7a3e2c1-20251120-014025012'],
    ['an id with an ISO timestamp', 'run-2024-01-01T10:00:00.000Z'],
    ['an id with a compact ISO timestamp', 'export_20240101T000000Z'],
    ['an id with a date', 'export-2024-01-01'],
    ['a version', '1.2.3'],
    ['an SDK version pair', '0.9.1:2.4.8'],
    ['an event type', '_email.hardbounce'],
    ['an SMS event type', '_SMS.SUCCESS'],
    ['a status', 'FAILURE_PERMANENT'],
    ['a device model', 'iPhone15,2'],
    ['a Samsung model', 'SM-S921B'],
    ['a locale', 'en_US'],
    ['a Cognito id', 'us-east-1:6e1a3f0e-0000-4000-8000-000000000000'],
    ['an order id', 'ORD-60117'],
    ['a short custom id', 'user-123'],
  ])('keeps %s unchanged', (_label, value) => {
    for (const mode of ['hash', 'redact'] as const) expect(protector(mode).identifier(value)).toBe(value);
  });

  it.each([
    ['an email address inside', 'lead jane@example.com', 'lead jane@example.com'],
    ['a national phone number inside', 'sms-(415) 555-0102', 'sms-(415) 555-0102'],
    ['an IPv6 address inside', 'host fe80::1%eth0', 'host fe80::1%eth0'],
  ])('replaces a value with %s by the hash of the whole value', (_label, value, hashed) => {
    expect(protector('hash').identifier(value)).toBe(`hmac:${hmac(hashed)}`);
    expect(protector('redact').identifier(value)).toBe('[value]');
    expect(protector('keep').identifier(value)).toBe(value);
  });

  it('gives a value that is one address or number the token it gets everywhere else', () => {
    const p = protector('hash');
    expect(p.identifier(' Jane@Example.com ')).toBe(`hmac:${hmac('jane@example.com')}`);
    expect(p.identifier('+1 (425) 555-0199')).toBe(`hmac:${hmac(US_PHONE)}`);
    expect(protector('redact').identifier('+1 (425) 555-0199')).toBe('[phone]');
  });
});

describe('PiiProtector.text: formats', () => {
  it.each([
    ['(415) 555-0102'],
    ['+1 415 555 0104'],
    ['07700 900106'],
    ['14155550105'],
    ['+49 (0)151 2345 6789'],
    ['415.555.0100'],
    ['tel:+14155550101'],
    ['2001:db8::1'],
    ['fe80::1%eth0'],
    ['[2001:db8::1]:8443'],
    ['ü@bücher.de'],
    ['user@localhost'],
    ['user%40example.com'],
  ])('leaves no digit or address of %s in a message', (value) => {
    const out = protector('redact').text(`Failed for ${value}, retry`);
    expect(out).not.toContain(value.replace(/^\[|\]:\d+$/g, ''));
    const digits = value.replace(/\D/g, '');
    if (digits.length >= 7) expect(out.replace(/\D/g, '')).not.toContain(digits.slice(0, 7));
    expect(out).toMatch(/^Failed for .*\[(phone|email|ip)\].*, retry$/);
  });

  it('hashes a number in a message like the recipient written in E.164', () => {
    const p = protector('hash');
    expect(p.text('Number +1 (425) 555-0199 is opted out')).toBe(
      `Number hmac:${hmac(US_PHONE)} is opted out`,
    );
  });

  it('hashes the first 1,000 spans of one value and marks the rest', () => {
    const text = Array.from({ length: 1002 }, (_, i) => `u${i}@x.io`).join(' ');
    const out = protector('hash').text(text).split(' ');
    expect(out).toHaveLength(1002);
    expect(out.slice(0, 1000).every((t) => TOKEN.test(t))).toBe(true);
    expect(out.slice(1000)).toEqual(['[email]', '[email]']);
  });
});

describe('PiiProtector.url: paths', () => {
  it('replaces numbers, encoded addresses and IP hosts in what is kept', () => {
    const p = protector('redact');
    expect(p.url('https://example.com/u/4155550100/prefs?x=1')).toBe('https://example.com/u/[phone]/prefs');
    expect(p.url('https://example.com/u/jane%40example.com')).toBe('https://example.com/u/[email]');
    expect(p.url('https://example.com/u/%2B14155550100')).toBe('https://example.com/u/[phone]');
    expect(p.url('http://192.0.2.10/open')).toBe('http://[ip]/open');
    expect(p.url('http://[2001:db8::1]:8080/open')).toBe('http://[[ip]]:8080/open');
  });
});

describe('PiiProtector.attributes: keys', () => {
  it('replaces a key that holds personal data, and protects its value as usual', () => {
    const out = protector('hash').attributes({
      campaign_id: 'c1',
      [EMAIL]: 'opted_in',
      [US_PHONE]: GB_PHONE,
    });
    expect(out).toEqual({
      campaign_id: 'c1',
      [`hmac:${hmac(EMAIL)}`]: 'opted_in',
      [`hmac:${hmac(US_PHONE)}`]: `hmac:${hmac(GB_PHONE)}`,
    });
    expect(Object.keys(out)).toEqual(['campaign_id', `hmac:${hmac(EMAIL)}`, `hmac:${hmac(US_PHONE)}`]);
  });

  it('numbers the keys it redacts so that no value is lost', () => {
    const out = protector('redact').attributes({
      'a 4155550100': '1',
      'b 4155550101': '2',
      'c 4155550102': '3',
    });
    expect(out).toEqual({ '[key]': '1', '[key]#2': '2', '[key]#3': '3' });
  });

  it('keeps a __proto__ key as a plain key', () => {
    const attrs = JSON.parse(`{"__proto__": "x", "${EMAIL}": "y"}`) as Record<string, string>;
    const out = protector('redact').attributes(attrs);
    expect(Object.keys(out)).toEqual(['__proto__', '[email]']);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it('checks known PII keys against the original key', () => {
    expect(protector('redact').attributes({ Email: 'jane' })).toEqual({ Email: '[value]' });
  });
});

describe('PiiProtector.metrics', () => {
  it('replaces keys that hold personal data and keeps the numbers', () => {
    const metrics = { score: 3, [`visits ${US_PHONE}`]: 2 };
    expect(protector('hash').metrics(metrics)).toEqual({
      score: 3,
      [`hmac:${hmac(`visits ${US_PHONE}`)}`]: 2,
    });
    expect(protector('redact').metrics(metrics)).toEqual({ score: 3, '[key]': 2 });
    expect(protector('keep').metrics(metrics)).toBe(metrics);
  });

  it('returns the same map when no key needs changing', () => {
    const metrics = { price_in_millicents_usd: 645, 'level.2': 1 };
    expect(protector('hash').metrics(metrics)).toBe(metrics);
  });
});

describe('PiiProtector.userAgent', () => {
  const UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148';

  it('writes the hash and the class in hash mode, the class in redact mode, the raw value in keep mode', () => {
    const hashed = record();
    const redacted = record();
    const kept = record();
    protector('hash').userAgent(hashed, UA);
    protector('redact').userAgent(redacted, UA);
    protector('keep').userAgent(kept, UA);
    expect(piiFields(hashed)).toEqual({ user_agent_class: 'mobile', user_agent_hash: hmac(UA) });
    expect(piiFields(redacted)).toEqual({ user_agent_class: 'mobile' });
    expect(piiFields(kept)).toEqual({ user_agent: UA, user_agent_class: 'mobile' });
  });

  it('leaves the record untouched when there is no user agent', () => {
    const rec = record();
    protector('hash').userAgent(rec, undefined);
    expect(rec).toEqual(record());
  });
});

describe('PiiProtector.record', () => {
  const full = (): NormalizedRecord =>
    normalizedRecord({
      event_id: '0123456789abcdef0123456789abcdef',
      event_type: `signup ${EMAIL}`,
      account_id: '123456789012',
      endpoint_id: '(415) 555-0102',
      session_id: 'b7a3e2c1-20251120-014025012',
      message_id: '010001791f1a6a8b-bcf2fb77-ab22-4f9e-8d6c-3d9bd50ee3bb-000000',
      device_model: `Pixel of ${GB_PHONE}`,
      app_version: '1.2.3',
      status_message: `Number ${US_PHONE} is opted out`,
      reject_reason: 'from 192.0.2.10',
      link: `https://example.com/u/${EMAIL}?t=secret`,
      email_domain: '[10.0.0.1]',
      app_name: 'Example +1 415 555 0100 app',
      tags: ['vip'],
      attributes: { [EMAIL]: 'x', note: `call ${US_PHONE}` },
      metrics: { [US_PHONE]: 1 },
    });

  it('protects each field by its policy in hash mode', () => {
    const rec = full();
    protector('hash').record(rec);
    expect(rec).toMatchObject({
      event_id: '0123456789abcdef0123456789abcdef',
      event_type: `hmac:${hmac(`signup ${EMAIL}`)}`,
      account_id: '123456789012',
      endpoint_id: `hmac:${hmac('4155550102')}`,
      session_id: 'b7a3e2c1-20251120-014025012',
      message_id: '010001791f1a6a8b-bcf2fb77-ab22-4f9e-8d6c-3d9bd50ee3bb-000000',
      device_model: `hmac:${hmac(`Pixel of ${GB_PHONE}`)}`,
      app_version: '1.2.3',
      status_message: `Number hmac:${hmac(US_PHONE)} is opted out`,
      reject_reason: `from hmac:${hmac('192.0.2.10')}`,
      link: `https://example.com/u/hmac:${hmac(EMAIL)}`,
      email_domain: `hmac:${hmac('[10.0.0.1]')}`,
      // Configuration, not event data.
      app_name: 'Example +1 415 555 0100 app',
      tags: ['vip'],
      attributes: { [`hmac:${hmac(EMAIL)}`]: 'x', note: `call hmac:${hmac(US_PHONE)}` },
      metrics: { [`hmac:${hmac(US_PHONE)}`]: 1 },
    });
  });

  it('writes redaction markers in redact mode', () => {
    const rec = full();
    protector('redact').record(rec);
    expect(rec).toMatchObject({
      event_type: '[value]',
      endpoint_id: '[phone]',
      device_model: '[value]',
      status_message: 'Number [phone] is opted out',
      link: 'https://example.com/u/[email]',
      attributes: { '[email]': 'x', note: 'call [phone]' },
    });
  });

  it('keeps identifiers AWS or the sender mints as received, in every mode, whatever they look like', () => {
    const minted = {
      source_event_id: '1111-2222-3333',
      app_id: US_PHONE,
      configuration_set: `ops ${EMAIL}`,
      campaign_id: '(415) 555-0102',
      campaign_activity_id: '192.0.2.10',
      treatment_id: '0',
      journey_id: '2001:db8::1',
      journey_run_id: '4155550100',
      journey_activity_id: GB_PHONE,
      message_id: '1111-2222-3333',
      rcs_business_id: '4155550100_agent',
      conversation_id: '177930985040408106521449',
      registration_id: `registration-${DE_PHONE}`,
    };
    for (const mode of ['hash', 'redact'] as const) {
      const rec = normalizedRecord(minted);
      protector(mode).record(rec);
      expect(rec).toMatchObject(minted);
    }
  });

  it('scans the identifiers a user chooses: a phone number in user_id or endpoint_id is hashed', () => {
    const rec = normalizedRecord({
      user_id: '(415) 555-0102',
      endpoint_id: `user ${US_PHONE}`,
      message_id: US_PHONE,
    });
    protector('hash').record(rec);
    expect(rec).toMatchObject({
      user_id: `hmac:${hmac('4155550102')}`,
      endpoint_id: `hmac:${hmac(`user ${US_PHONE}`)}`,
      message_id: US_PHONE,
    });
  });

  it('treats an account id that is not 12 digits as an identifier', () => {
    const rec = normalizedRecord({ account_id: EMAIL });
    protector('redact').record(rec);
    expect(rec.account_id).toBe('[email]');
  });

  it('changes nothing in keep mode', () => {
    const rec = full();
    protector('keep').record(rec);
    expect(rec).toEqual(full());
  });

  it('leaves its own tokens as they are when run again', () => {
    const once = full();
    protector('hash').record(once);
    const twice = structuredClone(once);
    protector('hash').record(twice);
    expect(twice).toEqual(once);
  });
});

describe('PiiProtector.normalizedRecord', () => {
  it('brings a record written in keep mode to the hash-mode shape', () => {
    const rec = normalizedRecord({
      recipient: EMAIL,
      sender: US_PHONE,
      ip_address: '192.0.2.10',
      user_agent: 'curl/8.0',
      email_domain: 'example.com',
      status_message: `to ${EMAIL}`,
    });
    protector('hash').normalizedRecord(rec);
    expect(piiFields(rec)).toEqual({
      recipient_hash: hmac(EMAIL),
      sender_hash: hmac(US_PHONE),
      ip_hash: hmac('192.0.2.10'),
      user_agent_hash: hmac('curl/8.0'),
      user_agent_class: 'bot',
      email_domain: 'example.com',
      status_message: `to hmac:${hmac(EMAIL)}`,
    });
  });

  it('drops the raw personal fields in redact mode', () => {
    const rec = normalizedRecord({ recipient: EMAIL, ip_address: '192.0.2.10' });
    protector('redact').normalizedRecord(rec);
    expect(piiFields(rec)).toEqual({});
  });
});
