import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnalyticsTally } from '../../src/analytics/AnalyticsTally';
import { ANALYTICS_FIELDS, type AnalyticsRow } from '../../src/analytics/analyticsRow';
import { processFirehoseBatch } from '../../src/batch/firehose';
import { processKinesisBatch } from '../../src/batch/kinesis';
import { planAnalyticsObjects } from '../../src/sinks/archiveObjects';
import type { ArchiveObject, BatchRef } from '../../src/sinks/ports';
import {
  allowedOn,
  iamMatches,
  type Json,
  type JsonObject,
  placeholder,
  type Resolved,
  type Resource,
  render,
  resolve,
  roleStatements,
  type Template,
} from '../helpers/cfnTemplate';
import { normalizedRecord } from '../helpers/factories';
import { type GlueColumn, type GlueTable, glueTable, glueViolations } from '../helpers/glue';
import { firehoseEvent, kinesisEvent, testRuntime } from '../helpers/runtime';
import { ROOT, slsPackage } from '../helpers/sls';

/**
 * The stack side of the analytics rows (docs/analytics.md): the `analytics` Glue table against the rows the code
 * writes, the functions' right to write `analytics/`, and its lifecycle.
 */

let template: Template;
/** Every analytics object the two handlers wrote over the mixed samples, plus a batch past its row bound. */
let objects: ArchiveObject[];

beforeAll(async () => {
  template = (await slsPackage()).template as unknown as Template;
  const kinesis = await testRuntime();
  await processKinesisBatch(kinesisEvent('mixed'), kinesis.runtime);
  const firehose = await testRuntime();
  await processFirehoseBatch(firehoseEvent('mixed'), firehose.runtime);
  const bounded = await testRuntime({ ANALYTICS_MAX_ROWS: '10' });
  await processKinesisBatch(kinesisEvent('mixed'), bounded.runtime);
  objects = [kinesis, firehose, bounded].flatMap((t) => t.archive.zone('analytics'));
}, 120_000);

const EXISTING_BUCKET = {
  ArchiveBucketName: 'existing-archive',
  ArchiveKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/66666666-7777-8888-9999-000000000000',
  ArchivePrefix: 'pinpoint/',
};

const props = (r: Resolved, id: string): JsonObject => {
  const x = r.resources[id];
  if (x === undefined) throw new Error(`no resource ${id}`);
  return x.Properties;
};
const tableInput = (r: Resolved) => props(r, 'AnalyticsTable').TableInput as JsonObject;
const columnsOf = (r: Resolved) =>
  (tableInput(r).StorageDescriptor as JsonObject).Columns as unknown as GlueColumn[];

/** A row with every column: an SES bounce with a provider and a campaign tag, an SMS failure with spend. */
function everyFieldRows(): AnalyticsRow[] {
  const tally = new AnalyticsTally();
  const records = [
    normalizedRecord({
      source: 'pinpoint',
      family: 'email',
      channel: 'EMAIL',
      app_id: 'app-1',
      configuration_set: 'marketing',
      journey_id: 'j-1',
      campaign_id: 'c-1',
      outcome: 'bounced',
      email_domain: 'gmail.com',
      bounce_type: 'permanent',
      bounce_sub_type: 'General',
    }),
    normalizedRecord({ source: 'ses', channel: 'EMAIL', outcome: 'complained', complaint_type: 'abuse' }),
    normalizedRecord({
      source: 'end_user_messaging',
      family: 'sms',
      channel: 'SMS',
      outcome: 'failed',
      status: 'UNREACHABLE',
      country: 'US',
      price_usd: 0.00581,
      carrier_fee_usd: 0.00302,
    }),
  ];
  records.forEach((r, i) => {
    tally.add(r, i);
  });
  return tally.rows({
    quarantined: ['invalid_json'],
    batchHour: { dt: '2025-11-20', hour: '14' },
    maxRows: 2000,
  }).rows;
}

