import { SinkError } from '../../src/errors';
import type { RateAddGuard, RateCounterRef, RateStore } from '../../src/sinks/rateStore';
import { dynamoRateStore, RATE_TABLE, RawRateTable } from '../support/dynamoRates';
import { closedPortUrl, FaultProxy } from '../support/faultProxy';
import { createRateTable, type Started, startDynalite } from '../support/servers';

jest.setTimeout(30_000);

/**
 * The DynamoDB adapter's own paths, through a FaultProxy in front of dynalite: what the SDK retries (throttling,
 * 5xx, an answer lost after the write), what it gives up on (a SinkError after maxAttempts), the deadline's
 * abort, the only two operations it uses, and the items it writes as the table holds them.
 */
let dynalite: Started;
let proxy: FaultProxy;
let store: RateStore;
let raw: RawRateTable;

beforeAll(async () => {
  dynalite = await startDynalite();
  await createRateTable(dynalite.url, RATE_TABLE);
  proxy = new FaultProxy(dynalite.url);
  store = dynamoRateStore(await proxy.start());
  raw = new RawRateTable(dynalite.url);
});

afterAll(async () => {
  raw.destroy();
  await proxy.stop();
  await dynalite.stop();
});

beforeEach(() => {
  proxy.fault = { kind: 'pass' };
  proxy.next = [];
  proxy.requests = 0;
  proxy.sent.length = 0;
});

let serial = 0;
const counter = (extra: Partial<RateCounterRef> = {}): RateCounterRef => ({
  id: `bounces:f00d:2026-12-07T10:00:00Z:${++serial}`,
  rule: 'bounces',
  windowStart: '2026-12-07T10:00:00.000Z',
  windowEnd: '2026-12-07T10:05:00.000Z',
  group: '["marketing"]',
  expiresAt: 1_796_000_000,
  ...extra,
});
const seq = (first: string, last: string): RateAddGuard => ({
  kind: 'sequence',
  lane: 'shardId-1',
  first,
  last,
});
const targets = () => proxy.sent.map((r) => r.headers['x-amz-target']);
const UPDATE = 'DynamoDB_20120810.UpdateItem';
const GET = 'DynamoDB_20120810.GetItem';

