import fc from 'fast-check';
import { AnalyticsTally } from '../../../src/analytics/AnalyticsTally';
import type { AnalyticsMessagesRow, AnalyticsRow } from '../../../src/analytics/analyticsRow';
import { processFirehoseBatch } from '../../../src/batch/firehose';
import { processKinesisBatch } from '../../../src/batch/kinesis';
import { arrivalOf, toFirehoseEvent, toKinesisEvent } from '../../../src/fixtures/wrap';
import type { NormalizedRecord } from '../../../src/schema';
import { normalizedRecord } from '../../helpers/factories';
import { rawEvents, testRuntime } from '../../helpers/runtime';

/**
 * docs/analytics.md §4: rows only add up. Any split of the records into batches (and paths) gives rows whose
 * sum(count), sum(price_usd) and sum(carrier_fee_usd) per group equal those of all the records in one batch; and
 * past the row bound, the totals per hour, source, channel and outcome still do.
 */

const GROUP_FIELDS = [
  'kind',
  'hour',
  'source',
  'family',
  'channel',
  'app_id',
  'configuration_set',
  'journey_id',
  'campaign',
  'outcome',
  'mailbox_provider',
  'bounce_type',
  'bounce_sub_type',
  'complaint_type',
  'status',
  'country',
  'reason',
] as const;

interface Sums {
  count: number;
  /** Money in whole micro-dollars (every price here is a whole number of them): exact, in any order. */
  price: number;
  fee: number;
}

/** sum(count), sum(price_usd), sum(carrier_fee_usd) GROUP BY `fields`, as a query over the rows would. */
function sums(rows: Iterable<AnalyticsRow>, fields: readonly string[]): Map<string, Sums> {
  const out = new Map<string, Sums>();
  for (const row of rows) {
    const r = row as unknown as Record<string, unknown>;
    const key = JSON.stringify(fields.map((f) => r[f] ?? null));
    const s = out.get(key) ?? { count: 0, price: 0, fee: 0 };
    s.count += row.count;
    s.price += Math.round(((r.price_usd as number | undefined) ?? 0) * 1e6);
    s.fee += Math.round(((r.carrier_fee_usd as number | undefined) ?? 0) * 1e6);
    out.set(key, s);
  }
  return out;
}

