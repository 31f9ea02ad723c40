import fc from 'fast-check';
import { processFirehoseBatch } from '../../src/batch/firehose';
import { batchArb, type GenRecord, recordArb } from './arbitraries';
import { firehoseEventOf } from './envelopes';
import { recordsFor } from './fuzzConfig';
import { fuzzRuntime } from './fuzzRuntime';
import { firehoseViolations } from './invariants';
import { FuzzRun } from './property';

const RECORDS = recordsFor('firehose');
const BATCH = 100;

/**
 * processFirehoseBatch over generated batches, with the fuzz rules, the raw archive on
 * (FIREHOSE_ARCHIVE_RAW) and in-memory sinks that all work. One pass; one test per invariant.
 */
describe(`fuzz: processFirehoseBatch over ${RECORDS} generated records`, () => {
  const run = new FuzzRun('firehose batches');

  beforeAll(async () => {
    const fz = await fuzzRuntime();
    await run.run(batchArb(recordArb, BATCH), Math.ceil(RECORDS / BATCH), async (records) => {
      const { event, batch } = firehoseEventOf(records);
      const { res, error, outputs } = await fz.through(() => processFirehoseBatch(event, fz.runtime));
      const violations = firehoseViolations(batch, res, error, outputs, { rawArchive: true });
      return { violations, records, datas: batch.datas };
    });
  }, 300_000);

  it('pushes every generated record through the processor', () => {
    expect(run.records).toBeGreaterThanOrEqual(RECORDS);
  });

  it('never throws', () => {
    run.expectNone('no-throw');
  });

  it('returns every recordId exactly once, in order, as Ok, Dropped or ProcessingFailed, conserved in the quarantine', () => {
    run.expectNone('one-outcome');
  });

  it('keeps every record in the raw archive exactly once, byte for byte', () => {
    run.expectNone('raw-archive');
  });

  it('returns Ok data as one JSON line ending in one \\n with valid partition keys, within 6,000,000 bytes', () => {
    run.expectNone('firehose-response');
  });

  it('writes every *_time as YYYY-MM-DDTHH:MM:SS.mmmZ that parses back to itself, and valid dt/hour', () => {
    run.expectNone('times');
  });

  it('returns rows that conform to the Glue table messaging_events', () => {
    run.expectNone('glue');
  });

  it('writes archive objects under safe keys with S3-compatible metadata', () => {
    run.expectNone('archive-objects');
  });

  it('adds app metadata only for the apps APP_METADATA lists', () => {
    run.expectNone('app-metadata');
  });
});

/**
 * Tiny records grow when normalized (ids, times, app metadata): a batch of them far under Firehose's 6 MB
 * request limit can make a response over 6 MB, which fails the whole invocation. The processor must keep the
 * response within 6,000,000 bytes (README: the last records come back ProcessingFailed with their data).
 */
describe('fuzz: processFirehoseBatch under response-size pressure', () => {
  const run = new FuzzRun('firehose size pressure');
  const tiny = fc.oneof(
    fc
      .nat({ max: 9999 })
      .map((n) => ({ event_type: `e${n}`, application: { app_id: 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6' } })),
    fc.nat({ max: 9999 }).map((n) => ({ event_type: '_session.start', session: { session_id: `s${n}` } })),
    fc.constantFrom({ eventType: 'TEXT_SENT', isFinal: 'false' }, { eventType: 'VOICE_FAILED' }),
    fc.nat().map((n) => ({ eventType: 'Send', mail: { messageId: `m${n}` } })),
  );
  const tinyRecord: fc.Arbitrary<GenRecord> = tiny.map((event) => ({
    data: Buffer.from(JSON.stringify(event)).toString('base64'),
    label: `tiny ${JSON.stringify(event)}`,
    expect: 'ok',
    planted: [],
  }));

  beforeAll(async () => {
    const fz = await fuzzRuntime({ FIREHOSE_ARCHIVE_RAW: 'false' });
    const batches = fc.integer({ min: 9_000, max: 14_000 }).chain((n) => batchArb(tinyRecord, n));
    await run.run(batches, 2, async (records) => {
      const { event, batch } = firehoseEventOf(records);
      const { res, error, outputs } = await fz.through(() => processFirehoseBatch(event, fz.runtime));
      const violations = firehoseViolations(batch, res, error, outputs, {
        rawArchive: false,
        sizePressure: true,
      });
      return { violations, records, datas: batch.datas };
    });
  }, 300_000);

  it('never throws, not even for a response that would outgrow 6 MB', () => {
    run.expectNone('no-throw');
  });

  it('returns every recordId once, in order, and keeps the response within 6,000,000 bytes', () => {
    run.expectNone('one-outcome');
    run.expectNone('firehose-response');
  });
});
