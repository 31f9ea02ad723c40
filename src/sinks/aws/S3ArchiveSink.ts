import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ConfigError, describeError, SinkError } from '../../errors';
import { gzipLines } from '../gzipLines';
import { PII_KEY_FINGERPRINT, withPiiKeyFingerprint } from '../piiKeyMetadata';
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
  onCall?: (attempts: number) => void;
  /**
   * The fingerprint of the PII key the records were hashed with (hash mode; `none` in the other modes), written on
   * normalized objects.
   */
  piiKeyFingerprint?: string;
  /**
   * Before overwriting a normalized object, read its metadata and refuse (a ConfigError, not retried) when it was
   * hashed with another key: `replay` sets this, so that a replay with the wrong key cannot mix two keys' hashes.
   */
  refuseOtherPiiKey?: boolean;
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
    const {
      'content-type': contentType,
      'content-encoding': contentEncoding,
      ...metadata
    } = withPiiKeyFingerprint(object, this.options.piiKeyFingerprint);
    const key = `${this.options.prefix}${object.key}`;
    if (this.options.refuseOtherPiiKey === true && object.zone === 'normalized') {
      await this.refuseOtherKey(key, metadata[PII_KEY_FINGERPRINT], write);
    }
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
      this.options.onCall?.(out.$metadata.attempts ?? 1);
    } catch (err) {
      this.options.onCall?.(attemptsOf(err));
      throw new SinkError(
        'archive',
        `PutObject s3://${this.options.bucket}/${key} failed: ${describeError(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  /** Refuses to overwrite an object whose records were hashed with another PII key than `fingerprint`. */
  private async refuseOtherKey(
    key: string,
    fingerprint: string | undefined,
    write?: WriteOptions,
  ): Promise<void> {
    let existing: string | undefined;
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }),
        write?.signal !== undefined ? { abortSignal: write.signal } : {},
      );
      existing = head.Metadata?.[PII_KEY_FINGERPRINT];
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (err as { name?: string }).name === 'NotFound') return;
      throw new SinkError(
        'archive',
        `HeadObject s3://${this.options.bucket}/${key} failed: ${describeError(err)}`,
        {
          cause: err,
        },
      );
    }
    if (existing !== undefined && existing !== (fingerprint ?? 'none')) {
      throw new ConfigError(
        `s3://${this.options.bucket}/${key} was hashed with another PII key (fingerprint ${existing.slice(0, 32)}); ` +
          `this run's key has fingerprint ${fingerprint ?? 'none (not hash mode)'}: refusing to overwrite it. ` +
          'Replay with the key the stack uses (PII_HASH_KEY_SECRET_ID).',
      );
    }
  }
}
