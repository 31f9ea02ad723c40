import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { closeEmbedded, getSlot, type JsonObject, openEmbedded, type Slot, setOwn, slotsOf } from './slots';

/**
 * Personal data planted in generated events, and the search for it in every output. What counts as found:
 * the value as planted (lower-cased: addresses are compared case-insensitively), an email address's
 * `%40`-encoded form, a phone number's digits-only form, an IP address without its zone, brackets or port.
 */

export type PiiKind = 'email' | 'phone' | 'ipv4' | 'ipv6';

export interface Planted {
  kind: PiiKind;
  /** The text planted. */
  value: string;
  /** Lower-case strings whose presence in an output is a leak of this value. */
  needles: string[];
  /** Where in the event it was planted. */
  where: string;
}

interface PiiValue {
  kind: PiiKind;
  text: string;
  needles: string[];
}

/** Every fixture as one lower-case text: a needle that already occurs there would not prove a leak. */
const corpus = [
  'app',
  'campaign',
  'journey',
  'email',
  'sms',
  'eum',
  'ses',
  'eum-not-sent',
  'rcs',
  'eum-eventbridge',
  'ses-eventbridge',
  'ses-sns',
]
  .map((f) => readFileSync(join(__dirname, '..', '..', 'events', 'raw', `${f}.json`), 'utf8'))
  .join('\n')
  .toLowerCase();
const corpusDigits = corpus.replace(/\D+/g, ' ');

const digitsOnly = (s: string) => s.replace(/\D/g, '');

const emailArb: fc.Arbitrary<PiiValue> = fc
  .record({
    local: fc.constantFrom('jane.doe', 'john_smith', 'ana+news', 'o.connor', 'Max.Mustermann', 'x'),
    n: fc.integer({ min: 100, max: 999 }),
    domain: fc.constantFrom('example.org', 'mail.example.net', 'Example.COM', 'sub.example.co.uk'),
    form: fc.constantFrom('plain', 'display', 'angle', 'mailto', 'encoded', 'upper'),
  })
  .map(({ local, n, domain, form }) => {
    const address = `fz${n}.${local}@${domain}`;
    const encoded = address.replace('@', '%40');
    const text =
      form === 'display'
        ? `"Fuzz Person" <${address}>`
        : form === 'angle'
          ? `<${address}>`
          : form === 'mailto'
            ? `mailto:${address}`
            : form === 'encoded'
              ? encoded
              : form === 'upper'
                ? address.toUpperCase()
                : address;
    return { kind: 'email' as const, text, needles: [address.toLowerCase(), encoded.toLowerCase()] };
  });

/**
 * National and international formats of fictional numbers; `AAA` is replaced by an area code, `NN` by two
 * digits (NANP 555-01NN, Ofcom 07700 900NNN and their like are reserved for fiction).
 */
const PHONE_FORMATS = [
  '+1AAA55501NN',
  '(AAA) 555-01NN',
  '+1 AAA 555 01NN',
  '07700 900ANN',
  '1AAA55501NN',
  '+44 7700 900ANN',
  'AAA.555.01NN',
  '+49 30 9018ANN',
  '+33 1 09 75 8A NN',
];

const phoneArb: fc.Arbitrary<PiiValue> = fc
  .record({
    format: fc.constantFrom(...PHONE_FORMATS),
    area: fc.constantFrom('415', '212', '312', '646', '206', '503', '617'),
    n: fc.integer({ min: 10, max: 99 }),
  })
  .map(({ format, area, n }) => {
    const text = format.replace('AAA', area).replace('A', area.slice(-1)).replace('NN', String(n));
    return { kind: 'phone' as const, text, needles: [text.toLowerCase(), digitsOnly(text)] };
  })
  .filter((p) => !corpusDigits.includes(p.needles[1] as string));

const ipv4Arb: fc.Arbitrary<PiiValue> = fc
  .record({
    net: fc.constantFrom('203.0.113', '198.51.100', '192.0.2'),
    host: fc.integer({ min: 100, max: 254 }),
  })
  .map(({ net, host }) => {
    const text = `${net}.${host}`;
    return { kind: 'ipv4' as const, text, needles: [text] };
  });

const ipv6Arb: fc.Arbitrary<PiiValue> = fc
  .record({
    form: fc.constantFrom('compressed', 'zone', 'bracketed', 'full', 'mapped'),
    hex: fc.integer({ min: 0x1000, max: 0xffff }).map((n) => n.toString(16)),
    host: fc.integer({ min: 100, max: 254 }),
  })
  .map(({ form, hex, host }): PiiValue => {
    const v = (text: string, ...needles: string[]): PiiValue => ({ kind: 'ipv6', text, needles });
    if (form === 'compressed') return v(`2001:db8:85a3::8a2e:370:${hex}`, `2001:db8:85a3::8a2e:370:${hex}`);
    if (form === 'zone') return v(`fe80::1ff:fe23:4567:${hex}%eth0`, `fe80::1ff:fe23:4567:${hex}`);
    if (form === 'bracketed') return v(`[2001:db8::ff00:42:${hex}]:8443`, `2001:db8::ff00:42:${hex}`);
    if (form === 'full') {
      const a = `2001:DB8:0:0:8:800:200C:${hex.toUpperCase()}`;
      return v(a, a.toLowerCase());
    }
    return v(`::ffff:198.51.100.${host}`, `::ffff:198.51.100.${host}`, `198.51.100.${host}`);
  });

