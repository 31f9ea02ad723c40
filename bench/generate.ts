/**
 * Deterministic (seeded) generator of the benchmark's batches, built from the sample events in events/raw.
 * Two mixes of the same families in the same shares of events (48% Pinpoint email, 12% SES, 12% Pinpoint SMS,
 * 8% campaign, 8% journey, 6% app, 6% End User Messaging):
 *
 * - **all-fresh** (the worst case, and the only mix before issue 14): every event is drawn on its own, with fresh
 *   ids, addresses, numbers and times, so that no per-batch cache (PII hashes, phone countries, dates) and no
 *   string interning ever helps.
 * - **realistic**: events come in the sequences real messages produce, and identities recur within a batch.
 *   Each message yields its natural events — Pinpoint email and SES: send → delivered → 0–3 opens → 0–2 clicks
 *   (45% of messages opened, a quarter of those more than once; 40% of the opened ones clicked), or a bounce
 *   (~2.5%, hard or soft) instead of delivery and engagement, or a complaint (~0.1%) after the delivery instead
 *   of engagement; Pinpoint SMS: buffered → success (~95%) or failure; End User Messaging: sent → delivered
 *   (~95%) or a failure status; campaign and journey: one send event per send (a push notification event after
 *   ~10% of them); app: one session (start, 1–4 app events, stop). Recipients (address, phone number, endpoint
 *   id) are drawn from a pool sized so that each appears in about five events of the batch (the output reports
 *   the measured share); messages belong to one of four campaigns, two journeys or neither (then they keep the
 *   sample's own ids), of three apps; the origination number is one of three. Messages start within the hour
 *   before the batch; each event's time is its message's start plus the delays of its step; the batch is in
 *   event-time order, cut at the byte limit.
 *
 * Both keep ~0.2% poison records (truncated JSON); benchBatches adds one bad-base64 record to each 6 MB batch.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FirehoseTransformationEvent, KinesisStreamEvent } from 'aws-lambda';
import { toFirehoseEvent, toKinesisEvent } from '../src/fixtures/wrap';

type Json = Record<string, unknown>;

/** Mulberry32: small, fast, and the same sequence on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Run from the repository root (npm run bench): the benchmark itself runs as a bundle in bench/.build/.
const RAW_DIR = join(process.cwd(), 'events', 'raw');
const load = (family: string): Json[] => JSON.parse(readFileSync(join(RAW_DIR, `${family}.json`), 'utf8'));

/** Share of each family in the events of a mixed stream (email-heavy, as Pinpoint streams usually are). */
const MIX: Array<[string, number]> = [
  ['email', 0.48],
  ['ses', 0.12],
  ['sms', 0.12],
  ['campaign', 0.08],
  ['journey', 0.08],
  ['app', 0.06],
  ['eum', 0.06],
];

const EXTRA_HEADERS = [
  { name: 'Date', value: 'Thu, 20 Nov 2025 14:46:40 +0000' },
  { name: 'Message-ID', value: '<0100019aa0217c55-1d2e3f4a-5b6c-4d7e-8f9a@email.amazonses.com>' },
  { name: 'List-Unsubscribe', value: '<https://example.com/unsubscribe?token=0123456789abcdef>' },
];

const HEX = '0123456789abcdef';
const POISON_RATE = 0.002;

export type Mix = 'realistic' | 'all-fresh';

export interface GeneratorOptions {
  seed?: number;
  /** Fraction of poison records (bad base64 is patched in by the wrappers' callers; here: bad JSON). */
  poisonRate?: number;
  /** Only these families (default: all of the mix). */
  families?: string[];
}

/** A generated batch's payloads and what describes the mix. */
export interface Generated {
  payloads: Buffer[];
  /** Per payload, the recipient it names (address, else phone number, else endpoint id); undefined for poison. */
  recipients: Array<string | undefined>;
}

function poison(i: number): Buffer {
  return Buffer.from(`{"event_type":"_email.send","event_timestamp":${1763650000000 + i},"truncated`);
}

