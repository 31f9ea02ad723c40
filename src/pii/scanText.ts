/**
 * Finds email addresses, phone numbers and IP addresses in a string, in time linear in its length.
 *
 * Four detectors walk the string once each (a small state machine per kind, no RegExp over the data), then their
 * spans are merged. Every look-back is O(1): a detector remembers where its current token started instead of
 * searching backwards, and every look-ahead moves the position forward, so no character is read more than a
 * fixed number of times whatever the input (`a@a@a@…`, `1.1.1.1…`, `::::…`, `%40%40…`, digit runs, 1 MB without
 * a delimiter). URL escapes are read as the character they encode (`%40` is `@`, `%2B` is `+`, `%3A` is `:`,
 * and `%25XX` once more), so encoded values are found like plain ones.
 *
 * Why not libphonenumber-js's `findPhoneNumbersInText`: measured here (Node 20) at 115 µs for an 85-character
 * status message, finding one number of three (national formats need a default country, which a message from
 * anywhere does not have), and 2.2 s for 256 KB of `1 1 1 …` (against 16 ms for 256 KB of `1111…`).
 *
 * The rules, their over-detections and what is knowingly not detected are written down in docs/schema.md §5.
 */

export type PiiKind = 'email' | 'phone' | 'ip';

/**
 * Spans found: `start, end, kind` triples (indexes into the scanned string, `end` exclusive, kind as `KIND_*`),
 * sorted, non-overlapping, in a growable Int32Array, so that a string with 100,000 addresses does not leave
 * 300,000 boxed numbers behind for the garbage collector.
 */
export class SpanList {
  private data = new Int32Array(48);
  /** Number of spans. */
  length = 0;

  clear(): void {
    this.length = 0;
    // A huge input must not pin its buffer for the life of the process.
    if (this.data.length > 1 << 16) this.data = new Int32Array(48);
  }

  push(start: number, end: number, kind: number): void {
    let data = this.data;
    const at = this.length * 3;
    if (at + 3 > data.length) {
      const grown = new Int32Array(data.length * 2);
      grown.set(data);
      this.data = data = grown;
    }
    data[at] = start;
    data[at + 1] = end;
    data[at + 2] = kind;
    this.length++;
  }

  start(i: number): number {
    return this.data[i * 3] as number;
  }

  end(i: number): number {
    return this.data[i * 3 + 1] as number;
  }

  kind(i: number): number {
    return this.data[i * 3 + 2] as number;
  }

  setEnd(i: number, end: number): void {
    this.data[i * 3 + 1] = end;
  }

  setKind(i: number, kind: number): void {
    this.data[i * 3 + 2] = kind;
  }
}

/** What `scanText` returns: valid until its next call (the lists are reused: no garbage per call). */
export type Spans = Readonly<Pick<SpanList, 'length' | 'start' | 'end' | 'kind'>>;

const KIND_EMAIL = 0;
const KIND_IP = 1;
const KIND_PHONE = 2;
export const KIND_NAMES: readonly PiiKind[] = ['email', 'ip', 'phone'];

const NO_SPANS: Spans = new SpanList();
const EMAILS = new SpanList();
const IPV4_SPANS = new SpanList();
const IPV6_SPANS = new SpanList();
const PHONES = new SpanList();
const MERGED = new SpanList();

/** Fewest digits in a phone number (national numbers without area code have 7). */
const MIN_PHONE_DIGITS = 7;
/** A hyphenated hexadecimal word with at least this many hex digits and a letter is an identifier (§5). */
const MIN_HEX_ID_DIGITS = 16;

// Character classes of ASCII characters, as bit flags.
const DIGIT = 1;
const HEX_LETTER = 2;
const LETTER = 4;
/** Between the digit groups of a phone number: space, tab, `-`, `.`, `(`, `)`, `/`, `+`. */
const PHONE_SEP = 8;
/** Ends the local part of an email address. */
const EMAIL_STOP = 16;
/** May appear in the domain of an email address. */
const DOMAIN = 32;
/** In a run that may be an IPv6 address: hex digits, `:` and `.`. */
const IPV6 = 64;
/** In an interface zone after `%`: letters, digits, `-`, `.`, `_`, `~`. */
const ZONE = 128;

