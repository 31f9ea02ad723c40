import { canonicalSpan, KIND_NAMES, type PiiKind, scanText } from '../../src/pii/scanText';

/** The spans found in `s`, as `kind:text`. */
function found(s: string): string[] {
  const spans = scanText(s);
  const out: string[] = [];
  for (let i = 0; i < spans.length; i++) {
    out.push(`${KIND_NAMES[spans.kind(i)]}:${s.slice(spans.start(i), spans.end(i))}`);
  }
  return out;
}

const one = (kind: PiiKind, text: string) => [`${kind}:${text}`];

describe('scanText: phone numbers', () => {
  it.each([
    ['(415) 555-0102'],
    ['+1 415 555 0104'],
    ['07700 900106'],
    ['14155550105'],
    ['+44 7700 900123'],
    ['+49 (0)151 2345 6789'],
    ['415.555.0100'],
    ['+33 6 12 34 56 78'],
    ['0151/2345 6789'],
    ['555-0100'],
    ['+1\u00a0415\u00a0555\u00a00100'],
    ['+1 415–555–0100'],
    ['٠١٥١٢٣٤٥٦٧٨'],
    ['０９０１２３４５６７８'],
  ])('finds %s', (phone) => {
    expect(found(phone)).toEqual(one('phone', phone));
    expect(found(`call ${phone} now`)).toEqual(one('phone', phone));
  });

  it.each([
    ['tel:+14155550101', '+14155550101'],
    ['sms to +14155550101, thanks', '+14155550101'],
    ['ORD-4155550100', '4155550100'],
    ['user_4155550100', '4155550100'],
    ['電話番号は09012345678です', '09012345678'],
    ['https://example.com/u/4155550100/prefs', '4155550100'],
    ['on 2024-01-01 4155550100', '4155550100'],
    ['call %2B1%20415%20555%200100 now', '%2B1%20415%20555%200100'],
    ['n=%252B14155550100', '%252B14155550100'],
  ])('finds the number in %s', (text, phone) => {
    expect(found(text)).toEqual(one('phone', phone));
  });

  it('takes the digits of a number glued to a word up to the glued group', () => {
    expect(found('Call415-555-0100')).toEqual(one('phone', '555-0100'));
  });

  it.each([
    ['a digit group glued to letters on both sides', 'd9443c01a7336-21f4b8e5c07si66123401ad.412'],
    ['digits glued to a letter after them', '4155550100abc'],
    ['digits glued to a letter before them', 'ORD12345678'],
    ['six digits', 'ORD-601170'],
    ['an SMTP status line', 'smtp; 550 5.1.1 mailbox unavailable (code 4.4.7) at 12:30'],
    ['a date', 'export-2024-01-01'],
    ['a European date', 'on 31.12.2024'],
    ['a US date', 'on 12/31/2024'],
    ['an ISO timestamp', 'run-2024-01-01T10:00:00.000Z'],
    ['a compact ISO timestamp', 'batch 20240101T000000Z'],
    ['a version string', 'SDK 1.2.3 build 4.5.6'],
    ['a UUID with digit-only groups', '6e1a3f0e-0000-4000-8000-000000000000'],
    ['the nil UUID', '00000000-0000-0000-0000-000000000000'],
    ['an SES message id', '010001791f1a6a8b-bcf2fb77-ab22-4f9e-8d6c-3d9bd50ee3bb-000000'],
    ['a 32-hex Pinpoint id', 'f0e1d2c3b4a5968778695a4b3c2d1e0f'],
    ['an Amplify session id', 'b7a3e2c1-20251120-014025012'],
    ['a device model', 'iPhone15,2'],
  ])('finds nothing in %s', (_label, text) => {
    expect(found(text)).toEqual([]);
  });
});

