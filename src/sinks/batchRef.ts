import { createHash } from 'node:crypto';
import { partitionOf } from '../time';

/** Identity of one batch: where it came from and a deterministic name for its archive objects. */
export interface BatchRef {
  origin: 'kinesis' | 'firehose';
  /** Stream or delivery stream name. */
  stream: string;
  shard?: string;
  firstId: string;
  lastId: string;
  count: number;
  /** File-name-safe and the same on every retry of the same batch. */
  name: string;
  /** Partition of the batch: from the first record's arrival in the stream (retries keep it). */
  dt: string;
  hour: string;
  /** A human-readable label for logs and alerts. */
  label: string;
}

/**
 * A Kinesis batch is one shard's records: shard + first and last sequence numbers identify it, and a retry
 * of the same batch (same range) gets the same name.
 */
export function kinesisBatchRef(
  eventSourceArn: string | undefined,
  eventId: string | undefined,
  ids: readonly string[],
  firstArrivalMs: number,
): BatchRef {
  const stream = safe(eventSourceArn?.split('/').pop() ?? 'unknown-stream');
  const shard = safe(eventId?.split(':')[0] ?? 'unknown-shard');
  const firstId = ids[0] ?? '';
  const lastId = ids[ids.length - 1] ?? '';
  const { dt, hour } = partitionOf(firstArrivalMs);
  return {
    origin: 'kinesis',
    stream,
    shard,
    firstId,
    lastId,
    count: ids.length,
    name: `${shard}_${firstId}_${lastId}`,
    dt,
    hour,
    label: `kinesis:${stream}/${shard}/${firstId}..${lastId}`,
  };
}

/**
 * A Firehose invocation is named by a hash of its record ids (a retry resends the same records, possibly
 * under a new invocation id).
 */
export function firehoseBatchRef(
  deliveryStreamArn: string | undefined,
  ids: readonly string[],
  firstArrivalMs: number,
): BatchRef {
  const stream = safe(deliveryStreamArn?.split('/').pop() ?? 'unknown-delivery-stream');
  const hash = createHash('sha256');
  for (const id of ids) hash.update(id).update('\n');
  const { dt, hour } = partitionOf(firstArrivalMs);
  const firstId = ids[0] ?? '';
  const lastId = ids[ids.length - 1] ?? '';
  return {
    origin: 'firehose',
    stream,
    firstId,
    lastId,
    count: ids.length,
    name: hash.digest('hex').slice(0, 32),
    dt,
    hour,
    label: `firehose:${stream}/${ids.length} records`,
  };
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9._=-]/g, '_');
}