describe('DynamoRateStore over HTTP', () => {
  it('uses UpdateItem and GetItem only, refused conditions included', async () => {
    const c = counter();
    const b = `batch-${serial}`;
    await store.get(c);
    await store.add(c, { delivered: 1 }, seq('1', '2'));
    await store.add(c, { delivered: 1 }, seq('1', '2'));
    await store.add(c, { delivered: 1 }, { kind: 'batch', batchId: b });
    await store.add(c, { delivered: 1 }, { kind: 'batch', batchId: b });
    await store.clearInFlight(c, b);
    await store.clearInFlight(counter(), b);
    await store.openBatch(b, [c.id], 1_796_000_000);
    await store.openBatch(b, [], 1_796_000_000);
    await store.settleBatch(b, [c.id]);
    await store.settleBatch(`${b}-none`, [c.id]);
    await store.claimAlert(c, 'A', 1, 2);
    await store.claimAlert(c, 'B', 1, 2);
    await store.settleAlert(c, 'B', 'sent');
    await store.settleAlert(c, 'A', 'sent');
    expect(new Set(targets())).toEqual(new Set([UPDATE, GET]));
    // A refused add or openBatch costs one UpdateItem and one GetItem; everything else one call.
    expect(targets().filter((t) => t === GET)).toHaveLength(4);
    expect(targets()).toHaveLength(18);
  });

  it('writes the documented item layout (docs/rate-store.md)', async () => {
    const c = counter({ group: null });
    await store.add(c, { delivered: 2, 'odd:outcome': 1 }, seq('0001', '0002'));
    await store.add(c, { delivered: 1 }, { kind: 'batch', batchId: 'b-1' });
    await store.claimAlert(c, 'A', 1_000, 5_000);
    expect(await raw.get(c.id)).toEqual({
      pk: { S: c.id },
      kind: { S: 'counter' },
      rule: { S: 'bounces' },
      window_start: { S: '2026-12-07T10:00:00.000Z' },
      window_end: { S: '2026-12-07T10:05:00.000Z' },
      group: { NULL: true },
      expires_at: { N: '1796000000' },
      'c:delivered': { N: '3' },
      'c:odd:outcome': { N: '1' },
      'hw:shardId-1': { S: '0002' },
      in_flight: { SS: ['b-1'] },
      alert_state: { S: 'claimed' },
      alert_token: { S: 'A' },
      alert_until: { N: '5000' },
    });
    const grouped = counter();
    await store.add(grouped, { delivered: 1 }, seq('1', '1'));
    expect((await raw.get(grouped.id))?.group).toEqual({ S: '["marketing"]' });
    await store.openBatch(`layout-${serial}`, ['c1', 'c2'], 1_796_000_000);
    expect(await raw.get(`batch#layout-${serial}`)).toEqual({
      pk: { S: `batch#layout-${serial}` },
      kind: { S: 'batch' },
      pending: { SS: expect.arrayContaining(['c1', 'c2']) },
      expires_at: { N: '1796000000' },
    });
  });

  it('reads an item edited by hand without trusting its malformed attributes', async () => {
    const c = counter();
    await raw.put({
      pk: { S: c.id },
      'c:good': { N: '3' },
      'c:text': { S: 'three' },
      'c:negative': { N: '-1' },
      'c:fraction': { N: '1.5' },
      'c:huge': { N: '123456789012345678901234567890' },
      'c:': { N: '9' },
      'hw:number': { N: '5' },
      'hw:ok': { S: '0009' },
      in_flight: { L: [{ S: 'b' }] },
      alert_state: { S: 'bogus' },
      alert_token: { S: 'A' },
      alert_until: { N: '1' },
      unrelated: { M: { x: { S: 'y' } } },
    });
    expect(await store.get(c)).toEqual({ counts: { good: 3 }, highWater: { ok: '0009' }, inFlight: [] });
    await raw.put({
      pk: { S: c.id },
      alert_state: { S: 'claimed' },
      alert_token: { N: '1' },
      alert_until: { N: '1' },
    });
    expect((await store.get(c))?.alert).toBeUndefined();
  });

  it.each([
    ['ThrottlingException', 400],
    ['ProvisionedThroughputExceededException', 400],
    ['RequestLimitExceeded', 400],
    ['InternalServerError', 500],
    ['ServiceUnavailable', 503],
  ])('retries %s (HTTP %i) within maxAttempts, then applies the add once', async (code, status) => {
    const c = counter();
    const fault = { kind: 'status', status, code, format: 'json' } as const;
    proxy.next = [fault, fault];
    const added = await store.add(c, { delivered: 4 }, seq('1', '5'));
    expect(added.applied).toBe(true);
    expect(proxy.requests).toBe(3);
    expect((await raw.get(c.id))?.['c:delivered']).toEqual({ N: '4' });
  });

  it.each([
    ['ProvisionedThroughputExceededException', 400],
    ['InternalServerError', 500],
  ])('gives up on %s after maxAttempts with a retryable SinkError', async (code, status) => {
    proxy.fault = { kind: 'status', status, code, format: 'json' };
    const c = counter();
    const err = await store.add(c, { delivered: 1 }, seq('1', '1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkError);
    expect(err).toMatchObject({ sink: 'rates', retryable: true });
    expect((err as Error).message).toContain(`UpdateItem ${RATE_TABLE} '${c.id}' failed: ${code}`);
    expect(proxy.requests).toBe(3);
    await expect(store.claimAlert(c, 'A', 1, 2)).rejects.toThrow(SinkError);
    await expect(store.get(c)).rejects.toThrow(SinkError);
    proxy.fault = { kind: 'pass' };
    expect(await raw.get(c.id)).toBeUndefined();
  });

  it('does not retry a refusal (a ValidationException) and does not take it for a refused condition', async () => {
    proxy.fault = { kind: 'status', status: 400, code: 'ValidationException', format: 'json' };
    await expect(store.claimAlert(counter(), 'A', 1, 2)).rejects.toMatchObject({ sink: 'rates' });
    expect(proxy.requests).toBe(1);
  });

  it('an add whose answer was lost after it was applied: the retry is refused, and the count stays once', async () => {
    const c = counter();
    proxy.next = [{ kind: 'drop-response' }];
    const added = await store.add(c, { delivered: 5 }, seq('0001', '0003'));
    // Applied by the first attempt, refused to the second: the caller learns it is counted, and it is, once.
    expect(added).toEqual({
      applied: false,
      item: { counts: { delivered: 5 }, highWater: { 'shardId-1': '0003' }, inFlight: [] },
    });
    expect(targets()).toEqual([UPDATE, UPDATE, GET]);
  });

  it('a claim whose answer was lost is still its claimant’s; a marker whose answer was lost reads back', async () => {
    const c = counter();
    proxy.next = [{ kind: 'drop-response' }];
    expect(await store.claimAlert(c, 'A', 1_000, 5_000)).toBe(true);
    expect(await store.claimAlert(c, 'B', 2_000, 6_000)).toBe(false);
    const b = `lost-${serial}`;
    proxy.next = [{ kind: 'drop-response' }];
    expect(await store.openBatch(b, ['c1'], 1_796_000_000)).toEqual({
      created: false,
      marker: { batchId: b, pending: ['c1'] },
    });
  });

  it('stops a call when the signal aborts (the Lambda deadline), long before the request timeout', async () => {
    proxy.fault = { kind: 'delay', ms: 10_000 };
    const started = performance.now();
    const err = await store
      .add(counter(), { delivered: 1 }, seq('1', '1'), { signal: AbortSignal.timeout(150) })
      .catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(err).toBeInstanceOf(SinkError);
    expect(err).toMatchObject({ sink: 'rates', retryable: true });
    expect(proxy.requests).toBe(1);
  });

  it('does not send a call whose signal has already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('deadline'));
    await expect(store.get(counter(), { signal: controller.signal })).rejects.toThrow(SinkError);
    await expect(
      store.openBatch(`aborted-${serial}`, [], 1_796_000_000, { signal: controller.signal }),
    ).rejects.toThrow(SinkError);
    expect(proxy.requests).toBe(0);
  });

  it('fails with a SinkError when DynamoDB cannot be reached', async () => {
    const dead = dynamoRateStore(await closedPortUrl(), { SINK_MAX_ATTEMPTS: '2' });
    await expect(dead.settleBatch('b', ['c1'])).rejects.toMatchObject({ sink: 'rates', retryable: true });
  });
});
