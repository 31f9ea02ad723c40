import { createHash } from 'node:crypto';
import { fileBatchRef, firehoseBatchRef, kinesisBatchRef } from '../../../src/sinks/batchRef';

/** The batch name as documented: SHA-256 over the prefix and each id followed by a newline, 128 bits in hex. */
const expectedName = (prefix: string, ids: string[]) => {
  const h = createHash('sha256').update(prefix);
  for (const id of ids) h.update(id).update('\n');
  return h.digest('hex').slice(0, 32);
};

const ids = Array.from(
  { length: 500 },
  (_, i) => `49546986683135544286507457936321625675700192471156785154-${i}`,
);
const arrival = Date.UTC(2026, 10, 20, 13, 5);

describe('batch references', () => {
  it('name a Firehose invocation by a hash of its record ids, the same for a retry', () => {
    const ref = firehoseBatchRef(
      'arn:aws:firehose:us-east-1:123456789012:deliverystream/pinpoint',
      ids,
      arrival,
    );
    expect(ref.name).toBe(expectedName('', ids));
    expect(firehoseBatchRef('arn:x/pinpoint', [...ids], arrival + 5000).name).toBe(ref.name);
    expect(firehoseBatchRef('arn:x/pinpoint', ids.slice(1), arrival).name).not.toBe(ref.name);
    expect(ref).toMatchObject({
      origin: 'firehose',
      stream: 'pinpoint',
      count: 500,
      dt: '2026-11-20',
      hour: '13',
    });
  });

  it('name a file batch by the file and its record ids', () => {
    const ref = fileBatchRef('data/events.jsonl', ids.slice(0, 3), arrival);
    expect(ref.name).toBe(expectedName('data/events.jsonl\n', ids.slice(0, 3)));
    expect(fileBatchRef('other.jsonl', ids.slice(0, 3), arrival).name).not.toBe(ref.name);
    expect(ref.stream).toBe('events.jsonl');
  });

  it('name a Kinesis batch by shard and sequence range', () => {
    const ref = kinesisBatchRef(
      'arn:aws:kinesis:us-east-1:123456789012:stream/pinpoint-events',
      'shardId-000000000001',
      ids,
      arrival,
    );
    expect(ref.name).toBe(`shardId-000000000001_${ids[0]}_${ids[499]}`);
    expect(ref.label).toBe(`kinesis:pinpoint-events/shardId-000000000001/${ids[0]}..${ids[499]}`);
  });
});