describe('the analytics table', () => {
  it('is a table of its own over analytics/, partitioned by dt and hour with projection like the others', () => {
    const r = resolve(template);
    const input = tableInput(r);
    expect(props(r, 'AnalyticsTable').DatabaseName).toEqual({ Ref: 'GlueDatabase' });
    expect(input).toMatchObject({ Name: 'analytics', TableType: 'EXTERNAL_TABLE' });
    expect(input.PartitionKeys).toEqual([
      { Name: 'dt', Type: 'string' },
      { Name: 'hour', Type: 'string' },
    ]);
    const archive = ((r.resources.ArchiveEventsTable as Resource).Properties.TableInput as JsonObject)
      .Parameters as JsonObject;
    const parameters = input.Parameters as JsonObject;
    for (const [k, v] of Object.entries(archive)) {
      if (k !== 'storage.location.template') expect({ k, v: parameters[k] }).toEqual({ k, v });
    }
    expect(Object.keys(parameters).sort()).toEqual(Object.keys(archive).sort());
    expect(input.StorageDescriptor).toMatchObject({
      InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
      SerdeInfo: {
        SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
        Parameters: { 'case.insensitive': 'false' },
      },
    });
  });

  it.each([
    ['defaults', {}, 's3://ArchiveBucket/'],
    ['an existing bucket with a prefix', EXISTING_BUCKET, 's3://existing-archive/pinpoint/'],
  ])('locates every partition where the batches write their rows (%s)', (_n, overrides, base) => {
    const input = tableInput(resolve(template, overrides));
    const location = render((input.Parameters as JsonObject)['storage.location.template'] as Json);
    expect(location).toBe(`${base}analytics/dt=\${dt}/hour=\${hour}/`);
    expect(render((input.StorageDescriptor as JsonObject).Location as Json)).toBe(`${base}analytics/`);
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) {
      const [, dt, hour] = /^analytics\/dt=([^/]+)\/hour=([^/]+)\//.exec(o.key) as unknown as string[];
      const partition = location
        .replace(placeholder('dt'), dt as string)
        .replace(placeholder('hour'), hour as string);
      expect(`${base}${o.key}`.startsWith(partition)).toBe(true);
    }
  });

  it('has a column for every field the code writes, of its type, in order, and no other; hour is the partition', () => {
    const columns = columnsOf(resolve(template));
    const rows: Array<{ row: AnalyticsRow; key: string }> = [
      ...objects.flatMap((o) => o.lines.map((l) => ({ row: JSON.parse(l) as AnalyticsRow, key: o.key }))),
      ...planAnalyticsObjects(BATCH, everyFieldRows()).flatMap((o) =>
        o.lines.map((l) => ({ row: JSON.parse(l) as AnalyticsRow, key: o.key })),
      ),
    ];
    // Every kind of row is among them: messages, quarantine, merged past the bound.
    expect(rows.some(({ row }) => row.kind === 'quarantine')).toBe(true);
    expect(rows.some(({ row }) => row.kind === 'messages' && row.other === true)).toBe(true);

    // The rows' `hour` is no column (Athena refuses a column named like a partition key): each row is filed
    // under the partition of its own hour, which is what Athena's `dt` and `hour` read.
    for (const { row, key } of rows) {
      const [, dt, hour] = /^analytics\/dt=([^/]+)\/hour=([^/]+)\//.exec(key) as unknown as string[];
      expect(row.hour).toBe(`${dt}T${hour}:00:00.000Z`);
    }
    const table: GlueTable = {
      name: 'analytics',
      columns,
      partitions: [],
      types: new Map(columns.map((c) => [c.Name, c.Type])),
      enums: new Map(),
    };
    for (const { row } of rows) {
      const { hour: _hour, ...data } = row;
      expect({ row, problems: glueViolations(JSON.parse(JSON.stringify(data)), table) }).toEqual({
        row,
        problems: [],
      });
    }
    const written = new Set(rows.flatMap(({ row }) => Object.keys(row)));
    expect(columns.map((c) => c.Name).filter((c) => !written.has(c))).toEqual([]);
    // The fields of the code, in its order, are the columns and the hour partition.
    expect(columns.map((c) => c.Name)).toEqual(Object.keys(ANALYTICS_FIELDS).filter((f) => f !== 'hour'));
    expect(Object.fromEntries(columns.map((c) => [c.Name, c.Type]))).toMatchObject({
      count: 'bigint',
      price_usd: 'double',
      carrier_fee_usd: 'double',
      other: 'boolean',
    });
    // The table the stack deploys is the one infra/glue.yml declares.
    expect(glueTable('analytics').columns).toEqual(columns);
  });

  it('has the columns, in order, of the CREATE TABLE in docs/analytics.md', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'analytics.md'), 'utf8');
    const m = doc.match(/CREATE EXTERNAL TABLE analytics \(([\s\S]*?)\n\)\nPARTITIONED BY \((.*?)\)/);
    if (m === null) throw new Error('no CREATE EXTERNAL TABLE analytics in docs/analytics.md');
    const split = (text: string) =>
      text
        .split(/,(?![^<]*>)/)
        .map((c) => c.trim().split(/\s+/))
        .map(([name, type]) => ({ Name: name, Type: type }));
    const input = tableInput(resolve(template));
    expect((input.StorageDescriptor as JsonObject).Columns).toEqual(split(m[1] as string));
    expect(input.PartitionKeys).toEqual(split(m[2] as string));
  });
});