function mailOf(event: Json): { headers?: unknown[] } | undefined {
  return (event.facets as { email_channel?: { mail_event?: { mail?: { headers?: unknown[] } } } } | undefined)
    ?.email_channel?.mail_event?.mail;
}

// ---------------------------------------------------------------------------------------------------------------
// all-fresh: the generator of the first round, unchanged (its batches are the same bytes as before).

/** Generates `count` raw event payloads (UTF-8 JSON bytes) with fresh identities each, deterministically. */
export function generateFresh(count: number, options: GeneratorOptions = {}): Generated {
  const rand = prng(options.seed ?? 42);
  const pools = new Map((options.families ?? MIX.map(([f]) => f)).map((f) => [f, load(f)]));
  const mix = MIX.filter(([f]) => pools.has(f));
  const total = mix.reduce((n, [, w]) => n + w, 0);
  const hex = (n: number) => Array.from({ length: n }, () => HEX[Math.floor(rand() * 16)]).join('');
  const out: Buffer[] = [];
  const recipients: Array<string | undefined> = [];
  for (let i = 0; i < count; i++) {
    if (rand() < (options.poisonRate ?? POISON_RATE)) {
      out.push(poison(i));
      recipients.push(undefined);
      continue;
    }
    let pick = rand() * total;
    let family = mix[0]?.[0] as string;
    for (const [f, w] of mix) {
      pick -= w;
      if (pick <= 0) {
        family = f;
        break;
      }
    }
    const pool = pools.get(family) as Json[];
    const template = pool[Math.floor(rand() * pool.length)] as Json;
    let text = JSON.stringify(template);
    // Fresh identities per event: recipients, numbers, message ids, endpoint ids.
    const user = `user${Math.floor(rand() * 50_000)}`;
    const domain = `mail${Math.floor(rand() * 200)}.example.com`;
    let address: string | undefined;
    let phone: string | undefined;
    let endpoint: string | undefined;
    text = text
      .replace(/[A-Za-z0-9._%+-]+@example\.(com|net|org)/g, (m) => {
        if (m.startsWith('sender') || m.startsWith('no-reply')) return m;
        address = `${user}@${domain}`;
        return address;
      })
      .replace(/\+1(206|425)555\d{4}/g, () => {
        const fresh = `+1425555${String(Math.floor(rand() * 10_000)).padStart(4, '0')}`;
        phone ??= fresh;
        return fresh;
      })
      .replace(/-000000"/g, `-${hex(6)}"`)
      .replace(/"client_id":"[^"]+"/g, () => {
        endpoint = `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
        return `"client_id":"${endpoint}"`;
      })
      .replace(/"messageId":"[^"]+"/g, () => `"messageId":"${hex(40)}"`)
      .replace(
        /"message_id":"[^"]+"/g,
        () => `"message_id":"${hex(16)}-${hex(8)}-${hex(4)}-${hex(4)}-000000"`,
      );
    recipients.push(address ?? phone ?? endpoint);
    const event = JSON.parse(text) as Json;
    // Time moves forward through the batch, a few ms per event.
    const shift = i * 7;
    for (const key of ['event_timestamp', 'arrival_timestamp', 'eventTimestamp']) {
      if (typeof event[key] === 'number') event[key] = (event[key] as number) + shift;
    }
    const mail = mailOf(event);
    if (Array.isArray(mail?.headers)) mail.headers.push(...EXTRA_HEADERS);
    out.push(Buffer.from(JSON.stringify(event)));
  }
  return { payloads: out, recipients };
}

// ---------------------------------------------------------------------------------------------------------------
// realistic: message lifecycles, recurring identities.

/** The identities one event is written with. */
interface Identity {
  address: string;
  phone: string;
  endpoint: string;
  origination: string;
  appId: string;
  /** Per message: the SES-style message id (`…-000000`), and a UUID (End User Messaging, SMS). */
  sesMessageId: string;
  messageId: string;
  campaign?: { id: string; activity: string };
  journey?: { id: string; run: string; activity: string };
  sessionId?: string;
}

