import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { dailyReport } from '../../handlers/report';
import {
  actionsOf,
  collectStatements,
  holderRoles,
  iamMatches,
  isObject,
  type Json,
  type JsonObject,
  type Resolved,
  type Resource,
  render,
  resolve,
  resourcesOf,
  roleStatements,
  type Statement,
  type Template,
} from '../helpers/cfnTemplate';
import { slsPackage } from '../helpers/sls';
import { readZip } from '../helpers/zip';
import { FaultProxy } from '../support/faultProxy';
import { type Started, startS3rver } from '../support/servers';

/**
 * The daily report in the template (infra/report.yml, serverless.yml `functions.report`): created only with
 * dailyReport=true, a function on a 01:00 UTC schedule with a least-privilege role, the archive key's policy
 * naming that role, a lifecycle rule for reports/, and a small bundle that carries the chart library.
 */

let template: Template;
let packageDir: string;
beforeAll(async () => {
  const packaged = await slsPackage();
  template = packaged.template as unknown as Template;
  packageDir = packaged.dir;
}, 120_000);

const ON = { DailyReport: 'true' };
const EXISTING = {
  DailyReport: 'true',
  ArchiveBucketName: 'existing-archive',
  ArchivePrefix: 'pinpoint/',
  ArchiveKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/66666666-7777-8888-9999-000000000000',
};

const res = (x: Resolved, id: string): Resource => {
  const r = x.resources[id];
  if (r === undefined) throw new Error(`no resource ${id}`);
  return r;
};
const REPORT_RESOURCES = [
  'ReportLambdaFunction',
  'ReportLogGroup',
  'ReportFunctionRole',
  'ReportFunctionDataPolicy',
  'ReportSchedule',
  'ReportSchedulePermission',
  'ReportFunctionErrorsAlarm',
];

describe('the daily report is off by default', () => {
  it('defaults dailyReport to false and reportsExpirationDays to 365', () => {
    expect(template.Parameters.DailyReport).toMatchObject({
      Default: 'false',
      AllowedValues: ['true', 'false'],
    });
    expect(template.Parameters.ReportsExpirationDays).toMatchObject({ Default: '365', MinValue: 0 });
  });

  it('puts every resource of the report under the condition, and creates none of them by default', () => {
    const ids = Object.keys(template.Resources).filter((id) => id.startsWith('Report'));
    expect(ids.sort()).toEqual([...REPORT_RESOURCES].sort());
    for (const id of ids)
      expect({ id, condition: template.Resources[id]?.Condition }).toEqual({
        id,
        condition: 'RunDailyReport',
      });
    expect(template.Conditions.RunDailyReport).toEqual({ 'Fn::Equals': [{ Ref: 'DailyReport' }, 'true'] });
    const off = resolve(template);
    expect(Object.keys(off.resources).filter((id) => id.startsWith('Report'))).toEqual([]);
    // Nothing else the function could be invoked by, and no version or output of it outside the condition.
    expect(JSON.stringify(off.resources)).not.toMatch(/ReportLambda|ReportFunctionRole|ReportSchedule/);
    // The one output, the role's ARN for the policies of a bucket or key passed in, under the condition too.
    expect(Object.entries(template.Outputs ?? {}).filter(([id]) => id.includes('Report'))).toEqual([
      ['ReportFunctionRoleArn', expect.objectContaining({ Condition: 'RunDailyReport' })],
    ]);
    expect(off.outputs.ReportFunctionRoleArn).toBeUndefined();
    expect(resolve(template, ON).outputs.ReportFunctionRoleArn).toEqual({
      'Fn::GetAtt': ['ReportFunctionRole', 'Arn'],
    });
    expect(Object.keys(template.Resources).filter((id) => id.startsWith('ReportLambdaVersion'))).toEqual([]);
  });

  it('creates all of them with dailyReport=true', () => {
    const on = resolve(template, ON);
    for (const id of REPORT_RESOURCES) expect(on.resources[id]).toBeDefined();
  });
});

