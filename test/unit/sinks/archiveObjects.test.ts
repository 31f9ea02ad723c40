import type { RollupRow } from '../../../src/rates/rollups';
import { planRollupObjects } from '../../../src/sinks/archiveObjects';
import { firehoseBatchRef } from '../../../src/sinks/batchRef';

const ids = Array.from(
  { length: 500 },
  (_, i) => `49546986683135544286507457936321625675700192471156785154-${i}`,
);
const arrival = Date.UTC(2026, 10, 20, 13, 5);

describe('rollups', () => {
  const row = (start: string, outcome: string, count: number): RollupRow => ({
    window_start: start,
    window_end: start,
    rule: 'r',
    outcome,
    count,
  });

  it('write gzip JSON Lines objects under rollups/, one per partition of the window starts', () => {
    const batch = firehoseBatchRef('arn:x/pinpoint', ids, arrival);
    const objects = planRollupObjects(batch, [
      row('2026-11-20T13:00:00.000Z', 'delivered', 5),
      row('2026-11-20T13:00:00.000Z', 'bounced', 1),
      row('2026-11-20T14:00:00.000Z', 'delivered', 2),
    ]);
    expect(objects.map((o) => [o.zone, o.key, o.lines.length])).toEqual([
      ['rollups', `rollups/dt=2026-11-20/hour=13/firehose/pinpoint/${batch.name}.jsonl.gz`, 2],
      ['rollups', `rollups/dt=2026-11-20/hour=14/firehose/pinpoint/${batch.name}.jsonl.gz`, 1],
    ]);
    expect(JSON.parse(objects[0]?.lines[1] ?? '')).toEqual(row('2026-11-20T13:00:00.000Z', 'bounced', 1));
    expect(objects[1]?.metadata).toMatchObject({
      origin: 'firehose',
      'record-count': '1',
      'window-start': '2026-11-20T14:00:00.000Z',
      'content-encoding': 'gzip',
    });
    expect(objects[1]?.metadata).not.toHaveProperty('batch-record-count');
    expect(planRollupObjects(batch, [])).toEqual([]);
  });
});
