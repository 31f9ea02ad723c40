import { processFirehoseBatch } from '../../src/batch/firehose';
import { processKinesisBatch } from '../../src/batch/kinesis';
import { type BatchReport, noTelemetry } from '../../src/observability/telemetry';
import { runPipeline } from '../../src/pipeline';
import type { QuarantineLine } from '../../src/sinks/archiveLine';
import { firehoseEvent, kinesisEvent, rawEvents, testRuntime } from '../helpers/runtime';

// A bug in the SES normalizer, as a bad deploy would ship it: a TypeError, not a PoisonRecordError. Source
// detection and the envelopes reach it through the SES adapter.
jest.mock('../../src/sources/ses', () => {
  const actual = jest.requireActual('../../src/sources/ses');
  const normalizeSes = () => {
    throw new TypeError("Cannot read properties of undefined (reading 'bounceType')");
  };
  return { ...actual, normalizeSes, SES: { ...actual.SES, normalize: normalizeSes } };
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('a record the processor fails on (a bug, not bad input)', () => {
  it('is quarantined as internal_error with the error, not as poison', async () => {
    const { runtime } = await testRuntime();
    const [ses, sms] = [rawEvents('ses')[0], rawEvents('sms')[0]];
    const processed = runPipeline(
      [ses, sms].map((e, i) => ({
        id: String(i),
        data: b64(JSON.stringify(e)),
        ingestMs: 1_764_000_000_000,
      })),
      runtime.settings,
    );
    expect(processed.map((p) => p.outcome.kind)).toEqual(['internal_error', 'ok']);
    expect(processed[0]?.outcome).toEqual({
      kind: 'internal_error',
      reason: 'internal_error',
      detail: "internal error: TypeError: Cannot read properties of undefined (reading 'bounceType')",
    });
    // The quarantine keeps the record as received, to be replayed once the bug is fixed.
    expect(processed[0]?.raw).toBe(JSON.stringify(ses));
  });

  it('is counted apart from poison, and does not stall the Kinesis shard', async () => {
    const { runtime, archive } = await testRuntime();
    const reports: BatchReport[] = [];
    const event = kinesisEvent('mixed');
    const res = await processKinesisBatch(event, {
      ...runtime,
      telemetry: { ...noTelemetry, batch: (r) => reports.push(r) },
    });
    expect(res).toEqual({ batchItemFailures: [] });
    const summary = reports[0]?.summary;
    expect(summary?.internalErrors).toBeGreaterThan(0);
    expect(summary?.poison).toBe(8);
    expect(summary?.poisonByReason.internal_error).toBeUndefined();
    const reasons = archive.lines('quarantine').map((l) => (JSON.parse(l) as QuarantineLine).reason);
    expect(reasons.filter((r) => r === 'internal_error')).toHaveLength(summary?.internalErrors ?? -1);
    expect(reasons).toHaveLength(8 + (summary?.internalErrors ?? 0));
  });

  it('comes back from Firehose as ProcessingFailed with its original data', async () => {
    const { runtime } = await testRuntime();
    const event = firehoseEvent('ses');
    const res = await processFirehoseBatch(event, runtime);
    expect(res.records.map((r) => r.result)).toEqual(event.records.map(() => 'ProcessingFailed'));
    expect(res.records.map((r) => r.data)).toEqual(event.records.map((r) => r.data));
  });
});