describe('with dailyReport=true', () => {
  let on: Resolved;
  beforeAll(() => {
    on = resolve(template, ON);
  });

  it('runs handlers/report.handler with its own role, pointed at the archive', () => {
    const p = res(on, 'ReportLambdaFunction').Properties;
    expect(p).toMatchObject({
      Handler: 'handlers/report.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 300,
      Role: { 'Fn::GetAtt': ['ReportFunctionRole', 'Arn'] },
    });
    expect((p.Environment as JsonObject).Variables).toMatchObject({
      ARCHIVE_BUCKET: { Ref: 'ArchiveBucket' },
      ARCHIVE_PREFIX: '',
      ARCHIVE_KMS_KEY_ID: { 'Fn::GetAtt': ['ArchiveKey', 'Arn'] },
    });
    expect(res(on, 'ReportLambdaFunction').DependsOn).toEqual(
      expect.arrayContaining(['ReportLogGroup', 'ReportFunctionRole', 'ReportFunctionDataPolicy']),
    );
    const existing = resolve(template, EXISTING);
    expect(
      (res(existing, 'ReportLambdaFunction').Properties.Environment as JsonObject).Variables,
    ).toMatchObject({
      ARCHIVE_BUCKET: 'existing-archive',
      ARCHIVE_PREFIX: 'pinpoint/',
      ARCHIVE_KMS_KEY_ID: EXISTING.ArchiveKmsKeyArn,
    });
    expect(res(on, 'ReportLogGroup').Properties).toMatchObject({ RetentionInDays: 30 });
    const logKey = 'arn:aws:kms:us-east-1:123456789012:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
    expect(
      res(resolve(template, { ...ON, LogsKmsKeyArn: logKey }), 'ReportLogGroup').Properties.KmsKeyId,
    ).toBe(logKey);
  });

  it('invokes it every day at 01:00 UTC from an EventBridge rule allowed to invoke it, and no one else', () => {
    const rule = res(on, 'ReportSchedule').Properties;
    expect(rule).toMatchObject({ ScheduleExpression: 'cron(0 1 * * ? *)', State: 'ENABLED' });
    expect(rule.Targets).toEqual([
      expect.objectContaining({ Id: 'report', Arn: { 'Fn::GetAtt': ['ReportLambdaFunction', 'Arn'] } }),
    ]);
    expect(res(on, 'ReportSchedulePermission').Properties).toEqual({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': ['ReportLambdaFunction', 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
      SourceArn: { 'Fn::GetAtt': ['ReportSchedule', 'Arn'] },
    });
    const permissions = Object.values(on.resources).filter(
      (x) =>
        x.Type === 'AWS::Lambda::Permission' &&
        JSON.stringify(x.Properties.FunctionName).includes('ReportLambdaFunction'),
    );
    expect(permissions).toHaveLength(1);
  });

  it('alarms on the function’s errors, to the alert topic', () => {
    expect(res(on, 'ReportFunctionErrorsAlarm').Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'ReportLambdaFunction' } }],
      AlarmActions: [{ Ref: 'AlertTopic' }],
      OKActions: [{ Ref: 'AlertTopic' }],
    });
  });
});

