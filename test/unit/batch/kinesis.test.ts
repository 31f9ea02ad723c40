import { processKinesisBatch } from '../../../src/batch/kinesis';
import type { QuarantineLine, RawArchiveLine } from '../../../src/sinks/archiveObjects';
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

  it('reports every record without writing anything when the deadline is too close', async () => {
    const { runtime, archive, alerts } = await testRuntime({ DEADLINE_MARGIN_MS: '3000' });
    const event = kinesisEvent('email');
    const res = await processKinesisBatch(event, runtime, () => 2500);
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(allSeqs(event));
    expect(archive.calls).toBe(0);
    expect(alerts.published).toHaveLength(0);
  });

  it('aborts writes that would outlive the deadline', async () => {
    const { runtime, archive } = await testRuntime({ DEADLINE_MARGIN_MS: '1000' });
    await processKinesisBatch(kinesisEvent('sms'), runtime, () => 60_000);
    const signals = archive.writeOptions.map((o) => o?.signal);
    expect(signals.length).toBeGreaterThan(0);
    expect(signals.every((s) => s instanceof AbortSignal && !s.aborted)).toBe(true);
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
