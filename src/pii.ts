import { isIP } from 'node:net';
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import metadata from 'libphonenumber-js/min/metadata';
import { createHmacHex } from './hmac';
import type { NormalizedRecord } from './schema';

/** `hash` (default): keyed hashes + harmless derived fields; `redact`: derived fields only; `keep`: raw values. */
export type PiiMode = 'hash' | 'redact' | 'keep';

/** Attribute keys whose values are personal data whatever they look like. */
const PII_ATTRIBUTE_KEYS = new Set([
  'destination_phone_number',
  'origination_phone_number',
  'customer_context',
  'address',
  'email',
  'email_address',
  'phone',
  'phone_number',
  'ip',
  'ip_address',
  'cognito_id',
]);

// `/` ends an address too, so that an address in a URL path does not take the host and path with it.
const EMAIL_IN_TEXT = /[^\s@<>"'(),;:/[\]]+@[^\s@<>"'(),;:/[\]]+\.[A-Za-z]{2,}/g;
const PHONE_VALUE = /^\+[1-9]\d{6,14}$/;
const PHONE_IN_TEXT = /\+[1-9]\d{6,14}\b/g;
const IPV4_IN_TEXT = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;
const URL_VALUE = /^https?:\/\//i;
/** Only hex digits, dots and colons, with a dot or colon: worth asking `net.isIP` (a large regex) about. */
const MAY_BE_IP = /^(?=.*[.:])[0-9A-Fa-f.:]{3,45}$/;
/** An `@`, a `+` or a digit-dot-digit: what any email address, phone number or IPv4 in free text contains. */
const MAY_HOLD_PII = /[@+]|\d\.\d/;
/** A phone number has `+`, an address `@`, an IP `.` or `:`, a URL `:`. */
const NEEDS_A_LOOK = /[@+.:]/;

const HASH_HEX_CHARS = 32;

/** One HMAC function per key (its pad buffers are built once, not per batch). */
const hmacByKey = new WeakMap<Buffer, (value: string) => string>();

function hmacFor(key: Buffer): (value: string) => string {
  let hmac = hmacByKey.get(key);
  if (hmac === undefined) {
    hmac = createHmacHex(key);
    hmacByKey.set(key, hmac);
  }
  return hmac;
}

const callingCodeCountries = (metadata as { country_calling_codes: Record<string, string[]> })
  .country_calling_codes;

/**
 * Applies the configured PII mode to every place personal data can sit. One instance per batch: each distinct
 * value is hashed (HMAC-SHA256, first 128 bits as hex) and parsed once per batch, then served from the cache.
 */
export class PiiProtector {
  private readonly hashes = new Map<string, string>();
  private readonly phoneCountries = new Map<string, string | undefined>();
  private readonly hmac: (value: string) => string;

  constructor(
    readonly mode: PiiMode,
    key: Buffer,
  ) {
    this.hmac = hmacFor(key);
  }

  /** Keyed hash of a value, so joins across records keep working without the value itself. */
  hash(value: string): string {
    let h = this.hashes.get(value);
    if (h === undefined) {
      h = this.hmac(value).slice(0, HASH_HEX_CHARS);
      this.hashes.set(value, h);
    }
    return h;
  }

  /**
   * The recipient (email address, phone number or push token) with its derived field. `knownCountry` is the
   * service's own answer for a phone number (Pinpoint `iso_country_code`, End User Messaging `isoCountryCode`):
   * parsing the number costs about 9 µs, so it is parsed only when the event does not say.
   */
  recipient(rec: NormalizedRecord, address: string | undefined, knownCountry?: string): void {
    if (address === undefined) return;
    const at = address.lastIndexOf('@');
    if (at > 0) rec.email_domain = address.slice(at + 1).toLowerCase();
    else if (PHONE_VALUE.test(address)) {
      const country = knownCountry ?? this.phoneCountry(address);
      if (country !== undefined) rec.phone_country = country;
    }
    if (this.mode === 'hash') rec.recipient_hash = this.hash(normalizeAddress(address));
    else if (this.mode === 'keep') rec.recipient = address;
  }

  /** The sender address or origination number. */
  sender(rec: NormalizedRecord, address: string | undefined): void {
    if (address === undefined) return;
    if (this.mode === 'hash') rec.sender_hash = this.hash(normalizeAddress(address));
    else if (this.mode === 'keep') rec.sender = address;
  }

  ip(rec: NormalizedRecord, ip: string | undefined): void {
    if (ip === undefined) return;
    if (this.mode === 'hash') rec.ip_hash = this.hash(ip);
    else if (this.mode === 'keep') rec.ip_address = ip;
  }

  /** A URL that may carry tokens in its query string or fragment: kept up to the path unless mode is `keep`. */
  url(url: string): string {
    if (this.mode === 'keep') return url;
    const cut = url.search(/[?#]/);
    const path = cut === -1 ? url : url.slice(0, cut);
    // Unsubscribe and preference links often carry the address in the path itself.
    return path.includes('@') || path.includes('+') ? this.text(path) : path;
  }

  /** Free text (status messages, diagnostic codes) with any email address, phone number or IPv4 replaced. */
  text(value: string): string {
    if (this.mode === 'keep') return value;
    return value
      .replace(EMAIL_IN_TEXT, (m) => this.token(m, 'email'))
      .replace(PHONE_IN_TEXT, (m) => this.token(m, 'phone'))
      .replace(IPV4_IN_TEXT, (m) => (isIP(m) ? this.token(m, 'ip') : m));
  }

  /**
   * A copy of an attributes map with personal data protected: known PII keys by name, and values that are
   * (or contain) an email address, a phone number or an IP address. URL values lose their query string.
   * Returns the same object when nothing needed changing, to spare the copy on the hot path.
   */
  attributes(attrs: Record<string, string>): Record<string, string> {
    if (this.mode === 'keep') return attrs;
    let out: Record<string, string> | undefined;
    for (const key in attrs) {
      const value = attrs[key] as string;
      const safe = this.attributeValue(key, value);
      if (safe !== value) {
        out ??= { ...attrs };
        out[key] = safe;
      }
    }
    return out ?? attrs;
  }

  private attributeValue(key: string, value: string): string {
    if (value.length === 0) return value;
    if (PII_ATTRIBUTE_KEYS.has(key) || PII_ATTRIBUTE_KEYS.has(key.toLowerCase()))
      return this.token(value, 'value');
    // Ids, statuses, counts and names (most attribute values) hold none of these characters, and every check
    // below needs one of them: one scan instead of four regexes per value.
    if (!NEEDS_A_LOOK.test(value)) return value;
    if (PHONE_VALUE.test(value) || (MAY_BE_IP.test(value) && isIP(value) !== 0))
      return this.token(value, 'value');
    // The query and fragment go first, whatever else the URL holds: they may carry tokens, not only addresses.
    const rest = URL_VALUE.test(value) ? this.url(value) : value;
    // Cheap pre-check so that most values skip the three text regexes.
    return MAY_HOLD_PII.test(rest) ? this.text(rest) : rest;
  }

  private token(value: string, kind: string): string {
    return this.mode === 'hash' ? `hmac:${this.hash(normalizeAddress(value))}` : `[${kind}]`;
  }

  private phoneCountry(number: string): string | undefined {
    if (this.phoneCountries.has(number)) return this.phoneCountries.get(number);
    const parsed = parsePhoneNumberFromString(number);
    // Fictional and reserved ranges parse without a country; the calling code's main country still applies.
    const country =
      parsed?.country ?? (parsed ? callingCodeCountries[parsed.countryCallingCode]?.[0] : undefined);
    this.phoneCountries.set(number, country);
    return country;
  }
}

/** Email addresses compare case-insensitively in practice; hashing the lower-cased form keeps joins stable. */
function normalizeAddress(value: string): string {
  return value.includes('@') ? value.trim().toLowerCase() : value.trim();
}
