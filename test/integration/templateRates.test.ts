import { addToRateWindow } from '../../src/rates/addToRateWindow';
import { compileRateRules } from '../../src/rates/compileRateRules';
import { RATE_GROUP_KEYS } from '../../src/rates/rateGroupKeys';
import { type RollupRow, rollupRecords, rollupRows } from '../../src/rates/rollups';
import type { RateRuleSpec } from '../../src/rules/ruleSchema';
import type { NormalizedRecord } from '../../src/schema';
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
import { slsPackage } from '../helpers/sls';

/**
 * The stack side of rates (issue 13): the tumbling window is in template.test.ts; here the rollups zone (Glue
 * table, the functions' right to write it, its lifecycle).
 */

let template: Template;
beforeAll(async () => {
  template = (await slsPackage()).template as unknown as Template;
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

// ---------------------------------------------------------------------------------------------------------

describe('rollups in Athena', () => {
  const tableInput = (r: Resolved) => props(r, 'RollupsTable').TableInput as JsonObject;

  it('is a table of its own over rollups/, partitioned by dt and hour with projection like the others', () => {
    const r = resolve(template);
    const input = tableInput(r);
    expect(props(r, 'RollupsTable').DatabaseName).toEqual({ Ref: 'GlueDatabase' });
    expect(input).toMatchObject({ Name: 'rollups', TableType: 'EXTERNAL_TABLE' });
    expect(input.PartitionKeys).toEqual([
      { Name: 'dt', Type: 'string' },
      { Name: 'hour', Type: 'string' },
    ]);
    // The same projection as messaging_events_archive, whose keys have the same layout.
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
  ])('locates every partition where the rollups are written (%s)', (_n, overrides, base) => {
    const input = tableInput(resolve(template, overrides));
    const location = render((input.Parameters as JsonObject)['storage.location.template'] as Json);
    expect(location).toBe(`${base}rollups/dt=\${dt}/hour=\${hour}/`);
    expect(render((input.StorageDescriptor as JsonObject).Location as Json)).toBe(`${base}rollups/`);
    // Keys: rollups/dt=…/hour=…/<kinesis|firehose>/<stream>/<name>.jsonl.gz (docs/schema.md §6).
    for (const origin of ['kinesis', 'firehose']) {
      const key = `${base}rollups/dt=2026-11-30/hour=10/${origin}/events/name.jsonl.gz`;
      const partition = location.replace(placeholder('dt'), '2026-11-30').replace(placeholder('hour'), '10');
      expect(key.startsWith(partition)).toBe(true);
    }
  });

  it('has a column for every field of the rows the rates code writes, of its type, and no other', () => {
    // One rule grouping by every group field, over records that have them all, with a state budget so small
    // that most groups overflow: rows with every group column, and the other group's rows with `overflow`.
    const spec: RateRuleSpec = {
      kind: 'rate',
      name: 'every-field',
      numerator: ['bounced'],
      denominator: ['delivered', 'bounced'],
      group_by: [...RATE_GROUP_KEYS],
      threshold: 0.05,
      min_volume: 1,
      severity: 'low',
    };
    const rules = compileRateRules([spec]);
    const records: NormalizedRecord[] = Array.from({ length: 200 }, (_, i) =>
      normalizedRecord({
        outcome: i % 3 === 0 ? 'bounced' : 'delivered',
        source: 'ses',
        channel: 'EMAIL',
        app_id: `app-${i % 2}`,
        campaign_id: `campaign-${i}`,
        journey_id: `journey-${i % 4}`,
        configuration_set: 'marketing',
      }),
    );
    const { state } = addToRateWindow({}, records, rules, { budgetBytes: 2_000 });
    const rows: RollupRow[] = [
      ...rollupRows(state, { start: '2026-11-30T10:00:00Z', end: '2026-11-30T10:05:00Z' }),
      ...rollupRecords(records, rules),
    ];
    expect(rows.some((row) => row.overflow === true)).toBe(true);
    expect(rows.some((row) => RATE_GROUP_KEYS.every((k) => typeof row[k] === 'string'))).toBe(true);

    const glueType = (v: unknown) =>
      typeof v === 'string'
        ? 'string'
        : typeof v === 'boolean'
          ? 'boolean'
          : Number.isInteger(v)
            ? 'bigint'
            : `unexpected ${typeof v}`;
    const seen = new Map<string, Set<string>>();
    for (const row of rows) {
      for (const [k, v] of Object.entries(row)) seen.set(k, (seen.get(k) ?? new Set()).add(glueType(v)));
    }
    const columns = (tableInput(resolve(template)).StorageDescriptor as JsonObject).Columns as JsonObject[];
    expect(Object.fromEntries(columns.map((c) => [c.Name, c.Type]))).toEqual(
      Object.fromEntries([...seen].map(([k, types]) => [k, [...types].join('|')])),
    );
    // dt and hour come from the key, never from the rows (Athena refuses a column that is both).
    expect(seen.has('dt') || seen.has('hour')).toBe(false);
  });
});

describe('writing rollups', () => {
  it.each([
    ['defaults', {}, 'ArchiveBucket', ''],
    ['an existing bucket with a prefix', EXISTING_BUCKET, 'existing-archive', 'pinpoint/'],
  ])(
    'lets both functions put objects under rollups/, and read none (%s)',
    (_n, overrides, bucket, prefix) => {
      const r = resolve(template, overrides);
      for (const [role, origin] of [
        ['KinesisFunctionRole', 'kinesis'],
        ['FirehoseFunctionRole', 'firehose'],
      ] as const) {
        const put = allowedOn(roleStatements(r, role), 's3:PutObject');
        expect(put).toContain(`arn:aws:s3:::${bucket}/${prefix}rollups/*`);
        const key = `arn:aws:s3:::${bucket}/${prefix}rollups/dt=2026-11-30/hour=10/${origin}/events/x.jsonl.gz`;
        expect(put.some((g) => iamMatches(g, key))).toBe(true);
        expect(put.some((g) => iamMatches(g, `arn:aws:s3:::${bucket}/${prefix}rollupsx/y`))).toBe(false);
      }
    },
  );

  it('keeps the rollups by default, and expires them after RollupsExpirationDays', () => {
    const rules = (r: Resolved) =>
      (props(r, 'ArchiveBucket').LifecycleConfiguration as JsonObject).Rules as JsonObject[];
    expect(rules(resolve(template)).find((x) => x.Id === 'rollups-expiry')).toBeUndefined();
    expect(template.Parameters.RollupsExpirationDays).toMatchObject({ Type: 'Number', MinValue: 0 });
    for (const [prefix, expected] of [
      ['', 'rollups/'],
      ['pinpoint/', 'pinpoint/rollups/'],
    ]) {
      const x = resolve(template, { RollupsExpirationDays: '730', ArchivePrefix: prefix as string });
      const rule = rules(x).find((y) => y.Id === 'rollups-expiry') as JsonObject;
      expect(rule).toMatchObject({ Status: 'Enabled', ExpirationInDays: '730' });
      expect(render(rule.Prefix as Json)).toBe(expected);
      // An expiry only: rollup objects are a few KB, below the 128 KB that S3 transitions.
      expect(rule.Transitions).toBeUndefined();
    }
  });
});
