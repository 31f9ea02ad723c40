import { GetObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config';

export interface StoredObjectInfo {
  key: string;
  size: number;
}

/** Read access to the archive bucket: what `replay` needs, and what its tests fake. */
export interface ObjectStore {
  list(bucket: string, prefix: string): Promise<StoredObjectInfo[]>;
  get(bucket: string, key: string): Promise<{ body: Buffer; metadata: Record<string, string> }>;
  close(): void;
}

/**
 * S3 through the SDK, with the archive sinks' client settings (standard retries, `SINK_MAX_ATTEMPTS`, and
 * path-style addressing for an `AWS_ENDPOINT_URL_S3` store). Credentials and region come from the SDK's usual
 * chain (environment, profile, SSO, instance role).
 */
export class S3ObjectStore implements ObjectStore {
  private readonly client: S3Client;

  constructor(config: Config) {
    const { maxAttempts, s3Endpoint } = config.aws;
    this.client = new S3Client({
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

  async list(bucket: string, prefix: string): Promise<StoredObjectInfo[]> {
    const out: StoredObjectInfo[] = [];
    for await (const page of paginateListObjectsV2(
      { client: this.client },
      { Bucket: bucket, Prefix: prefix },
    )) {
      for (const o of page.Contents ?? [])
        if (o.Key !== undefined) out.push({ key: o.Key, size: o.Size ?? 0 });
    }
    return out;
  }

  async get(bucket: string, key: string): Promise<{ body: Buffer; metadata: Record<string, string> }> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const body = Buffer.from(
      await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    return { body, metadata: out.Metadata ?? {} };
  }

  close(): void {
    this.client.destroy();
  }
}
