import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describeError, SinkError } from '../../errors';
import { gzipLines } from '../gzipLines';
import type { ArchiveObject, ArchiveSink, WriteOptions } from '../ports';
import { attemptsOf } from './sdkErrors';

export interface S3ArchiveOptions {
  bucket: string;
  /** Key prefix, empty or ending in `/`. */
  prefix: string;
  /** SSE-KMS with this key; otherwise SSE-S3 (AES256). */
  kmsKeyId?: string;
  /** gzip level 1–9. */
  gzipLevel: number;
  /** Called after each PutObject with the SDK's attempt count (retries = attempts − 1), for metrics. */
  onCall?: (attempts: number, ok: boolean) => void;
}

/**
 * Archive in S3: one gzip JSON Lines object per batch and zone, under the deterministic key the local adapter
 * uses too, so a retried batch overwrites its objects. The object metadata says what a reader needs
 * (origin, stream, shard, id range, record count) and the standard headers say content type and encoding.
 */
export class S3ArchiveSink implements ArchiveSink {
  constructor(
    private readonly client: S3Client,
    private readonly options: S3ArchiveOptions,
  ) {}

  async put(object: ArchiveObject, write?: WriteOptions): Promise<void> {
    const { 'content-type': contentType, 'content-encoding': contentEncoding, ...metadata } = object.metadata;
    const key = `${this.options.prefix}${object.key}`;
    try {
      const body = await gzipLines(object.lines, this.options.gzipLevel);
      const out = await this.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          ContentEncoding: contentEncoding,
          Metadata: metadata,
          ...(this.options.kmsKeyId !== undefined
            ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.options.kmsKeyId, BucketKeyEnabled: true }
            : { ServerSideEncryption: 'AES256' }),
        }),
        write?.signal !== undefined ? { abortSignal: write.signal } : {},
      );
      this.options.onCall?.(out.$metadata.attempts ?? 1, true);
    } catch (err) {
      this.options.onCall?.(attemptsOf(err), false);
      throw new SinkError(
        'archive',
        `PutObject s3://${this.options.bucket}/${key} failed: ${describeError(err)}`,
        {
          cause: err,
        },
      );
    }
  }
}
