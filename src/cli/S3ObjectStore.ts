import { Readable } from 'node:stream';
import { GetObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config';

export interface StoredObjectInfo {
  key: string;
  size: number;
}

/** One object being read: its body as a stream (not read yet), its metadata, and its size when told. */
export interface StoredObject {
  /** Read as it arrives; destroy it to read no more. */
  body: Readable;
  metadata: Record<string, string>;
  /** The object's size in bytes as stored (S3's `ContentLength`), before reading the body. */
  size?: number;
}

/** Read access to the archive bucket: what `replay` needs, and what its tests fake. */
export interface ObjectStore {
  list(bucket: string, prefix: string): Promise<StoredObjectInfo[]>;
  /** Opens an object: resolves once its headers are in, before its body is read. */
  get(bucket: string, key: string): Promise<StoredObject>;
  close(): void;
}

/**
 * S3 through the SDK, with the archive sinks' client settings (standard retries, `SINK_MAX_ATTEMPTS`, and
 * path-style addressing for an `AWS_ENDPOINT_URL_S3` store). Credentials and region come from the SDK's usual
 * chain (environment, profile, SSO, instance role).
 */
export class S3ObjectStore implements ObjectStore {
  private readonly client: S3Client;

  /** @param client one made by {@link s3Client} for these settings, when the caller writes with it too */
  constructor(config: Pick<Config, 'aws'>, client?: S3Client) {
    this.client = client ?? s3Client(config);
  }

  async list(bucket: string, prefix: string): Promise<StoredObjectInfo[]> {
    const out: StoredObjectInfo[] = [];
    for await (const o of this.walk(bucket, prefix)) out.push(o);
    return out;
  }

  /**
   * The objects under a prefix as S3 lists them, a page (1,000 keys) at a time: what `report` reads, with no
   * more than a page of keys held however many objects there are. Stopping early lists no further page.
   */
  async *walk(bucket: string, prefix: string): AsyncGenerator<StoredObjectInfo> {
    for await (const page of paginateListObjectsV2(
      { client: this.client },
      { Bucket: bucket, Prefix: prefix },
    )) {
      for (const o of page.Contents ?? []) if (o.Key !== undefined) yield { key: o.Key, size: o.Size ?? 0 };
    }
  }

  async get(bucket: string, key: string): Promise<StoredObject> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    // In Node the SDK's body is the HTTP response itself (an IncomingMessage): read as a stream, never buffered
    // whole here; replay checks ContentLength before reading it.
    const body = (out.Body as Readable | undefined) ?? Readable.from([]);
    return {
      body,
      metadata: out.Metadata ?? {},
      ...(out.ContentLength !== undefined && { size: out.ContentLength }),
    };
  }

  close(): void {
    this.client.destroy();
  }
}

/** The S3 client of {@link S3ObjectStore}: the settings above (and what the report function writes with). */
export function s3Client(config: Pick<Config, 'aws'>): S3Client {
  const { maxAttempts, s3Endpoint } = config.aws;
  return new S3Client({
    maxAttempts,
    retryMode: 'standard',
    ...(s3Endpoint !== undefined && {
      endpoint: s3Endpoint,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
  });
}
