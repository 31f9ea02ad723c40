import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RateCounter } from '../../src/rates/RateCounter';
import { type RollupRow, rollupRows } from '../../src/rates/rollups';
import { compileRateRules } from '../../src/rules/compileRateRules';
import { RATE_GROUP_KEYS } from '../../src/rules/rateGroupKeys';
import type { RateRuleSpec } from '../../src/rules/ruleSchema';
import type { NormalizedRecord } from '../../src/schema';
import {
  allowedOn,
  iamMatches,
  isObject,
  type Json,
  type JsonObject,
  placeholder,
  type Resolved,
  type Resource,
  render,
  renderJson,
  resolve,
  roleStatements,
  type Template,
} from '../helpers/cfnTemplate';
import { normalizedRecord } from '../helpers/factories';
import { type GlueColumn, type GlueTable, glueTable, glueViolations } from '../helpers/glue';
import { RATE_ALARMS } from '../helpers/rateAlarms';
import { rollupRecords } from '../helpers/rollups';
import { ROOT, slsPackage } from '../helpers/sls';

/**
 * The stack side of rates (issue 13): the rollups zone (Glue table, the functions' right to write it, its
 * lifecycle), the account-wide rate alarms on MessageEvents and the dashboard. The shared rate store (its table,
 * the functions' access to it, its alarm): templateRateStore.test.ts. Which metrics the alarms and the dashboard
 * may name: templateMetrics.test.ts.
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
    // One rule grouping by every fixed group field, one by message tags (attributes.<name>), over records that
    // have them all; the handlers' hourly rollups (every group kept), and counts under a byte budget so small
    // that most groups overflow (as the rows of the CLI's old --window and of the Kinesis tumbling windows
    // before the rate store, still in archives): rows with every group column, `attributes`, and `overflow`.
    const spec = (name: string, group_by: RateRuleSpec['group_by']): RateRuleSpec => ({
      kind: 'rate',
      name,
      numerator: ['bounced'],
      denominator: ['delivered', 'bounced'],
      group_by,
      threshold: 0.05,
      min_volume: 1,
      severity: 'low',
    });
    const specs = [
      spec('every-field', [...RATE_GROUP_KEYS]),
      spec('by-tags', ['attributes.campaign', 'attributes.team', 'configuration_set']),
    ];
    const rules = compileRateRules(specs);
    const records: NormalizedRecord[] = Array.from({ length: 200 }, (_, i) =>
      normalizedRecord({
        outcome: i % 3 === 0 ? 'bounced' : 'delivered',
        source: 'ses',
        channel: 'EMAIL',
        app_id: `app-${i % 2}`,
        campaign_id: `campaign-${i}`,
        journey_id: `journey-${i % 4}`,
        configuration_set: 'marketing',
        attributes: { campaign: `spring-${i % 5}`, ...(i % 2 === 0 && { team: 'growth' }) },
      }),
    );
    const bounded = new RateCounter(rules, 2_000);
    for (const record of records) bounded.add(record);
    const rows: RollupRow[] = [
      ...rollupRows(bounded.toState(), { start: '2026-11-30T10:00:00Z', end: '2026-11-30T10:05:00Z' }),
      ...rollupRecords(records, rules),
    ];
    expect(rows.some((row) => row.overflow === true)).toBe(true);
    expect(rows.some((row) => RATE_GROUP_KEYS.every((k) => typeof row[k] === 'string'))).toBe(true);
    expect(
      rows.some((row) => row.attributes?.campaign !== undefined && row.attributes.team !== undefined),
    ).toBe(true);

    // The columns of the packaged template, by name and Glue type, against every row: each key a column, each
    // value of its column's type (glueViolations: map<string,string> included), and every column written.
    const columns = (tableInput(resolve(template)).StorageDescriptor as JsonObject)
      .Columns as unknown as GlueColumn[];
    const table: GlueTable = {
      name: 'rollups',
      columns,
      partitions: [],
      types: new Map(columns.map((c) => [c.Name, c.Type])),
      enums: new Map(),
    };
    for (const row of rows)
      expect({ row, problems: glueViolations(JSON.parse(JSON.stringify(row)), table) }).toEqual({
        row,
        problems: [],
      });
    const written = new Set(rows.flatMap((row) => Object.keys(row)));
    expect(columns.map((c) => c.Name).filter((c) => !written.has(c))).toEqual([]);
    // dt and hour come from the key, never from the rows (Athena refuses a column that is both).
    expect(written.has('dt') || written.has('hour')).toBe(false);
    // The table the stack deploys is the one infra/glue.yml declares (what the unit tests check records against).
    expect(glueTable('rollups').columns).toEqual(columns);
  });

  it('has the columns, in order, of the CREATE TABLE in docs/rates.md', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'rates.md'), 'utf8');
    const m = doc.match(/CREATE EXTERNAL TABLE rollups \(([\s\S]*?)\n\)\nPARTITIONED BY \((.*?)\)/);
    if (m === null) throw new Error('no CREATE EXTERNAL TABLE rollups in docs/rates.md');
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

// ---------------------------------------------------------------------------------------------------------

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
const queriesOf = (r: Resolved, id: string) => props(r, id).Metrics as unknown as Query[];
const expressionOf = (q: Query) => render((q.Expression ?? '') as Json);
const dimensionsOf = (q: Query) =>
  Object.fromEntries((q.MetricStat?.Metric.Dimensions ?? []).map((d) => [d.Name, render(d.Value)]));

/**
 * CloudWatch metric math as the alarms use it, for one period: `values` are the Sum of each MetricStat, a
 * metric without data is left out. FILL(x, 0) is the value or 0; IF(c, a, b) picks; + - * / as usual.
 */
