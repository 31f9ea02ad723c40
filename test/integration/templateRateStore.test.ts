import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../src/config';
import { PowertoolsTelemetry } from '../../src/observability/PowertoolsTelemetry';
import {
  actionsOf,
  collectStatements,
  flattenIf,
  holderRoles,
  type Json,
  type JsonObject,
  type Resolved,
  type Resource,
  render,
  renderJson,
  resolve,
  resourcesOf,
  roleStatements,
  type Template,
} from '../helpers/cfnTemplate';
import { ROOT, slsPackage } from '../helpers/sls';

/**
 * The stack side of the shared rate store (docs/rates.md §2–§6): the DynamoDB table both functions add their
 * counts to, the environment that points them at it, the two actions their roles may use on it, the alarm on
 * counts that could not be stored, the dashboard, and the retired Kinesis tumbling windows. Read from the
 * template `sls package` writes offline: once with the defaults, once with kinesisParallelizationFactor=2.
 */

let template: Template;
/** Packaged with `--param=kinesisParallelizationFactor=2`. */
let parallelTemplate: Template;
beforeAll(async () => {
  // One after the other: two packagings of one service at once race on its .serverless/ state.
  template = (await slsPackage()).template as unknown as Template;
  parallelTemplate = (await slsPackage({ kinesisParallelizationFactor: '2' }))
    .template as unknown as Template;
}, 240_000);

const FUNCTIONS = [
  ['KinesisLambdaFunction', 'KinesisFunctionRole'],
  ['FirehoseLambdaFunction', 'FirehoseFunctionRole'],
] as const;

const res = (r: Resolved, id: string): Resource => {
  const x = r.resources[id];
  if (x === undefined) throw new Error(`no resource ${id}`);
  return x;
};
const envOf = (r: Resolved, fn: string) =>
  (res(r, fn).Properties.Environment as JsonObject).Variables as JsonObject;

// ---------------------------------------------------------------------------------------------------------

