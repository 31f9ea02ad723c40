import type { FirehoseTransformationEvent, KinesisStreamEvent } from 'aws-lambda';
import fc from 'fast-check';
import { readKinesisEvent } from '../../../src/batch/envelope';
import { processFirehoseBatch } from '../../../src/batch/firehose';
import { processKinesisBatch } from '../../../src/batch/kinesis';
import type { QuarantineLine, RawArchiveLine } from '../../../src/sinks/archiveLine';
import { assertConformsToGlue, glueTable } from '../../helpers/glue';
import { firehoseEvent, kinesisEvent, testRuntime } from '../../helpers/runtime';

const archiveTable = glueTable('messaging_events_archive');
const firehoseTable = glueTable('messaging_events');
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// The envelope is input too: these events are built as the wrong shapes on purpose.
const asKinesis = (e: unknown) => e as KinesisStreamEvent;
const asFirehose = (e: unknown) => e as FirehoseTransformationEvent;
type Loose = Record<string, unknown>;

const validData = Buffer.from(
  JSON.stringify({ eventType: 'TEXT_DELIVERED', eventTimestamp: 1_764_000_000_000 }),
).toString('base64');

describe('Kinesis envelopes', () => {
  /** The sample SMS batch with the envelope of record `i` changed by `edit`. */
  function edited(edits: Record<number, (r: Loose) => unknown>): KinesisStreamEvent {
    const event = kinesisEvent('sms') as unknown as { Records: Loose[] };
    for (const [i, edit] of Object.entries(edits)) {
      const r = event.Records[Number(i)] as Loose;
      event.Records[Number(i)] = edit(r) as Loose;
    }
    return asKinesis(event);
  }
  const kinesisOf = (r: Loose) => r.kinesis as Loose;

  it.each([
    ['no data', (r: Loose) => delete kinesisOf(r).data, 'empty_record'],
    ['null data', (r: Loose) => (kinesisOf(r).data = null), 'empty_record'],
    ['numeric data', (r: Loose) => (kinesisOf(r).data = 1234), 'invalid_base64'],
    ['object data', (r: Loose) => (kinesisOf(r).data = { a: 1 }), 'invalid_base64'],
    ['no kinesis object', (r: Loose) => delete r.kinesis, 'empty_record'],
  ])('quarantines a record with %s and processes the others', async (_label, edit, reason) => {
    const { runtime, archive } = await testRuntime();
    const event = edited({
      3: (r) => {
        edit(r);
        return r;
      },
    });
    const res = await processKinesisBatch(event, runtime);
    expect(res.batchItemFailures).toEqual([]);
    const quarantined = archive.lines('quarantine').map((l) => JSON.parse(l) as QuarantineLine);
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0]?.reason).toBe(reason);
    expect(quarantined[0]?.detail).toMatch(/data/);
    expect(archive.lines('normalized')).toHaveLength(event.Records.length - 1);
    expect(archive.lines('raw')).toHaveLength(event.Records.length);
  });

  it.each([
    ['null', null],
    ['a string', 'record'],
    ['a number', 7],
    ['an array', []],
  ])('quarantines a record that is %s', async (_label, value) => {
    const { runtime, archive } = await testRuntime();
    const res = await processKinesisBatch(edited({ 0: () => value }), runtime);
    expect(res.batchItemFailures).toEqual([]);
    expect(archive.lines('quarantine').map((l) => JSON.parse(l).reason)).toEqual(['empty_record']);
  });

  it.each([
    ['no Records', {}],
    ['Records null', { Records: null }],
    ['Records an object', { Records: { 0: {} } }],
    ['no event at all', null],
  ])('answers an event with %s with no failures and writes nothing', async (_label, event) => {
    const { runtime, archive } = await testRuntime();
    expect(await processKinesisBatch(asKinesis(event), runtime)).toEqual({ batchItemFailures: [] });
    expect(archive.calls).toBe(0);
  });

  it.each([
    ['a numeric string', '1764000000.5', 1_764_000_000_500],
    ['a fraction of a millisecond', 1_764_000_000.0004, 1_764_000_000_000],
  ])('reads an arrival time given as %s', async (_label, value, ms) => {
    const { runtime, archive } = await testRuntime();
    const event = edited({
      0: (r) => {
        kinesisOf(r).approximateArrivalTimestamp = value;
        return r;
      },
    });
    await processKinesisBatch(event, runtime);
    const raw = archive.lines('raw').map((l) => JSON.parse(l) as RawArchiveLine);
    expect(raw[0]?.approximate_arrival_ms).toBe(ms);
  });

  it.each([
    ['missing', undefined],
    ['not a number', 'yesterday'],
    ['NaN', Number.NaN],
    ['negative', -5],
    ['past the year 9999', 1e15],
    ['Infinity', Number.POSITIVE_INFINITY],
  ])(
    'gives a record whose arrival time is %s the batch’s first readable one, on every attempt',
    async (_label, value) => {
      const { runtime, archive } = await testRuntime();
      const event = edited({
        0: (r) => {
          kinesisOf(r).approximateArrivalTimestamp = value;
          return r;
        },
      });
      const second = Math.round(
        ((event.Records[1]?.kinesis.approximateArrivalTimestamp as number) ?? 0) * 1000,
      );
      const res = await processKinesisBatch(event, runtime);
      expect(res.batchItemFailures).toEqual([]);
      const raw = archive.lines('raw').map((l) => JSON.parse(l) as RawArchiveLine);
      expect(raw[0]?.approximate_arrival_ms).toBe(second);
      for (const line of archive.lines('normalized')) assertConformsToGlue(line, archiveTable);
      const keys = [...archive.objects.keys()].sort();
      const again = await testRuntime();
      await processKinesisBatch(event, again.runtime);
      expect([...again.archive.objects.keys()].sort()).toEqual(keys);
    },
  );

  it('uses the time of the invocation when no record has a readable arrival time', async () => {
    const { runtime, archive } = await testRuntime();
    const event = kinesisEvent('eum');
    for (const r of event.Records) (r.kinesis as unknown as Loose).approximateArrivalTimestamp = 'soon';
    const before = Date.now();
    await processKinesisBatch(event, runtime);
    for (const line of archive.lines('raw')) {
      const ms = (JSON.parse(line) as RawArchiveLine).approximate_arrival_ms;
      expect(ms).toBeGreaterThanOrEqual(before);
      expect(ms).toBeLessThanOrEqual(Date.now());
    }
  });

  it('returns a record without a sequence number under an empty id, which retries the whole batch', async () => {
    const { runtime, archive } = await testRuntime();
    archive.failZones.add('normalized');
    const event = edited({
      2: (r) => {
        delete kinesisOf(r).sequenceNumber;
        return r;
      },
    });
    const res = await processKinesisBatch(event, runtime);
    expect(res.batchItemFailures).toHaveLength(event.Records.length);
    expect(res.batchItemFailures[2]).toEqual({ itemIdentifier: '' });
  });

  it('names archive objects safely whatever the sequence numbers hold', async () => {
    const { runtime, archive } = await testRuntime();
    const event = edited({
      0: (r) => {
        kinesisOf(r).sequenceNumber = '../../etc/passwd';
        return r;
      },
    });
    const last = event.Records.length - 1;
    (event.Records[last]?.kinesis as unknown as Loose).sequenceNumber = `é${'9'.repeat(10_000)}`;
    await processKinesisBatch(event, runtime);
    for (const key of archive.objects.keys()) {
      expect(key).toMatch(
        /^[a-z]+\/dt=[\d-]+\/hour=\d\d\/kinesis\/[A-Za-z0-9._=-]+\/[A-Za-z0-9._=-]+\.jsonl\.gz$/,
      );
      expect(key.length).toBeLessThan(300);
    }
    // The raw lines keep the ids exactly as received.
    const raw = archive.lines('raw').map((l) => JSON.parse(l) as RawArchiveLine);
    expect(raw[0]?.id).toBe('../../etc/passwd');
  });

  it('reads the shard once, from the first record that has an eventID', () => {
    const event = edited({ 0: (r) => ({ ...r, eventID: undefined }) }) as unknown as { Records: Loose[] };
    const second = event.Records[1]?.eventID as string;
    expect(readKinesisEvent(event, 0).shard).toBe(second.split(':')[0]);
    for (const r of event.Records) delete r.eventID;
    expect(readKinesisEvent(event, 0)).not.toHaveProperty('shard');
  });

  it('files the batch and its metadata under that shard, and "unknown-shard" without one', async () => {
    const { runtime, archive } = await testRuntime();
    const event = edited({}) as unknown as { Records: Loose[] };
    for (const r of event.Records) r.eventID = `shardId-000000000007:${(r.kinesis as Loose).sequenceNumber}`;
    await processKinesisBatch(asKinesis(event), runtime);
    const raw = [...archive.objects.values()].find((o) => o.zone === 'raw');
    expect(raw?.key).toMatch(/\/shardId-000000000007_[^/]+\.jsonl\.gz$/);
    expect(raw?.metadata.shard).toBe('shardId-000000000007');

    const { runtime: again, archive: other } = await testRuntime();
    for (const r of event.Records) delete r.eventID;
    await processKinesisBatch(asKinesis(event), again);
    expect([...other.objects.values()].find((o) => o.zone === 'raw')?.metadata.shard).toBe('unknown-shard');
  });
});

