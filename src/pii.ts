import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import metadata from 'libphonenumber-js/min/metadata';
import { createHmacHex } from './hmac';
import { BoundedMemo } from './pii/boundedMemo';
import { FIELD_POLICY, type FieldPolicy } from './pii/fieldPolicy';
import { canonicalSpan, KIND_NAMES, type Spans, scanText } from './pii/scanText';
import { userAgentClass } from './pii/userAgentClass';
import type { NormalizedRecord, UserAgentClass } from './schema';

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

/** A recipient that is a phone number in E.164 (anchored, bounded repetition: linear). */
const PHONE_VALUE = /^\+[1-9]\d{6,14}$/;
const URL_VALUE = /^https?:\/\//i;

const HASH_HEX_CHARS = 32;
/**
 * The per-batch caches keep values up to this length, and this many of them: a crafted record (1 MB of distinct
 * addresses) must not turn the cache into the batch's largest object.
 */
const MAX_CACHED_LENGTH = 256;
const MAX_CACHED_VALUES = 20_000;
/**
 * Spans of one value that get their own `hmac:` token; the rest get the redact-mode marker. A value with more
 * addresses and numbers than this is not a message, and 1 MB of distinct ones must not cost 60,000 HMACs.
 */
const MAX_HASHED_SPANS = 1000;
/** Redact-mode markers of the span kinds, built once. */
const KIND_MARKERS = KIND_NAMES.map((kind) => `[${kind}]`);

/**
 * Per container and key: the HMAC function (its pad buffers built once) and a bounded memo of its results.
 * Recipients recur — one email gives send, delivery, open and click events for the same address — and a warm
 * container sees them again batch after batch. At most 20,000 values of up to 256 characters: about 3 MB of
 * typical addresses, 13 MB at worst (values of 256 two-byte characters), within what a 128 MB function can
 * spare next to a 6 MB batch.
 */
const MEMO_ENTRIES = 20_000;
const hmacByKey = new WeakMap<Buffer, { hmac: (value: string) => string; memo: BoundedMemo<string> }>();

function hmacFor(key: Buffer): { hmac: (value: string) => string; memo: BoundedMemo<string> } {
  let entry = hmacByKey.get(key);
  if (entry === undefined) {
    entry = { hmac: createHmacHex(key), memo: new BoundedMemo(MEMO_ENTRIES, MAX_CACHED_LENGTH) };
    hmacByKey.set(key, entry);
  }
  return entry;
}

/**
 * Phone number → country, and user agent → class: pure functions, memoized per container alike; and map keys
 * found to hold no personal data (attribute names: a small vocabulary). Sized so that all the memos of a
 * container stay under ~20 MB even when hostile input fills every one of them with the longest values they take.
 */
const phoneCountries = new BoundedMemo<string | undefined>(MEMO_ENTRIES, 32);
const userAgentClasses = new BoundedMemo<UserAgentClass>(5_000, MAX_CACHED_LENGTH);
const cleanKeys = new BoundedMemo<true>(5_000, MAX_CACHED_LENGTH);

const callingCodeCountries = (metadata as { country_calling_codes: Record<string, string[]> })
  .country_calling_codes;

/** The field policy as a Map: looked up for every field of every record (twice as fast as the object). */
const POLICY = new Map<string, FieldPolicy>(Object.entries(FIELD_POLICY));

/**
 * Applies the configured PII mode to every place personal data can sit (docs/schema.md §5). One instance per
 * batch; the keyed hashes (HMAC-SHA256, first 128 bits as hex), phone countries, user-agent classes and clean
 * map keys are memoized per container in bounded memos (above), span tokens per batch. Every method takes time
 * linear in the size of its input (see `scanText`).
 */
export class PiiProtector {
  /** `hmac:<hash>` tokens of free-text spans, by their canonical form. */
  private readonly tokens = new Map<string, string>();
  private readonly hmac: (value: string) => string;
  private readonly hashes: BoundedMemo<string>;