const sorted = (m: Map<string, Sums>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

const micro = fc.integer({ min: 0, max: 50_000 }).map((n) => n / 1e6);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

/** Where a record comes from: source, family and channel go together, as the normalizers write them. */
const KINDS = [
  { source: 'ses', family: 'email', channel: 'EMAIL' },
  { source: 'pinpoint', family: 'email', channel: 'EMAIL' },
  { source: 'pinpoint', family: 'campaign', channel: 'PUSH' },
  { source: 'end_user_messaging', family: 'sms', channel: 'SMS' },
  { source: 'end_user_messaging', family: 'voice', channel: 'VOICE' },
  { source: 'pinpoint', family: 'app' },
] as const;

/** A normalized record as the pipeline leaves it: a few values per field, so that groups repeat. */
const recordArb: fc.Arbitrary<NormalizedRecord> = fc
  .record({
    kind: fc.constantFrom(...KINDS),
    outcome: fc.constantFrom('sent', 'delivered', 'bounced', 'complained', 'failed', 'rejected', 'opened'),
    hour: fc.constantFrom('08', '09', '10'),
    app_id: maybe(fc.constantFrom('app-1', 'app-2')),
    configuration_set: maybe(fc.constantFrom('marketing', 'otp')),
    journey_id: maybe(fc.constantFrom('j-1', 'j-2')),
    campaign_id: maybe(fc.constantFrom('c-1', 'c-2')),
    tag: maybe(fc.constantFrom('spring', 'summer', 'autumn')),
    email_domain: maybe(fc.constantFrom('gmail.com', 'yahoo.com', 'shop.example')),
    bounce_type: maybe(fc.constantFrom('permanent', 'transient')),
    bounce_sub_type: maybe(fc.constantFrom('General', 'MailboxFull')),
    complaint_type: maybe(fc.constantFrom('abuse', 'not-spam')),
    status: maybe(fc.constantFrom('UNREACHABLE', 'BLOCKED')),
    country: maybe(fc.constantFrom('US', 'GB', 'DE')),
    price_usd: maybe(micro),
    carrier_fee_usd: maybe(micro),
  })
  .map(({ tag, hour, kind, ...r }) => {
    const record = normalizedRecord({ dt: '2026-12-07', hour, ...kind });
    for (const [k, v] of Object.entries(r))
      if (v !== undefined) (record as unknown as Record<string, unknown>)[k] = v;
    if (tag !== undefined) record.attributes = { campaign: tag };
    return record;
  });

/** One record of the batch: normalized (delivered or not) or quarantined (with its reason). */
const itemArb = fc.oneof(
  { weight: 9, arbitrary: fc.record({ record: recordArb, delivered: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({ reason: fc.constantFrom('invalid_json', 'not_an_object', 'internal_error') }),
  },
);
type Item = { record: NormalizedRecord; delivered: boolean } | { reason: string };

/** The items cut into consecutive batches at the given points. */
function split<T>(items: readonly T[], cuts: readonly number[]): T[][] {
  const points = [...new Set(cuts.map((c) => c % (items.length + 1)))].sort((a, b) => a - b);
  const out: T[][] = [];
  let from = 0;
  for (const p of [...points, items.length]) {
    out.push(items.slice(from, p));
    from = p;
  }
  return out.filter((b) => b.length > 0);
}

/** The rows one batch writes. */
function batchRows(items: readonly Item[], maxRows: number): AnalyticsRow[] {
  const tally = new AnalyticsTally();
  const delivered = new Set<number>();
  const quarantined: string[] = [];
  items.forEach((item, i) => {
    if ('reason' in item) quarantined.push(item.reason);
    else {
      tally.add(item.record, i);
      if (item.delivered) delivered.add(i);
    }
  });
  const first = items.find((i): i is Extract<Item, { record: unknown }> => 'record' in i);
  return tally.rows({
    delivered: (i) => delivered.has(i),
    quarantined,
    batchHour: { dt: '2026-12-07', hour: first?.record.hour ?? '08' },
    maxRows,
  }).rows;
}

const messages = (rows: readonly AnalyticsRow[]) =>
  rows.filter((r): r is AnalyticsMessagesRow => r.kind === 'messages');
const quarantine = (rows: readonly AnalyticsRow[]) => rows.filter((r) => r.kind === 'quarantine');

describe('analytics rows add up (fast-check)', () => {
  const input = fc.tuple(fc.array(itemArb, { maxLength: 160 }), fc.array(fc.nat(), { maxLength: 8 }));

  it('per group, over any split into batches, to the rows of one batch of all the records', () => {
    fc.assert(
      fc.property(input, ([items, cuts]) => {
        const whole = batchRows(items, Number.POSITIVE_INFINITY);
        const pieces = split(items, cuts).flatMap((b) => batchRows(b, Number.POSITIVE_INFINITY));
        expect(sorted(sums(messages(pieces), GROUP_FIELDS))).toEqual(
          sorted(sums(messages(whole), GROUP_FIELDS)),
        );
        // Quarantine rows are filed in their batch's hour: by reason they add up whatever the split.
        expect(sorted(sums(quarantine(pieces), ['reason']))).toEqual(
          sorted(sums(quarantine(whole), ['reason'])),
        );
        // And the delivered records are all there, once.
        const delivered = items.filter((i) => 'record' in i && i.delivered).length;
        expect(messages(pieces).reduce((n, r) => n + r.count, 0)).toBe(delivered);
      }),
      { numRuns: 300 },
    );
  });

  /** Larger batches, in fewer pieces: past a bound of 1 to 25 rows, groups share their hour and outcome. */
  const bigInput = fc.tuple(
    fc.array(itemArb, { minLength: 40, maxLength: 400 }),
    fc.array(fc.nat(), { maxLength: 3 }),
  );

  it('past the row bound, per hour, source, channel and outcome, and the rows within the bound', () => {
    let mergedBatches = 0;
    fc.assert(
      fc.property(bigInput, fc.integer({ min: 1, max: 25 }), ([items, cuts], maxRows) => {
        const whole = batchRows(items, Number.POSITIVE_INFINITY);
        const batches = split(items, cuts);
        const pieces = batches.flatMap((b) => {
          const rows = batchRows(b, maxRows);
          // Within the bound, or at its floor: one row per hour, source, family, channel and outcome.
          const floor = new Set(
            rows.map((r) =>
              r.kind === 'messages'
                ? JSON.stringify([r.hour, r.source, r.family, r.channel, r.outcome])
                : r.reason,
            ),
          ).size;
          expect(rows.length).toBeLessThanOrEqual(Math.max(maxRows, floor));
          if (messages(rows).some((r) => r.other === true)) mergedBatches++;
          for (const r of messages(rows)) {
            if (r.other !== true) continue;
            for (const f of [
              'mailbox_provider',
              'bounce_type',
              'bounce_sub_type',
              'complaint_type',
              'status',
              'country',
            ])
              expect(r).not.toHaveProperty(f);
          }
          return rows;
        });
        const coarse = ['hour', 'source', 'channel', 'outcome'];
        expect(sorted(sums(messages(pieces), coarse))).toEqual(sorted(sums(messages(whole), coarse)));
        expect(sorted(sums(quarantine(pieces), ['reason']))).toEqual(
          sorted(sums(quarantine(whole), ['reason'])),
        );
      }),
      { numRuns: 300 },
    );
    // The bound was hit, and groups merged, in many of the batches.
    expect(mergedBatches).toBeGreaterThan(150);
  });
});

describe('analytics rows add up across the two paths (fast-check)', () => {
  /** The bundled samples of every source, each as a stream would carry it. */
  const SAMPLES = [
    'email',
    'ses',
    'sms',
    'eum',
    'rcs',
    'campaign',
    'journey',
    'app',
    'ses-sns',
    'eum-eventbridge',
  ]
    .flatMap((family) => rawEvents(family))
    .map((e) => ({ data: Buffer.from(JSON.stringify(e), 'utf8'), arrivalMs: arrivalOf(e) }));

  it('per group: batches of either path, shards and invocations, equal one batch of all the records', async () => {
    const { runtime, archive } = await testRuntime();
    const paths = { kinesis: 0, firehose: 0 };
    const rowsWritten = () => archive.lines('analytics').map((l) => JSON.parse(l) as AnalyticsRow);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(SAMPLES.length - 1), { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
        async (picks, cuts, firehose) => {
          const records = picks.map((i) => SAMPLES[i] as (typeof SAMPLES)[number]);
          archive.objects.clear();
          await processKinesisBatch(toKinesisEvent(records, { shardId: 'shardId-whole' }), runtime);
          const whole = rowsWritten();
          archive.objects.clear();
          const batches = split(records, cuts);
          for (const [b, batch] of batches.entries()) {
            if (firehose[b] === true) {
              const event = toFirehoseEvent(batch);
              for (const [i, r] of event.records.entries()) r.recordId = `batch-${b}-${i}`;
              await processFirehoseBatch(event, runtime);
              paths.firehose++;
            } else {
              paths.kinesis++;
              await processKinesisBatch(toKinesisEvent(batch, { shardId: `shardId-${b}` }), runtime);
            }
          }
          const pieces = rowsWritten();
          expect(sorted(sums(messages(pieces), GROUP_FIELDS))).toEqual(
            sorted(sums(messages(whole), GROUP_FIELDS)),
          );
          expect(sorted(sums(quarantine(pieces), ['reason']))).toEqual(
            sorted(sums(quarantine(whole), ['reason'])),
          );
        },
      ),
      { numRuns: 40 },
    );
    expect(paths.kinesis).toBeGreaterThan(10);
    expect(paths.firehose).toBeGreaterThan(10);
  });
});
