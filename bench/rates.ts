/**
 * What the shared rate store costs a batch (docs/rates.md §5): the CPU of tallying and planning the counts (a
 * store that does no I/O), and the wall time and the writes of one 6 MB batch against dynalite (DynamoDB on
 * LevelDB, on loopback), with the shipped rules. The writes are what DynamoDB on-demand bills.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FirehoseTransformationEvent, KinesisStreamEvent } from 'aws-lambda';
import { loadConfig } from '../src/config';
import { createRuntime, type Runtime } from '../src/runtime';
import { createAwsSinks } from '../src/sinks/aws/createAwsSinks';
import type { Sinks } from '../src/sinks/ports';
import type { RateCounterItem, RateStore } from '../src/sinks/rateStore';
import { noopSinks, oursFirehose, oursKinesis } from './ours';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** DynamoDB on-demand, us-east-1, since the price cut of 1 November 2024 (read on 2026-12-07). */
export const RATE_PRICE_DATE = '2026-12-07 (us-east-1: $0.625 per million writes, $0.125 per million reads)';
export const WRITE_USD_PER_MILLION = 0.625;
export const READ_USD_PER_MILLION = 0.125;

/** A rate store that answers at once like an empty table: the CPU of the protocol without I/O. */
export function noIoRateStore(): RateStore {
  const item = (counts: Readonly<Record<string, number>>): RateCounterItem => ({
    counts,
    highWater: {},
    inFlight: [],
  });
  return {
    add: async (_c, counts) => ({ applied: true, item: item(counts) }),
    get: async () => undefined,
    openBatch: async () => ({ created: true }),
    settleBatch: async () => undefined,
    clearInFlight: async () => undefined,
    claimAlert: async () => true,
    settleAlert: async () => undefined,
  };
}

/** Counts the calls of each primitive on the way to another store. */
export function countingRateStore(inner: RateStore): { store: RateStore; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const count =
    <K extends keyof RateStore>(name: K) =>
    (...args: Parameters<RateStore[K]>) => {
      calls[name] = (calls[name] ?? 0) + 1;
      return (inner[name] as (...a: Parameters<RateStore[K]>) => ReturnType<RateStore[K]>)(...args);
    };
  const store: RateStore = {
    add: count('add'),
    get: count('get'),
    openBatch: count('openBatch'),
    settleBatch: count('settleBatch'),
    clearInFlight: count('clearInFlight'),
    claimAlert: count('claimAlert'),
    settleAlert: count('settleAlert'),
  };
  return { store, calls };
}

export async function rateRuntime(rates: RateStore): Promise<Runtime> {
  const sinks: Sinks = { ...noopSinks, rates };
  return createRuntime(loadConfig({ PII_HASH_KEY: 'bench-key-0123456789abcdef', LOG_LEVEL: 'silent' }), {
    sinks,
    logger: silent,
  });
}

export interface RateStoreRow {
  batch: string;
  records: number;
  /** Median wall time of the batch without a store, and with dynalite. */
  withoutMs: number;
  withDynaliteMs: number;
  addedMs: number;
  /** Store calls of one batch, by primitive. */
  calls: Record<string, number>;
  writesPerBatch: number;
  readsPerBatch: number;
  writesPerMillionEvents: number;
  usdPerMillionEvents: number;
}

/** The reads among the primitives (GetItem); every other call is one UpdateItem. */
const READS = new Set(['get']);

/**
 * One 6 MB batch of each path, `runs` times each, with and without dynalite; a fresh table for every run, so
 * that each counts its records (a batch counted again would only be refused).
 */
export async function measureRateStore(
  batches: Array<{ name: string; kind: 'kinesis' | 'firehose'; text: string; records: number }>,
  runs: number,
): Promise<RateStoreRow[]> {
  // Loaded here, not bundled: dynalite and its LevelDB are test tools (`--external:dynalite`).
  // The SDK's credential chain reads these; dynalite checks none.
  process.env.AWS_ACCESS_KEY_ID ??= 'bench';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
  process.env.AWS_REGION ??= 'us-east-1';
  const dynalite = require('dynalite') as (o: Record<string, number>) => import('node:http').Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  const admin = new DynamoDBClient({ endpoint: url, region: 'us-east-1', credentials: FAKE });
  const plain = await createRuntime(
    loadConfig({ PII_HASH_KEY: 'bench-key-0123456789abcdef', LOG_LEVEL: 'silent' }),
    { sinks: noopSinks, logger: silent },
  );
  const rows: RateStoreRow[] = [];
  let tables = 0;
  try {
    for (const b of batches) {
      const without: number[] = [];
      const withStore: number[] = [];
      let calls: Record<string, number> = {};
      for (let run = 0; run < runs; run++) {
        const table = `bench-rates-${++tables}`;
        await admin.send(
          new CreateTableCommand({
            TableName: table,
            AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
            KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
        const config = loadConfig({
          SINKS: 'aws',
          ARCHIVE_BUCKET: 'bench',
          ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:bench',
          PII_HASH_KEY: 'bench-key-0123456789abcdef',
          RATE_TABLE: table,
          AWS_ENDPOINT_URL_DYNAMODB: url,
          LOG_LEVEL: 'silent',
        });
        const store = createAwsSinks(config, silent).rates;
        if (store === undefined) throw new Error('no rate store');
        const counting = countingRateStore(store);
        const runtime = await rateRuntime(counting.store);
        const handler = b.kind === 'kinesis' ? oursKinesis(runtime) : oursFirehose(runtime);
        const bare = b.kind === 'kinesis' ? oursKinesis(plain) : oursFirehose(plain);
        const event = () => JSON.parse(b.text) as KinesisStreamEvent & FirehoseTransformationEvent;
        let t0 = process.hrtime.bigint();
        await bare(event());
        without.push(Number(process.hrtime.bigint() - t0) / 1e6);
        t0 = process.hrtime.bigint();
        await handler(event());
        withStore.push(Number(process.hrtime.bigint() - t0) / 1e6);
        calls = counting.calls;
      }
      const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
      let writes = 0;
      let reads = 0;
      for (const [name, n] of Object.entries(calls)) {
        if (READS.has(name)) reads += n;
        else writes += n;
      }
      const perMillion = (n: number) => Math.round((n / b.records) * 1_000_000);
      rows.push({
        batch: b.name,
        records: b.records,
        withoutMs: round2(med(without)),
        withDynaliteMs: round2(med(withStore)),
        addedMs: round2(med(withStore) - med(without)),
        calls,
        writesPerBatch: writes,
        readsPerBatch: reads,
        writesPerMillionEvents: perMillion(writes),
        usdPerMillionEvents: round4(
          (perMillion(writes) * WRITE_USD_PER_MILLION + perMillion(reads) * READ_USD_PER_MILLION) / 1_000_000,
        ),
      });
    }
  } finally {
    admin.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return rows;
}

const FAKE = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const round2 = (n: number) => Math.round(n * 100) / 100;
const round4 = (n: number) => Math.round(n * 10_000) / 10_000;
