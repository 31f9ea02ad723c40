import fc from 'fast-check';
import { FAMILIES, rawEvents } from '../helpers/runtime';
import { clip } from '../helpers/show';
import { expectedEventType, isEventBridge, isSnsNotification } from './eventTypes';
import { type Planted, plantedArb } from './personalData';
import {
  closeEmbedded,
  getSlot,
  type JsonObject,
  openEmbedded,
  removeSlot,
  renameSlot,
  type Slot,
  setOwn,
  slotsOf,
} from './slots';

/**
 * Generators of stream records for the fuzz suite: the real service events of events/raw/*.json, mutated
 * (fields dropped, types changed, huge or odd strings, numbers as strings, nested objects where strings are
 * expected, hostile keys), wrapped in messy but valid bytes, or replaced by garbage. Every generated record
 * says what it is (`label`) and what must become of it (`expect`), for readable failure messages.
 */

/**
 * The raw files the generators start from: every source's own events, and the same events in the envelopes
 * they arrive in (EventBridge, SNS), so that mutations and planted values reach both the envelopes and what they
 * carry.
 */
export const FIXTURE_FAMILIES = [
  ...FAMILIES,
  'eum-not-sent',
  'rcs',
  'eum-eventbridge',
  'ses-eventbridge',
  'ses-sns',
] as const;

export type FixtureFamily = (typeof FIXTURE_FAMILIES)[number];

export interface Fixture {
  family: FixtureFamily;
  label: string;
  event: JsonObject;
}

export const FIXTURES: readonly Fixture[] = FIXTURE_FAMILIES.flatMap((family) =>
  rawEvents(family).map((event, i) => ({ family, label: `${family}[${i}]`, event })),
);

/** The source each fixture family must be normalized as (README: source detection). */
export const SOURCE_OF: Readonly<Record<FixtureFamily, string>> = {
  app: 'pinpoint',
  campaign: 'pinpoint',
  journey: 'pinpoint',
  email: 'pinpoint',
  sms: 'pinpoint',
  eum: 'end_user_messaging',
  ses: 'ses',
  'eum-not-sent': 'end_user_messaging',
  rcs: 'end_user_messaging',
  'eum-eventbridge': 'end_user_messaging',
  'ses-eventbridge': 'ses',
  'ses-sns': 'ses',
};

/**
 * `ok`: must be normalized (or dropped by a rule), never quarantined — the fixtures and the messy-but-valid
 * variants the README promises to accept. `poison`: must be quarantined (bad base64, invalid UTF-8, broken
 * JSON, not an object, no event type). `either`: no promise either way, only the general invariants.
 */
export type Expectation = 'ok' | 'poison' | 'either';

export interface GenRecord {
  /** The envelope's `data`: base64 of the bytes, or garbage that is not base64 at all. */
  data: string;
  label: string;
  expect: Expectation;
  /** For `ok` records made from a fixture: what the normalized record must say. */
  source?: string;
  eventType?: string;
  /** Personal data planted in the record (personal-data properties only). */
  planted: Planted[];
}

const b64 = (bytes: Buffer | string) =>
  (typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes).toString('base64');

// ---------------------------------------------------------------------------------------------------------
// Values and keys that real streams and hostile producers send.

/** Keys that find Object.prototype members on a plain lookup, and other awkward names. */
export const HOSTILE_KEYS = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '',
  ' ',
  'a.b',
  'UPPER_Case',
  'ключ',
  '🙂',
  'tab\tkey',
  'new\nline',
  'k'.repeat(300),
];

const numberLike = fc.constantFrom(
  0,
  -1,
  1.5,
  -0.5,
  1e21,
  1e308,
  -1e308,
  2 ** 53 + 2,
  2 ** 31,
  2 ** 31 - 1,
  -(2 ** 31) - 1,
  5e-324,
  1763610800.845,
  1763610800845.5,
  1e20,
);

