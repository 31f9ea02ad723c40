import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { processFirehoseBatch } from '../../src/batch/firehose';
import { processKinesisBatch } from '../../src/batch/kinesis';
import { FIELD_POLICY } from '../../src/pii/fieldPolicy';
import { prepareRoutingConfig } from '../../src/rules/loadRoutingConfig';
import { FAMILIES, SOURCES } from '../../src/schema';
import {
  actionsOf,
  allowedOn,
  asList,
  collectStatements,
  holderRoles,
  iamMatches,
  isDataPlane,
  isObject,
  type Json,
  type JsonObject,
  leafStrings,
  type Parameter,
  PSEUDO,
  placeholder,
  type Resolved,
  type Resource,
  render,
  resolve,
  resourcesOf,
  roleStatements,
  type Statement,
  type Template,
} from '../helpers/cfnTemplate';
import { firehoseEvent, kinesisEvent, testRuntime } from '../helpers/runtime';
import { slsPackage } from '../helpers/sls';

/**
 * The deployable stack, as CloudFormation sees it: `sls package` runs offline (no AWS credentials), and these
 * tests read the template it writes. Conditions are evaluated by a small resolver (test/helpers/cfnTemplate.ts), so each deployment
 * choice (Kinesis or Firehose destination, existing app / stream / bucket / secret) is checked on the
 * resources it would really create.
 */

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

let template: Template;
/** The template that creates the stack and its deployment bucket on the first deploy (before the update). */
let createTemplate: Template;
let packageOutput: string;

beforeAll(async () => {
  const packaged = await slsPackage();
  packageOutput = packaged.output;
  template = packaged.template as unknown as Template;
  createTemplate = JSON.parse(
    readFileSync(join(packaged.dir, 'cloudformation-template-create-stack.json'), 'utf8'),
  ) as Template;
}, 120_000);

// The deployment choices the tests resolve the template for.
const EXISTING = {
  PinpointAppId: 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6',
  EventStreamDestination: 'Firehose',
  KinesisStreamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/existing-events',
  KinesisStreamKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555',
  ArchiveBucketName: 'existing-archive',
  ArchiveKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/66666666-7777-8888-9999-000000000000',
  ArchivePrefix: 'pinpoint/',
  PiiHashKeySecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:pii-hash-key-AbCdEf',
  AlertEmail: 'ops@example.com',
  KinesisShardCount: '4',
};
const SCENARIOS: Record<string, Record<string, string>> = {
  defaults: {},
  firehose: { EventStreamDestination: 'Firehose' },
  none: { EventStreamDestination: 'None' },
  existing: EXISTING,
  'existing, kinesis': { ...EXISTING, EventStreamDestination: 'Kinesis' },
  'existing, no keys': {
    ...EXISTING,
    EventStreamDestination: 'Kinesis',
    KinesisStreamKmsKeyArn: '',
    ArchiveKmsKeyArn: '',
  },
  'SES to Firehose, SMS set': {
    SesConfigurationSets: 'marketing,transactional',
    CreateSesConfigurationSet: 'true',
    CreateSmsConfigurationSet: 'true',
  },
  'SES through EventBridge, existing stream, no Pinpoint': {
    ...EXISTING,
    EventStreamDestination: 'None',
    SesConfigurationSets: 'marketing',
    SesEventsVia: 'EventBridge',
  },
  'customer-managed log key': {
    LogsKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  },
  'reserved concurrency': { KinesisReservedConcurrency: '20', FirehoseReservedConcurrency: '5' },
  'daily report': { DailyReport: 'true' },
  'daily report, existing bucket': { ...EXISTING, DailyReport: 'true' },
  'daily report, every configuration set': {
    DailyReport: 'true',
    CreateSesConfigurationSet: 'true',
    SesConfigurationSets: 'marketing,transactional,otp,news,alerts',
    CreateSmsConfigurationSet: 'true',
    LogsKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  },
  'lifecycle off': {
    RawInfrequentAccessDays: '0',
    RawGlacierDays: '0',
    RawExpirationDays: '0',
    FirehoseErrorsExpirationDays: '0',
    QuarantineExpirationDays: '0',
    NoncurrentVersionExpirationDays: '0',
    AthenaResultsExpirationDays: '0',
    ReportsExpirationDays: '0',
    ArchiveVersioning: 'Suspended',
  },
};

const KEY_IDS = ['StreamKey', 'ArchiveKey', 'PiiKey', 'AlertsKey'];

// ---------------------------------------------------------------------------------------------------------

