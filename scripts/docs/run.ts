import { mkdtempSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import type { KinesisStreamEvent } from 'aws-lambda';
import S3rver from 's3rver';
import { processKinesisBatch } from '../../src/batch/kinesis';
import { loadConfig } from '../../src/config';
import { createRuntime } from '../../src/runtime';
import { SnsTestServer } from '../../test/support/snsServer';
import {
  blocksOf,
  commandsOf,
  keepLines,
  type PastedCommand,
  type RunBlock,
  renderBody,
  shellText,
} from './markdown';
import { type MaskContext, mask } from './mask';
import {
  ARCHIVE_BUCKET,
  ARCHIVE_PREFIX,
  DOC_PII_KEY,
  DOC_S3_URL,
  DOC_SNS_URL,
  type DocServers,
  kinesisSampleFiles,
  ROOT,
  removeWorkingCopy,
  SETUPS,
  workingCopy,
} from './sessions';
import { runLine, type ShellSession } from './shell';

/** The documents whose pasted outputs are run: the README and every page of docs/. */
export function documentFiles(): string[] {
  return [
    'README.md',
    ...readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => `docs/${f}`),
  ];
}

/** Every `docs:run` block of the documents, in order (cheap: no command runs). */
export function runBlocks(files: readonly string[] = documentFiles()): RunBlock[] {
  return files.flatMap((f) =>
    blocksOf(f, readFileSync(join(ROOT, f), 'utf8')).filter((b): b is RunBlock => b.kind === 'run'),
  );
}

export interface BlockResult {
  readonly block: RunBlock;
  /** The block's body as the run printed it, masked and cut as its `keep=` says. */
  readonly generated: readonly string[];
}

export interface DocsRun {
  readonly results: readonly BlockResult[];
  readonly mask: MaskContext;
}

/** AWS credentials of the local servers (s3rver takes these), for the seeding and the examples' `export` line. */
const LOCAL_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
};

/**
 * Runs the commands of the given blocks (all of them by default), each session in a fresh working copy, and
 * returns what each block would hold. Blocks of one session run in the order given, which is the files' order.
 */
export async function runDocs(blocks: readonly RunBlock[] = runBlocks()): Promise<DocsRun> {
  const workDirs: string[] = [];
  const urls = new Map<string, string>();
  const maskContext: MaskContext = { workDirs, urls };
  const servers = new LocalServers(urls);
  const sessions = new Map<string, ShellSession>();
  const baseEnv = Object.fromEntries(
    Object.entries({
      // This Node.js first: `npm run local` and `npx sls` run on the one the docs are run with.
      PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
      npm_config_cache: process.env.npm_config_cache,
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      LC_ALL: 'C.UTF-8',
      TZ: 'UTC',
    }).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const rewrite = (text: string) => {
    let out = text;
    for (const [actual, shown] of urls) out = out.split(shown).join(actual);
    return out;
  };
  const results: BlockResult[] = [];
  try {
    for (const block of blocks) {
      const key = block.session === undefined ? undefined : `${block.file}#${block.session}`;
      let session = key === undefined ? undefined : sessions.get(key);
      if (session === undefined) {
        const dir = workingCopy();
        workDirs.push(dir, realpathSync(dir));
        const setup = block.session === undefined ? undefined : SETUPS[block.session];
        setup?.files?.(dir);
        for (const server of setup?.servers ?? []) await servers[server]();
        session = { dir, env: {} };
        if (key !== undefined) sessions.set(key, session);
      }
      Object.assign(session.env, block.env);
      const commands: PastedCommand[] = [];
      for (const command of commandsOf(block)) {
        const printed = await runLine(shellText(command), session, { baseEnv, rewrite });
        const output = mask(printed, maskContext).split('\n');
        if (output[output.length - 1] === '') output.pop();
        commands.push({ lines: command.lines, output: keepLines(output, block.keep) });
      }
      results.push({ block, generated: renderBody(commands) });
    }
  } finally {
    await servers.stop();
    for (const dir of new Set(workDirs)) removeWorkingCopy(dir);
  }
  return { results, mask: maskContext };
}

/** The block as the docs hold it, masked as a run's output is: what is compared with {@link BlockResult.generated}. */
export function pastedBody(block: RunBlock, context: MaskContext): string[] {
  return block.body.map((l) => mask(l, context));
}

/**
 * The local servers of the replay examples: an s3rver whose bucket holds, under `prod/`, what the Kinesis
 * handler archived of the bundled Kinesis samples (with {@link DOC_PII_KEY}), and the local SNS endpoint.
 */
class LocalServers implements DocServers {
  private s3Url: Promise<string> | undefined;
  private snsUrl: Promise<string> | undefined;
  private readonly stops: (() => Promise<void>)[] = [];

  constructor(private readonly urls: Map<string, string>) {}

  sns(): Promise<string> {
    this.snsUrl ??= (async () => {
      const server = new SnsTestServer();
      const url = await server.start();
      this.stops.push(() => server.stop());
      this.urls.set(url, DOC_SNS_URL);
      return url;
    })();
    return this.snsUrl;
  }

  s3(): Promise<string> {
    this.s3Url ??= (async () => {
      const directory = mkdtempSync(join(tmpdir(), 'docs-s3rver-'));
      const server = new S3rver({
        port: 0,
        address: '127.0.0.1',
        silent: true,
        directory,
        configureBuckets: [{ name: ARCHIVE_BUCKET }],
      });
      const { port } = await server.run();
      const url = `http://127.0.0.1:${port}`;
      this.stops.push(async () => {
        await server.close();
        removeWorkingCopy(directory);
      });
      this.urls.set(url, DOC_S3_URL);
      await seedArchive(url, await this.sns());
      return url;
    })();
    return this.s3Url;
  }

  async stop(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) await stop();
  }
}

/**
 * Archives the bundled Kinesis samples into `s3://pinpoint-archive/prod/` as the deployed Kinesis function does:
 * its configuration, runtime and batch processing (handlers/kinesis.ts without the Lambda middlewares, which
 * hold their configuration for the life of the module), with the AWS sinks pointed at the local servers.
 */
async function seedArchive(s3Url: string, snsUrl: string): Promise<void> {
  const config = loadConfig({
    SINKS: 'aws',
    ARCHIVE_BUCKET,
    ARCHIVE_PREFIX,
    ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:pinpoint-alerts.fifo',
    AWS_ENDPOINT_URL_S3: s3Url,
    AWS_ENDPOINT_URL_SNS: snsUrl,
    PII_HASH_KEY: DOC_PII_KEY,
    LOG_LEVEL: 'silent',
    METRICS: 'off',
  });
  const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  // The SDK reads credentials and region from the process environment.
  const saved = Object.fromEntries(Object.keys(LOCAL_CREDENTIALS).map((n) => [n, process.env[n]]));
  Object.assign(process.env, LOCAL_CREDENTIALS);
  try {
    const runtime = await createRuntime(config, { logger: quiet });
    for (const file of kinesisSampleFiles()) {
      const event = JSON.parse(readFileSync(file, 'utf8')) as KinesisStreamEvent;
      const result = await processKinesisBatch(event, runtime, () => 60_000);
      if (result.batchItemFailures.length > 0) throw new Error(`docs: the Kinesis path failed on ${file}`);
    }
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