const ASCII = new Uint8Array(128);
{
  const set = (chars: string, flag: number) => {
    for (const ch of chars) ASCII[ch.charCodeAt(0)] = (ASCII[ch.charCodeAt(0)] as number) | flag;
  };
  const digits = '0123456789';
  const hexLetters = 'abcdefABCDEF';
  let letters = '';
  for (let c = 65; c <= 90; c++) letters += String.fromCharCode(c, c + 32);
  set(digits, DIGIT | DOMAIN | IPV6 | ZONE);
  set(letters, LETTER | DOMAIN | ZONE);
  set(hexLetters, HEX_LETTER | IPV6);
  set(' \t-.()/+', PHONE_SEP);
  set(' \t\n\r\f\v<>()[]{},;:"\'`/\\|=?&#@', EMAIL_STOP);
  set('-._', DOMAIN);
  set(':.', IPV6);
  set('-._~', ZONE);
}

const AT = 0x40;
const FULLWIDTH_AT = 0xff20;
const PERCENT = 0x25;
const PLUS = 0x2b;
const OPEN_PAREN = 0x28;
const DOT = 0x2e;
const COLON = 0x3a;
const HYPHEN = 0x2d;
const QUOTE = 0x22;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** Unicode white space (beyond ASCII): separates words and phone digit groups. */
function isUnicodeSpace(c: number): boolean {
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/** Decimal digits of other scripts that people type phone numbers in (Arabic-Indic, Devanagari, fullwidth). */
function isUnicodeDigit(c: number): boolean {
  return (
    (c >= 0x660 && c <= 0x669) ||
    (c >= 0x6f0 && c <= 0x6f9) ||
    (c >= 0x966 && c <= 0x96f) ||
    (c >= 0xff10 && c <= 0xff19)
  );
}

function unicodeDigitValue(c: number): number {
  if (c <= 0x669) return c - 0x660;
  if (c <= 0x6f9) return c - 0x6f0;
  if (c <= 0x96f) return c - 0x966;
  return c - 0xff10;
}

/** Dashes and the fullwidth plus, which separate phone digit groups like `-` and `+`. */
function isUnicodePhoneSep(c: number): boolean {
  return (c >= 0x2010 && c <= 0x2015) || c === 0x2212 || c === 0xff0b || isUnicodeSpace(c);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Width of the last character read by `charAt`: 1, or 3 for `%XX`, or 5 for `%25XX`. */
let width = 1;

/**
 * The character at `i`, reading a URL escape as the character it encodes (bytes ≥ 0x80 come back as
 * themselves: they stand for a non-ASCII character). Sets `width`.
 */
function charAt(s: string, i: number, n: number): number {
  const c = s.charCodeAt(i);
  if (c !== PERCENT || i + 2 >= n) {
    width = 1;
    return c;
  }
  const hi = hexValue(s.charCodeAt(i + 1));
  const lo = hexValue(s.charCodeAt(i + 2));
  if (hi < 0 || lo < 0) {
    width = 1;
    return c;
  }
  const byte = hi * 16 + lo;
  if (byte === PERCENT && i + 4 < n) {
    // `%2540` is `%40` encoded once more (a URL inside a query parameter).
    const hi2 = hexValue(s.charCodeAt(i + 3));
    const lo2 = hexValue(s.charCodeAt(i + 4));
    if (hi2 >= 0 && lo2 >= 0) {
      width = 5;
      return hi2 * 16 + lo2;
    }
  }
  width = 3;
  return byte;
}

function flags(c: number): number {
  return c < 128 ? (ASCII[c] as number) : 0;
}

/** An ASCII letter: what glues a digit group to a word (`a1b2c3…`, `ORD12345678`) so that it is not a number. */
function isAsciiLetter(c: number): boolean {
  return c < 128 && ((ASCII[c] as number) & LETTER) !== 0;
}

/**
 * What the string may hold, from one cheap pass: most values (statuses, names, hexadecimal ids) hold nothing
 * any detector looks for and are not scanned further.
 */
const MAY_EMAIL = 1;
const MAY_IPV4 = 2;
const MAY_IPV6 = 4;
const MAY_PHONE = 8;

// What the pre-check notes of each ASCII character, as bits (a digit also counts itself in bit 0).
const P_DIGIT = 1;
const P_HEX_LETTER = 2;
const P_OTHER = 4;
const P_DOT = 8;
const P_COLON = 16;
const P_AT = 32;
const P_PERCENT = 64;
const PRECHECK = new Uint8Array(128).fill(P_OTHER);
for (let c = 48; c <= 57; c++) PRECHECK[c] = P_DIGIT;
for (const c of 'abcdefABCDEF') PRECHECK[c.charCodeAt(0)] = P_HEX_LETTER;
PRECHECK[HYPHEN] = 0;
PRECHECK[DOT] = P_OTHER | P_DOT;
PRECHECK[COLON] = P_OTHER | P_COLON;
PRECHECK[AT] = P_OTHER | P_AT;
PRECHECK[PERCENT] = P_OTHER | P_PERCENT;

function precheck(s: string, n: number): number {
  let bits = 0;
  let digits = 0;
  let hexLetters = 0;
  let dots = 0;
  let colons = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 128) {
      const p = PRECHECK[c] as number;
      bits |= p;
      digits += p & P_DIGIT;
      hexLetters += (p & P_HEX_LETTER) >> 1;
      dots += (p & P_DOT) >> 3;
      colons += (p & P_COLON) >> 4;
    } else {
      bits |= P_OTHER;
      if (c === FULLWIDTH_AT) bits |= P_AT;
      else if (isUnicodeDigit(c)) digits++;
    }
  }
  // The commonest identifier of all, a hexadecimal one (UUID, SES message id, 32-hex id), holds nothing.
  if ((bits & P_OTHER) === 0 && hexLetters > 0 && digits + hexLetters >= MIN_HEX_ID_DIGITS) return 0;
  let may = 0;
  if ((bits & (P_AT | P_PERCENT)) !== 0) may |= MAY_EMAIL;
  const percent = (bits & P_PERCENT) !== 0;
  if (digits >= 4 && (dots >= 3 || percent)) may |= MAY_IPV4;
  if (colons >= 2 || percent) may |= MAY_IPV6;
  if (digits >= MIN_PHONE_DIGITS) may |= MAY_PHONE;
  return may;
}

