import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SinkError } from '../../src/errors';
import { sha256Hex } from '../../src/hash';
import { LocalRateStore } from '../../src/sinks/local/LocalRateStore';
import type { RateCounterRef } from '../../src/sinks/rateStore';

jest.setTimeout(60_000);

/**
 * What only the local adapter has: its files (named by hash, written whole), its per-item lock (waited for,
 * broken when stale, given up at the deadline), other processes adding to the same counters, and files edited
 * by hand.
 */
let dir: string;
let store: LocalRateStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'local-rates-'));
  store = new LocalRateStore(dir);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const counter = (id = 'bounces:f00d:w1:g1'): RateCounterRef => ({
  id,
  rule: 'bounces',
  windowStart: '2026-12-07T10:00:00.000Z',
  windowEnd: '2026-12-07T10:05:00.000Z',
  group: null,
  expiresAt: 1_796_000_000,
});
const itemPath = (pk: string) => join(dir, 'rates', `${sha256Hex(pk)}.json`);
const add = (c: RateCounterRef, batchId: string, signal?: AbortSignal) =>
  store.add(c, { delivered: 1 }, { kind: 'batch', batchId }, signal === undefined ? {} : { signal });

async function holdLock(pk: string, ageMs = 0): Promise<string> {
  await mkdir(join(dir, 'rates'), { recursive: true });
  const lock = `${itemPath(pk)}.lock`;
  await writeFile(lock, 'someone else\n');
  if (ageMs > 0) {
    const then = (Date.now() - ageMs) / 1000;
    await utimes(lock, then, then);
  }
  return lock;
}

describe('LocalRateStore files', () => {
  it('keeps one JSON file per item, named by the hash of its key, and leaves no lock or temporary file', async () => {
    const c = counter('../../escape attempt/"quoted"');
    await add(c, 'b1');
    await store.openBatch('b1', [c.id], 1_796_000_000);
    await store.claimAlert(c, 'A', 1, 2);
    const files = await readdir(join(dir, 'rates'));
    expect(files.sort()).toEqual([`${sha256Hex(c.id)}.json`, `${sha256Hex('batch#b1')}.json`].sort());
    expect(JSON.parse(await readFile(itemPath(c.id), 'utf8'))).toEqual({
      pk: c.id,
      kind: 'counter',
      rule: 'bounces',
      window_start: '2026-12-07T10:00:00.000Z',
      window_end: '2026-12-07T10:05:00.000Z',
      group: null,
      expires_at: 1_796_000_000,
      'c:delivered': 1,
      in_flight: ['b1'],
      alert_state: 'claimed',
      alert_token: 'A',
      alert_until: 2,
    });
  });

  it('adds up across processes writing the same counter at the same time', async () => {
    const c = counter();
    // The item's lock is held until every process has its adds waiting for it: then they all race for it.
    const lock = await holdLock(c.id);
    const children = ['proc-a', 'proc-b'].map((prefix) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(__dirname, '../support/addRatesProcess.ts'), dir, c.id, '15', prefix],
        { cwd: join(__dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'], timeout: 45_000 },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
      });
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout.on('data', () => out.includes('ready') && resolve());
        child.on('exit', () => reject(new Error(`child exited before it was ready: ${err}`)));
      });
      const exited = new Promise<string>((resolve, reject) =>
        child.on('exit', (code) =>
          code === 0 ? resolve(out) : reject(new Error(`child failed (${code}): ${err}`)),
        ),
      );
      return { ready, exited };
    });
    await Promise.all(children.map((ch) => ch.ready));
    const here = Promise.all(Array.from({ length: 15 }, (_, i) => add(c, `here-${i}`)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await store.get(c)).toBeUndefined();
    await rm(lock);
    const [outA, outB] = await Promise.all(children.map((ch) => ch.exited));
    expect((await here).every((r) => r.applied)).toBe(true);
    expect(outA).toBe('ready\ndone\n');
    expect(outB).toBe('ready\ndone\n');
    const item = await new LocalRateStore(dir).get(c);
    expect(item?.counts).toEqual({ delivered: 45 });
    expect(item?.inFlight).toHaveLength(45);
  });

  it('reads a file edited by hand without trusting its malformed attributes, and adds onto it', async () => {
    const c = counter();
    await mkdir(join(dir, 'rates'), { recursive: true });
    await writeFile(
      itemPath(c.id),
      JSON.stringify({
        pk: c.id,
        'c:delivered': 2,
        'c:bounced': 'two',
        'c:failed': -3,
        'hw:s': 7,
        in_flight: 'b1',
        alert_state: 'claimed',
        alert_token: 5,
      }),
    );
    expect(await store.get(c)).toEqual({ counts: { delivered: 2 }, highWater: {}, inFlight: [] });
    expect((await store.add(c, { delivered: 1, bounced: 1 }, { kind: 'batch', batchId: 'b2' })).item).toEqual(
      {
        counts: { delivered: 3, bounced: 1 },
        highWater: {},
        inFlight: ['b2'],
      },
    );
  });

  it('refuses a file that is not a JSON object, naming it, and leaves it as it is', async () => {
    const c = counter();
    await mkdir(join(dir, 'rates'), { recursive: true });
    for (const content of ['{ truncated', '[1, 2]', 'null']) {
      await writeFile(itemPath(c.id), content);
      const err = await add(c, 'b1').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SinkError);
      expect(err).toMatchObject({ sink: 'rates', retryable: true });
      expect((err as Error).message).toContain(`${itemPath(c.id)} is not a JSON object`);
      await expect(store.get(c)).rejects.toThrow(SinkError);
      expect(await readFile(itemPath(c.id), 'utf8')).toBe(content);
    }
  });
});

describe('LocalRateStore lock', () => {
  it('waits for a lock another process holds, and goes on once it is released', async () => {
    const c = counter();
    const lock = await holdLock(c.id);
    let done = false;
    const adding = add(c, 'b1').then((r) => {
      done = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(done).toBe(false);
    await rm(lock);
    expect((await adding).applied).toBe(true);
  });

  it('breaks a lock left by a process that died holding it (older than 10 s)', async () => {
    const c = counter();
    const lock = await holdLock(c.id, 20_000);
    const started = Date.now();
    expect((await add(c, 'b1')).applied).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await readdir(join(dir, 'rates'))).filter((f) => f !== `${sha256Hex(c.id)}.json`)).toEqual([]);
    await expect(readFile(lock)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('gives up waiting when the signal aborts (the deadline), writing nothing', async () => {
    const c = counter();
    const lock = await holdLock(c.id);
    const started = Date.now();
    const err = await add(c, 'b1', AbortSignal.timeout(200)).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(err).toBeInstanceOf(SinkError);
    expect(err).toMatchObject({ sink: 'rates', retryable: true });
    await rm(lock);
    expect(await store.get(c)).toBeUndefined();
  });
});
