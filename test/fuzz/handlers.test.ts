import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationResult,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
} from 'aws-lambda';
import fc from 'fast-check';
import type { ArchiveObject, ArchiveZone } from '../../src/sinks/ports';
import { lambdaContext, loadHandler } from '../helpers/loadHandler';
import { TEST_PII_KEY } from '../helpers/runtime';
import { batchArb, plantedRecordArb, recordArb } from './arbitraries';
import { firehoseEventOf, kinesisEventOf } from './envelopes';
import { recordsFor } from './fuzzConfig';
import { FUZZ_ENV, type LogEntry } from './fuzzRuntime';
import {
  firehoseViolations,
  kinesisViolations,
  leakViolations,
  type Outputs,
  publicOutputs,
} from './invariants';
import { FuzzRun } from './property';

const RECORDS = recordsFor('handlers');
const BATCH = 50;

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/** What the local sinks wrote under `dir`: archive objects (gunzipped, with their metadata) and alerts. */
function readLocalSinks(dir: string): { objects: ArchiveObject[]; alerts: unknown[] } {
  const objects: ArchiveObject[] = [];
  const alerts: unknown[] = [];
  for (const path of files(dir)) {
    const key = relative(dir, path).split(sep).join('/');
    if (key.startsWith('alerts/')) {
      for (const line of readFileSync(path, 'utf8').split('\n'))
        if (line !== '') alerts.push(JSON.parse(line));
    } else if (key.endsWith('.jsonl.gz')) {
      const text = gunzipSync(readFileSync(path)).toString('utf8');
      const lines = text.split(/(?<=\n)/).filter((l) => l !== '');
      const meta = JSON.parse(readFileSync(`${path}.meta.json`, 'utf8'));
      objects.push({ zone: key.split('/')[0] as ArchiveZone, key, lines, metadata: meta });
    }
  }
  return { objects, alerts };
}

/** Every line the handler writes to stdout and stderr (Powertools Logger), kept instead of printed. */
async function capturingOutput<T>(
  f: () => Promise<T>,
): Promise<{ value?: T; error?: unknown; logs: LogEntry[] }> {
  const logs: LogEntry[] = [];
  const keep =
    (level: string) =>
    (chunk: unknown): boolean => {
      logs.push({ level, message: String(chunk) });
      return true;
    };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(keep('stdout'));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(keep('stderr'));
  try {
    return { value: await f(), logs };
  } catch (error) {
    return { error, logs };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/**
 * The real handlers (middy, Powertools logger, local sinks under a temporary LOCAL_SINK_DIR), loaded as a cold
 * start would load them, over generated batches with personal data planted in some records: the batch
 * invariants, read back from the files the local sinks wrote, and no planted value in any output or log line.
 */
describe.each(['hash', 'redact'] as const)(
  `fuzz: the real handlers, PII_MODE=%s (${RECORDS / 2} records)`,
  (mode) => {
    const run = new FuzzRun(`handlers ${mode}`);
    const dir = mkdtempSync(join(tmpdir(), 'fuzz-handlers-'));
    const env = {
      ...FUZZ_ENV,
      LOCAL_SINK_DIR: dir,
      SINKS: 'local',
      PII_HASH_KEY: TEST_PII_KEY,
      PII_MODE: mode,
      LOG_LEVEL: 'debug',
    };

    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    beforeAll(async () => {
      const kinesis = loadHandler<KinesisStreamEvent, KinesisStreamBatchResponse>('kinesis', env);
      const firehose = loadHandler<FirehoseTransformationEvent, FirehoseTransformationResult>(
        'firehose',
        env,
      );
      const arb = batchArb(fc.oneof(recordArb, plantedRecordArb), BATCH);
      const runs = Math.ceil(RECORDS / 2 / BATCH);
      await run.run(arb, runs, async (records, k) => {
        rmSync(dir, { recursive: true, force: true });
        if (k % 2 === 0) {
          const { event, batch } = kinesisEventOf(records);
          const { value, error, logs } = await capturingOutput(() => kinesis(event, lambdaContext()));
          const outputs: Outputs = { ...readLocalSinks(dir), logs };
          const violations = [
            ...kinesisViolations(batch, value, error, outputs),
            ...leakViolations(batch, publicOutputs(batch, outputs, undefined)),
          ];
          return { violations, records, datas: batch.datas };
        }
        const { event, batch } = firehoseEventOf(records);
        const { value, error, logs } = await capturingOutput(() => firehose(event, lambdaContext()));
        const outputs: Outputs = { ...readLocalSinks(dir), logs };
        const violations = [
          ...firehoseViolations(batch, value, error, outputs, { rawArchive: true }),
          ...leakViolations(batch, publicOutputs(batch, outputs, value)),
        ];
        return { violations, records, datas: batch.datas };
      });
    }, 300_000);

    it('never throws', () => {
      run.expectNone('no-throw');
    });

    it('gives every record exactly one outcome', () => {
      run.expectNone('one-outcome');
    });

    it('keeps every record in the raw archive exactly once, byte for byte', () => {
      run.expectNone('raw-archive');
    });

    it('answers Firehose with valid Ok lines and partition keys', () => {
      run.expectNone('firehose-response');
    });

    it('writes valid times and rows that conform to Glue', () => {
      run.expectNone('times');
      run.expectNone('glue');
    });

    it('writes archive files under safe keys with S3-compatible metadata, app metadata only for listed apps', () => {
      run.expectNone('archive-objects');
      run.expectNone('app-metadata');
    });

    it('lets no planted personal data into normalized files, Firehose data, alert files or log lines', () => {
      run.expectNone('personal-data');
    });
  },
);
