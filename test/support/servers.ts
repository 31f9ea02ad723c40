import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import kinesalite from 'kinesalite';
import S3rver from 's3rver';

export interface Started {
  url: string;
  stop(): Promise<void>;
}

/** s3rver (a real S3 implementation over HTTP) on a random loopback port, with the given buckets. */
export async function startS3rver(buckets: string[]): Promise<Started & { directory: string }> {
  const directory = mkdtempSync(join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  return { url: `http://127.0.0.1:${port}`, directory, stop: () => server.close() };
}

/** kinesalite (a Kinesis implementation over HTTP) on a random loopback port, in memory. */
export async function startKinesalite(): Promise<Started> {
  const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * dynalite (DynamoDB over HTTP, on an in-memory LevelDB) on a random loopback port. Tables are ACTIVE at once.
 * It has no UpdateTimeToLive: `expires_at` is a plain attribute there, which is all the tests read.
 */
export async function startDynalite(): Promise<Started> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Creates the rate table as the stack does (partition key `pk` of type S, no sort key, on-demand) and waits
 * until it is ACTIVE. The stack's TTL on `expires_at` has no equivalent in dynalite.
 */
export async function createRateTable(url: string, table: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint: url });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    for (let i = 0; i < 100; i++) {
      const out = await client.send(new DescribeTableCommand({ TableName: table }));
      if (out.Table?.TableStatus === 'ACTIVE') return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`table ${table} did not become ACTIVE`);
  } finally {
    client.destroy();
  }
}
