import { processKinesisBatch } from '../../src/batch/kinesis';
import { batchArb, recordArb } from './arbitraries';
import { kinesisEventOf } from './envelopes';
import { recordsFor } from './fuzzConfig';
import { fuzzRuntime } from './fuzzRuntime';
import { kinesisViolations } from './invariants';
import { FuzzRun } from './property';

const RECORDS = recordsFor('kinesis');
const BATCH = 100;

/**
 * processKinesisBatch over generated batches (fixtures, mutated fixtures, messy framings, garbage), with the
 * fuzz rules (drop, tag, alert) and in-memory sinks that all work. One pass; one test per invariant.
 */
describe(`fuzz: processKinesisBatch over ${RECORDS} generated records`, () => {
  const run = new FuzzRun('kinesis batches');

  beforeAll(async () => {
    const fz = await fuzzRuntime();
    await run.run(batchArb(recordArb, BATCH), Math.ceil(RECORDS / BATCH), async (records) => {
      const { event, batch } = kinesisEventOf(records);
      const { res, error, outputs } = await fz.through(() => processKinesisBatch(event, fz.runtime));
      return { violations: kinesisViolations(batch, res, error, outputs), records, datas: batch.datas };
    });
  }, 300_000);

  it('pushes every generated record through the processor', () => {
    expect(run.records).toBeGreaterThanOrEqual(RECORDS);
  });

  it('never throws', () => {
    run.expectNone('no-throw');
  });

  it('gives every record exactly one outcome (normalized, dropped or quarantined), none reported for retry', () => {
    run.expectNone('one-outcome');
  });

  it('keeps every record in the raw archive exactly once, byte for byte', () => {
    run.expectNone('raw-archive');
  });

  it('writes every *_time as YYYY-MM-DDTHH:MM:SS.mmmZ that parses back to itself, and valid dt/hour', () => {
    run.expectNone('times');
  });

  it('writes normalized rows that conform to the Glue table messaging_events_archive', () => {
    run.expectNone('glue');
  });

  it('writes archive objects under safe keys with S3-compatible metadata', () => {
    run.expectNone('archive-objects');
  });

  it('adds app metadata only for the apps APP_METADATA lists', () => {
    run.expectNone('app-metadata');
  });
});
