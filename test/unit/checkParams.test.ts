import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../src/config';

/**
 * build/checkParams.js, the local plugin that checks `--param` names and values before `sls package`,
 * `sls invoke local` and `sls deploy`: here on the repository's own serverless.yml and infra/*.yml, without
 * osls (test/integration/checkParams.test.ts runs it inside `sls`).
 */

const ROOT = join(__dirname, '..', '..');

interface Spec {
  Feeds: string;
  Parameter?: string;
  File?: string;
  Type?: 'String' | 'Number';
  AllowedValues?: Array<string | number>;
  AllowedPattern?: string;
  MinLength?: number;
  MaxLength?: number;
  MinValue?: number;
  MaxValue?: number;
  ConstraintDescription?: string;
}
interface CheckParams {
  checkParams(input: {
    serviceDir: string;
    params?: Record<string, Record<string, unknown>>;
    cliParams?: string | string[];
    stage?: string;
  }): string[];
  loadParamSpecs(serviceDir: string): {
    params: Record<string, Record<string, unknown>>;
    specs: Map<string, Spec>;
  };
  violations(value: string, spec: Spec): string[];
  nearestName(name: string, known: string[]): string | undefined;
  BUILD_TIME: Record<string, Spec>;
}

const plugin = require(join(ROOT, 'build', 'checkParams.js')) as CheckParams;

const { params, specs } = plugin.loadParamSpecs(ROOT);
const defaults = params.default as Record<string, unknown>;
const check = (
  cliParams: string[],
  extra: { params?: Record<string, Record<string, unknown>>; stage?: string } = {},
) => plugin.checkParams({ serviceDir: ROOT, cliParams, ...extra });

describe('the params of serverless.yml and the parameters they feed', () => {
  it('passes the shipped defaults', () => {
    expect(plugin.checkParams({ serviceDir: ROOT })).toEqual([]);
    expect(check([])).toEqual([]);
  });

  it('knows the constraints of every param: its CloudFormation parameter, or a build-time setting', () => {
    expect(Object.keys(defaults).filter((name) => !specs.has(name))).toEqual([]);
    expect(Object.keys(plugin.BUILD_TIME).filter((name) => !(name in defaults))).toEqual([]);
    // Every parameter of infra/parameters.yml whose default is a param is mapped to that param.
    const raw = readFileSync(join(ROOT, 'infra', 'parameters.yml'), 'utf8');
    const fed = [...raw.matchAll(/^ {2}(\w+):\n(?: {4}.*\n)*? {4}Default: "\$\{param:(\w+)\}"/gm)].map(
      (m) => [m[2], m[1]],
    );
    expect(fed.length).toBeGreaterThan(40);
    for (const [param, parameter] of fed) {
      expect({ param, parameter: specs.get(param as string)?.Parameter }).toEqual({ param, parameter });
    }
    expect(specs.get('sesConfigurationSets')).toMatchObject({
      Parameter: 'SesConfigurationSets',
      File: 'infra/parameters.yml',
      AllowedPattern: '^([A-Za-z0-9_-]{1,64}(,[A-Za-z0-9_-]{1,64}){0,4})?$',
    });
    // YAML escapes read as CloudFormation reads them (one backslash).
    expect(specs.get('archivePrefix')?.AllowedPattern).toBe('^([A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*/)*$');
  });

  it('accepts for piiMode and logLevel exactly the values the functions accept', () => {
    for (const [name, variable] of [
      ['piiMode', 'PII_MODE'],
      ['logLevel', 'LOG_LEVEL'],
    ] as const) {
      const allowed = plugin.BUILD_TIME[name]?.AllowedValues as string[];
      for (const value of allowed) expect(() => loadConfig({ [variable]: value })).not.toThrow();
      // src/config.ts names what it accepts when it refuses a value: the same list.
      let message = '';
      try {
        loadConfig({ [variable]: 'not-a-value' });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/accepted values: /);
      expect(message.replace(/^.*accepted values: /, '').split(', ')).toEqual(allowed);
    }
  });
});

/** The number just outside a bound: a step of the bound's own precision (0.0001 → 0.00009, 10 → 11). */
function beyond(bound: number, direction: 1 | -1): string {
  const decimals = String(bound).split('.')[1]?.length ?? 0;
  const step = decimals === 0 ? 1 : 10 ** -(decimals + 1);
  return String(Number((bound + direction * step).toFixed(decimals + 1)));
}

