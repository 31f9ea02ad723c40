import type { FirehoseTransformationResultRecord } from 'aws-lambda';
import { processFirehoseBatch, toFirehoseRecords } from '../../../src/batch/firehose';
import { DeadlineError, SinkError } from '../../../src/errors';
import { toFirehoseEvent } from '../../../src/fixtures/wrap';
import { runPipeline } from '../../../src/pipeline';
import { FakeLambdaClock, withRecordCost } from '../../helpers/clock';
import { FAMILIES, firehoseEvent, testRuntime } from '../../helpers/runtime';

const decode = (r: FirehoseTransformationResultRecord) =>
  Buffer.from(r.data ?? '', 'base64').toString('utf8');

describe('processFirehoseBatch', () => {
  it.each([...FAMILIES, 'mixed'])('returns every %s recordId exactly once, in order', async (name) => {
    const { runtime } = await testRuntime();
    const event = firehoseEvent(name);
    const res = await processFirehoseBatch(event, runtime);
    expect(res.records.map((r) => r.recordId)).toEqual(event.records.map((r) => r.recordId));
  });

  it('returns each normalized record as one JSON line ending in exactly one newline', async () => {
    const { runtime } = await testRuntime();
    const res = await processFirehoseBatch(firehoseEvent('email'), runtime);
    for (const r of res.records) {
      expect(r.result).toBe('Ok');
      const text = decode(r);
      expect(text.endsWith('\n')).toBe(true);
      expect(text.endsWith('\n\n')).toBe(false);
      expect(text.slice(0, -1)).not.toContain('\n');
      expect(JSON.parse(text).schema_version).toBe(1);
    }
  });

  it('sets partition keys source, family, dt and hour from the normalized record', async () => {
    const { runtime } = await testRuntime();
    const res = await processFirehoseBatch(firehoseEvent('ses'), runtime);
    for (const r of res.records) {
      const rec = JSON.parse(decode(r));
      expect(r.metadata?.partitionKeys).toEqual({
        source: 'ses',
        family: rec.family,
        dt: rec.dt,
        hour: rec.hour,
      });
      expect(rec.dt).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(rec.hour).toMatch(/^\d{2}$/);
    }
  });

  it('returns poison as ProcessingFailed with the original data and quarantines it', async () => {
    const { runtime, archive } = await testRuntime();
    const event = firehoseEvent('mixed');
    const res = await processFirehoseBatch(event, runtime);
    const failed = res.records.filter((r) => r.result === 'ProcessingFailed');
    expect(failed).toHaveLength(8);
    for (const f of failed) {
      expect(f.data).toBe(event.records.find((r) => r.recordId === f.recordId)?.data);
    }
    expect(archive.lines('quarantine')).toHaveLength(8);
    // The Firehose path leaves normalized records to Firehose, and raw ones to its source-record backup.
    expect(archive.zone('normalized')).toHaveLength(0);
    expect(archive.zone('raw')).toHaveLength(0);
  });

  it('archives the raw batch too when FIREHOSE_ARCHIVE_RAW is on', async () => {
    const { runtime, archive } = await testRuntime({ FIREHOSE_ARCHIVE_RAW: 'true' });
    const event = firehoseEvent('sms');
    await processFirehoseBatch(event, runtime);
    expect(archive.lines('raw')).toHaveLength(event.records.length);
  });

  it('returns Dropped for records a drop rule matches', async () => {
    const { runtime } = await testRuntime({ RULES_FILE: 'rules.example.yaml' });
    const event = firehoseEvent('app');
    const res = await processFirehoseBatch(event, runtime);
    const dropped = res.records.filter((r) => r.result === 'Dropped');
    expect(dropped).toHaveLength(1);
    const original = event.records.find((r) => r.recordId === dropped[0]?.recordId);
    expect(Buffer.from(original?.data ?? '', 'base64').toString()).toContain('"_test.');
  });

  it('emits alerts from the Firehose path', async () => {
    const { runtime, alerts } = await testRuntime();
    await processFirehoseBatch(firehoseEvent('eum'), runtime);
    expect(alerts.published.map((a) => a.rule).sort()).toEqual([
      'eum-text-blocked',
      'eum-text-spam',
      'eum-voice-failed',
    ]);
  });

  it('fails the invocation when the quarantine cannot be written, so that Firehose retries it', async () => {
    const { runtime, archive } = await testRuntime();
    archive.failZones.add('quarantine');
    await expect(processFirehoseBatch(firehoseEvent('mixed'), runtime)).rejects.toBeInstanceOf(SinkError);
  });

  it('fails the invocation when an alert is not accepted', async () => {
    const { runtime, alerts } = await testRuntime();
    alerts.failRules.add('ses-complaint');
    await expect(processFirehoseBatch(firehoseEvent('ses'), runtime)).rejects.toThrow(/sink write/);
  });

  describe('near the deadline', () => {
    it('fails the invocation between records, before one more could leave less than two margins', async () => {
      // 25 records of 1 s, 20 s left, margin 1 s: after 17 records 3 s are left; one more would leave 2 s.
      const test = await testRuntime({ DEADLINE_MARGIN_MS: '1000' });
      const clock = new FakeLambdaClock(20_000);
      const event = firehoseEvent('eum');
      expect(event.records).toHaveLength(25);
      const run = processFirehoseBatch(event, withRecordCost(test.runtime, clock, 1000), clock.remainingMs);
      await expect(run).rejects.toBeInstanceOf(DeadlineError);
      await expect(run).rejects.toThrow(/^17 of 25 records processed/);
      expect(clock.nowMs).toBe(17_000);
      // Nothing is written: the retry processes the whole batch again.
      expect(test.archive.calls).toBe(0);
      expect(test.alerts.published).toHaveLength(0);
    });

    it('answers in full when the records fit the time', async () => {
      const test = await testRuntime({ DEADLINE_MARGIN_MS: '1000' });
      const clock = new FakeLambdaClock(20_000);
      const event = firehoseEvent('sms');
      const res = await processFirehoseBatch(
        event,
        withRecordCost(test.runtime, clock, 1000),
        clock.remainingMs,
      );
      expect(res.records).toHaveLength(event.records.length);
    });

    it('processes a whole batch when the function’s timeout is at or below DEADLINE_MARGIN_MS', async () => {
      const { runtime } = await testRuntime();
      const event = firehoseEvent('mixed');
      const end = Date.now() + 3000;
      const res = await processFirehoseBatch(event, runtime, () => end - Date.now());
      expect(res.records.map((r) => r.recordId)).toEqual(event.records.map((r) => r.recordId));
    });
  });

  it('returns an empty response for an empty invocation', async () => {
    const { runtime } = await testRuntime();
    const event = firehoseEvent('app');
    event.records = [];
    expect(await processFirehoseBatch(event, runtime)).toEqual({ records: [] });
  });
});

