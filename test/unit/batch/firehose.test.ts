import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FirehoseTransformationResultRecord } from 'aws-lambda';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { processFirehoseBatch } from '../../../src/batch/firehose';
import { jsonStringBytes, toFirehoseRecords } from '../../../src/batch/firehoseResponse';
import { DeadlineError, DeliveryError, FirehoseResponseSizeError, SinkError } from '../../../src/errors';
import { arrivalOf, toFirehoseEvent } from '../../../src/fixtures/wrap';
import { type BatchReport, type BatchSummary, noTelemetry } from '../../../src/observability/telemetry';
import { type ProcessedRecord, runPipeline } from '../../../src/pipeline';
import type { RollupRow } from '../../../src/rates/rollups';
import { FakeLambdaClock, withRecordCost } from '../../helpers/clock';
import { rollupRecords, sumRollups } from '../../helpers/rollups';
import { FAMILIES, firehoseEvent, rawEvents, testRuntime } from '../../helpers/runtime';

const decode = (r: FirehoseTransformationResultRecord) =>
  Buffer.from(r.data ?? '', 'base64').toString('utf8');

describe('processFirehoseBatch rollups', () => {
  const rollupRows = (archive: { lines(zone: 'rollups'): string[] }) =>
    archive.lines('rollups').map((l) => JSON.parse(l) as RollupRow);

  it('writes one rollup object per invocation (and hour), counted per hour of arrival, and no rate alert', async () => {
    const { runtime, archive, alerts } = await testRuntime();
    const event = firehoseEvent('email');
    await processFirehoseBatch(event, runtime);
    const objects = archive.zone('rollups');
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) expect(o.key).toMatch(/^rollups\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/firehose\//);
    const records = runPipeline(
      event.records.map((r) => ({ id: r.recordId, data: r.data, ingestMs: r.approximateArrivalTimestamp })),
      runtime.settings,
      { keepRecords: true },
    ).flatMap((p) => (p.outcome.kind === 'ok' ? [p.outcome.record] : []));
    expect(rollupRows(archive)).toEqual(rollupRecords(records, runtime.rateRules));
    expect([...alerts.alerts.values()].filter((a) => a.kind === 'rate')).toEqual([]);
    // A retry writes the same objects under the same keys.
    const keys = [...archive.objects.keys()].sort();
    await processFirehoseBatch(firehoseEvent('email'), runtime);
    expect([...archive.objects.keys()].sort()).toEqual(keys);
  });

  it('fails the invocation when the rollups cannot be written, so that Firehose retries it', async () => {
    const { runtime, archive } = await testRuntime();
    archive.failZones.add('rollups');
    await expect(processFirehoseBatch(firehoseEvent('email'), runtime)).rejects.toBeInstanceOf(DeliveryError);
  });

  it('gives rollups that sum to those of the whole however the records are split into invocations', async () => {
    const { runtime } = await testRuntime();
    // Firehose record ids are unique in a delivery stream; the fixtures' restart at 0 for each family.
    const all = firehoseEvent('email')
      .records.concat(firehoseEvent('ses').records, firehoseEvent('sms').records)
      .map((r, i) => ({ ...r, recordId: `record-${String(i).padStart(4, '0')}` }));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(all.length), { maxLength: 5 }), async (cuts) => {
        const whole = await testRuntime();
        await processFirehoseBatch(toEvent(all), whole.runtime);
        const split = await testRuntime();
        const at = [...new Set([0, ...cuts, all.length])].sort((a, b) => a - b);
        for (let i = 0; i + 1 < at.length; i++) {
          const piece = all.slice(at[i], at[i + 1]);
          if (piece.length > 0) await processFirehoseBatch(toEvent(piece), split.runtime);
        }
        expect(sorted(sumRollups(rollupRows(split.archive)))).toEqual(
          sorted(sumRollups(rollupRows(whole.archive))),
        );
      }),
      { numRuns: 20 },
    );
    function toEvent(records: typeof all) {
      return { ...firehoseEvent('email'), records };
    }
    void runtime;
  });
});