describe('Firehose envelopes', () => {
  function edited(edits: Record<number, (r: Loose) => unknown>): FirehoseTransformationEvent {
    const event = firehoseEvent('eum') as unknown as { records: Loose[] };
    for (const [i, edit] of Object.entries(edits)) {
      event.records[Number(i)] = edit(event.records[Number(i)] as Loose) as Loose;
    }
    return asFirehose(event);
  }

  it.each([
    ['no data', (r: Loose) => delete r.data, 'empty_record'],
    ['null data', (r: Loose) => (r.data = null), 'empty_record'],
    ['numeric data', (r: Loose) => (r.data = 42), 'invalid_base64'],
    ['object data', (r: Loose) => (r.data = {}), 'invalid_base64'],
  ])('returns a record with %s as ProcessingFailed and quarantines it', async (_label, edit, reason) => {
    const { runtime, archive } = await testRuntime();
    const event = edited({
      1: (r) => {
        edit(r);
        return r;
      },
    });
    const res = await processFirehoseBatch(event, runtime);
    expect(res.records.map((r) => r.recordId)).toEqual(event.records.map((r) => r.recordId));
    expect(res.records[1]).toEqual({
      recordId: event.records[1]?.recordId,
      result: 'ProcessingFailed',
      data: '',
    });
    expect(archive.lines('quarantine').map((l) => JSON.parse(l).reason)).toEqual([reason]);
  });

  it.each([
    ['no records', {}],
    ['records a string', { records: 'x' }],
    ['no event at all', undefined],
  ])('answers an event with %s with no records', async (_label, event) => {
    const { runtime } = await testRuntime();
    expect(await processFirehoseBatch(asFirehose(event), runtime)).toEqual({ records: [] });
  });

  it('writes a valid time for a fractional arrival time', async () => {
    const { runtime } = await testRuntime();
    const event = edited({
      0: (r) => {
        r.approximateArrivalTimestamp = 1_764_000_000_999.25;
        r.data = validData;
        return r;
      },
    });
    const res = await processFirehoseBatch(event, runtime);
    const rec = JSON.parse(Buffer.from(res.records[0]?.data ?? '', 'base64').toString('utf8'));
    expect(rec.ingest_time).toBe('2025-11-24T16:00:00.999Z');
    expect(rec.arrival_time).toBe('2025-11-24T16:00:00.999Z');
  });

  it('answers a record id that is not a string as text, and a missing one as an empty id', async () => {
    const { runtime } = await testRuntime();
    const event = edited({
      0: (r) => ({ ...r, recordId: 17 }),
      1: (r) => {
        delete r.recordId;
        return r;
      },
    });
    const res = await processFirehoseBatch(event, runtime);
    expect(res.records.slice(0, 2).map((r) => r.recordId)).toEqual(['17', '']);
    expect(res.records).toHaveLength(event.records.length);
  });
});