const stringLike = fc.constantFrom(
  '',
  ' ',
  '0',
  '1.5',
  ' 42 ',
  '1e400',
  '-1',
  '-0',
  'NaN',
  'Infinity',
  '0x1F',
  '1,000',
  'true',
  'null',
  '2025-11-20T18:59:20.117Z',
  '2025-11-20',
  '2025-11-20T18:59:20+05:30',
  '2025-11-20 18:59',
  '2025-13-45T99:99:99Z',
  '9999-12-31T23:59:59.999Z',
  '+275760-09-13T00:00:00.000Z',
  '1970-01-01T00:00:00Z',
  '1763610800',
  '1763610800845',
  '17636108008450000',
  '\u0000',
  '\uFEFF',
  '\u2028\u2029',
  'Ünïcödé ✓ 中文 🙂',
);

/** Long but not pathological strings (the bounded-time tests feed the hostile ones, at 1 MB). */
const hugeString = fc
  .record({
    chunk: fc.constantFrom('x', 'ab', 'é', '🙂', 'lorem ipsum ', '中文', '\\"'),
    n: fc.integer({ min: 200, max: 1500 }),
  })
  .map(({ chunk, n }) => chunk.repeat(n));

/** Any value a hostile or buggy producer may put where the schema expects something else. */
export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 3, arbitrary: numberLike },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 4, arbitrary: stringLike },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: fc.constantFrom({}, [], [''], { value: 'x' }, [null]) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

// ---------------------------------------------------------------------------------------------------------
// Mutations of a parsed event.

type Mutation =
  | { pick: number; focus: boolean; op: 'delete' }
  | { pick: number; focus: boolean; op: 'set'; value: unknown }
  | { pick: number; focus: boolean; op: 'rename'; key: string }
  | { pick: number; focus: boolean; op: 'add'; key: string; value: unknown }
  | { pick: number; focus: boolean; op: 'numberAsString' }
  | { pick: number; focus: boolean; op: 'wrap'; how: 'object' | 'array' }
  | { pick: number; focus: boolean; op: 'case'; how: 'upper' | 'lower' };

const pick = fc.nat();
/** Most mutations hit a field the normalizers read (docs/schema.md §2), the rest anything at all. */
const focus = fc.integer({ min: 0, max: 9 }).map((n) => n < 7);

/** Paths the normalizers read, by docs/schema.md §2 (array indices included). */
const READ_PATHS = [
  /^(event_type|event_timestamp|arrival_timestamp|awsAccountId|eventType|notificationType|eventTimestamp)$/,
  /^(messageId|messageType|totalMessageParts|messageStatus|messageStatusDescription|isFinal|totalMessagePrice)$/,
  /^(totalCarrierFee|destinationPhoneNumber|originationPhoneNumber|isoCountryCode|messageRequestTimestamp)$/,
  /^(mcc|mnc|messageEncoding|isInternationalSend|configurationSet|carrierName)$/,
  /^(rcsBusinessId|agentIsoCountryCode|conversationInitiatingMessageId|conversationInitiatingMessageType)$/,
  /^(conversationSessionFee|rcsMetadata(\.billingEventType)?|protectConfiguration(\..*)?)$/,
  /^registrationDetails(\.(registrationId|registrationType|registrationVersionNumber|registrationStatusChangeTimestamp|currentStatus))?$/,
  // The envelopes: EventBridge and SNS.
  /^(detail-type|source|id|time|account|resources(\[\d+\])?|detail)$/,
  /^(Type|MessageId|TopicArn|Message|Timestamp)$/,
  /^application(\.(app_id|version_name|sdk(\.name)?))?$/,
  /^client(\.client_id)?$/,
  /^(attributes|metrics|context)(\..*)?$/,
  /^session(\.(session_id|start_timestamp|stop_timestamp))?$/,
  /^device(\.(make|model|platform(\.name)?|locale(\.(code|country))?))?$/,
  /^client_context(\.custom(\.endpoint(\.(ChannelType|EndpointStatus|OptOut|Address|User(\.UserId)?))?)?)?$/,
  /^facets(\.email_channel(\.mail_event(\.(mail(\.(message_id|destination|from_address).*)?|bounce.*|complaint.*|delivery.*|open.*|click.*|reject.*|failure.*))?)?)?$/,
  /^mail(\.(timestamp|sendingAccountId|messageId|destination|source|tags).*)?$/,
  /^(send|delivery|bounce|complaint|reject|open|click|failure|deliveryDelay|subscription)(\..*)?$/,
];

