import { processKinesisBatch } from '../../../src/batch/kinesis';
import { DeliveryError } from '../../../src/errors';
import type { QuarantineLine, RawArchiveLine } from '../../../src/sinks/archiveLine';
import { FakeLambdaClock, withRecordCost } from '../../helpers/clock';
import { FAMILIES, kinesisEvent, testRuntime } from '../../helpers/runtime';

const parse = <T>(line: string): T => JSON.parse(line) as T;

describe('processKinesisBatch', () => {
  it.each(FAMILIES)(
    'processes every %s sample with no failures and archives raw and normalized records',
    async (family) => {
      const { runtime, archive } = await testRuntime();
      const event = kinesisEvent(family);
      const res = await processKinesisBatch(event, runtime);
      expect(res.batchItemFailures).toEqual([]);
      expect(archive.lines('raw')).toHaveLength(event.Records.length);
      expect(archive.lines('normalized')).toHaveLength(event.Records.length);
      expect(archive.zone('quarantine')).toHaveLength(0);
    },
  );

  it('quarantines every poison class with its reason and does not return poison as a failure', async () => {
    const { runtime, archive } = await testRuntime();
    const event = kinesisEvent('mixed');
    const res = await processKinesisBatch(event, runtime);
    expect(res.batchItemFailures).toEqual([]);
    const quarantined = archive.lines('quarantine').map((l) => parse<QuarantineLine>(l));
    expect(quarantined.map((q) => q.reason).sort()).toEqual(
      [
        'empty_record',
        'invalid_base64',
        'invalid_json',
        'invalid_utf8',
        'missing_event_type',
        'not_an_object',
        'not_an_object',
        'not_an_object',
      ].sort(),
    );
    for (const q of quarantined) expect(q.detail.length).toBeGreaterThan(0);
    const normalized = archive.lines('normalized');
    // Every record leaves with exactly one outcome: normalized or quarantined.
    expect(normalized.length + quarantined.length).toBe(event.Records.length);
    // The healthy record after the poison ones is processed too.
    const lastSeq = event.Records[event.Records.length - 1]?.kinesis.sequenceNumber;
    expect(archive.lines('raw').map((l) => parse<RawArchiveLine>(l).id)).toContain(lastSeq);
  });

  it('keeps each raw record exactly as received with its envelope', async () => {
    const { runtime, archive } = await testRuntime();
    const event = kinesisEvent('mixed');
    await processKinesisBatch(event, runtime);
    const raw = archive.lines('raw').map((l) => parse<RawArchiveLine>(l));
    expect(raw).toHaveLength(event.Records.length);
    raw.forEach((line, i) => {
      const rec = event.Records[i]?.kinesis;
      expect(line.id).toBe(rec?.sequenceNumber);
      expect(line.partition_key).toBe(rec?.partitionKey);
      expect(line.approximate_arrival_ms).toBe(Math.round((rec?.approximateArrivalTimestamp ?? 0) * 1000));
      const bytes =
        line.data !== undefined ? Buffer.from(line.data, 'utf8').toString('base64') : line.data_base64;
      expect(bytes).toBe(rec?.data);
    });
  });

  it('reports every record for retry when the raw archive is down', async () => {
    const { runtime, archive, alerts } = await testRuntime();
    archive.failZones.add('raw');
    const event = kinesisEvent('email');
    const res = await processKinesisBatch(event, runtime);
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(
      event.Records.map((r) => r.kinesis.sequenceNumber),
    );
    // Nothing is announced for records that were not kept.
    expect(alerts.published).toHaveLength(0);
  });

  const allSeqs = (event: ReturnType<typeof kinesisEvent>) =>
    event.Records.map((r) => r.kinesis.sequenceNumber);

  it('reports every record when one normalized object cannot be written', async () => {
    const { runtime, archive, alerts } = await testRuntime();
    const event = kinesisEvent('email');
    let failedOne = false;
    archive.failKeys = (key) => {
      if (!key.startsWith('normalized/') || failedOne) return false;
      failedOne = true;
      return true;
    };
    const res = await processKinesisBatch(event, runtime);
    expect(failedOne).toBe(true);
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(allSeqs(event));
    expect(alerts.published).toHaveLength(0);
  });

  it('reports every record when the quarantine cannot be written', async () => {
    const { runtime, archive } = await testRuntime();
    archive.failZones.add('quarantine');
    const event = kinesisEvent('mixed');
    const res = await processKinesisBatch(event, runtime);
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(allSeqs(event));
  });

  it('reports every record when the alert sink is down, after archiving them', async () => {
    const { runtime, archive, alerts } = await testRuntime();
    alerts.down = true;
    const event = kinesisEvent('email');
    const res = await processKinesisBatch(event, runtime);
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(allSeqs(event));
    expect(archive.lines('raw')).toHaveLength(event.Records.length);
  });

  it('reports every record when one alert is not accepted', async () => {
    const { runtime, alerts } = await testRuntime();
    alerts.failRules.add('email-complaint');
    const event = kinesisEvent('email');
    const res = await processKinesisBatch(event, runtime);
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(allSeqs(event));
    expect(alerts.published.map((a) => a.rule)).not.toContain('email-complaint');
  });

  it('fails the invocation, acknowledging nothing, when a write fails with an error that is not retryable', async () => {
    // Not an outage but a bug (an adapter that throws a TypeError): handing the batch back quietly would retry
    // it forever unseen; failing the invocation retries it too, and shows in the function's errors.
    const { runtime, alerts } = await testRuntime();
    const bug = new TypeError("Cannot read properties of undefined (reading 'key')");
    const archive = { put: async () => Promise.reject(bug) };
    const run = processKinesisBatch(kinesisEvent('email'), { ...runtime, sinks: { archive, alerts } });
    await expect(run).rejects.toBeInstanceOf(DeliveryError);
    await expect(run).rejects.toMatchObject({ retryable: false, errors: expect.arrayContaining([bug]) });
    expect(alerts.published).toHaveLength(0);
  });

  it('hands the batch back without failing the invocation when every failed write is retryable', async () => {
    const { runtime, archive } = await testRuntime();
    archive.failZones.add('normalized');
    const errors: Array<Record<string, unknown> | undefined> = [];
    const event = kinesisEvent('email');
    const res = await processKinesisBatch(event, {
      ...runtime,
      logger: { ...runtime.logger, error: (_m, fields) => errors.push(fields) },
    });
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(allSeqs(event));
    expect(errors).toEqual([expect.objectContaining({ retryable: true })]);
  });

  describe('near the deadline', () => {
    /** Sequence numbers of the archived raw lines. */
    const rawIds = (archive: { lines(zone: 'raw'): string[] }) =>
      archive.lines('raw').map((l) => parse<RawArchiveLine>(l).id);

    it('stops before a record that could leave less than two margins, archives the prefix, returns the tail', async () => {
      // 10 records costing 1 s each, 10 s left, margin 1 s: after 7 records 3 s are left, and one more record
      // would leave 2 s, two margins: the loop stops there.
      const test = await testRuntime({ DEADLINE_MARGIN_MS: '1000' });
      const clock = new FakeLambdaClock(10_000);
      const runtime = withRecordCost(test.runtime, clock, 1000);
      const event = kinesisEvent('sms');
      const seqs = allSeqs(event);
      expect(seqs).toHaveLength(10);
      const res = await processKinesisBatch(event, runtime, clock.remainingMs);
      expect(clock.nowMs).toBe(7000);
      expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(seqs.slice(7));
      expect(rawIds(test.archive)).toEqual(seqs.slice(0, 7));
      expect(test.archive.lines('normalized')).toHaveLength(7);
      // The prefix is a batch of its own: its objects are named for its first and last records.
      for (const key of test.archive.objects.keys()) {
        expect(key).toMatch(new RegExp(`/shardId-000000000006_${seqs[0]}_${seqs[6]}\\.jsonl\\.gz$`));
      }
    });

    it.each([
      [1000, 10],
      [1500, 7],
      [3000, 3],
      [7000, 1],
    ])(
      'with records costing %i ms each, processes %i of them before handing the rest back',
      async (cost, n) => {
        const test = await testRuntime({ DEADLINE_MARGIN_MS: '500' });
        const clock = new FakeLambdaClock(12_000);
        const event = kinesisEvent('sms');
        const res = await processKinesisBatch(
          event,
          withRecordCost(test.runtime, clock, cost),
          clock.remainingMs,
        );
        // 12 s, margin 0.5 s: stop before the first record that could leave 1 s (two margins) or less.
        expect(rawIds(test.archive)).toEqual(allSeqs(event).slice(0, n));
        expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(allSeqs(event).slice(n));
      },
    );

    it('archives the tail under its own names on the next attempt, so no record is archived twice', async () => {
      const test = await testRuntime({ DEADLINE_MARGIN_MS: '1000' });
      const clock = new FakeLambdaClock(10_000);
      const event = kinesisEvent('sms');
      const first = await processKinesisBatch(
        event,
        withRecordCost(test.runtime, clock, 1000),
        clock.remainingMs,
      );
      const retry = kinesisEvent('sms');
      const from = event.Records.findIndex(
        (r) => r.kinesis.sequenceNumber === first.batchItemFailures[0]?.itemIdentifier,
      );
      retry.Records = retry.Records.slice(from);
      expect(await processKinesisBatch(retry, test.runtime, () => 60_000)).toEqual({ batchItemFailures: [] });
      const ids = rawIds(test.archive);
      expect(ids).toHaveLength(event.Records.length);
      expect(new Set(ids).size).toBe(ids.length);
      expect(test.archive.lines('normalized')).toHaveLength(event.Records.length);
    });

    it('processes a whole batch when the function’s timeout is at or below DEADLINE_MARGIN_MS', async () => {
      // Lambda's default timeout (3 s) equals the default margin: a fixed margin left no time at all.
      const { runtime, archive } = await testRuntime();
      const event = kinesisEvent('email');
      for (const left of [3000, 2500]) {
        const end = Date.now() + left;
        const res = await processKinesisBatch(event, runtime, () => end - Date.now());
        expect(res.batchItemFailures).toEqual([]);
      }
      expect(archive.lines('raw')).toHaveLength(event.Records.length);
    });

    it('returns every record unwritten when one record takes all the time there was', async () => {
      const test = await testRuntime({ DEADLINE_MARGIN_MS: '500' });
      const clock = new FakeLambdaClock(12_000);
      const event = kinesisEvent('sms');
      const res = await processKinesisBatch(
        event,
        withRecordCost(test.runtime, clock, 60_000),
        clock.remainingMs,
      );
      expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(allSeqs(event));
      expect(test.archive.calls).toBe(0);
    });

    it('returns every record unwritten when the invocation starts with no time left', async () => {
      const { runtime, archive, alerts } = await testRuntime();
      const event = kinesisEvent('email');
      const res = await processKinesisBatch(event, runtime, () => 0);
      expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(allSeqs(event));
      expect(archive.calls).toBe(0);
      expect(alerts.published).toHaveLength(0);
    });

    it('aborts a write that would outlive the deadline one margin before it, and still answers', async () => {
      const { runtime, archive } = await testRuntime({ DEADLINE_MARGIN_MS: '300' });
      archive.hang = true;
      const event = kinesisEvent('sms');
      const start = performance.now();
      const end = Date.now() + 1500;
      const res = await processKinesisBatch(event, runtime, () => end - Date.now());
      const answeredAfter = performance.now() - start;
      // Every write was aborted when 300 ms were left (≈ 1,200 ms in): not at once, and before the deadline
      // (the upper bounds leave room for a late timer on a busy machine, not for a missed abort).
      expect(archive.abortedAt.length).toBeGreaterThan(0);
      for (const at of archive.abortedAt) {
        expect(at - start).toBeGreaterThanOrEqual(1140);
        expect(at - start).toBeLessThan(1450);
      }
      expect(answeredAfter).toBeLessThan(1500);
      expect(archive.writeOptions.every((o) => o?.signal?.aborted === true)).toBe(true);
      expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(allSeqs(event));
    });
  });

  it('produces the same objects and alert ids on a retry after a failure as a clean run', async () => {
    const clean = await testRuntime();
    await processKinesisBatch(kinesisEvent('mixed'), clean.runtime);
    await processKinesisBatch(kinesisEvent('email'), clean.runtime);

    const faulty = await testRuntime();
    faulty.archive.failZones.add('normalized');
    faulty.alerts.down = true;
    const failed = await processKinesisBatch(kinesisEvent('email'), faulty.runtime);
    expect(failed.batchItemFailures.length).toBeGreaterThan(0);
    faulty.archive.failZones.clear();
    faulty.alerts.down = false;
    await processKinesisBatch(kinesisEvent('mixed'), faulty.runtime);
    const retried = await processKinesisBatch(kinesisEvent('email'), faulty.runtime);
    expect(retried.batchItemFailures).toEqual([]);

    expect([...faulty.archive.objects.keys()].sort()).toEqual([...clean.archive.objects.keys()].sort());
    for (const [key, object] of clean.archive.objects) {
      expect(faulty.archive.objects.get(key)?.lines).toEqual(object.lines);
    }
    expect([...faulty.alerts.alerts.keys()].sort()).toEqual([...clean.alerts.alerts.keys()].sort());
  });

  it('sends one aggregated alert per rule per batch', async () => {
    const { runtime, alerts } = await testRuntime();
    await processKinesisBatch(kinesisEvent('sms'), runtime);
    const rules = alerts.published.map((a) => a.rule);
    expect(new Set(rules).size).toBe(rules.length);
    expect(rules).toEqual(expect.arrayContaining(['sms-blocked', 'sms-spam', 'sms-invalid', 'sms-opt-out']));
  });

  it('leaves records matched by a drop rule out of the normalized archive', async () => {
    const { runtime, archive } = await testRuntime({ RULES_FILE: 'rules.example.yaml' });
    const event = kinesisEvent('app');
    const res = await processKinesisBatch(event, runtime);
    expect(res.batchItemFailures).toEqual([]);
    const normalized = archive.lines('normalized').map((l) => JSON.parse(l));
    expect(normalized.some((r) => String(r.event_type).startsWith('_test.'))).toBe(false);
    expect(normalized).toHaveLength(event.Records.length - 1);
    expect(archive.lines('raw')).toHaveLength(event.Records.length);
  });

  it('writes JSON Lines with exactly one newline per record', async () => {
    const { runtime, archive } = await testRuntime();
    await processKinesisBatch(kinesisEvent('ses'), runtime);
    for (const line of archive.lines('normalized')) {
      expect(line.endsWith('\n')).toBe(true);
      expect(line.slice(0, -1)).not.toContain('\n');
    }
  });

  it('returns no failures and touches no sink for an empty batch', async () => {
    const { runtime, archive } = await testRuntime();
    expect(await processKinesisBatch({ Records: [] }, runtime)).toEqual({ batchItemFailures: [] });
    expect(archive.calls).toBe(0);
  });
});