/**
 * Email addresses: an `@` (or `%40`, or `＠`) with a non-empty local part before it and a non-empty domain after
 * it. No TLD is required (`user@localhost`), any non-ASCII letters are accepted (`ü@bücher.de`), a domain may be
 * an address literal (`user@[10.0.0.1]`), a local part may be quoted (`"jane doe"@example.com`).
 */
function findEmails(s: string, n: number, out: SpanList): void {
  let tokenStart = 0;
  let quoteOpen = -1;
  let quoteStart = -1;
  let quoteEnd = -1;
  let i = 0;
  while (i < n) {
    const c = charAt(s, i, n);
    const w = width;
    if (c === AT || c === FULLWIDTH_AT) {
      const localStart = quoteEnd === i ? quoteStart : tokenStart;
      if (localStart < i) {
        const end = domainEnd(s, i + w, n);
        if (end > i + w) {
          out.push(localStart, end, KIND_EMAIL);
          i = end;
          tokenStart = end;
          continue;
        }
      }
      tokenStart = i + w;
      i += w;
      continue;
    }
    if (c === QUOTE) {
      if (quoteOpen < 0) quoteOpen = i;
      else {
        quoteStart = quoteOpen;
        quoteEnd = i + w;
        quoteOpen = -1;
      }
    }
    if (c < 128 ? ((ASCII[c] as number) & EMAIL_STOP) !== 0 : isUnicodeSpace(c)) tokenStart = i + w;
    i += w;
  }
}