describe.each([...specs.entries()])('param %s', (name, spec) => {
  const where = spec.Parameter ?? spec.Feeds;
  const problemOf = (value: string) => check([`${name}=${value}`]);

  it('passes with its default', () => {
    expect(plugin.violations(String(defaults[name]), spec)).toEqual([]);
  });

  if (spec.AllowedValues !== undefined) {
    it('passes with each allowed value and fails with any other, naming the nearest', () => {
      for (const allowed of spec.AllowedValues ?? []) expect(problemOf(String(allowed))).toEqual([]);
      const first = String(spec.AllowedValues?.[0]);
      const otherCase = first === first.toLowerCase() ? first.toUpperCase() : first.toLowerCase();
      expect(problemOf(otherCase)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^${name}='${otherCase}' \\(--param, .*${where}\\): not one of .*; did you mean '${first}'\\?`,
          ),
        ),
      ]);
      expect(problemOf(`x${first}`)[0]).toContain('not one of');
    });
  }

  if (spec.AllowedPattern !== undefined) {
    it('fails with a value its pattern refuses: a wildcard, a space', () => {
      for (const bad of ['*', ' x', `${String(defaults[name])}*`]) {
        const problems = problemOf(bad);
        expect(problems).toHaveLength(1);
        expect(problems[0]).toContain(`${name}='${bad}' (--param, `);
        expect(problems[0]).toMatch(/does not match the pattern|comma-separated items|not a number/);
        if (spec.ConstraintDescription !== undefined) expect(problems[0]).toContain('; expected ');
      }
    });
  }

  if (spec.Type === 'Number') {
    it('fails with a value that is not a number', () => {
      for (const bad of ['ten', '1,000', '0x10', '1e3', '--1']) {
        expect(problemOf(bad)[0]).toMatch(
          new RegExp(`^${name}='${bad.replace(/[+*]/g, '\\$&')}' .*not a number`),
        );
      }
    });
  }

  if (spec.MinValue !== undefined) {
    it(`passes at its minimum ${spec.MinValue} and fails below it`, () => {
      expect(problemOf(String(spec.MinValue))).toEqual([]);
      const below = beyond(Number(spec.MinValue), -1);
      expect(problemOf(below)).toEqual([expect.stringContaining(`less than its minimum, ${spec.MinValue}`)]);
    });
  }

  if (spec.MaxValue !== undefined) {
    it(`passes at its maximum ${spec.MaxValue} and fails above it`, () => {
      expect(problemOf(String(spec.MaxValue))).toEqual([]);
      const above = beyond(Number(spec.MaxValue), 1);
      expect(problemOf(above)).toEqual([expect.stringContaining(`more than its maximum, ${spec.MaxValue}`)]);
    });
  }

  if (spec.MaxLength !== undefined) {
    it(`fails with more than ${spec.MaxLength} characters`, () => {
      const long = `${'a/'.repeat(Number(spec.MaxLength))}`;
      expect(problemOf(long)[0]).toContain(`${long.length} characters, at most ${spec.MaxLength}`);
    });
  }

  if (spec.MinLength !== undefined) {
    it(`fails with fewer than ${spec.MinLength} characters`, () => {
      expect(plugin.violations('', spec)).toContain(`0 characters, at least ${spec.MinLength}`);
    });
  }
});

describe('checkParams', () => {
  it('refuses an unknown name and suggests the nearest known one', () => {
    expect(check(['sesConfigurationSet=marketing'])).toEqual([
      "unknown param 'sesConfigurationSet'; did you mean 'sesConfigurationSets'?",
    ]);
    // The CloudFormation parameter's name instead of the param's.
    expect(check(['KinesisBatchSize=100'])).toEqual([
      "unknown param 'KinesisBatchSize'; did you mean 'kinesisBatchSize'?",
    ]);
    expect(check(['alertMail=ops@example.com'])).toEqual([
      "unknown param 'alertMail'; did you mean 'alertEmail'?",
    ]);
    expect(check(['region=eu-west-1'])).toEqual([
      "unknown param 'region'; the params are those of params.default in serverless.yml",
    ]);
  });

  it('counts the names of a comma-separated list against its limit', () => {
    expect(check(['sesConfigurationSets=a,b,c,d,e'])).toEqual([]);
    expect(check(['sesConfigurationSets=a,b,c,d,e,f'])).toEqual([
      "sesConfigurationSets='a,b,c,d,e,f' (--param, CloudFormation parameter SesConfigurationSets): 6 comma-separated items, at most 5; expected empty, or up to 5 SES configuration set names separated by commas (no spaces)",
    ]);
    const role = (n: number) => `arn:aws:iam::123456789012:role/reader-${n}`;
    const roles = (n: number) => Array.from({ length: n }, (_, i) => role(i)).join(',');
    expect(check([`archiveReaderRoleArns=${roles(20)}`])).toEqual([]);
    expect(check([`archiveReaderRoleArns=${roles(21)}`])[0]).toContain(
      '21 comma-separated items, at most 20',
    );
    // Within the limit but malformed: the pattern, not the count.
    expect(check(['sesConfigurationSets=a,,b'])[0]).toContain('does not match the pattern');
  });

  it('reports every problem at once, one line each', () => {
    const problems = check([
      'sesConfigurationSet=marketing',
      'sesConfigurationSets=a,b,c,d,e,f',
      'eventStreamDestination=none',
      'kinesisParallelizationFactor=11',
    ]);
    expect(problems).toEqual([
      "unknown param 'sesConfigurationSet'; did you mean 'sesConfigurationSets'?",
      "eventStreamDestination='none' (--param, CloudFormation parameter EventStreamDestination): not one of Kinesis, Firehose, None; did you mean 'None'?",
      expect.stringMatching(/^sesConfigurationSets='a,b,c,d,e,f' .*6 comma-separated items, at most 5/),
      "kinesisParallelizationFactor='11' (--param, CloudFormation parameter KinesisParallelizationFactor): more than its maximum, 10",
    ]);
    for (const p of problems) expect(p).not.toContain('\n');
  });

  it('takes the value osls takes: --param, else params.<stage>, else params.default', () => {
    const withStage = { ...params, prod: { kinesisBatchSize: 0, alertMail: 'ops@example.com' } };
    expect(check([], { params: withStage, stage: 'prod' })).toEqual([
      "unknown param 'alertMail' (params.prod in serverless.yml); did you mean 'alertEmail'?",
      "kinesisBatchSize='0' (params.prod, CloudFormation parameter KinesisBatchSize): less than its minimum, 1",
    ]);
    // Another stage's block is not this deployment's.
    expect(check([], { params: withStage, stage: 'dev' })).toEqual([]);
    expect(
      check(['kinesisBatchSize=100'], {
        params: { ...params, prod: { kinesisBatchSize: 0 } },
        stage: 'prod',
      }),
    ).toEqual([]);
    // A broken default is reported as the default's.
    expect(check([], { params: { default: { ...defaults, kinesisShardCount: -1 } } })).toEqual([
      "kinesisShardCount='-1' (params.default, CloudFormation parameter KinesisShardCount): less than its minimum, 0",
    ]);
  });

  it('reads --param as osls does: the first = splits, trailing spaces are dropped, a space alone is empty', () => {
    expect(check(['alertEmail=ops@example.com   '])).toEqual([]);
    expect(check(['kinesisStreamArn= '])).toEqual([]);
    expect(check(['archiveBucketName=a=b'])[0]).toContain("archiveBucketName='a=b' (--param");
    expect(check('kinesisParallelizationFactor=11' as unknown as string[])).toHaveLength(1);
  });

  it('checks the build-time settings too', () => {
    expect(
      check(['memorySize=512', 'piiMode=redact', 'logLevel=debug', 'nodeOptions=--enable-source-maps']),
    ).toEqual([]);
    expect(check(['memorySize=64', 'piiMode=clear'])).toEqual([
      "memorySize='64' (--param, the functions' memorySize): less than its minimum, 128; expected whole megabytes, 128 to 10240 (Lambda's limits)",
      "piiMode='clear' (--param, PII_MODE): not one of hash, redact, keep",
    ]);
    expect(check(['memorySize=256.5'])[0]).toContain('does not match the pattern ^[0-9]+$');
  });

  it('suggests only a name near enough to be the one meant', () => {
    const known = Object.keys(defaults);
    expect(plugin.nearestName('sesConfigurationSet', known)).toBe('sesConfigurationSets');
    expect(plugin.nearestName('PIIMODE', known)).toBe('piiMode');
    expect(plugin.nearestName('stage', known)).toBeUndefined();
  });
});

describe('serverless.yml', () => {
  it('lists the plugin first', () => {
    const config = parseYaml(readFileSync(join(ROOT, 'serverless.yml'), 'utf8')) as { plugins: string[] };
    expect(config.plugins[0]).toBe('./build/checkParams');
  });
});
