import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  async function invoke(fn: string, eventFile: string, sinkDir: string): Promise<unknown> {
    const { code, output, stdout } = await sls(['invoke', 'local', '-f', fn, '-p', eventFile], {
      PWD: ROOT,
      LOCAL_SINK_DIR: sinkDir,
      LOG_LEVEL: 'silent',
      PII_HASH_KEY: 'sls-test-key-0123456789',
    });
    if (code !== 0) throw new Error(`sls invoke local failed (${code}):\n${output}`);
    // The handler's result is the pretty-printed JSON document at the end of stdout, after the log lines.
    const start = stdout.search(/^\{$/m);
    return JSON.parse(stdout.slice(start));
  }

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

  it('invokes the kinesis function on the mixed sample batch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sls-'));
    const out = await invoke('kinesis', 'events/kinesis-mixed.json', dir);
    expect(out).toEqual({ batchItemFailures: [] });
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
