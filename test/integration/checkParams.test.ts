import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, sls, slsPackage } from '../helpers/sls';

/**
 * `sls package` checks every `--param` (build/checkParams.js) before anything is bundled: the deploy mistakes
 * that used to package with exit code 0 now fail at once, with one line per problem.
 */

interface Spec {
  Parameter?: string;
  Feeds: string;
  File?: string;
}
const { loadParamSpecs } = require(join(ROOT, 'build', 'checkParams.js')) as {
  loadParamSpecs(serviceDir: string): { specs: Map<string, Spec> };
};

const TIMEOUT_MS = 60_000;
jest.setTimeout(150_000);

/** `sls package` with these `--param` items into a new folder; the folder is returned with the run. */
async function packageWith(items: string[], command: string[] = ['package']) {
  const out = mkdtempSync(join(tmpdir(), 'sls-params-'));
  const run = await sls(
    [...command, '--package', out, ...items.map((i) => `--param=${i}`)],
    {},
    { timeoutMs: TIMEOUT_MS },
  );
  return { ...run, out };
}

/** Failed on its own, quickly, with `lines` in the error, before the rules were prepared or anything bundled. */
function expectRefused(run: Awaited<ReturnType<typeof packageWith>>, lines: string[]): void {
  expect(run.timedOut).toBe(false);
  expect(run.code).not.toBe(0);
  expect(run.elapsedMs).toBeLessThan(TIMEOUT_MS / 2);
  const header =
    lines.length === 1 ? 'A problem with the params' : `${lines.length} problems with the params`;
  expect(run.output).toContain(`${header} (nothing was built or deployed; docs/deploy.md, "Parameters"):`);
  for (const line of lines) expect(run.output).toContain(`\n  - ${line}\n`);
  // build/deployedRules.js, which runs just before serverless-esbuild bundles, never ran.
  expect(run.output).not.toMatch(/Packaging \d+ rules/);
  expect(existsSync(run.out) ? readdirSync(run.out) : []).toEqual([]);
}

describe('sls package with a --param mistake', () => {
  it('refuses a name that is not a param, and names the nearest one', async () => {
    expectRefused(await packageWith(['sesConfigurationSet=marketing']), [
      "unknown param 'sesConfigurationSet'; did you mean 'sesConfigurationSets'?",
    ]);
  });

  it('refuses six SES configuration sets (at most 5)', async () => {
    expectRefused(await packageWith(['sesConfigurationSets=a,b,c,d,e,f']), [
      "sesConfigurationSets='a,b,c,d,e,f' (--param, CloudFormation parameter SesConfigurationSets): 6 comma-separated items, at most 5; expected empty, or up to 5 SES configuration set names separated by commas (no spaces)",
    ]);
  });

  it('refuses an event stream destination that is not one of the allowed values', async () => {
    expectRefused(await packageWith(['eventStreamDestination=none']), [
      "eventStreamDestination='none' (--param, CloudFormation parameter EventStreamDestination): not one of Kinesis, Firehose, None; did you mean 'None'?",
    ]);
  });

  it('refuses a number above its maximum', async () => {
    expectRefused(await packageWith(['kinesisParallelizationFactor=11']), [
      "kinesisParallelizationFactor='11' (--param, CloudFormation parameter KinesisParallelizationFactor): more than its maximum, 10",
    ]);
  });

  it('reports every mistake at once', async () => {
    expectRefused(
      await packageWith([
        'sesConfigurationSet=marketing',
        'sesConfigurationSets=a,b,c,d,e,f',
        'eventStreamDestination=none',
        'kinesisParallelizationFactor=11',
        'piiMode=clear',
      ]),
      [
        "unknown param 'sesConfigurationSet'; did you mean 'sesConfigurationSets'?",
        "eventStreamDestination='none' (--param, CloudFormation parameter EventStreamDestination): not one of Kinesis, Firehose, None; did you mean 'None'?",
        "sesConfigurationSets='a,b,c,d,e,f' (--param, CloudFormation parameter SesConfigurationSets): 6 comma-separated items, at most 5; expected empty, or up to 5 SES configuration set names separated by commas (no spaces)",
        "kinesisParallelizationFactor='11' (--param, CloudFormation parameter KinesisParallelizationFactor): more than its maximum, 10",
        "piiMode='clear' (--param, PII_MODE): not one of hash, redact, keep",
      ],
    );
  });

  it('refuses them before sls invoke local builds the function too', async () => {
    const run = await sls(
      ['invoke', 'local', '-f', 'kinesis', '-p', 'events/kinesis-mixed.json', '--param=kinesisBatchSize=0'],
      { PWD: ROOT, LOG_LEVEL: 'silent' },
      { timeoutMs: TIMEOUT_MS },
    );
    expect(run.timedOut).toBe(false);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain(
      "  - kinesisBatchSize='0' (--param, CloudFormation parameter KinesisBatchSize): less than its minimum, 1\n",
    );
    expect(run.output).not.toMatch(/Packaging \d+ rules/);
    expect(run.stdout).not.toContain('batchItemFailures');
  });
});

describe('sls package with valid params', () => {
  const VALID = {
    sesConfigurationSets: 'marketing,transactional,alerts,billing,news',
    eventStreamDestination: 'None',
    kinesisParallelizationFactor: '10',
    kinesisShardCount: '2',
    emailBounceRateAlarmThreshold: '0.0001',
    archivePrefix: 'pinpoint/events/',
    alertEmail: 'ops@example.com',
    memorySize: '512',
    piiMode: 'redact',
    // A space alone: empty (osls refuses `name=` with nothing after the `=`).
    createSesConfigurationSet: 'true',
    kinesisStreamKmsKeyArn: ' ',
  };
  let packaged: Awaited<ReturnType<typeof slsPackage>>;
  beforeAll(async () => {
    packaged = await slsPackage(VALID);
  });

  it('packages, with the values as the defaults of the parameters', () => {
    const { template } = packaged;
    expect(template.Parameters.SesConfigurationSets?.Default).toBe(VALID.sesConfigurationSets);
    expect(template.Parameters.EventStreamDestination?.Default).toBe('None');
    expect(template.Parameters.KinesisParallelizationFactor?.Default).toBe('10');
    expect(template.Parameters.ArchivePrefix?.Default).toBe('pinpoint/events/');
    expect(template.Parameters.KinesisStreamKmsKeyArn?.Default).toBe('');
    expect(
      readdirSync(packaged.dir)
        .filter((f) => f.endsWith('.zip'))
        .sort(),
    ).toEqual(['firehose.zip', 'kinesis.zip', 'report.zip']);
  });

  /**
   * The plugin reads the constraints from infra/*.yml with its own YAML reader; CloudFormation gets them from
   * the template osls writes. Both must say the same, for every param that feeds a parameter.
   */
  it('checks each param against the constraints its parameter has in the packaged template', () => {
    const { specs } = loadParamSpecs(ROOT);
    const parameters = packaged.template.Parameters as Record<string, Record<string, unknown>>;
    let compared = 0;
    for (const [name, spec] of specs) {
      const parameter = spec.Parameter;
      if (parameter === undefined) continue;
      const {
        Feeds: _feeds,
        Parameter: _parameter,
        File: _file,
        ...constraints
      } = spec as Spec & Record<string, unknown>;
      const { Default: _default, Description: _description, ...inTemplate } = parameters[parameter] ?? {};
      expect({ name, constraints }).toEqual({ name, constraints: inTemplate });
      compared++;
    }
    expect(compared).toBe(Object.keys(parameters).length);
  });
});
