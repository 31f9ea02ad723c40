import type { KinesisStreamEvent } from 'aws-lambda';
import fc from 'fast-check';
import { processFirehoseBatch } from '../../src/batch/firehose';
import { processKinesisBatch } from '../../src/batch/kinesis';
import { clip } from '../helpers/show';
import { appIdArb, batchArb, type GenRecord, recordArb } from './arbitraries';
import { caseOfFirehose, caseOfKinesis, firehoseEventOf, kinesisEventOf } from './envelopes';
import { recordsFor } from './fuzzConfig';
import { fuzzRuntime } from './fuzzRuntime';
import { firehoseViolations, kinesisViolations } from './invariants';
import { FuzzRun } from './property';

const RECORDS = recordsFor('envelope');
const BATCH = 20;

/** A value put in place of an envelope field, and how to show it. */
interface Replacement {
  field: string;
  /** `undefined` with `remove` removes the field. */
  value?: unknown;
  remove?: boolean;
}

const ids = fc.constantFrom<Replacement['value']>(
  null,
  12345,
  '',
  ' ',
  '../../../../etc/passwd',
  'a/b\\c',
  'ünïcödé-ñ-🙂',
  'x'.repeat(2000),
  'line\nbreak',
  { id: 1 },
);

const arrivals = (unit: 'seconds' | 'ms') =>
  fc.constantFrom<Replacement['value']>(
    null,
    unit === 'seconds' ? 1_763_650_000.123_456_7 : 1_763_650_000_000.5,
    unit === 'seconds' ? '1763650000.5' : '1763650000000',
    'soon',
    Number.NaN,
    -1,
    unit === 'seconds' ? -1_763_650_000 : -1_763_650_000_000,
    1e20,
    Number.POSITIVE_INFINITY,
    0,
    0.5,
  );

const datas = fc.constantFrom<Replacement['value']>(null, 12345, {}, { data: 'eyJ9' }, [], true, '');

function replacementArb(idField: string, unit: 'seconds' | 'ms'): fc.Arbitrary<Replacement> {
  return fc.oneof(
    fc.constantFrom<Replacement>({ field: 'data', remove: true }, { field: idField, remove: true }),
    fc.constantFrom<Replacement>({ field: 'approximateArrivalTimestamp', remove: true }),
    datas.map((value) => ({ field: 'data', value })),
    ids.map((value) => ({ field: idField, value })),
    arrivals(unit).map((value) => ({ field: 'approximateArrivalTimestamp', value })),
  );
}

/**
 * One hostility per batch, so that one failure does not hide another: a field of one to three records'
 * envelopes replaced or removed, or the whole record list missing, null or empty, or the stream names garbled.
 */
interface EnvelopeCase {
  records: GenRecord[];
  /** Per record, what its envelope gets (null: kept). */
  changes: Array<Replacement | null>;
  eventChange: 'none' | 'missing' | 'null' | 'empty' | 'odd-names';
}

function envelopeCaseArb(idField: string, unit: 'seconds' | 'ms'): fc.Arbitrary<EnvelopeCase> {
  return fc
    .record({
      records: batchArb(fc.oneof({ weight: 3, arbitrary: recordArb }, appIdArb), BATCH),
      change: replacementArb(idField, unit),
      targets: fc.uniqueArray(fc.nat({ max: BATCH - 1 }), { minLength: 1, maxLength: 3 }),
      eventChange: fc.constantFrom<EnvelopeCase['eventChange']>(
        ...Array<EnvelopeCase['eventChange']>(12).fill('none'),
        'missing',
        'null',
        'empty',
        'odd-names',
      ),
    })
    .map(({ records, change, targets, eventChange }) => {
      const changes = records.map((_, i) => (eventChange === 'none' && targets.includes(i) ? change : null));
      return {
        records: records.map((r, i) => withEnvelopeLabel(r, changes[i] ?? null)),
        changes,
        eventChange,
      };
    });
}