describe('toFirehoseRecords', () => {
  /** Tiny events grow when normalized (the schema adds ids and times), the case the size guard exists for. */
  async function tinyBatch(n: number) {
    const { runtime } = await testRuntime();
    const records = Array.from({ length: n }, (_, i) => ({
      data: Buffer.from(JSON.stringify({ event_type: `e${i}`, application: { app_id: 'a' } })),
      arrivalMs: 1763650000000 + i,
    }));
    const event = toFirehoseEvent(records);
    return runPipeline(
      event.records.map((r) => ({ id: r.recordId, data: r.data, ingestMs: r.approximateArrivalTimestamp })),
      runtime.settings,
    );
  }

  it('keeps the response within the limit by failing records from the end, each recordId still once', async () => {
    const processed = await tinyBatch(200);
    const unlimited = toFirehoseRecords(processed, 6_000_000);
    const full = JSON.stringify({ records: unlimited }).length;
    const limit = Math.floor(full * 0.8);
    const limited = toFirehoseRecords(processed, limit);
    expect(JSON.stringify({ records: limited }).length).toBeLessThanOrEqual(limit);
    expect(limited.map((r) => r.recordId)).toEqual(processed.map((p) => p.input.id));
    const failedAt = limited.findIndex((r) => r.result === 'ProcessingFailed');
    expect(failedAt).toBeGreaterThan(0);
    expect(limited.slice(failedAt).every((r) => r.result === 'ProcessingFailed')).toBe(true);
    expect(limited.slice(0, failedAt).every((r) => r.result === 'Ok')).toBe(true);
  });

  it('throws rather than return a response over the limit', async () => {
    const processed = await tinyBatch(50);
    expect(() => toFirehoseRecords(processed, 2000)).toThrow(SinkError);
  });

  it('converts nothing when the response fits the limit', async () => {
    const { runtime } = await testRuntime();
    const event = firehoseEvent('mixed');
    const res = await processFirehoseBatch(event, runtime);
    const real = Buffer.byteLength(JSON.stringify(res));
    const processed = runPipeline(
      event.records.map((r) => ({ id: r.recordId, data: r.data, ingestMs: r.approximateArrivalTimestamp })),
      runtime.settings,
    );
    const atLimit = toFirehoseRecords(processed, real + 5000);
    expect(atLimit.filter((r) => r.result === 'ProcessingFailed')).toHaveLength(8);
  });
});
