import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { projectTempDir, ROOT, removeProjectTempDirs, sls, slsPackage } from '../helpers/sls';
import { readZip } from '../helpers/zip';

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/** The README's `npx sls` commands: osls + serverless-esbuild, offline, on the bundled events. */
describe('serverless (osls)', () => {
  jest.setTimeout(120_000);

  /** The handler's result, and the JSON log lines it wrote before it (none unless `logLevel` is given). */
  async function invokeWithLogs(
    fn: string,
    eventFile: string,
    sinkDir: string,
    logLevel = 'silent',
  ): Promise<{ result: unknown; logs: Array<Record<string, unknown>> }> {
    const { code, output, stdout } = await sls(['invoke', 'local', '-f', fn, '-p', eventFile], {
      PWD: ROOT,
      LOCAL_SINK_DIR: sinkDir,
      LOG_LEVEL: logLevel,
      PII_HASH_KEY: 'sls-test-key-0123456789',
    });
    if (code !== 0) throw new Error(`sls invoke local failed (${code}):\n${output}`);
    // The handler's result is the pretty-printed JSON document at the end of stdout, after the log lines.
    const start = stdout.search(/^\{$/m);
    const logs = stdout
      .slice(0, start)
      .split('\n')
      .filter((line) => line.startsWith('{"level"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    return { result: JSON.parse(stdout.slice(start)), logs };
  }
  const invoke = async (fn: string, eventFile: string, sinkDir: string) =>
    (await invokeWithLogs(fn, eventFile, sinkDir)).result;

  /** One `sls package` for the tests that look at what it writes. */
  let packaged: Awaited<ReturnType<typeof slsPackage>>;
  beforeAll(async () => {
    packaged = await slsPackage();
  }, 120_000);

  it('packages the three functions offline, one bundle each', () => {
    const { dir: out, template } = packaged;
    const functions = Object.values(
      template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
    )
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => [r.Properties.Handler, r.Properties.Runtime]);
    // The daily report's function is in the template under its condition (templateReport.test.ts).
    expect(functions.sort()).toEqual([
      ['handlers/firehose.handler', 'nodejs22.x'],
      ['handlers/kinesis.handler', 'nodejs22.x'],
      ['handlers/report.handler', 'nodejs22.x'],
    ]);
    expect(
      readdirSync(out)
        .filter((f) => f.endsWith('.zip'))
        .sort(),
    ).toEqual(['firehose.zip', 'kinesis.zip', 'report.zip']);
  });

  /**
   * The test servers (s3rver, kinesalite) and everything else npm installs for development only must never reach
   * a function: they are unmaintained and pull packages with known advisories (README, "Dependencies"). Read
   * from the zips themselves: their file list, the modules each bundle was built from (its source map) and the
   * modules it would still require at run time.
   */
  it('ships no devDependency in the function bundles', () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
    };
    const devDependencies = Object.keys(
      (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: object })
        .devDependencies,
    );
    // By name as well as by the lockfile: the test servers and the packages of theirs with advisories, the
    // mocks and the test runner, whatever the lockfile says of them tomorrow.
    const named = new Set([
      ...devDependencies,
      ...['s3rver', 'kinesalite', 'dynalite', 'leveldown', 'levelup', 'dicer', 'busboy', 'fast-xml-parser'],
      ...['aws-sdk-client-mock', 'sinon', 'jest', 'expect', 'fast-check'],
    ]);
    const nameOf = (part: string) =>
      part
        .split('/')
        .slice(0, part.startsWith('@') ? 2 : 1)
        .join('/');
    /** The package-lock entry of a bundled module's path (node_modules/a/node_modules/b/…). */
    const lockEntryOf = (source: string) => {
      const parts = source.slice(source.indexOf('node_modules/')).split('node_modules/').slice(1);
      return parts.map((p) => `node_modules/${nameOf(p)}`).join('/');
    };
    const forbiddenIn = (sources: string[]) =>
      sources
        .filter((s) => s.includes('node_modules/'))
        .map(lockEntryOf)
        .filter((entry, i, all) => all.indexOf(entry) === i)
        .filter((entry) => {
          const locked = lock.packages[entry];
          const name = nameOf(entry.slice(entry.lastIndexOf('node_modules/') + 'node_modules/'.length));
          return (
            locked === undefined || locked.dev === true || locked.devOptional === true || named.has(name)
          );
        });

    const zips = readdirSync(packaged.dir).filter((f) => f.endsWith('.zip'));
    expect(zips.length).toBe(3);
    for (const zip of zips) {
      const fn = zip.replace(/\.zip$/, '');
      const files = readZip(join(packaged.dir, zip));
      // The file list: the handler's bundle and its source map, no node_modules folder.
      expect([...files.keys()].sort()).toEqual([`handlers/${fn}.js`, `handlers/${fn}.js.map`]);
      const bundle = (files.get(`handlers/${fn}.js`) as Buffer).toString('utf8');
      const map = JSON.parse((files.get(`handlers/${fn}.js.map`) as Buffer).toString('utf8')) as {
        sources: string[];
      };
      // What the bundle was built from: our sources and the runtime packages only (the report function's: ours
      // alone, and the chart library's text, inlined as a module of ours: build/esbuild.config.js).
      if (fn !== 'report') {
        expect(map.sources.some((s) => s.includes('node_modules/libphonenumber-js/'))).toBe(true);
      } else {
        expect(map.sources.some((s) => s.endsWith('src/cli/chartLibrary.ts'))).toBe(true);
      }
      expect({ zip, forbidden: forbiddenIn(map.sources) }).toEqual({ zip, forbidden: [] });
      // esbuild's module comments say the same, even without a source map.
      const commented = [...bundle.matchAll(/^\/\/ (node_modules\/\S+)$/gm)].map((m) => m[1] as string);
      if (fn !== 'report') expect(commented.length).toBeGreaterThan(0);
      expect({ zip, forbidden: forbiddenIn(commented) }).toEqual({ zip, forbidden: [] });
      // And nothing left for run time: a require() of a package not bundled would load it from the
      // function's file system, where only the Node.js runtime (and its AWS SDK) is.
      const required = [...bundle.matchAll(/\brequire\(["']([^"'./][^"']*)["']\)/g)].map((m) =>
        nameOf(m[1] as string),
      );
      const external = [...new Set(required)].filter(
        (n) => !n.startsWith('node:') && !n.startsWith('@aws-sdk/'),
      );
      const builtins = new Set(builtinModules);
      expect({ zip, external: external.filter((n) => !builtins.has(n)) }).toEqual({ zip, external: [] });
    }
  });

  it('invokes the kinesis function on the mixed sample batch, with the configured memory in its context', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sls-'));
    const { result: out, logs } = await invokeWithLogs('kinesis', 'events/kinesis-mixed.json', dir, 'info');
    expect(out).toEqual({ batchItemFailures: [] });
    // Powertools logs the context's memoryLimitInMB: serverless.yml's memorySize (osls alone says 1024;
    // build/invokeLocalContext.js), as a string like Lambda's.
    const memorySize = parseYaml(readFileSync(join(ROOT, 'serverless.yml'), 'utf8')).params.default
      .memorySize;
    const withContext = logs.filter((l) => 'function_memory_size' in l);
    expect(withContext.length).toBeGreaterThan(0);
    for (const l of withContext) expect(l.function_memory_size).toBe(String(memorySize));
    expect(String(memorySize)).not.toBe('1024');
    const written = files(dir);
    expect(written.some((f) => f.includes('/raw/'))).toBe(true);
    expect(written.some((f) => f.includes('/quarantine/'))).toBe(true);
  });

  it('invokes the firehose function on the mixed sample batch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sls-'));
    const out = (await invoke('firehose', 'events/firehose-mixed.json', dir)) as {
      records: Array<{ result: string }>;
    };
    expect(out.records).toHaveLength(42);
    expect(out.records.filter((r) => r.result === 'ProcessingFailed')).toHaveLength(8);
  });
});

