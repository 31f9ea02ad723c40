import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ROOT, sls, slsPackage } from '../helpers/sls';

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

  it('packages both functions offline, one bundle each', async () => {
    const { dir: out, template } = await slsPackage();
    const functions = Object.values(
      template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
    )
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => [r.Properties.Handler, r.Properties.Runtime]);
    expect(functions.sort()).toEqual([
      ['handlers/firehose.handler', 'nodejs22.x'],
      ['handlers/kinesis.handler', 'nodejs22.x'],
    ]);
    expect(
      readdirSync(out)
        .filter((f) => f.endsWith('.zip'))
        .sort(),
    ).toEqual(['firehose.zip', 'kinesis.zip']);
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
    expect(out.records).toHaveLength(33);
    expect(out.records.filter((r) => r.result === 'ProcessingFailed')).toHaveLength(8);
  });
});
