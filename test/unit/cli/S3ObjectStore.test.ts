import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3ObjectStore } from '../../../src/cli/S3ObjectStore';
import { loadConfig } from '../../../src/config';

const s3Mock = mockClient(S3Client);

afterEach(() => s3Mock.reset());

describe('S3ObjectStore', () => {
  it('lists every page of a prefix, following the continuation token', async () => {
    s3Mock
      .on(ListObjectsV2Command, { Bucket: 'b', Prefix: 'p/raw/', ContinuationToken: undefined })
      .resolves({
        Contents: [
          { Key: 'p/raw/a', Size: 1 },
          { Key: 'p/raw/b', Size: 2 },
        ],
        IsTruncated: true,
        NextContinuationToken: 't1',
      })
      .on(ListObjectsV2Command, { ContinuationToken: 't1' })
      .resolves({ Contents: [{ Key: 'p/raw/c', Size: 3 }], IsTruncated: true, NextContinuationToken: 't2' })
      .on(ListObjectsV2Command, { ContinuationToken: 't2' })
      .resolves({ IsTruncated: false });
    const store = new S3ObjectStore(loadConfig({ SINKS: 'local' }));
    expect(await store.list('b', 'p/raw/')).toEqual([
      { key: 'p/raw/a', size: 1 },
      { key: 'p/raw/b', size: 2 },
      { key: 'p/raw/c', size: 3 },
    ]);
    expect(s3Mock.commandCalls(ListObjectsV2Command)).toHaveLength(3);
    store.close();
  });

  it('opens an object as a stream with its ContentLength, reading none of its body', async () => {
    let read = 0;
    const body = Readable.from(
      (function* () {
        for (const part of ['{"a":', '1}\n']) {
          read += part.length;
          yield Buffer.from(part);
        }
      })(),
    );
    s3Mock
      .on(GetObjectCommand, { Bucket: 'b', Key: 'k' })
      .resolves({ Body: body as never, ContentLength: 8, Metadata: { origin: 'kinesis' } });
    const store = new S3ObjectStore(loadConfig({ SINKS: 'local' }));
    const got = await store.get('b', 'k');
    expect(got.size).toBe(8);
    expect(got.metadata).toEqual({ origin: 'kinesis' });
    expect(read).toBe(0);
    const chunks: Buffer[] = [];
    for await (const chunk of got.body) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('{"a":1}\n');
    store.close();
  });
});
