/** Child of bench/run.ts: one invocation of a bundled handler on a 6 MB batch, then the peak RSS. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { buildSync } from 'esbuild';
import { benchBatches } from './generate';

async function main(): Promise<void> {
  const scenario = process.argv[2] as 'firehose6mb' | 'kinesis6mb';
  const fn = scenario.startsWith('firehose') ? 'firehose' : 'kinesis';
  const outfile = join(mkdtempSync(join(tmpdir(), 'rss-')), `${fn}.js`);
  buildSync({
    entryPoints: [join(__dirname, '..', 'handlers', `${fn}.ts`)],
    bundle: true,
    platform: 'node',
    target: 'node22',
    external: ['@aws-sdk/*'],
    outfile,
    logLevel: 'error',
  });
  const text = benchBatches()[scenario];
  // What Lambda's runtime holds before calling the handler: the parsed event.
  const event = JSON.parse(text);
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  const { handler } = require(outfile);
  await handler(event, { getRemainingTimeInMillis: () => 300_000 } as unknown as Context);
  const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(JSON.stringify({ maxRssMb, baselineRssMb: Math.round(baseline / 1024 / 1024) }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