/** One event of a message's life: which template (family, event type) and when. */
interface Step {
  family: string;
  type: string;
  atMs: number;
  id: Identity;
}

const SENDERS = /^(sender|no-reply|orders|coach|news|billing|hello)@/;
const SES_MESSAGE_ID = /\b0[0-9a-z]{15}-[0-9a-z-]+-000000\b/g;
const SEND_START_MS = Date.UTC(2025, 10, 20, 13, 0, 0);
const EVENTS_PER_RECIPIENT = 5;

function typeOf(event: Json): string {
  return String(event.event_type ?? event.eventType);
}

/** Generates about `targetEvents` payloads of message lifecycles with recurring identities, deterministically. */
export function generateRealistic(targetEvents: number, options: GeneratorOptions = {}): Generated {
  const rand = prng(options.seed ?? 42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const hex = (n: number) => Array.from({ length: n }, () => HEX[Math.floor(rand() * 16)]).join('');
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${hex(4)}-${hex(12)}`;

  const families = options.families ?? MIX.map(([f]) => f);
  const mix = MIX.filter(([f]) => families.includes(f));
  const totalWeight = mix.reduce((n, [, w]) => n + w, 0);
  const templates = new Map<string, Map<string, Json[]>>();
  for (const f of families) {
    const byType = new Map<string, Json[]>();
    for (const t of load(f)) byType.set(typeOf(t), [...(byType.get(typeOf(t)) ?? []), t]);
    templates.set(f, byType);
  }

  // Pools of the batch.
  const apps = Array.from({ length: 3 }, () => hex(32));
  const campaigns = Array.from({ length: 4 }, () => ({ id: hex(32), activity: hex(32) }));
  const journeys = Array.from({ length: 2 }, () => ({ id: hex(32), run: hex(32), activity: hex(10) }));
  const originations = ['+12065550100', '+12065550142', '+12065550190'];
  const phonePrefixes: Array<[string, number]> = [
    ['+1425555', 4],
    ['+1206555', 4],
    ['+447700900', 3],
    ['+4915123450', 3],
    ['+9198000', 5],
  ];
  const recipients = Array.from(
    { length: Math.max(1, Math.ceil(targetEvents / EVENTS_PER_RECIPIENT)) },
    (_, i) => {
      const [prefix, digits] =
        rand() < 0.8 ? (phonePrefixes[0] as [string, number]) : pick(phonePrefixes.slice(2));
      return {
        address: `${pick(['ava', 'sam', 'jo', 'max', 'lee', 'ines', 'carmen'])}.${hex(6)}${i}@mail${int(0, 40)}.example.${pick(['com', 'net', 'org'])}`,
        phone: `${prefix}${String(int(0, 10 ** digits - 1)).padStart(digits, '0')}`,
        endpoint: uuid(),
      };
    },
  );

  const steps: Step[] = [];
  const produced = new Map<string, number>(mix.map(([f]) => [f, 0]));
  while (steps.length < targetEvents) {
    // The family furthest behind its share of the events so far: the event mix matches all-fresh's shares.
    let family = mix[0]?.[0] as string;
    let deficit = Number.NEGATIVE_INFINITY;
    for (const [f, w] of mix) {
      const d = (w / totalWeight) * (steps.length + 1) - (produced.get(f) as number);
      if (d > deficit) {
        deficit = d;
        family = f;
      }
    }
    const r = pick(recipients);
    const id: Identity = {
      ...r,
      origination: pick(originations),
      appId: pick(apps),
      sesMessageId: `0100019a${hex(8)}-${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}-000000`,
      messageId: uuid(),
    };
    const owner = rand();
    if (owner < 0.5) id.campaign = pick(campaigns);
    else if (owner < 0.8) id.journey = pick(journeys);
    const t0 = SEND_START_MS + Math.floor(rand() * 3_600_000);
    const story: Array<[string, number]> = [];
    const engagement = (open: string, click: string, delivered: number) => {
      // Most messages are never opened; some are opened more than once (0–3), and clicked 0–2 times.
      const o = rand();
      const opens = o < 0.55 ? 0 : o < 0.8 ? 1 : o < 0.93 ? 2 : 3;
      let t = delivered;
      for (let o = 0; o < opens; o++) {
        t += int(30_000, 600_000);
        story.push([open, t]);
      }
      const c = rand();
      const clicks = opens === 0 || c < 0.6 ? 0 : c < 0.9 ? 1 : 2;
      for (let c = 0; c < clicks; c++) {
        t += int(5_000, 120_000);
        story.push([click, t]);
      }
    };
    const mail = (
      send: string,
      delivered: string,
      open: string,
      click: string,
      bounces: string[],
      complaint: string,
    ) => {
      story.push([send, t0]);
      const fate = rand();
      if (fate < 0.025) story.push([pick(bounces), t0 + int(1_000, 5_000)]);
      else if (fate < 0.026) {
        const d = t0 + int(1_000, 3_000);
        story.push([delivered, d], [complaint, d + int(60_000, 900_000)]);
      } else {
        const d = t0 + int(1_000, 3_000);
        story.push([delivered, d]);
        engagement(open, click, d);
      }
    };
    switch (family) {
      case 'email':
        mail(
          '_email.send',
          '_email.delivered',
          '_email.open',
          '_email.click',
          ['_email.hardbounce', '_email.softbounce'],
          '_email.complaint',
        );
        break;
      case 'ses':
        mail('Send', 'Delivery', 'Open', 'Click', ['Bounce'], 'Complaint');
        break;
      case 'sms':
        story.push(
          ['_SMS.BUFFERED', t0],
          [rand() < 0.95 ? '_SMS.SUCCESS' : '_SMS.FAILURE', t0 + int(500, 8_000)],
        );
        break;
      case 'eum': {
        const failures = [
          'TEXT_BLOCKED',
          'TEXT_CARRIER_UNREACHABLE',
          'TEXT_TTL_EXPIRED',
          'TEXT_SPAM',
          'TEXT_INVALID',
        ];
        story.push(
          ['TEXT_SENT', t0],
          [rand() < 0.95 ? 'TEXT_DELIVERED' : pick(failures), t0 + int(500, 8_000)],
        );
        break;
      }
      case 'campaign':
      case 'journey': {
        if (family === 'campaign') id.campaign ??= pick(campaigns);
        else id.journey ??= pick(journeys);
        story.push([`_${family}.send`, t0]);
        if (rand() < 0.1) {
          const follow = pick(['opened_notification', 'received_foreground', 'received_background']);
          story.push([`_${family}.${follow}`, t0 + int(1_000, 60_000)]);
        }
        break;
      }
      default: {
        id.sessionId = `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
        let t = t0;
        story.push(['_session.start', t]);
        const actions = [
          'PlayedSong',
          '_inapp.message_displayed',
          '_inapp.message_clicked',
          '_monetization.purchase',
          '_userauth.sign_in',
        ];
        for (let a = int(1, 4); a > 0; a--) {
          t += int(2_000, 120_000);
          story.push([pick(actions), t]);
        }
        story.push(['_session.stop', t + int(1_000, 30_000)]);
      }
    }
    for (const [type, atMs] of story) steps.push({ family, type, atMs, id });
    produced.set(family, (produced.get(family) as number) + story.length);
  }
  steps.sort((a, b) => a.atMs - b.atMs);

  const out: Buffer[] = [];
  const seen: Array<string | undefined> = [];
  for (const step of steps) {
    if (rand() < (options.poisonRate ?? POISON_RATE)) {
      out.push(poison(out.length));
      seen.push(undefined);
      continue;
    }
    const candidates = templates.get(step.family)?.get(step.type);
    if (candidates === undefined) throw new Error(`no ${step.family} template of type ${step.type}`);
    out.push(Buffer.from(render(pick(candidates), step)));
    seen.push(
      step.family === 'app'
        ? step.id.endpoint
        : step.family === 'sms' || step.family === 'eum'
          ? step.id.phone
          : step.id.address,
    );
  }
  return { payloads: out, recipients: seen };
}