  constructor(
    readonly mode: PiiMode,
    key: Buffer,
  ) {
    const { hmac, memo } = hmacFor(key);
    this.hmac = hmac;
    this.hashes = memo;
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

  /**
   * A user agent (email open/click, complaint): its coarse class in every mode; the raw string in `keep` mode,
   * its keyed hash in `hash` mode, nothing else in `redact` mode.
   */
  userAgent(rec: NormalizedRecord, userAgent: string | undefined): void {
    if (userAgent === undefined) return;
    let cls = userAgentClasses.get(userAgent);
    if (cls === undefined) {
      cls = userAgentClass(userAgent);
      userAgentClasses.set(userAgent, cls);
    }
    if (this.mode === 'keep') rec.user_agent = userAgent;
    rec.user_agent_class = cls;
    if (this.mode === 'hash') rec.user_agent_hash = this.hash(userAgent.trim());
  }

  /**
   * A URL that may carry tokens in its query string or fragment: kept up to the path unless mode is `keep`;
   * email addresses, phone numbers and IP addresses in what is kept (host, path, encoded or not) are replaced.
   */
  url(url: string): string {
    if (this.mode === 'keep') return url;
    return this.text(beforeQuery(url));
  }

  /** Free text (status messages, diagnostic codes) with every email address, phone number and IP replaced. */
  text(value: string): string {
    if (this.mode === 'keep') return value;
    const spans = scanText(value);
    if (spans.length === 0) return value;
    return this.replaceSpans(value, spans);
  }

  /**
   * A value that names something (an id, an event type, a device model): returned as is, or — when it holds an
   * email address, a phone number or an IP address anywhere — replaced whole by its token (`hmac:<hash>` of the
   * whole value, so joins on the field still work, or `[value]`). A value that *is* one address or number gets
   * the token that value gets anywhere else (an `endpoint_id` of `+1 415 555 0100` joins `recipient_hash`).
   */
  identifier(value: string): string {
    if (this.mode === 'keep') return value;
    const spans = scanText(value);
    if (spans.length === 0) return value;
    return this.soleSpan(value, spans) ?? this.wholeToken(value);
  }

  /**
   * A copy of an attributes map with personal data protected: keys that hold personal data become tokens;
   * values under known PII keys are replaced whole, URL values lose their query string, and every email
   * address, phone number and IP address in any other value is replaced. Returns the same object when nothing
   * needed changing, to spare the copy on the hot path.
   */
  attributes(attrs: Record<string, string>): Record<string, string> {
    if (this.mode === 'keep') return attrs;
    let copy: Record<string, string> | undefined;
    let entries: Array<[string, string]> | undefined;
    let index = 0;
    for (const key in attrs) {
      const value = attrs[key] as string;
      const safeKey = this.key(key);
      const safeValue = this.attributeValue(key, value);
      if (entries !== undefined) entries.push([safeKey, safeValue]);
      else if (safeKey !== key) {
        // Rare: a key changes, so the map is rebuilt in order.
        entries = firstEntries(copy ?? attrs, index);
        entries.push([safeKey, safeValue]);
      } else if (safeValue !== value) {
        copy ??= { ...attrs };
        copy[key] = safeValue;
      }
      index++;
    }
    return entries !== undefined ? fromEntries(entries) : (copy ?? attrs);
  }

  /** A copy of a metrics map whose keys that hold personal data are tokens (or the same map). */
  metrics(metrics: Record<string, number>): Record<string, number> {
    if (this.mode === 'keep') return metrics;
    let entries: Array<[string, number]> | undefined;
    let index = 0;
    for (const key in metrics) {
      const safeKey = this.key(key);
      if (entries === undefined && safeKey !== key) entries = firstEntries(metrics, index);
      if (entries !== undefined) entries.push([safeKey, metrics[key] as number]);
      index++;
    }
    return entries === undefined ? metrics : fromEntries(entries);
  }

  /**
   * Protects every field a normalizer copied from the event, by the policy of `FIELD_POLICY`: identifiers
   * whole, free text and URLs in place, attribute and metric maps key by key. Run once per record, after the
   * source normalizer, so that no field can be forgotten.
   */
  record(rec: NormalizedRecord): void {
    if (this.mode === 'keep') return;
    const r = rec as unknown as Record<string, unknown>;
    for (const field in r) {
      const value = r[field];
      // An unlisted field (there is none: the policy table is exhaustive by type) is treated as an identifier.
      const policy = POLICY.get(field) ?? 'identifier';
      switch (policy) {
        case 'identifier':
          if (typeof value === 'string') {
            const safe = this.identifier(value);
            if (safe !== value) r[field] = safe;
          }
          break;
        case 'account':
          if (typeof value === 'string' && !isAccountId(value)) r[field] = this.identifier(value);
          break;
        case 'text':
          if (typeof value === 'string') r[field] = this.text(value);
          break;
        case 'url':
          if (typeof value === 'string') r[field] = this.url(value);
          break;
        case 'attributes':
          if (value !== undefined) r[field] = this.attributes(value as Record<string, string>);
          break;
        case 'metrics':
          if (value !== undefined) r[field] = this.metrics(value as Record<string, number>);
          break;
        default:
          break;
      }
    }
  }

  /**
   * A record that is already normalized, read back (the CLI's `process` over normalized output): it may have
   * been written in `keep` mode, or by hand. Its raw personal fields take this mode's shape, then every other
   * field is protected as `record` does. Tokens already in it stay as they are.
   */
  normalizedRecord(rec: NormalizedRecord): void {
    if (this.mode === 'keep') return;
    const { recipient, sender, ip_address: ip, user_agent: userAgent } = rec;
    delete rec.recipient;
    delete rec.sender;
    delete rec.ip_address;
    delete rec.user_agent;
    if (this.mode === 'hash') {
      if (recipient !== undefined) rec.recipient_hash ??= this.hash(normalizeAddress(recipient));
      if (sender !== undefined) rec.sender_hash ??= this.hash(normalizeAddress(sender));
      if (ip !== undefined) rec.ip_hash ??= this.hash(ip);
      if (userAgent !== undefined) rec.user_agent_hash ??= this.hash(userAgent.trim());
    }
    if (userAgent !== undefined) rec.user_agent_class ??= userAgentClass(userAgent);
    this.record(rec);
  }

  private attributeValue(key: string, value: string): string {
    if (value.length === 0) return value;
    if (PII_ATTRIBUTE_KEYS.has(key) || PII_ATTRIBUTE_KEYS.has(key.toLowerCase()))
      return this.wholeToken(value);
    // The query and fragment go first, whatever else the URL holds: they may carry tokens, not only addresses.
    // `h`/`H` first: a regex call per value costs more than the scan of a short one.
    const first = value.charCodeAt(0);
    return (first === 0x68 || first === 0x48) && URL_VALUE.test(value) ? this.url(value) : this.text(value);
  }

  /** A map key: as is, or its token when it holds personal data (`[key]` in redact mode). */
  private key(key: string): string {
    // Keys are a small vocabulary (the same attribute names in every record): a clean one is remembered.
    if (cleanKeys.has(key)) return key;
    const spans = scanText(key);
    if (spans.length === 0) {
      cleanKeys.set(key, true);
      return key;
    }
    return (
      this.soleSpan(key, spans) ??
      (this.mode === 'hash' ? `hmac:${this.hash(normalizeAddress(key))}` : '[key]')
    );
  }

  /** The replacement of a value that is exactly one span (spaces around aside), else undefined. */
  private soleSpan(value: string, spans: Spans): string | undefined {
    if (spans.length !== 1) return undefined;
    const start = spans.start(0);
    const end = spans.end(0);
    if (value.slice(0, start).trim() !== '' || value.slice(end).trim() !== '') return undefined;
    return this.mode === 'hash'
      ? this.spanToken(value, start, end, spans.kind(0))
      : KIND_MARKERS[spans.kind(0)];
  }

  private wholeToken(value: string): string {
    return this.mode === 'hash' ? `hmac:${this.hash(normalizeAddress(value))}` : '[value]';
  }

  private replaceSpans(value: string, spans: Spans): string {
    let out = '';
    let from = 0;
    for (let i = 0; i < spans.length; i++) {
      const start = spans.start(i);
      const end = spans.end(i);
      const kind = spans.kind(i);
      out += value.slice(from, start);
      out +=
        this.mode === 'hash' && i < MAX_HASHED_SPANS
          ? this.spanToken(value, start, end, kind)
          : (KIND_MARKERS[kind] as string);
      from = end;
    }
    return out + value.slice(from);
  }

  /** `hmac:<hash>` of what a span stands for (`canonicalSpan`): the same token as the value elsewhere. */
  private spanToken(value: string, start: number, end: number, kind: number): string {
    const canonical = canonicalSpan(value, start, end, kind);
    let token = this.tokens.get(canonical);
    if (token === undefined) {
      token = `hmac:${this.hash(canonical)}`;
      if (canonical.length <= MAX_CACHED_LENGTH && this.tokens.size < MAX_CACHED_VALUES) {
        this.tokens.set(canonical, token);
      }
    }
    return token;
  }

  private phoneCountry(number: string): string | undefined {
    if (phoneCountries.has(number)) return phoneCountries.get(number);
    const parsed = parsePhoneNumberFromString(number);
    // Fictional and reserved ranges parse without a country; the calling code's main country still applies.
    const country =
      parsed?.country ?? (parsed ? callingCodeCountries[parsed.countryCallingCode]?.[0] : undefined);
    phoneCountries.set(number, country);
    return country;
  }
}

/** Email addresses compare case-insensitively in practice; hashing the lower-cased form keeps joins stable. */
function normalizeAddress(value: string): string {
  return value.includes('@') ? value.trim().toLowerCase() : value.trim();
}

/** The URL up to its query string or fragment. */
function beforeQuery(url: string): string {
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 0x3f || c === 0x23) return url.slice(0, i);
  }
  return url;
}

