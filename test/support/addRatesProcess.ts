/**
 * A separate process adding to one local rate counter, as another `sls invoke local` would: argv is the local
 * sink folder, the counter id, how many batches to add in parallel and a prefix for their ids. Prints `ready`
 * when its adds have started (they may wait for the item's lock) and `done` when they are applied.
 */
import { LocalRateStore } from '../../src/sinks/local/LocalRateStore';

async function main(): Promise<void> {
  const [dir, id, count, prefix] = process.argv.slice(2) as [string, string, string, string];
  const store = new LocalRateStore(dir);
  const counter = {
    id,
    rule: 'bounces',
    windowStart: '2026-12-07T10:00:00.000Z',
    windowEnd: '2026-12-07T10:05:00.000Z',
    group: null,
    expiresAt: 1_796_000_000,
  };
  const adding = Promise.all(
    Array.from({ length: Number(count) }, (_, i) =>
      store.add(counter, { delivered: 1 }, { kind: 'batch', batchId: `${prefix}-${i}` }),
    ),
  );
  process.stdout.write('ready\n');
  const results = await adding;
  if (!results.every((r) => r.applied)) throw new Error('an add with a batch id of its own was refused');
  process.stdout.write('done\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