/** End of the domain that starts at `j` (`j` itself when there is none); trailing dots and hyphens excluded. */
function domainEnd(s: string, j: number, n: number): number {
  if (j >= n) return j;
  let c = charAt(s, j, n);
  if (c === OPEN_BRACKET) {
    let k = j + width;
    while (k < n) {
      c = charAt(s, k, n);
      if (c === CLOSE_BRACKET) return k + width;
      if ((flags(c) & (IPV6 | LETTER)) === 0) break;
      k += width;
    }
    return k > j + 1 ? k : j;
  }
  let k = j;
  let last = j;
  while (k < n) {
    c = charAt(s, k, n);
    if (c < 128 ? ((ASCII[c] as number) & DOMAIN) === 0 : c === FULLWIDTH_AT || isUnicodeSpace(c)) break;
    k += width;
    if (c !== DOT && c !== HYPHEN) last = k;
  }
  return last;
}

/** IPv4 addresses: four or more dot-separated numbers of 0–255 in a row (`1.2.3.4.5` is taken whole). */
function findIpv4(s: string, n: number, out: SpanList): void {
  let compStart = -1;
  let compEnd = -1;
  let compDigits = 0;
  let compValue = 0;
  let chainStart = -1;
  let chainLength = 0;
  let spanIndex = -1;
  const closeComponent = () => {
    if (compDigits >= 1 && compDigits <= 3 && compValue <= 255) {
      if (chainLength === 0) chainStart = compStart;
      chainLength++;
      if (chainLength >= 4) {
        if (spanIndex >= 0) out.setEnd(spanIndex, compEnd);
        else {
          spanIndex = out.length;
          out.push(chainStart, compEnd, KIND_IP);
        }
      }
    } else {
      chainLength = 0;
      spanIndex = -1;
    }
    compDigits = 0;
    compValue = 0;
  };
  let i = 0;
  while (i < n) {
    const c = charAt(s, i, n);
    const w = width;
    if (c >= 48 && c <= 57) {
      if (compDigits === 0) compStart = i;
      compDigits++;
      if (compDigits <= 3) compValue = compValue * 10 + (c - 48);
      compEnd = i + w;
    } else if (c === DOT) {
      closeComponent();
    } else if (compDigits > 0 || chainLength > 0) {
      closeComponent();
      chainLength = 0;
      spanIndex = -1;
    }
    i += w;
  }
  if (compDigits > 0) closeComponent();
}

/**
 * IPv6 addresses: a run of hex digits, `:` and `.` holding a hex digit and either `::` or at least three colons,
 * not glued to a letter (`std::string`). Every IPv6 address has `::` or seven colons, so this finds all of them
 * (with an interface zone `%eth0` included; brackets and `:port` stay) and some non-addresses (`a:b:c:d`, MAC
 * addresses). Times (`10:00:00`) have two colons and no `::`.
 */
function findIpv6(s: string, n: number, out: SpanList): void {
  let i = 0;
  let prev = -1;
  while (i < n) {
    const c = charAt(s, i, n);
    if ((flags(c) & IPV6) === 0) {
      prev = c;
      i += width;
      continue;
    }
    const runStart = i;
    const firstWidth = width;
    let colons = 0;
    let doubleColon = false;
    let hex = false;
    let second = -1;
    let secondLast = -1;
    let last = -1;
    let lastStart = i;
    let count = 0;
    let k = i;
    let after = -1;
    let afterWidth = 1;
    while (k < n) {
      const cc = charAt(s, k, n);
      if ((flags(cc) & IPV6) === 0) {
        after = cc;
        afterWidth = width;
        break;
      }
      if (cc === COLON) {
        colons++;
        if (last === COLON) doubleColon = true;
      } else if (cc !== DOT) hex = true;
      if (count === 1) second = cc;
      secondLast = last;
      last = cc;
      lastStart = k;
      count++;
      k += width;
    }
    const before = prev;
    prev = last;
    i = k;
    if (!hex) continue;
    let start = runStart;
    let end = k;
    // A lone `:` at either end belongs to the text around (`from:2001:db8::1`, `at 10:00:`), not to the address.
    if (c === COLON && second !== COLON) {
      start += firstWidth;
      colons--;
    }
    if (last === COLON && secondLast !== COLON) {
      end = lastStart;
      colons--;
    }
    if (!doubleColon && colons < 3) continue;
    if ((c !== COLON && isAsciiLetter(before)) || (last !== COLON && isAsciiLetter(after))) continue;
    // An interface zone: `fe80::1%eth0`, or `%25eth0` in a URL.
    if (end === k && after === PERCENT) {
      let z = k + afterWidth;
      const zoneStart = z;
      while (z < n && ((ASCII[s.charCodeAt(z)] ?? 0) & ZONE) !== 0) z++;
      if (z > zoneStart) {
        end = z;
        i = z;
      }
    }
    out.push(start, end, KIND_IP);
  }
}

