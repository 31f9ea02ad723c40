/**
 * `node --cpu-prof --import tsx bench/profile.ts [batch] [runs]`: our handler in a loop, for profiling. `batch`:
 * firehose6mbRealistic (default), firehose6mbFresh, kinesis6mbRealistic, kinesis6mbFresh or kinesis10k.
 */
import { type BatchName, benchBatches } from './generate';
import { benchRuntime, gzipSinks, oursFirehose, oursKinesis } from './ours';

async function main(): Promise<void> {
  const scenario = (process.argv[2] ?? 'firehose6mbRealistic') as BatchName;
  const runs = Number(process.argv[3] ?? 20);
  const batch = benchBatches()[scenario];
  if (batch === undefined) throw new Error(`unknown batch ${scenario}`);
  const runtime = await benchRuntime(gzipSinks);
  const handler = scenario.startsWith('firehose') ? oursFirehose(runtime) : oursKinesis(runtime);
  const t0 = Date.now();
  for (let i = 0; i < runs; i++) await handler(JSON.parse(batch.text));
  console.log(`${scenario}: ${((Date.now() - t0) / runs).toFixed(1)} ms/run`);
}

main();