export const piiValueArb: fc.Arbitrary<PiiValue> = fc
  .oneof({ weight: 3, arbitrary: emailArb }, { weight: 3, arbitrary: phoneArb }, ipv4Arb, ipv6Arb)
  .filter((p) => p.needles.every((n) => !corpus.includes(n)));

/** Places the schema names as personal data (docs/schema.md §5), by source; planted there half of the time. */
const KNOWN_PLACES = [
  'attributes.destination_phone_number',
  'attributes.origination_phone_number',
  'attributes.feedback',
  'attributes.journey_send_status_message',
  'attributes.customer_context.userId',
  'client_context.custom.endpoint.Address',
  'client_context.custom.endpoint.User.UserId',
  'client.cognito_id',
  'facets.email_channel.mail_event.mail.destination[0]',
  'facets.email_channel.mail_event.mail.from_address',
  'facets.email_channel.mail_event.mail.common_headers.subject',
  'facets.email_channel.mail_event.click.link',
  'facets.email_channel.mail_event.click.ip_address',
  'facets.email_channel.mail_event.open.ip_address',
  'facets.email_channel.mail_event.open.user_agent',
  'facets.email_channel.mail_event.reject.reason',
  'facets.email_channel.mail_event.bounce.bounced_recipients[0].email_address',
  'facets.email_channel.mail_event.bounce.bounced_recipients[0].diagnostic_code',
  'facets.email_channel.mail_event.delivery.recipients[0]',
  'facets.email_channel.mail_event.complaint.complained_recipients[0].email_address',
  'destinationPhoneNumber',
  'originationPhoneNumber',
  'messageStatusDescription',
  'context.userId',
  'mail.source',
  'mail.destination[0]',
  'bounce.bouncedRecipients[0].emailAddress',
  'bounce.bouncedRecipients[0].diagnosticCode',
  'complaint.complainedRecipients[0].emailAddress',
  'delivery.recipients[0]',
  'click.link',
  'click.ipAddress',
  'open.ipAddress',
  'reject.reason',
  'failure.errorMessage',
  'protectConfiguration.protectStatus',
  'detail.originationPhoneNumber',
  'detail.messageStatusDescription',
  'detail.mail.source',
  'detail.mail.destination[0]',
  'detail.bounce.bouncedRecipients[0].emailAddress',
  'Message.mail.source',
  'Message.mail.destination[0]',
  'Message.bounce.bouncedRecipients[0].emailAddress',
  'Message.click.link',
  'Message.open.ipAddress',
  'TopicArn',
  'detail-type',
  'source',
];

/**
 * Places whose values are identifiers AWS or the sender's infrastructure mints (docs/schema.md §5, policy
 * `minted`): never scanned, by design — a message id shaped like a phone number must join the service's own
 * records. Nothing is planted there: what they hold is not a person's.
 */
const MINTED_PLACES = [
  /^((detail|Message)\.)?messageId$/,
  /^((detail|Message)\.)?mail\.messageId$/,
  /^((detail|Message)\.)?mail\.tags\.ses:configuration-set\[0\]$/,
  /^((detail|Message)\.)?configurationSet$/,
  /^((detail|Message)\.)?(rcsBusinessId|conversationInitiatingMessageId)$/,
  /^((detail|Message)\.)?registrationDetails\.registrationId$/,
  /^facets\.email_channel\.mail_event\.mail\.message_id$/,
  /^application\.app_id$/,
  /^attributes\.(message_id|campaign_id|campaign_activity_id|treatment_id|journey_id|journey_run_id|journey_activity_id)$/,
  // Envelopes: EventBridge's id and the configuration set in its resources, SNS's MessageId.
  /^(id|MessageId|resources\[\d+\])$/,
  /^Message\.(id|resources\[\d+\])$/,
];

/** A minted place, or anything inside one (a mutation may have made it an array or an object). */
const isMinted = (path: string) => {
  for (let p = path; ; ) {
    if (MINTED_PLACES.some((re) => re.test(p))) return true;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    if (cut <= 0) return false;
    p = p.slice(0, cut);
  }
};

type Placement = 'replace' | 'embed' | 'url' | 'urlQuery' | 'key';