/** A template written with a step's identities and time. */
function render(template: Json, { family, atMs, id }: Step): string {
  let text = JSON.stringify(template)
    .replace(/[A-Za-z0-9._%+-]+@example\.(com|net|org)/g, (m) => (SENDERS.test(m) ? m : id.address))
    .replace(/\+\d{10,14}/g, (m) => (m.startsWith('+1206555') ? id.origination : id.phone))
    .replace(SES_MESSAGE_ID, id.sesMessageId)
    .replace(/"client_id":"[^"]+"/g, `"client_id":"${id.endpoint}"`)
    .replace(/"app_id":"[^"]+"/g, `"app_id":"${id.appId}"`);
  if (family === 'eum') text = text.replace(/"messageId":"[^"]+"/g, `"messageId":"${id.messageId}"`);
  if (family === 'sms') {
    text = text
      .replace(/"message_id":"[^"]+"/g, `"message_id":"${id.messageId}"`)
      .replace(/"sender_request_id":"[^"]+"/g, `"sender_request_id":"${id.messageId}"`);
  }
  if (id.sessionId !== undefined)
    text = text.replace(/"session_id":"[^"]+"/g, `"session_id":"${id.sessionId}"`);
  const { campaign, journey } = id;
  if (campaign !== undefined) {
    text = text
      .replace(/"campaign_id":"[^"]+"/g, `"campaign_id":"${campaign.id}"`)
      .replace(/"campaign_activity_id":"[^"]+"/g, `"campaign_activity_id":"${campaign.activity}"`);
  }
  if (journey !== undefined) {
    text = text
      .replace(/"journey_id":"[^"]+"/g, `"journey_id":"${journey.id}"`)
      .replace(/"journey_run_id":"[^"]+"/g, `"journey_run_id":"${journey.run}"`)
      .replace(/"journey_activity_id":"[^"]+"/g, `"journey_activity_id":"${journey.activity}"`);
  }
  const event = JSON.parse(text) as Json;
  if (typeof event.event_timestamp === 'number') event.event_timestamp = atMs;
  if (typeof event.arrival_timestamp === 'number') event.arrival_timestamp = atMs + 300 + (atMs % 1700);
  if (typeof event.eventTimestamp === 'number') event.eventTimestamp = atMs;
  if (typeof event.messageRequestTimestamp === 'number') event.messageRequestTimestamp = atMs - 80;
  const session = event.session as { start_timestamp?: number; stop_timestamp?: number } | undefined;
  if (typeof session?.start_timestamp === 'number') session.start_timestamp = atMs;
  if (typeof session?.stop_timestamp === 'number') session.stop_timestamp = atMs;
  // SES: the mail's and the event's own ISO timestamps.
  for (const [key, value] of Object.entries(event)) {
    const v = value as { timestamp?: unknown } | null;
    if (typeof v?.timestamp === 'string')
      v.timestamp = new Date(key === 'mail' ? atMs - 2000 : atMs).toISOString();
  }
  const mail = mailOf(event);
  if (Array.isArray(mail?.headers)) mail.headers.push(...EXTRA_HEADERS);
  return JSON.stringify(event);
}

