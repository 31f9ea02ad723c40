import { mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '../../src/hash';
import { LocalRateStore } from '../../src/sinks/local/LocalRateStore';
import type { RateAddGuard, RateCounterRef, RateStore } from '../../src/sinks/rateStore';
import { MemoryRateStore } from '../helpers/memoryRateStore';
import { dynamoRateStore, RATE_TABLE, RawRateTable } from '../support/dynamoRates';
import { createRateTable, startDynalite } from '../support/servers';

jest.setTimeout(30_000);

/**
 * One contract, three stores: the in-memory one the protocol's unit tests use, the local files and DynamoDB
 * (dynalite, through the client createAwsSinks builds). Every primitive, its condition, and what concurrent
 * callers get.
 */
interface Harness {
  store: RateStore;
  /** The TTL attribute `expires_at` as stored on the item with this key. */
  expiresAt(pk: string): Promise<number | undefined>;
  stop(): Promise<void>;
}

const STORES: Array<[string, () => Promise<Harness>]> = [
  [
    'memory',
    async () => {
      const store = new MemoryRateStore();
      return { store, expiresAt: async (pk) => store.expiresAtOf(pk), stop: async () => undefined };
    },
  ],
  [
    'local',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rates-'));
      const file = (pk: string) => join(dir, 'rates', `${sha256Hex(pk)}.json`);
      return {
        store: new LocalRateStore(dir),
        expiresAt: async (pk) => {
          try {
            return JSON.parse(readFileSync(file(pk), 'utf8')).expires_at;
          } catch {
            return undefined;
          }
        },
        stop: () => rm(dir, { recursive: true, force: true }),
      };
    },
  ],
  [
    'dynamodb',
    async () => {
      const server = await startDynalite();
      await createRateTable(server.url, RATE_TABLE);
      const raw = new RawRateTable(server.url);
      return {
        store: dynamoRateStore(server.url),
        expiresAt: async (pk) => {
          const n = (await raw.get(pk))?.expires_at?.N;
          return n === undefined ? undefined : Number(n);
        },
        stop: async () => {
          raw.destroy();
          await server.stop();
        },
      };
    },
  ],
];

let serial = 0;
/** A counter of its own for each test: the stores are shared by the tests of a describe. */
const counter = (extra: Partial<RateCounterRef> = {}): RateCounterRef => ({
  id: `bounces:f00d:2026-12-07T10:00:00Z:${++serial}`,
  rule: 'bounces',
  windowStart: '2026-12-07T10:00:00.000Z',
  windowEnd: '2026-12-07T10:05:00.000Z',
  group: '["marketing"]',
  expiresAt: 1_796_000_000,
  ...extra,
});
const batchId = (name: string) => `${name}-${++serial}`;
const seq = (lane: string, first: string, last: string): RateAddGuard => ({
  kind: 'sequence',
  lane,
  first,
  last,
});
const inBatch = (id: string): RateAddGuard => ({ kind: 'batch', batchId: id });
const sorted = (xs: readonly string[]) => [...xs].sort();