/**
 * Phone numbers: a run of digit groups joined by phone punctuation (space, `-`, `.`, `(`, `)`, `/`, `+`) with at
 * least seven digits. A group glued to an ASCII letter (`a1b2…`, `ORD12345678`) does not count and ends the
 * run; a hexadecimal word (`hexWord`) is an identifier and is skipped whole; a leading `yyyy-mm-dd` /
 * `dd.mm.yyyy` date does not count.
 */
function findPhones(s: string, n: number, out: SpanList): void {
  // The current run: where it starts, where its last counted group ends, its digits.
  let segStart = -1;
  let segEnd = -1;
  let segDigits = 0;
  // Its first four groups (lengths, values, separators), to recognise a leading date.
  let groups = 0;
  let len0 = 0;
  let len1 = 0;
  let len2 = 0;
  let val0 = 0;
  let val1 = 0;
  let val2 = 0;
  let sep1 = -1;
  let sep2 = -1;
  let fourthStart = -1;
  // Separators since the last group: the character when there is exactly one.
  let sepCount = 0;
  let sepChar = -1;
  // The current digit group.
  let groupStart = -1;
  let groupEnd = -1;
  let groupDigits = 0;
  let groupValue = 0;
  let groupGlued = false;
  let prev = -1;
  let prevStart = -1;
  let wordEnd = 0;

  const closeSegment = () => {
    if (segDigits >= MIN_PHONE_DIGITS) {
      let start = segStart;
      let digits = segDigits;
      if (groups >= 3 && isDate(len0, val0, len1, val1, len2, val2, sep1, sep2)) {
        digits -= len0 + len1 + len2;
        start = fourthStart;
      }
      if (digits >= MIN_PHONE_DIGITS) out.push(start, segEnd, KIND_PHONE);
    }
    segStart = -1;
    segDigits = 0;
    groups = 0;
  };
  const closeGroup = (next: number) => {
    if (groupGlued || isAsciiLetter(next)) {
      // Glued to a word: part of an identifier, not of a number; the number (if any) ends before it.
      closeSegment();
    } else {
      if (segStart < 0) segStart = groupStart;
      if (groups === 0) {
        len0 = groupDigits;
        val0 = groupValue;
      } else if (groups === 1) {
        len1 = groupDigits;
        val1 = groupValue;
        sep1 = sepChar;
      } else if (groups === 2) {
        len2 = groupDigits;
        val2 = groupValue;
        sep2 = sepChar;
      } else if (groups === 3) fourthStart = groupStart;
      groups++;
      segDigits += groupDigits;
      segEnd = groupEnd;
    }
    groupStart = -1;
    groupDigits = 0;
    groupValue = 0;
    groupGlued = false;
    sepCount = 0;
    sepChar = -1;
  };

  let i = 0;
  while (i < n) {
    const c = charAt(s, i, n);
    const w = width;
    const f = flags(c);
    if (i >= wordEnd && ((f & (DIGIT | LETTER)) !== 0 || c === HYPHEN)) {
      // A new word: read it once ahead; an identifier is skipped whole, anything else is walked as usual.
      wordEnd = hexWord(s, i, n);
      if (wordIsHexId) {
        if (groupStart >= 0) closeGroup(LETTER_SENTINEL);
        closeSegment();
        prev = LETTER_SENTINEL;
        prevStart = i;
        i = wordEnd;
        continue;
      }
    }
    if ((f & DIGIT) !== 0 || (c >= 128 && isUnicodeDigit(c))) {
      if (groupStart < 0) {
        groupStart = i;
        groupGlued = isAsciiLetter(prev);
        // `+49 …`, `(415) …`: the number starts at the sign or the parenthesis.
        if (!groupGlued && segStart < 0 && (prev === PLUS || prev === OPEN_PAREN)) segStart = prevStart;
      }
      groupDigits++;
      if (groupDigits <= 4) groupValue = groupValue * 10 + (c < 128 ? c - 48 : unicodeDigitValue(c));
      groupEnd = i + w;
    } else {
      if (groupStart >= 0) closeGroup(c);
      if ((f & PHONE_SEP) !== 0 || (c >= 128 && isUnicodePhoneSep(c))) {
        sepCount++;
        sepChar = sepCount === 1 ? c : -1;
      } else if (segStart >= 0 || groups > 0) closeSegment();
    }
    prev = c;
    prevStart = i;
    i += w;
  }
  if (groupStart >= 0) closeGroup(-1);
  closeSegment();
}

