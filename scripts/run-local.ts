/**
 * Runs the main job locally on the bundled sample events: every events/kinesis-*.json through the Kinesis
 * handler and every events/firehose-*.json through the Firehose handler, in this process, with the local
 * sinks (archive, quarantine and alerts under LOCAL_SINK_DIR, default .local/). No AWS account, no network.
 *
 *   npm run local            # all sample events
 *   npm run local -- events/kinesis-email.json
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Context, FirehoseTransformationResult, KinesisStreamBatchResponse } from 'aws-lambda';

process.env.LOG_LEVEL ??= 'warn';

const context = {
  functionName: 'local',
  awsRequestId: 'local',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

async function main(): Promise<void> {
  const { handler: kinesis } = await import('../handlers/kinesis');
  const { handler: firehose } = await import('../handlers/firehose');
  const args = process.argv.slice(2);
  const files =
    args.length > 0
      ? args
      : readdirSync('events')
          .filter((f) => /^(kinesis|firehose)-.*\.json$/.test(f))
          .sort()
          .map((f) => join('events', f));

  const rows: string[][] = [['event file', 'records', 'result']];
  for (const file of files) {
    const event = JSON.parse(readFileSync(file, 'utf8'));
    if (basename(file).startsWith('firehose')) {
      const out = (await firehose(event, context)) as FirehoseTransformationResult;
      const counts: Record<string, number> = {};
      for (const r of out.records) counts[r.result] = (counts[r.result] ?? 0) + 1;
      rows.push([
        file,
        String(event.records.length),
        Object.entries(counts)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
      ]);
    } else {
      const out = (await kinesis(event, context)) as KinesisStreamBatchResponse;
      rows.push([file, String(event.Records.length), `batchItemFailures ${out.batchItemFailures.length}`]);
    }
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
  // Every zone the run wrote, as it is on disk: raw/, normalized/, quarantine/, alerts/, analytics/, rollups/, rates/ (the rate
  // counters: several local runs add up there, the same batch counts once).
  const out = process.env.LOCAL_SINK_DIR ?? '.local';
  const zones = existsSync(out)
    ? readdirSync(out)
        .filter((z) => !z.startsWith('.'))
        .sort()
    : [];
  console.log(`\nOutput under ${out}/: ${zones.map((z) => `${z}/`).join(', ')}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
  process.exit(1);
});