// ---------------------------------------------------------------------------------------------------------------

/** Base64 bytes a payload takes in an event, with the record's envelope fields. */
const recordBytes = (p: Buffer) => Math.ceil(p.length / 3) * 4 + 150;

/** The first records of `g` whose base64 (what Lambda's 6 MB request limit counts) fits in `bytes`. */
function upTo(bytes: number, g: Generated): Generated {
  let size = 0;
  let n = 0;
  for (const p of g.payloads) {
    if (size + recordBytes(p) > bytes) break;
    size += recordBytes(p);
    n++;
  }
  return { payloads: g.payloads.slice(0, n), recipients: g.recipients.slice(0, n) };
}

/** A batch of one mix, whose base64 payloads fill `bytes`. */
export function batchUpTo(bytes: number, mix: Mix, options: GeneratorOptions = {}): Generated {
  if (mix === 'all-fresh') return upTo(bytes, generateFresh(Math.ceil(bytes / 500), options));
  // Lifecycles for a little more than the bytes, in event-time order; the earliest events that fit are kept,
  // so that little of the end of the hour (late opens and clicks) is cut.
  for (let events = Math.ceil(bytes / 2000); ; events = Math.ceil(events * 1.1)) {
    const all = generateRealistic(events, options);
    const batch = upTo(bytes, all);
    if (batch.payloads.length < all.payloads.length) return batch;
  }
}

