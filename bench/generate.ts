/**
 * Deterministic generator of realistic batches for the benchmark: events of every family, built from the
 * sample events in events/raw with fresh ids, addresses, numbers and times per event (so that PII hash caches
 * and string interning do not make the benchmark easier than real traffic), plus a few poison records.
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

/** Share of each family in a realistic mixed stream (email-heavy, as Pinpoint streams usually are). */
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

export interface GeneratorOptions {
  seed?: number;
  /** Fraction of poison records (bad base64 is patched in by the wrappers' callers; here: bad JSON). */
  poisonRate?: number;
  /** Only these families (default: the realistic mix). */
  families?: string[];
}

/** Generates `count` raw event payloads (UTF-8 JSON bytes), deterministically. */
export function generatePayloads(count: number, options: GeneratorOptions = {}): Buffer[] {
  const rand = prng(options.seed ?? 42);
  const pools = new Map((options.families ?? MIX.map(([f]) => f)).map((f) => [f, load(f)]));
  const mix = MIX.filter(([f]) => pools.has(f));
  const total = mix.reduce((n, [, w]) => n + w, 0);
  const hex = (n: number) => Array.from({ length: n }, () => HEX[Math.floor(rand() * 16)]).join('');
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    if (rand() < (options.poisonRate ?? 0.002)) {
      out.push(Buffer.from(`{"event_type":"_email.send","event_timestamp":${1763650000000 + i},"truncated`));
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
    text = text
      .replace(/[A-Za-z0-9._%+-]+@example\.(com|net|org)/g, (m) =>
        m.startsWith('sender') || m.startsWith('no-reply') ? m : `${user}@${domain}`,
      )
      .replace(
        /\+1(206|425)555\d{4}/g,
        () => `+1425555${String(Math.floor(rand() * 10_000)).padStart(4, '0')}`,
      )
      .replace(/-000000"/g, `-${hex(6)}"`)
      .replace(
        /"client_id":"[^"]+"/g,
        () => `"client_id":"${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}"`,
      )
      .replace(/"messageId":"[^"]+"/g, () => `"messageId":"${hex(40)}"`)
      .replace(
        /"message_id":"[^"]+"/g,
        () => `"message_id":"${hex(16)}-${hex(8)}-${hex(4)}-${hex(4)}-000000"`,
      );
    const event = JSON.parse(text) as Json;
    // Time moves forward through the batch, a few ms per event.
    const shift = i * 7;
    for (const key of ['event_timestamp', 'arrival_timestamp', 'eventTimestamp']) {
      if (typeof event[key] === 'number') event[key] = (event[key] as number) + shift;
    }
    const mail = (
      event.facets as { email_channel?: { mail_event?: { mail?: { headers?: unknown[] } } } } | undefined
    )?.email_channel?.mail_event?.mail;
    if (Array.isArray(mail?.headers)) mail.headers.push(...EXTRA_HEADERS);
    out.push(Buffer.from(JSON.stringify(event)));
  }
  return out;
}

/** Payloads until their base64 (what Lambda's 6 MB request limit counts) reaches `bytes`. */
export function payloadsUpTo(bytes: number, options: GeneratorOptions = {}): Buffer[] {
  const all = generatePayloads(Math.ceil(bytes / 500), options);
  const out: Buffer[] = [];
  let size = 0;
  for (const p of all) {
    const b64 = Math.ceil(p.length / 3) * 4 + 150; // data + the record's envelope fields
    if (size + b64 > bytes) break;
    out.push(p);
    size += b64;
  }
  return out;
}

const SIX_MB = 6 * 1024 * 1024;
const BASE_MS = Date.UTC(2025, 10, 20, 14, 0, 0);

export interface BenchBatches {
  firehose6mb: FirehoseTransformationEvent;
  kinesis6mb: KinesisStreamEvent;
  kinesis10k: KinesisStreamEvent;
}

/** The three batches of the benchmark, as JSON text (each run parses its own copy, as Lambda's runtime would). */
export function benchBatches(): Record<keyof BenchBatches, string> {
  const arrival = (i: number) => BASE_MS + i * 5;
  const fh = payloadsUpTo(SIX_MB - 4096, { seed: 1 }).map((data, i) => ({ data, arrivalMs: arrival(i) }));
  const kin = payloadsUpTo(SIX_MB - 4096, { seed: 2 }).map((data, i) => ({ data, arrivalMs: arrival(i) }));
  const small = generatePayloads(10_000, { seed: 3, families: ['app', 'eum'] }).map((data, i) => ({
    data,
    arrivalMs: arrival(i),
  }));
  const firehose = toFirehoseEvent(fh);
  const kinesis = toKinesisEvent(kin);
  const kinesisSmall = toKinesisEvent(small);
  // One bad-base64 record in each, among the bad-JSON ones the generator made.
  const bad = 'eyJldmVudF90eXBlIjoi*not-base64*';
  (firehose.records[17] as { data: string }).data = bad;
  (kinesis.Records[17] as { kinesis: { data: string } }).kinesis.data = bad;
  return {
    firehose6mb: JSON.stringify(firehose),
    kinesis6mb: JSON.stringify(kinesis),
    kinesis10k: JSON.stringify(kinesisSmall),
  };
}
