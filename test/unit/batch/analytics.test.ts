import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalyticsRow } from '../../../src/analytics/analyticsRow';
import { processFirehoseBatch } from '../../../src/batch/firehose';
import { processKinesisBatch } from '../../../src/batch/kinesis';
import { type BatchReport, noTelemetry } from '../../../src/observability/telemetry';
import type { NormalizedRecord } from '../../../src/schema';
import type { QuarantineLine } from '../../../src/sinks/archiveLine';
import { FakeLambdaClock, withRecordCost } from '../../helpers/clock';
import type { MemoryArchiveSink } from '../../helpers/memorySinks';
import { firehoseEvent, kinesisEvent, testRuntime } from '../../helpers/runtime';
import { tempDir } from '../cli/cliIO';

/**
 * The analytics rows each batch writes (docs/analytics.md), as the two handlers deliver them: under the batch's
 * own name, with its other objects, for the records it delivers.
 */

const rowsIn = (archive: MemoryArchiveSink): AnalyticsRow[] =>
  archive.lines('analytics').map((l) => JSON.parse(l) as AnalyticsRow);

const total = (rows: readonly AnalyticsRow[], kind: AnalyticsRow['kind']) =>
  rows.filter((r) => r.kind === kind).reduce((n, r) => n + r.count, 0);

