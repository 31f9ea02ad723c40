import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import type { FirehoseTransformationResult } from 'aws-lambda';
import { EVERY_PROBLEM, EVERY_PROBLEM_RULES } from '../helpers/everyRulesProblem';
import { projectTempDir, ROOT, removeProjectTempDirs, sls, slsPackage } from '../helpers/sls';

/**
 * Rules and app metadata ship with the deployment: `sls package` validates the deployment's rulesFile and
 * appsFile and packages them into both bundles. These tests unzip the artifacts and run the handlers from
 * them, in a plain Node process with the local sinks: what the artifact carries, not what the source says.
 */

const run = promisify(execFile);
const HANDLERS = ['kinesis', 'firehose'] as const;

afterAll(removeProjectTempDirs);
const APP_ID = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6';

const CUSTOM_RULES = `version: 1
disable: [sms-opt-out]
rules:
  - name: field-ses-delivery
    description: SES deliveries, alerted to prove the packaged rules run
    match: { source: ses, event_type: Delivery }
    action: alert
    severity: low
  - name: field-drop-app
    match: { family: app }
    action: drop
analytics:
  campaign_tag: tenant
`;
const CUSTOM_APPS = `${APP_ID}:\n  name: Field Shop\n  environment: prod\n  owner: team-field\n`;

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/** Runs one handler of an unzipped artifact on a bundled event, as Lambda would, in its own Node process. */
async function invokeArtifact(
  dir: string,
  fn: (typeof HANDLERS)[number],
  eventFile: string,
  env: Record<string, string> = {},
): Promise<{ result: unknown; logs: Array<Record<string, unknown>>; sinkDir: string }> {
  const sinkDir = mkdtempSync(join(tmpdir(), 'artifact-sinks-'));
  const driver = join(dir, 'invoke.js');
  writeFileSync(
    driver,
    `const { handler } = require(process.argv[2]);
const event = JSON.parse(require('node:fs').readFileSync(process.argv[3], 'utf8'));
const context = { functionName: 'field', functionVersion: '$LATEST', memoryLimitInMB: '256',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:field', awsRequestId: 'request-1',
  getRemainingTimeInMillis: () => 60000 };
handler(event, context).then((r) => process.stdout.write('RESULT ' + JSON.stringify(r) + '\\n'));
`,
  );
  const { stdout } = await run(
    process.execPath,
    [driver, join(dir, fn, 'handlers', `${fn}.js`), join(ROOT, 'events', eventFile)],
    {
      cwd: join(dir, fn),
      env: {
        PATH: process.env.PATH ?? '',
        SINKS: 'local',
        LOCAL_SINK_DIR: sinkDir,
        PII_HASH_KEY: 'artifact-test-key-0123456789',
        LOG_LEVEL: 'info',
        METRICS: 'off',
        ...env,
      },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const lines = stdout.split('\n');
  const resultLine = lines.find((l) => l.startsWith('RESULT '));
  if (resultLine === undefined) throw new Error(`no result from the ${fn} artifact:\n${stdout}`);
  const logs = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { result: JSON.parse(resultLine.slice('RESULT '.length)), logs, sinkDir };
}

/** The packages a bundle holds, from its source map: `yaml`, `zod`, `@middy/core`… */
function bundledPackages(dir: string, fn: string): Set<string> {
  const map = JSON.parse(readFileSync(join(dir, fn, 'handlers', `${fn}.js.map`), 'utf8')) as {
    sources: string[];
  };
  const packages = new Set<string>();
  for (const source of map.sources) {
    const at = source.lastIndexOf('node_modules/');
    if (at < 0) continue;
    const parts = source.slice(at + 'node_modules/'.length).split('/');
    packages.add(parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string));
  }
  return packages;
}

describe('rules and app metadata packaged into the bundles', () => {
  jest.setTimeout(180_000);

  let dir: string;
  let output: string;
  let environment: Record<string, Record<string, unknown>>;
  let expected: { rulesSha256: string; appsSha256: string; rules: Array<{ name: string }> };

  beforeAll(async () => {
    const inputs = projectTempDir('field-rules-');
    writeFileSync(join(inputs, 'rules.yaml'), CUSTOM_RULES);
    writeFileSync(join(inputs, 'apps.yaml'), CUSTOM_APPS);
    const packaged = await slsPackage({
      rulesFile: join(inputs, 'rules.yaml'),
      appsFile: join(inputs, 'apps.yaml'),
    });
    dir = packaged.dir;
    output = packaged.output;
    environment = {};
    for (const fn of HANDLERS) {
      const id = `${fn[0]?.toUpperCase()}${fn.slice(1)}LambdaFunction`;
      const props = packaged.template.Resources[id]?.Properties as {
        Environment: { Variables: Record<string, unknown> };
      };
      environment[fn] = props.Environment.Variables;
      mkdirSync(join(dir, fn));
      await run('unzip', ['-q', join(dir, `${fn}.zip`), '-d', join(dir, fn)]);
    }
    // The same validator the plugin runs, on the same files: what the template and the bundles must carry.
    const { prepareDeployedRules } = require(join(ROOT, 'build', 'deployedRules.js'));
    expected = prepareDeployedRules({
      serviceDir: ROOT,
      rulesFile: join(inputs, 'rules.yaml'),
      appsFile: join(inputs, 'apps.yaml'),
    });
  });

  it('says which rules it packages', () => {
    expect(output).toContain(`sha256 ${expected.rulesSha256}`);
    expect(expected.rules.map((r) => r.name)).toEqual(
      expect.arrayContaining(['field-ses-delivery', 'field-drop-app', 'email-hard-bounce']),
    );
    expect(expected.rules.map((r) => r.name)).not.toContain('sms-opt-out');
  });

  it.each(HANDLERS)('names the hashes on the %s function in the template', (fn) => {
    expect(environment[fn]).toMatchObject({
      RULES_SHA256: expected.rulesSha256,
      APP_METADATA_SHA256: expected.appsSha256,
    });
    expect(expected.rulesSha256).toMatch(/^[0-9a-f]{12}$/);
  });

  it.each(HANDLERS)('leaves the YAML parser and zod out of the %s bundle', (fn) => {
    const packages = bundledPackages(dir, fn);
    expect(packages.has('@middy/core')).toBe(true);
    expect(packages.has('yaml')).toBe(false);
    expect(packages.has('zod')).toBe(false);
    const code = readFileSync(join(dir, fn, 'handlers', `${fn}.js`), 'utf8');
    expect(code).toContain('field-drop-app');
  });

  it('runs the packaged rules in the kinesis artifact: the custom alert fires, the drop rule drops', async () => {
    const { result, logs, sinkDir } = await invokeArtifact(dir, 'kinesis', 'kinesis-mixed.json');
    expect(result).toEqual({ batchItemFailures: [] });
    const routing = logs.filter((l) => l.message === 'routing configuration');
    expect(routing).toHaveLength(1);
    expect(routing[0]).toMatchObject({
      rulesSha256: expected.rulesSha256,
      appMetadataSha256: expected.appsSha256,
      packaged: true,
    });
    const alerts = files(join(sinkDir, 'alerts')).flatMap((f) =>
      readFileSync(f, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { rule: string; count: number }),
    );
    // Bare, through EventBridge and through SNS.
    expect(alerts.find((a) => a.rule === 'field-ses-delivery')?.count).toBe(3);
    const processed = logs.find((l) => l.message === 'kinesis batch processed') as { dropped: number };
    expect(processed.dropped).toBeGreaterThan(0);
    // The packaged campaign tag: the analytics rows name SES mail by its `tenant` tag, not its `campaign` tag.
    expect(routing[0]).toMatchObject({ campaignTag: 'tenant' });
    const campaigns = new Set(
      files(join(sinkDir, 'analytics'))
        .filter((f) => f.endsWith('.jsonl.gz'))
        .flatMap((f) => gunzipSync(readFileSync(f)).toString('utf8').trim().split('\n'))
        .map((l) => JSON.parse(l) as { source?: string; campaign?: string })
        .filter((r) => r.source === 'ses')
        .map((r) => r.campaign),
    );
    expect(campaigns).toContain('eu-store');
    expect(campaigns).not.toContain('shipping-notice');
  });

  it('runs the packaged rules and app metadata in the firehose artifact', async () => {
    const { result, logs } = await invokeArtifact(dir, 'firehose', 'firehose-mixed.json');
    const records = (result as FirehoseTransformationResult).records;
    const decoded = records
      .filter((r) => r.result === 'Ok')
      .map(
        (r) => JSON.parse(Buffer.from(r.data ?? '', 'base64').toString('utf8')) as Record<string, unknown>,
      );
    // The three app events are dropped by field-drop-app (the shipped rules drop nothing)…
    expect(records.filter((r) => r.result === 'Dropped')).toHaveLength(3);
    expect(decoded.some((r) => r.family === 'app')).toBe(false);
    // …and the app metadata file names the app.
    const named = decoded.filter((r) => r.app_id === APP_ID);
    expect(named.length).toBeGreaterThan(0);
    for (const r of named) expect(r).toMatchObject({ app_name: 'Field Shop', app_environment: 'prod' });
    expect(logs.find((l) => l.message === 'routing configuration')).toMatchObject({
      rulesSha256: expected.rulesSha256,
    });
  });

  it('refuses RULES_FILE at cold start: the packaged rules are the ones that run', async () => {
    await expect(
      invokeArtifact(dir, 'kinesis', 'kinesis-mixed.json', { RULES_FILE: join(ROOT, 'rules.example.yaml') }),
    ).rejects.toThrow(/RULES_FILE is set, but this bundle carries the rules/);
  });
});

describe('sls package with an invalid rules or app metadata file', () => {
  jest.setTimeout(120_000);

  it('fails before bundling, naming the file, the rule and the key', async () => {
    const inputs = projectTempDir('field-bad-');
    const bad = join(inputs, 'bad-rules.yaml');
    writeFileSync(
      bad,
      'version: 1\nrules:\n  - name: vip-bounces\n    match: { bounce_typ: permanent }\n    action: alert\n',
    );
    const out = mkdtempSync(join(tmpdir(), 'sls-bad-'));
    const result = await sls(['package', '--package', out, `--param=rulesFile=${bad}`]);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(`${bad} is invalid`);
    expect(result.output).toContain("rule 'vip-bounces' (rules[0]): match.bounce_typ: unknown key");
    expect(result.output).toContain(
      "rule 'vip-bounces' (rules[0]): severity: an alert rule needs a severity",
    );
    expect(readdirSync(out).filter((f) => f.endsWith('.zip') || f.endsWith('.json'))).toEqual([]);
  });

  it('reports every problem of the file at once, each with its rule, globs in keys that take none included', async () => {
    const inputs = projectTempDir('field-every-');
    const bad = join(inputs, 'rules.yaml');
    writeFileSync(bad, EVERY_PROBLEM_RULES);
    const result = await sls(['package', '--package', join(inputs, 'out'), `--param=rulesFile=${bad}`]);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(`${bad} is invalid:`);
    const lines = result.output.split('\n').map((l) => l.trim().replace(/^- /, ''));
    for (const problem of EVERY_PROBLEM) {
      expect({
        problem,
        found: lines.some((l) => (typeof problem === 'string' ? l === problem : problem.test(l))),
      }).toEqual({
        problem,
        found: true,
      });
    }
  });

  it('fails on app metadata with an unknown key, and on a file that does not exist', async () => {
    const inputs = projectTempDir('field-bad-');
    const apps = join(inputs, 'apps.yaml');
    writeFileSync(apps, `${APP_ID}:\n  nmae: Shop\n`);
    const badApps = await sls(['package', '--package', join(inputs, 'out1'), `--param=appsFile=${apps}`]);
    expect(badApps.code).not.toBe(0);
    expect(badApps.output).toContain(`appsFile '${apps}' is invalid at '${APP_ID}'`);
    const missing = await sls([
      'package',
      '--package',
      join(inputs, 'out2'),
      '--param=rulesFile=no/such/rules.yaml',
    ]);
    expect(missing.code).not.toBe(0);
    expect(missing.output).toContain("rulesFile 'no/such/rules.yaml': cannot read");
  });

  it('refuses a file outside the service directory, directly or through a symbolic link, without reading it', async () => {
    // A credentials file given by mistake (or by a parameter someone else controls): never read, never echoed.
    const outside = mkdtempSync(join(tmpdir(), 'field-outside-'));
    const credentials = join(outside, 'credentials');
    writeFileSync(credentials, '[default]\naws_access_key_id = AKIAEXAMPLEKEY1234567\n');
    const inputs = projectTempDir('field-link-');
    const link = join(inputs, 'rules.yaml');
    symlinkSync(credentials, link);
    for (const [param, file] of [
      ['rulesFile', credentials],
      ['appsFile', link],
      ['rulesFile', `../../../../../../../../../../../..${credentials}`],
    ] as const) {
      const result = await sls([
        'package',
        '--package',
        join(inputs, `out-${param}`),
        `--param=${param}=${file}`,
      ]);
      expect(result.code).not.toBe(0);
      expect(result.output).toContain(`${param} '${file}' is outside the service directory`);
      expect(result.output).not.toContain('AKIAEXAMPLEKEY');
    }
  });

  it('reports a YAML error by line and column without printing the file', async () => {
    const inputs = projectTempDir('field-yaml-');
    const bad = join(inputs, 'rules.yaml');
    writeFileSync(bad, 'version: 1\nrules:\n  - name: "secret-token-value-123\n    action: drop\n');
    const result = await sls(['package', '--package', join(inputs, 'out'), `--param=rulesFile=${bad}`]);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/not valid YAML\/JSON at line \d+, column \d+/);
    expect(result.output).not.toContain('secret-token-value-123');
  });
});
