import { countRates, type RateCountingOptions, settleRateAlerts } from '../../../src/batch/countRates';
import { RateTally } from '../../../src/rates/RateTally';
import { sequenceKey } from '../../../src/rates/sequenceKey';
import type { NormalizedRecord, Outcome } from '../../../src/schema';
import { normalizedRecord } from '../../helpers/factories';
import { MemoryRateStore } from '../../helpers/memoryRateStore';
import { silentLogger } from '../../helpers/runtime';
import { compile, rateSpec } from '../rates/helpers';

const RULE = compile(rateSpec({ min_volume: 10, threshold: 0.1, window: '1h' }))[0];
const RULES = RULE === undefined ? [] : [RULE];
const T0 = Date.parse('2026-12-01T10:00:00.000Z');

/** Email records of one configuration set arriving at T0 + i seconds: `bounced` where `bounce(i)`. */
function emails(n: number, bounce: (i: number) => boolean, from = 0, set = 'marketing'): NormalizedRecord[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const outcome: Outcome = bounce(i) ? 'bounced' : 'delivered';
    return normalizedRecord({
      source: 'ses',
      channel: 'EMAIL',
      outcome,
      configuration_set: set,
      arrival_time: new Date(T0 + i * 1000).toISOString(),
    });
  });
}

/** Sequence numbers of a shard: 56 digits, growing. */
const seq = (i: number) => `4965${String(1_000_000 + i).padStart(52, '0')}`;

/** The totals of every counter of a rule, by outcome. */
function totals(store: MemoryRateStore, rule: string): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const c of store.counters.values()) {
    if (c.ref.rule !== rule) continue;
    for (const [o, n] of Object.entries(c.counts)) sum[o] = (sum[o] ?? 0) + n;
  }
  return sum;
}

function tallyOf(records: readonly NormalizedRecord[]): RateTally {
  const tally = new RateTally(RULES);
  records.forEach((r, i) => {
    tally.add(r, i);
  });
  return tally;
}

function options(store: MemoryRateStore, guard: RateCountingOptions['guard']): RateCountingOptions {
  return {
    store,
    guard,
    batchLabel: 'test',
    nowMs: T0 + 3_600_000,
    retentionMs: 48 * 3_600_000,
    concurrency: 4,
    claimLeaseMs: 300_000,
    maxAlertsPerRule: 20,
    write: () => ({}),
    logger: silentLogger,
  };
}

/** Counts a Kinesis batch of records numbered `from`… under the shard's high-water mark. */
async function kinesisBatch(store: MemoryRateStore, records: readonly NormalizedRecord[], from: number) {
  const plan = tallyOf(records).plan(() => true);
  return countRates(
    plan,
    options(store, {
      kind: 'sequence',
      lane: 'shardId-000000000001',
      sequenceKey: (i) => sequenceKey(seq(from + i)),
    }),
  );
}

