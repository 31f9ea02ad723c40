import { processFirehoseBatch } from '../../src/batch/firehose';
import { processKinesisBatch } from '../../src/batch/kinesis';
import { batchArb, plantedRecordArb } from './arbitraries';
import { firehoseEventOf, kinesisEventOf } from './envelopes';
import { recordsFor } from './fuzzConfig';
import { fuzzRuntime } from './fuzzRuntime';
import { errorText, leakViolations, publicOutputs, type Violation } from './invariants';
import { FuzzRun } from './property';

const RECORDS = recordsFor('personalData');
const BATCH = 50;
const MODES = ['hash', 'redact'] as const;

/**
 * Personal data planted at random places of generated events — values, attribute and metric keys, ids, free
 * text, URLs (path, query, `%40`-encoded), documented PII fields — must not come out of either processor
 * anywhere but the raw archive and the quarantine: not in normalized records, Firehose `Ok` data, alerts, log
 * lines (a logger that records every call, whatever its level), nor archive keys and metadata.
 */
describe.each(MODES)(
  `fuzz: personal data in PII_MODE=%s (${RECORDS / MODES.length} records, each through both processors)`,
  (mode) => {
    const run = new FuzzRun(`personal data ${mode}`);

    beforeAll(async () => {
      const kinesis = await fuzzRuntime({ PII_MODE: mode });
      const firehose = await fuzzRuntime({ PII_MODE: mode });
      const runs = Math.ceil(RECORDS / MODES.length / BATCH);
      await run.run(batchArb(plantedRecordArb, BATCH), runs, async (records) => {
        const violations: Violation[] = [];
        const k = kinesisEventOf(records);
        const kd = await kinesis.through(() => processKinesisBatch(k.event, kinesis.runtime));
        if (kd.error !== undefined) {
          violations.push({
            invariant: 'no-throw',
            message: `processKinesisBatch threw ${errorText(kd.error)}`,
          });
        }
        violations.push(...leakViolations(k.batch, publicOutputs(k.batch, kd.outputs, undefined)));

        const f = firehoseEventOf(records);
        const fd = await firehose.through(() => processFirehoseBatch(f.event, firehose.runtime));
        if (fd.error !== undefined) {
          violations.push({
            invariant: 'no-throw',
            message: `processFirehoseBatch threw ${errorText(fd.error)}`,
          });
        }
        violations.push(...leakViolations(f.batch, publicOutputs(f.batch, fd.outputs, fd.res)));
        return { violations, records, datas: k.batch.datas };
      });
    }, 300_000);

    it('plants personal data in every generated record', () => {
      expect(run.records).toBeGreaterThanOrEqual(RECORDS / MODES.length);
    });

    it('never throws', () => {
      run.expectNone('no-throw');
    });

    it('lets no planted email address, phone number or IP address out but through the raw archive and the quarantine', () => {
      run.expectNone('personal-data');
    });
  },
);