describe('the rate table', () => {
  let r: Resolved;
  beforeAll(() => {
    r = resolve(template);
  });

  it('is one DynamoDB table, in every deployment, keyed by pk (a string) alone, on demand', () => {
    const tables = Object.entries(template.Resources).filter(([, x]) => x.Type === 'AWS::DynamoDB::Table');
    expect(tables.map(([id]) => id)).toEqual(['RateTable']);
    const table = template.Resources.RateTable as Resource;
    expect(table.Condition).toBeUndefined();
    const p = table.Properties;
    expect(p.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(p.AttributeDefinitions).toEqual([{ AttributeName: 'pk', AttributeType: 'S' }]);
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.ProvisionedThroughput).toBeUndefined();
    // One item per counter or batch marker, read by its key only: no index, no stream, no table class games.
    for (const k of ['GlobalSecondaryIndexes', 'LocalSecondaryIndexes', 'StreamSpecification']) {
      expect({ k, v: p[k] }).toEqual({ k, v: undefined });
    }
  });

  it('expires every item by its expires_at attribute (TTL), which the code sets in epoch seconds', () => {
    expect(res(r, 'RateTable').Properties.TimeToLiveSpecification).toEqual({
      AttributeName: 'expires_at',
      Enabled: true,
    });
  });

  it('is encrypted with KMS (the AWS managed key: counts and rule names, no records)', () => {
    expect(res(r, 'RateTable').Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
  });

  it('has point-in-time recovery off by default, on with rateTablePointInTimeRecovery=true', () => {
    const pitr = (x: Resolved) => res(x, 'RateTable').Properties.PointInTimeRecoverySpecification;
    expect(pitr(r)).toEqual({ PointInTimeRecoveryEnabled: false });
    expect(pitr(resolve(template, { RateTablePointInTimeRecovery: 'true' }))).toEqual({
      PointInTimeRecoveryEnabled: true,
    });
  });

  it('goes with the stack (counts only, rebuilt by traffic; the rollups keep the history)', () => {
    const table = res(r, 'RateTable');
    expect(table.DeletionPolicy).toBe('Delete');
    expect(table.UpdateReplacePolicy).toBe('Delete');
    expect(table.Properties.DeletionProtectionEnabled ?? false).toBe(false);
  });

  it('is named by CloudFormation, tagged like the stream, and its name is an output', () => {
    const p = res(r, 'RateTable').Properties;
    expect(p.TableName).toBeUndefined();
    expect(p.Tags).toEqual(res(r, 'KinesisStream').Properties.Tags);
    expect(r.outputs.RateTableName).toEqual({ Ref: 'RateTable' });
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('the functions’ environment', () => {
  it.each(FUNCTIONS)('points %s at the table, with the retention and the counter bound', (fn) => {
    const env = envOf(resolve(template), fn);
    expect(env).toMatchObject({
      RATE_TABLE: { Ref: 'RateTable' },
      RATE_RETENTION_HOURS: '48',
      RATE_MAX_COUNTERS: '200',
    });
    const x = envOf(resolve(template, { RateRetentionHours: '12', RateMaxCounters: '1000' }), fn);
    expect(x).toMatchObject({ RATE_RETENTION_HOURS: '12', RATE_MAX_COUNTERS: '1000' });
    // The code's default stands for the concurrency: no setting of its own.
    expect(env.RATE_CONCURRENCY).toBeUndefined();
  });

  it('reads as the code reads it: a table name CloudFormation makes, and the parameters’ defaults', () => {
    for (const [fn] of FUNCTIONS) {
      const env = envOf(resolve(template), fn);
      expect(env.RATE_TABLE).toEqual({ Ref: 'RateTable' });
      const values = {
        RATE_RETENTION_HOURS: env.RATE_RETENTION_HOURS,
        RATE_MAX_COUNTERS: env.RATE_MAX_COUNTERS,
      };
      expect(values).toEqual({
        RATE_RETENTION_HOURS: expect.any(String),
        RATE_MAX_COUNTERS: expect.any(String),
      });
      const config = loadConfig({
        SINKS: 'local',
        // What Ref RateTable gives: <stack>-RateTable-<suffix>.
        RATE_TABLE: 'pinpoint-stream-processor-dev-RateTable-1A2B3C4D5E6F',
        ...(values as Record<string, string>),
      });
      expect(config.rates).toMatchObject({
        table: 'pinpoint-stream-processor-dev-RateTable-1A2B3C4D5E6F',
        retentionHours: 48,
        maxCounters: 200,
      });
    }
  });

  it.each([
    ['RateRetentionHours', 'RATE_RETENTION_HOURS', '48', 1, 9600],
    ['RateMaxCounters', 'RATE_MAX_COUNTERS', '200', 1, 5000],
  ])('bounds %s by exactly what the code accepts in %s', (name, variable, def, min, max) => {
    expect(template.Parameters[name]).toMatchObject({
      Type: 'Number',
      Default: def,
      MinValue: min,
      MaxValue: max,
    });
    const load = (v: number) => () => loadConfig({ SINKS: 'local', [variable]: String(v) });
    expect(load(min)).not.toThrow();
    expect(load(max)).not.toThrow();
    expect(load(min - 1)).toThrow(variable);
    expect(load(max + 1)).toThrow(variable);
  });

  it('takes rateTablePointInTimeRecovery as true or false (false by default)', () => {
    expect(template.Parameters.RateTablePointInTimeRecovery).toEqual(
      expect.objectContaining({ Type: 'String', Default: 'false', AllowedValues: ['true', 'false'] }),
    );
  });

  it('has serverless.yml params for the three, which become the parameters’ defaults', async () => {
    const params = parseYaml(readFileSync(join(ROOT, 'serverless.yml'), 'utf8')).params.default;
    expect(params).toMatchObject({
      rateRetentionHours: '48',
      rateMaxCounters: '200',
      rateTablePointInTimeRecovery: 'false',
    });
  });
});

describe('the Kinesis path’s guard (docs/rates.md §3)', () => {
  const guard = (t: Template, overrides: Record<string, string> = {}) =>
    envOf(resolve(t, overrides), 'KinesisLambdaFunction').RATE_KINESIS_GUARD;

  it('is sequence (per-shard high-water marks) with the default parallelization factor of 1', () => {
    expect(template.Parameters.KinesisParallelizationFactor?.Default).toBe('1');
    expect(guard(template)).toBe('sequence');
  });

  it('is batch (markers) with any factor above 1: one shard’s records arrive in concurrent lanes', () => {
    for (const factor of ['2', '5', '10']) {
      expect({ factor, guard: guard(template, { KinesisParallelizationFactor: factor }) }).toEqual({
        factor,
        guard: 'batch',
      });
    }
  });

  it('follows --param=kinesisParallelizationFactor=2 when packaging', () => {
    expect(parallelTemplate.Parameters.KinesisParallelizationFactor?.Default).toBe('2');
    expect(guard(parallelTemplate)).toBe('batch');
    expect(
      (resolve(parallelTemplate).resources.KinesisEventSourceMapping as Resource).Properties
        .ParallelizationFactor,
    ).toBe('2');
  });

  it('is set on the kinesis function only (Firehose always uses batch markers)', () => {
    expect(envOf(resolve(template), 'FirehoseLambdaFunction').RATE_KINESIS_GUARD).toBeUndefined();
  });

  it('is, on either branch of its condition, a value the code accepts', () => {
    const kinesis = template.Resources.KinesisLambdaFunction as Resource;
    const value = ((kinesis.Properties.Environment as JsonObject).Variables as JsonObject).RATE_KINESIS_GUARD;
    expect(value).toEqual({ 'Fn::If': [expect.any(String), 'sequence', 'batch'] });
    const [condition, ...branches] = (value as JsonObject)['Fn::If'] as [string, string, string];
    // The condition is the factor's being 1, nothing else.
    expect(template.Conditions[condition]).toEqual({
      'Fn::Equals': [{ Ref: 'KinesisParallelizationFactor' }, '1'],
    });
    for (const guard of branches) {
      expect(loadConfig({ SINKS: 'local', RATE_KINESIS_GUARD: guard }).rates.kinesisGuard).toBe(guard);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('least privilege on the table', () => {
  const dynamo = (statements: ReturnType<typeof roleStatements>) =>
    statements.filter((s) => actionsOf(s).some((a) => a.toLowerCase().startsWith('dynamodb:')));

  it.each(FUNCTIONS)('lets %s’s role UpdateItem and GetItem on the table, nothing else', (_fn, role) => {
    for (const overrides of [
      {},
      { KinesisParallelizationFactor: '4', RateTablePointInTimeRecovery: 'true' },
    ] as Array<Record<string, string>>) {
      const statements = dynamo(roleStatements(resolve(template, overrides), role));
      expect(statements).toHaveLength(1);
      const s = statements[0] as (typeof statements)[number];
      expect(s.Effect).toBe('Allow');
      expect(actionsOf(s).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
      expect(resourcesOf(s)).toEqual([{ 'Fn::GetAtt': ['RateTable', 'Arn'] }]);
      expect(s.NotAction).toBeUndefined();
      expect(s.NotResource).toBeUndefined();
    }
  });

  it('grants DynamoDB to nobody else, and never dynamodb:* (both branches of every condition)', () => {
    const all = collectStatements(template.Resources).filter((l) =>
      flattenIf(l.statement.Action ?? null).some(
        (a) => typeof a === 'string' && a.toLowerCase().startsWith('dynamodb:'),
      ),
    );
    const r = resolve(template);
    expect([...new Set(all.flatMap((l) => holderRoles(r, l.resource)))].sort()).toEqual([
      'FirehoseFunctionRole',
      'KinesisFunctionRole',
    ]);
    const actions = all.flatMap((l) => actionsOf(l.statement));
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    expect([...new Set(actions)].sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    // No policy names another table, an index or a stream of it.
    const resources = all.flatMap((l) => resourcesOf(l.statement).map((x) => render(x)));
    expect([...new Set(resources)]).toEqual(['arn:RateTable']);
  });

  it('needs no KMS permission for it: the AWS managed key serves DynamoDB for the caller', () => {
    for (const [, role] of FUNCTIONS) {
      const kms = roleStatements(resolve(template), role).filter((s) =>
        actionsOf(s).some((a) => a.startsWith('kms:')),
      );
      // Neither through DynamoDB (kms:ViaService) nor on its key (alias/aws/dynamodb).
      expect(kms.length).toBeGreaterThan(0);
      expect(JSON.stringify(kms)).not.toMatch(/dynamodb/i);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('the rate-counts-dropped alarm', () => {
  let r: Resolved;
  beforeAll(() => {
    r = resolve(template);
  });
  interface Query {
    Id: string;
    Expression?: string;
    ReturnData?: boolean;
    MetricStat?: {
      Metric: { Namespace: string; MetricName: string; Dimensions: Array<{ Name: string; Value: Json }> };
      Period: number;
      Stat: string;
    };
  }
  const alarm = () => res(r, 'RateCountsDroppedAlarm');
  const queries = () => alarm().Properties.Metrics as unknown as Query[];

  it('fires on any count dropped in 5 minutes, on either path, to the alert topic', () => {
    expect(alarm().Type).toBe('AWS::CloudWatch::Alarm');
    expect((template.Resources.RateCountsDroppedAlarm as Resource).Condition).toBeUndefined();
    expect(alarm().Properties).toMatchObject({
      AlarmName: 'pinpoint-stream-processor-dev-rate-counts-dropped',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'AlertTopic' }],
      OKActions: [{ Ref: 'AlertTopic' }],
    });
    const stats = queries().filter((q) => q.MetricStat !== undefined);
    const env = envOf(r, 'KinesisLambdaFunction');
    expect(
      stats
        .map((q) => {
          const dims = Object.fromEntries(
            q.MetricStat?.Metric.Dimensions.map((d) => [d.Name, render(d.Value)]) ?? [],
          );
          return { ...q.MetricStat, Metric: { ...q.MetricStat?.Metric, Dimensions: dims } };
        })
        .sort((a, b) => String(a.Metric.Dimensions.Path).localeCompare(String(b.Metric.Dimensions.Path))),
    ).toEqual(
      ['firehose', 'kinesis'].map((path) => ({
        Metric: {
          Namespace: env.POWERTOOLS_METRICS_NAMESPACE,
          MetricName: 'RateCountsDropped',
          Dimensions: { service: env.POWERTOOLS_SERVICE_NAME, Path: path },
        },
        Period: 300,
        Stat: 'Sum',
      })),
    );
    // The one datapoint the alarm watches adds both paths, each filled with 0 where it has no data.
    const returned = queries().filter((q) => q.ReturnData === true);
    expect(returned).toHaveLength(1);
    const expression = render((returned[0] as Query).Expression as Json);
    for (const q of stats) expect(expression).toContain(`FILL(${q.Id}, 0)`);
    expect(expression).toMatch(/^FILL\(\w+, 0\) \+ FILL\(\w+, 0\)$/);
  });

  it.each(['kinesis', 'firehose'] as const)(
    'watches what the %s function emits when counts are dropped',
    async (path) => {
      const env = envOf(r, path === 'kinesis' ? 'KinesisLambdaFunction' : 'FirehoseLambdaFunction');
      const metrics = new Metrics({
        namespace: env.POWERTOOLS_METRICS_NAMESPACE as string,
        serviceName: env.POWERTOOLS_SERVICE_NAME as string,
      });
      const blobs: Array<Record<string, unknown>> = [];
      const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        for (const line of String(chunk).split('\n'))
          if (line.startsWith('{"_aws"')) blobs.push(JSON.parse(line));
        return true;
      });
      try {
        new PowertoolsTelemetry(metrics).rates({
          path,
          counters: 3,
          written: 0,
          alreadyApplied: 0,
          dropped: 7,
          overflowed: 0,
          alertsClaimed: 0,
        });
        metrics.publishStoredMetrics();
      } finally {
        out.mockRestore();
      }
      const blob = blobs.find((b) => typeof b.RateCountsDropped === 'number');
      expect(blob).toMatchObject({ RateCountsDropped: 7, service: env.POWERTOOLS_SERVICE_NAME, Path: path });
      const watched = queries().find((q) => {
        const dims = Object.fromEntries(
          q.MetricStat?.Metric.Dimensions.map((d) => [d.Name, render(d.Value)]) ?? [],
        );
        return dims.Path === path;
      });
      const names = watched?.MetricStat?.Metric.Dimensions.map((d) => d.Name);
      expect(blob?._aws).toMatchObject({
        CloudWatchMetrics: [{ Namespace: watched?.MetricStat?.Metric.Namespace, Dimensions: [names] }],
      });
    },
  );
});

describe('the dashboard', () => {
  it('graphs the rate store per path: counter writes, counts dropped and records overflowed', () => {
    const body = renderJson(
      res(resolve(template), 'Dashboard').Properties.DashboardBody as Json,
    ) as JsonObject;
    const widgets = body.widgets as unknown as Array<{ properties: JsonObject }>;
    const lines = widgets
      .flatMap((w) => (w.properties.metrics ?? []) as Json[][])
      .filter((m) => typeof m[1] === 'string' && (m[1] as string).startsWith('Rate'))
      .map((m) => {
        const values = m.filter((x) => typeof x === 'string') as string[];
        return `${values[1]} ${values.slice(2).join(' ')}`;
      })
      .sort();
    expect(lines).toEqual(
      ['RateCountsDropped', 'RateCounterWrites', 'RateRecordsOverflowed']
        .flatMap((name) =>
          ['firehose', 'kinesis'].map((path) => `${name} service pinpoint-stream-processor-dev Path ${path}`),
        )
        .sort(),
    );
    // The window-state metrics of the tumbling windows are gone, from every widget and alarm.
    expect(JSON.stringify(template)).not.toMatch(/RateState(Bytes|Resets)/);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('no Kinesis tumbling windows any more', () => {
  it('leaves TumblingWindowInSeconds and its parameter out of the template, params and infra', () => {
    for (const t of [template, parallelTemplate]) {
      expect(JSON.stringify(t)).not.toMatch(/TumblingWindow/i);
    }
    expect(template.Parameters.KinesisTumblingWindowSeconds).toBeUndefined();
    const sources = ['serverless.yml', 'infra/kinesis.yml', 'infra/parameters.yml', 'infra/functions.yml'];
    for (const file of sources) {
      expect({ file, text: readFileSync(join(ROOT, file), 'utf8') }).toEqual({
        file,
        text: expect.not.stringMatching(/TumblingWindow|kinesisTumblingWindowSeconds/),
      });
    }
  });

  it('keeps everything else of the mapping: partial failures, no bisection, bounded retries, the queue', () => {
    const esm = res(resolve(template), 'KinesisEventSourceMapping').Properties;
    expect(esm).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: false,
      MaximumRetryAttempts: '10',
      MaximumRecordAgeInSeconds: '21600',
      ParallelizationFactor: '1',
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['KinesisDeadLetterQueue', 'Arn'] } } },
    });
  });

  it('keeps a retention that outlives a Kinesis retry at the maximum record age (docs/rates.md §5)', () => {
    const r = resolve(template);
    expect(Number(r.params.RateRetentionHours) * 3600).toBeGreaterThan(
      Number(r.params.KinesisMaxRecordAgeSeconds),
    );
  });
});
