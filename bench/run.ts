/**
 * The benchmark: `npm run bench` (or `npm run bench -- --quick` for a smoke run).
 *
 * In one process, interleaved, after warm-up, median of several runs: the floor (base64 decode + JSON.parse +
 * JSON.stringify + base64 encode per record), our handlers with sinks that do no I/O (and, for Kinesis, with
 * gzip of every archive object as the S3 adapter does), a Powertools batch + parser baseline and a middy +
 * event-normalizer baseline doing the same normalization. Then, in fresh processes: peak RSS of one 6 MB
 * invocation, bundle sizes and require time over bare Node. Prints a table and writes bench/results/latest.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { middyFirehose, middyKinesis } from './baselines/middy';
import { powertoolsFirehose, powertoolsKinesis } from './baselines/powertools';
import { floorFirehose, floorKinesis } from './floor';
import { benchBatches } from './generate';
import { benchRuntime, gzipSinks, noopSinks, oursFirehose, oursKinesis } from './ours';

const quick = process.argv.includes('--quick');
/** `--only <text>`: just the scenarios whose name contains it, and no cold-start/RSS section (for profiling work). */
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const WARMUP = quick ? 1 : 3;
const RUNS = quick ? 1 : 9;
// Run from the repository root (npm run bench). The benchmark runs as an esbuild bundle, like the deployed
// handlers: under tsx every cross-module call goes through an export getter (about 5% of the normalizer's
// profile), which the production bundle does not have.
const ROOT = process.cwd();
const RESULTS = join(ROOT, 'bench', 'results');

// biome-ignore lint/suspicious/noExplicitAny: each implementation takes its own event type
type Impl = (event: any) => Promise<unknown>;

