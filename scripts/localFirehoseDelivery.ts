/**
 * What the Firehose delivery stream writes after the transformation, done locally for `npm run local`: in
 * Lambda the function returns its records and Firehose itself delivers the `Ok` ones to S3, so a local run of
 * the Firehose handler alone would leave them nowhere. This writes them where the delivery stream would.
 *
 * The layout is the delivery stream's (infra/firehose.yml, checked by test/unit/scripts/runLocal.test.ts):
 * dynamic partitioning on the keys the function returns in `metadata.partitionKeys`, under
 * `firehose/source=<source>/family=<family>/dt=<dt>/hour=<hour>/`, GZIP-compressed objects ending in
 * `.jsonl.gz`, each the concatenated decoded `data` of its records (one JSON line each, as the handler encodes
 * them). The local sinks write no archive prefix, so neither does this.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { writeAtomically } from '../src/sinks/local/writeAtomically';

/** The zone (the first folder) the delivery stream writes to. */
export const FIREHOSE_ZONE = 'firehose';

/** The partition keys of the delivery stream's prefix, in its order. */
export const FIREHOSE_PARTITION_KEYS = ['source', 'family', 'dt', 'hour'] as const;

/** The extension of the delivery stream's objects (`FileExtension`; `CompressionFormat: GZIP`). */
export const FIREHOSE_FILE_EXTENSION = '.jsonl.gz';

type PartitionKeys = Record<(typeof FIREHOSE_PARTITION_KEYS)[number], string>;

/** `firehose/source=ses/family=email/dt=2026-12-07/hour=12/`: the delivery stream's prefix for these keys. */
export function firehosePrefix(keys: PartitionKeys): string {
  return `${FIREHOSE_ZONE}/${FIREHOSE_PARTITION_KEYS.map((k) => `${k}=${keys[k]}`).join('/')}/`;
}

/**
 * Writes the `Ok` records of one Firehose invocation's response as the delivery stream would: decoded from
 * base64, grouped by their partition keys, one gzip object per partition, named after the delivery stream and
 * the invocation (a hash of its records: running the same sample again replaces its objects instead of adding
 * copies). Returns the keys written, relative to `dir`, sorted.
 *
 * @throws Error for an `Ok` record without its four partition keys: Firehose would not deliver it either (it
 *   fails dynamic partitioning), and the handler never returns one.
 */
export async function deliverLikeFirehose(
  dir: string,
  event: FirehoseTransformationEvent,
  result: FirehoseTransformationResult,
): Promise<string[]> {
  const byPrefix = new Map<string, Buffer[]>();
  for (const record of result.records) {
    if (record.result !== 'Ok') continue;
    const keys = record.metadata?.partitionKeys ?? {};
    const missing = FIREHOSE_PARTITION_KEYS.filter((k) => typeof keys[k] !== 'string' || keys[k] === '');
    if (missing.length > 0) {
      throw new Error(
        `record ${record.recordId} is Ok without the partition keys ${missing.join(', ')}: Firehose would not deliver it`,
      );
    }
    const prefix = firehosePrefix(keys as PartitionKeys);
    const chunks = byPrefix.get(prefix) ?? [];
    chunks.push(Buffer.from(record.data ?? '', 'base64'));
    byPrefix.set(prefix, chunks);
  }
  const stream = event.deliveryStreamArn?.split('/').pop() || 'local-delivery-stream';
  // Firehose names each object with the time and a random id; a hash of the invocation (its id and every
  // record's id and data: sample files may share ids) names it here, the same on every run of the same sample.
  const hash = createHash('sha256').update(`${event.invocationId ?? ''}\n`);
  for (const r of event.records) hash.update(`${r.recordId}\n${r.data}\n`);
  const invocation = hash.digest('hex').slice(0, 16);
  const written: string[] = [];
  for (const [prefix, chunks] of byPrefix) {
    const key = `${prefix}${stream}-local-${invocation}${FIREHOSE_FILE_EXTENSION}`;
    const path = join(dir, key);
    await mkdir(dirname(path), { recursive: true });
    await writeAtomically(path, gzipSync(Buffer.concat(chunks)));
    written.push(key);
  }
  return written.sort();
}
