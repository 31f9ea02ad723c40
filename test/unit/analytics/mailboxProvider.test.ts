import {
  MAILBOX_PROVIDERS,
  mailboxProvider,
  mailboxProviderDomains,
} from '../../../src/analytics/mailboxProvider';

describe('mailboxProvider', () => {
  it.each([
    ['gmail.com', 'gmail'],
    ['GoogleMail.com', 'gmail'],
    ['outlook.com', 'microsoft'],
    ['hotmail.co.uk', 'microsoft'],
    ['live.com', 'microsoft'],
    ['yahoo.com', 'yahoo'],
    ['icloud.com', 'apple'],
    ['me.com', 'apple'],
    ['aol.com', 'aol'],
    ['proton.me', 'proton'],
    ['gmx.de', 'gmx'],
    ['yandex.ru', 'yandex'],
    ['mail.ru', 'mail_ru'],
    ['qq.com', 'qq'],
    ['163.com', 'netease'],
    ['comcast.net', 'comcast'],
    ['zoho.com', 'zoho'],
    ['fastmail.com', 'fastmail'],
    ['gmail.com.', 'gmail'],
  ])('%s is %s', (domain, provider) => {
    expect(mailboxProvider(domain)).toBe(provider);
  });

  it.each([
    // A business's own domain, even one hosted by a consumer provider: never named.
    'small-bakery.example',
    'amazon.com',
    'mail.google.com',
    'gmail.com.evil.example',
    'notgmail.com',
    // Protected values and junk.
    'hmac:0123456789abcdef0123456789abcdef',
    '[email]',
    '',
    'constructor',
    '__proto__',
    'x'.repeat(1_000_000),
  ])('everything else is other: %s', (domain) => {
    expect(mailboxProvider(domain)).toBe('other');
  });

  it('names only the providers of the contract (docs/analytics.md), and each has a domain', () => {
    const named = new Set(mailboxProviderDomains().values());
    expect([...named, 'other'].sort()).toEqual([...MAILBOX_PROVIDERS].sort());
    for (const domain of mailboxProviderDomains().keys()) expect(domain).toBe(domain.toLowerCase());
  });
});