describe('the report role: least privilege', () => {
  /** The role's statements, rendered: `action resource [condition]`, sorted. */
  const grants = (x: Resolved) =>
    roleStatements(x, 'ReportFunctionRole')
      .flatMap((s) =>
        actionsOf(s).flatMap((a) =>
          resourcesOf(s).map((r) => {
            const condition =
              s.Condition === undefined ? '' : ` ${JSON.stringify(renderCondition(s.Condition))}`;
            return `${a} ${render(r)}${condition}`;
          }),
        ),
      )
      .sort();

  it.each([
    ['the created bucket', ON, 'ArchiveBucket', '', 'arn:ArchiveKey'],
    [
      'an existing bucket with a prefix and a key',
      EXISTING,
      'existing-archive',
      'pinpoint/',
      EXISTING.ArchiveKmsKeyArn,
    ],
  ])(
    'lists analytics/ and alerts/, reads them, writes reports/, and uses the key through S3 (%s)',
    (_n, overrides, bucket, prefix, key) => {
      const x = resolve(template, overrides);
      const via = ' {"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}';
      expect(grants(x)).toEqual(
        [
          `kms:Decrypt ${key}${via}`,
          `kms:GenerateDataKey ${key}${via}`,
          'logs:CreateLogStream arn:ReportLogGroup',
          'logs:PutLogEvents arn:ReportLogGroup',
          `s3:GetObject arn:aws:s3:::${bucket}/${prefix}alerts/*`,
          `s3:GetObject arn:aws:s3:::${bucket}/${prefix}analytics/*`,
          `s3:ListBucket arn:aws:s3:::${bucket} {"StringLike":{"s3:prefix":["${prefix}analytics/*","${prefix}alerts/*"]}}`,
          `s3:PutObject arn:aws:s3:::${bucket}/${prefix}reports/*`,
        ].sort(),
      );
    },
  );

  it('uses no key on a bucket without one, and reads no secret', () => {
    const x = resolve(template, { ...EXISTING, ArchiveKmsKeyArn: '' });
    expect(grants(x).filter((g) => g.startsWith('kms:'))).toEqual([]);
    expect(grants(x).filter((g) => g.startsWith('secretsmanager:'))).toEqual([]);
  });

  it('trusts Lambda only', () => {
    expect(res(resolve(template, ON), 'ReportFunctionRole').Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    });
  });

  it('is named in the archive key’s policy, through S3 only, only with dailyReport=true', () => {
    const users = (x: Resolved) =>
      ((res(x, 'ArchiveKey').Properties.KeyPolicy as JsonObject).Statement as unknown as Statement[])
        .filter((s) => s.Effect === 'Allow' && actionsOf(s).includes('kms:Decrypt'))
        .flatMap((s) => [(s.Principal as JsonObject).AWS ?? []].flat().map((p) => render(p as Json)));
    expect(users(resolve(template))).not.toContain('arn:ReportFunctionRole');
    const on = resolve(template, ON);
    expect(users(on)).toContain('arn:ReportFunctionRole');
    const statement = (
      (res(on, 'ArchiveKey').Properties.KeyPolicy as JsonObject).Statement as unknown as Statement[]
    ).find((s) => s.Sid === 'ReportFunctionUsesTheKeyThroughS3') as Statement;
    expect(statement).toMatchObject({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Condition: {
        StringEquals: { 'kms:ViaService': { 'Fn::Sub': `s3.${'$'}{AWS::Region}.amazonaws.com` } },
      },
    });
  });

  it('is the only holder of its grants on reports/, and holds none on the other zones', () => {
    const on = resolve(template, ON);
    const onReports = collectStatements(on.resources)
      .filter(
        (l) =>
          l.statement.Effect === 'Allow' &&
          resourcesOf(l.statement).some((r) => render(r).includes('reports/')),
      )
      .flatMap((l) => holderRoles(on, l.resource));
    expect([...new Set(onReports)]).toEqual(['ReportFunctionRole']);
    for (const g of roleStatements(on, 'ReportFunctionRole').flatMap((s) => resourcesOf(s).map(render))) {
      expect(g).not.toMatch(/\/(raw|normalized|quarantine|rollups|firehose[a-z-]*|athena-results)\//);
    }
  });

  describe('covers what the function does, and no more is needed', () => {
    let s3: Started;
    let proxy: FaultProxy;
    beforeAll(async () => {
      s3 = await startS3rver(['existing-archive']);
      proxy = new FaultProxy(s3.url);
      const client = new S3Client({ endpoint: s3.url, region: 'us-east-1', forcePathStyle: true });
      const line = (hour: string) =>
        `${JSON.stringify({ kind: 'messages', hour, source: 'ses', family: 'email', channel: 'EMAIL', outcome: 'delivered', count: 3 })}\n`;
      for (const [key, body] of [
        [
          'pinpoint/analytics/dt=2026-12-07/hour=09/kinesis/s/a.jsonl.gz',
          gzipSync(line('2026-12-07T09:00:00.000Z')),
        ],
        ['pinpoint/alerts/dt=2026-12-07/hour=09/kinesis/s/a.jsonl', Buffer.from('')],
      ] as const) {
        await client.send(new PutObjectCommand({ Bucket: 'existing-archive', Key: key, Body: body }));
      }
      client.destroy();
    });
    afterAll(async () => {
      await proxy?.stop();
      await s3?.stop();
    });

    it('lists, reads and writes only where its role allows (an existing bucket with a prefix)', async () => {
      const url = await proxy.start();
      const x = resolve(template, EXISTING);
      const env = (res(x, 'ReportLambdaFunction').Properties.Environment as JsonObject)
        .Variables as JsonObject;
      const result = await dailyReport(
        { time: '2026-12-08T01:00:00Z' },
        {
          ARCHIVE_BUCKET: env.ARCHIVE_BUCKET as string,
          ARCHIVE_PREFIX: env.ARCHIVE_PREFIX as string,
          AWS_ENDPOINT_URL_S3: url,
        },
      );
      expect(result).toMatchObject({ analyticsObjects: 1, records: 3 });
      const statements = roleStatements(x, 'ReportFunctionRole');
      /** The `s3:prefix` values a statement's condition allows (none: no condition on the prefix). */
      const prefixes = (s: Statement) =>
        (((s.Condition?.StringLike as JsonObject | undefined)?.['s3:prefix'] ?? []) as Json[]).map(render);
      const allowed = (action: string, arn: string, prefix?: string) =>
        statements.some(
          (s) =>
            s.Effect === 'Allow' &&
            actionsOf(s).includes(action) &&
            resourcesOf(s).some((r) => iamMatches(render(r), arn)) &&
            (prefix === undefined || prefixes(s).some((p) => iamMatches(p, prefix))),
        );
      const requests = proxy.sent.map((r) => ({ method: r.method, url: new URL(r.path, url) }));
      expect(requests.length).toBeGreaterThanOrEqual(4);
      for (const r of requests) {
        const [, bucket, ...rest] = decodeURIComponent(r.url.pathname).split('/');
        const key = rest.join('/');
        let ok: boolean;
        if (r.method === 'GET' && r.url.searchParams.has('list-type')) {
          ok = allowed('s3:ListBucket', `arn:aws:s3:::${bucket}`, r.url.searchParams.get('prefix') ?? '');
        } else if (r.method === 'GET') ok = allowed('s3:GetObject', `arn:aws:s3:::${bucket}/${key}`);
        else if (r.method === 'PUT') ok = allowed('s3:PutObject', `arn:aws:s3:::${bucket}/${key}`);
        else ok = false;
        expect({ request: `${r.method} ${r.url.pathname}${r.url.search}`, ok }).toEqual({
          request: `${r.method} ${r.url.pathname}${r.url.search}`,
          ok: true,
        });
      }
      // …and the check itself refuses what the role does not allow.
      expect(allowed('s3:GetObject', 'arn:aws:s3:::existing-archive/pinpoint/raw/dt=2026-12-07/x')).toBe(
        false,
      );
      expect(allowed('s3:ListBucket', 'arn:aws:s3:::existing-archive', 'pinpoint/')).toBe(false);
      expect(allowed('s3:PutObject', 'arn:aws:s3:::existing-archive/pinpoint/analytics/x')).toBe(false);
    });
  });
});

