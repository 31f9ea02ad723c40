import type { AnyAlert } from '../../../src/alerts/anyAlert';
import { counterRef, type RateCountingResult } from '../../../src/batch/countRates';
import {
  MAX_RATE_LINES,
  MAX_REPORTED_ALERTS,
  RunRates,
  renderRunRates,
  runRatesJson,
  withoutRateAlerts,
} from '../../../src/cli/runRates';
import { loadConfig } from '../../../src/config';
import { RateTally } from '../../../src/rates/RateTally';
import { rateSettingsOf } from '../../../src/runtime';
import type { AlertSink, BatchRef } from '../../../src/sinks/ports';
import { MemoryRateStore } from '../../helpers/memoryRateStore';
import { compile, rateSpec, rec } from '../rates/helpers';
import { testAlert, testRateAlert } from '../sinks/testAlert';

const [BY_CAMPAIGN] = compile(
  rateSpec({ name: 'by-campaign', group_by: ['campaign_id'], min_volume: 1, window: '15m' }),
);
const RULES = BY_CAMPAIGN === undefined ? [] : [BY_CAMPAIGN];
const AT = '2026-01-05T10:01:00.000Z';

function setup(alertsSent: boolean) {
  const store = new MemoryRateStore();
  const settings = rateSettingsOf(loadConfig({}), store);
  return { store, settings, rates: new RunRates(RULES, settings, alertsSent) };
}

/** The plan of one record per campaign, `n` campaigns (in their order), as a batch would make it. */
function planOf(n: number, campaign = (i: number) => `c-${i}`) {
  const tally = new RateTally(RULES);
  for (let i = 0; i < n; i++) {
    tally.add(rec('delivered', { campaign_id: campaign(i), arrival_time: AT }), i);
  }
  return tally.plan(() => true, n + 1);
}

function counted(over: Partial<RateCountingResult> = {}): RateCountingResult {
  return { claimed: [], written: 0, alreadyApplied: 0, dropped: 0, omitted: 0, errors: [], ...over };
}