/** Stands for "a letter" where a real character is not at hand. */
const LETTER_SENTINEL = 0x61;

/** `yyyy-mm-dd`, `yyyy/mm/dd`, `dd.mm.yyyy`, `mm/dd/yyyy`: one separator, used twice. */
function isDate(
  len0: number,
  val0: number,
  len1: number,
  val1: number,
  len2: number,
  val2: number,
  sep1: number,
  sep2: number,
): boolean {
  if (sep1 !== sep2 || (sep1 !== HYPHEN && sep1 !== DOT && sep1 !== 0x2f)) return false;
  if (len0 === 4 && len1 === 2 && len2 === 2) {
    return val0 >= 1900 && val0 <= 2099 && val1 >= 1 && val1 <= 12 && val2 >= 1 && val2 <= 31;
  }
  if (len0 === 2 && len1 === 2 && len2 === 4) {
    return val0 >= 1 && val0 <= 31 && val1 >= 1 && val1 <= 31 && val2 >= 1900 && val2 <= 2099;
  }
  return false;
}

/** Set by `hexWord`: whether the word it read is a hexadecimal identifier. */
let wordIsHexId = false;

/**
 * Reads the word of ASCII letters, digits and hyphens that starts at `i` and returns its end; sets
 * `wordIsHexId` when it is a hexadecimal identifier: only hex digits and hyphens, at least 16 hex digits and a
 * letter (UUIDs, SES message ids, 32-hex Pinpoint ids, Amplify session ids), or a UUID of digits only.
 */
function hexWord(s: string, i: number, n: number): number {
  let k = i;
  let hexDigits = 0;
  let letters = 0;
  let allHex = true;
  let hyphens = 0;
  while (k < n) {
    const c = charAt(s, k, n);
    const f = flags(c);
    if ((f & (DIGIT | LETTER)) === 0 && c !== HYPHEN) break;
    if ((f & DIGIT) !== 0) hexDigits++;
    else if ((f & HEX_LETTER) !== 0) {
      hexDigits++;
      letters++;
    } else if (c === HYPHEN) hyphens++;
    else allHex = false;
    k += width;
  }
  wordIsHexId =
    allHex &&
    ((letters > 0 && hexDigits >= MIN_HEX_ID_DIGITS) || (k - i === 36 && hyphens === 4 && isUuidShape(s, i)));
  return k;
}

/** `8-4-4-4-12`. */
function isUuidShape(s: string, i: number): boolean {
  return (
    s.charCodeAt(i + 8) === HYPHEN &&
    s.charCodeAt(i + 13) === HYPHEN &&
    s.charCodeAt(i + 18) === HYPHEN &&
    s.charCodeAt(i + 23) === HYPHEN
  );
}

/**
 * Every email address, phone number and IP address in `s`, as merged spans. Where detectors overlap (an IPv4
 * address is also a run of digits), the union is one span, of the kind that ranks first: email, ip, phone.
 */