const SIX_MB = 6 * 1024 * 1024;
const BASE_MS = Date.UTC(2025, 10, 20, 14, 0, 0);

export type BatchName =
  | 'firehose6mbRealistic'
  | 'firehose6mbFresh'
  | 'kinesis6mbRealistic'
  | 'kinesis6mbFresh'
  | 'kinesis10k';

export interface BenchBatch {
  /** The event as JSON text (each run parses its own copy, as Lambda's runtime would). */
  text: string;
  mix: Mix;
  records: number;
  /** Average payload (decoded record data) in bytes. */
  avgRecordBytes: number;
  /** Distinct recipients ÷ records that name one. */
  distinctRecipientShare: number;
}

export type BenchBatches = Record<BatchName, BenchBatch>;

/** The batches of the benchmark. */
export function benchBatches(): BenchBatches {
  const arrival = (i: number) => BASE_MS + i * 5;
  const wrap = (g: Generated) => g.payloads.map((data, i) => ({ data, arrivalMs: arrival(i) }));
  const describe = (g: Generated, mix: Mix, event: FirehoseTransformationEvent | KinesisStreamEvent) => {
    const named = g.recipients.filter((r) => r !== undefined);
    return {
      text: JSON.stringify(event),
      mix,
      records: g.payloads.length,
      avgRecordBytes: Math.round(g.payloads.reduce((n, p) => n + p.length, 0) / g.payloads.length),
      distinctRecipientShare: Math.round((new Set(named).size / Math.max(1, named.length)) * 1000) / 1000,
    };
  };
  // One bad-base64 record in each 6 MB batch, among the bad-JSON ones the generator made.
  const bad = 'eyJldmVudF90eXBlIjoi*not-base64*';
  const firehose = (g: Generated, mix: Mix) => {
    const event = toFirehoseEvent(wrap(g));
    (event.records[17] as { data: string }).data = bad;
    return describe(g, mix, event);
  };
  const kinesis = (g: Generated, mix: Mix) => {
    const event = toKinesisEvent(wrap(g));
    (event.Records[17] as { kinesis: { data: string } }).kinesis.data = bad;
    return describe(g, mix, event);
  };
  const limit = SIX_MB - 4096;
  const small = generateFresh(10_000, { seed: 3, families: ['app', 'eum'] });
  return {
    firehose6mbRealistic: firehose(batchUpTo(limit, 'realistic', { seed: 11 }), 'realistic'),
    firehose6mbFresh: firehose(batchUpTo(limit, 'all-fresh', { seed: 1 }), 'all-fresh'),
    kinesis6mbRealistic: kinesis(batchUpTo(limit, 'realistic', { seed: 12 }), 'realistic'),
    kinesis6mbFresh: kinesis(batchUpTo(limit, 'all-fresh', { seed: 2 }), 'all-fresh'),
    kinesis10k: describe(small, 'all-fresh', toKinesisEvent(wrap(small))),
  };
}