describe('RunRates', () => {
  it(`lists the first ${MAX_RATE_LINES.toLocaleString('en-US')} counters, and counts the others`, async () => {
    const { rates } = setup(true);
    const plan = planOf(MAX_RATE_LINES + 50);
    rates.forBatch('file:a').onCounted?.(plan, counted({ written: plan.counters.length }));
    // The same counters again (another batch): not counted twice.
    rates.forBatch('file:b').onCounted?.(plan, counted({ alreadyApplied: plan.counters.length }));
    const report = await rates.report();
    expect(report.counters).toHaveLength(MAX_RATE_LINES);
    expect(report.unlisted).toBe(50);
    expect(report.counters[0]).toMatchObject({ group: { campaign_id: 'c-0' }, numerator: 0, denominator: 0 });
    expect(report.counters[0]?.rate).toBeNull();
    expect(runRatesJson(report).rateCounts).toMatchObject({
      counters: MAX_RATE_LINES + 50,
      countersNotListed: 50,
      written: MAX_RATE_LINES + 50,
      alreadyApplied: MAX_RATE_LINES + 50,
    });
    const text = renderRunRates(report, 'out/rates/');
    expect(text).toMatch(
      /^10,050 counters in out\/rates\/; 10,050 counter adds by this run, 10,050 already counted/m,
    );
    expect(text).toMatch(/^50 counters not listed \(10,000 at most\)\.$/m);
  });

  it(`keeps the first ${MAX_REPORTED_ALERTS} rate alerts it claimed, and counts them all`, async () => {
    const { rates } = setup(true);
    const plan = planOf(1);
    const ref = counterRef(plan.counters[0] as never, 1000);
    const claimed = Array.from({ length: MAX_REPORTED_ALERTS + 1 }, (_, i) => ({
      alert: testRateAlert({}, i),
      counter: ref,
      token: 't',
    }));
    rates.forBatch('file:a').onCounted?.(plan, counted({ claimed }));
    expect(rates.claimed).toBe(MAX_REPORTED_ALERTS + 1);
    const report = await rates.report();
    expect(report.alerts).toHaveLength(MAX_REPORTED_ALERTS);
    expect(report.alertsClaimed).toBe(MAX_REPORTED_ALERTS + 1);
    expect(renderRunRates(report, 'x')).toMatch(/; 1,001 rate alerts claimed and sent\.$/m);
  });

  it('reads each counter’s totals and alert back from the store: sent, claimed, or none', async () => {
    for (const alertsSent of [true, false]) {
      const { store, settings, rates } = setup(alertsSent);
      const plan = planOf(3);
      const refs = plan.counters.map((c) => counterRef(c, settings.retentionMs));
      for (const [i, ref] of refs.entries()) {
        await store.add(ref, { delivered: 10 + i, bounced: i + 1 }, { kind: 'batch', batchId: `b${i}` });
      }
      const [sent, held] = refs as [(typeof refs)[0], (typeof refs)[0]];
      await store.claimAlert(sent, 'me', 1, Date.now() + 60_000);
      await store.settleAlert(sent, 'me', 'sent');
      await store.claimAlert(held, 'another run', 1, Date.now() + 60_000);
      rates
        .forBatch('file:a')
        .onCounted?.(plan, counted({ claimed: [{ alert: testRateAlert(), counter: sent, token: 'me' }] }));
      const report = await rates.report();
      expect(report.counters.map((c) => [c.group.campaign_id, c.numerator, c.denominator, c.alert])).toEqual([
        ['c-0', 1, 11, alertsSent ? 'sent' : 'claimed'],
        ['c-1', 2, 13, 'claimed'],
        ['c-2', 3, 15, null],
      ]);
      expect(report.counters[2]?.rate).toBe(3 / 15);
    }
  });

  it('prints group values escaped: a tag cannot break the table or drive the terminal', async () => {
    const { rates } = setup(true);
    const plan = planOf(1, () => 'a\nb\u001b[31mred');
    rates.forBatch('file:a').onCounted?.(plan, counted());
    const text = renderRunRates(await rates.report(), 'x');
    expect(text).toContain('campaign_id=a\\nb\\u001b[31mred');
    expect(text).not.toContain('\u001b');
    expect(text.split('\n')[1]).toMatch(/^by-campaign +2026-01-05T10:00Z–10:15Z +campaign_id=a\\nb/);
  });

  it('gives the other group of a window its own line', async () => {
    const { rates } = setup(true);
    const tally = new RateTally(RULES);
    for (let i = 0; i < 5; i++) tally.add(rec('delivered', { campaign_id: `c-${i}`, arrival_time: AT }), i);
    const plan = tally.plan(() => true, 3);
    rates.forBatch('file:a').onCounted?.(plan, counted());
    const report = await rates.report();
    expect(report.counters.at(-1)).toMatchObject({ overflow: true, group: {} });
    expect(renderRunRates(report, 'x')).toMatch(/^by-campaign +\S+ +\(other groups\) +0 +0 +- /m);
  });
});

describe('withoutRateAlerts', () => {
  it('passes event alerts to the sink and takes rate alerts without sending them', async () => {
    const published: AnyAlert[][] = [];
    const sink: AlertSink = {
      publish: async (alerts) => {
        published.push([...alerts]);
        return { failed: [] };
      },
    };
    const batch = { label: 'b' } as BatchRef;
    const wrapped = withoutRateAlerts(sink);
    expect(await wrapped.publish([testRateAlert()], batch)).toEqual({ failed: [] });
    expect(published).toEqual([]);
    const event = testAlert();
    expect(await wrapped.publish([testRateAlert(), event], batch)).toEqual({ failed: [] });
    expect(published).toEqual([[event]]);
  });
});
