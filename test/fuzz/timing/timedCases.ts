import { FIXTURES, type Fixture, isReadPath } from '../arbitraries';
import { closeEmbedded, getSlot, type JsonObject, openEmbedded, setOwn, slotsOf } from '../slots';

/**
 * Where the bounded-time tests put 1 MB values: every string (or number) field the normalizers read, in the
 * shape of every family (docs/schema.md §2, found in the fixtures of events/raw/), and a key of every map
 * they copy (Pinpoint attributes and metrics, End User Messaging context, SES tags).
 */
export interface Place {
  fixture: Fixture;
  /** A path as slotsOf writes it (`facets.email_channel.mail_event.mail.destination[0]`), or the map's path for a key. */
  path: string;
  kind: 'value' | 'key';
}

export const ONE_MB = 1_000_000;

function fill(unit: string, size: number): string {
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

/**
 * The hostile shapes, each `size` characters: what makes a scanner that backtracks (or rescans) take
 * quadratic time or worse. Exact lengths, so that every case has the same record size.
 */
export const PATTERNS: Readonly<Record<string, (size: number) => string>> = {
  'a@a@…': (n) => fill('a@', n),
  'aaa…@aaa…': (n) => `${fill('a', n / 2 - 1)}@${fill('a', n / 2)}`,
  '1.1.1.1…': (n) => fill('1.', n),
  '::::…': (n) => fill(':', n),
  '%40%40…': (n) => fill('%40', n),
  'digit run': (n) => fill('1234567890', n),
  '+1+1…': (n) => fill('+1', n),
  'one long word': (n) => fill('x', n),
  'URL with a long path and query': (n) =>
    `https://links.example.com/${fill('a%40b.', n / 2 - 40)}?to=${fill('%40', n / 2 - 40)}#${fill('1.', 30)}`,
};

/** All patterns, one after the other, in one value: a place that survives this survives each of them. */
export function hostileMix(size: number): string {
  const names = Object.keys(PATTERNS);
  const part = Math.floor(size / names.length);
  return names.map((name) => (PATTERNS[name] as (n: number) => string)(part)).join('');
}

const MAPS = /(^|\.)(attributes|metrics|context|tags|protectConfiguration)$/;

/** A member of a copied map: `attributes.x`, `metrics.x`, `context.x`, `mail.tags.x[0]`. */
const MAP_MEMBER = /^(attributes|metrics|context|mail\.tags)\.([^.[]+)/;

/**
 * Map members the docs name (docs/schema.md §2) or the fuzz rules match on: each a place of its own. Other
 * members all take the same path through the code, so one of each map stands for them.
 */
const NAMED_MEMBERS = new Set([
  'campaign_id',
  'campaign_activity_id',
  'treatment_id',
  'journey_id',
  'journey_run_id',
  'journey_activity_id',
  'journey_activity_type',
  'journey_send_status',
  'journey_send_status_message',
  'journey_send_status_code',
  'delivery_type',
  'campaign_send_status',
  'record_status',
  'message_id',
  'message_type',
  'number_of_message_parts',
  'iso_country_code',
  'destination_phone_number',
  'origination_phone_number',
  'customer_context',
  'feedback',
  'campaign',
  'price_in_millicents_usd',
  'userId',
  'orderId',
]);

/** The shape a fixture's event has: Pinpoint, End User Messaging (text, voice, MMS, RCS), SES, or an envelope. */
function sourceOf(f: Fixture): string {
  switch (f.family) {
    case 'eum':
    case 'eum-not-sent':
    case 'rcs':
      return 'eum';
    case 'ses':
      return 'ses';
    case 'eum-eventbridge':
    case 'ses-eventbridge':
    case 'ses-sns':
      return f.family;
    default:
      return 'pinpoint';
  }
}

const ENVELOPE_PREFIX = /^(detail|Message)\./;

/**
 * A place's key for deduplication: what an envelope carries (`detail.x`, `Message.x`) is the place `x` of the
 * carried source, read by the same code as the bare event's (so placed once); the envelope's own fields are
 * places of the envelope.
 */
function placeKey(f: Fixture, path: string): string {
  const inner = path.replace(ENVELOPE_PREFIX, '');
  if (inner === path) return `${sourceOf(f)} ${path}`;
  return `${f.family === 'eum-eventbridge' ? 'eum' : f.family === 'ses-sns' || f.family === 'ses-eventbridge' ? 'ses' : sourceOf(f)} ${inner}`;
}

/** Every read place of every source, each in the first fixture that has it. */
export function readPlaces(): Place[] {
  const seen = new Set<string>();
  const places: Place[] = [];
  for (const fixture of FIXTURES) {
    const event = structuredClone(fixture.event);
    openEmbedded(event);
    for (const slot of slotsOf(event)) {
      const path = slot.path;
      const value = getSlot(slot);
      const generic = path.replace(/\[\d+\]/g, '[0]');
      const key = placeKey(fixture, generic);
      if (MAPS.test(path) && value !== null && typeof value === 'object' && !seen.has(`${key} key`)) {
        seen.add(`${key} key`);
        places.push({ fixture, path, kind: 'key' });
      }
      if ((typeof value !== 'string' && typeof value !== 'number') || path !== generic) continue;
      if (!isReadPath(path) || seen.has(key)) continue;
      seen.add(key);
      const member = MAP_MEMBER.exec(path.replace(ENVELOPE_PREFIX, ''));
      if (member !== null && !NAMED_MEMBERS.has(member[2] as string)) {
        const stand = `${placeKey(fixture, member[1] as string)} member`;
        if (seen.has(stand)) continue;
        seen.add(stand);
      }
      places.push({ fixture, path, kind: 'value' });
    }
  }
  // What the envelopes carry is placed once, with the bare source's places, above. A few places inside them
  // besides: the SNS message as a whole (plain text: no event), and a field of each carried event.
  for (const [family, path] of [
    ['ses-sns', 'Message'],
    ['ses-sns', 'Message.mail.source'],
    ['ses-eventbridge', 'detail.mail.source'],
    ['eum-eventbridge', 'detail.messageStatusDescription'],
    ['eum-eventbridge', 'detail.registrationDetails.currentStatus'],
  ] as const) {
    const fixture = FIXTURES.find((f) => f.family === family && slotOf(f, path));
    if (fixture !== undefined && !places.some((p) => p.fixture === fixture && p.path === path)) {
      places.push({ fixture, path, kind: 'value' });
    }
  }
  return places;
}

function slotOf(f: Fixture, path: string): boolean {
  const event = structuredClone(f.event);
  openEmbedded(event);
  return slotsOf(event).some((s) => s.path === path);
}

export function placeName(p: Place, what: string): string {
  return `${what} ${p.kind === 'key' ? `as a key of ${p.path}` : `in ${p.path}`} (${p.fixture.label})`;
}

/** The fixture's event with `value` at the place, as JSON text. */
export function eventWith(place: Place, value: string): string {
  const event: JsonObject = structuredClone(place.fixture.event);
  const opened = openEmbedded(event);
  const slot = slotsOf(event).find((s) => s.path === place.path);
  if (slot === undefined) throw new Error(`${place.fixture.label} has no ${place.path}`);
  if (place.kind === 'key') {
    const map = getSlot(slot) as JsonObject;
    setOwn(map, value, place.path.endsWith('metrics') ? 1 : place.path.endsWith('tags') ? ['v'] : 'v');
  } else {
    setOwn(slot.parent, slot.key, value);
  }
  closeEmbedded(event, opened);
  return JSON.stringify(event);
}

/** A few places of each kind for the one-pattern-at-a-time cases: free text, ids, keys, URLs, addresses. */
export const PATTERN_PLACES: ReadonlyArray<{ source: string; path: string; kind: Place['kind'] }> = [
  { source: 'pinpoint', path: 'event_type', kind: 'value' },
  { source: 'pinpoint', path: 'attributes.feedback', kind: 'value' },
  { source: 'pinpoint', path: 'attributes', kind: 'key' },
  { source: 'pinpoint', path: 'attributes.journey_send_status_message', kind: 'value' },
  { source: 'pinpoint', path: 'client_context.custom.endpoint.User.UserId', kind: 'value' },
  { source: 'eum', path: 'messageStatusDescription', kind: 'value' },
  { source: 'ses', path: 'click.link', kind: 'value' },
  { source: 'ses', path: 'mail.source', kind: 'value' },
];

export function patternPlaces(all: readonly Place[]): Place[] {
  return PATTERN_PLACES.map((want) => {
    const found = all.find(
      (p) => sourceOf(p.fixture) === want.source && p.path === want.path && p.kind === want.kind,
    );
    if (found === undefined) throw new Error(`no fixture has ${want.source} ${want.path}`);
    return found;
  });
}

export const DEPTH = 5_000;

/** `[[[…]]]` and `{"a":{"a":…}}`, `depth` levels deep, as JSON text (never built as objects here). */
export const DEEP = {
  array: (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`,
  object: (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
};

/** A record with `deep` (JSON text) at a place of a fixture, or as the whole record. */
export interface NestedCase {
  name: string;
  text: string;
  /** The nesting is inside the record's own JSON (not inside a JSON string it carries): it must be poison. */
  mustBePoison: boolean;
  /** …quarantined with a detail that says it is nested too deep (a top-level array is `not_an_object` anyway). */
  saysTooDeep: boolean;
}

const PLACEHOLDER = '__fuzz_deep_placeholder__';

function at(all: readonly Place[], source: string, path: string, kind: Place['kind'] = 'value'): Place {
  const p = all.find((x) => sourceOf(x.fixture) === source && x.path === path && x.kind === kind);
  if (p === undefined) throw new Error(`no fixture has ${source} ${path}`);
  return p;
}

export function nestedCases(all: readonly Place[], depth = DEPTH): NestedCase[] {
  const inPlace = (p: Place, deep: string, what: string): NestedCase => ({
    name: `${what} ${depth} deep in ${p.path} (${p.fixture.label})`,
    text: eventWith(p, PLACEHOLDER).replace(JSON.stringify(PLACEHOLDER), deep),
    mustBePoison: true,
    saysTooDeep: true,
  });
  const appEvent = JSON.stringify(FIXTURES[0]?.event);
  return [
    {
      name: `the whole record: an array ${depth} deep`,
      text: DEEP.array(depth),
      mustBePoison: true,
      saysTooDeep: false,
    },
    {
      name: `an object ${depth} deep under an unread key of an app event`,
      text: `${appEvent.slice(0, -1)},"fuzz_nested":${DEEP.object(depth)}}`,
      mustBePoison: true,
      saysTooDeep: true,
    },
    {
      name: `an array ${depth} deep under an unread key of an app event`,
      text: `${appEvent.slice(0, -1)},"fuzz_nested":${DEEP.array(depth)}}`,
      mustBePoison: true,
      saysTooDeep: true,
    },
    inPlace(at(all, 'pinpoint', 'attributes.feedback'), DEEP.object(depth), 'an object'),
    inPlace(at(all, 'pinpoint', 'attributes.campaign_send_status'), DEEP.array(depth), 'an array'),
    inPlace(at(all, 'pinpoint', 'metrics.price_in_millicents_usd'), DEEP.array(depth), 'an array'),
    // (The endpoint record is a JSON string: nesting inside it is the last case below.)
    inPlace(at(all, 'pinpoint', 'client.client_id'), DEEP.object(depth), 'an object'),
    inPlace(
      at(all, 'pinpoint', 'facets.email_channel.mail_event.mail.destination[0]'),
      DEEP.array(depth),
      'an array',
    ),
    inPlace(at(all, 'eum', 'context.userId'), DEEP.object(depth), 'an object'),
    inPlace(at(all, 'eum', 'messageStatusDescription'), DEEP.array(depth), 'an array'),
    inPlace(at(all, 'ses', 'mail.tags.campaign[0]'), DEEP.object(depth), 'an object'),
    inPlace(at(all, 'ses', 'bounce.bouncedRecipients[0].emailAddress'), DEEP.array(depth), 'an array'),
    {
      // Nested inside a JSON string (the endpoint record): the record itself is shallow, so either outcome is
      // fine — but not a stack overflow, and not unbounded time.
      name: `an endpoint record that is a JSON string nesting ${depth} deep`,
      text: eventWith(at(all, 'pinpoint', 'client_context.custom.endpoint.User.UserId'), PLACEHOLDER).replace(
        /"endpoint":"(?:[^"\\]|\\.)*"/,
        `"endpoint":${JSON.stringify(`{"User":${DEEP.object(depth)}}`)}`,
      ),
      mustBePoison: false,
      saysTooDeep: false,
    },
    {
      // Nested inside the SES event an SNS notification carries as a JSON string: the message is parsed as
      // the record was, and quarantined alike.
      name: `an SNS message whose SES event nests ${depth} deep`,
      text: JSON.stringify({
        Type: 'Notification',
        MessageId: '719a6bbf-f51b-5320-920f-3385b5e9aa56',
        Message: `{"eventType":"Send","mail":{"tags":${DEEP.object(depth)}}}`,
        Timestamp: '2025-11-20T19:02:28.032Z',
      }),
      mustBePoison: true,
      saysTooDeep: true,
    },
  ];
}