describe('countRates', () => {
  it('counts a Kinesis batch retried three times once', async () => {
    const store = new MemoryRateStore();
    const batch = emails(50, (i) => i % 10 === 0);
    for (let attempt = 0; attempt < 3; attempt++) await kinesisBatch(store, batch, 0);
    expect(totals(store, 'bounce-rate')).toEqual({ delivered: 45, bounced: 5 });
  });

  it('adds only the records past the mark when a retry comes in another size (a crash, then a larger batch)', async () => {
    const store = new MemoryRateStore();
    const all = emails(30, (i) => i >= 20);
    await kinesisBatch(store, all.slice(0, 10), 0);
    // Lambda re-reads from its checkpoint and hands over records 0…29 at once: 0…9 are already counted.
    const retried = await kinesisBatch(store, all, 0);
    expect(totals(store, 'bounce-rate')).toEqual({ delivered: 20, bounced: 10 });
    expect(retried.written + retried.alreadyApplied).toBeGreaterThan(0);
    // And a smaller retry after that adds nothing.
    await kinesisBatch(store, all.slice(0, 5), 0);
    expect(totals(store, 'bounce-rate')).toEqual({ delivered: 20, bounced: 10 });
  });

  it('counts a Firehose invocation retried with the same record ids once, and two invocations both', async () => {
    const store = new MemoryRateStore();
    const run = (records: NormalizedRecord[], batchId: string) =>
      countRates(
        tallyOf(records).plan(() => true),
        options(store, { kind: 'batch', batchId }),
      );
    const a = emails(40, (i) => i < 2);
    const b = emails(40, (i) => i < 46, 40);
    await run(a, 'batch-a');
    await run(a, 'batch-a');
    await run(b, 'batch-b');
    await run(a, 'batch-a');
    expect(totals(store, 'bounce-rate')).toEqual({ delivered: 72, bounced: 8 });
    // Nothing is left in flight once a batch is settled.
    for (const c of store.counters.values()) expect(c.inFlight.size).toBe(0);
  });

  it('finishes a Firehose batch that crashed between its adds and its marker: no add twice, none lost', async () => {
    const store = new MemoryRateStore();
    const records = [...emails(20, () => false), ...emails(20, () => true, 0, 'transactional')];
    const plan = tallyOf(records).plan(() => true);
    expect(plan.counters).toHaveLength(2);
    // The first attempt adds to the first counter, then the second add's answer is lost (applied, but the
    // caller never knows) and the invocation dies before settling its marker.
    let adds = 0;
    store.fault = (op) => {
      if (op === 'add' && ++adds === 2) return 'after';
      return op === 'settleBatch' ? 'before' : 'none';
    };
    const crashed = await countRates(plan, options(store, { kind: 'batch', batchId: 'b' }));
    expect(crashed.dropped).toBe(20);
    store.fault = () => 'none';
    await countRates(plan, options(store, { kind: 'batch', batchId: 'b' }));
    expect(totals(store, 'bounce-rate')).toEqual({ delivered: 20, bounced: 20 });
    expect(store.markers.get('b')?.pending.size).toBe(0);
  });

  it('counts only the records the batch delivered', async () => {
    const store = new MemoryRateStore();
    const plan = tallyOf(emails(20, (i) => i >= 10)).plan((i) => i < 10);
    await countRates(plan, options(store, { kind: 'batch', batchId: 'x' }));
    expect(totals(store, 'bounce-rate')).toEqual({ delivered: 10 });
  });

  it('claims the alert once, when the window crosses, whichever batch crosses it', async () => {
    const store = new MemoryRateStore();
    // 9 deliveries: below min_volume (10). Then 1 bounce: 1/10 = 10% ≥ threshold at volume 10.
    const first = await kinesisBatch(
      store,
      emails(9, () => false),
      0,
    );
    expect(first.claimed).toHaveLength(0);
    const crossing = await kinesisBatch(
      store,
      emails(1, () => true, 9),
      9,
    );
    expect(crossing.claimed.map((c) => c.alert.rule)).toEqual(['bounce-rate']);
    const alert = crossing.claimed[0]?.alert;
    expect(alert).toMatchObject({
      numerator: 1,
      denominator: 10,
      rate: 0.1,
      window: { start: '2026-12-01T10:00:00.000Z', end: '2026-12-01T11:00:00.000Z' },
      group: { configuration_set: 'marketing' },
    });
    await settleRateAlerts(
      store,
      crossing.claimed,
      new Set([alert?.alert_id ?? '']),
      options(store, { kind: 'batch', batchId: '' }),
    );
    // Still over the threshold later in the window: never again.
    const later = await kinesisBatch(
      store,
      emails(5, () => true, 10),
      10,
    );
    expect(later.claimed).toHaveLength(0);
  });

  it('gives the alert back when it was not sent, so that the next batch sends it', async () => {
    const store = new MemoryRateStore();
    const crossing = await kinesisBatch(
      store,
      emails(10, (i) => i < 2),
      0,
    );
    expect(crossing.claimed).toHaveLength(1);
    await settleRateAlerts(
      store,
      crossing.claimed,
      new Set(),
      options(store, { kind: 'batch', batchId: '' }),
    );
    const next = await kinesisBatch(
      store,
      emails(1, () => false, 10),
      10,
    );
    expect(next.claimed.map((c) => c.alert.alert_id)).toEqual(crossing.claimed.map((c) => c.alert.alert_id));
  });

  it('names the alert by rule, group and window only: the same id from any shard or path', async () => {
    const a = new MemoryRateStore();
    const b = new MemoryRateStore();
    const records = emails(10, (i) => i < 3);
    const viaKinesis = await kinesisBatch(a, records, 0);
    const viaFirehose = await countRates(
      tallyOf(records).plan(() => true),
      options(b, { kind: 'batch', batchId: 'f' }),
    );
    expect(viaKinesis.claimed[0]?.alert.alert_id).toMatch(/^[0-9a-f]{32}$/);
    expect(viaFirehose.claimed[0]?.alert.alert_id).toBe(viaKinesis.claimed[0]?.alert.alert_id);
  });

  it('drops the counts and says how many when the store is down, without throwing', async () => {
    const store = new MemoryRateStore();
    store.fault = () => 'before';
    const out = await kinesisBatch(
      store,
      emails(25, () => false),
      0,
    );
    expect(out.dropped).toBe(25);
    expect(out.written).toBe(0);
    expect(out.errors.length).toBeGreaterThan(0);
    const marked = await countRates(
      tallyOf(emails(7, () => false)).plan(() => true),
      options(store, { kind: 'batch', batchId: 'm' }),
    );
    expect(marked.dropped).toBe(7);
  });
});