function evaluate(queries: Query[], values: Record<string, number>): number {
  const scope: Record<string, number | undefined> = {};
  for (const q of queries) if (q.MetricStat !== undefined) scope[q.Id] = values[q.Id];
  const FILL = (x: number | undefined, d: number) => (x === undefined || Number.isNaN(x) ? d : x);
  const IF = (c: number | boolean, a: number, b: number) => (c ? a : b);
  let result = Number.NaN;
  for (const q of queries) {
    if (q.Expression === undefined) continue;
    const expr = expressionOf(q);
    // Only ids, numbers, FILL, IF and arithmetic: anything else is not the math these tests model.
    expect(expr).toMatch(/^[A-Za-z0-9_ ,.()+\-*/>=]+$/);
    const ids = Object.keys(scope);
    const fn = new Function('FILL', 'IF', ...ids, `return (${expr});`) as (...a: unknown[]) => number;
    scope[q.Id] = fn(FILL, IF, ...ids.map((k) => scope[k]));
    if (q.ReturnData === true) result = scope[q.Id] as number;
  }
  return result;
}

describe('account-wide rate alarms', () => {
  let r: Resolved;
  beforeAll(() => {
    r = resolve(template);
  });

  it.each(RATE_ALARMS)('$name alarms the alert topic on a rate, with its threshold a parameter', (a) => {
    const p = props(r, a.id);
    expect(r.resources[a.id]?.Type).toBe('AWS::CloudWatch::Alarm');
    expect(p).toMatchObject({
      AlarmName: `pinpoint-stream-processor-dev-${a.name}`,
      Threshold: a.threshold[1],
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 4,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'AlertTopic' }],
      OKActions: [{ Ref: 'AlertTopic' }],
    });
    // A metric-math alarm: no metric of its own.
    for (const k of ['Namespace', 'MetricName', 'Dimensions', 'Statistic', 'Period']) {
      expect(p[k]).toBeUndefined();
    }
    expect(template.Parameters[a.threshold[0]]).toMatchObject({
      Type: 'Number',
      Default: a.threshold[1],
      MinValue: 0.0001,
      MaxValue: 1,
    });
    expect(template.Parameters[a.minVolume[0]]).toMatchObject({
      Type: 'Number',
      Default: a.minVolume[1],
      MinValue: 1,
    });
  });

  it.each(RATE_ALARMS)('$name counts MessageEvents of each source × outcome, one MetricStat each', (a) => {
    const queries = queriesOf(r, a.id);
    const stats = queries.filter((q) => q.MetricStat !== undefined);
    const outcomes = [...new Set([...a.numerator, ...a.denominator])];
    expect(stats).toHaveLength(a.sources.length * outcomes.length);
    // CloudWatch: at most 10 metrics and 10 expressions, exactly one returned.
    expect(stats.length).toBeLessThanOrEqual(10);
    expect(queries.length - stats.length).toBeLessThanOrEqual(10);
    expect(queries.filter((q) => q.ReturnData === true).map((q) => q.Id)).toEqual(['rate']);
    const counted = stats.map((q) => {
      expect(q.MetricStat).toMatchObject({
        Metric: { Namespace: 'PinpointStreamProcessor', MetricName: 'MessageEvents' },
        Period: 900,
        Stat: 'Sum',
      });
      const d = dimensionsOf(q);
      expect(d).toMatchObject({ service: 'pinpoint-stream-processor-dev', Channel: a.channel });
      return `${d.Source}/${d.Outcome}`;
    });
    expect(counted.sort()).toEqual(a.sources.flatMap((s) => outcomes.map((o) => `${s}/${o}`)).sort());
    // Every metric is filled with 0 where it has no data; no SEARCH (alarms cannot use it).
    const expressions = queries.filter((q) => q.Expression !== undefined).map(expressionOf);
    for (const q of stats) expect(expressions.join(' ')).toContain(`FILL(${q.Id}, 0)`);
    for (const e of expressions) expect(e).not.toMatch(/SEARCH/i);
  });

  it.each(RATE_ALARMS)('$name guards its rate with a minimum volume: IF(volume >= N, rate, 0)', (a) => {
    const rate = queriesOf(r, a.id).find((q) => q.Id === 'rate') as Query;
    expect(expressionOf(rate)).toMatch(new RegExp(`^IF\\(\\w+ >= ${a.minVolume[1]}, \\w+ / \\w+, 0\\)$`));
    const x = resolve(template, { [a.minVolume[0]]: '1000', [a.threshold[0]]: '0.02' });
    expect(expressionOf(queriesOf(x, a.id).find((q) => q.Id === 'rate') as Query)).toContain('>= 1000,');
    expect(props(x, a.id).Threshold).toBe('0.02');
  });

  it.each(RATE_ALARMS)('$name computes the rate of the rule it stands for, and not below the volume', (a) => {
    const queries = queriesOf(r, a.id);
    const threshold = Number(a.threshold[1]);
    const minVolume = Number(a.minVolume[1]);
    const idOf = (source: string, outcome: string) =>
      queries.find((q) => {
        const d = dimensionsOf(q);
        return d.Source === source && d.Outcome === outcome;
      })?.Id as string;
    /** Counts spread over the sources (the first source gets the odd one), as metric values by id. */
    const values = (counts: Record<string, number>) => {
      const v: Record<string, number> = {};
      for (const [outcome, n] of Object.entries(counts)) {
        const [first, second] = a.sources;
        v[idOf(first, outcome)] = Math.ceil(n / 2);
        if (Math.floor(n / 2) > 0) v[idOf(second, outcome)] = Math.floor(n / 2);
      }
      return v;
    };
    const sum = (outcomes: readonly string[], counts: Record<string, number>) =>
      outcomes.reduce((s, o) => s + (counts[o] ?? 0), 0);
    /** A mix of `volume` messages in the denominator whose rate is `rate`. */
    const mix = (volume: number, rate: number): Record<string, number> => {
      const bad = Math.round(volume * rate);
      const counts: Record<string, number> = {};
      // The numerator's outcomes are in the denominator (bounce, SMS) or not (complaints over deliveries).
      const inside = a.numerator.every((o) => (a.denominator as readonly string[]).includes(o));
      counts.delivered = inside ? volume - bad : volume;
      counts[a.numerator[0]] = bad;
      return counts;
    };
    const rateOf = (counts: Record<string, number>) => sum(a.numerator, counts) / sum(a.denominator, counts);

    // At the threshold, at the minimum volume: the alarm's datapoint is the rate, which breaches.
    const at = mix(minVolume, threshold * 1.5);
    expect(evaluate(queries, values(at))).toBeCloseTo(rateOf(at), 10);
    expect(evaluate(queries, values(at))).toBeGreaterThanOrEqual(threshold);
    // The same rate one message short of the volume reads 0: 1 bounce out of 2 does not page.
    expect(evaluate(queries, values(mix(minVolume - 1, threshold * 1.5)))).toBe(0);
    expect(evaluate(queries, values({ delivered: 1, [a.numerator[0]]: 1 }))).toBe(0);
    // Below the threshold it stays below; no data at all reads 0, not a missing datapoint.
    expect(evaluate(queries, values(mix(minVolume * 10, threshold / 2)))).toBeLessThan(threshold);
    expect(evaluate(queries, {})).toBe(0);
    // Every outcome of the rate counts, from every source.
    if (a.numerator.length > 1) {
      const split = { delivered: minVolume * 4, failed: minVolume / 2, rejected: minVolume / 2 };
      expect(evaluate(queries, values(split))).toBeCloseTo(0.2, 10);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------

type Widget = { type: string; width?: number; height?: number; properties: JsonObject };

describe('dashboard', () => {
  let r: Resolved;
  let widgets: Widget[];
  beforeAll(() => {
    r = resolve(template);
    widgets = (renderJson(props(r, 'Dashboard').DashboardBody as Json) as JsonObject)
      .widgets as unknown as Widget[];
  });
  const titled = (title: string) => {
    const w = widgets.find((x) => x.properties.title === title);
    if (w === undefined) throw new Error(`no widget ${title}`);
    return w;
  };

  it('is one dashboard of the stack, whose body is JSON once CloudFormation substitutes it', () => {
    expect(props(r, 'Dashboard').DashboardName).toBe('pinpoint-stream-processor-dev');
    expect(widgets.length).toBeGreaterThanOrEqual(15);
    for (const w of widgets) {
      expect(['metric', 'text']).toContain(w.type);
      if (w.type === 'metric') expect(w.properties.region).toBe('us-east-1');
    }
    // CloudFormation's escape ${!…} comes out as the widgets' dynamic labels, and nothing else is left over.
    const text = render(props(r, 'Dashboard').DashboardBody as Json);
    const leftover = [...text.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1] as string);
    expect(leftover.length).toBeGreaterThan(0);
    for (const x of leftover) expect(x).toMatch(/^PROP\('Dim\.[A-Za-z]+'\)$/);
  });

  it('shows what an operator looks at first', () => {
    const titles = widgets.map((w) => w.properties.title).filter((t) => t !== undefined);
    expect(titles).toEqual(
      expect.arrayContaining([
        'Records out by path, source, family and outcome',
        'Message events by source, channel and outcome',
        'Poison records by path and reason',
        'Internal errors and batches not delivered',
        'Alerts sent by rule and severity',
        'Email bounce rate (SES and Pinpoint)',
        'Email complaint rate (SES and Pinpoint)',
        'SMS failure rate (Pinpoint and End User Messaging)',
        'Kinesis iterator age',
        'Firehose transformation and delivery',
        'Function duration',
        'Function errors and throttles',
        'Records deferred near the deadline',
      ]),
    );
  });

  it.each([
    ['EmailBounceRateAlarm', 'Email bounce rate (SES and Pinpoint)'],
    ['EmailComplaintRateAlarm', 'Email complaint rate (SES and Pinpoint)'],
    ['SmsFailureRateAlarm', 'SMS failure rate (Pinpoint and End User Messaging)'],
  ])('graphs the math of %s, with its threshold', (alarmId, title) => {
    const widget = titled(title);
    const fromAlarm: Record<string, string> = {};
    for (const q of queriesOf(r, alarmId)) {
      fromAlarm[q.Id] =
        q.Expression !== undefined
          ? expressionOf(q)
          : JSON.stringify([
              q.MetricStat?.Metric.Namespace,
              q.MetricStat?.Metric.MetricName,
              dimensionsOf(q),
            ]);
    }
    const fromWidget: Record<string, string> = {};
    for (const entry of widget.properties.metrics as Json[][]) {
      const last = entry[entry.length - 1];
      const options = isObject(last) ? last : {};
      if (typeof options.expression === 'string') {
        fromWidget[options.id as string] = options.expression;
        continue;
      }
      const [namespace, name, ...rest] = entry.filter((x) => typeof x === 'string') as string[];
      const dims: Record<string, string> = {};
      for (let i = 0; i < rest.length; i += 2) dims[rest[i] as string] = rest[i + 1] as string;
      fromWidget[options.id as string] = JSON.stringify([namespace, name, dims]);
    }
    expect(fromWidget).toEqual(fromAlarm);
    const alarm = props(r, alarmId);
    expect(widget.properties).toMatchObject({ period: 900, stat: 'Sum' });
    expect(widget.properties.annotations).toEqual({
      horizontal: [{ label: 'alarm threshold', value: Number(alarm.Threshold) }],
    });
    // The threshold line follows the parameter.
    const x = resolve(template, { EmailBounceRateAlarmThreshold: '0.03' });
    const body = renderJson(props(x, 'Dashboard').DashboardBody as Json) as JsonObject;
    const bounce = (body.widgets as unknown as Widget[]).find(
      (w) => w.properties.title === 'Email bounce rate (SES and Pinpoint)',
    );
    expect(bounce?.properties.annotations).toEqual({
      horizontal: [{ label: 'alarm threshold', value: 0.03 }],
    });
  });

  it('graphs the stack’s own function, delivery stream and queue', () => {
    const dims = widgets
      .flatMap((w) => (w.properties.metrics ?? []) as Json[][])
      .filter((m) => typeof m[0] === 'string' && (m[0] as string).startsWith('AWS/'))
      .map((m) => `${m[0]} ${m[1]} ${m[2]}=${m[3]}`);
    expect(dims).toEqual(
      expect.arrayContaining([
        'AWS/Lambda IteratorAge FunctionName=KinesisLambdaFunction',
        'AWS/Lambda Duration FunctionName=FirehoseLambdaFunction',
        'AWS/Lambda Errors FunctionName=KinesisLambdaFunction',
        'AWS/Firehose ExecuteProcessing.Success DeliveryStreamName=DeliveryStream',
        'AWS/SQS ApproximateNumberOfMessagesVisible QueueName=KinesisDeadLetterQueue.QueueName',
      ]),
    );
    expect(titled('Kinesis iterator age').properties.annotations).toEqual({
      horizontal: [{ label: 'alarm threshold', value: 300000 }],
    });
  });
});
