import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KinesisStreamEvent } from 'aws-lambda';
import type { KinesisResponse } from '../../src/batch/kinesis';
import type { FixtureRecord } from '../../src/fixtures/wrap';
import { rateAlertId } from '../../src/rates/rateAlert';
import { lambdaContext, loadHandler } from '../helpers/loadHandler';
import { rawEvents, TEST_PII_KEY } from '../helpers/runtime';
import { SHARD, STREAM_ARN, sequenceOf, WINDOW, type WindowEvent, windowEvent } from '../helpers/windows';
import { FaultProxy } from '../support/faultProxy';
import { S3Reader, type StoredObject } from '../support/s3Reader';
import { type Started, startS3rver } from '../support/servers';
import { type SnsMessage, SnsTestServer } from '../support/snsServer';

/**
 * Kinesis tumbling windows over real HTTP components: the real handler (loaded as a cold start, configured by
 * its environment) driven the way Lambda drives it — the `state` of each response handed to the next
 * invocation of the window, `isFinalInvokeForWindow` on the last — writing to s3rver (behind a fault proxy) and
 * publishing to the protocol-level SNS test server (a FIFO topic, so that deduplication by alert id is modeled).
 * The unit side, with in-memory sinks, is test/unit/batch/kinesisWindow.test.ts.
 */

jest.setTimeout(30_000);

const BUCKET = 'archive';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:pinpoint-alerts.fifo';
/** The Pinpoint project of the Pinpoint email events. */
const APP = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6';
/** The configuration set of the SES events (the template's). */
const CONFIG_SET = 'prod-engagement';
/**
 * A campaign id with the digits of a phone number. Pinpoint mints campaign ids: they are never scanned for
 * personal data (docs/schema.md §5, policy `minted`), so it reaches the window state, the rollups and the alerts
 * as received, and joins Pinpoint's own records.
 */
const CAMPAIGN = '1111-2222-3333';
const WINDOW_MS = Date.parse(WINDOW.start);
const WINDOW_ISO = { start: '2026-11-30T10:00:00.000Z', end: '2026-11-30T10:05:00.000Z' };
const CAMPAIGN_RULE = 'pinpoint-campaign-bounce-rate';

let s3: Started;
let proxy: FaultProxy;
let proxyUrl: string;
let sns: SnsTestServer;
let snsUrl: string;
let reader: S3Reader;
let rulesFile: string;

