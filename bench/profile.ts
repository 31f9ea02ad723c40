/** `node --cpu-prof --import tsx bench/profile.ts [firehose6mb|kinesis6mb|kinesis10k] [runs]`: our handler in a loop, for profiling. */
import { benchBatches } from './generate';
import { benchRuntime, gzipSinks, oursFirehose, oursKinesis } from './ours';

async function main(): Promise<void> {
  const scenario = (process.argv[2] ?? 'firehose6mb') as 'firehose6mb' | 'kinesis6mb' | 'kinesis10k';
  const runs = Number(process.argv[3] ?? 20);
  const text = benchBatches()[scenario];
  const runtime = await benchRuntime(gzipSinks);
  const handler = scenario === 'firehose6mb' ? oursFirehose(runtime) : oursKinesis(runtime);
  const t0 = Date.now();
  for (let i = 0; i < runs; i++) await handler(JSON.parse(text));
  console.log(`${scenario}: ${((Date.now() - t0) / runs).toFixed(1)} ms/run`);
}

main();