export function scanText(s: string): Spans {
  const n = s.length;
  if (n === 0) return NO_SPANS;
  const may = precheck(s, n);
  if (may === 0) return NO_SPANS;
  const lists = [EMAILS, IPV4_SPANS, IPV6_SPANS, PHONES];
  for (const list of lists) list.clear();
  if (may & MAY_EMAIL) findEmails(s, n, EMAILS);
  if (may & MAY_IPV4) findIpv4(s, n, IPV4_SPANS);
  if (may & MAY_IPV6) findIpv6(s, n, IPV6_SPANS);
  if (may & MAY_PHONE) findPhones(s, n, PHONES);
  return merge(s, lists);
}

/**
 * Merges sorted span lists (each non-overlapping) into one, in one pass. Overlapping spans become one, and so
 * do spans that touch or are one non-space character apart (`a@a@a@a`, `::1%a::1%a`): one token for what reads
 * as one thing, and a crafted value cannot multiply the output by its number of tokens.
 */
function merge(s: string, lists: SpanList[]): Spans {
  let total = 0;
  for (const l of lists) total += l.length;
  if (total === 0) return NO_SPANS;
  const out = MERGED;
  out.clear();
  const pos = [0, 0, 0, 0];
  for (;;) {
    let best = -1;
    let bestStart = Number.POSITIVE_INFINITY;
    for (let l = 0; l < lists.length; l++) {
      const list = lists[l] as SpanList;
      const p = pos[l] as number;
      if (p < list.length && list.start(p) < bestStart) {
        bestStart = list.start(p);
        best = l;
      }
    }
    if (best < 0) break;
    const list = lists[best] as SpanList;
    const p = pos[best] as number;
    const end = list.end(p);
    const kind = list.kind(p);
    pos[best] = p + 1;
    const last = out.length - 1;
    const lastEnd = last >= 0 ? out.end(last) : -2;
    if (bestStart < lastEnd || bestStart === lastEnd || (bestStart === lastEnd + 1 && !isSpace(s, lastEnd))) {
      if (end > lastEnd) out.setEnd(last, end);
      if (kind < out.kind(last)) out.setKind(last, kind);
    } else out.push(bestStart, end, kind);
  }
  return out;
}

function isSpace(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c === 32 || (c >= 9 && c <= 13) || (c >= 128 && isUnicodeSpace(c));
}

/**
 * The text of a span as the value it stands for, for hashing: URL escapes decoded; an email address or IP
 * address lower-cased; a phone number reduced to its digits (and a leading `+`), so that `+1 (415) 555-0100`
 * hashes like the recipient `+14155550100`.
 */
export function canonicalSpan(s: string, start: number, end: number, kind: number): string {
  if (kind !== KIND_PHONE && !hasPercent(s, start, end)) return s.slice(start, end).trim().toLowerCase();
  // Decoded into bytes: one buffer, no string per character.
  if (scratch.length < end - start) scratch = Buffer.allocUnsafe(Math.max(end - start, 2 * scratch.length));
  let length = 0;
  let utf8 = false;
  let i = start;
  while (i < end) {
    const c = charAt(s, i, end);
    const escaped = width !== 1;
    if (kind === KIND_PHONE) {
      if ((c >= 48 && c <= 57) || (c === PLUS && length === 0)) scratch[length++] = c;
      else if (c >= 128 && isUnicodeDigit(c)) scratch[length++] = 48 + unicodeDigitValue(c);
    } else if (c < 128 || escaped) {
      scratch[length++] = c;
      if (c >= 128) utf8 = true;
    } else {
      // A raw non-ASCII character among escapes (rare): the text is hashed as it reads.
      return s.slice(start, end).trim().toLowerCase();
    }
    i += width;
  }
  if (kind === KIND_PHONE) return scratch.toString('latin1', 0, length);
  // Escaped bytes ≥ 0x80 are UTF-8 (`b%C3%BCcher.de`): read as such, the value hashes like `bücher.de`.
  return scratch
    .toString(utf8 ? 'utf8' : 'latin1', 0, length)
    .trim()
    .toLowerCase();
}

/** Reused by `canonicalSpan`. */
let scratch = Buffer.allocUnsafe(256);

/** Whether `s[start, end)` holds a `%` (bounded: `indexOf` would search past `end`). */
function hasPercent(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (s.charCodeAt(i) === PERCENT) return true;
  return false;
}