beforeAll(async () => {
  s3 = await startS3rver([BUCKET]);
  proxy = new FaultProxy(s3.url);
  proxyUrl = await proxy.start();
  sns = new SnsTestServer();
  snsUrl = await sns.start();
  reader = new S3Reader(s3.url, BUCKET);
  // The shipped rules, and one rate rule grouped by campaign: a group field that can carry personal data.
  rulesFile = join(mkdtempSync(join(tmpdir(), 'kinesis-windows-')), 'rules.yaml');
  writeFileSync(
    rulesFile,
    [
      'version: 1',
      'rules:',
      `  - name: ${CAMPAIGN_RULE}`,
      '    kind: rate',
      '    numerator: [bounced]',
      '    denominator: [delivered, bounced]',
      `    match: { app_id: ${APP} }`,
      '    group_by: [campaign_id]',
      '    threshold: 0.05',
      '    min_volume: 100',
      '    severity: low',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await proxy.stop();
  await sns.stop();
  await s3.stop();
});

beforeEach(() => {
  proxy.fault = { kind: 'pass' };
  sns.reset();
});

// The server refuses what SNS refuses: no test here may send SNS a message it would not take.
afterEach(() => expect(sns.rejected).toEqual([]));

let prefixCounter = 0;
const newPrefix = (name: string) => `windows-${name}-${++prefixCounter}`;

type Handler = (event: WindowEvent) => Promise<KinesisResponse>;

function windowHandler(prefix: string): Handler {
  const handler = loadHandler<KinesisStreamEvent, KinesisResponse>('kinesis', {
    SINKS: 'aws',
    ARCHIVE_BUCKET: BUCKET,
    ARCHIVE_PREFIX: prefix,
    ALERT_TOPIC_ARN: TOPIC,
    AWS_ENDPOINT_URL_S3: proxyUrl,
    AWS_ENDPOINT_URL_SNS: snsUrl,
    PII_HASH_KEY: TEST_PII_KEY,
    RULES_FILE: rulesFile,
    LOG_LEVEL: 'silent',
    SINK_CONNECT_TIMEOUT_MS: '300',
    SINK_REQUEST_TIMEOUT_MS: '800',
    SINK_MAX_ATTEMPTS: '2',
    DEADLINE_MARGIN_MS: '1000',
  });
  return (event) => handler(event, lambdaContext());
}

// ---------------------------------------------------------------------------------------------------------
// Records: Pinpoint and SES email events of known outcomes, each with personal data planted in it.

type Outcome = 'delivered' | 'bounced' | 'complained' | 'opened';
type Origin = 'pinpoint' | 'ses';

interface Spec {
  origin: Origin;
  outcome: Outcome;
}

/** The personal data planted in the `n`-th record: every one of these strings must stay out of the outputs. */
function planted(n: number) {
  const local = 1000 + n;
  return {
    email: `person.${n}@example.org`,
    phone: `+1 425 555 ${local}`,
    phoneDigits: `1425555${local}`,
    ip: `198.51.100.${(n % 250) + 1}`,
    ip6: `2001:db8::${(n % 4000).toString(16)}`,
  };
}

const PINPOINT_TYPES: Record<Outcome, string> = {
  delivered: '_email.delivered',
  bounced: '_email.hardbounce',
  complained: '_email.complaint',
  opened: '_email.open',
};
const SES_TYPES: Partial<Record<Outcome, string>> = { delivered: 'Delivery', bounced: 'Bounce' };

const EMAIL_RE = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const IPV4_RE = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;

/** Every address and IPv4 of the template becomes the record's own, so that each is traceable. */
function withPlanted(template: Record<string, unknown>, n: number): Record<string, unknown> {
  const p = planted(n);
  return JSON.parse(JSON.stringify(template).replace(EMAIL_RE, p.email).replace(IPV4_RE, p.ip));
}

function pinpointRecord(outcome: Outcome, n: number): FixtureRecord {
  const template = rawEvents('email').find((e) => e.event_type === PINPOINT_TYPES[outcome]);
  if (template === undefined) throw new Error(`no ${PINPOINT_TYPES[outcome]} in events/raw/email.json`);
  const p = planted(n);
  const event = withPlanted(template, n) as Record<string, Record<string, unknown>>;
  event.application = { ...event.application, app_id: APP };
  event.attributes = {
    ...event.attributes,
    campaign_id: CAMPAIGN,
    email: p.email,
    phone: p.phone,
    ip_address: p.ip6,
    note: `call ${p.phone} or write to ${p.email} (last seen from ${p.ip})`,
  };
  (event as Record<string, unknown>).event_timestamp = WINDOW_MS + n;
  (event as Record<string, unknown>).arrival_timestamp = WINDOW_MS + n + 50;
  return { data: Buffer.from(JSON.stringify(event)), arrivalMs: WINDOW_MS + n + 100 };
}

function sesRecord(outcome: Outcome, n: number): FixtureRecord {
  const type = SES_TYPES[outcome];
  // The first Bounce of the samples is a permanent one.
  const template = rawEvents('ses').find((e) => e.eventType === type);
  if (template === undefined) throw new Error(`no SES ${outcome} in events/raw/ses.json`);
  const p = planted(n);
  const event = withPlanted(template, n) as Record<string, Record<string, unknown>>;
  const at = new Date(WINDOW_MS + n).toISOString();
  const mail = event.mail as Record<string, unknown> & { tags: Record<string, string[]> };
  mail.timestamp = at;
  mail.tags = { ...mail.tags, 'customer-phone': [p.phone], 'client-ip': [p.ip6] };
  mail.commonHeaders = { ...(mail.commonHeaders as object), subject: `Call ${p.phone} about your order` };
  const detail = event[outcome === 'bounced' ? 'bounce' : 'delivery'] as Record<string, unknown>;
  detail.timestamp = at;
  return { data: Buffer.from(JSON.stringify(event)), arrivalMs: WINDOW_MS + n + 100 };
}

/** Specs in a fixed, mixed order (a seeded shuffle), and their records, numbered in that order. */
function recordsOf(groups: Array<[Origin, Outcome, number]>): { specs: Spec[]; records: FixtureRecord[] } {
  const specs: Spec[] = groups.flatMap(([origin, outcome, count]) =>
    Array.from({ length: count }, () => ({ origin, outcome })),
  );
  let seed = 20261130;
  for (let i = specs.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [specs[i], specs[j]] = [specs[j] as Spec, specs[i] as Spec];
  }
  const records = specs.map((s, n) =>
    s.origin === 'pinpoint' ? pinpointRecord(s.outcome, n) : sesRecord(s.outcome, n),
  );
  return { specs, records };
}

// ---------------------------------------------------------------------------------------------------------
// The expectation, from the specs alone: what each rate rule counts, per group, per outcome.

const SENDER_RULES: Record<string, Outcome[]> = {
  'email-bounce-rate-warn': ['delivered', 'bounced'],
  'email-bounce-rate-high': ['delivered', 'bounced'],
  'email-complaint-rate-warn': ['complained', 'delivered'],
  'email-complaint-rate-high': ['complained', 'delivered'],
};

/** `rule|app_id|configuration_set|campaign_id|outcome` → count; `-` for a column the row does not have. */
function expectedRows(specs: readonly Spec[]): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (key: string) => {
    out[key] = (out[key] ?? 0) + 1;
  };
  for (const s of specs) {
    const sender = s.origin === 'pinpoint' ? `${APP}|-` : `-|${CONFIG_SET}`;
    for (const [rule, outcomes] of Object.entries(SENDER_RULES)) {
      if (outcomes.includes(s.outcome)) add(`${rule}|${sender}|-|${s.outcome}`);
    }
    if (s.origin === 'pinpoint' && (s.outcome === 'delivered' || s.outcome === 'bounced')) {
      add(`${CAMPAIGN_RULE}|-|-|${CAMPAIGN}|${s.outcome}`);
    }
  }
  return out;
}

const count = (specs: readonly Spec[], origin: Origin, outcome: Outcome) =>
  specs.filter((s) => s.origin === origin && s.outcome === outcome).length;

interface RollupRowLike {
  window_start: string;
  window_end: string;
  rule: string;
  app_id?: string;
  configuration_set?: string;
  campaign_id?: string;
  overflow?: boolean;
  outcome: string;
  count: number;
}

/** Sums rows by the expectation's key; a campaign id must be the minted id as received. */
function rowTotals(rows: readonly RollupRowLike[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) {
    if (r.campaign_id !== undefined) expect(r.campaign_id).toBe(CAMPAIGN);
    const key = [r.rule, r.app_id ?? '-', r.configuration_set ?? '-', r.campaign_id ?? '-', r.outcome].join(
      '|',
    );
    out[key] = (out[key] ?? 0) + r.count;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Lambda's side of the shard.

/**
 * One shard with a tumbling window, as Lambda runs it: the `state` of each response goes into the next event,
 * and the next batch starts at the first record a response handed back.
 */
class LambdaShard {
  state: unknown = {};
  next = 0;

  constructor(private readonly records: readonly FixtureRecord[]) {}

  /** The next event: up to `size` records from where the shard stands, with the window fields. */
  event(size: number, final = false): WindowEvent {
    return windowEvent(this.records.slice(this.next, this.next + size), this.next, this.state, { final });
  }

  /** Invokes the handler with `event` and takes its answer as Lambda does (state through a JSON round trip). */
  async send(handler: Handler, event: WindowEvent): Promise<KinesisResponse> {
    const res = await handler(event);
    // With tumbling windows every response carries the state: without it Lambda fails the invocation.
    expect(res).toHaveProperty('state');
    expect(res.state).not.toBeUndefined();
    this.state = JSON.parse(JSON.stringify(res.state));
    this.next += event.Records.length - res.batchItemFailures.length;
    return res;
  }

  get done(): boolean {
    return this.next >= this.records.length;
  }
}

// ---------------------------------------------------------------------------------------------------------
// What the sinks hold.

async function rollupObjects(prefix: string): Promise<StoredObject[]> {
  const keys = await reader.keys(`${prefix}/rollups/`);
  return Promise.all(keys.map((k) => reader.read(k)));
}

const rowsOf = (objects: readonly StoredObject[]): RollupRowLike[] =>
  objects.flatMap((o) => o.lines.map((l) => JSON.parse(l) as RollupRowLike));

const isRate = (m: SnsMessage) => m.attributes.kind === 'rate';

/** The alert JSON a rate alert's message ends with. */
function alertOf(m: SnsMessage): Record<string, unknown> {
  const [, json] = m.message.split('--- alert JSON ---\n');
  if (json === undefined) throw new Error(`no alert JSON in message ${m.deduplicationId}`);
  return JSON.parse(json) as Record<string, unknown>;
}

const expectedAlertId = (rule: string, group: unknown[]) =>
  rateAlertId({
    stream: STREAM_ARN,
    shard: SHARD,
    windowStart: WINDOW_ISO.start,
    rule,
    group: JSON.stringify(group),
  });

/** Checks that none of the planted personal data, nor anything that looks like it, is in `texts`. */
function expectNoPersonalData(texts: readonly string[], records: number): void {
  const all = texts.join('\n');
  expect(all.match(EMAIL_RE) ?? []).toEqual([]);
  expect(all.match(IPV4_RE) ?? []).toEqual([]);
  expect(all.match(/\+\d[\d ]{6,}/g) ?? []).toEqual([]);
  expect(all).not.toContain('2001:db8');
  for (let n = 0; n < records; n++) {
    const p = planted(n);
    for (const value of [p.email, p.phone, p.phoneDigits, p.ip, p.ip6]) {
      if (all.includes(value)) throw new Error(`planted ${value} (record ${n}) found in the output`);
    }
  }
}

const snsTexts = (messages: readonly SnsMessage[]) =>
  messages.map((m) => [m.subject ?? '', m.message, JSON.stringify(m.attributes)].join('\n'));

// ---------------------------------------------------------------------------------------------------------

/**
 * One window of one shard: Pinpoint project APP with 6.4% bounces over 470 messages (email-bounce-rate-high,
 * 5% at 200, fires; email-bounce-rate-warn needs 500 messages: below its min_volume, silent; 3 complaints in
 * 440 deliveries are far below the complaint rules' volumes), and an SES configuration set with 20% bounces
 * over 75 messages (below every min_volume: silent). The campaign rule (5% at 100) fires for the one campaign.
 */
const MIX: Array<[Origin, Outcome, number]> = [
  ['pinpoint', 'delivered', 440],
  ['pinpoint', 'bounced', 30],
  ['pinpoint', 'complained', 3],
  ['pinpoint', 'opened', 7],
  ['ses', 'delivered', 60],
  ['ses', 'bounced', 15],
];

describe('Kinesis tumbling windows over HTTP (handler → s3rver, SNS)', () => {
  const { specs, records } = recordsOf(MIX);
  const expected = expectedRows(specs);

  it('has a mix whose expectation is what the comments say', () => {
    expect(records).toHaveLength(555);
    expect([count(specs, 'pinpoint', 'delivered'), count(specs, 'pinpoint', 'bounced')]).toEqual([440, 30]);
    expect(expected['email-bounce-rate-high|a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6|-|-|bounced']).toBe(30);
    expect(expected[`email-complaint-rate-high|-|${CONFIG_SET}|-|delivered`]).toBe(60);
    // Opens are counted by no rule; SES has no complaints here: no row for either.
    expect(Object.keys(expected).filter((k) => k.endsWith('|opened'))).toEqual([]);
    expect(expected[`email-complaint-rate-high|-|${CONFIG_SET}|-|complained`]).toBeUndefined();
    expect(Object.keys(expected)).toHaveLength(8 + 6 + 2);
  });

  it('counts a window over several invocations exactly and closes it with one alert per rule and group', async () => {
    const prefix = newPrefix('closing');
    const handler = windowHandler(prefix);
    const shard = new LambdaShard(records);
    const sizes = [150, 150, 150];
    for (const size of sizes) {
      const res = await shard.send(handler, shard.event(size));
      expect(res.batchItemFailures).toEqual([]);
      // Nothing is evaluated before the final invoke.
      expect(await reader.keys(`${prefix}/rollups/`)).toEqual([]);
      expect(sns.delivered.filter(isRate)).toEqual([]);
    }
    expect(shard.next).toBe(450);
    const last = await shard.send(handler, shard.event(150, true));
    expect(last.batchItemFailures).toEqual([]);
    expect(shard.done).toBe(true);

    // Every record archived once: the normalized zone holds all 555.
    const normalized = await reader.snapshot(`${prefix}/normalized/`);
    expect([...normalized.values()].reduce((n, lines) => n + lines.length, 0)).toBe(555);

    // One rollup object for the window, named for its shard, start and first record.
    const objects = await rollupObjects(prefix);
    expect(objects.map((o) => o.key)).toEqual([
      `${prefix}/rollups/dt=2026-11-30/hour=10/kinesis/pinpoint-events/${SHARD}_${WINDOW_MS / 1000}_${sequenceOf(0)}.jsonl.gz`,
    ]);
    const [object] = objects as [StoredObject];
    expect(object.contentEncoding).toBe('gzip');
    const rows = rowsOf(objects);
    expect(object.metadata).toMatchObject({
      origin: 'kinesis',
      shard: SHARD,
      'window-start': WINDOW_ISO.start,
      'record-count': String(rows.length),
    });
    expect(rowTotals(rows)).toEqual(expected);
    // One row per rule, group and outcome, each in the window.
    expect(rows).toHaveLength(Object.keys(expected).length);
    for (const r of rows) {
      expect([r.window_start, r.window_end]).toEqual([WINDOW_ISO.start, WINDOW_ISO.end]);
      expect(r.overflow).toBeUndefined();
    }
    expect(new Set(rows.filter((r) => r.campaign_id !== undefined).map((r) => r.campaign_id)).size).toBe(1);

    // Rate alerts: email-bounce-rate-high for the project, the campaign rule for the campaign; nothing for
    // the warn rule (470 < 500), the SES configuration set (75 < 200) or complaints.
    const rate = sns.delivered.filter(isRate);
    expect(rate.map((m) => m.attributes.rule).sort()).toEqual(['email-bounce-rate-high', CAMPAIGN_RULE]);
    expect(sns.accepted.filter(isRate)).toHaveLength(2);
    const high = rate.find((m) => m.attributes.rule === 'email-bounce-rate-high') as SnsMessage;
    expect(high.attributes).toEqual({
      kind: 'rate',
      severity: 'high',
      rule: 'email-bounce-rate-high',
      app_id: APP,
    });
    expect(high.groupId).toBe('email-bounce-rate-high');
    expect(high.deduplicationId).toBe(expectedAlertId('email-bounce-rate-high', [APP, null]));
    expect(alertOf(high)).toMatchObject({
      kind: 'rate',
      alert_id: high.deduplicationId,
      rule: 'email-bounce-rate-high',
      window: WINDOW_ISO,
      group: { app_id: APP, configuration_set: null },
      numerator: 30,
      denominator: 470,
      counts: { delivered: 440, bounced: 30 },
      min_volume: 200,
    });
    const campaign = rate.find((m) => m.attributes.rule === CAMPAIGN_RULE) as SnsMessage;
    const token = rows.find((r) => r.campaign_id !== undefined)?.campaign_id as string;
    expect(token).toBe(CAMPAIGN);
    expect(campaign.attributes).toEqual({
      kind: 'rate',
      severity: 'low',
      rule: CAMPAIGN_RULE,
      campaign_id: token,
    });
    expect(campaign.deduplicationId).toBe(expectedAlertId(CAMPAIGN_RULE, [token]));
    expect(alertOf(campaign)).toMatchObject({
      numerator: 30,
      denominator: 470,
      group: { campaign_id: token },
    });

    // No personal data in any SNS message (rate and event alerts), its attributes, or the rollups — though the
    // records had it: the raw zone keeps the bytes as received.
    const raw = [...(await reader.snapshot(`${prefix}/raw/`)).values()].flat().join('\n');
    for (const n of [0, 277, 554]) {
      const p = planted(n);
      for (const value of [p.email, p.phone, p.ip, p.ip6]) expect(raw).toContain(value);
    }
    expect(raw).toContain(CAMPAIGN);
    expect(sns.delivered.length).toBeGreaterThan(rate.length);
    expectNoPersonalData(
      [...snsTexts(sns.accepted), ...objects.flatMap((o) => [...o.lines, o.key, JSON.stringify(o.metadata)])],
      records.length,
    );
  });

  it('answers a failed invocation with every record and the state it received, and counts its retry once', async () => {
    const prefix = newPrefix('failures');
    const handler = windowHandler(prefix);
    const shard = new LambdaShard(records);
    expect((await shard.send(handler, shard.event(150))).batchItemFailures).toEqual([]);

    // S3 fails in the middle of the window.
    let received = shard.state;
    let event = shard.event(150);
    proxy.fault = { kind: 'status', status: 500, code: 'InternalError' };
    let res = await shard.send(handler, event);
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(
      event.Records.map((r) => r.kinesis.sequenceNumber),
    );
    expect(JSON.stringify(res.state)).toBe(JSON.stringify(received));
    proxy.fault = { kind: 'pass' };
    expect((await shard.send(handler, event)).batchItemFailures).toEqual([]);
    expect(shard.next).toBe(300);

    // SNS fails in the middle of the window: the batch's event alerts (its hard bounces) are not taken.
    received = shard.state;
    event = shard.event(150);
    sns.failStatus = 503;
    res = await shard.send(handler, event);
    expect(res.batchItemFailures).toHaveLength(150);
    expect(JSON.stringify(res.state)).toBe(JSON.stringify(received));
    sns.failStatus = undefined;
    expect((await shard.send(handler, event)).batchItemFailures).toEqual([]);
    expect(shard.next).toBe(450);

    // The final invoke: S3 down (nothing published: archive before alerts), then SNS refusing the event alerts
    // (the rate alerts go through: page once), then healthy.
    received = shard.state;
    event = shard.event(150, true);
    expect(event.Records).toHaveLength(105);
    proxy.fault = { kind: 'status', status: 503, code: 'SlowDown' };
    const before = sns.requests;
    res = await shard.send(handler, event);
    expect(res.batchItemFailures).toHaveLength(105);
    expect(JSON.stringify(res.state)).toBe(JSON.stringify(received));
    expect(sns.requests).toBe(before);
    expect(await reader.keys(`${prefix}/rollups/`)).toEqual([]);
    proxy.fault = { kind: 'pass' };

    sns.failEntry = (m) => m.attributes.kind === 'event';
    res = await shard.send(handler, event);
    expect(res.batchItemFailures).toHaveLength(105);
    expect(JSON.stringify(res.state)).toBe(JSON.stringify(received));
    expect(sns.accepted.filter(isRate)).toHaveLength(2);
    sns.failEntry = () => false;

    res = await shard.send(handler, event);
    expect(res.batchItemFailures).toEqual([]);
    expect(shard.done).toBe(true);

    // Counted once, whatever was retried.
    const objects = await rollupObjects(prefix);
    expect(objects).toHaveLength(1);
    expect(rowTotals(rowsOf(objects))).toEqual(expected);

    // The retried final invoke sent the same two rate alerts again, under the same ids: one page each.
    const accepted = sns.accepted.filter(isRate);
    expect(accepted).toHaveLength(4);
    expect(new Set(accepted.map((m) => m.deduplicationId)).size).toBe(2);
    const delivered = sns.delivered.filter(isRate);
    expect(delivered.map((m) => m.deduplicationId).sort()).toEqual(
      [...new Set(accepted.map((m) => m.deduplicationId))].sort(),
    );
    const high = delivered.find((m) => m.attributes.rule === 'email-bounce-rate-high') as SnsMessage;
    expect(alertOf(high)).toMatchObject({ numerator: 30, denominator: 470 });
    expectNoPersonalData([...snsTexts(sns.accepted), ...objects.flatMap((o) => o.lines)], records.length);
  });

  it('closes a window on a final invoke without records, and an idle window writes and sends nothing', async () => {
    const prefix = newPrefix('empty-final');
    const handler = windowHandler(prefix);
    const shard = new LambdaShard(records);
    for (const size of [300, 300]) {
      expect((await shard.send(handler, shard.event(size))).batchItemFailures).toEqual([]);
    }
    expect(shard.done).toBe(true);
    // An empty invoke that does not close the window answers with the state it got.
    const counted = shard.state;
    const idle = await handler(windowEvent([], shard.next, counted));
    expect(idle).toEqual({ batchItemFailures: [], state: counted });
    expect(await reader.keys(`${prefix}/rollups/`)).toEqual([]);
    expect(sns.delivered.filter(isRate)).toEqual([]);

    const final = shard.event(100, true);
    expect(final.Records).toEqual([]);
    expect((await shard.send(handler, final)).batchItemFailures).toEqual([]);
    const objects = await rollupObjects(prefix);
    expect(objects).toHaveLength(1);
    expect(rowTotals(rowsOf(objects))).toEqual(expected);
    expect(
      sns.delivered
        .filter(isRate)
        .map((m) => m.attributes.rule)
        .sort(),
    ).toEqual(['email-bounce-rate-high', CAMPAIGN_RULE]);

    // A window that counted nothing: its final invoke answers with its state, writes nothing, sends nothing.
    const quiet = newPrefix('idle');
    const other = windowHandler(quiet);
    sns.reset();
    const requests = proxy.requests;
    const closed = await other(
      windowEvent(
        [],
        0,
        {},
        { final: true, window: { start: '2026-11-30T10:05:00Z', end: '2026-11-30T10:10:00Z' } },
      ),
    );
    expect(closed).toEqual({ batchItemFailures: [], state: {} });
    expect(proxy.requests).toBe(requests);
    expect(await reader.keys(`${quiet}/`)).toEqual([]);
    expect(sns.requests).toBe(0);
  });
});
