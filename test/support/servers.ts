import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
