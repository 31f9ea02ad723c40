import fc from 'fast-check';
import { addToRateWindow, openRateWindow, RATE_STATE_BUDGET_BYTES } from '../../../src/rates/addToRateWindow';
import {
  EMPTY_RATE_WINDOW_STATE,
  type RateWindowState,
  readRateWindowState,
} from '../../../src/rates/rateWindowState';
import type { NormalizedRecord } from '../../../src/schema';
import { compile, deepFreeze, RULES, rateSpec, rec, recordArb, splitAt } from './helpers';

/** The state as Lambda hands it back: serialized in the response, parsed into the next event. */
const overTheWire = (state: RateWindowState): unknown => JSON.parse(JSON.stringify(state));

const bytesOf = (state: RateWindowState) => Buffer.byteLength(JSON.stringify(state), 'utf8');

describe('addToRateWindow', () => {
  it('counts each rule per group and outcome, skipping outcomes and records a rule does not count', () => {
    const records = [
      rec('delivered', { configuration_set: 'marketing' }),
      rec('delivered', { configuration_set: 'marketing' }),
      rec('bounced', { configuration_set: 'marketing' }),
      rec('delivered'),
      rec('opened', { configuration_set: 'marketing' }),
      rec('complained', { configuration_set: 'marketing' }),
      rec('bounced', { channel: 'SMS', configuration_set: 'marketing' }),
      rec('failed', { channel: 'SMS', app_id: 'app-1', campaign_id: 'c-1' }),
      rec('delivered', { channel: 'SMS', app_id: 'app-1' }),
    ];
    const { state, overflowed, reset, discarded } = addToRateWindow(undefined, records, RULES);
    expect(state).toEqual({
      version: 1,
      rules: {
        'bounce-rate': {
          fingerprint: RULES[0]?.fingerprint,
          outcomes: ['delivered', 'bounced'],
          group_by: ['configuration_set'],
          groups: { '["marketing"]': [2, 1], '[null]': [1, 0] },
        },
        'complaint-rate': {
          fingerprint: RULES[1]?.fingerprint,
          outcomes: ['delivered', 'complained'],
          group_by: [],
          groups: { '[]': [4, 1] },
        },
        'sms-failure-rate': {
          fingerprint: RULES[2]?.fingerprint,
          outcomes: ['delivered', 'rejected', 'failed'],
          group_by: ['app_id', 'campaign_id'],
          groups: { '["app-1","c-1"]': [0, 0, 1], '["app-1",null]': [1, 0, 0] },
        },
      },
    });
    expect({ overflowed, reset, discarded }).toEqual({ overflowed: 0, reset: [], discarded: false });
  });

  it('starts from nothing on the first invoke of a window, whose state is {} or absent', () => {
    const records = [rec('delivered')];
    const fromEmpty = addToRateWindow({}, records, RULES).state;
    expect(addToRateWindow(undefined, records, RULES).state).toEqual(fromEmpty);
    expect(addToRateWindow(null, records, RULES).state).toEqual(fromEmpty);
    expect(addToRateWindow(EMPTY_RATE_WINDOW_STATE, records, RULES).state).toEqual(fromEmpty);
  });

  it('counts exactly across several invocations of one window: the same state as one invocation of all', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (records, cuts) => {
          let state: unknown = {};
          for (const piece of splitAt(records, cuts)) {
            state = overTheWire(addToRateWindow(state, piece, RULES).state);
          }
          expect(state).toEqual(overTheWire(addToRateWindow({}, records, RULES).state));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives the same update one record at a time (openRateWindow) as all at once, budget and overflow included', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { maxLength: 200 }),
        fc.array(recordArb, { maxLength: 50 }),
        fc.integer({ min: 600, max: 5_000 }),
        (before, records, budgetBytes) => {
          const given = overTheWire(addToRateWindow({}, before, RULES, { budgetBytes }).state);
          const open = openRateWindow(given, RULES, { budgetBytes });
          for (const r of records) open.add(r);
          expect(open.close()).toEqual(addToRateWindow(given, records, RULES, { budgetBytes }));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('closes an open window as often as asked, each time with the records added so far', () => {
    const open = openRateWindow(deepFreeze({}), RULES);
    open.add(rec('delivered', { configuration_set: 'm' }));
    const first = open.close();
    open.add(rec('bounced', { configuration_set: 'm' }));
    expect(first.state.rules['bounce-rate']?.groups).toEqual({ '["m"]': [1, 0] });
    expect(open.close().state.rules['bounce-rate']?.groups).toEqual({ '["m"]': [1, 1] });
  });

  it('never changes the state it is given: a failed batch returns it as it was, and its retry counts once', () => {
    const first = addToRateWindow({}, [rec('delivered', { configuration_set: 'marketing' })], RULES).state;
    const given = deepFreeze(overTheWire(first)) as RateWindowState;
    const snapshot = JSON.stringify(given);
    const batch = [rec('bounced', { configuration_set: 'marketing' }), rec('delivered')];
    // The attempt whose sink write fails: its result is thrown away, the handler responds with `given`.
    const failed = addToRateWindow(given, batch, RULES);
    expect(JSON.stringify(given)).toBe(snapshot);
    expect(failed.state).not.toBe(given);
    // The retry adds the same records to the same state: counted once.
    const retried = addToRateWindow(given, batch, RULES);
    expect(retried.state).toEqual(failed.state);
    expect(retried.state.rules['bounce-rate']?.groups).toEqual({ '["marketing"]': [1, 1], '[null]': [1, 0] });
  });

  it('returns counts that do not share arrays with the state given', () => {
    const given = addToRateWindow({}, [rec('delivered', { configuration_set: 'm' })], RULES).state;
    const next = addToRateWindow(given, [], RULES).state;
    expect(next).toEqual(given);
    expect(next.rules['bounce-rate']?.groups['["m"]']).not.toBe(given.rules['bounce-rate']?.groups['["m"]']);
  });

  describe('the group values', () => {
    it('are null where the record has no such field, and are told apart from a value "null"', () => {
      const [rule] = compile(rateSpec({ group_by: ['configuration_set', 'app_id'] }));
      const { state } = addToRateWindow(
        {},
        [rec('delivered'), rec('delivered', { configuration_set: 'null', app_id: '' })],
        rule ? [rule] : [],
      );
      expect(Object.keys(state.rules['bounce-rate']?.groups ?? {})).toEqual(['[null,null]', '["null",""]']);
    });

    it('count a value that is not a string as none, so that the state stays readable', () => {
      const [rule] = compile(rateSpec({ group_by: ['campaign_id'], match: undefined }));
      const odd = rec('delivered', { campaign_id: 42 as unknown as string });
      const { state } = addToRateWindow({}, [odd], rule ? [rule] : []);
      expect(Object.keys(state.rules['bounce-rate']?.groups ?? {})).toEqual(['[null]']);
      expect(readRateWindowState(JSON.parse(JSON.stringify(state))).valid).toBe(true);
    });

    it('keep two fields apart whatever their values hold', () => {
      const [rule] = compile(rateSpec({ group_by: ['configuration_set', 'app_id'], match: undefined }));
      const { state } = addToRateWindow(
        {},
        [
          rec('delivered', { configuration_set: 'a1:b', app_id: 'c' }),
          rec('delivered', { configuration_set: 'a', app_id: '1:bc' }),
          rec('delivered', { configuration_set: '-', app_id: 'x' }),
          rec('delivered', { app_id: 'x' }),
        ],
        rule ? [rule] : [],
      );
      expect(Object.keys(state.rules['bounce-rate']?.groups ?? {})).toHaveLength(4);
    });

    it('are cut to 256 characters with a marker: one huge campaign id cannot fill the state', () => {
      const [rule] = compile(rateSpec({ group_by: ['campaign_id'] }));
      const huge = 'c'.repeat(1_000_000);
      const { state } = addToRateWindow({}, [rec('delivered', { campaign_id: huge })], rule ? [rule] : []);
      const [key] = Object.keys(state.rules['bounce-rate']?.groups ?? {});
      const [value] = JSON.parse(key ?? '[]') as string[];
      expect(value?.length).toBeLessThanOrEqual(256);
      expect(value?.length).toBeGreaterThan(250);
      expect(value).toMatch(/…\[truncated \d+ chars\]$/);
      // The same huge value lands in the same group next time.
      const again = addToRateWindow(state, [rec('bounced', { campaign_id: huge })], rule ? [rule] : []).state;
      expect(Object.values(again.rules['bounce-rate']?.groups ?? {})).toEqual([[1, 1]]);
    });
  });

  describe('under a flood of distinct groups', () => {
    const [byCampaign] = compile(
      rateSpec({ name: 'by-campaign', group_by: ['campaign_id'], match: undefined }),
    );
    const rules = byCampaign ? [byCampaign, ...RULES] : RULES;
    const flood = (from: number, n: number): NormalizedRecord[] =>
      Array.from({ length: n }, (_, i) =>
        rec(i % 10 === 0 ? 'bounced' : 'delivered', {
          campaign_id: `campaign-${(from + i).toString(16).padStart(32, '0')}`,
          configuration_set: 'marketing',
        }),
      );

    it('stays within the budget, counting the groups that do not fit in the other group', () => {
      const records = flood(0, 100_000);
      const update = addToRateWindow({}, records, rules);
      const counts = update.state.rules['by-campaign'];
      const groups = Object.keys(counts?.groups ?? {}).length;
      expect(bytesOf(update.state)).toBeLessThanOrEqual(RATE_STATE_BUDGET_BYTES);
      expect(update.bytes).toBeGreaterThanOrEqual(bytesOf(update.state));
      expect(update.bytes).toBeLessThanOrEqual(RATE_STATE_BUDGET_BYTES);
      // Each of the four rules may take a quarter: about 2,000 groups of a 45-character campaign id.
      expect(groups).toBeGreaterThan(1_500);
      expect(groups).toBeLessThan(100_000);
      expect(update.overflowed).toBe(100_000 - groups);
      // Nothing is lost: the groups and the other group hold every record.
      const sum = (list: readonly number[]) => list.reduce((a, b) => a + b, 0);
      const inGroups = Object.values(counts?.groups ?? {}).reduce((n, list) => n + sum(list), 0);
      expect(inGroups + sum(counts?.other ?? [])).toBe(100_000);
      expect(counts?.other).toEqual([
        records.slice(groups).filter((r) => r.outcome === 'delivered').length,
        records.slice(groups).filter((r) => r.outcome === 'bounced').length,
      ]);
      // The other rules keep their share: their groups still fit.
      expect(update.state.rules['complaint-rate']?.other).toBeUndefined();
    });

    it('keeps counting the groups it has, and stays within the budget, invocation after invocation', () => {
      let state: unknown = {};
      let overflowed = 0;
      for (let i = 0; i < 5; i++) {
        const update = addToRateWindow(state, flood(i * 20_000, 20_000), rules);
        overflowed += update.overflowed;
        expect(bytesOf(update.state)).toBeLessThanOrEqual(RATE_STATE_BUDGET_BYTES);
        state = overTheWire(update.state);
      }
      const known = addToRateWindow(state, flood(0, 10), rules);
      expect(known.overflowed).toBe(0);
      const groups = Object.keys((state as RateWindowState).rules['by-campaign']?.groups ?? {}).length;
      expect(overflowed).toBe(100_000 - groups);
    });

    it('honours a smaller budget', () => {
      const update = addToRateWindow({}, flood(0, 5_000), rules, { budgetBytes: 16 * 1024 });
      expect(bytesOf(update.state)).toBeLessThanOrEqual(16 * 1024);
      expect(update.overflowed).toBeGreaterThan(4_000);
    });

    it('costs little per record: a lookup of the outcome, the match, a lookup of the group', () => {
      const records = flood(0, 100_000);
      const ordinary = Array.from({ length: 100_000 }, (_, i) =>
        rec((['delivered', 'sent', 'opened', 'bounced', 'clicked'] as const)[i % 5] ?? 'sent', {
          configuration_set: `set-${i % 20}`,
          app_id: `app-${i % 3}`,
          campaign_id: `c-${i % 50}`,
          channel: i % 7 === 0 ? 'SMS' : 'EMAIL',
        }),
      );
      const perRecordUs = (input: NormalizedRecord[]) => {
        addToRateWindow({}, input.slice(0, 5_000), rules);
        let best = Number.POSITIVE_INFINITY;
        for (let run = 0; run < 3; run++) {
          const start = process.hrtime.bigint();
          addToRateWindow({}, input, rules);
          best = Math.min(best, Number(process.hrtime.bigint() - start) / 1000 / input.length);
        }
        return best;
      };
      const typical = perRecordUs(ordinary);
      const flooded = perRecordUs(records);
      process.stdout.write(
        `rate counting, 4 rules, 100k records: ${typical.toFixed(3)} µs/record typical, ${flooded.toFixed(3)} µs/record under a flood of distinct campaigns\n`,
      );
      // Loose bounds: this machine is shared; the measured figures are in the report.
      expect(typical).toBeLessThan(10);
      expect(flooded).toBeLessThan(20);
    });
  });

  describe('a state from before', () => {
    const counted = addToRateWindow({}, [rec('delivered', { configuration_set: 'm' })], RULES).state;

    it('drops the counts of a rule whose definition changed, and says so', () => {
      const changed = compile(rateSpec({ group_by: ['app_id'] }));
      const update = addToRateWindow(counted, [rec('delivered', { app_id: 'a' })], changed);
      expect(update.reset).toEqual(['bounce-rate']);
      expect(update.state.rules['bounce-rate']?.groups).toEqual({ '["a"]': [1, 0] });
    });

    it('keeps the counts of a rule whose threshold, severity or volume changed', () => {
      const retuned = compile(rateSpec({ threshold: 0.5, severity: 'low', min_volume: 1 }));
      const update = addToRateWindow(counted, [], retuned);
      expect(update.reset).toEqual([]);
      expect(update.state.rules['bounce-rate']).toEqual(counted.rules['bounce-rate']);
    });

    it('leaves out the rules no longer configured', () => {
      const update = addToRateWindow(counted, [], RULES.slice(1));
      expect(Object.keys(update.state.rules)).toEqual(['complaint-rate', 'sms-failure-rate']);
    });

    it.each<[string, unknown]>([
      ['a string', 'state'],
      ['a list', []],
      ['another version', { version: 2, rules: {} }],
      ['another state in the same place', { '1': 282, '2': 715 }],
      [
        'counts that are not whole numbers',
        { version: 1, rules: { r: { ...counted.rules['bounce-rate'], groups: { '[null]': [1.5, 0] } } } },
      ],
      [
        'negative counts',
        { version: 1, rules: { r: { ...counted.rules['bounce-rate'], groups: { '[null]': [-1, 0] } } } },
      ],
      [
        'counts of another width',
        { version: 1, rules: { r: { ...counted.rules['bounce-rate'], other: [1] } } },
      ],
      [
        'a key that is not a JSON list',
        { version: 1, rules: { r: { ...counted.rules['bounce-rate'], groups: { marketing: [1, 0] } } } },
      ],
      [
        'a key of another width',
        { version: 1, rules: { r: { ...counted.rules['bounce-rate'], groups: { '["a","b"]': [1, 0] } } } },
      ],
      [
        'a key written another way',
        { version: 1, rules: { r: { ...counted.rules['bounce-rate'], groups: { '[ "a"]': [1, 0] } } } },
      ],
      [
        'an unknown outcome',
        { version: 1, rules: { r: { ...counted.rules['bounce-rate'], outcomes: ['delivered', 'lost'] } } },
      ],
      [
        'an unknown group field',
        { version: 1, rules: { r: { ...counted.rules['bounce-rate'], group_by: ['recipient'] } } },
      ],
    ])('is discarded when it is %s, and counting starts over', (_, state) => {
      expect(readRateWindowState(state).valid).toBe(false);
      const update = addToRateWindow(state, [rec('delivered')], RULES);
      expect(update.discarded).toBe(true);
      expect(update.state).toEqual(addToRateWindow({}, [rec('delivered')], RULES).state);
    });

    it('is read as it is when this module wrote it', () => {
      expect(readRateWindowState(overTheWire(counted))).toEqual({ state: counted, valid: true });
    });
  });
});