/** An AWS account id: exactly 12 digits (not a phone number, though it has as many digits as one). */
function isAccountId(value: string): boolean {
  if (value.length !== 12) return false;
  for (let i = 0; i < 12; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** The first `count` entries of a map, to start its copy. */
function firstEntries<T>(map: Record<string, T>, count: number): Array<[string, T]> {
  const entries: Array<[string, T]> = [];
  if (count === 0) return entries;
  for (const key in map) {
    entries.push([key, map[key] as T]);
    if (entries.length === count) break;
  }
  return entries;
}

/**
 * A map from entries; a key that comes twice (two keys redacted to `[key]`) gets `#2`, `#3`… so that no value
 * is lost. `Object.fromEntries` defines properties, so a `__proto__` key stays a plain key.
 */
function fromEntries<T>(entries: Array<[string, T]>): Record<string, T> {
  const seen = new Set<string>();
  const nextSuffix = new Map<string, number>();
  for (const entry of entries) {
    const base = entry[0];
    if (seen.has(base)) {
      let n = nextSuffix.get(base) ?? 2;
      while (seen.has(`${base}#${n}`)) n++;
      entry[0] = `${base}#${n}`;
      nextSuffix.set(base, n + 1);
    }
    seen.add(entry[0]);
  }
  return Object.fromEntries(entries);
}