/**
 * A cold start that fails (a configuration error thrown while the handler module loads) ends `sls invoke local`
 * with the error and a non-zero exit code, at once. It used to print the error and then hang for good:
 * serverless-esbuild's esbuild contexts, disposed only by its `after:invoke:local:invoke` hook, which a failed
 * invocation never reaches, kept the esbuild service process (and with it Node's event loop) alive.
 */
describe('sls invoke local when the cold start fails', () => {
  const TIMEOUT_MS = 60_000;
  jest.setTimeout(TIMEOUT_MS + 30_000);
  afterAll(removeProjectTempDirs);

  async function invokeFailing(fn: string, eventFile: string, env: Record<string, string>) {
    const run = await sls(
      ['invoke', 'local', '-f', fn, '-p', eventFile],
      { PWD: ROOT, LOG_LEVEL: 'silent', PII_HASH_KEY: 'sls-test-key-0123456789', ...env },
      { timeoutMs: TIMEOUT_MS },
    );
    // Not killed at the timeout, and well before it: bundling and loading take seconds.
    expect(run.timedOut ? `still running after ${TIMEOUT_MS} ms:\n${run.output.slice(-800)}` : 'ended').toBe(
      'ended',
    );
    expect(run.elapsedMs).toBeLessThan(TIMEOUT_MS / 2);
    expect(run.code).not.toBe(0);
    return run;
  }

  it('ends with the ConfigError when RULES_FILE is set (the bundle carries its rules)', async () => {
    const bad = join(projectTempDir('cold-start-'), 'rules.yaml');
    writeFileSync(bad, 'version: 1\nrules:\n  - name: no-action\n    match: { source: ses }\n');
    const run = await invokeFailing('kinesis', 'events/kinesis-mixed.json', { RULES_FILE: bad });
    expect(run.output).toContain('ConfigError: RULES_FILE is set, but this bundle carries the rules');
    expect(run.output).toContain('Exception encountered when loading');
  });

  it('ends with the ConfigError when APP_METADATA is set, on the firehose function', async () => {
    const run = await invokeFailing('firehose', 'events/firehose-mixed.json', { APP_METADATA: '{}' });
    expect(run.output).toContain('ConfigError: APP_METADATA is set, but this bundle carries the rules');
  });

  it('ends with the ConfigError of any other invalid setting', async () => {
    const run = await invokeFailing('kinesis', 'events/kinesis-mixed.json', { SINKS: 'cloud' });
    expect(run.output).toContain("ConfigError: SINKS='cloud' is not valid; accepted values: local, aws");
  });
});