describe('scanText: email addresses', () => {
  it.each([
    ['jane@example.com', 'jane@example.com'],
    ['Jane <j@x.com>', 'j@x.com'],
    ['ü@bücher.de', 'ü@bücher.de'],
    ['to user@例え.テスト ok', 'user@例え.テスト'],
    ['user@localhost', 'user@localhost'],
    ['user@[10.0.0.1]', 'user@[10.0.0.1]'],
    ['"jane doe"@example.com', '"jane doe"@example.com'],
    ['first.last+tag@sub.example.co.uk.', 'first.last+tag@sub.example.co.uk'],
    ['mailto:jane@example.com', 'jane@example.com'],
    ['?u=ava.reader%40example.com&sig=1', 'ava.reader%40example.com'],
    ['u=ava%2540example.com', 'ava%2540example.com'],
    ['jane＠example.com', 'jane＠example.com'],
    ['smtp; 550 5.1.1 <old.address@example.net>: rejected', 'old.address@example.net'],
  ])('finds the address in %s', (text, email) => {
    expect(found(text)).toEqual(one('email', email));
  });

  it('takes addresses one character apart as one span', () => {
    expect(found('a@a@a@a')).toEqual(['email:a@a@a@a']);
    expect(found('a@x.io,b@y.io')).toEqual(['email:a@x.io,b@y.io']);
    expect(found('a@x.io, b@y.io')).toEqual(['email:a@x.io', 'email:b@y.io']);
  });

  it.each([['@handle'], ['user@'], ['https://medium.com/@user/post'], ['_email.hardbounce']])(
    'finds nothing in %s',
    (text) => {
      expect(found(text)).toEqual([]);
    },
  );
});

describe('scanText: IP addresses', () => {
  it.each([
    ['192.0.2.10', '192.0.2.10'],
    ['from 192.0.2.10.', '192.0.2.10'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', '2001:0db8:0000:0000:0000:ff00:0042:8329'],
    ['link-local fe80::1%eth0 here', 'fe80::1%eth0'],
    ['http://[fe80::1%25eth0]/', 'fe80::1%25eth0'],
    ['[2001:db8::1]:8080', '2001:db8::1'],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['from:2001:db8::1', '2001:db8::1'],
    ['2001%3Adb8%3A%3A1', '2001%3Adb8%3A%3A1'],
    ['10%2E0%2E0%2E1', '10%2E0%2E0%2E1'],
  ])('finds the address in %s', (text, ip) => {
    expect(found(text)).toEqual(one('ip', ip));
  });

  it.each([
    ['a version', '1.2.3'],
    ['an out-of-range quad', '999.1.2.3'],
    ['a time', 'at 10:00:00'],
    ['a C++ name', 'std::string'],
    ['an SDK version pair', '0.9.1:2.4.8'],
    ['an ARN', 'arn:aws:sns:us-east-1:123456789012'.replace('123456789012', 'acct')],
  ])('finds nothing in %s', (_label, text) => {
    expect(found(text)).toEqual([]);
  });
});

describe('scanText: merging', () => {
  it('returns spans in order, several kinds in one text', () => {
    expect(found('jane@example.com called +14155550100 from 192.0.2.1')).toEqual([
      'email:jane@example.com',
      'phone:+14155550100',
      'ip:192.0.2.1',
    ]);
  });

  it('takes overlapping spans as one, of the first kind in email, ip, phone', () => {
    expect(found('4155550100@example.com')).toEqual(one('email', '4155550100@example.com'));
    expect(found('192.168.100.200')).toEqual(one('ip', '192.168.100.200'));
  });
});

describe('canonicalSpan', () => {
  const canonical = (text: string) => {
    const spans = scanText(text);
    return canonicalSpan(text, spans.start(0), spans.end(0), spans.kind(0));
  };

  it('reduces a phone number to its digits and leading plus', () => {
    expect(canonical('+1 (415) 555-0100')).toBe('+14155550100');
    expect(canonical('%2B1%20415%20555%200100')).toBe('+14155550100');
    expect(canonical('٠١٥١٢٣٤٥٦٧٨')).toBe('01512345678');
  });

  it('decodes and lower-cases an email address', () => {
    expect(canonical('Ava.Reader%40Example.com')).toBe('ava.reader@example.com');
    expect(canonical('u@b%C3%BCcher.de')).toBe('u@bücher.de');
  });
});
