import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

export interface StoredObject {
  key: string;
  lines: string[];
  metadata: Record<string, string>;
  contentType?: string;
  contentEncoding?: string;
}

/** Reads back what the archive wrote, with a separate client pointed straight at s3rver. */
export class S3Reader {
  private readonly client: S3Client;

  constructor(
    endpoint: string,
    private readonly bucket: string,
  ) {
    this.client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async keys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of out.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
      token = out.NextContinuationToken;
    } while (token !== undefined);
    return keys.sort();
  }

  async read(key: string): Promise<StoredObject> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const body = Buffer.from(
      await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    const text = gunzipSync(body).toString('utf8');
    const obj: StoredObject = {
      key,
      lines: text.length === 0 ? [] : text.replace(/\n$/, '').split('\n'),
      metadata: out.Metadata ?? {},
    };
    if (out.ContentType !== undefined) obj.contentType = out.ContentType;
    if (out.ContentEncoding !== undefined) obj.contentEncoding = out.ContentEncoding;
    return obj;
  }

  /** Every object under a prefix, keyed by the key without the prefix. */
  async snapshot(prefix: string): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const key of await this.keys(prefix))
      out.set(key.slice(prefix.length), (await this.read(key)).lines);
    return out;
  }
}