interface Row {
  scenario: string;
  impl: string;
  records: number;
  payloadBytes: number;
  medianMs: number;
  minMs: number;
  recordsPerSec: number;
  mbPerSec: number;
  usPerRecord: number;
  vsFloor: number;
  vsPowertools?: number;
  vsMiddy?: number;
  outcome: string;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function describeOutcome(out: unknown): string {
  const o = out as { records?: Array<{ result: string }>; batchItemFailures?: unknown[] };
  if (o.records !== undefined) {
    const counts: Record<string, number> = {};
    for (const r of o.records) counts[r.result] = (counts[r.result] ?? 0) + 1;
    return Object.entries(counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  }
  return `batchItemFailures ${o.batchItemFailures?.length ?? '?'}`;
}

async function measure(scenario: string, text: string, impls: Record<string, Impl>): Promise<Row[]> {
  const event = JSON.parse(text);
  const records: Array<{ data?: string; kinesis?: { data: string } }> = event.records ?? event.Records;
  const payloadBytes = records.reduce(
    (n, r) => n + Buffer.byteLength(r.data ?? r.kinesis?.data ?? '', 'base64'),
    0,
  );
  const names = Object.keys(impls);
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const outcomes: Record<string, string> = {};
  for (let round = 0; round < WARMUP + RUNS; round++) {
    // Rotate the order each round so no implementation always runs first (or right after a big GC).
    const order = names.map((_, i) => names[(i + round) % names.length] as string);
    for (const name of order) {
      const copy = JSON.parse(text); // each run gets its own event, as from Lambda's runtime (not timed)
      gc();
      const t0 = process.hrtime.bigint();
      const out = await (impls[name] as Impl)(copy);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (round >= WARMUP) times[name]?.push(ms);
      outcomes[name] = describeOutcome(out);
    }
  }
  const med = Object.fromEntries(names.map((n) => [n, median(times[n] as number[])]));
  const floor = med.floor as number;
  return names.map((impl) => {
    const ms = med[impl] as number;
    const row: Row = {
      scenario,
      impl,
      records: records.length,
      payloadBytes,
      medianMs: round2(ms),
      minMs: round2(Math.min(...(times[impl] as number[]))),
      recordsPerSec: Math.round((records.length / ms) * 1000),
      mbPerSec: round2(payloadBytes / 1e6 / (ms / 1000)),
      usPerRecord: round2((ms * 1000) / records.length),
      vsFloor: round2(ms / floor),
      outcome: outcomes[impl] as string,
    };
    if (med.powertools !== undefined) row.vsPowertools = round2(ms / med.powertools);
    if (med.middy !== undefined) row.vsMiddy = round2(ms / med.middy);
    return row;
  });
}

const round2 = (n: number) => Math.round(n * 100) / 100;

function printRows(rows: Row[]): void {
  const header = [
    'scenario',
    'impl',
    'records',
    'ms',
    'records/s',
    'MB/s',
    'µs/record',
    '×floor',
    '×powertools',
    '×middy',
  ];
  const lines = rows.map((r) => [
    r.scenario,
    r.impl,
    String(r.records),
    r.medianMs.toFixed(1),
    String(r.recordsPerSec),
    r.mbPerSec.toFixed(1),
    r.usPerRecord.toFixed(1),
    r.vsFloor.toFixed(2),
    r.vsPowertools?.toFixed(2) ?? '',
    r.vsMiddy?.toFixed(2) ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  console.log(fmt(header));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const l of lines) console.log(fmt(l));
}

/** Bundles a handler as serverless.yml does (esbuild, node22, AWS SDK external) and reports size and load time. */
function coldStart(): Array<{
  fn: string;
  bundleBytes: number;
  requireMs: number;
  bareNodeMs: number;
  overBareMs: number;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-bundle-'));
  const time = (args: string[]) => {
    const runs: number[] = [];
    for (let i = 0; i < (quick ? 3 : 15); i++) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, args, {
        env: { ...process.env, LOG_LEVEL: 'silent', PII_HASH_KEY: 'x'.repeat(20) },
      });
      if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
      runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return median(runs);
  };
  const bare = time(['-e', '0']);
  return ['kinesis', 'firehose'].map((fn) => {
    const outfile = bundle(fn, dir);
    const requireMs = time(['-e', `require(${JSON.stringify(outfile)})`]);
    return {
      fn,
      bundleBytes: statSync(outfile).size,
      requireMs: round2(requireMs),
      bareNodeMs: round2(bare),
      overBareMs: round2(requireMs - bare),
    };
  });
}

/** Bundles a handler exactly as serverless.yml does. */
function bundle(fn: string, dir: string): string {
  const outfile = join(dir, `${fn}.js`);
  buildSync({
    entryPoints: [join(ROOT, 'handlers', `${fn}.ts`)],
    bundle: true,
    platform: 'node',
    target: 'node22',
    external: ['@aws-sdk/*'],
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

/**
 * The V8 heap limits Lambda's Node.js bootstrap passes for a function's memory size unless NODE_OPTIONS sets
 * its own: new space 5% of the memory (the comment in a published copy of the nodejs20.x /var/runtime/bootstrap),
 * split in two semi-spaces, old space the rest (as older bootstraps compute it). Not checked on Lambda itself.
 */
function lambdaHeapFlags(memoryMb: number): string[] {
  const newSpace = Math.floor((memoryMb * 5) / 100);
  return [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMb - newSpace}`];
}

const LAMBDA_MEMORY_MB = 128;

interface RssRow {
  scenario: string;
  /** `lambda-128`: with the heap flags Lambda uses at 128 MB; `node-defaults`: plain `node`. */
  flags: string;
  maxRssMb: number;
  beforeHandlerMb: number;
}

/** Peak RSS of one 6 MB invocation in a fresh plain-Node process, with the bundled handler and local sinks. */
function peakRss(batches: Record<string, string>): RssRow[] {
  const dir = mkdtempSync(join(tmpdir(), 'bench-rss-'));
  const rows: RssRow[] = [];
  for (const scenario of ['firehose6mb', 'kinesis6mb'] as const) {
    const eventFile = join(dir, `${scenario}.json`);
    writeFileSync(eventFile, batches[scenario] as string);
    const fn = scenario.startsWith('firehose') ? 'firehose' : 'kinesis';
    const code = bundle(fn, dir);
    for (const [flags, nodeFlags] of [
      [`lambda-${LAMBDA_MEMORY_MB}`, lambdaHeapFlags(LAMBDA_MEMORY_MB)],
      ['node-defaults', []],
    ] as const) {
      const r = spawnSync(
        process.execPath,
        [...nodeFlags, join(ROOT, 'bench', 'rssChild.cjs'), code, eventFile],
        {
          env: {
            ...process.env,
            LOCAL_SINK_DIR: join(dir, 'out'),
            LOG_LEVEL: 'silent',
            PII_HASH_KEY: 'x'.repeat(20),
          },
          encoding: 'utf8',
        },
      );
      if (r.status !== 0) throw new Error(`rss child failed: ${r.stderr}`);
      rows.push({ scenario, flags, ...JSON.parse(r.stdout.trim().split('\n').pop() as string) });
    }
  }
  return rows;
}

async function main(): Promise<void> {
  // The Powertools baseline's base64 transformer throws an uncaught TypeError on a bad-base64 record (after
  // reporting it as a batch item failure); in Lambda that would crash the runtime. Counted, not fatal here.
  let uncaught = 0;
  process.on('uncaughtException', (err) => {
    uncaught++;
    if (uncaught === 1) console.error(`note: uncaught exception from a baseline: ${err.message}`);
  });
  const t0 = Date.now();
  const batches = benchBatches();
  const plain = await benchRuntime(noopSinks);
  const gzip = await benchRuntime(gzipSinks);
  const s = plain.settings;
  const rows: Row[] = [];
  const wanted = (name: string) => only === undefined || name.includes(only);
  if (wanted('firehose 6 MB')) {
    rows.push(
      ...(await measure('firehose 6 MB', batches.firehose6mb, {
        floor: floorFirehose,
        ours: oursFirehose(plain),
        powertools: powertoolsFirehose(s),
        middy: middyFirehose(s),
      })),
    );
  }
  for (const [name, text] of [
    ['kinesis 6 MB', batches.kinesis6mb],
    ['kinesis 10k small', batches.kinesis10k],
  ] as const) {
    if (!wanted(name)) continue;
    rows.push(
      ...(await measure(name, text, {
        floor: floorKinesis,
        ours: oursKinesis(plain),
        'ours+gzip': oursKinesis(gzip),
        powertools: powertoolsKinesis(s),
        middy: middyKinesis(s),
      })),
    );
  }
  printRows(rows);
  if (only !== undefined) return;
  const cold = coldStart();
  console.log('\nbundles (esbuild as in serverless.yml; require time in a fresh process, median):');
  for (const c of cold) {
    console.log(
      `  ${c.fn}: ${(c.bundleBytes / 1024).toFixed(0)} KiB, require ${c.requireMs} ms, bare node ${c.bareNodeMs} ms → +${c.overBareMs} ms`,
    );
  }
  const rss = peakRss(batches);
  console.log('\npeak RSS of one invocation (fresh process, bundled handler):');
  for (const r of rss) {
    console.log(
      `  ${r.scenario} (${r.flags}): ${r.maxRssMb} MB (after reading and parsing the event: ${r.beforeHandlerMb} MB)`,
    );
  }

  mkdirSync(RESULTS, { recursive: true });
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    warmup: WARMUP,
    runs: RUNS,
    rows,
    coldStart: cold,
    peakRss: rss,
    uncaughtExceptionsFromBaselines: uncaught,
    seconds: Math.round((Date.now() - t0) / 1000),
  };
  writeFileSync(join(RESULTS, quick ? 'quick.json' : 'latest.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nwritten: bench/results/${quick ? 'quick' : 'latest'}.json (${out.seconds} s)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