/** What an envelope carries is read as that event is: `detail.` and `Message.` lead to its own paths. */
const ENVELOPE_PREFIX = /^(detail|Message)\./;

export function isReadPath(path: string): boolean {
  const inner = path.replace(ENVELOPE_PREFIX, '').replace(ENVELOPE_PREFIX, '');
  return READ_PATHS.some((re) => re.test(inner));
}

/** Keys that find Object.prototype members on a plain lookup come first: they break maps in subtle ways. */
const keyArb = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString'),
  fc.constantFrom(...HOSTILE_KEYS),
  fc.string({ maxLength: 12 }),
);

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ pick, focus, op: fc.constant('delete' as const) }) },
  { weight: 5, arbitrary: fc.record({ pick, focus, op: fc.constant('set' as const), value: oddValue }) },
  {
    weight: 1,
    arbitrary: fc.record({
      pick,
      focus,
      op: fc.constant('rename' as const),
      key: keyArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      pick,
      focus,
      op: fc.constant('add' as const),
      key: keyArb,
      value: oddValue,
    }),
  },
  { weight: 2, arbitrary: fc.record({ pick, focus, op: fc.constant('numberAsString' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      pick,
      focus,
      op: fc.constant('wrap' as const),
      how: fc.constantFrom('object', 'array'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      pick,
      focus,
      op: fc.constant('case' as const),
      how: fc.constantFrom('upper', 'lower'),
    }),
  },
);

function preview(value: unknown): string {
  try {
    return clip(JSON.stringify(value) ?? String(value), 40);
  } catch {
    return typeof value;
  }
}

/** Applies one mutation; returns what it did, or undefined when it found nothing to apply to. */
function applyMutation(event: JsonObject, m: Mutation): string | undefined {
  const slots = slotsOf(event);
  if (m.op === 'add') {
    const objects: Array<{ target: JsonObject; path: string }> = [{ target: event, path: '' }];
    for (const s of slots) {
      const v = getSlot(s);
      if (v !== null && typeof v === 'object' && !Array.isArray(v))
        objects.push({ target: v as JsonObject, path: s.path });
    }
    // Focused adds go into the maps the normalizers copy (attributes, metrics, EUM context, SES tags).
    const read = m.focus
      ? objects.filter((o) => /(^|\.)(attributes|metrics|context|tags)$/.test(o.path))
      : [];
    const pool = read.length > 0 ? read : objects;
    const o = pool[m.pick % pool.length] as (typeof objects)[number];
    setOwn(o.target, m.key, m.value);
    return `add ${o.path === '' ? '' : `${o.path}.`}${JSON.stringify(clip(m.key, 20))} = ${preview(m.value)}`;
  }
  const read = m.focus ? slots.filter((s) => isReadPath(s.path)) : [];
  const pool = read.length > 0 ? read : slots;
  if (pool.length === 0) return undefined;
  const slot = pool[m.pick % pool.length] as Slot;
  const value = getSlot(slot);
  switch (m.op) {
    case 'delete':
      removeSlot(slot);
      return `delete ${slot.path}`;
    case 'set':
      setOwn(slot.parent, slot.key, m.value);
      return `set ${slot.path} = ${preview(m.value)}`;
    case 'rename':
      if (Array.isArray(slot.parent)) return undefined;
      renameSlot(slot, m.key);
      return `rename ${slot.path} → ${JSON.stringify(clip(m.key, 20))}`;
    case 'numberAsString':
      if (typeof value !== 'number') return undefined;
      setOwn(slot.parent, slot.key, String(value));
      return `${slot.path} as the string "${value}"`;
    case 'wrap':
      setOwn(slot.parent, slot.key, m.how === 'object' ? { value } : [value]);
      return `wrap ${slot.path} in ${m.how === 'object' ? '{value: …}' : '[…]'}`;
    case 'case':
      if (typeof value !== 'string') return undefined;
      setOwn(slot.parent, slot.key, m.how === 'upper' ? value.toUpperCase() : value.toLowerCase());
      return `${m.how}-case ${slot.path}`;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Bytes around the JSON: what the README promises to accept (BOM, whitespace, trailing newline, pretty JSON).

type Framing = 'compact' | 'pretty' | 'bom' | 'whitespace' | 'newline' | 'crlf' | 'bom+whitespace';

const framingArb = fc.oneof(
  { weight: 8, arbitrary: fc.constant<Framing>('compact') },
  {
    weight: 3,
    arbitrary: fc.constantFrom<Framing>('pretty', 'bom', 'whitespace', 'newline', 'crlf', 'bom+whitespace'),
  },
);

function frame(event: JsonObject, framing: Framing): string {
  const json = framing === 'pretty' ? JSON.stringify(event, null, 2) : JSON.stringify(event);
  switch (framing) {
    case 'compact':
    case 'pretty':
      return json;
    case 'bom':
      return `\uFEFF${json}`;
    case 'whitespace':
      return ` \t${json} \t `;
    case 'newline':
      return `${json}\n`;
    case 'crlf':
      return `${json}\r\n`;
    case 'bom+whitespace':
      return `\uFEFF\n  ${json}\n\n`;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Records.

export const fixtureArb = fc.constantFrom(...FIXTURES);

/** A fixture exactly as the service sends it, in one of the accepted framings: must be normalized. */
export const pristineArb: fc.Arbitrary<GenRecord> = fc
  .record({ fixture: fixtureArb, framing: framingArb })
  .map(({ fixture, framing }) => ({
    data: b64(frame(fixture.event, framing)),
    label: `${fixture.label} (${framing})`,
    expect: 'ok',
    source: SOURCE_OF[fixture.family],
    eventType: typeOf(fixture.event),
    planted: [],
  }));

/** The event type a fixture's record gets (through its envelopes, if any: test/fuzz/eventTypes.ts). */
function typeOf(event: JsonObject): string {
  return String(expectedEventType(event));
}

/**
 * Messy but valid, as the README lists it: numbers as strings, timestamps in seconds, missing
 * `device`/`session`, a broken endpoint string, unknown extra keys. Must still be normalized, as the fixture's
 * own source and event type.
 */
type Benign =
  | 'timestampAsString'
  | 'timestampInSeconds'
  | 'noDevice'
  | 'noSession'
  | 'brokenEndpoint'
  | 'extraKey';

const benignArb: fc.Arbitrary<GenRecord> = fc
  .record({
    fixture: fixtureArb,
    changes: fc.uniqueArray(
      fc.constantFrom<Benign>(
        'timestampAsString',
        'timestampInSeconds',
        'noDevice',
        'noSession',
        'brokenEndpoint',
        'extraKey',
      ),
      { minLength: 1, maxLength: 3 },
    ),
    framing: framingArb,
  })
  .map(({ fixture, changes, framing }) => {
    const event = structuredClone(fixture.event);
    const done: string[] = [];
    for (const c of changes) {
      const tsKey = 'event_timestamp' in event ? 'event_timestamp' : 'eventTimestamp';
      if (c === 'timestampAsString' && typeof event[tsKey] === 'number') {
        event[tsKey] = String(event[tsKey]);
        done.push(`${tsKey} as string`);
      } else if (c === 'timestampInSeconds' && typeof event[tsKey] === 'number') {
        event[tsKey] = (event[tsKey] as number) / 1000;
        done.push(`${tsKey} in seconds`);
      } else if (c === 'noDevice' && 'device' in event) {
        delete event.device;
        done.push('no device');
      } else if (c === 'noSession' && 'session' in event) {
        delete event.session;
        done.push('no session');
      } else if (c === 'brokenEndpoint') {
        const custom = (event.client_context as { custom?: JsonObject } | undefined)?.custom;
        if (custom !== undefined && typeof custom.endpoint === 'string') {
          custom.endpoint = custom.endpoint.slice(0, Math.floor(custom.endpoint.length / 2));
          done.push('broken endpoint string');
        }
      } else if (c === 'extraKey') {
        event.fuzz_extra = { nested: [1, 'two', null] };
        done.push('extra key');
      }
    }
    return {
      data: b64(frame(event, framing)),
      label: `${fixture.label} [${done.join('; ') || 'unchanged'}] (${framing})`,
      expect: 'ok' as const,
      source: SOURCE_OF[fixture.family],
      eventType: typeOf(fixture.event),
      planted: [],
    };
  });

/** A fixture with up to five arbitrary mutations: no promise beyond the general invariants. */
export const mutatedEventArb: fc.Arbitrary<{ event: JsonObject; label: string }> = fc
  .record({
    fixture: fixtureArb,
    mutations: fc.array(mutationArb, { minLength: 1, maxLength: 5 }),
  })
  .map(({ fixture, mutations }) => {
    const event = structuredClone(fixture.event);
    const opened = openEmbedded(event);
    const done: string[] = [];
    for (const m of mutations) {
      const d = applyMutation(event, m);
      if (d !== undefined) done.push(d);
    }
    closeEmbedded(event, opened);
    return { event, label: `${fixture.label} [${done.join('; ')}]` };
  });

const mutatedArb: fc.Arbitrary<GenRecord> = fc
  .record({ mutated: mutatedEventArb, framing: framingArb })
  .map(({ mutated, framing }) => ({
    data: b64(frame(mutated.event, framing)),
    label: `${mutated.label} (${framing})`,
    expect: 'either',
    planted: [],
  }));

/** Prefix of the event types the fuzz rules file drops (`fuzz-drop`, test/fuzz/rules.fuzz.yaml). */
export const DROP_PREFIX = 'fuzz.drop.';

/**
 * Gives an event (or the event its envelope carries) another type; false when its type is not its own to give
 * (a registration's record is typed by what it is).
 */
function renameType(event: JsonObject, type: string): boolean {
  if (isEventBridge(event)) {
    const detail = event.detail as JsonObject;
    if (event.source === 'aws.sms-voice' && typeof detail.registrationDetails === 'object') return false;
    if (detail.eventType === undefined) return false;
    detail.eventType = type;
    return true;
  }
  if (isSnsNotification(event)) {
    const inner = JSON.parse(event.Message as string) as JsonObject;
    if (!renameType(inner, type)) return false;
    event.Message = JSON.stringify(inner);
    return true;
  }
  if ('event_type' in event) event.event_type = type;
  else event.eventType = type;
  return true;
}

const RENAMABLE = FIXTURES.filter((f) => renameType(structuredClone(f.event), 'x'));

/** A fixture renamed to an event type the fuzz rules drop: must come out `Dropped`, never normalized. */
const dropArb: fc.Arbitrary<GenRecord> = fc
  .record({
    fixture: fc.constantFrom(...RENAMABLE),
    suffix: fc.string({ maxLength: 8 }),
    upper: fc.boolean(),
  })
  .map(({ fixture, suffix, upper }) => {
    const event = structuredClone(fixture.event);
    const type = `${upper ? DROP_PREFIX.toUpperCase() : DROP_PREFIX}${suffix}`;
    renameType(event, type);
    return {
      data: b64(JSON.stringify(event)),
      label: `${fixture.label} renamed ${JSON.stringify(type)}`,
      expect: 'ok',
      planted: [],
    };
  });

// ---------------------------------------------------------------------------------------------------------
// Garbage: what a stream holds when something other than the services writes to it.

const compactFixture = fixtureArb.map((f) => ({ f, text: JSON.stringify(f.event) }));

const INVALID_UTF8 = [
  [0xff],
  [0xc0, 0x80],
  [0x80],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
];

const garbageArb: fc.Arbitrary<GenRecord> = fc.oneof(
  // Not base64: characters outside the alphabet (the strict decoder's job).
  fc
    .record({
      c: compactFixture,
      at: fc.nat(),
      ch: fc.constantFrom('!', '*', '#', '\u0141', '\u00e9', '\u0000'),
    })
    .map(({ c, at, ch }) => {
      const data = b64(c.text);
      const i = at % data.length;
      return {
        data: `${data.slice(0, i)}${ch}${data.slice(i + 1)}`,
        label: `${c.f.label} base64 with ${JSON.stringify(ch)} at ${i}`,
        expect: 'poison' as const,
        planted: [],
      };
    }),
  // Odd base64: URL-safe alphabet, missing padding, line breaks — not promised either way.
  fc.record({ c: compactFixture, how: fc.constantFrom('urlsafe', 'unpadded', 'mime') }).map(({ c, how }) => {
    const data = b64(`${c.text} `);
    const odd =
      how === 'urlsafe'
        ? data.replace(/\+/g, '-').replace(/\//g, '_')
        : how === 'unpadded'
          ? data.replace(/=+$/, '')
          : (data.match(/.{1,76}/g) ?? []).join('\r\n');
    return { data: odd, label: `${c.f.label} ${how} base64`, expect: 'either' as const, planted: [] };
  }),
  // Invalid UTF-8 inside otherwise valid JSON.
  fc
    .record({ c: compactFixture, at: fc.nat(), bad: fc.constantFrom(...INVALID_UTF8) })
    .map(({ c, at, bad }) => {
      const bytes = Buffer.from(c.text, 'utf8');
      const i = at % bytes.length;
      const data = Buffer.concat([bytes.subarray(0, i), Buffer.from(bad), bytes.subarray(i)]);
      return {
        data: b64(data),
        label: `${c.f.label} with invalid UTF-8 ${Buffer.from(bad).toString('hex')} at byte ${i}`,
        expect: 'poison' as const,
        planted: [],
      };
    }),
  // Truncated JSON.
  fc.record({ c: compactFixture, at: fc.nat() }).map(({ c, at }) => {
    const cut = 1 + (at % (c.text.length - 1));
    return {
      data: b64(c.text.slice(0, cut)),
      label: `${c.f.label} truncated to ${cut} of ${c.text.length} chars`,
      expect: 'poison' as const,
      planted: [],
    };
  }),
  // Valid JSON that is not an object, or an object with no event type.
  fc
    .oneof(
      compactFixture.map((c) => ({ text: `[${c.text}]`, what: `${c.f.label} in an array` })),
      compactFixture.map((c) => ({ text: JSON.stringify(c.text), what: `${c.f.label} as a JSON string` })),
      fc
        .constantFrom(
          '[]',
          '1',
          '-0.5',
          '"text"',
          'true',
          'false',
          'null',
          '{}',
          '{"event_type":""}',
          '{"eventType":""}',
          '{"eventType":null}',
          '{"event_version":"3.1"}',
        )
        .map((text) => ({ text, what: text })),
      fc
        .jsonValue({ maxDepth: 2 })
        .filter((v) => v === null || typeof v !== 'object' || Array.isArray(v))
        .map((v) => ({ text: JSON.stringify(v), what: 'a JSON scalar or array' })),
    )
    .map(({ text, what }) => ({ data: b64(text), label: what, expect: 'poison' as const, planted: [] })),
  // Empty, whitespace only, BOM only.
  fc.constantFrom('', ' ', '\n', '\r\n\t ', '\uFEFF', '\uFEFF \n').map((text) => ({
    data: b64(text),
    label: `empty/whitespace ${JSON.stringify(text)}`,
    expect: 'poison' as const,
    planted: [],
  })),
  // An event with its type taken away (an envelope with its own: then it is no envelope either).
  fixtureArb.map((f) => {
    const event = structuredClone(f.event);
    delete event.event_type;
    delete event.eventType;
    delete event['detail-type'];
    delete event.Type;
    return {
      data: b64(JSON.stringify(event)),
      label: `${f.label} without its event type`,
      expect: 'poison' as const,
      planted: [],
    };
  }),
  // Random bytes.
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => ({
    data: b64(Buffer.from(bytes)),
    label: `random bytes ${Buffer.from(bytes).toString('hex').slice(0, 32)}`,
    expect: 'either' as const,
    planted: [],
  })),
  // Moderately deep nesting inside an otherwise valid event (the 5,000-deep case is a test of its own).
  fc.record({ f: fixtureArb, depth: fc.integer({ min: 10, max: 200 }) }).map(({ f, depth }) => {
    const text = JSON.stringify(f.event);
    const nested = `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    return {
      data: b64(`${text.slice(0, -1)},"fuzz_nested":${nested}}`),
      label: `${f.label} with ${depth}-deep nesting`,
      expect: 'either' as const,
      planted: [],
    };
  }),
);

/**
 * App ids that are Object.prototype members, next to apps APP_METADATA lists (test/fuzz/fuzzRuntime.ts) and
 * one it does not: only the listed ones may get app_name, app_environment and app_owner.
 */
export const APP_IDS = [
  'constructor',
  'toString',
  '__proto__',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6',
  'f0e1d2c3b4a5968778695a4b3c2d1e0f',
  '00000000000000000000000000000000',
];

const PINPOINT_FIXTURES = FIXTURES.filter((f) => SOURCE_OF[f.family] === 'pinpoint');

export const appIdArb: fc.Arbitrary<GenRecord> = fc
  .record({ fixture: fc.constantFrom(...PINPOINT_FIXTURES), appId: fc.constantFrom(...APP_IDS) })
  .map(({ fixture, appId }) => {
    const event = structuredClone(fixture.event);
    event.application = { ...(event.application as JsonObject), app_id: appId };
    return {
      data: b64(JSON.stringify(event)),
      label: `${fixture.label} with app_id ${JSON.stringify(appId)}`,
      expect: 'ok' as const,
      source: 'pinpoint',
      eventType: typeOf(fixture.event),
      planted: [],
    };
  });

/** The record mix of the batch properties. */
export const recordArb: fc.Arbitrary<GenRecord> = fc.oneof(
  { weight: 2, arbitrary: pristineArb },
  { weight: 2, arbitrary: benignArb },
  { weight: 8, arbitrary: mutatedArb },
  { weight: 1, arbitrary: dropArb },
  { weight: 1, arbitrary: appIdArb },
  { weight: 3, arbitrary: garbageArb },
);

/** A fixture, lightly mutated or not, with personal data planted in it. */
export const plantedRecordArb: fc.Arbitrary<GenRecord> = fc
  .record({
    base: fc.oneof(
      { weight: 2, arbitrary: fixtureArb.map((f) => ({ event: structuredClone(f.event), label: f.label })) },
      { weight: 1, arbitrary: mutatedEventArb },
    ),
    plant: plantedArb,
    framing: framingArb,
  })
  .map(({ base, plant, framing }) => {
    const event = base.event;
    const planted = plant(event);
    return {
      data: b64(frame(event, framing)),
      label: `${base.label} planted: ${planted.map((p) => `${p.value} at ${p.where}`).join(', ')}`,
      expect: 'either' as const,
      planted,
    };
  });

export function batchArb(record: fc.Arbitrary<GenRecord>, size: number): fc.Arbitrary<GenRecord[]> {
  return fc.array(record, { minLength: size, maxLength: size });
}
