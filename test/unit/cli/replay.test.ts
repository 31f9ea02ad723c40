import { createReadStream, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { RateAlert } from '../../../src/alerts/rateAlert';
import { processFirehoseBatch } from '../../../src/batch/firehose';
import { processKinesisBatch } from '../../../src/batch/kinesis';
import { Checkpoint } from '../../../src/cli/Checkpoint';
import { CliError } from '../../../src/cli/io';
import { partitionBound, replayCommand } from '../../../src/cli/replay';
import type { ObjectStore, StoredObjectInfo } from '../../../src/cli/S3ObjectStore';
import { loadConfig } from '../../../src/config';
import { loadRuleSet } from '../../../src/rules/loadRules';
import { createRuntime } from '../../../src/runtime';
import type { NormalizedRecord } from '../../../src/schema';
import { archiveKey, batchRefFromArchive } from '../../../src/sinks/archiveObjects';
import { firehoseBatchRef, kinesisBatchRef } from '../../../src/sinks/batchRef';
import { firehoseEvent, kinesisEvent, silentLogger, TEST_PII_KEY } from '../../helpers/runtime';
import { captureIO, tempDir } from './cliIO';

/** The local archive sink's folder, read as a bucket: keys are paths, metadata comes from `.meta.json`. */
class FolderStore implements ObjectStore {
  gets = 0;
  constructor(private readonly dir: string) {}
  async list(_bucket: string, prefix: string): Promise<StoredObjectInfo[]> {
    return [...walk(this.dir)]
      .filter((k) => k.startsWith(prefix) && !k.endsWith('.meta.json'))
      .map((key) => ({ key, size: readFileSync(join(this.dir, key)).length }));
  }
  async get(_bucket: string, key: string) {
    this.gets++;
    const path = join(this.dir, key);
    const meta = existsSync(`${path}.meta.json`) ? JSON.parse(readFileSync(`${path}.meta.json`, 'utf8')) : {};
    return { body: createReadStream(path), metadata: meta, size: statSync(path).size };
  }
  close() {}
}

function walk(dir: string, root = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name), root) : [relative(root, join(dir, e.name))],
  );
}

/** Files of some zones, by path, with their bytes. */
function snapshot(dir: string, zones: string[]): Map<string, string> {
  return new Map(
    walk(dir)
      .filter((k) => zones.some((z) => k.startsWith(`${z}/`)))
      .sort()
      .map((k) => [k, readFileSync(join(dir, k)).toString('base64')]),
  );
}

const KINESIS = ['email', 'mixed', 'sms'];

/** An original run: the Kinesis path (and a Firehose batch with raw archiving) with local sinks into `dir`. */
async function originalRun(dir: string): Promise<void> {
  const env = {
    SINKS: 'local',
    LOCAL_SINK_DIR: dir,
    PII_HASH_KEY: TEST_PII_KEY,
    FIREHOSE_ARCHIVE_RAW: 'true',
  };
  const runtime = await createRuntime(loadConfig(env), { logger: silentLogger });
  for (const name of KINESIS) await processKinesisBatch(kinesisEvent(name), runtime);
  await processFirehoseBatch(firehoseEvent('ses'), runtime);
}

