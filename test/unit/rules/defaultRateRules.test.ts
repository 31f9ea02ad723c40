import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countRates } from '../../../src/batch/countRates';
import type { JsonObject } from '../../../src/decode';
import { normalizeEvent } from '../../../src/normalize';
import { PiiProtector } from '../../../src/pii';
import { RateTally } from '../../../src/rates/RateTally';
import { DEFAULT_RATE_RULES } from '../../../src/rules/defaultRules';
import { loadRuleSet } from '../../../src/rules/loadRules';
import type { NormalizedRecord } from '../../../src/schema';
import { MemoryRateStore } from '../../helpers/memoryRateStore';
import { silentLogger } from '../../helpers/runtime';

/**
 * The shipped RCS rate rules on records normalized from the RCS samples (events/raw/rcs.json): what a sender
 * on RCS is told, and what it is not.
 */
const RCS = JSON.parse(readFileSync(join(__dirname, '../../../events/raw/rcs.json'), 'utf8')) as JsonObject[];
const EUM = JSON.parse(readFileSync(join(__dirname, '../../../events/raw/eum.json'), 'utf8')) as JsonObject[];
const RULES = loadRuleSet(undefined).rateRules;
const pii = new PiiProtector('hash', Buffer.from('test-key-0123456789'));

/** `n` records normalized from the sample whose type and status are given, in a configuration set. */
function many(n: number, samples: JsonObject[], type: string, status?: string): NormalizedRecord[] {
  const sample = samples.find(
    (e) => e.eventType === type && (status === undefined || e.messageStatus === status),
  ) as JsonObject;
  return Array.from({ length: n }, (_, i) => {
    const rec = normalizeEvent(
      { ...structuredClone(sample), configurationSet: 'rcs-notify' },
      { eventId: `e-${i}`, ingestMs: 1_763_650_000_000, pii },
    );
    pii.record(rec);
    return rec;
  });
}

/** The rate alerts the records raise when one batch of them is counted into an empty store: rule → rate. */
async function alertsOf(records: NormalizedRecord[]): Promise<Record<string, number>> {
  const tally = new RateTally(RULES);
  records.forEach((r, i) => {
    tally.add(r, i);
  });
  const counted = await countRates(
    tally.plan(() => true),
    {
      store: new MemoryRateStore(),
      guard: { kind: 'batch', batchId: 'rcs-samples' },
      batchLabel: 'test',
      nowMs: Date.now(),
      retentionMs: 3_600_000,
      concurrency: 4,
      claimLeaseMs: 60_000,
      maxAlertsPerRule: 20,
      write: () => ({}),
      logger: silentLogger,
    },
  );
  return Object.fromEntries(counted.claimed.map((c) => [c.alert.rule, c.alert.rate]));
}

describe('the shipped RCS rate rules', () => {
  it('are shipped with a reason, grouped by sender, for the RCS channel only', async () => {
    const rcs = DEFAULT_RATE_RULES.filter((r) => r.name.startsWith('rcs-'));
    expect(rcs.map((r) => r.name)).toEqual(['rcs-fallback-rate-high', 'rcs-failure-rate-high']);
    for (const rule of rcs) {
      expect(rule.match).toEqual({ channel: 'RCS' });
      expect(rule.group_by).toEqual(['app_id', 'configuration_set']);
      expect(rule.description?.length).toBeGreaterThan(40);
    }
  });

  it('alert on a fallback rate of half the messages, per configuration set', async () => {
    const records = [
      ...many(100, RCS, 'RCS_DELIVERED', 'DELIVERED'),
      ...many(100, RCS, 'RCS_FALLEN_BACK_TO_SMS'),
    ];
    expect(await alertsOf(records)).toEqual({ 'rcs-fallback-rate-high': 0.5 });
  });

  it('stay quiet while fallback is the audience’s devices, below half, or below the volume', async () => {
    expect(
      await alertsOf([
        ...many(120, RCS, 'RCS_DELIVERED', 'DELIVERED'),
        ...many(80, RCS, 'RCS_FALLEN_BACK_TO_SMS'),
      ]),
    ).toEqual({});
    expect(
      await alertsOf([
        ...many(50, RCS, 'RCS_DELIVERED', 'DELIVERED'),
        ...many(99, RCS, 'RCS_FALLEN_BACK_TO_SMS'),
      ]),
    ).toEqual({});
  });

  it('alert on a failure rate of 10% of the messages that ended', async () => {
    const records = [
      ...many(150, RCS, 'RCS_DELIVERED', 'DELIVERED'),
      ...many(30, RCS, 'RCS_FALLEN_BACK_TO_SMS'),
      ...many(10, RCS, 'RCS_FAILED', 'UNDELIVERABLE'),
      ...many(10, RCS, 'RCS_TTL_EXPIRED', 'TTL_EXPIRATION_REVOKED'),
    ];
    expect(await alertsOf(records)).toEqual({ 'rcs-failure-rate-high': 0.1 });
  });

  it('count neither read receipts nor the SMS a fallback sent', async () => {
    const records = [
      ...many(100, RCS, 'RCS_DELIVERED', 'DELIVERED'),
      ...many(100, RCS, 'RCS_READ'),
      ...many(100, EUM, 'TEXT_DELIVERED'),
      ...many(90, RCS, 'RCS_FALLEN_BACK_TO_SMS'),
    ];
    // 90 / (100 + 90): below half; the reads and texts are in neither count.
    expect(await alertsOf(records)).toEqual({});
  });
});