const sorted = (rows: RollupRow[]) => rows.map((r) => JSON.stringify(r)).sort();

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
      'eum-text-invalid',
      'eum-text-spam',
      'eum-voice-failed',
    ]);
  });

  it('fails the invocation when the quarantine cannot be written, so that Firehose retries it', async () => {
    const { runtime, archive } = await testRuntime();
    archive.failZones.add('quarantine');
    const run = processFirehoseBatch(firehoseEvent('mixed'), runtime);
    await expect(run).rejects.toBeInstanceOf(DeliveryError);
    await expect(run).rejects.toMatchObject({ retryable: true, errors: [expect.any(SinkError)] });
  });

  it('fails the invocation when an alert is not accepted', async () => {
    const { runtime, alerts } = await testRuntime();
    alerts.failRules.add('ses-complaint');
    const run = processFirehoseBatch(firehoseEvent('ses'), runtime);
    await expect(run).rejects.toBeInstanceOf(DeliveryError);
    await expect(run).rejects.toThrow(/^1 sink write\(s\) failed for firehose:/);
    await expect(run).rejects.toMatchObject({ errors: [expect.objectContaining({ sink: 'alerts' })] });
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

    it('fails the invocation at once, processing and writing nothing, when it starts too late', async () => {
      const test = await testRuntime();
      const clock = new FakeLambdaClock(400);
      const run = processFirehoseBatch(
        firehoseEvent('sms'),
        withRecordCost(test.runtime, clock, 1),
        clock.remainingMs,
      );
      await expect(run).rejects.toThrow(/started with 400 ms left, no more than its 500 ms deadline margin/);
      expect(clock.nowMs).toBe(0);
      expect(test.archive.calls).toBe(0);
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
      { encoding: 'base64' },
    );
  }
  const jsonBytes = (records: FirehoseTransformationResultRecord[]) =>
    Buffer.byteLength(JSON.stringify({ records }));

  it('keeps the response within the limit by failing records from the end, each recordId still once', async () => {
    const processed = await tinyBatch(200);
    const full = jsonBytes(toFirehoseRecords(processed, 6_000_000).records);
    const limit = Math.floor(full * 0.8);
    const limited = toFirehoseRecords(processed, limit);
    expect(jsonBytes(limited.records)).toBe(limited.bytes);
    expect(limited.bytes).toBeLessThanOrEqual(limit);
    expect(limited.records.map((r) => r.recordId)).toEqual(processed.map((p) => p.input.id));
    const failedAt = limited.records.findIndex((r) => r.result === 'ProcessingFailed');
    expect(failedAt).toBeGreaterThan(0);
    expect(limited.records.slice(failedAt).every((r) => r.result === 'ProcessingFailed')).toBe(true);
    expect(limited.records.slice(0, failedAt).every((r) => r.result === 'Ok')).toBe(true);
    expect([...limited.failedForSize].sort((a, b) => a - b)).toEqual(
      Array.from({ length: processed.length - failedAt }, (_, i) => failedAt + i),
    );
  });

  it('fails nothing at a limit of exactly the response size, and one record one byte below it', async () => {
    const processed = await tinyBatch(50);
    const exact = toFirehoseRecords(processed, Number.POSITIVE_INFINITY).bytes;
    expect(toFirehoseRecords(processed, exact).failedForSize.size).toBe(0);
    const below = toFirehoseRecords(processed, exact - 1);
    expect(below.failedForSize).toEqual(new Set([49]));
    expect(below.bytes).toBe(jsonBytes(below.records));
  });

  it('throws rather than return a response over the limit', async () => {
    const processed = await tinyBatch(50);
    expect(() => toFirehoseRecords(processed, 2000)).toThrow(FirehoseResponseSizeError);
  });

  it('answers a request of tiny records at Firehose’s 6 MB limit (the old estimate failed it from ~5 MB)', async () => {
    const { runtime } = await testRuntime();
    // Tiny events grow many times when normalized: most of them come back failed for size, and the
    // invocation still answers, since failed records take less room than the request gave them.
    const records = Array.from({ length: 40_000 }, (_, i) => ({
      data: Buffer.from(JSON.stringify({ event_type: `e${i}` })),
      arrivalMs: 1763650000000 + i,
    }));
    const event = toFirehoseEvent(records);
    while (Buffer.byteLength(JSON.stringify(event)) > 6 * 1024 * 1024) event.records.splice(-1000);
    expect(event.records.length).toBeGreaterThan(20_000);
    const res = await processFirehoseBatch(event, runtime);
    expect(res.records).toHaveLength(event.records.length);
    expect(Buffer.byteLength(JSON.stringify(res))).toBeLessThanOrEqual(6_000_000);
    expect(res.records.filter((r) => r.result === 'Ok').length).toBeGreaterThan(0);
  });

  /** Text with what JSON must escape: quotes, backslashes, control characters, non-ASCII, lone surrogates. */
  const anyText = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.string({
      unit: fc.constantFrom('"', '\\', '\n', '\u0000', '\u001f', '\u007f', 'é', '😀', '\ud800', 'a'),
    }),
    fc.stringMatching(/^[0-9]{1,60}$/),
  );
  const processedRecord: fc.Arbitrary<ProcessedRecord> = fc
    .tuple(
      anyText,
      anyText,
      fc.oneof(
        fc.record({
          kind: fc.constant('ok' as const),
          dropped: fc.boolean(),
          line: fc.string({ unit: 'binary' }),
        }),
        fc.record({ kind: fc.constant('poison' as const) }),
      ),
      fc.tuple(anyText, anyText, anyText, anyText),
    )
    .map(([id, data, o, [source, family, dt, hour]]) => {
      const input = { id, data, ingestMs: 0 };
      if (o.kind === 'poison')
        return { input, outcome: { kind: 'poison', reason: 'invalid_json', detail: 'x' } };
      return {
        input,
        outcome: {
          kind: 'ok',
          keys: { source, family, outcome: 'other', dt, hour },
          line: Buffer.from(o.line, 'utf8').toString('base64'),
          encoding: 'base64',
          dropped: o.dropped,
          alerts: [],
        },
      } as unknown as ProcessedRecord;
    });

  it('computes the exact bytes of JSON.stringify of the response, for any batch', () => {
    fc.assert(
      fc.property(
        fc.array(processedRecord, { maxLength: 30 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (batch, share) => {
          const plan = toFirehoseRecords(batch, Number.POSITIVE_INFINITY);
          const real = Buffer.byteLength(JSON.stringify({ records: plan.records }));
          expect(plan.bytes).toBe(real);
          // And under a limit, whatever is failed for size, the size is still exact.
          try {
            const limited = toFirehoseRecords(batch, Math.floor(real * share));
            expect(limited.bytes).toBe(Buffer.byteLength(JSON.stringify({ records: limited.records })));
            expect(limited.bytes).toBeLessThanOrEqual(Math.floor(real * share));
          } catch (err) {
            expect(err).toBeInstanceOf(FirehoseResponseSizeError);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('counts a string exactly as JSON writes it', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(jsonStringBytes(text)).toBe(Buffer.byteLength(JSON.stringify(text)));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('size of the Firehose response at the largest processor buffer', () => {
  /** FirehoseProcessorBufferSizeMB's MaxValue in infra/parameters.yml: the largest buffer a deployment can set. */
  const maxBufferMb = (() => {
    const doc = parseYaml(
      readFileSync(join(__dirname, '..', '..', '..', 'infra', 'parameters.yml'), 'utf8'),
      {
        logLevel: 'silent',
      },
    ) as { Parameters: Record<string, { MaxValue: number }> };
    return doc.Parameters.FirehoseProcessorBufferSizeMB?.MaxValue as number;
  })();

  /** Firehose buffers raw bytes (MiB, to be safe): records from the samples, in turn, until the buffer is full. */
  function fullBuffer(families: readonly string[]) {
    const events = families.flatMap((f) => rawEvents(f));
    const limit = maxBufferMb * 1024 * 1024;
    const records = [];
    let bytes = 0;
    for (let i = 0; ; i++) {
      const event = events[i % events.length] as Record<string, unknown>;
      const data = Buffer.from(JSON.stringify(event));
      if (bytes + data.length > limit) break;
      bytes += data.length;
      records.push({ data, arrivalMs: arrivalOf(event) });
    }
    return toFirehoseEvent(records);
  }

  it('is read from the template', () => {
    expect(maxBufferMb).toBe(2);
  });

  it.each([...FAMILIES.map((f) => [f, [f]] as const), ['mixed', FAMILIES] as const])(
    'fails no %s record for size in a full buffer',
    async (_name, families) => {
      const { runtime } = await testRuntime();
      const reports: BatchReport[] = [];
      const event = fullBuffer(families);
      const res = await processFirehoseBatch(event, {
        ...runtime,
        telemetry: { ...noTelemetry, batch: (r) => reports.push(r) },
      });
      expect(res.records).toHaveLength(event.records.length);
      expect(res.records.filter((r) => r.result !== 'Ok')).toHaveLength(0);
      expect(Buffer.byteLength(JSON.stringify(res))).toBeLessThanOrEqual(
        runtime.config.firehoseResponseLimitBytes,
      );
      expect(reports[0]?.summary.failedForSize).toBe(0);
    },
  );
});

describe('records failed for size', () => {
  it('are counted on their own, not as delivered, and logged as an error', async () => {
    const { runtime } = await testRuntime({ FIREHOSE_RESPONSE_LIMIT_BYTES: '14000' });
    const reports: BatchReport[] = [];
    const errors: string[] = [];
    const event = firehoseEvent('sms');
    const res = await processFirehoseBatch(event, {
      ...runtime,
      telemetry: { ...noTelemetry, batch: (r) => reports.push(r) },
      logger: { ...runtime.logger, error: (m) => errors.push(m) },
    });
    const failed = res.records.filter((r) => r.result === 'ProcessingFailed').length;
    expect(failed).toBeGreaterThan(0);
    const summary = reports[0]?.summary as BatchSummary;
    expect(summary.failedForSize).toBe(failed);
    expect(summary.ok).toBe(event.records.length - failed);
    expect(Object.values(summary.byOutcome).reduce((a, b) => a + b, 0)).toBe(summary.ok);
    expect(summary.ok + summary.dropped + summary.poison + summary.failedForSize + summary.deferred).toBe(
      summary.records,
    );
    expect(errors).toEqual([expect.stringMatching(/size limit/)]);
    // Failed records carry their original data, for Firehose's error prefix.
    for (const [i, r] of res.records.entries()) {
      if (r.result === 'ProcessingFailed') expect(r.data).toBe(event.records[i]?.data);
    }
  });
});