describe('the reports/ lifecycle rule', () => {
  const rule = (x: Resolved) =>
    ((res(x, 'ArchiveBucket').Properties.LifecycleConfiguration as JsonObject).Rules as JsonObject[]).find(
      (r) => r.Id === 'reports-expiry',
    );

  it('expires reports/ after reportsExpirationDays (365), under the archive prefix, report on or off', () => {
    expect(rule(resolve(template))).toEqual({
      Id: 'reports-expiry',
      Status: 'Enabled',
      Prefix: { 'Fn::Sub': 'reports/' },
      ExpirationInDays: '365',
    });
    expect(
      rule(resolve(template, { ...ON, ArchivePrefix: 'pinpoint/', ReportsExpirationDays: '30' })),
    ).toMatchObject({
      Prefix: { 'Fn::Sub': 'pinpoint/reports/' },
      ExpirationInDays: '30',
    });
  });

  it('keeps them with 0', () => {
    expect(rule(resolve(template, { ...ON, ReportsExpirationDays: '0' }))).toBeUndefined();
  });
});

describe('the report function’s bundle', () => {
  let files: Map<string, Buffer>;
  beforeAll(() => {
    files = readZip(join(packageDir, 'report.zip'));
  });

  it('is small: the report code and the chart library, with the runtime’s S3 client', () => {
    const js = files.get('handlers/report.js')?.toString('utf8') ?? '';
    const chart = readFileSync(
      join(__dirname, '..', '..', 'node_modules', 'chart.js', 'dist', 'chart.umd.min.js'),
      'utf8',
    );
    expect(js.length).toBeGreaterThan(chart.length);
    expect(js.length - chart.length).toBeLessThan(150 * 1024);
    // The chart library's text, whole, inlined where the sources read it from node_modules: the string literal
    // the bundle's chartLibrarySource returns, evaluated, is the file.
    const literal =
      /function chartLibrarySource\(\) \{\n\s*return ('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*");\n\}/.exec(
        js,
      )?.[1];
    expect(literal).toBeDefined();
    expect(new Function(`return ${literal};`)()).toBe(chart);
    expect(js).not.toMatch(/require\.resolve\("chart\.js"\)/);
    // No command-line parser, configuration loader, rules or SDK in it.
    const modules = [...js.matchAll(/^\/\/ ((?:node_modules|src|handlers)\/\S+)$/gm)].map(
      (m) => m[1] as string,
    );
    expect(modules.length).toBeGreaterThan(10);
    for (const m of modules)
      expect(m).not.toMatch(/node_modules\/(commander|zod|yaml|@aws-sdk|@smithy)\/|src\/(config|rules\/)/);
    expect([...files.keys()].sort()).toEqual(['handlers/report.js', 'handlers/report.js.map']);
  });

  it('is the only bundle with the chart library', () => {
    for (const name of ['kinesis', 'firehose']) {
      const js =
        readZip(join(packageDir, `${name}.zip`))
          .get(`handlers/${name}.js`)
          ?.toString('utf8') ?? '';
      expect(js.length).toBeGreaterThan(0);
      expect(js).not.toContain('chartLibrarySource');
    }
  });
});

/** A statement's condition with its Fn::Sub texts rendered. */
function renderCondition(node: Json): Json {
  if (Array.isArray(node)) return node.map(renderCondition);
  if (isObject(node)) {
    if ('Fn::Sub' in node || 'Ref' in node || 'Fn::GetAtt' in node) return render(node);
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, renderCondition(v)]));
  }
  return node;
}