describe('any envelope', () => {
  /** A value of any JSON type, or absent, with the plausible ones more likely. */
  const garbage = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.string(),
    fc.double(),
    fc.boolean(),
    fc.constant({}),
    fc.constant([]),
  );
  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, garbage);
  const arrivalSeconds = maybe(fc.double({ min: 0, max: 3e9, noNaN: true }));
  const data = maybe(fc.constantFrom(validData, '', 'bm90IGpzb24=', '!!'));

  const kinesisRecord = fc.oneof(
    fc.record(
      {
        kinesis: maybe(
          fc.record(
            {
              sequenceNumber: maybe(fc.stringMatching(/^\d{1,56}$/)),
              data,
              approximateArrivalTimestamp: arrivalSeconds,
              partitionKey: maybe(fc.string()),
            },
            { requiredKeys: [] },
          ),
        ),
        eventID: maybe(fc.string()),
        eventSourceARN: maybe(fc.string()),
      },
      { requiredKeys: [] },
    ),
    garbage,
  );

  it('gives every Kinesis record exactly one outcome, and every time a valid ISO string', async () => {
    const { runtime, archive } = await testRuntime();
    await fc.assert(
      fc.asyncProperty(fc.array(kinesisRecord, { minLength: 1, maxLength: 12 }), async (records) => {
        archive.objects.clear();
        const res = await processKinesisBatch(asKinesis({ Records: records }), runtime);
        expect(res.batchItemFailures).toEqual([]);
        const normalized = archive.lines('normalized');
        expect(normalized.length + archive.lines('quarantine').length).toBe(records.length);
        expect(archive.lines('raw')).toHaveLength(records.length);
        for (const line of normalized) assertConformsToGlue(line, archiveTable);
        for (const line of archive.lines('raw')) {
          expect(new Date((JSON.parse(line) as RawArchiveLine).approximate_arrival_ms).toISOString()).toMatch(
            ISO_MS,
          );
        }
      }),
      { numRuns: 200 },
    );
  });

  const firehoseRecord = fc.oneof(
    fc.record(
      {
        recordId: maybe(fc.string({ minLength: 1 })),
        data,
        approximateArrivalTimestamp: maybe(fc.double({ min: 0, max: 3e12, noNaN: true })),
      },
      { requiredKeys: [] },
    ),
    garbage,
  );

  it('answers every Firehose record exactly once, normalized ones readable by Athena', async () => {
    const { runtime } = await testRuntime();
    await fc.assert(
      fc.asyncProperty(fc.array(firehoseRecord, { minLength: 1, maxLength: 12 }), async (records) => {
        const res = await processFirehoseBatch(asFirehose({ records }), runtime);
        expect(res.records).toHaveLength(records.length);
        res.records.forEach((r, i) => {
          const id = (records[i] as Loose | null)?.recordId;
          // Finite numbers are read as text; anything else (Infinity, NaN, objects) is no id at all.
          const expected =
            typeof id === 'string' ? id : typeof id === 'number' && Number.isFinite(id) ? String(id) : '';
          expect(r.recordId).toBe(expected);
          if (r.result === 'Ok') {
            assertConformsToGlue(Buffer.from(r.data ?? '', 'base64').toString('utf8'), firehoseTable);
          }
        });
      }),
      { numRuns: 200 },
    );
  });
});