describe('the Kinesis path', () => {
  it('writes the rows of every record, quarantine included, under the batch name of its raw object', async () => {
    const { runtime, archive } = await testRuntime();
    const event = kinesisEvent('mixed');
    await processKinesisBatch(event, runtime);
    const rows = rowsIn(archive);
    expect(total(rows, 'messages')).toBe(archive.lines('normalized').length);
    expect(total(rows, 'quarantine')).toBe(archive.lines('quarantine').length);
    expect(total(rows, 'messages') + total(rows, 'quarantine')).toBe(event.Records.length);
    const [raw] = archive.zone('raw');
    const name = raw?.key.split('/').pop();
    for (const o of archive.zone('analytics')) {
      expect(o.key).toMatch(
        /^analytics\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/kinesis\/[^/]+\/[^/]+\.jsonl\.gz$/,
      );
      expect(o.key.split('/').pop()).toBe(name);
      // Each object holds the rows of its own hour.
      const [, dt, hour] = /dt=([^/]+)\/hour=(\d{2})/.exec(o.key) as unknown as string[];
      for (const l of o.lines) expect((JSON.parse(l) as AnalyticsRow).hour).toBe(`${dt}T${hour}:00:00.000Z`);
    }
    // Quarantine rows are in the batch's hour: the raw object's.
    const quarantineKey = archive.zone('quarantine')[0]?.key.replace(/^quarantine\//, 'analytics/');
    expect(
      archive.objects.get(quarantineKey as string)?.lines.some((l) => l.includes('"kind":"quarantine"')),
    ).toBe(true);
  });

  it('rewrites the same objects, byte for byte, when the batch is retried', async () => {
    const { runtime, archive } = await testRuntime();
    await processKinesisBatch(kinesisEvent('mixed'), runtime);
    const first = new Map([...archive.objects].filter(([, o]) => o.zone === 'analytics'));
    archive.objects.clear();
    await processKinesisBatch(kinesisEvent('mixed'), runtime);
    const again = new Map([...archive.objects].filter(([, o]) => o.zone === 'analytics'));
    expect(again).toEqual(first);
  });

  it('counts a batch cut short near the deadline for what it processed; the tail counts with its retry', async () => {
    const test = await testRuntime({ DEADLINE_MARGIN_MS: '1000' });
    const clock = new FakeLambdaClock(10_000);
    const event = kinesisEvent('sms');
    const first = await processKinesisBatch(
      event,
      withRecordCost(test.runtime, clock, 1000),
      clock.remainingMs,
    );
    expect(first.batchItemFailures).toHaveLength(3);
    expect(total(rowsIn(test.archive), 'messages')).toBe(7);
    const retry = kinesisEvent('sms');
    retry.Records = retry.Records.slice(7);
    await processKinesisBatch(retry, test.runtime, () => 60_000);
    expect(total(rowsIn(test.archive), 'messages')).toBe(event.Records.length);
  });

  it('fails the batch when its analytics object is not stored: all or nothing', async () => {
    const { runtime, archive } = await testRuntime();
    archive.failZones.add('analytics');
    const event = kinesisEvent('email');
    const res = await processKinesisBatch(event, runtime);
    expect(res.batchItemFailures).toHaveLength(event.Records.length);
  });

  it('counts the records a drop rule removes: they happened', async () => {
    const dir = tempDir('analytics-drop');
    const rules = join(dir, 'rules.yaml');
    writeFileSync(rules, 'version: 1\nrules:\n  - { name: no-app, match: { family: app }, action: drop }\n');
    const { runtime, archive } = await testRuntime({ RULES_FILE: rules });
    const event = kinesisEvent('app');
    await processKinesisBatch(event, runtime);
    const kept = archive.lines('normalized').length;
    expect(kept).toBeLessThan(event.Records.length);
    expect(total(rowsIn(archive), 'messages')).toBe(event.Records.length);
    const app = rowsIn(archive).filter((r) => r.kind === 'messages' && r.family === 'app');
    expect(app.reduce((n, r) => n + r.count, 0)).toBe(event.Records.length - kept);
  });

  it('reads the campaign from the tag the rules file names', async () => {
    const { runtime, archive } = await testRuntime();
    await processKinesisBatch(kinesisEvent('ses'), {
      ...runtime,
      analytics: { campaignTag: 'tenant', maxRows: 2000 },
    });
    const campaigns = new Set(rowsIn(archive).map((r) => (r.kind === 'messages' ? r.campaign : undefined)));
    expect(campaigns).toContain('eu-store');
    expect(campaigns).not.toContain('shipping-notice');
  });

  it('bounds the rows at ANALYTICS_MAX_ROWS and reports the records merged', async () => {
    const { runtime, archive } = await testRuntime({ ANALYTICS_MAX_ROWS: '10' });
    const reports: BatchReport[] = [];
    const logs: Array<Record<string, unknown> | undefined> = [];
    const event = kinesisEvent('mixed');
    await processKinesisBatch(event, {
      ...runtime,
      telemetry: { ...noTelemetry, batch: (r) => reports.push(r) },
      logger: { ...runtime.logger, info: (_m, f) => logs.push(f) },
    });
    const rows = rowsIn(archive);
    const merged = rows.filter((r) => r.kind === 'messages' && r.other === true);
    expect(merged.length).toBeGreaterThan(0);
    expect(reports[0]?.analytics).toEqual({
      rows: rows.length,
      merged: merged.reduce((n, r) => n + r.count, 0),
    });
    expect(logs.at(-1)).toMatchObject({
      analyticsRows: rows.length,
      analyticsRowsMerged: expect.any(Number),
    });
    // Nothing lost.
    expect(total(rows, 'messages') + total(rows, 'quarantine')).toBe(event.Records.length);
  });
});

describe('the Firehose path', () => {
  it('writes the rows of the records returned Ok or Dropped, and of the quarantine, per invocation', async () => {
    const { runtime, archive } = await testRuntime();
    const event = firehoseEvent('mixed');
    const res = await processFirehoseBatch(event, runtime);
    const rows = rowsIn(archive);
    const by = (result: string) => res.records.filter((r) => r.result === result).length;
    expect(total(rows, 'messages')).toBe(by('Ok') + by('Dropped'));
    expect(total(rows, 'quarantine')).toBe(archive.lines('quarantine').length);
    for (const o of archive.zone('analytics')) {
      expect(o.key).toMatch(/^analytics\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/firehose\//);
    }
    // A retried invocation (the same record ids) rewrites the same keys.
    const keys = [...archive.objects.keys()].filter((k) => k.startsWith('analytics/')).sort();
    await processFirehoseBatch(firehoseEvent('mixed'), runtime);
    expect([...archive.objects.keys()].filter((k) => k.startsWith('analytics/')).sort()).toEqual(keys);
  });

  it('leaves out the records failed for size: Firehose never delivers them', async () => {
    const { runtime, archive } = await testRuntime({ FIREHOSE_RESPONSE_LIMIT_BYTES: '14000' });
    const event = firehoseEvent('sms');
    const res = await processFirehoseBatch(event, runtime);
    const failed = res.records.filter((r) => r.result === 'ProcessingFailed');
    const quarantined = archive.lines('quarantine').map((l) => JSON.parse(l) as QuarantineLine);
    expect(failed.length - quarantined.length).toBeGreaterThan(0);
    const ok = res.records.filter((r) => r.result === 'Ok');
    const rows = rowsIn(archive);
    expect(total(rows, 'messages')).toBe(ok.length);
    // Exactly the records returned Ok: their outcomes, one by one.
    const outcomes = (list: Array<{ outcome: string }>) => {
      const out: Record<string, number> = {};
      for (const x of list) out[x.outcome] = (out[x.outcome] ?? 0) + 1;
      return out;
    };
    const fromRows: Record<string, number> = {};
    for (const r of rows)
      if (r.kind === 'messages') fromRows[r.outcome] = (fromRows[r.outcome] ?? 0) + r.count;
    expect(fromRows).toEqual(
      outcomes(
        ok.map((r) => JSON.parse(Buffer.from(r.data ?? '', 'base64').toString('utf8')) as NormalizedRecord),
      ),
    );
  });
});
