import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { type KinesisResponse, processKinesisBatch } from '../../../src/batch/kinesis';
import { readKinesisWindowState } from '../../../src/batch/kinesisWindow';
import type { FixtureRecord } from '../../../src/fixtures/wrap';
import { addToRateWindow, RATE_STATE_BUDGET_BYTES } from '../../../src/rates/addToRateWindow';
import { isRateAlert, type RateAlert, rateAlertId } from '../../../src/rates/rateAlert';
import { type RollupRow, rollupRows, sumRollups } from '../../../src/rates/rollups';
import type { Runtime } from '../../../src/runtime';
import type { NormalizedRecord } from '../../../src/schema';
import { FakeLambdaClock, withRecordCost } from '../../helpers/clock';
import type { MemoryAlertSink, MemoryArchiveSink } from '../../helpers/memorySinks';
import { kinesisEvent, testRuntime } from '../../helpers/runtime';
import {
  deliveriesAndBounces,
  type EmailOutcome,
  emailRecord,
  SHARD,
  STREAM_ARN,
  sequenceOf,
  WINDOW,
  windowEvent,
} from '../../helpers/windows';
import { tempDir } from '../cli/cliIO';

const APP = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6';
const WINDOW_ISO = { start: '2026-11-30T10:00:00.000Z', end: '2026-11-30T10:05:00.000Z' };

/**
 * Lambda's side of one shard with a tumbling window: it keeps the `state` each response returns, hands it to
 * the next invocation, and delivers again from the first record a response handed back.
 */
class WindowedShard {
  state: unknown = {};
  next = 0;
  readonly responses: KinesisResponse[] = [];

  constructor(
    private readonly records: readonly FixtureRecord[],
    private readonly runtime: Runtime,
  ) {}

  /** One invocation of up to `size` records from where Lambda stands. */
  async invoke(
    size: number,
    flags: { final?: boolean; terminatedEarly?: boolean } = {},
    remainingMs?: () => number,
    runtime: Runtime = this.runtime,
  ): Promise<KinesisResponse> {
    const batch = this.records.slice(this.next, this.next + size);
    const event = windowEvent(batch, this.next, this.state, flags);
    const res = await processKinesisBatch(event, runtime, remainingMs);
    // Every response carries the state when windows are on: without it Lambda fails the invocation.
    expect(res).toHaveProperty('state');
    expect(res.state).not.toBeUndefined();
    // A JSON round trip, as Lambda keeps it.
    this.state = JSON.parse(JSON.stringify(res.state));
    this.next += batch.length - res.batchItemFailures.length;
    this.responses.push(res);
    return res;
  }

  get done(): boolean {
    return this.next >= this.records.length;
  }
}

const rollupRowsOf = (archive: MemoryArchiveSink): RollupRow[] =>
  archive.lines('rollups').map((l) => JSON.parse(l) as RollupRow);

const rateAlerts = (alerts: MemoryAlertSink): RateAlert[] => [...alerts.alerts.values()].filter(isRateAlert);