/** Records whose envelope was tampered with promise nothing; without usable data they must be poison. */
function withEnvelopeLabel(record: GenRecord, change: Replacement | null): GenRecord {
  if (change === null) return record;
  const shown = change.remove === true ? 'removed' : `= ${clip(String(JSON.stringify(change.value)), 40)}`;
  const poison = change.field === 'data';
  const { source: _source, eventType: _eventType, ...rest } = record;
  return {
    ...rest,
    label: `${record.label}; envelope ${change.field} ${shown}`,
    expect: poison ? 'poison' : 'either',
  };
}

function apply(target: Record<string, unknown>, change: Replacement | null): void {
  if (change === null) return;
  if (change.remove === true) delete target[change.field];
  else target[change.field] = change.value;
}

/**
 * Hostile envelopes around generated records: records without `data` or with `data` null, a number, an
 * object; missing or garbage sequence numbers and record ids; arrival timestamps missing, fractional, strings,
 * NaN, negative, huge; events without `Records`/`records`; garbled stream and shard names; app ids that are
 * Object.prototype members. Same invariants as the batch properties, sinks working.
 */
describe(`fuzz: hostile envelopes (${RECORDS} records through each processor)`, () => {
  const run = new FuzzRun('hostile envelopes');

  beforeAll(async () => {
    const fz = await fuzzRuntime();
    const runs = Math.ceil(RECORDS / BATCH);
    await run.run(envelopeCaseArb('sequenceNumber', 'seconds'), runs, async (c) => {
      const { event } = kinesisEventOf(c.records);
      event.Records.forEach((r, i) => {
        apply(r.kinesis as unknown as Record<string, unknown>, c.changes[i] ?? null);
      });
      const hostile = event as unknown as Record<string, unknown>;
      if (c.eventChange === 'missing') delete hostile.Records;
      else if (c.eventChange === 'null') hostile.Records = null;
      else if (c.eventChange === 'empty') hostile.Records = [];
      else if (c.eventChange === 'odd-names') {
        for (const r of event.Records) {
          r.eventSourceARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/../../ünï code';
          r.eventID = '../shard/../x:1';
        }
      }
      const batch = caseOfKinesis(c.records, hostile);
      const { res, error, outputs } = await fz.through(() =>
        processKinesisBatch(hostile as unknown as KinesisStreamEvent, fz.runtime),
      );
      const violations = kinesisViolations(batch, res, error, outputs);
      return { violations, records: c.records, datas: batch.datas };
    });

    await run.run(
      envelopeCaseArb('recordId', 'ms'),
      runs,
      async (c) => {
        const { event } = firehoseEventOf(c.records);
        event.records.forEach((r, i) => {
          apply(r as unknown as Record<string, unknown>, c.changes[i] ?? null);
        });
        const hostile = event as unknown as Record<string, unknown>;
        if (c.eventChange === 'missing') delete hostile.records;
        else if (c.eventChange === 'null') hostile.records = null;
        else if (c.eventChange === 'empty') hostile.records = [];
        else if (c.eventChange === 'odd-names')
          hostile.deliveryStreamArn = 'arn:aws:firehose:::deliverystream/../ü';
        const batch = caseOfFirehose(c.records, hostile);
        const { res, error, outputs } = await fz.through(() =>
          processFirehoseBatch(hostile as never, fz.runtime),
        );
        const violations = firehoseViolations(batch, res, error, outputs, { rawArchive: true });
        return { violations, records: c.records, datas: batch.datas };
      },
      runs,
    );
  }, 300_000);

  it('never throws, whatever the envelope', () => {
    run.expectNone('no-throw');
  });

  it('gives every record exactly one outcome, none reported for retry', () => {
    run.expectNone('one-outcome');
  });

  it('keeps every record in the raw archive exactly once', () => {
    run.expectNone('raw-archive');
  });

  it('answers Firehose with valid Ok lines and partition keys', () => {
    run.expectNone('firehose-response');
  });

  it('writes valid times whatever the arrival timestamp', () => {
    run.expectNone('times');
  });

  it('writes rows that conform to Glue', () => {
    run.expectNone('glue');
  });

  it('writes archive objects under safe keys with S3-compatible metadata, whatever the ids and names', () => {
    run.expectNone('archive-objects');
  });

  it('takes app metadata from APP_METADATA only: constructor, toString and __proto__ get none', () => {
    run.expectNone('app-metadata');
  });
});
