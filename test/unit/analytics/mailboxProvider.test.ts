import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

  it('is the table of docs/analytics.md §8: its providers, and every domain it names', () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'analytics.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## 8. Mailbox providers'), doc.indexOf('## 9.'));
    const rows = [...section.matchAll(/^\| `([a-z_]+)` \| (.+) \|$/gm)].map((m) => [m[1], m[2]] as const);
    expect(rows.map(([p]) => p).sort()).toEqual(MAILBOX_PROVIDERS.filter((p) => p !== 'other').sort());
    let named = 0;
    for (const [provider, domains] of rows) {
      for (const domain of (domains as string).split(/,\s*/)) {
        if (!/^[a-z0-9.-]+\.[a-z]+$/.test(domain)) continue;
        expect({ domain, provider: mailboxProvider(domain) }).toEqual({ domain, provider });
        named++;
      }
    }
    expect(named).toBeGreaterThan(40);
    // And the contract's list of §2.
    const listed = /`mailbox_provider` \| string \| [^|]*?: (`[a-z_]+`(?:, `[a-z_]+`)*) — /.exec(doc)?.[1];
    expect(listed?.replace(/`/g, '').split(', ').sort()).toEqual(
      MAILBOX_PROVIDERS.filter((p) => p !== 'other').sort(),
    );
  });
});