describe.each(STORES)('%s rate store', (_name, make) => {
  let h: Harness;
  let store: RateStore;
  beforeAll(async () => {
    h = await make();
    store = h.store;
  });
  afterAll(() => h.stop());

  describe('add and get', () => {
    it('has no counter before its first add, and the add creates it with its counts', async () => {
      const c = counter();
      expect(await store.get(c)).toBeUndefined();
      const added = await store.add(c, { delivered: 3, bounced: 1 }, seq('shard-1', '0001', '0005'));
      expect(added).toEqual({
        applied: true,
        item: { counts: { delivered: 3, bounced: 1 }, highWater: { 'shard-1': '0005' }, inFlight: [] },
      });
      expect(await store.get(c)).toEqual(added.item);
    });

    it('sequence guard: refuses a batch starting at or below the mark, applies one above it and raises it', async () => {
      const c = counter();
      expect((await store.add(c, { delivered: 1 }, seq('s', '0010', '0020'))).applied).toBe(true);
      const below = await store.add(c, { delivered: 5 }, seq('s', '0015', '0030'));
      expect(below).toEqual({
        applied: false,
        item: { counts: { delivered: 1 }, highWater: { s: '0020' }, inFlight: [] },
      });
      expect((await store.add(c, { delivered: 5 }, seq('s', '0020', '0030'))).applied).toBe(false);
      expect((await store.add(c, { delivered: 5 }, seq('s', '0001', '0009'))).applied).toBe(false);
      const above = await store.add(c, { delivered: 2, failed: 1 }, seq('s', '0021', '0021'));
      expect(above).toEqual({
        applied: true,
        item: { counts: { delivered: 3, failed: 1 }, highWater: { s: '0021' }, inFlight: [] },
      });
    });

    it('sequence guard: each lane has its own mark on the same counter', async () => {
      const c = counter();
      expect((await store.add(c, { delivered: 1 }, seq('shardId-1', '0100', '0200'))).applied).toBe(true);
      expect((await store.add(c, { delivered: 1 }, seq('shardId-2', '0001', '0002'))).applied).toBe(true);
      expect((await store.add(c, { delivered: 1 }, seq('shardId-1', '0150', '0300'))).applied).toBe(false);
      expect((await store.add(c, { delivered: 1 }, seq('shardId-2', '0003', '0004'))).applied).toBe(true);
      expect(await store.get(c)).toEqual({
        counts: { delivered: 3 },
        highWater: { 'shardId-1': '0200', 'shardId-2': '0004' },
        inFlight: [],
      });
    });

    it('batch guard: the same batch is refused, other batches add, a cleared batch adds again', async () => {
      const c = counter();
      const [b1, b2] = [batchId('b'), batchId('b')] as [string, string];
      expect(await store.add(c, { delivered: 2 }, inBatch(b1))).toEqual({
        applied: true,
        item: { counts: { delivered: 2 }, highWater: {}, inFlight: [b1] },
      });
      expect(await store.add(c, { delivered: 2 }, inBatch(b1))).toEqual({
        applied: false,
        item: { counts: { delivered: 2 }, highWater: {}, inFlight: [b1] },
      });
      const second = await store.add(c, { bounced: 1 }, inBatch(b2));
      expect(second.applied).toBe(true);
      expect(sorted(second.item?.inFlight ?? [])).toEqual(sorted([b1, b2]));
      await store.clearInFlight(c, b1);
      await store.clearInFlight(c, b1);
      expect((await store.get(c))?.inFlight).toEqual([b2]);
      expect((await store.add(c, { delivered: 2 }, inBatch(b1))).applied).toBe(true);
      const item = await store.get(c);
      expect(item?.counts).toEqual({ delivered: 4, bounced: 1 });
      expect(sorted(item?.inFlight ?? [])).toEqual(sorted([b1, b2]));
    });

    it('both guards on one counter: a batch id is no lane, and a lane no batch', async () => {
      const c = counter();
      expect((await store.add(c, { delivered: 1 }, seq('lane', '0001', '0002'))).applied).toBe(true);
      expect((await store.add(c, { delivered: 1 }, inBatch('lane'))).applied).toBe(true);
      expect((await store.add(c, { delivered: 1 }, inBatch('lane'))).applied).toBe(false);
      expect(await store.get(c)).toEqual({
        counts: { delivered: 2 },
        highWater: { lane: '0002' },
        inFlight: ['lane'],
      });
    });

    it('an add with no counts still records its guard', async () => {
      const c = counter();
      expect(await store.add(c, {}, seq('s', '1', '2'))).toEqual({
        applied: true,
        item: { counts: {}, highWater: { s: '2' }, inFlight: [] },
      });
      expect((await store.add(c, { delivered: 1 }, seq('s', '2', '3'))).applied).toBe(false);
    });

    it('settles and clears on items that do not exist without creating them', async () => {
      const c = counter();
      const b = batchId('ghost');
      await store.clearInFlight(c, 'b');
      await store.settleAlert(c, 'token', 'sent');
      await store.settleAlert(c, 'token', 'released');
      await store.settleBatch(b, ['x', 'y']);
      expect(await store.get(c)).toBeUndefined();
      expect(await h.expiresAt(c.id)).toBeUndefined();
      expect(await h.expiresAt(`batch#${b}`)).toBeUndefined();
      expect(await store.openBatch(b, ['x'], 1)).toEqual({ created: true });
    });
  });

  describe('counted exactly once under concurrency', () => {
    it('50 parallel adds of distinct batches to one counter give exact totals', async () => {
      const c = counter();
      const ids = Array.from({ length: 50 }, (_, i) => `batch-${i}-${serial}`);
      const results = await Promise.all(
        ids.map((id, i) => store.add(c, { delivered: i + 1, bounced: 1 }, inBatch(id))),
      );
      expect(results.every((r) => r.applied)).toBe(true);
      const item = await store.get(c);
      expect(item?.counts).toEqual({ delivered: (50 * 51) / 2, bounced: 50 });
      expect(sorted(item?.inFlight ?? [])).toEqual(sorted(ids));
    });

    it('50 parallel adds on distinct lanes give exact totals', async () => {
      const c = counter();
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.add(c, { delivered: 2 }, seq(`shardId-${i}`, '01', '09'))),
      );
      const item = await store.get(c);
      expect(item?.counts).toEqual({ delivered: 100 });
      expect(Object.keys(item?.highWater ?? {})).toHaveLength(50);
    });

    it('the same batch added 20 times in parallel applies once', async () => {
      const c = counter();
      const b = batchId('same');
      const results = await Promise.all(
        Array.from({ length: 20 }, () => store.add(c, { delivered: 7 }, inBatch(b))),
      );
      expect(results.filter((r) => r.applied)).toHaveLength(1);
      for (const r of results) expect(r.item?.counts).toEqual({ delivered: 7 });
      expect((await store.get(c))?.counts).toEqual({ delivered: 7 });
    });

    it('the same records of one lane added 20 times in parallel apply once', async () => {
      const c = counter();
      const results = await Promise.all(
        Array.from({ length: 20 }, () => store.add(c, { delivered: 3 }, seq('shard', '0005', '0009'))),
      );
      expect(results.filter((r) => r.applied)).toHaveLength(1);
      expect((await store.get(c))?.counts).toEqual({ delivered: 3 });
    });
  });

  describe('batch markers', () => {
    it('openBatch creates the marker once; the second call gets the first marker back', async () => {
      const b = batchId('open');
      expect(await store.openBatch(b, ['c1', 'c2', 'c3'], 1_796_000_000)).toEqual({ created: true });
      const again = await store.openBatch(b, ['other'], 1_796_000_999);
      expect(again.created).toBe(false);
      if (again.created) return;
      expect(again.marker.batchId).toBe(b);
      expect(sorted(again.marker.pending)).toEqual(['c1', 'c2', 'c3']);
      expect(await h.expiresAt(`batch#${b}`)).toBe(1_796_000_000);
    });

    it('settleBatch removes what it is given, again and again, down to an empty pending list', async () => {
      const b = batchId('settle');
      await store.openBatch(b, ['c1', 'c2', 'c3'], 1_796_000_000);
      await store.settleBatch(b, ['c1']);
      await store.settleBatch(b, ['c1', 'unknown']);
      const mid = await store.openBatch(b, [], 1);
      expect(mid.created === false && sorted(mid.marker.pending)).toEqual(['c2', 'c3']);
      await store.settleBatch(b, ['c2', 'c3']);
      await store.settleBatch(b, []);
      expect(await store.openBatch(b, ['c1'], 1)).toEqual({
        created: false,
        marker: { batchId: b, pending: [] },
      });
      expect(await h.expiresAt(`batch#${b}`)).toBe(1_796_000_000);
    });

    it('a batch with no counters, and one listing a counter twice', async () => {
      const empty = batchId('empty');
      expect(await store.openBatch(empty, [], 1_796_000_000)).toEqual({ created: true });
      expect(await store.openBatch(empty, [], 1_796_000_000)).toEqual({
        created: false,
        marker: { batchId: empty, pending: [] },
      });
      const twice = batchId('twice');
      expect(await store.openBatch(twice, ['c1', 'c1', 'c2'], 1_796_000_000)).toEqual({ created: true });
      const again = await store.openBatch(twice, [], 1);
      expect(again.created === false && sorted(again.marker.pending)).toEqual(['c1', 'c2']);
      await store.settleBatch(twice, ['c1', 'c1']);
      const after = await store.openBatch(twice, [], 1);
      expect(after.created === false && after.marker.pending).toEqual(['c2']);
    });

    it('20 parallel openBatch calls: exactly one creates the marker, the others read it', async () => {
      const b = batchId('race');
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.openBatch(b, [`c${i}`], 1_796_000_000)),
      );
      const created = results.filter((r) => r.created);
      expect(created).toHaveLength(1);
      const pendings = results.flatMap((r) => (r.created ? [] : [r.marker.pending]));
      expect(new Set(pendings.map((p) => p.join()))).toHaveProperty('size', 1);
      expect(pendings[0]).toHaveLength(1);
    });
  });

  describe('alerts', () => {
    it('the first claimant wins; a second loses while the claim holds', async () => {
      const c = counter();
      await store.add(c, { bounced: 1 }, inBatch(batchId('b')));
      expect(await store.claimAlert(c, 'A', 1_000, 5_000)).toBe(true);
      expect(await store.claimAlert(c, 'B', 2_000, 6_000)).toBe(false);
      expect((await store.get(c))?.alert).toEqual({ state: 'claimed', token: 'A', until: 5_000 });
    });

    it('a claim left unsettled lapses after its time and can be taken over; the old holder settles nothing', async () => {
      const c = counter();
      expect(await store.claimAlert(c, 'A', 1_000, 5_000)).toBe(true);
      expect(await store.claimAlert(c, 'B', 5_000, 9_000)).toBe(false);
      expect(await store.claimAlert(c, 'B', 5_001, 9_000)).toBe(true);
      await store.settleAlert(c, 'A', 'sent');
      await store.settleAlert(c, 'A', 'released');
      expect((await store.get(c))?.alert).toEqual({ state: 'claimed', token: 'B', until: 9_000 });
      await store.settleAlert(c, 'B', 'sent');
      expect((await store.get(c))?.alert).toEqual({ state: 'sent', token: 'B', until: 9_000 });
    });

    it('a sent alert is never claimed again, by anyone, however late', async () => {
      const c = counter();
      expect(await store.claimAlert(c, 'A', 1_000, 5_000)).toBe(true);
      await store.settleAlert(c, 'A', 'sent');
      expect(await store.claimAlert(c, 'B', 10_000_000, 20_000_000)).toBe(false);
      expect(await store.claimAlert(c, 'A', 10_000_000, 20_000_000)).toBe(false);
      await store.settleAlert(c, 'A', 'released');
      expect((await store.get(c))?.alert).toEqual({ state: 'sent', token: 'A', until: 5_000 });
    });

    it("a stranger's settle changes nothing; the holder's release lets another claim", async () => {
      const c = counter();
      expect(await store.claimAlert(c, 'A', 1_000, 5_000)).toBe(true);
      await store.settleAlert(c, 'X', 'sent');
      await store.settleAlert(c, 'X', 'released');
      expect((await store.get(c))?.alert).toEqual({ state: 'claimed', token: 'A', until: 5_000 });
      await store.settleAlert(c, 'A', 'released');
      expect((await store.get(c))?.alert).toBeUndefined();
      expect(await store.claimAlert(c, 'B', 2_000, 6_000)).toBe(true);
    });

    it('the holder claiming again (a retried claim) keeps its claim, until the new time', async () => {
      const c = counter();
      expect(await store.claimAlert(c, 'A', 1_000, 5_000)).toBe(true);
      expect(await store.claimAlert(c, 'A', 2_000, 7_000)).toBe(true);
      expect(await store.claimAlert(c, 'B', 6_000, 9_000)).toBe(false);
      expect((await store.get(c))?.alert).toEqual({ state: 'claimed', token: 'A', until: 7_000 });
    });

    it('20 parallel claimants: exactly one wins', async () => {
      const c = counter();
      const won = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.claimAlert(c, `token-${i}`, 1_000, 5_000)),
      );
      expect(won.filter(Boolean)).toHaveLength(1);
      expect((await store.get(c))?.alert?.token).toBe(`token-${won.indexOf(true)}`);
    });

    it('a claim on a counter never counted creates it with its TTL and no counts', async () => {
      const c = counter();
      expect(await store.claimAlert(c, 'A', 1_000, 5_000)).toBe(true);
      expect(await store.get(c)).toEqual({
        counts: {},
        highWater: {},
        inFlight: [],
        alert: { state: 'claimed', token: 'A', until: 5_000 },
      });
      expect(await h.expiresAt(c.id)).toBe(c.expiresAt);
    });
  });

  describe('TTL', () => {
    it('sets expires_at on every item written: counters (either guard, or a claim) and batch markers', async () => {
      const bySequence = counter({ expiresAt: 1_796_000_001 });
      const byBatch = counter({ expiresAt: 1_796_000_002 });
      const byClaim = counter({ expiresAt: 1_796_000_003 });
      const marker = batchId('ttl');
      const emptyMarker = batchId('ttl-empty');
      await store.add(bySequence, { delivered: 1 }, seq('s', '1', '1'));
      await store.add(byBatch, { delivered: 1 }, inBatch(marker));
      await store.claimAlert(byClaim, 'A', 1, 2);
      await store.openBatch(marker, [bySequence.id], 1_796_000_004);
      await store.openBatch(emptyMarker, [], 1_796_000_005);
      expect(await h.expiresAt(bySequence.id)).toBe(1_796_000_001);
      expect(await h.expiresAt(byBatch.id)).toBe(1_796_000_002);
      expect(await h.expiresAt(byClaim.id)).toBe(1_796_000_003);
      expect(await h.expiresAt(`batch#${marker}`)).toBe(1_796_000_004);
      expect(await h.expiresAt(`batch#${emptyMarker}`)).toBe(1_796_000_005);
    });

    it('keeps the expires_at of the write that created the counter', async () => {
      const c = counter({ expiresAt: 1_796_000_000 });
      await store.add(c, { delivered: 1 }, seq('s', '1', '1'));
      await store.add({ ...c, expiresAt: 1_797_000_000 }, { delivered: 1 }, seq('s', '2', '2'));
      await store.claimAlert({ ...c, expiresAt: 1_798_000_000 }, 'A', 1, 2);
      expect(await h.expiresAt(c.id)).toBe(1_796_000_000);
    });
  });

  describe('ids', () => {
    it('takes ids, lanes, outcomes and tokens with odd characters, and keeps them apart', async () => {
      const odd = [
        `a b/c\\d"e'f<g>&h%2F..${serial}`,
        `../../etc/passwd:${serial}`,
        `ünïcødé 日本 🚀 #${serial}`,
        `${'x'.repeat(500)}${String(serial).padStart(12, '0')}`,
        `Case:${serial}`,
        `case:${serial}`,
      ];
      for (const [i, id] of odd.entries()) {
        const c = counter({ id, group: null, rule: 'rule with spaces' });
        const lane = `shard/ü ${i}:#`;
        const added = await store.add(c, { 'c:odd outcome': i + 1, 'é/x': 1 }, seq(lane, '0001', '0002'));
        expect(added).toEqual({
          applied: true,
          item: { counts: { 'c:odd outcome': i + 1, 'é/x': 1 }, highWater: { [lane]: '0002' }, inFlight: [] },
        });
        const b = `${id.slice(0, 480)}#batch "${i}"`;
        expect((await store.add(c, { 'c:odd outcome': 1 }, inBatch(b))).applied).toBe(true);
        expect((await store.add(c, { 'c:odd outcome': 1 }, inBatch(b))).applied).toBe(false);
        expect(await store.claimAlert(c, `tøken ${id}`.slice(0, 256), 1, 2)).toBe(true);
        expect(await store.openBatch(b, [id, odd[(i + 1) % odd.length] as string], 1_796_000_000)).toEqual({
          created: true,
        });
        await store.settleBatch(b, [id]);
        const marker = await store.openBatch(b, [], 1);
        expect(marker.created === false && marker.marker.pending).toEqual([odd[(i + 1) % odd.length]]);
      }
      for (const [i, id] of odd.entries()) {
        const item = await store.get(counter({ id }));
        expect(item?.counts).toEqual({ 'c:odd outcome': i + 2, 'é/x': 1 });
      }
    });
  });

  describe('limits', () => {
    it('refuses input out of bounds with a RangeError and writes nothing', async () => {
      const c = counter();
      const tooLong = 'x'.repeat(513);
      const refused: Array<() => Promise<unknown>> = [
        () => store.add(counter({ id: tooLong }), { a: 1 }, seq('s', '1', '1')),
        () => store.add(counter({ id: '' }), { a: 1 }, seq('s', '1', '1')),
        () => store.add(counter({ id: 'batch#x' }), { a: 1 }, seq('s', '1', '1')),
        () => store.add(counter({ id: `lone \ud800 surrogate` }), { a: 1 }, seq('s', '1', '1')),
        () => store.add(c, { a: 0 }, seq('s', '1', '1')),
        () => store.add(c, { a: -1 }, seq('s', '1', '1')),
        () => store.add(c, { a: 1.5 }, seq('s', '1', '1')),
        () => store.add(c, { a: Number.NaN }, seq('s', '1', '1')),
        () =>
          store.add(
            c,
            Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`o${i}`, 1])),
            seq('s', '1', '1'),
          ),
        () => store.add(c, { a: 1 }, seq('s', '2', '1')),
        () => store.add(c, { a: 1 }, inBatch(tooLong)),
        () => store.add(counter({ id: c.id, expiresAt: -1 }), { a: 1 }, seq('s', '1', '1')),
        () =>
          store.openBatch(
            batchId('big'),
            Array.from({ length: 501 }, (_, i) => `c${i}`),
            1,
          ),
        () => store.claimAlert(c, '', 1, 2),
        () => store.claimAlert(c, 'A', 1, Number.POSITIVE_INFINITY),
      ];
      for (const call of refused) await expect(call()).rejects.toThrow(RangeError);
      expect(await store.get(c)).toBeUndefined();
    });
  });
});