describe('sls package (offline)', () => {
  it('packages without warnings or deprecations', () => {
    expect(packageOutput).toContain('Service packaged');
    expect(packageOutput).not.toMatch(/warn|deprecat/i);
  });

  it('passes cfn-lint (errors and warnings; known false positives listed)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'cfn-lint-'));
    const file = join(out, 'template.json');
    writeFileSync(file, JSON.stringify(template));
    const createFile = join(out, 'create-stack.json');
    writeFileSync(createFile, JSON.stringify(createTemplate));
    // W1030: a parameter that may be empty, used only under a condition that says it is not (cfn-lint does
    // not follow that). W3005: osls adds DependsOn on the function's role. W3696: Pinpoint's end of support
    // (docs/deploy.md).
    const result = await run('cfn-lint', [
      file,
      createFile,
      '--ignore-checks',
      'W1030',
      'W3005',
      'W3696',
    ]).then(
      () => ({ code: 0, output: '' }),
      (err: { code?: number | string; stdout?: string }) => ({ code: err.code, output: err.stdout ?? '' }),
    );
    if (result.code === 'ENOENT') throw new Error('cfn-lint is not installed (pip install cfn-lint)');
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 60_000);

  it('has every parameter default within its own constraints, and one CloudFormation parameter per setting', () => {
    const settings = parseYaml(readFileSync(join(root, 'serverless.yml'), 'utf8')).params.default as Record<
      string,
      unknown
    >;
    const buildTime = ['memorySize', 'piiMode', 'logLevel', 'rulesFile', 'appsFile', 'nodeOptions'];
    const cfnNames = Object.keys(template.Parameters).map((n) => n[0]?.toLowerCase() + n.slice(1));
    expect(
      Object.keys(settings)
        .filter((k) => !buildTime.includes(k))
        .sort(),
    ).toEqual(cfnNames.sort());
    for (const [name, p] of Object.entries(template.Parameters)) {
      const d = p.Default;
      expect({ name, d }).toEqual({ name, d: expect.any(String) });
      if (p.AllowedValues) expect(p.AllowedValues).toContain(d);
      if (p.AllowedPattern) expect(d).toMatch(new RegExp(p.AllowedPattern));
      if (p.Type === 'Number') {
        expect(Number.isFinite(Number(d))).toBe(true);
        if (p.MinValue !== undefined) expect(Number(d)).toBeGreaterThanOrEqual(p.MinValue);
        if (p.MaxValue !== undefined) expect(Number(d)).toBeLessThanOrEqual(p.MaxValue);
      }
    }
  });

  it('lists every CloudFormation parameter in docs/deploy.md’s table, with its default', () => {
    const doc = readFileSync(join(root, 'docs', 'deploy.md'), 'utf8');
    const rows = new Map(
      [...doc.matchAll(/^\| `(\w+)` \| `(\w+)` \| ([^|]*) \|/gm)].map((m) => [m[2] as string, m as string[]]),
    );
    for (const [name, p] of Object.entries(template.Parameters)) {
      const row = rows.get(name);
      const setting = `${name[0]?.toLowerCase()}${name.slice(1)}`;
      const shown = row?.[3]?.trim() ?? '';
      expect({
        name,
        setting: row?.[1],
        default: shown === 'empty' ? '' : /^`([^`]*)`/.exec(shown)?.[1],
      }).toEqual({
        name,
        setting,
        default: p.Default,
      });
    }
    // …and no row for a parameter the template does not have (a setting that was removed).
    expect([...rows.keys()].filter((n) => !(n in template.Parameters))).toEqual([]);
  });

  it('accepts the parameter values of every tested scenario', () => {
    for (const overrides of Object.values(SCENARIOS)) {
      for (const [name, v] of Object.entries(overrides)) {
        const p = template.Parameters[name] as Parameter;
        if (p.AllowedValues) expect(p.AllowedValues).toContain(v);
        if (p.AllowedPattern) expect(v).toMatch(new RegExp(p.AllowedPattern));
      }
    }
  });
});

describe.each(Object.entries(SCENARIOS))('template resolved for %s', (_name, overrides) => {
  let r: Resolved;
  beforeAll(() => {
    r = resolve(template, overrides);
  });

  it('references only resources that exist under the same conditions', () => {
    const ids = new Set(Object.keys(r.resources));
    const missing: string[] = [];
    const check = (node: Json) => {
      if (Array.isArray(node)) return node.forEach(check);
      if (!isObject(node)) return;
      if (typeof node.Ref === 'string' && !PSEUDO.has(node.Ref) && !ids.has(node.Ref)) missing.push(node.Ref);
      const getAtt = node['Fn::GetAtt'];
      if (Array.isArray(getAtt) && !ids.has(getAtt[0] as string)) missing.push(getAtt[0] as string);
      const sub = node['Fn::Sub'];
      if (sub !== undefined) {
        const [text, vars] = typeof sub === 'string' ? [sub, {}] : (sub as [string, JsonObject]);
        for (const m of text.matchAll(/\$\{([A-Za-z0-9:]+)(\.[A-Za-z]+)?\}/g)) {
          const name = m[1] as string;
          if (!PSEUDO.has(name) && !(name in vars) && !ids.has(name)) missing.push(name);
        }
      }
      Object.values(node).forEach(check);
    };
    for (const res of Object.values(r.resources)) {
      check(res.Properties ?? null);
      for (const d of asList(res.DependsOn)) if (!ids.has(d)) missing.push(d);
    }
    Object.values(r.outputs).forEach(check);
    expect(missing).toEqual([]);
  });

  it('grants no data-plane action on a wildcard resource, and no wildcard action', () => {
    const offending = collectStatements(r.resources)
      // A key policy's Resource "*" means "this key": key policies are exempt, and they delegate to IAM.
      .filter((l) => l.type !== 'AWS::KMS::Key' && l.statement.Effect === 'Allow')
      .filter((l) => {
        const actions = actionsOf(l.statement);
        const resources = resourcesOf(l.statement);
        if (l.statement.NotAction !== undefined || l.statement.NotResource !== undefined) return true;
        if (actions.some((a) => a.includes('*'))) return true;
        if (!actions.some(isDataPlane)) return false;
        // Rendered, so that a Fn::Sub ending in ":*" or ":::*" is caught as well as a plain "*".
        return resources.some((res) => /(^|:)\*$/.test(render(res)));
      })
      .map((l) => `${l.resource}: ${l.statement.Sid ?? JSON.stringify(l.statement.Action)}`);
    expect(offending).toEqual([]);
  });

  it('uses each key only where its service needs it (kms:ViaService) outside key policies', () => {
    for (const l of collectStatements(r.resources)) {
      if (l.type === 'AWS::KMS::Key' || l.statement.Effect !== 'Allow') continue;
      if (!actionsOf(l.statement).some((a) => a.startsWith('kms:'))) continue;
      expect(Object.keys(l.statement.Condition?.StringEquals ?? {})).toContain('kms:ViaService');
      for (const res of resourcesOf(l.statement)) {
        const text = render(res);
        const ok =
          KEY_IDS.some((k) => text === `arn:${k}`) || /^arn:aws:kms:[a-z0-9-]+:\d{12}:key\//.test(text);
        expect({ sid: l.statement.Sid, text, ok }).toEqual({ sid: l.statement.Sid, text, ok: true });
      }
    }
  });

  it('scopes every service principal a key policy admits to this account and a source ARN', () => {
    const grants = collectStatements(r.resources).filter(
      (l) =>
        l.type === 'AWS::KMS::Key' &&
        l.statement.Effect === 'Allow' &&
        isObject(l.statement.Principal) &&
        'Service' in l.statement.Principal,
    );
    expect(grants.length).toBeGreaterThan(0);
    for (const l of grants) {
      const condition = l.statement.Condition ?? {};
      expect({
        sid: l.statement.Sid,
        account: (condition.StringEquals as JsonObject)?.['aws:SourceAccount'],
      }).toEqual({ sid: l.statement.Sid, account: { Ref: 'AWS::AccountId' } });
      const arn = (condition.ArnLike as JsonObject | undefined)?.['aws:SourceArn'];
      expect(render(arn as Json)).toMatch(/^arn:aws:[a-z-]+:us-east-1:123456789012:/);
    }
  });

  it('lets logs:PutLogEvents write only to the log groups of the stack', () => {
    for (const l of collectStatements(r.resources)) {
      if (!actionsOf(l.statement).includes('logs:PutLogEvents')) continue;
      for (const res of resourcesOf(l.statement)) {
        const getAtt = (res as JsonObject)['Fn::GetAtt'] as [string, string];
        expect(getAtt[1]).toBe('Arn');
        expect(r.resources[getAtt[0]]?.Type).toBe('AWS::Logs::LogGroup');
      }
    }
  });

  it('gives the PII secret to the two functions only', () => {
    const statements = collectStatements(r.resources).filter((l) =>
      actionsOf(l.statement).some((a) => a.startsWith('secretsmanager:')),
    );
    const holders = statements
      .filter((l) => l.statement.Effect === 'Allow')
      .flatMap((l) => holderRoles(r, l.resource))
      .sort();
    expect(holders).toEqual(['FirehoseFunctionRole', 'KinesisFunctionRole']);
    // …and the secret the stack creates denies it to everyone else (templateSecurity.test.ts).
    const denies = statements.filter((l) => l.statement.Effect === 'Deny').map((l) => l.resource);
    expect(denies).toEqual(r.conditions.CreatePiiSecret ? ['PiiHashKeySecretPolicy'] : []);
  });
});

describe('template (defaults)', () => {
  let r: Resolved;
  beforeAll(() => {
    r = resolve(template);
  });
  const res = (id: string): Resource => {
    const x = r.resources[id];
    if (x === undefined) throw new Error(`no resource ${id}`);
    return x;
  };
  const props = (id: string) => res(id).Properties;

  describe('functions', () => {
    it('keeps the two functions, each with its own role, and no shared default role', () => {
      expect(props('KinesisLambdaFunction').Handler).toBe('handlers/kinesis.handler');
      expect(props('FirehoseLambdaFunction').Handler).toBe('handlers/firehose.handler');
      expect(props('KinesisLambdaFunction').Runtime).toBe('nodejs22.x');
      expect(props('KinesisLambdaFunction').Role).toEqual({ 'Fn::GetAtt': ['KinesisFunctionRole', 'Arn'] });
      expect(props('FirehoseLambdaFunction').Role).toEqual({ 'Fn::GetAtt': ['FirehoseFunctionRole', 'Arn'] });
      expect(r.resources.IamRoleLambdaExecution).toBeUndefined();
      expect(props('KinesisLambdaFunction').MemorySize).toBe(256);
    });

    it('points both functions at the stack resources through their environment', () => {
      for (const fn of ['KinesisLambdaFunction', 'FirehoseLambdaFunction']) {
        const env = (props(fn).Environment as JsonObject).Variables as JsonObject;
        expect(env).toMatchObject({
          SINKS: 'aws',
          ARCHIVE_BUCKET: { Ref: 'ArchiveBucket' },
          ARCHIVE_PREFIX: '',
          ARCHIVE_KMS_KEY_ID: { 'Fn::GetAtt': ['ArchiveKey', 'Arn'] },
          ALERT_TOPIC_ARN: { Ref: 'AlertTopic' },
          PII_HASH_KEY_SECRET_ID: { Ref: 'PiiHashKeySecret' },
          PII_MODE: 'hash',
          LOG_LEVEL: 'info',
        });
        // No --enable-source-maps by default: ~50 ms per cold start (docs/performance.md); nodeOptions opts in.
        expect(env.NODE_OPTIONS ?? '').toBe('');
      }
      const firehoseEnv = (props('FirehoseLambdaFunction').Environment as JsonObject).Variables as JsonObject;
      expect(firehoseEnv.FIREHOSE_ARCHIVE_RAW).toBe('false');
    });

    it('names the packaged rules and app metadata on both functions: the shipped rules, none by default', () => {
      const shipped = prepareRoutingConfig(undefined, undefined);
      for (const fn of ['KinesisLambdaFunction', 'FirehoseLambdaFunction']) {
        expect((props(fn).Environment as JsonObject).Variables).toMatchObject({
          RULES_SHA256: shipped.rulesSha256,
          APP_METADATA_SHA256: shipped.appsSha256,
        });
      }
      expect(packageOutput).toContain(
        `Packaging ${shipped.rules.length} rules (default rules, sha256 ${shipped.rulesSha256})`,
      );
    });

    it('reserves no concurrency by default, and the given concurrency per function (a parameter)', () => {
      for (const fn of ['KinesisLambdaFunction', 'FirehoseLambdaFunction']) {
        expect(props(fn).ReservedConcurrentExecutions).toBeUndefined();
      }
      const x = resolve(template, SCENARIOS['reserved concurrency']);
      const reserved = (fn: string) => (x.resources[fn] as Resource).Properties.ReservedConcurrentExecutions;
      expect(reserved('KinesisLambdaFunction')).toBe('20');
      expect(reserved('FirehoseLambdaFunction')).toBe('5');
      const one = resolve(template, { KinesisReservedConcurrency: '8' });
      expect((one.resources.KinesisLambdaFunction as Resource).Properties.ReservedConcurrentExecutions).toBe(
        '8',
      );
      expect(
        (one.resources.FirehoseLambdaFunction as Resource).Properties.ReservedConcurrentExecutions,
      ).toBeUndefined();
      // Not the build-time `reservedConcurrency` of serverless.yml, which would fix the value in the template.
      const functions = parseYaml(readFileSync(join(root, 'serverless.yml'), 'utf8')).functions as Record<
        string,
        Record<string, unknown>
      >;
      for (const f of Object.values(functions)) expect(f.reservedConcurrency).toBeUndefined();
    });

    it('accepts an empty reservation or a positive one, never 0 (which would stop the function)', () => {
      for (const name of ['KinesisReservedConcurrency', 'FirehoseReservedConcurrency']) {
        const pattern = new RegExp((template.Parameters[name] as Parameter).AllowedPattern as string);
        for (const ok of ['', '1', '40', '1000'])
          expect({ name, ok, match: pattern.test(ok) }).toMatchObject({ match: true });
        for (const bad of ['0', '-1', '05', '1.5', 'none', ' 10']) {
          expect({ name, bad, match: pattern.test(bad) }).toMatchObject({ match: false });
        }
      }
    });

    it('passes existing resources to the functions when they are given', () => {
      const x = resolve(template, EXISTING);
      const env = ((x.resources.KinesisLambdaFunction as Resource).Properties.Environment as JsonObject)
        .Variables as JsonObject;
      expect(env).toMatchObject({
        ARCHIVE_BUCKET: 'existing-archive',
        ARCHIVE_PREFIX: 'pinpoint/',
        ARCHIVE_KMS_KEY_ID: EXISTING.ArchiveKmsKeyArn,
        PII_HASH_KEY_SECRET_ID: EXISTING.PiiHashKeySecretArn,
      });
    });
  });

  describe('Kinesis data stream and event source mapping', () => {
    it('creates an on-demand stream encrypted with the stream key', () => {
      expect(props('KinesisStream')).toMatchObject({
        StreamModeDetails: { StreamMode: 'ON_DEMAND' },
        StreamEncryption: { EncryptionType: 'KMS', KeyId: { 'Fn::GetAtt': ['StreamKey', 'Arn'] } },
        RetentionPeriodHours: '24',
      });
      expect(props('KinesisStream').ShardCount).toBeUndefined();
    });

    it('provisions shards when a shard count is given', () => {
      const x = resolve(template, { KinesisShardCount: '3' });
      expect((x.resources.KinesisStream as Resource).Properties).toMatchObject({
        StreamModeDetails: { StreamMode: 'PROVISIONED' },
        ShardCount: '3',
      });
    });

    it('maps the stream to the kinesis function with partial failures and bounded retries', () => {
      const esm = props('KinesisEventSourceMapping');
      expect(esm).toMatchObject({
        FunctionName: { 'Fn::GetAtt': ['KinesisLambdaFunction', 'Arn'] },
        EventSourceArn: { 'Fn::GetAtt': ['KinesisStream', 'Arn'] },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        // Off: the handler quarantines poison itself, and a bisected batch was archived again under new keys
        // next to the whole-batch objects of the attempt that died (duplicates in raw/ and normalized/).
        BisectBatchOnFunctionError: false,
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: '500',
        MaximumBatchingWindowInSeconds: '1',
        ParallelizationFactor: '1',
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': ['KinesisDeadLetterQueue', 'Arn'] } },
        },
      });
      // Finite: -1 (infinite) is outside the parameters' ranges.
      const retries = template.Parameters.KinesisMaxRetryAttempts as Parameter;
      const age = template.Parameters.KinesisMaxRecordAgeSeconds as Parameter;
      expect(retries.MinValue).toBe(0);
      expect(retries.MaxValue).toBe(10000);
      expect(age.MinValue).toBe(60);
      expect(age.MaxValue).toBe(604800);
      expect(Number(esm.MaximumRetryAttempts)).toBe(10);
      // Records skipped for age can still be replayed from the stream: the age stays below the retention.
      expect(Number(esm.MaximumRecordAgeInSeconds)).toBeLessThan(
        Number(r.params.KinesisRetentionHours) * 3600,
      );
    });

    it('reads an existing stream when one is given', () => {
      const x = resolve(template, EXISTING);
      expect(x.resources.KinesisStream).toBeUndefined();
      expect((x.resources.KinesisEventSourceMapping as Resource).Properties.EventSourceArn).toBe(
        EXISTING.KinesisStreamArn,
      );
      const decrypt = roleStatements(x, 'KinesisFunctionRole').find((s) => s.Sid === 'DecryptStream');
      expect(decrypt?.Resource).toBe(EXISTING.KinesisStreamKmsKeyArn);
      const noKey = resolve(template, SCENARIOS['existing, no keys']);
      expect(
        roleStatements(noKey, 'KinesisFunctionRole').find((s) => s.Sid === 'DecryptStream'),
      ).toBeUndefined();
    });

    it('sends failed batches to a KMS-encrypted dead-letter queue that denies plain HTTP', () => {
      expect(props('KinesisDeadLetterQueue')).toMatchObject({
        KmsMasterKeyId: { 'Fn::GetAtt': ['AlertsKey', 'Arn'] },
        MessageRetentionPeriod: 1209600,
      });
      const deny = collectStatements(r.resources).find((l) => l.resource === 'KinesisDeadLetterQueuePolicy');
      expect(deny?.statement).toMatchObject({
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
      expect(allowedOn(roleStatements(r, 'KinesisFunctionRole'), 'sqs:SendMessage')).toEqual([
        'arn:KinesisDeadLetterQueue',
      ]);
    });
  });

  describe('Firehose delivery stream', () => {
    const s3 = () => props('DeliveryStream').ExtendedS3DestinationConfiguration as JsonObject;

    it('is a direct-put stream encrypted with the stream key', () => {
      expect(props('DeliveryStream')).toMatchObject({
        DeliveryStreamType: 'DirectPut',
        DeliveryStreamEncryptionConfigurationInput: {
          KeyType: 'CUSTOMER_MANAGED_CMK',
          KeyARN: { 'Fn::GetAtt': ['StreamKey', 'Arn'] },
        },
      });
    });

    it('runs the firehose function as its processor with a 1 MB buffer (2 MB at most)', () => {
      const processing = s3().ProcessingConfiguration as JsonObject;
      expect(processing.Enabled).toBe(true);
      const [processor] = processing.Processors as [JsonObject];
      expect(processor.Type).toBe('Lambda');
      const parameters = Object.fromEntries(
        (processor.Parameters as JsonObject[]).map((p) => [p.ParameterName, p.ParameterValue]),
      );
      expect(parameters).toMatchObject({
        LambdaArn: { 'Fn::GetAtt': ['FirehoseLambdaFunction', 'Arn'] },
        BufferSizeInMBs: '1',
        BufferIntervalInSeconds: '60',
      });
      // Not Firehose's 3 MB: the response of 2 MB of SMS is 5.3 MB; test/unit/batch/firehose.test.ts fills this
      // buffer with every family and checks that no record is failed for size.
      expect(template.Parameters.FirehoseProcessorBufferSizeMB?.MaxValue).toBe(2);
      expect(allowedOn(roleStatements(r, 'DeliveryStreamRole'), 'lambda:InvokeFunction')).toEqual([
        'arn:FirehoseLambdaFunction',
      ]);
    });

    it('partitions dynamically on exactly the keys the firehose function returns', async () => {
      const { runtime } = await testRuntime();
      const result = await processFirehoseBatch(firehoseEvent('mixed'), runtime);
      const keySets = new Set(
        result.records
          .filter((x) => x.result === 'Ok')
          .map((x) => Object.keys(x.metadata?.partitionKeys ?? {}).join(',')),
      );
      expect([...keySets]).toEqual(['source,family,dt,hour']);

      expect(s3().DynamicPartitioningConfiguration).toMatchObject({ Enabled: true });
      const prefix = render(s3().Prefix as Json);
      expect(prefix).toBe(
        'firehose/source=!{partitionKeyFromLambda:source}/family=!{partitionKeyFromLambda:family}/' +
          'dt=!{partitionKeyFromLambda:dt}/hour=!{partitionKeyFromLambda:hour}/',
      );
      const used = [...prefix.matchAll(/!\{partitionKeyFromLambda:([a-z_]+)\}/g)].map((m) => m[1]);
      expect(used).toEqual(['source', 'family', 'dt', 'hour']);
    });

    it('writes errors under an error prefix by error type, compressed, with CloudWatch logging', () => {
      expect(render(s3().ErrorOutputPrefix as Json)).toMatch(
        /^firehose-errors\/!\{firehose:error-output-type\}\//,
      );
      expect(s3()).toMatchObject({
        BucketARN: {
          'Fn::Sub': [`arn:\${AWS::Partition}:s3:::\${Bucket}`, { Bucket: { Ref: 'ArchiveBucket' } }],
        },
        CompressionFormat: 'GZIP',
        BufferingHints: { SizeInMBs: '64', IntervalInSeconds: '300' },
        EncryptionConfiguration: {
          KMSEncryptionConfig: { AWSKMSKeyARN: { 'Fn::GetAtt': ['ArchiveKey', 'Arn'] } },
        },
        CloudWatchLoggingOptions: {
          Enabled: true,
          LogGroupName: { Ref: 'DeliveryStreamLogGroup' },
          LogStreamName: { Ref: 'DeliveryStreamS3LogStream' },
        },
      });
    });

    it('backs up the source records (the raw data) to the archive bucket', () => {
      expect(s3().S3BackupMode).toBe('Enabled');
      const backup = s3().S3BackupConfiguration as JsonObject;
      expect(render(backup.Prefix as Json)).toMatch(/^firehose-raw\//);
      expect(render(backup.BucketARN as Json)).toBe('arn:aws:s3:::ArchiveBucket');
      expect(backup.CloudWatchLoggingOptions).toMatchObject({ Enabled: true });
      expect(backup.EncryptionConfiguration).toEqual(s3().EncryptionConfiguration);
    });

    it('gives the delivery role its own prefixes only, and trusts Firehose for this account only', () => {
      const statements = roleStatements(r, 'DeliveryStreamRole');
      expect(allowedOn(statements, 's3:PutObject').sort()).toEqual([
        'arn:aws:s3:::ArchiveBucket/firehose-errors/*',
        'arn:aws:s3:::ArchiveBucket/firehose-raw-errors/*',
        'arn:aws:s3:::ArchiveBucket/firehose-raw/*',
        'arn:aws:s3:::ArchiveBucket/firehose/*',
      ]);
      const prefixes = [s3().Prefix, s3().ErrorOutputPrefix].map((p) => render(p as Json));
      const backup = s3().S3BackupConfiguration as JsonObject;
      prefixes.push(render(backup.Prefix as Json), render(backup.ErrorOutputPrefix as Json));
      for (const p of prefixes) {
        const key = `arn:aws:s3:::ArchiveBucket/${p}object.gz`;
        expect(allowedOn(statements, 's3:PutObject').some((g) => iamMatches(g, key))).toBe(true);
      }
      expect(props('DeliveryStreamRole').AssumeRolePolicyDocument).toMatchObject({
        Statement: [
          {
            Principal: { Service: 'firehose.amazonaws.com' },
            Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'AWS::AccountId' } } },
          },
        ],
      });
    });
  });

  describe('Pinpoint event stream', () => {
    const trust = (x: Resolved) =>
      ((x.resources.PinpointEventStreamRole as Resource).Properties.AssumeRolePolicyDocument as JsonObject)
        .Statement as unknown as Statement[];

    it('creates a project and streams it to Kinesis by default', () => {
      expect(res('PinpointApp').DeletionPolicy).toBe('Retain');
      expect(props('PinpointEventStream')).toEqual({
        ApplicationId: { Ref: 'PinpointApp' },
        DestinationStreamArn: { 'Fn::GetAtt': ['KinesisStream', 'Arn'] },
        RoleArn: { 'Fn::GetAtt': ['PinpointEventStreamRole', 'Arn'] },
      });
    });

    const sourceArn = (s: Statement | undefined): Json =>
      ((s?.Condition?.ArnLike as JsonObject | undefined)?.['aws:SourceArn'] ?? null) as Json;

    it('has a role only Pinpoint can assume, for this account and this project', () => {
      const [s] = trust(r);
      expect(trust(r)).toHaveLength(1);
      expect(s).toMatchObject({
        Effect: 'Allow',
        Principal: { Service: 'pinpoint.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      });
      expect(render(sourceArn(s))).toBe('arn:aws:mobiletargeting:us-east-1:123456789012:apps/PinpointApp');
      const existing = resolve(template, EXISTING);
      expect(render(sourceArn(trust(existing)[0]))).toBe(
        `arn:aws:mobiletargeting:us-east-1:123456789012:apps/${EXISTING.PinpointAppId}`,
      );
    });

    it('may only put records to the Kinesis stream (and use its key) when the destination is Kinesis', () => {
      const statements = roleStatements(r, 'PinpointEventStreamRole');
      expect(statements.map((s) => [asList(s.Action).sort(), resourcesOf(s).map(render)])).toEqual([
        [['kinesis:DescribeStream', 'kinesis:PutRecords'], ['arn:KinesisStream']],
        [['kms:GenerateDataKey'], ['arn:StreamKey']],
      ]);
    });

    it('may only put records to the delivery stream when the destination is Firehose', () => {
      const x = resolve(template, SCENARIOS.firehose);
      expect((x.resources.PinpointEventStream as Resource).Properties.DestinationStreamArn).toEqual({
        'Fn::GetAtt': ['DeliveryStream', 'Arn'],
      });
      const statements = roleStatements(x, 'PinpointEventStreamRole');
      expect(statements.map((s) => [asList(s.Action).sort(), resourcesOf(s).map(render)])).toEqual([
        [['firehose:DescribeDeliveryStream', 'firehose:PutRecordBatch'], ['arn:DeliveryStream']],
      ]);
    });

    it('connects an existing project (and an existing stream, with its key) instead', () => {
      const x = resolve(template, SCENARIOS['existing, kinesis']);
      expect(x.resources.PinpointApp).toBeUndefined();
      expect((x.resources.PinpointEventStream as Resource).Properties).toMatchObject({
        ApplicationId: EXISTING.PinpointAppId,
        DestinationStreamArn: EXISTING.KinesisStreamArn,
      });
      const statements = roleStatements(x, 'PinpointEventStreamRole');
      expect(statements.map((s) => resourcesOf(s).map(render))).toEqual([
        [EXISTING.KinesisStreamArn],
        [EXISTING.KinesisStreamKmsKeyArn],
      ]);
    });

    it('leaves the project alone with destination None', () => {
      const x = resolve(template, SCENARIOS.none);
      for (const id of ['PinpointApp', 'PinpointEventStream', 'PinpointEventStreamRole']) {
        expect(x.resources[id]).toBeUndefined();
      }
    });
  });

  describe('archive bucket', () => {
    it('is encrypted with its own key, private, versioned and kept when the stack goes', () => {
      expect(res('ArchiveBucket')).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      expect(props('ArchiveBucket')).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: { 'Fn::GetAtt': ['ArchiveKey', 'Arn'] },
              },
              BucketKeyEnabled: true,
            },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        VersioningConfiguration: { Status: 'Enabled' },
      });
      expect(res('ArchiveKey')).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      expect(res('PiiHashKeySecret')).toMatchObject({
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });

    it('denies every request without TLS (or below TLS 1.2)', () => {
      const statements = collectStatements(r.resources).filter((l) => l.resource === 'ArchiveBucketPolicy');
      const byCondition = statements.map((l) => l.statement);
      for (const s of byCondition) {
        expect(s).toMatchObject({ Effect: 'Deny', Principal: '*', Action: 's3:*' });
        expect(resourcesOf(s).map(render)).toEqual(['arn:ArchiveBucket', 'arn:ArchiveBucket/*']);
      }
      expect(byCondition.map((s) => s.Condition)).toEqual([
        { Bool: { 'aws:SecureTransport': 'false' } },
        { NumericLessThan: { 's3:TlsVersion': '1.2' } },
      ]);
    });

    it('moves raw data to Standard-IA then Glacier and expires it, expires errors, quarantine and old versions', () => {
      const rules = (props('ArchiveBucket').LifecycleConfiguration as JsonObject).Rules as JsonObject[];
      const byId = Object.fromEntries(rules.map((x) => [x.Id, x]));
      for (const id of ['raw', 'firehose-raw']) {
        expect(byId[id]).toEqual({
          Id: id,
          Status: 'Enabled',
          Prefix: { 'Fn::Sub': `${id}/` },
          Transitions: [
            { StorageClass: 'STANDARD_IA', TransitionInDays: '30' },
            { StorageClass: 'GLACIER', TransitionInDays: '90' },
          ],
          ExpirationInDays: '180',
        });
      }
      for (const prefix of ['firehose-errors', 'firehose-raw-errors']) {
        expect(byId[`${prefix}-expiry`]).toEqual({
          Id: `${prefix}-expiry`,
          Status: 'Enabled',
          Prefix: { 'Fn::Sub': `${prefix}/` },
          ExpirationInDays: '90',
        });
      }
      expect(byId['quarantine-expiry']).toMatchObject({
        Prefix: { 'Fn::Sub': 'quarantine/' },
        ExpirationInDays: '90',
      });
      // The normalized records are kept unless NormalizedExpirationDays is set.
      expect(byId['normalized-expiry']).toBeUndefined();
      expect(byId['firehose-expiry']).toBeUndefined();
      expect(byId['athena-results-expiry']).toMatchObject({ ExpirationInDays: '30' });
      expect(byId['reports-expiry']).toMatchObject({ ExpirationInDays: '365' });
      expect(byId.housekeeping).toMatchObject({
        NoncurrentVersionExpiration: { NoncurrentDays: '30' },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      });
    });

    it('drops the lifecycle rules that are switched off, and can expire raw data', () => {
      const off = resolve(template, SCENARIOS['lifecycle off']);
      const props = (off.resources.ArchiveBucket as Resource).Properties;
      const rules = (props.LifecycleConfiguration as JsonObject).Rules as JsonObject[];
      expect(rules.map((x) => x.Id)).toEqual(['housekeeping']);
      expect(rules[0]?.NoncurrentVersionExpiration).toBeUndefined();
      expect(props.VersioningConfiguration).toEqual({ Status: 'Suspended' });

      const expiring = resolve(template, {
        RawGlacierDays: '0',
        RawExpirationDays: '400',
        NormalizedExpirationDays: '730',
      });
      const expiringRules = (
        (expiring.resources.ArchiveBucket as Resource).Properties.LifecycleConfiguration as JsonObject
      ).Rules as JsonObject[];
      expect(expiringRules.find((x) => x.Id === 'raw')).toMatchObject({
        Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: '30' }],
        ExpirationInDays: '400',
      });
      for (const [id, prefix] of [
        ['normalized-expiry', 'normalized/'],
        ['firehose-expiry', 'firehose/'],
      ]) {
        expect(expiringRules.find((x) => x.Id === id)).toEqual({
          Id: id,
          Status: 'Enabled',
          Prefix: { 'Fn::Sub': prefix },
          ExpirationInDays: '730',
        });
      }
    });

    it('is not created when an existing bucket is given', () => {
      const x = resolve(template, EXISTING);
      for (const id of [
        'ArchiveBucket',
        'ArchiveBucketPolicy',
        'ArchiveKey',
        'PiiHashKeySecret',
        'PiiHashKeySecretPolicy',
        'PiiKey',
      ]) {
        expect(x.resources[id]).toBeUndefined();
      }
    });

    it('keeps a 48-character generated HMAC key in Secrets Manager', () => {
      expect(props('PiiHashKeySecret').GenerateSecretString).toMatchObject({ PasswordLength: 48 });
    });
  });

  describe('log groups', () => {
    const LOG_KEY = SCENARIOS['customer-managed log key']?.LogsKmsKeyArn as string;
    const logGroups = (x: Resolved) =>
      Object.entries(x.resources).filter(([, res]) => res.Type === 'AWS::Logs::LogGroup');

    it('uses CloudWatch Logs’ own encryption by default', () => {
      expect(
        logGroups(r)
          .map(([id]) => id)
          .sort(),
      ).toEqual(['DeliveryStreamLogGroup', 'FirehoseLogGroup', 'KinesisLogGroup']);
      for (const [, group] of logGroups(r)) expect(group.Properties.KmsKeyId).toBeUndefined();
    });

    it('encrypts every log group the stack creates with LogsKmsKeyArn when one is given', () => {
      const x = resolve(template, { LogsKmsKeyArn: LOG_KEY });
      expect(logGroups(x)).toHaveLength(3);
      for (const [id, group] of logGroups(x)) {
        expect({ id, key: group.Properties.KmsKeyId }).toEqual({ id, key: LOG_KEY });
      }
      // …and the stack grants nothing on it: CloudWatch Logs uses it under the key policy the owner writes.
      const grants = collectStatements(x.resources).filter((l) =>
        leafStrings(l.statement.Resource ?? null).includes(LOG_KEY),
      );
      expect(grants).toEqual([]);
    });

    it('accepts a key ARN (single- or multi-Region), not an alias', () => {
      const pattern = new RegExp((template.Parameters.LogsKmsKeyArn as Parameter).AllowedPattern as string);
      expect(pattern.test('')).toBe(true);
      expect(pattern.test(LOG_KEY)).toBe(true);
      expect(
        pattern.test('arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab'),
      ).toBe(true);
      expect(pattern.test('arn:aws:kms:us-east-1:123456789012:alias/logs')).toBe(false);
      expect(pattern.test('alias/logs')).toBe(false);
    });

    it('names in docs/deploy.md the log groups the key policy must allow', () => {
      const doc = readFileSync(join(root, 'docs', 'deploy.md'), 'utf8');
      for (const [, group] of logGroups(r)) {
        const name = render(group.Properties.LogGroupName as Json).replace('-dev', '-<stage>');
        expect(doc).toContain(`log-group:${name}`);
      }
    });
  });

  describe('deployment bucket', () => {
    const bucketIn = (t: Template) => t.Resources.ServerlessDeploymentBucket as Resource;

    it('is private, versioned and encrypted from the first deploy on (the create-stack template)', () => {
      for (const t of [createTemplate, template]) {
        expect(bucketIn(t).Properties).toMatchObject({
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          VersioningConfiguration: { Status: 'Enabled' },
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
            ],
          },
        });
        // osls's policy is kept (no skipPolicySetup): it denies every request without TLS.
        const policy = t.Resources.ServerlessDeploymentBucketPolicy as Resource;
        expect((policy.Properties.PolicyDocument as JsonObject).Statement).toEqual([
          expect.objectContaining({
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': false } },
          }),
        ]);
      }
    });

    it('uploads with SSE and expires the versions osls deletes or overwrites', () => {
      const settings = parseYaml(readFileSync(join(root, 'serverless.yml'), 'utf8')).provider
        .deploymentBucket;
      expect(settings).toEqual({ blockPublicAccess: true, versioning: true, serverSideEncryption: 'AES256' });
      expect(bucketIn(template).Properties).toMatchObject({
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: {
          Rules: [
            {
              Id: 'housekeeping',
              Status: 'Enabled',
              NoncurrentVersionExpiration: { NoncurrentDays: 30 },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
              ExpiredObjectDeleteMarker: true,
            },
          ],
        },
      });
    });
  });

  describe('least privilege per function', () => {
    async function writtenKeys(prefix: string) {
      const kinesis = await testRuntime();
      await processKinesisBatch(kinesisEvent('mixed'), kinesis.runtime);
      const firehose = await testRuntime();
      await processFirehoseBatch(firehoseEvent('mixed'), firehose.runtime);
      const arn = (key: string) =>
        `arn:aws:s3:::${prefix === '' ? 'ArchiveBucket' : 'existing-archive'}/${prefix}${key}`;
      return {
        kinesis: [...kinesis.archive.objects.values()].map((o) => ({ zone: o.zone, arn: arn(o.key) })),
        firehose: [...firehose.archive.objects.values()].map((o) => ({ zone: o.zone, arn: arn(o.key) })),
      };
    }

    it.each([
      ['defaults', {}, ''],
      ['an existing bucket with a prefix', EXISTING, 'pinpoint/'],
    ])('lets each function write exactly the archive zones it writes (%s)', async (_n, overrides, prefix) => {
      const x = resolve(template, overrides);
      const kinesisPut = allowedOn(roleStatements(x, 'KinesisFunctionRole'), 's3:PutObject');
      const firehosePut = allowedOn(roleStatements(x, 'FirehoseFunctionRole'), 's3:PutObject');
      const bucket = prefix === '' ? 'ArchiveBucket' : 'existing-archive';
      // rollups/: the rate rollups of each batch (Kinesis) or invocation (Firehose); templateRates.test.ts checks
      // their keys against these grants. analytics/: the analytics rows of each (templateAnalytics.test.ts).
      const kinesisGrants = ['raw', 'normalized', 'quarantine', 'rollups', 'analytics'];
      const firehoseGrants = ['quarantine', 'rollups', 'analytics'];
      expect(kinesisPut).toEqual(kinesisGrants.map((z) => `arn:aws:s3:::${bucket}/${prefix}${z}/*`));
      expect(firehosePut).toEqual(firehoseGrants.map((z) => `arn:aws:s3:::${bucket}/${prefix}${z}/*`));

      const keys = await writtenKeys(prefix);
      const kinesisZones = new Set(keys.kinesis.map((k) => k.zone as string));
      const firehoseZones = new Set(keys.firehose.map((k) => k.zone as string));
      for (const z of ['raw', 'normalized', 'quarantine', 'analytics']) expect(kinesisZones).toContain(z);
      for (const z of ['quarantine', 'analytics']) expect(firehoseZones).toContain(z);
      for (const z of kinesisZones) expect(kinesisGrants).toContain(z);
      for (const z of firehoseZones) expect(firehoseGrants).toContain(z);
      for (const k of keys.kinesis) expect(kinesisPut.some((g) => iamMatches(g, k.arn))).toBe(true);
      for (const k of keys.firehose) expect(firehosePut.some((g) => iamMatches(g, k.arn))).toBe(true);
    });

    it('allows sns:Publish on the alert topic only, and reads nothing from the bucket', () => {
      for (const role of ['KinesisFunctionRole', 'FirehoseFunctionRole']) {
        const statements = roleStatements(r, role);
        expect(allowedOn(statements, 'sns:Publish')).toEqual(['AlertTopic']);
        expect(statements.flatMap(actionsOf).filter((a) => /^s3:(Get|List|Delete)/.test(a))).toEqual([]);
        expect(allowedOn(statements, 'secretsmanager:GetSecretValue')).toEqual(['PiiHashKeySecret']);
      }
    });

    it('uses only the keys behind what each role touches', () => {
      const keysOf = (x: Resolved, role: string) =>
        [
          ...new Set(
            roleStatements(x, role)
              .filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')))
              .flatMap((s) => resourcesOf(s).map(render)),
          ),
        ].sort();
      expect(keysOf(r, 'KinesisFunctionRole')).toEqual(['arn:AlertsKey', 'arn:ArchiveKey', 'arn:StreamKey']);
      expect(keysOf(r, 'FirehoseFunctionRole')).toEqual(['arn:AlertsKey', 'arn:ArchiveKey']);
      expect(keysOf(r, 'DeliveryStreamRole')).toEqual(['arn:ArchiveKey']);
      expect(keysOf(r, 'PinpointEventStreamRole')).toEqual(['arn:StreamKey']);
      const x = resolve(template, SCENARIOS['existing, no keys']);
      expect(keysOf(x, 'KinesisFunctionRole')).toEqual(['arn:AlertsKey']);
      expect(keysOf(x, 'DeliveryStreamRole')).toEqual([]);
    });

    it('trusts only Lambda in the function roles', () => {
      for (const role of ['KinesisFunctionRole', 'FirehoseFunctionRole']) {
        expect(props(role).AssumeRolePolicyDocument).toEqual({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        });
      }
    });

    it('finds no wildcard resource anywhere in an Allow statement of the unresolved template', () => {
      // Both branches of every Fn::If, so this holds for every parameter value, not just the scenarios.
      const all = collectStatements(template.Resources).filter(
        (l) => l.type !== 'AWS::KMS::Key' && l.statement.Effect === 'Allow',
      );
      expect(all.length).toBeGreaterThan(20);
      const wildcards = all.filter((l) => leafStrings(l.statement.Resource ?? null).some((s) => s === '*'));
      expect(wildcards.map((l) => l.resource)).toEqual([]);
      // …and no statement without a Resource (a trust policy's statements have none, and name a principal).
      for (const l of all) {
        if (l.document === 'AssumeRolePolicyDocument') expect(l.statement.Principal).toBeDefined();
        else expect(l.statement.Resource).toBeDefined();
      }
    });
  });

  describe('alerts and alarms', () => {
    it('encrypts the alert topic with the alerts key, which CloudWatch alarms may use', () => {
      expect(props('AlertTopic').KmsMasterKeyId).toEqual({ 'Fn::GetAtt': ['AlertsKey', 'Arn'] });
      const keyStatements = collectStatements({ AlertsKey: res('AlertsKey') }).map((l) => l.statement);
      const grant = keyStatements.find((s) => isObject(s.Principal) && 'Service' in s.Principal);
      expect(grant).toMatchObject({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      });
      const topicPolicy = collectStatements({ AlertTopicPolicy: res('AlertTopicPolicy') }).map(
        (l) => l.statement,
      );
      expect(topicPolicy[0]).toMatchObject({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: 'AlertTopic' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      });
      // The key admits the alarms the topic admits (this account and region), and only for this topic: SNS's
      // encryption context is the ARN of the topic, written out in the key policy (a Ref would be circular).
      const sourceArn = (s: Statement | undefined) =>
        render(((s?.Condition?.ArnLike ?? {}) as JsonObject)['aws:SourceArn'] as Json);
      expect(sourceArn(grant)).toBe('arn:aws:cloudwatch:us-east-1:123456789012:alarm:*');
      expect(sourceArn(grant)).toBe(sourceArn(topicPolicy[0]));
      const context = ((grant?.Condition?.StringEquals ?? {}) as JsonObject)[
        'kms:EncryptionContext:aws:sns:topicArn'
      ];
      expect(render(context as Json)).toBe(
        `arn:aws:sns:us-east-1:123456789012:${render(props('AlertTopic').TopicName as Json)}`,
      );
      expect(render(props('AlertTopic').TopicName as Json)).toBe('pinpoint-stream-processor-dev-alerts');
      // Every alarm of the stack is one the grant admits, and notifies this topic.
      for (const [id, alarm] of Object.entries(r.resources)) {
        if (alarm.Type !== 'AWS::CloudWatch::Alarm') continue;
        const arn = `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${render(alarm.Properties.AlarmName as Json)}`;
        expect({ id, ok: iamMatches(sourceArn(grant), arn) }).toEqual({ id, ok: true });
      }
    });

    it('subscribes an email address only when one is given', () => {
      expect(r.resources.AlertEmailSubscription).toBeUndefined();
      const x = resolve(template, { AlertEmail: 'ops@example.com' });
      expect((x.resources.AlertEmailSubscription as Resource).Properties).toEqual({
        TopicArn: { Ref: 'AlertTopic' },
        Protocol: 'email',
        Endpoint: 'ops@example.com',
      });
    });

    it('alarms on iterator age, errors, throttles, Firehose processing failures and DLQ depth', () => {
      const alarms = Object.entries(r.resources)
        .filter(([, x]) => x.Type === 'AWS::CloudWatch::Alarm')
        .map(([, x]) => x.Properties);
      const find = (namespace: string, metric: string, dimension: Json) =>
        alarms.filter(
          (a) =>
            a.Namespace === namespace &&
            a.MetricName === metric &&
            JSON.stringify((a.Dimensions as JsonObject[])[0]?.Value) === JSON.stringify(dimension),
        );
      const kinesisFn = { Ref: 'KinesisLambdaFunction' };
      const firehoseFn = { Ref: 'FirehoseLambdaFunction' };
      const expected = [
        find('AWS/Lambda', 'IteratorAge', kinesisFn),
        find('AWS/Lambda', 'Errors', kinesisFn),
        find('AWS/Lambda', 'Errors', firehoseFn),
        find('AWS/Lambda', 'Throttles', kinesisFn),
        find('AWS/Lambda', 'Throttles', firehoseFn),
        find('AWS/Firehose', 'ExecuteProcessing.Success', { Ref: 'DeliveryStream' }),
        find('AWS/SQS', 'ApproximateNumberOfMessagesVisible', {
          'Fn::GetAtt': ['KinesisDeadLetterQueue', 'QueueName'],
        }),
      ];
      for (const found of expected) expect(found).toHaveLength(1);
      expect(find('AWS/Lambda', 'IteratorAge', kinesisFn)[0]?.Threshold).toBe('300000');
      // …and the two internal-errors alarms (templateInternalErrors.test.ts), the three rate alarms
      // (templateRates.test.ts), rate counts dropped (templateRateStore.test.ts) and records failed for size
      // (below).
      expect(alarms).toHaveLength(15);
      for (const a of alarms) {
        expect(a.AlarmActions).toEqual([{ Ref: 'AlertTopic' }]);
        expect(a.TreatMissingData).toBe('notBreaching');
      }
    });

    it('alarms on the firehose function’s records failed for size, under the dimensions its metrics carry', async () => {
      const alarm = props('FirehoseRecordsFailedForSizeAlarm');
      expect(alarm).toMatchObject({
        Namespace: 'PinpointStreamProcessor',
        MetricName: 'RecordsFailedForSize',
        Dimensions: [
          { Name: 'service', Value: 'pinpoint-stream-processor-dev' },
          { Name: 'Path', Value: 'firehose' },
        ],
        Statistic: 'Sum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [{ Ref: 'AlertTopic' }],
      });
      // The functions emit under the same namespace and service name…
      const env = (props('FirehoseLambdaFunction').Environment as JsonObject).Variables as JsonObject;
      expect(env).toMatchObject({
        POWERTOOLS_METRICS_NAMESPACE: alarm.Namespace,
        POWERTOOLS_SERVICE_NAME: (alarm.Dimensions as JsonObject[])[0]?.Value,
      });
      // …and a batch with records failed for size emits the metric with exactly those dimensions.
      const emitted: Array<{ dimensions: string[][]; values: Record<string, unknown> }> = [];
      const { Metrics } = await import('@aws-lambda-powertools/metrics');
      const { PowertoolsTelemetry } = await import('../../src/observability/PowertoolsTelemetry');
      const metrics = new Metrics({
        namespace: env.POWERTOOLS_METRICS_NAMESPACE as string,
        serviceName: env.POWERTOOLS_SERVICE_NAME as string,
      });
      // Powertools writes EMF lines to stdout through its own console.
      const log = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        for (const line of String(chunk).split('\n')) {
          if (!line.startsWith('{"_aws"')) continue;
          const blob = JSON.parse(line);
          emitted.push({ dimensions: blob._aws.CloudWatchMetrics[0].Dimensions, values: blob });
        }
        return true;
      });
      try {
        const { runtime } = await testRuntime({ FIREHOSE_RESPONSE_LIMIT_BYTES: '14000' });
        await processFirehoseBatch(firehoseEvent('sms'), {
          ...runtime,
          telemetry: new PowertoolsTelemetry(metrics),
        });
        metrics.publishStoredMetrics();
      } finally {
        log.mockRestore();
      }
      const blob = emitted.find((e) => typeof e.values.RecordsFailedForSize === 'number');
      expect(blob?.values.RecordsFailedForSize).toBeGreaterThan(0);
      expect(blob?.values._aws).toMatchObject({
        CloudWatchMetrics: [{ Namespace: alarm.Namespace, Dimensions: [['service', 'Path']] }],
      });
      expect(blob?.values).toMatchObject({ service: 'pinpoint-stream-processor-dev', Path: 'firehose' });
    });
  });

  describe('Glue and Athena', () => {
    /** Columns of a CREATE EXTERNAL TABLE in docs/schema.md: `[name, type]` and the partition columns. */
    function ddl(table: string) {
      const doc = readFileSync(join(root, 'docs', 'schema.md'), 'utf8');
      const m = doc.match(
        new RegExp(`CREATE EXTERNAL TABLE ${table} \\(([\\s\\S]*?)\\n\\)\\nPARTITIONED BY \\((.*?)\\)`),
      );
      if (m === null) throw new Error(`no DDL for ${table} in docs/schema.md`);
      const split = (text: string) =>
        text
          .split(/,(?![^<]*>)/)
          .map((c) => c.trim().split(/\s+/))
          .map(([name, type]) => ({ Name: name, Type: type }));
      return { columns: split(m[1] as string), partitions: split(m[2] as string) };
    }
    const tableInput = (id: string) => props(id).TableInput as JsonObject;

    it('creates a database with an Athena-friendly name', () => {
      const input = props('GlueDatabase').DatabaseInput as JsonObject;
      expect(render(input.Name as Json)).toBe('pinpoint_stream_processor_dev');
    });

    it.each([
      ['FirehoseEventsTable', 'messaging_events'],
      ['ArchiveEventsTable', 'messaging_events_archive'],
    ])('defines %s with the columns of docs/schema.md', (id, name) => {
      const input = tableInput(id);
      const expected = ddl(name);
      expect(input.Name).toBe(name);
      expect((input.StorageDescriptor as JsonObject).Columns).toEqual(expected.columns);
      expect(input.PartitionKeys).toEqual(expected.partitions);
      expect(input.StorageDescriptor).toMatchObject({
        InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
        OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
        SerdeInfo: {
          SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
          Parameters: { 'case.insensitive': 'false' },
        },
      });
      expect(input.Parameters).toMatchObject({
        'projection.enabled': 'true',
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy-MM-dd',
        'projection.dt.range': '2020-01-01,NOW',
        'projection.hour.type': 'integer',
        'projection.hour.range': '0,23',
        'projection.hour.digits': '2',
      });
    });

    it('projects source and family of the Firehose table from the schema vocabularies', () => {
      expect(tableInput('FirehoseEventsTable').Parameters).toMatchObject({
        'projection.source.type': 'enum',
        'projection.source.values': SOURCES.join(','),
        'projection.family.type': 'enum',
        'projection.family.values': FAMILIES.join(','),
      });
    });

    it.each(['FirehoseEventsTable', 'ArchiveEventsTable'])(
      'gives %s a column or partition for every field of the schema, and no other',
      (id) => {
        const input = tableInput(id);
        const names = [
          ...((input.StorageDescriptor as JsonObject).Columns as JsonObject[]),
          ...(input.PartitionKeys as JsonObject[]),
        ].map((c) => c.Name as string);
        // FIELD_POLICY lists every field of NormalizedRecord (it does not compile otherwise).
        expect(names.sort()).toEqual(Object.keys(FIELD_POLICY).sort());
      },
    );

    it('locates the Firehose table where the delivery stream writes', () => {
      const parameters = tableInput('FirehoseEventsTable').Parameters as JsonObject;
      const location = render(parameters['storage.location.template'] as Json);
      const s3 = props('DeliveryStream').ExtendedS3DestinationConfiguration as JsonObject;
      const prefix = render(s3.Prefix as Json).replace(
        /!\{partitionKeyFromLambda:([a-z]+)\}/g,
        (_m, key: string) => placeholder(key),
      );
      expect(location).toBe(`s3://ArchiveBucket/${prefix}`);
      expect(
        render((tableInput('FirehoseEventsTable').StorageDescriptor as JsonObject).Location as Json),
      ).toBe('s3://ArchiveBucket/firehose/');
    });

    it.each([
      ['defaults', {}, 's3://ArchiveBucket/'],
      ['an existing bucket with a prefix', EXISTING, 's3://existing-archive/pinpoint/'],
    ])(
      'locates the archive table over the normalized objects the kinesis function writes (%s)',
      async (_n, o, base) => {
        const x = resolve(template, o);
        const input = (x.resources.ArchiveEventsTable as Resource).Properties.TableInput as JsonObject;
        const location = render((input.Parameters as JsonObject)['storage.location.template'] as Json);
        expect(location).toBe(`${base}normalized/dt=\${dt}/hour=\${hour}/`);
        const { runtime, archive } = await testRuntime();
        await processKinesisBatch(kinesisEvent('mixed'), runtime);
        const normalized = archive.zone('normalized');
        expect(normalized.length).toBeGreaterThan(0);
        for (const object of normalized) {
          const [, dt, hour] = object.key.match(/dt=([^/]+)\/hour=([^/]+)\//) ?? [];
          const partition = location
            .replace(placeholder('dt'), dt as string)
            .replace(placeholder('hour'), hour as string);
          expect(`${base}${object.key}`.startsWith(partition)).toBe(true);
        }
      },
    );

    it.each([
      ['messaging_events_archive_unique', 'messaging_events_archive', 'dt, event_id'],
      ['messaging_events_unique', 'messaging_events', 'source, family, dt, event_id'],
    ])(
      'saves the query that creates %s, a view with one row per event_id over its table',
      (view, table, partition) => {
        // Saved from docs/athena-queries.md with the other queries of the page (templateAthena.test.ts).
        const [query] = Object.values(r.resources).filter(
          (x) => x.Type === 'AWS::Athena::NamedQuery' && x.Properties.Name === `${view} (create view)`,
        );
        if (query === undefined) throw new Error(`no saved query ${view} (create view)`);
        expect(query.Properties).toMatchObject({
          Database: { Ref: 'GlueDatabase' },
          WorkGroup: { Ref: 'AthenaWorkGroup' },
        });
        const sql = (query.Properties.QueryString as string).replace(/\s+/g, ' ').trim();
        expect(sql).toBe(
          `CREATE OR REPLACE VIEW ${view} AS SELECT * FROM ( SELECT e.*, row_number() OVER (PARTITION BY ${partition} ORDER BY ingest_time) AS event_copy FROM ${table} e ) WHERE event_copy = 1`,
        );
        // The table is one of the stack's, and every partition column of the view's window is one of its columns.
        const input = Object.values(r.resources).find(
          (x) => x.Type === 'AWS::Glue::Table' && (x.Properties.TableInput as JsonObject).Name === table,
        )?.Properties.TableInput as JsonObject;
        const columns = [
          ...((input.StorageDescriptor as JsonObject).Columns as JsonObject[]),
          ...(input.PartitionKeys as JsonObject[]),
        ].map((c) => c.Name);
        for (const c of [...partition.split(', '), 'ingest_time']) expect(columns).toContain(c);
      },
    );

    it('gives Athena a workgroup whose results are encrypted in the archive bucket', () => {
      expect(props('AthenaWorkGroup')).toMatchObject({
        RecursiveDeleteOption: true,
        WorkGroupConfiguration: {
          EnforceWorkGroupConfiguration: true,
          ResultConfiguration: {
            EncryptionConfiguration: {
              EncryptionOption: 'SSE_KMS',
              KmsKey: { 'Fn::GetAtt': ['ArchiveKey', 'Arn'] },
            },
          },
        },
      });
      const output = (
        (props('AthenaWorkGroup').WorkGroupConfiguration as JsonObject).ResultConfiguration as JsonObject
      ).OutputLocation as Json;
      expect(render(output)).toBe('s3://ArchiveBucket/athena-results/');
    });
  });

  describe('outputs', () => {
    it('tells what to pass back in after a teardown', () => {
      expect(Object.keys(r.outputs)).toEqual(
        expect.arrayContaining([
          'ArchiveBucketName',
          'ArchiveKmsKeyArn',
          'PiiHashKeySecretArn',
          'PiiHashKeyKmsKeyArn',
          'PinpointAppId',
        ]),
      );
    });

    it('names the roles that the policies of a bucket, key or secret passed in must admit', () => {
      expect(r.outputs).toMatchObject({
        KinesisFunctionRoleArn: { 'Fn::GetAtt': ['KinesisFunctionRole', 'Arn'] },
        FirehoseFunctionRoleArn: { 'Fn::GetAtt': ['FirehoseFunctionRole', 'Arn'] },
        DeliveryStreamRoleArn: { 'Fn::GetAtt': ['DeliveryStreamRole', 'Arn'] },
      });
    });

    it('never outputs an empty value', () => {
      for (const overrides of Object.values(SCENARIOS)) {
        const x = resolve(template, overrides);
        for (const [id, v] of Object.entries(x.outputs)) expect({ id, v }).not.toEqual({ id, v: '' });
      }
    });
  });
});