const BATCH: BatchRef = {
  origin: 'file',
  stream: 'events.jsonl',
  firstId: 'a',
  lastId: 'b',
  count: 4,
  name: '0123456789abcdef0123456789abcdef',
  dt: '2025-11-20',
  hour: '14',
  label: 'file:events.jsonl/4 records',
};

describe('writing analytics rows', () => {
  it.each([
    ['defaults', {}, 'ArchiveBucket', ''],
    ['an existing bucket with a prefix', EXISTING_BUCKET, 'existing-archive', 'pinpoint/'],
  ])(
    'lets both functions put objects under analytics/, and read none (%s)',
    (_n, overrides, bucket, prefix) => {
      const r = resolve(template, overrides);
      for (const [role, origin] of [
        ['KinesisFunctionRole', 'kinesis'],
        ['FirehoseFunctionRole', 'firehose'],
      ] as const) {
        const statements = roleStatements(r, role);
        const put = allowedOn(statements, 's3:PutObject');
        expect(put).toContain(`arn:aws:s3:::${bucket}/${prefix}analytics/*`);
        const key = `arn:aws:s3:::${bucket}/${prefix}analytics/dt=2026-12-07/hour=09/${origin}/events/x.jsonl.gz`;
        expect(put.some((g) => iamMatches(g, key))).toBe(true);
        expect(put.some((g) => iamMatches(g, `arn:aws:s3:::${bucket}/${prefix}analyticsx/y`))).toBe(false);
        expect(allowedOn(statements, 's3:GetObject').some((g) => iamMatches(g, key))).toBe(false);
      }
    },
  );

  it('keeps the analytics rows by default, and expires them after AnalyticsExpirationDays', () => {
    const rules = (r: Resolved) =>
      (props(r, 'ArchiveBucket').LifecycleConfiguration as JsonObject).Rules as JsonObject[];
    expect(rules(resolve(template)).find((x) => x.Id === 'analytics-expiry')).toBeUndefined();
    expect(template.Parameters.AnalyticsExpirationDays).toMatchObject({ Type: 'Number', MinValue: 0 });
    expect((template.Parameters.AnalyticsExpirationDays as { Default?: unknown }).Default).toBe('0');
    for (const [prefix, expected] of [
      ['', 'analytics/'],
      ['pinpoint/', 'pinpoint/analytics/'],
    ]) {
      const x = resolve(template, { AnalyticsExpirationDays: '1095', ArchivePrefix: prefix as string });
      const rule = rules(x).find((y) => y.Id === 'analytics-expiry') as JsonObject;
      expect(rule).toMatchObject({ Status: 'Enabled', ExpirationInDays: '1095' });
      expect(render(rule.Prefix as Json)).toBe(expected);
      // An expiry only: analytics objects are a few KB, below the 128 KB that S3 transitions.
      expect(rule.Transitions).toBeUndefined();
    }
  });
});