describe('replay', () => {
  let original: string;
  let store: FolderStore;
  let rawObjects: number;

  beforeAll(async () => {
    original = tempDir('original');
    await originalRun(original);
    store = new FolderStore(original);
    rawObjects = (await store.list('b', 'raw/')).filter((o) => o.key.endsWith('.jsonl.gz')).length;
  });

  const replayEnv = (dir: string) => ({ SINKS: 'local', LOCAL_SINK_DIR: dir });

  it('rebuilds the normalized and quarantine zones and the alerts key for key, byte for byte', async () => {
    const out = tempDir('replayed');
    const c = captureIO({ env: replayEnv(out), cwd: out });
    expect(await replayCommand({ bucket: 'b' }, c.io, { store })).toBe(0);
    const kinesisZones = snapshot(original, ['normalized', 'quarantine', 'alerts']);
    expect(kinesisZones.size).toBeGreaterThan(10);
    const replayed = snapshot(out, ['normalized', 'quarantine', 'alerts']);
    // Everything the original run wrote is rewritten identically; the Firehose batch, whose normalized records
    // went to Firehose itself, adds its normalized objects.
    for (const [key, bytes] of kinesisZones) expect([key, replayed.get(key)]).toEqual([key, bytes]);
    expect(
      [...replayed.keys()].filter((k) => !kinesisZones.has(k)).every((k) => k.includes('/firehose/')),
    ).toBe(true);
    expect(snapshot(out, ['raw']).size).toBe(0);
    expect(c.stdout()).toMatch(new RegExp(`^${rawObjects} objects replayed, 0 skipped`));
    expect(c.stdout()).toMatch(/^records +normalized +dropped +poison\n +\d+ +\d+ +0 +8$/m);
  });

  it('skips the objects in the checkpoint, and replays none when run again', async () => {
    const out = tempDir('again');
    const c1 = captureIO({ env: replayEnv(out), cwd: out });
    expect(await replayCommand({ bucket: 'b', json: true }, c1.io, { store })).toBe(0);
    const gets = store.gets;
    const c2 = captureIO({ env: replayEnv(out), cwd: out });
    expect(await replayCommand({ bucket: 'b', json: true }, c2.io, { store })).toBe(0);
    expect(JSON.parse(c2.stdout())).toMatchObject({ objects: 0, skipped: rawObjects, left: 0, records: 0 });
    expect(store.gets).toBe(gets);
    const c3 = captureIO({ env: replayEnv(out), cwd: out });
    expect(await replayCommand({ bucket: 'b', json: true, restart: true }, c3.io, { store })).toBe(0);
    expect(JSON.parse(c3.stdout())).toMatchObject({ objects: rawObjects, skipped: 0 });
  });

  it('stops on Ctrl-C after the object in progress, and resumes from the checkpoint', async () => {
    const out = tempDir('interrupted');
    const controller = new AbortController();
    const c1 = captureIO({ env: replayEnv(out), cwd: out, signal: controller.signal });
    const code = await replayCommand({ bucket: 'b', concurrency: 1 }, c1.io, {
      store,
      onObjectDone: () => controller.abort(),
    });
    expect(code).toBe(130);
    expect(c1.stdout()).toMatch(new RegExp(`^1 object replayed, 0 skipped .*, ${rawObjects - 1} left`));
    expect(c1.stderr()).toMatch(/interrupted with \d+ objects left; run the same command again to resume/);
    const c2 = captureIO({ env: replayEnv(out), cwd: out });
    expect(await replayCommand({ bucket: 'b', json: true }, c2.io, { store })).toBe(0);
    expect(JSON.parse(c2.stdout())).toMatchObject({ objects: rawObjects - 1, skipped: 1 });
    const full = tempDir('full');
    await replayCommand({ bucket: 'b' }, captureIO({ env: replayEnv(full), cwd: full }).io, { store });
    expect(snapshot(out, ['normalized', 'quarantine', 'alerts'])).toEqual(
      snapshot(full, ['normalized', 'quarantine', 'alerts']),
    );
  });

  it('replays only the partitions from --from to --to', async () => {
    const out = tempDir('range');
    const keys = (await store.list('b', 'raw/')).map((o) => o.key);
    const hours = [...new Set(keys.map((k) => /dt=([^/]+)\/hour=(\d\d)/.exec(k)?.slice(1).join('T')))].sort();
    const pick = hours[1] as string;
    const c = captureIO({ env: replayEnv(out), cwd: out });
    expect(
      await replayCommand({ bucket: 'b', from: pick, to: `${pick}:59:59Z`, json: true }, c.io, { store }),
    ).toBe(0);
    const expected = keys.filter((k) => k.includes(`dt=${pick.slice(0, 10)}/hour=${pick.slice(11)}/`)).length;
    expect(JSON.parse(c.stdout())).toMatchObject({ objects: expected });
    expect(expected).toBeGreaterThan(0);
    expect(expected).toBeLessThan(rawObjects);
  });

  it('leaves the object out of the checkpoint and exits 3 when a sink fails', async () => {
    const out = tempDir('sinkfail');
    writeFileSync(join(out, 'not-a-folder'), '');
    const c = captureIO({ env: replayEnv(join(out, 'not-a-folder')), cwd: out });
    const failure = replayCommand({ bucket: 'b', concurrency: 1 }, c.io, { store });
    await expect(failure).rejects.toMatchObject({ exitCode: 3 });
    await expect(failure).rejects.toThrow(/could not write the output of raw\/dt=/);
    // Nothing was replayed: no checkpoint either.
    expect(existsSync(join(out, '.replay-checkpoint.json'))).toBe(false);
  });

  it('leaves no checkpoint when it fails before replaying anything, so another bucket can start', async () => {
    const out = tempDir('noregion');
    const noRegion: ObjectStore = {
      list: async () => {
        throw new Error('Region is missing');
      },
      get: async () => {
        throw new Error('not called');
      },
      close: () => {},
    };
    const c1 = captureIO({ env: replayEnv(out), cwd: out });
    await expect(replayCommand({ bucket: 'other' }, c1.io, { store: noRegion })).rejects.toThrow(
      'cannot list s3://other/raw/: Region is missing',
    );
    expect(existsSync(join(out, '.replay-checkpoint.json'))).toBe(false);
    const c2 = captureIO({ env: replayEnv(out), cwd: out });
    expect(await replayCommand({ bucket: 'b', json: true }, c2.io, { store })).toBe(0);
    expect(JSON.parse(c2.stdout())).toMatchObject({ objects: rawObjects, skipped: 0 });
    expect(readFileSync(join(out, '.replay-checkpoint.json'), 'utf8').trim().split('\n')).toHaveLength(
      rawObjects + 1,
    );
  });

  it('keeps the checkpoint of earlier progress as it was when a later run fails before any progress', async () => {
    const out = tempDir('keep');
    const interrupted = new AbortController();
    const c1 = captureIO({ env: replayEnv(out), cwd: out, signal: interrupted.signal });
    expect(
      await replayCommand({ bucket: 'b', concurrency: 1 }, c1.io, {
        store,
        onObjectDone: () => interrupted.abort(),
      }),
    ).toBe(130);
    const path = join(out, '.replay-checkpoint.json');
    const before = readFileSync(path, 'utf8');
    expect(before.trim().split('\n')).toHaveLength(2);
    writeFileSync(join(out, 'not-a-folder'), '');
    const c2 = captureIO({ env: replayEnv(join(out, 'not-a-folder')), cwd: out });
    await expect(replayCommand({ bucket: 'b', concurrency: 1 }, c2.io, { store })).rejects.toMatchObject({
      exitCode: 3,
    });
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('rejects a checkpoint of another bucket or prefix, and a bad time', async () => {
    const out = tempDir('scope');
    await (await Checkpoint.open(join(out, 'cp.json'), { bucket: 'other', prefix: '' }, false)).add('k');
    const c = captureIO({ env: replayEnv(out), cwd: out });
    await expect(replayCommand({ bucket: 'b', checkpoint: 'cp.json' }, c.io, { store })).rejects.toThrow(
      /checkpoint '.*cp\.json' belongs to s3:\/\/other\/; pass --restart or another --checkpoint/,
    );
    await expect(replayCommand({ bucket: 'b', from: '2025-13-01' }, c.io, { store })).rejects.toThrow(
      CliError,
    );
    await expect(
      replayCommand({ bucket: 'b', from: '2025-11-21', to: '2025-11-20' }, c.io, { store }),
    ).rejects.toThrow(/is after --to/);
  });

  describe('--rates', () => {
    const rulesDir = tempDir('raterules');
    const rulesFile = join(rulesDir, 'rules.yaml');
    // Fires on the sample SMS failures: no minimum worth the name.
    const RULES = [
      'version: 1',
      'rules:',
      '  - name: sms-trouble',
      '    kind: rate',
      '    numerator: [failed, rejected]',
      '    denominator: [delivered, failed, rejected]',
      '    match: { channel: SMS }',
      '    threshold: 0.1',
      '    min_volume: 1',
      '    severity: low',
      '',
    ].join('\n');
    writeFileSync(rulesFile, RULES);
    const ratesEnv = (dir: string) => ({ ...replayEnv(dir), RULES_FILE: rulesFile });
    const rule = loadRuleSet(RULES).rateRules.find((r) => r.name === 'sms-trouble');

    const rateAlertLines = (dir: string) =>
      walk(dir)
        .filter((k) => k.startsWith('alerts/'))
        .flatMap((k) => readFileSync(join(dir, k), 'utf8').trim().split('\n'))
        .map((l) => JSON.parse(l))
        .filter((a) => a.kind === 'rate');

    /** The normalized records a replay rebuilt. */
    const normalizedRecords = (dir: string): NormalizedRecord[] =>
      walk(dir)
        .filter((k) => k.startsWith('normalized/') && k.endsWith('.jsonl.gz'))
        .flatMap((k) =>
          gunzipSync(readFileSync(join(dir, k)))
            .toString()
            .trim()
            .split('\n'),
        )
        .map((l) => JSON.parse(l) as NormalizedRecord);

    /** Runs with TMPDIR set to a folder of its own, to see what the run leaves there. */
    async function inTmp<T>(run: () => Promise<T>): Promise<{ result: T; left: string[] }> {
      const tmp = tempDir('replay-tmp');
      const saved = process.env.TMPDIR;
      process.env.TMPDIR = tmp;
      try {
        return { result: await run(), left: readdirSync(tmp) };
      } finally {
        if (saved === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = saved;
      }
    }

    it('counts nothing without it: the replayed records were counted when they arrived', async () => {
      const out = tempDir('rnone');
      const c = captureIO({ env: ratesEnv(out), cwd: out });
      expect(await replayCommand({ bucket: 'b', json: true }, c.io, { store })).toBe(0);
      const json = JSON.parse(c.stdout());
      expect(json).not.toHaveProperty('rates');
      expect(existsSync(join(out, 'rates'))).toBe(false);
      expect(rateAlertLines(out)).toEqual([]);
      expect(walk(out).some((k) => k.startsWith('rollups/'))).toBe(false);
    });

    it('counts into a temporary store, prints its counters, and only prints the rate alerts', async () => {
      const out = tempDir('rrates');
      const c = captureIO({ env: ratesEnv(out), cwd: out });
      const { result, left } = await inTmp(() =>
        replayCommand({ bucket: 'b', rates: true, json: true }, c.io, { store }),
      );
      expect(result).toBe(0);
      expect(left).toEqual([]);
      const json = JSON.parse(c.stdout());
      // The live local store (LOCAL_SINK_DIR/rates) is not touched.
      expect(existsSync(join(out, 'rates'))).toBe(false);

      // The counts of the records replayed (the normalized zone it rebuilt), hour by hour of arrival.
      const expected = new Map<string, { numerator: number; denominator: number }>();
      for (const r of normalizedRecords(out)) {
        if (rule === undefined || !rule.matches(r) || !rule.outcomes.includes(r.outcome)) continue;
        const hour = `${r.arrival_time.slice(0, 13)}:00:00.000Z`;
        const sums = expected.get(hour) ?? { numerator: 0, denominator: 0 };
        if (rule.numerator.includes(r.outcome)) sums.numerator++;
        if (rule.denominator.includes(r.outcome)) sums.denominator++;
        expected.set(hour, sums);
      }
      expect(expected.size).toBeGreaterThan(0);
      const mine = json.rates.filter((r: { rule: string }) => r.rule === 'sms-trouble');
      expect(
        mine.map((r: { window_start: string; numerator: number; denominator: number }) => [
          r.window_start,
          { numerator: r.numerator, denominator: r.denominator },
        ]),
      ).toEqual([...expected].sort());

      // Claimed, printed, not sent: history should not page anyone.
      expect(json.rateAlerts.length).toBeGreaterThan(0);
      expect(json.rateAlerts.every((a: { rule: string }) => a.rule === 'sms-trouble')).toBe(true);
      expect(json.rateAlertsSent).toBe(false);
      expect(
        mine
          .filter((r: { alert: string | null }) => r.alert !== null)
          .every((r: { alert: string }) => r.alert === 'claimed'),
      ).toBe(true);
      expect(mine.filter((r: { alert: string | null }) => r.alert === 'claimed')).toHaveLength(
        json.rateAlerts.length,
      );
      expect(rateAlertLines(out)).toEqual([]);
      // Event alerts are sent as before.
      expect(walk(out).some((k) => k.startsWith('alerts/'))).toBe(true);

      const t = tempDir('rrates-text');
      const text = captureIO({ env: ratesEnv(t), cwd: t });
      expect(await replayCommand({ bucket: 'b', rates: true }, text.io, { store })).toBe(0);
      expect(text.stdout()).toMatch(
        /^rate rule +window +group +numerator +denominator +rate +threshold +min volume +alert$/m,
      );
      expect(text.stdout()).toMatch(/^sms-trouble +\S+Z–\S+Z +\(all\) +\d+ +\d+ +[\d.]+% +10% +1 +claimed$/m);
      expect(text.stdout()).toMatch(
        /^\d+ counters in a temporary store, removed; \d+ counter adds by this run; \d+ rate alerts? claimed, not sent \(--send-rate-alerts sends them\)\.$/m,
      );
    });

    it('sends the rate alerts with --send-rate-alerts', async () => {
      const out = tempDir('rsend');
      const c = captureIO({ env: ratesEnv(out), cwd: out });
      expect(
        await replayCommand({ bucket: 'b', rates: true, sendRateAlerts: true, json: true }, c.io, { store }),
      ).toBe(0);
      const json = JSON.parse(c.stdout());
      expect(json.rateAlertsSent).toBe(true);
      const sent = rateAlertLines(out);
      expect(sent.length).toBeGreaterThan(0);
      expect(sent.map((a) => a.alert_id).sort()).toEqual(
        json.rateAlerts.map((a: RateAlert) => a.alert_id).sort(),
      );
      const alerted = json.rates.filter((r: { alert: string | null }) => r.alert !== null);
      expect(alerted.map((r: { alert: string }) => r.alert)).toEqual(sent.map(() => 'sent'));
    });

    it('counts what each run replays: an interrupted replay and its resumption', async () => {
      const out = tempDir('rpieces');
      const controller = new AbortController();
      const c1 = captureIO({ env: ratesEnv(out), cwd: out, signal: controller.signal });
      const opts = { bucket: 'b', rates: true, concurrency: 1, json: true };
      expect(await replayCommand(opts, c1.io, { store, onObjectDone: () => controller.abort() })).toBe(130);
      const first = JSON.parse(c1.stdout());
      expect(first.objects).toBe(1);
      const c2 = captureIO({ env: ratesEnv(out), cwd: out });
      expect(await replayCommand({ ...opts, json: false }, c2.io, { store })).toBe(0);
      expect(c2.stdout()).toMatch(/^Rates over the \d+ objects replayed in this run only\.$/m);
      const whole = tempDir('rwhole');
      const c3 = captureIO({ env: ratesEnv(whole), cwd: whole });
      expect(await replayCommand(opts, c3.io, { store })).toBe(0);
      const all = JSON.parse(c3.stdout());
      expect(first.rateCounts.records).toBeLessThan(all.rateCounts.records);
    });

    it('refuses --send-rate-alerts without --rates, or with --no-alerts', async () => {
      const out = tempDir('rbad');
      const c = captureIO({ env: ratesEnv(out), cwd: out });
      await expect(
        replayCommand({ bucket: 'b', sendRateAlerts: true }, c.io, { store }),
      ).rejects.toMatchObject({
        exitCode: 1,
        message: '--send-rate-alerts needs --rates: rate alerts come from the counts',
      });
      await expect(
        replayCommand({ bucket: 'b', rates: true, sendRateAlerts: true, alerts: false }, c.io, { store }),
      ).rejects.toMatchObject({ exitCode: 1 });
      expect(walk(out)).toEqual([]);
    });
  });
});

describe('partitionBound', () => {
  it('reads dates and date-hours as UTC partitions, whole days inclusive', () => {
    expect(partitionBound('2025-11-20', 'from')).toBe('2025-11-20T00');
    expect(partitionBound('2025-11-20', 'to')).toBe('2025-11-20T23');
    expect(partitionBound('2025-11-20T07', 'to')).toBe('2025-11-20T07');
    expect(partitionBound('2025-11-20 07:30', 'from')).toBe('2025-11-20T07');
    expect(partitionBound('2025-11-20T07:30:00.000Z', 'from')).toBe('2025-11-20T07');
    expect(partitionBound(undefined, 'from')).toBeUndefined();
    for (const bad of ['2025-02-30', '2025-11-20T24', '20251120', '2025-11-20T07+02:00', 'yesterday']) {
      expect(() => partitionBound(bad, 'from')).toThrow(CliError);
    }
  });
});

describe('Checkpoint', () => {
  it('remembers finished keys across opens, ignores a torn last line, and starts over with restart', async () => {
    const path = join(tempDir('cp'), 'cp.json');
    const scope = { bucket: 'b', prefix: 'p/' };
    const cp = await Checkpoint.open(path, scope, false);
    await Promise.all([cp.add('k1'), cp.add('k2')]);
    writeFileSync(path, `${readFileSync(path, 'utf8')}{"done":"k3`);
    const again = await Checkpoint.open(path, scope, false);
    expect([again.has('k1'), again.has('k2'), again.has('k3'), again.size]).toEqual([true, true, false, 2]);
    // The first key done rewrites the file whole, without the torn line; the next ones are appended.
    await again.add('k4');
    await again.add('k5');
    expect(readFileSync(path, 'utf8')).toBe(
      '{"checkpoint":1,"bucket":"b","prefix":"p/"}\n{"done":"k1"}\n{"done":"k2"}\n{"done":"k4"}\n{"done":"k5"}\n',
    );
    expect((await Checkpoint.open(path, scope, true)).size).toBe(0);
  });

  it('writes nothing until the first object is done', async () => {
    const dir = tempDir('lazy');
    const path = join(dir, 'cp.json');
    await Checkpoint.open(path, { bucket: 'b', prefix: '' }, false);
    expect(existsSync(path)).toBe(false);
    writeFileSync(path, '{"checkpoint":1,"bucket":"b","prefix":""}\n{"done":"k1"}\n');
    const restarted = await Checkpoint.open(path, { bucket: 'b', prefix: '' }, true);
    expect(readFileSync(path, 'utf8')).toMatch(/k1/);
    await restarted.add('k2');
    expect(readFileSync(path, 'utf8')).toBe('{"checkpoint":1,"bucket":"b","prefix":""}\n{"done":"k2"}\n');
  });

  it('refuses a file that is not a checkpoint', async () => {
    const path = join(tempDir('notcp'), 'x.json');
    writeFileSync(path, '{"something":"else"}\n');
    await expect(Checkpoint.open(path, { bucket: 'b', prefix: '' }, false)).rejects.toThrow(
      /is not a replay checkpoint/,
    );
  });
});

describe('batchRefFromArchive', () => {
  const ids = [
    '49656178632478946225718230919431271478127036462117879810',
    '49656178632478946225718230919431271478127036462118879810',
  ];

  it('rebuilds the Kinesis batch of a raw key, with or without metadata', () => {
    const original = kinesisBatchRef(
      'arn:aws:kinesis:us-east-1:123456789012:stream/pinpoint-events',
      'shardId-000000000003',
      ids,
      Date.UTC(2025, 10, 20, 13, 5),
    );
    const key = `archive/${archiveKey('raw', original, original.dt, original.hour)}`;
    expect(batchRefFromArchive(key, ids)).toEqual(original);
    expect(
      batchRefFromArchive(key, [], {
        shard: original.shard as string,
        'first-id': original.firstId,
        'last-id': original.lastId,
        'batch-record-count': '2',
      }),
    ).toEqual(original);
  });

  it('rebuilds the Firehose batch of a raw key', () => {
    const original = firehoseBatchRef(
      'arn:aws:firehose:us-east-1:123456789012:deliverystream/pinpoint-events',
      ['a', 'b', 'c'],
      Date.UTC(2025, 10, 20, 23, 59),
    );
    expect(
      batchRefFromArchive(archiveKey('raw', original, original.dt, original.hour), ['a', 'b', 'c']),
    ).toEqual(original);
  });

  it('says when a key is not a raw archive key', () => {
    expect(batchRefFromArchive('normalized/dt=2025-11-20/hour=13/kinesis/s/x.jsonl.gz', [])).toBeUndefined();
    expect(batchRefFromArchive('raw/2025/x.jsonl.gz', [])).toBeUndefined();
  });
});

describe('replay over a cap', () => {
  const MiB = 1024 * 1024;
  const KEY = 'raw/dt=2025-11-20/hour=12/kinesis/pinpoint-events/shardId-000000000000_1_2.jsonl.gz';
  const LINE = `${JSON.stringify({ id: '1', approximate_arrival_ms: 1763640000000, data: '{}' })}\n`;

  /** One raw object, listed with `listed` bytes and told `contentLength` on get; counts the bytes read. */
  class StubStore implements ObjectStore {
    gets = 0;
    read = 0;
    body?: Readable;
    constructor(
      private readonly bytes: Buffer,
      private readonly sizes: { listed?: number; contentLength?: number } = {},
    ) {}
    async list(): Promise<StoredObjectInfo[]> {
      return [{ key: KEY, size: this.sizes.listed ?? this.bytes.length }];
    }
    async get() {
      this.gets++;
      const self = this;
      this.body = Readable.from(
        (function* () {
          for (let i = 0; i < self.bytes.length; i += 65536) {
            const chunk = self.bytes.subarray(i, i + 65536);
            self.read += chunk.length;
            yield chunk;
          }
        })(),
      );
      return { body: this.body, metadata: {}, size: this.sizes.contentLength ?? this.bytes.length };
    }
    close() {}
  }

  const replay = async (store: ObjectStore, opts: Partial<Parameters<typeof replayCommand>[0]> = {}) => {
    const out = tempDir('capped');
    const c = captureIO({ env: { SINKS: 'local', LOCAL_SINK_DIR: out }, cwd: out });
    const started = performance.now();
    const result = replayCommand({ bucket: 'b', ...opts }, c.io, { store });
    return { result, started, out };
  };

  it('reads an object streamed and gunzipped line by line, as before', async () => {
    const store = new StubStore(gzipSync(LINE.repeat(3)));
    const { result, out } = await replay(store);
    expect(await result).toBe(0);
    expect(existsSync(join(out, '.replay-checkpoint.json'))).toBe(true);
  });

  it('refuses an object over --max-object-size by its listed size, without getting it', async () => {
    const store = new StubStore(gzipSync(LINE), { listed: 65 * MiB });
    const { result } = await replay(store);
    await expect(result).rejects.toThrow(
      `s3://b/${KEY}: 65 MiB (its size as listed), more than 64 MiB, the cap on one raw object; --max-object-size raises it`,
    );
    await expect(result).rejects.toMatchObject({ exitCode: 1 });
    expect(store.gets).toBe(0);
  });

  it('refuses an object whose ContentLength is over the cap before reading its body', async () => {
    const store = new StubStore(gzipSync(LINE.repeat(1000)), { listed: 100, contentLength: 2 * MiB });
    const { result } = await replay(store, { maxObjectSize: MiB });
    await expect(result).rejects.toThrow(
      /: 2 MiB \(its ContentLength\), more than 1 MiB, the cap on one raw object/,
    );
    expect(store.gets).toBe(1);
    expect(store.read).toBe(0);
    expect(store.body?.destroyed).toBe(true);
  });

  it('stops a raw object that is a gzip bomb at once, naming the object and the cap', async () => {
    // 1.3 million raw lines in 200 KB (about 340 times): the old replay inflated it whole and ran it as one batch.
    const lines = Buffer.from(LINE.repeat(Math.ceil((64 * MiB) / LINE.length)));
    const store = new StubStore(gzipSync(lines, { level: 9 }));
    const { result, started } = await replay(store, { maxObjectSize: 128 * MiB });
    await expect(result).rejects.toThrow(
      new RegExp(`^s3://b/${KEY.replace(/[.*]/g, '\\$&')}: gzip data inflating more than 250 times its size`),
    );
    expect(performance.now() - started).toBeLessThan(5000);
    expect(store.body?.destroyed).toBe(true);
  });

  it('stops at an object of more records than --max-object-records: an object is run whole', async () => {
    const ok = await replay(new StubStore(gzipSync(LINE.repeat(3))), { maxObjectRecords: 3 });
    expect(await ok.result).toBe(0);
    const over = await replay(new StubStore(gzipSync(LINE.repeat(4))), { maxObjectRecords: 3 });
    await expect(over.result).rejects.toThrow(
      /: more than 3 records, the cap on one raw object; --max-object-records raises it$/,
    );
  });

  it('stops at a line over --max-record-size, and at an object over the cap once decompressed', async () => {
    const long = `${JSON.stringify({ id: '1', approximate_arrival_ms: 1, data: 'x'.repeat(5000) })}\n`;
    const first = await replay(new StubStore(gzipSync(LINE + long)), { maxRecordSize: 4096 });
    await expect(first.result).rejects.toThrow(
      /: line 2: a line is longer than 4 KiB, the cap on one record/,
    );
    const big = `${JSON.stringify({ id: '1', approximate_arrival_ms: 1, data: 'x'.repeat(700 * 1024) })}\n`;
    const second = await replay(new StubStore(gzipSync(big)), {
      maxObjectSize: 512 * 1024,
      maxInflateRatio: 1e6,
    });
    await expect(second.result).rejects.toThrow(
      /: more than 512 KiB once decompressed, the cap on one raw object; --max-object-size raises it$/,
    );
  });
});