interface PlantSpec {
  value: PiiValue;
  placement: Placement;
  known: boolean;
  pick: number;
}

const plantSpecArb: fc.Arbitrary<PlantSpec> = fc.record({
  value: piiValueArb,
  placement: fc.constantFrom<Placement>('replace', 'replace', 'embed', 'url', 'urlQuery', 'key'),
  known: fc.boolean(),
  pick: fc.nat(),
});

/**
 * Plants one to four values in an event (its embedded JSON strings opened first, so that the endpoint's
 * `Address` and `User.UserId` can be reached), and says where. Mutates the event.
 */
export const plantedArb: fc.Arbitrary<(event: JsonObject) => Planted[]> = fc
  .array(plantSpecArb, { minLength: 1, maxLength: 4 })
  .map((specs) => (event: JsonObject) => {
    const opened = openEmbedded(event);
    const planted: Planted[] = [];
    for (const spec of specs) {
      const slots = slotsOf(event);
      const { text } = spec.value;
      const plant = (where: string) =>
        planted.push({ kind: spec.value.kind, value: text, needles: spec.value.needles, where });
      if (spec.placement === 'key') {
        const maps = slots.filter((s) => {
          const v = getSlot(s);
          return v !== null && typeof v === 'object' && !Array.isArray(v);
        });
        const preferred = maps.filter((s) => /(^|\.)(attributes|metrics|context|tags)$/.test(s.path));
        const pool = spec.known && preferred.length > 0 ? preferred : maps;
        const target = pool.length > 0 ? (pool[spec.pick % pool.length] as Slot) : undefined;
        const obj = (target === undefined ? event : getSlot(target)) as JsonObject;
        const key = spec.pick % 2 === 0 ? text : `contact_${text}`;
        const value = target?.path.endsWith('metrics') ? 1 : target?.path.endsWith('tags') ? ['v'] : 'v';
        setOwn(obj, key, value);
        plant(`key of ${target?.path ?? '(root)'}`);
        continue;
      }
      const strings = slots.filter((s) => typeof getSlot(s) === 'string' && !isMinted(s.path));
      const known = strings.filter((s) => KNOWN_PLACES.includes(s.path));
      const pool = spec.known && known.length > 0 ? known : strings;
      if (pool.length === 0) continue;
      const slot = pool[spec.pick % pool.length] as Slot;
      const original = getSlot(slot) as string;
      const inUrl = spec.value.kind === 'email' ? text.replace('@', '%40') : encodeURIComponent(text);
      const value =
        spec.placement === 'replace'
          ? text
          : spec.placement === 'embed'
            ? `${original.slice(0, 40)} contact ${text} for details`
            : spec.placement === 'url'
              ? `https://links.example.com/u/${inUrl}/unsubscribe`
              : `https://links.example.com/c?to=${inUrl}&t=1#${inUrl}`;
      setOwn(slot.parent, slot.key, value);
      plant(`${slot.path} (${spec.placement})`);
    }
    closeEmbedded(event, opened);
    return planted;
  });

// ---------------------------------------------------------------------------------------------------------
// Search.

function containsNeedle(haystack: string, needle: string, kind: PiiKind): boolean {
  if (kind !== 'ipv4') return haystack.includes(needle);
  // An IPv4 address is found only as a whole (203.0.113.10 is not in 203.0.113.101).
  let from = 0;
  for (;;) {
    const i = haystack.indexOf(needle, from);
    if (i === -1) return false;
    const before = haystack[i - 1];
    const after = haystack[i + needle.length];
    const next = haystack[i + needle.length + 1];
    const digit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
    if (!digit(before) && before !== '.' && !digit(after) && !(after === '.' && digit(next))) return true;
    from = i + 1;
  }
}

export interface Leak {
  planted: Planted;
  needle: string;
  /** Where in the output: a path inside a parsed object, or a description. */
  at: string;
}

/** Every planted value found in one text. */
export function leaksInText(text: string, planted: readonly Planted[], at: string): Leak[] {
  const lower = text.toLowerCase();
  const out: Leak[] = [];
  for (const p of planted) {
    for (const needle of p.needles) {
      if (containsNeedle(lower, needle, p.kind)) {
        out.push({ planted: p, needle, at });
        break;
      }
    }
  }
  return out;
}

/** Every planted value found in a parsed output, with the path of the key or value that holds it. */
export function leaksInValue(value: unknown, planted: readonly Planted[], at: string): Leak[] {
  const out: Leak[] = [];
  const walk = (v: unknown, path: string) => {
    if (typeof v === 'string' || typeof v === 'number') {
      out.push(...leaksInText(String(v), planted, path));
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => {
        walk(x, `${path}[${i}]`);
      });
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        out.push(...leaksInText(k, planted, `key of ${path}`));
        walk(x, `${path}.${k}`);
      }
    }
  };
  walk(value, at);
  return out;
}