describe('RateTally', () => {
  it('puts each record in the window of its arrival, aligned to UTC, per rule window', () => {
    const [fiveMinutes] = compile(rateSpec({ name: 'r5', window: '5m', group_by: undefined }));
    const tally = new RateTally(fiveMinutes === undefined ? [] : [fiveMinutes]);
    const times = ['2026-12-01T10:04:59.999Z', '2026-12-01T10:05:00.000Z', '2026-12-01T10:09:00.000Z'];
    times.forEach((t, i) => {
      tally.add(normalizedRecord({ channel: 'EMAIL', outcome: 'delivered', arrival_time: t }), i);
    });
    tally.add(normalizedRecord({ channel: 'EMAIL', outcome: 'delivered', arrival_time: 'soon' }), 3);
    const plan = tally.plan(() => true);
    expect(plan.counters.map((c) => [c.windowStart, c.windowEnd, c.counts])).toEqual([
      ['2026-12-01T10:00:00.000Z', '2026-12-01T10:05:00.000Z', { delivered: 1 }],
      ['2026-12-01T10:05:00.000Z', '2026-12-01T10:10:00.000Z', { delivered: 2 }],
    ]);
    expect(plan.uncounted).toBe(1);
  });

  it('leaves out arrivals in the last day of year 9999, whose windows would end past it', () => {
    const [daily] = compile(rateSpec({ name: 'r1d', window: '1d', group_by: undefined }));
    const tally = new RateTally(daily === undefined ? [] : [daily]);
    tally.add(
      normalizedRecord({ channel: 'EMAIL', outcome: 'delivered', arrival_time: '9999-12-31T23:00:00.000Z' }),
      0,
    );
    tally.add(
      normalizedRecord({ channel: 'EMAIL', outcome: 'delivered', arrival_time: '9999-12-30T23:00:00.000Z' }),
      1,
    );
    const plan = tally.plan(() => true);
    expect(plan.uncounted).toBe(1);
    expect(plan.counters.map((c) => c.windowEnd)).toEqual(['9999-12-31T00:00:00.000Z']);
  });

  it('groups by a message tag (SES mail.tags, End User Messaging context), bounded', () => {
    const [byTag] = compile(rateSpec({ name: 'by-tag', group_by: ['attributes.campaign'] }));
    const tally = new RateTally(byTag === undefined ? [] : [byTag]);
    const rec = (campaign: string | undefined) =>
      normalizedRecord({
        channel: 'EMAIL',
        outcome: 'delivered',
        ...(campaign !== undefined && { attributes: { campaign } }),
      });
    [rec('spring'), rec('spring'), rec('x'.repeat(1000)), rec(undefined)].forEach((r, i) => {
      tally.add(r, i);
    });
    const groups = tally.plan(() => true).counters.map((c) => JSON.parse(c.group ?? 'null')[0]);
    expect(groups[0]).toBe('spring');
    expect(String(groups[1]).length).toBeLessThan(300);
    expect(groups[2]).toBeNull();
  });

  it('keeps at most maxCounters counters, the smallest groups merged into their rule window other group', () => {
    const tally = new RateTally(RULES);
    let i = 0;
    for (let g = 0; g < 50; g++) {
      for (let k = 0; k <= g; k++) {
        tally.add(
          normalizedRecord({
            channel: 'EMAIL',
            outcome: 'delivered',
            configuration_set: `set-${g}`,
            arrival_time: new Date(T0).toISOString(),
          }),
          i++,
        );
      }
    }
    const plan = tally.plan(() => true, 10);
    expect(plan.counters).toHaveLength(10);
    const other = plan.counters.find((c) => c.group === null);
    const kept = plan.counters.filter((c) => c.group !== null);
    expect(kept.map((c) => JSON.parse(c.group ?? '[]')[0]).sort()).toEqual(
      Array.from({ length: 9 }, (_, k) => `set-${41 + k}`).sort(),
    );
    expect(plan.overflowed).toBe(other?.entries.length);
    let total = 0;
    for (const c of plan.counters) total += c.entries.length;
    expect(total).toBe(i);
    // The same records give the same plan (a retry adds to the same counters).
    expect(tally.plan(() => true, 10).counters.map((c) => c.id)).toEqual(plan.counters.map((c) => c.id));
  });
});

describe('sequenceKey', () => {
  it('orders decimal sequence numbers as numbers', () => {
    const numbers = ['9', '10', '99', '100', '49656178632478946225718230919431271478127036462117879810'];
    const keys = numbers.map(sequenceKey);
    expect([...keys].sort()).toEqual(keys);
    expect(sequenceKey('007')).toBe(sequenceKey('7'));
    expect(sequenceKey('')).toBe('000');
    expect(sequenceKey('12a')).toBe('000');
  });
});
