import { createHash } from 'node:crypto';

/**
 * A Kinesis sequence number as a string that sorts like the number: its digit count (3 digits) in front of its
 * digits (`056` + 56 digits). Sequence numbers are decimal strings of up to 128 digits that grow within a shard;
 * compared as plain strings, `9…` would sort after `10…`. Anything else (an envelope without a sequence number)
 * sorts first, as `000`: it never raises a high-water mark past a real record.
 */
export function sequenceKey(sequenceNumber: string): string {
  const n = sequenceNumber.length;
  if (n === 0 || n > 999) return '000';
  for (let i = 0; i < n; i++) {
    const c = sequenceNumber.charCodeAt(i);
    if (c < 48 || c > 57) return '000';
  }
  // Leading zeros would make two spellings of one number; Kinesis writes none, but a hand-made event might.
  let start = 0;
  while (start < n - 1 && sequenceNumber.charCodeAt(start) === 48) start++;
  const digits = sequenceNumber.slice(start);
  return `${String(digits.length).padStart(3, '0')}${digits}`;
}

/**
 * A batch's identity for the rate store's `batch` guard: a hash of where it came from and its record ids in
 * order. A retried batch (the same records: Firehose retries an invocation with its record ids) has the same id.
 */
export function rateBatchId(origin: string, ids: readonly string[]): string {
  const hash = createHash('sha256');
  hash.update(origin);
  for (const id of ids) hash.update(`\u0000${id}`);
  return hash.digest('hex').slice(0, 32);
}
