import fc from 'fast-check';
import { RateCounter } from '../../../src/rates/RateCounter';
import { openHourlyRollup, type RollupRow, rollupRows } from '../../../src/rates/rollups';
import type { CompiledRateRule } from '../../../src/rules/compileRateRules';
import { RATE_GROUP_KEYS } from '../../../src/rules/rateGroupKeys';
import type { NormalizedRecord } from '../../../src/schema';
import { rollupRecords, sumRollups } from '../../helpers/rollups';
import { compile, RULES, rateSpec, rec, recordArb, splitAt } from './helpers';

const WINDOW = { start: '2026-11-30T10:00:00Z', end: '2026-11-30T10:05:00Z' };

/** Rows in one order whatever order they came in, for comparing sums. */
function sorted(rows: RollupRow[]): RollupRow[] {
  const key = (r: RollupRow) =>
    JSON.stringify([
      r.window_start,
      r.rule,
      ...RATE_GROUP_KEYS.map((k) => r[k] ?? null),
      r.overflow ?? false,
      r.outcome,
    ]);
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** The counts of records in one window (every group kept, or those within a byte budget). */
function stateOf(
  records: readonly NormalizedRecord[],
  rules: readonly CompiledRateRule[],
  budgetBytes = Number.POSITIVE_INFINITY,
) {
  const counter = new RateCounter(rules, budgetBytes);
  for (const r of records) counter.add(r);
  return counter.toState();
}

const windowRows = (records: NormalizedRecord[], budgetBytes?: number) =>
  rollupRows(stateOf(records, RULES, budgetBytes), WINDOW);

/** Sums of count per rule and outcome: what survives any overflow. */
function totals(rows: RollupRow[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[`${r.rule}/${r.outcome}`] = (out[`${r.rule}/${r.outcome}`] ?? 0) + r.count;
  return out;
}

describe('rollupRows', () => {
  it('writes one row per rule, group and outcome counted, with the group as columns', () => {
    const rows = windowRows([
      rec('delivered', { configuration_set: 'marketing' }),
      rec('bounced', { configuration_set: 'marketing' }),
      rec('delivered'),
      rec('failed', { channel: 'SMS', app_id: 'app-1', campaign_id: 'c-1' }),
      rec('delivered', { channel: 'SMS', app_id: 'app-1' }),
    ]);
    const at = { window_start: '2026-11-30T10:00:00.000Z', window_end: '2026-11-30T10:05:00.000Z' };
    expect(rows).toEqual([
      { ...at, rule: 'bounce-rate', configuration_set: 'marketing', outcome: 'delivered', count: 1 },
      { ...at, rule: 'bounce-rate', configuration_set: 'marketing', outcome: 'bounced', count: 1 },
      { ...at, rule: 'bounce-rate', outcome: 'delivered', count: 1 },
      { ...at, rule: 'complaint-rate', outcome: 'delivered', count: 3 },
      { ...at, rule: 'sms-failure-rate', app_id: 'app-1', campaign_id: 'c-1', outcome: 'failed', count: 1 },
      { ...at, rule: 'sms-failure-rate', app_id: 'app-1', outcome: 'delivered', count: 1 },
    ]);
  });

  it('writes the other group as rows marked overflow, without group columns', () => {
    const [byCampaign] = compile(rateSpec({ name: 'by-campaign', group_by: ['campaign_id'] }));
    const rules = byCampaign ? [byCampaign] : [];
    const records = Array.from({ length: 500 }, (_, i) => rec('delivered', { campaign_id: `campaign-${i}` }));
    const rows = rollupRows(stateOf(records, rules, 1_000), WINDOW);
    const overflow = rows.filter((r) => r.overflow === true);
    expect(overflow).toEqual([
      {
        window_start: '2026-11-30T10:00:00.000Z',
        window_end: '2026-11-30T10:05:00.000Z',
        rule: 'by-campaign',
        overflow: true,
        outcome: 'delivered',
        count: 500 - (rows.length - 1),
      },
    ]);
    expect(rows.reduce((n, r) => n + r.count, 0)).toBe(500);
  });

  it('holds strings and whole-number counts only, for Athena', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 50 }), (records) => {
        for (const row of windowRows(records)) {
          for (const [key, value] of Object.entries(row)) {
            if (key === 'count') expect(Number.isSafeInteger(value) && (value as number) > 0).toBe(true);
            else if (key === 'overflow') expect(value).toBe(true);
            else expect(typeof value).toBe('string');
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  describe('of a batch split any way, sum to the rollups of the whole', () => {
    const pieces = fc.tuple(fc.array(recordArb, { maxLength: 150 }), fc.array(fc.nat(), { maxLength: 6 }));

    it('when each piece is counted on its own', () => {
      fc.assert(
        fc.property(pieces, ([records, cuts]) => {
          const rows = splitAt(records, cuts).flatMap((piece) => windowRows(piece));
          expect(sorted(sumRollups(rows))).toEqual(sorted(sumRollups(windowRows(records))));
        }),
        { numRuns: 200 },
      );
    });

    it('in totals per rule and outcome even when groups overflow', () => {
      fc.assert(
        fc.property(pieces, fc.integer({ min: 600, max: 3_000 }), ([records, cuts], budgetBytes) => {
          const rows = splitAt(records, cuts).flatMap((piece) => windowRows(piece, budgetBytes));
          expect(totals(rows)).toEqual(totals(windowRows(records)));
        }),
        { numRuns: 200 },
      );
    });

    it('when the pieces are Firehose invocations (no state; every group kept)', () => {
      const hourly = recordArb.chain((r) =>
        fc
          .constantFrom(['2026-11-30', '09'], ['2026-11-30', '23'], ['2026-12-01', '00'])
          .map(([dt, hour]) => ({
            ...r,
            dt: dt as string,
            hour: hour as string,
          })),
      );
      fc.assert(
        fc.property(
          fc.array(hourly, { maxLength: 150 }),
          fc.array(fc.nat(), { maxLength: 6 }),
          (records, cuts) => {
            const rows = splitAt(records, cuts).flatMap((piece) => rollupRecords(piece, RULES));
            expect(sorted(sumRollups(rows))).toEqual(sorted(rollupRecords(records, RULES)));
          },
        ),
        { numRuns: 200 },
      );
    });
  });
});

describe('openHourlyRollup (Firehose, one record at a time)', () => {
  it('gives the rows rollupRecords gives', () => {
    const hourly = recordArb.chain((r) =>
      fc.constantFrom(['2026-11-30', '23'], ['2026-12-01', '00']).map(([dt, hour]) => ({
        ...r,
        dt: dt as string,
        hour: hour as string,
      })),
    );
    fc.assert(
      fc.property(fc.array(hourly, { maxLength: 150 }), (records) => {
        const open = openHourlyRollup(RULES);
        for (const r of records) open.add(r);
        expect(open.rows()).toEqual(rollupRecords(records, RULES));
      }),
      { numRuns: 100 },
    );
  });
});

describe('rollupRecords (Firehose)', () => {
  it('counts per hour of arrival, each hour a window ending at the next, across midnight', () => {
    const rows = rollupRecords(
      [
        rec('delivered', { configuration_set: 'm', dt: '2026-11-30', hour: '23' }),
        rec('bounced', { configuration_set: 'm', dt: '2026-11-30', hour: '23' }),
        rec('delivered', { configuration_set: 'm', dt: '2026-12-01', hour: '00' }),
        rec('opened', { configuration_set: 'm', dt: '2026-12-01', hour: '01' }),
      ],
      RULES.slice(0, 1),
    );
    expect(rows).toEqual([
      {
        window_start: '2026-11-30T23:00:00.000Z',
        window_end: '2026-12-01T00:00:00.000Z',
        rule: 'bounce-rate',
        configuration_set: 'm',
        outcome: 'delivered',
        count: 1,
      },
      {
        window_start: '2026-11-30T23:00:00.000Z',
        window_end: '2026-12-01T00:00:00.000Z',
        rule: 'bounce-rate',
        configuration_set: 'm',
        outcome: 'bounced',
        count: 1,
      },
      {
        window_start: '2026-12-01T00:00:00.000Z',
        window_end: '2026-12-01T01:00:00.000Z',
        rule: 'bounce-rate',
        configuration_set: 'm',
        outcome: 'delivered',
        count: 1,
      },
    ]);
  });

  it('keeps every group of an invocation: no budget, no other group', () => {
    const [byCampaign] = compile(
      rateSpec({ name: 'by-campaign', group_by: ['campaign_id'], match: undefined }),
    );
    const records = Array.from({ length: 20_000 }, (_, i) => rec('delivered', { campaign_id: `c-${i}` }));
    const rows = rollupRecords(records, byCampaign ? [byCampaign] : []);
    expect(rows).toHaveLength(20_000);
    expect(rows.some((r) => r.overflow === true)).toBe(false);
  });

  it('writes nothing for records no rate rule counts', () => {
    expect(rollupRecords([rec('opened'), rec('sent')], RULES)).toEqual([]);
    expect(rollupRecords([rec('delivered')], [])).toEqual([]);
  });
});

describe('sumRollups', () => {
  it('adds the counts of rows of the same window, rule, group and outcome, and keeps the others apart', () => {
    const row: RollupRow = {
      window_start: 'a',
      window_end: 'b',
      rule: 'r',
      app_id: 'x',
      outcome: 'delivered',
      count: 2,
    };
    expect(
      sumRollups([
        row,
        { ...row, count: 3 },
        { ...row, app_id: 'y' },
        { ...row, overflow: true, app_id: undefined },
        { ...row, outcome: 'bounced' },
      ]),
    ).toEqual([
      { ...row, count: 5 },
      { ...row, app_id: 'y' },
      { ...row, overflow: true, app_id: undefined },
      { ...row, outcome: 'bounced' },
    ]);
  });
});
