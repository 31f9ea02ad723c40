/**
 * The mailbox provider of an email record, for the analytics rows (docs/analytics.md §2): what SES's Virtual
 * Deliverability Manager groups by. A fixed table of **consumer** mail domains, each run by a provider millions
 * of people share; every other domain — a company's, a school's, a small provider's — is `other`, so no row ever
 * names the organisation a recipient works for. Pure.
 */

/** The providers a row may name, and `other`. Closed: nothing else reaches an analytics row. */
export const MAILBOX_PROVIDERS = [
  'gmail',
  'microsoft',
  'yahoo',
  'apple',
  'aol',
  'proton',
  'gmx',
  'yandex',
  'mail_ru',
  'qq',
  'netease',
  'comcast',
  'zoho',
  'fastmail',
  'other',
] as const;
export type MailboxProvider = (typeof MAILBOX_PROVIDERS)[number];

/**
 * Consumer domains by provider: the addresses people sign up with, as the providers publish them (their own
 * sign-up domains and the national ones they still serve). A domain a provider hosts for a business (Google
 * Workspace, Microsoft 365, Zoho Mail for a company) is the business's domain, and stays `other`.
 */
const DOMAINS: Readonly<Record<Exclude<MailboxProvider, 'other'>, readonly string[]>> = {
  gmail: ['gmail.com', 'googlemail.com'],
  microsoft: [
    'outlook.com',
    'hotmail.com',
    'live.com',
    'msn.com',
    'passport.com',
    'outlook.fr',
    'outlook.de',
    'outlook.es',
    'outlook.it',
    'outlook.jp',
    'outlook.com.br',
    'hotmail.co.uk',
    'hotmail.fr',
    'hotmail.de',
    'hotmail.es',
    'hotmail.it',
    'hotmail.be',
    'hotmail.nl',
    'hotmail.ca',
    'hotmail.com.au',
    'hotmail.com.br',
    'hotmail.co.jp',
    'live.co.uk',
    'live.fr',
    'live.de',
    'live.it',
    'live.nl',
    'live.ca',
    'live.com.au',
    'live.com.mx',
    'windowslive.com',
  ],
  yahoo: [
    'yahoo.com',
    'ymail.com',
    'rocketmail.com',
    'yahoo.co.uk',
    'yahoo.fr',
    'yahoo.de',
    'yahoo.es',
    'yahoo.it',
    'yahoo.ca',
    'yahoo.com.au',
    'yahoo.com.br',
    'yahoo.com.mx',
    'yahoo.co.in',
    'yahoo.in',
    'yahoo.com.ar',
    'yahoo.com.sg',
    'yahoo.com.ph',
  ],
  apple: ['icloud.com', 'me.com', 'mac.com'],
  aol: ['aol.com', 'aim.com', 'aol.co.uk', 'aol.fr', 'aol.de'],
  proton: ['proton.me', 'protonmail.com', 'protonmail.ch', 'pm.me'],
  gmx: ['gmx.de', 'gmx.net', 'gmx.com', 'gmx.at', 'gmx.ch', 'gmx.fr', 'gmx.co.uk'],
  yandex: ['yandex.ru', 'yandex.com', 'yandex.by', 'yandex.kz', 'yandex.ua', 'ya.ru'],
  mail_ru: ['mail.ru', 'bk.ru', 'inbox.ru', 'list.ru', 'internet.ru'],
  qq: ['qq.com', 'foxmail.com', 'vip.qq.com'],
  netease: ['163.com', '126.com', 'yeah.net', 'vip.163.com', 'vip.126.com', '188.com'],
  comcast: ['comcast.net'],
  zoho: ['zoho.com', 'zohomail.com'],
  fastmail: ['fastmail.com', 'fastmail.fm'],
};

/** Domain → provider: a Map, so that a domain named `constructor` or `__proto__` finds nothing. */
const BY_DOMAIN: ReadonlyMap<string, MailboxProvider> = new Map(
  (Object.entries(DOMAINS) as Array<[MailboxProvider, readonly string[]]>).flatMap(([provider, domains]) =>
    domains.map((domain) => [domain, provider] as const),
  ),
);

/** The longest domain of the table: anything longer is `other` without a lookup. */
const LONGEST = Math.max(...[...BY_DOMAIN.keys()].map((d) => d.length));

/**
 * The provider of an email domain (the record's `email_domain`, lowercased by the normalizer): one of the table's
 * providers, or `other` — for a business domain, an unknown one, a protected value (`hmac:…`) or anything else.
 * Case and one trailing dot (`Gmail.COM.`) do not matter. Constant time whatever the input's length.
 */
export function mailboxProvider(domain: string): MailboxProvider {
  if (domain.length === 0 || domain.length > LONGEST + 1) return 'other';
  const d = (domain.endsWith('.') ? domain.slice(0, -1) : domain).toLowerCase();
  return BY_DOMAIN.get(d) ?? 'other';
}

/** Every domain of the table (for the documentation and its test). */
export function mailboxProviderDomains(): ReadonlyMap<string, MailboxProvider> {
  return BY_DOMAIN;
}