/** Sums of rollup rows per rule and outcome. */
function totals(rows: readonly RollupRow[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[`${r.rule}/${r.outcome}`] = (out[`${r.rule}/${r.outcome}`] ?? 0) + r.count;
  return out;
}

/** What the shipped email rate rules count of `delivered` deliveries and `bounced` bounces of one app. */
function shippedTotals(delivered: number, bounced: number): Record<string, number> {
  return {
    'email-bounce-rate-warn/delivered': delivered,
    'email-bounce-rate-warn/bounced': bounced,
    'email-bounce-rate-high/delivered': delivered,
    'email-bounce-rate-high/bounced': bounced,
    'email-complaint-rate-warn/delivered': delivered,
    'email-complaint-rate-high/delivered': delivered,
  };
}

describe('Kinesis tumbling windows', () => {
  it('answers without a state when the event has no window, exactly as before', async () => {
    const { runtime, archive } = await testRuntime();
    const res = await processKinesisBatch(kinesisEvent('email'), runtime);
    expect(res).toEqual({ batchItemFailures: [] });
    expect(archive.zone('rollups')).toHaveLength(0);
    expect(await processKinesisBatch({ Records: [] }, runtime)).toEqual({ batchItemFailures: [] });
  });

  it('counts several invocations of one window exactly, and closes it with one alert per rule and group', async () => {
    const { runtime, archive, alerts } = await testRuntime();
    // 6.25% bounces: over email-bounce-rate-high (5%, 200 messages), under warn's volume (500).
    const shard = new WindowedShard(deliveriesAndBounces(450, 30), runtime);
    await shard.invoke(200);
    await shard.invoke(200);
    expect(archive.zone('rollups')).toHaveLength(0);
    expect(rateAlerts(alerts)).toHaveLength(0);
    const last = await shard.invoke(200, { final: true });
    expect(shard.done).toBe(true);
    expect(last.batchItemFailures).toEqual([]);

    const rows = rollupRowsOf(archive);
    expect(totals(rows)).toEqual(shippedTotals(450, 30));
    expect(new Set(rows.map((r) => r.window_start))).toEqual(new Set([WINDOW_ISO.start]));
    const [object] = archive.zone('rollups');
    expect(object?.key).toBe(
      `rollups/dt=2026-11-30/hour=10/kinesis/pinpoint-events/${SHARD}_${Date.parse(WINDOW.start) / 1000}_${sequenceOf(0)}.jsonl.gz`,
    );
    expect(object?.metadata).toMatchObject({
      origin: 'kinesis',
      shard: SHARD,
      'window-start': WINDOW_ISO.start,
      'record-count': String(rows.length),
    });

    const fired = rateAlerts(alerts);
    expect(fired.map((a) => [a.rule, a.numerator, a.denominator, a.group])).toEqual([
      ['email-bounce-rate-high', 30, 480, { app_id: APP, configuration_set: null }],
    ]);
    expect(fired[0]?.alert_id).toBe(
      rateAlertId({
        stream: STREAM_ARN,
        shard: SHARD,
        windowStart: WINDOW_ISO.start,
        rule: 'email-bounce-rate-high',
        group: JSON.stringify([APP, null]),
      }),
    );
    expect(fired[0]?.window).toEqual(WINDOW_ISO);
  });

  it('never advances the state on a batch that fails, and counts its retry once', async () => {
    const { runtime, archive } = await testRuntime();
    const shard = new WindowedShard(deliveriesAndBounces(570, 30), runtime);
    await shard.invoke(200);
    const before = shard.state;
    for (const zone of ['raw', 'normalized'] as const) {
      archive.failZones = new Set([zone]);
      const failed = await shard.invoke(200);
      expect(failed.batchItemFailures).toHaveLength(200);
      expect(failed.state).toEqual(before);
    }
    archive.failZones = new Set();
    await shard.invoke(200);
    await shard.invoke(200, { final: true });
    expect(shard.done).toBe(true);
    expect(totals(rollupRowsOf(archive))).toEqual(shippedTotals(570, 30));
  });

  it('answers with the very state it received when a batch fails, whatever it was', async () => {
    const { runtime, archive } = await testRuntime();
    archive.failZones = new Set(['raw']);
    for (const state of [{}, 'garbage', 42, [1], { first: 'x', rates: 'no' }]) {
      const res = await processKinesisBatch(windowEvent(deliveriesAndBounces(5, 1), 0, state), runtime);
      expect(res.batchItemFailures).toHaveLength(6);
      expect(res.state).toEqual(state);
    }
    // A window event without a state (Lambda always sends one) still gets one back.
    const event = windowEvent(deliveriesAndBounces(5, 1), 0, undefined);
    delete (event as { state?: unknown }).state;
    expect((await processKinesisBatch(event, runtime)).state).toEqual({});
  });

  it('starts over from a state it did not write, and says so in its metrics', async () => {
    const { runtime } = await testRuntime();
    const reports: unknown[] = [];
    const ctx = {
      ...runtime,
      telemetry: { ...runtime.telemetry, rateWindow: (r: unknown) => reports.push(r) },
    };
    for (const state of ['garbage', 42, [1], { '1': 282, '2': 715 }, { first: 'x', rates: { version: 9 } }]) {
      const res = await processKinesisBatch(windowEvent(deliveriesAndBounces(9, 1), 0, state), ctx);
      expect(res.batchItemFailures).toEqual([]);
      const read = readKinesisWindowState(res.state);
      expect(read.valid).toBe(true);
      expect(read.first).toBe(sequenceOf(0));
      const rates = addToRateWindow(read.rates, [], runtime.rateRules);
      expect(rates.discarded).toBe(false);
      expect(totals(rollupRows(rates.state, WINDOW))).toEqual(shippedTotals(9, 1));
    }
    expect(reports).toHaveLength(5);
    for (const r of reports) expect(r).toMatchObject({ path: 'kinesis', discarded: true });
  });

  it('sends each rate alert once per window, rule and group when the final invoke is retried', async () => {
    const { runtime, archive, alerts } = await testRuntime();
    const records = [
      ...deliveriesAndBounces(190, 20, 0, { app: 'app-a' }),
      ...deliveriesAndBounces(380, 20, 1_000, { app: 'app-b' }),
      ...deliveriesAndBounces(100, 1, 2_000, { app: 'app-c' }),
    ];
    const shard = new WindowedShard(records, runtime);
    await shard.invoke(400);
    // The final invoke: the archive takes the rollups and SNS the rate alerts, but not the event alert of the
    // hard bounces; then the rollups cannot be written; then all is well.
    alerts.failRules.add('email-hard-bounce');
    const received = shard.state;
    const first = await shard.invoke(400, { final: true });
    expect(first.batchItemFailures).toHaveLength(311);
    expect(first.state).toEqual(received);
    alerts.failRules.clear();
    archive.failZones = new Set(['rollups']);
    const second = await shard.invoke(400, { final: true });
    expect(second.batchItemFailures).toHaveLength(311);
    expect(second.state).toEqual(received);
    archive.failZones = new Set();
    const third = await shard.invoke(400, { final: true });
    expect(third.batchItemFailures).toEqual([]);
    expect(shard.done).toBe(true);

    // app-a 20/210 = 9.5%, app-b 20/400 = 5%: the high rule (5%, 200 messages) fires for both, the warn rule
    // (500 messages) for neither; app-c has 101 messages.
    const fired = rateAlerts(alerts).map((a) => `${a.rule} ${a.group.app_id}`);
    expect(fired.sort()).toEqual(['email-bounce-rate-high app-a', 'email-bounce-rate-high app-b']);
    // Sent more than once (SNS FIFO drops the copies by alert id), never under another id.
    const published = alerts.published.filter(isRateAlert);
    expect(published.length).toBeGreaterThan(2);
    expect(new Set(published.map((a) => a.alert_id)).size).toBe(2);
    // One rollup object, rewritten by each attempt under the same key.
    expect(archive.zone('rollups')).toHaveLength(1);
    expect(totals(rollupRowsOf(archive))).toEqual({
      'email-bounce-rate-warn/delivered': 670,
      'email-bounce-rate-warn/bounced': 41,
      'email-bounce-rate-high/delivered': 670,
      'email-bounce-rate-high/bounced': 41,
      'email-complaint-rate-warn/delivered': 670,
      'email-complaint-rate-high/delivered': 670,
    });
  });

  it('counts only the processed prefix of a batch cut short near the deadline', async () => {
    const test = await testRuntime({ DEADLINE_MARGIN_MS: '1000' });
    const clock = new FakeLambdaClock(10_000);
    const shard = new WindowedShard(deliveriesAndBounces(18, 2), test.runtime);
    const cut = await shard.invoke(20, {}, clock.remainingMs, withRecordCost(test.runtime, clock, 1000));
    expect(cut.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(
      Array.from({ length: 13 }, (_, i) => sequenceOf(i + 7)),
    );
    const read = readKinesisWindowState(cut.state);
    const counted = rollupRows(addToRateWindow(read.rates, [], test.runtime.rateRules).state, WINDOW);
    const prefix = test.archive.lines('normalized').map((l) => JSON.parse(l) as NormalizedRecord);
    expect(prefix).toHaveLength(7);
    expect(counted).toEqual(rollupRows(addToRateWindow({}, prefix, test.runtime.rateRules).state, WINDOW));
    await shard.invoke(20, { final: true });
    expect(shard.done).toBe(true);
    expect(totals(rollupRowsOf(test.archive))).toEqual(shippedTotals(18, 2));
  });

  it('counts dropped records too, as MessageEvents does: a drop rule decides what is kept, not what happened', async () => {
    const dir = tempDir('window-drop');
    writeFileSync(
      join(dir, 'rules.yaml'),
      'version: 1\nrules:\n  - { name: drop-bounces, match: { outcome: bounced }, action: drop }\n',
    );
    const { runtime, archive } = await testRuntime({ RULES_FILE: join(dir, 'rules.yaml') });
    const shard = new WindowedShard(deliveriesAndBounces(40, 10), runtime);
    await shard.invoke(50, { final: true });
    expect(archive.lines('normalized')).toHaveLength(40);
    expect(totals(rollupRowsOf(archive))).toEqual(shippedTotals(40, 10));
  });

  it('evaluates a window Lambda ended early, and the next piece of it separately: the rows still add up', async () => {
    const { runtime, archive, alerts } = await testRuntime();
    const records = deliveriesAndBounces(380, 20);
    const shard = new WindowedShard(records, runtime);
    await shard.invoke(100);
    await shard.invoke(100, { terminatedEarly: true });
    // The next invoke continues the window with a fresh state.
    shard.state = {};
    await shard.invoke(100);
    await shard.invoke(100, { final: true });
    const pieces = archive.zone('rollups');
    expect(pieces.map((o) => o.key.split('_').pop())).toEqual([
      `${sequenceOf(0)}.jsonl.gz`,
      `${sequenceOf(200)}.jsonl.gz`,
    ]);
    expect(totals(rollupRowsOf(archive))).toEqual(shippedTotals(380, 20));
    // Each piece alone is evaluated on its own counts (200 messages each: 5% bounces reach the high rule).
    expect(rateAlerts(alerts).map((a) => a.denominator)).toEqual([200]);
  });

  it('closes a window on a final invoke without records, and answers an empty invoke with the state it got', async () => {
    const { runtime, archive, alerts } = await testRuntime();
    const shard = new WindowedShard(deliveriesAndBounces(285, 15), runtime);
    await shard.invoke(300);
    const empty = await processKinesisBatch(windowEvent([], 300, shard.state), runtime);
    expect(empty).toEqual({ batchItemFailures: [], state: shard.state });
    const final = await processKinesisBatch(windowEvent([], 300, shard.state, { final: true }), runtime);
    expect(final.batchItemFailures).toEqual([]);
    expect(totals(rollupRowsOf(archive))).toEqual(shippedTotals(285, 15));
    expect(rateAlerts(alerts).map((a) => a.rule)).toEqual(['email-bounce-rate-high']);
    // A window that counted nothing writes nothing.
    const { runtime: other, archive: nothing } = await testRuntime();
    const idle = await processKinesisBatch(windowEvent([], 0, {}, { final: true }), other);
    expect(idle).toEqual({ batchItemFailures: [], state: {} });
    expect(nothing.objects.size).toBe(0);
  });

  it('keeps the state within its budget under a flood of 50,000 distinct campaigns, the rollups summing to every record', async () => {
    const dir = tempDir('window-flood');
    writeFileSync(
      join(dir, 'rules.yaml'),
      [
        'version: 1',
        'rules:',
        '  - name: campaign-bounce-rate',
        '    kind: rate',
        '    numerator: [bounced]',
        '    denominator: [delivered, bounced]',
        '    group_by: [campaign_id]',
        '    threshold: 0.5',
        '    min_volume: 1',
        '    severity: high',
      ].join('\n'),
    );
    const { runtime, archive } = await testRuntime({ RULES_FILE: join(dir, 'rules.yaml') });
    const campaigns = 50_000;
    const records: FixtureRecord[] = [];
    for (let i = 0; i < campaigns; i++) {
      const outcome: EmailOutcome = i % 10 === 0 ? 'bounced' : 'delivered';
      records.push(emailRecord(outcome, i, { campaign: `campaign-${i.toString(36).padStart(8, '0')}` }));
    }
    const reports: Array<{ stateBytes: number; overflowed: number }> = [];
    const ctx = {
      ...runtime,
      telemetry: {
        ...runtime.telemetry,
        rateWindow: (r: { stateBytes: number; overflowed: number }) => reports.push(r),
      },
    };
    const shard = new WindowedShard(records, ctx);
    while (!shard.done) {
      const res = await shard.invoke(10_000, { final: shard.next + 10_000 >= campaigns });
      expect(res.batchItemFailures).toEqual([]);
      const bytes = Buffer.byteLength(JSON.stringify(res.state), 'utf8');
      expect(bytes).toBeLessThanOrEqual(RATE_STATE_BUDGET_BYTES + 200);
      expect(bytes).toBeLessThan(1_000_000);
    }
    expect(reports).toHaveLength(5);
    expect(reports.at(-1)?.stateBytes).toBeLessThanOrEqual(RATE_STATE_BUDGET_BYTES);
    expect(reports.reduce((n, r) => n + r.overflowed, 0)).toBeGreaterThan(0);
    const rows = rollupRowsOf(archive);
    expect(totals(rows)).toEqual({
      'campaign-bounce-rate/delivered': 45_000,
      'campaign-bounce-rate/bounced': 5_000,
      // The shipped rules group by app: one group.
      ...shippedTotals(45_000, 5_000),
    });
    expect(rows.some((r) => r.overflow === true)).toBe(true);
  }, 120_000);

  it('gives rollups that sum to those of the whole however the records are split into invocations', async () => {
    const outcomes: EmailOutcome[] = ['delivered', 'bounced', 'complained', 'opened'];
    const recordArb = fc
      .tuple(fc.constantFrom(...outcomes), fc.constantFrom('app-1', 'app-2'), fc.constantFrom('c-1', 'c-2'))
      .map(([outcome, app, campaign]) => ({ outcome, app, campaign }));
    await fc.assert(
      fc.asyncProperty(
        fc.array(recordArb, { minLength: 1, maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 3 }),
        async (specs, sizes, earlyEnds) => {
          const test = await testRuntime();
          const records = specs.map((s, i) => emailRecord(s.outcome, i, s));
          const shard = new WindowedShard(records, test.runtime);
          let k = 0;
          while (!shard.done) {
            const size = sizes[k++ % sizes.length] as number;
            const last = shard.next + size >= records.length;
            const early = !last && earlyEnds.includes(shard.next);
            await shard.invoke(size, { final: last, terminatedEarly: early });
            if (early) shard.state = {};
          }
          const wholeTest = await testRuntime();
          const once = new WindowedShard(records, wholeTest.runtime);
          await once.invoke(records.length, { final: true });
          expect(sumRollups(rollupRowsOf(test.archive)).sort(byKey)).toEqual(
            sumRollups(rollupRowsOf(wholeTest.archive)).sort(byKey),
          );
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});

const byKey = (a: RollupRow, b: RollupRow) => {
  const ka = JSON.stringify([a.rule, a.app_id, a.campaign_id, a.configuration_set, a.outcome]);
  const kb = JSON.stringify([b.rule, b.app_id, b.campaign_id, b.configuration_set, b.outcome]);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};
