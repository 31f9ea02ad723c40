import { METRIC_CATALOG } from '../../src/observability/metricCatalog';
import { CHANNELS, FAMILIES, OUTCOMES, SOURCES } from '../../src/schema';
import {
  isObject,
  type Json,
  type JsonObject,
  type Resolved,
  render,
  renderJson,
  resolve,
  type Template,
} from '../helpers/cfnTemplate';
import { slsPackage } from '../helpers/sls';

/**
 * Every metric the stack's alarms and dashboard name is one the functions emit: a renamed metric or dimension
 * must not leave an alarm watching nothing (CloudWatch accepts any name, and a metric nobody emits never
 * breaches). The contract is src/observability/metricCatalog.ts, read when the test runs:
 *
 * - in the functions' namespace, the metric is a key of METRIC_CATALOG and its dimension names are `service`
 *   (Powertools adds it to every metric) plus exactly one of that metric's dimension sets; the service is the
 *   stage's, and values with a closed vocabulary (Path, Source, Family, Channel, Outcome) are in it;
 * - a dashboard SEARCH expression is held to the same for the metric name and the dimension keys it names;
 * - AWS/* namespaces: the metric names (and their dimension names) of a short allow-list, whose dimension values
 *   are the stack's own resources of the right type.
 *
 * Sources: the packaged template, resolved with its defaults (test/helpers/cfnTemplate.ts): every
 * AWS::CloudWatch::Alarm (a metric of its own, or the MetricStats of a metric-math alarm) and the dashboard body
 * once its Fn::Sub is rendered.
 */

type Catalog = Record<string, { dimensions: ReadonlyArray<ReadonlyArray<string>> }>;

/** What the AWS/* metrics the stack may name are dimensioned by, and the resource type each dimension names. */
const AWS_METRICS: Record<string, Record<string, string[]>> = {
  'AWS/Lambda': {
    IteratorAge: ['FunctionName'],
    Errors: ['FunctionName'],
    Throttles: ['FunctionName'],
    Duration: ['FunctionName'],
    Invocations: ['FunctionName'],
    ConcurrentExecutions: ['FunctionName'],
  },
  'AWS/Firehose': {
    'ExecuteProcessing.Success': ['DeliveryStreamName'],
    'ExecuteProcessing.Duration': ['DeliveryStreamName'],
    'DeliveryToS3.Success': ['DeliveryStreamName'],
    'DeliveryToS3.DataFreshness': ['DeliveryStreamName'],
    IncomingRecords: ['DeliveryStreamName'],
  },
  'AWS/SQS': { ApproximateNumberOfMessagesVisible: ['QueueName'] },
};
const DIMENSION_RESOURCE: Record<string, { type: string; attribute?: string }> = {
  FunctionName: { type: 'AWS::Lambda::Function' },
  DeliveryStreamName: { type: 'AWS::KinesisFirehose::DeliveryStream' },
  QueueName: { type: 'AWS::SQS::Queue', attribute: 'QueueName' },
};

/** Dimension values with a closed vocabulary (NONE: a MessageEvents record without a channel). */
const VOCABULARIES: Record<string, readonly string[]> = {
  Path: ['kinesis', 'firehose'],
  Source: SOURCES,
  Family: FAMILIES,
  Channel: [...CHANNELS, 'NONE'],
  Outcome: OUTCOMES,
};

/** One metric an alarm or a widget names, with its dimensions (values rendered with render's stand-ins). */
interface MetricRef {
  where: string;
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
}
/** One SEARCH of a widget: `{Namespace,dim,…} MetricName="…" key="value"…`. */
interface SearchRef {
  where: string;
  namespace: string;
  name: string | undefined;
  keys: string[];
  filters: Record<string, string>;
}
interface References {
  metrics: MetricRef[];
  searches: SearchRef[];
  problems: string[];
}

/** Every metric and SEARCH the alarms and the dashboards of a resolved template name. */
function metricReferences(r: Resolved): References {
  const refs: References = { metrics: [], searches: [], problems: [] };
  const dims = (list: Json): Record<string, string> =>
    Object.fromEntries(
      ((list ?? []) as JsonObject[]).map((d) => [d.Name as string, render(d.Value as Json)]),
    );
  for (const [id, res] of Object.entries(r.resources)) {
    if (res.Type === 'AWS::CloudWatch::Alarm') {
      const p = res.Properties;
      if (p.MetricName !== undefined) {
        refs.metrics.push({
          where: id,
          namespace: render(p.Namespace as Json),
          name: render(p.MetricName as Json),
          dimensions: dims(p.Dimensions as Json),
        });
      }
      for (const q of (p.Metrics ?? []) as JsonObject[]) {
        const stat = q.MetricStat as JsonObject | undefined;
        if (stat !== undefined) {
          const m = stat.Metric as JsonObject;
          refs.metrics.push({
            where: `${id}.${q.Id}`,
            namespace: render(m.Namespace as Json),
            name: render(m.MetricName as Json),
            dimensions: dims(m.Dimensions as Json),
          });
        } else if (/SEARCH\s*\(/i.test(render(q.Expression as Json))) {
          refs.problems.push(`${id}.${q.Id}: an alarm cannot use SEARCH`);
        }
      }
      if (p.MetricName === undefined && p.Metrics === undefined) refs.problems.push(`${id}: no metric`);
    }
    if (res.Type === 'AWS::CloudWatch::Dashboard') {
      const body = renderJson(res.Properties.DashboardBody as Json) as JsonObject;
      for (const [i, widget] of ((body.widgets ?? []) as JsonObject[]).entries()) {
        const wp = (widget.properties ?? {}) as JsonObject;
        const where = `${id} widget ${i} (${wp.title ?? widget.type})`;
        for (const entry of (wp.metrics ?? []) as Json[][]) {
          const last = entry[entry.length - 1];
          const options = isObject(last) ? last : undefined;
          const values = options === undefined ? entry : entry.slice(0, -1);
          if (options !== undefined && typeof options.expression === 'string') {
            const searches = [...options.expression.matchAll(/SEARCH\s*\(\s*'([^']*)'/gi)];
            for (const [, query = ''] of searches)
              refs.searches.push(parseSearch(`${where} ${options.id}`, query));
            continue;
          }
          if (values.some((v) => typeof v !== 'string')) {
            refs.problems.push(`${where}: not a metric: ${JSON.stringify(entry)}`);
            continue;
          }
          // "." and "..." repeat the previous line's values: not used here, so not read either.
          if (values.some((v) => v === '.' || v === '...') || values.length % 2 !== 0) {
            refs.problems.push(`${where}: shorthand or odd metric line ${JSON.stringify(entry)}`);
            continue;
          }
          const [namespace, name, ...rest] = values as string[];
          const dimensions: Record<string, string> = {};
          for (let k = 0; k < rest.length; k += 2) dimensions[rest[k] as string] = rest[k + 1] as string;
          refs.metrics.push({ where, namespace: namespace as string, name: name as string, dimensions });
        }
      }
    }
  }
  return refs;
}

function parseSearch(where: string, query: string): SearchRef {
  const schema = query.match(/\{([^}]*)\}/)?.[1];
  const [namespace = '', ...keys] = (schema ?? '').split(',').map((x) => x.trim().replace(/^"|"$/g, ''));
  const filters: Record<string, string> = {};
  for (const [, k, v] of query.matchAll(/([A-Za-z_][\w.]*)\s*=\s*"([^"]*)"/g))
    filters[k as string] = v as string;
  const { MetricName: name, ...rest } = filters;
  return { where, namespace, name, keys, filters: rest };
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

/**
 * Where the alarms and widgets of a resolved template part from the catalog: one line per problem.
 * @param namespace the functions' POWERTOOLS_METRICS_NAMESPACE; `service` their POWERTOOLS_SERVICE_NAME
 */
function metricProblems(
  r: Resolved,
  { namespace, service }: { namespace: string; service: string },
  catalog: Catalog = METRIC_CATALOG,
): string[] {
  const refs = metricReferences(r);
  const problems = [...refs.problems];
  const dimensionSets = (name: string) => catalog[name]?.dimensions.map((set) => ['service', ...set]) ?? [];
  const ownMetric = (where: string, name: string | undefined, keys: string[]) => {
    if (name === undefined || !(name in catalog)) {
      problems.push(`${where}: ${name} is not a metric the functions emit (METRIC_CATALOG)`);
      return;
    }
    const sets = dimensionSets(name);
    if (!sets.some((set) => sameSet(set, keys))) {
      problems.push(
        `${where}: ${name} by [${keys.join(', ')}], but it is emitted by ${sets.map((s) => `[${s.join(', ')}]`).join(' or ')}`,
      );
    }
  };
  for (const m of refs.metrics) {
    if (m.namespace === namespace) {
      ownMetric(m.where, m.name, Object.keys(m.dimensions));
      if (m.dimensions.service !== service) {
        problems.push(`${m.where}: service ${m.dimensions.service}, the functions emit as ${service}`);
      }
      for (const [k, v] of Object.entries(m.dimensions)) {
        const vocabulary = VOCABULARIES[k];
        if (vocabulary !== undefined && !vocabulary.includes(v)) {
          problems.push(`${m.where}: ${k}=${v} is never emitted (${vocabulary.join(', ')})`);
        }
      }
    } else if (m.namespace.startsWith('AWS/')) {
      const expected = AWS_METRICS[m.namespace]?.[m.name];
      if (expected === undefined) {
        problems.push(`${m.where}: ${m.namespace} ${m.name} is not in the allow-list`);
        continue;
      }
      if (!sameSet(expected, Object.keys(m.dimensions))) {
        problems.push(`${m.where}: ${m.namespace} ${m.name} by [${Object.keys(m.dimensions).join(', ')}]`);
      }
      for (const [k, v] of Object.entries(m.dimensions)) {
        const want = DIMENSION_RESOURCE[k];
        const [resourceId, attribute] = v.split('.');
        const res = r.resources[resourceId as string];
        if (want === undefined || res?.Type !== want.type || attribute !== want.attribute) {
          problems.push(`${m.where}: ${k}=${v} is not a ${want?.type ?? 'known resource'} of the stack`);
        }
      }
    } else {
      problems.push(`${m.where}: namespace ${m.namespace} is neither the functions' nor AWS/*`);
    }
  }
  for (const s of refs.searches) {
    if (s.namespace !== namespace) {
      problems.push(`${s.where}: SEARCH in ${s.namespace}, not the functions' namespace`);
      continue;
    }
    ownMetric(s.where, s.name, s.keys);
    if (s.filters.service !== service) {
      problems.push(`${s.where}: SEARCH not limited to service="${service}"`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------

let template: Template;
beforeAll(async () => {
  template = (await slsPackage()).template as unknown as Template;
}, 120_000);

/** The namespace and service the functions emit under: their environment in the template. */
function emittedAs(r: Resolved) {
  const env = (id: string) => {
    const fn = r.resources[id];
    if (fn === undefined) throw new Error(`no function ${id}`);
    return (fn.Properties.Environment as JsonObject).Variables as JsonObject;
  };
  const kinesis = env('KinesisLambdaFunction');
  expect(env('FirehoseLambdaFunction')).toMatchObject({
    POWERTOOLS_METRICS_NAMESPACE: kinesis.POWERTOOLS_METRICS_NAMESPACE,
    POWERTOOLS_SERVICE_NAME: kinesis.POWERTOOLS_SERVICE_NAME,
  });
  return {
    namespace: kinesis.POWERTOOLS_METRICS_NAMESPACE as string,
    service: kinesis.POWERTOOLS_SERVICE_NAME as string,
  };
}

describe('metrics named by the alarms and the dashboard', () => {
  let r: Resolved;
  beforeAll(() => {
    r = resolve(template);
  });

  it('are read from every alarm (metric-math ones included) and every dashboard widget', () => {
    const refs = metricReferences(r);
    const alarms = Object.values(r.resources).filter((x) => x.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(14);
    const where = new Set(refs.metrics.map((m) => m.where.split(/[ .]/)[0]));
    for (const [id, x] of Object.entries(r.resources)) {
      if (x.Type === 'AWS::CloudWatch::Alarm' || x.Type === 'AWS::CloudWatch::Dashboard') {
        expect(where).toContain(id);
      }
    }
    expect(refs.metrics.filter((m) => m.where.startsWith('Dashboard ')).length).toBeGreaterThan(30);
    expect(refs.searches.length).toBeGreaterThanOrEqual(5);
    expect(refs.problems).toEqual([]);
  });

  it('are all emitted by the functions, with the dimensions they are emitted with', () => {
    const as = emittedAs(r);
    expect(as).toEqual({ namespace: 'PinpointStreamProcessor', service: 'pinpoint-stream-processor-dev' });
    expect(metricProblems(r, as)).toEqual([]);
  });

  it('stay so when other deployment choices drop resources', () => {
    // A widget or an alarm must not point at a resource a choice leaves out.
    const choices: Array<Record<string, string>> = [
      { EventStreamDestination: 'Firehose' },
      { KinesisStreamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/existing-events' },
      { ArchiveBucketName: 'existing-archive', ArchivePrefix: 'pinpoint/' },
      // The daily report's alarm on its function.
      { DailyReport: 'true' },
      // Every configuration set row of the dashboard (ConfigurationSetEvents).
      {
        CreateSesConfigurationSet: 'true',
        SesConfigurationSets: 'marketing,transactional,otp,news,alerts_2',
        CreateSmsConfigurationSet: 'true',
      },
    ];
    for (const overrides of choices) {
      const x = resolve(template, overrides);
      expect(metricProblems(x, emittedAs(x))).toEqual([]);
    }
  });
});

describe('the metric check can fail', () => {
  /** The resolved template, with one change made to a copy of it. */
  const changed = (change: (r: Resolved) => void): Resolved => {
    const r = structuredClone(resolve(template));
    change(r);
    return r;
  };
  const AS = { namespace: 'PinpointStreamProcessor', service: 'pinpoint-stream-processor-dev' };
  const alarm = (r: Resolved, id: string) => r.resources[id]?.Properties as JsonObject;
  const stat = (r: Resolved, id: string, q: string) => {
    const query = (alarm(r, id).Metrics as JsonObject[]).find((x) => x.Id === q);
    if (query === undefined) throw new Error(`no query ${q} in ${id}`);
    return (query.MetricStat as JsonObject).Metric as JsonObject;
  };
  /** Rewrites the dashboard body's text (an Fn::Sub of the text and the configuration set rows). */
  const body = (r: Resolved, edit: (text: string) => string) => {
    const p = r.resources.Dashboard?.Properties as JsonObject;
    const sub = (p.DashboardBody as JsonObject)['Fn::Sub'] as [string, JsonObject];
    sub[0] = edit(sub[0]);
  };

  it('on a renamed dimension in a metric-math alarm', () => {
    const r = changed((x) => {
      ((stat(x, 'EmailBounceRateAlarm', 'ses_bounced').Dimensions as JsonObject[])[2] as JsonObject).Name =
        'Chanel';
    });
    expect(metricProblems(r, AS)).toEqual([
      'EmailBounceRateAlarm.ses_bounced: MessageEvents by [service, Source, Chanel, Outcome], but it is emitted by [service, Source, Channel, Outcome]',
    ]);
  });

  it('on a metric the catalog does not have, a missing service, a value never emitted', () => {
    const r = changed((x) => {
      alarm(x, 'KinesisInternalErrorsAlarm').MetricName = 'InternalError';
      (alarm(x, 'FirehoseInternalErrorsAlarm').Dimensions as JsonObject[]).shift();
      ((stat(x, 'SmsFailureRateAlarm', 'eum_failed').Dimensions as JsonObject[])[3] as JsonObject).Value =
        'Failed';
    });
    expect(metricProblems(r, AS)).toEqual([
      'KinesisInternalErrorsAlarm: InternalError is not a metric the functions emit (METRIC_CATALOG)',
      'FirehoseInternalErrorsAlarm: InternalErrors by [Path], but it is emitted by [service, Path]',
      'FirehoseInternalErrorsAlarm: service undefined, the functions emit as pinpoint-stream-processor-dev',
      `SmsFailureRateAlarm.eum_failed: Outcome=Failed is never emitted (${OUTCOMES.join(', ')})`,
    ]);
  });

  it('on a dashboard metric, SEARCH or AWS metric out of line', () => {
    const r = changed((x) =>
      body(x, (text) =>
        text
          .replace('"RecordsDeferred", "service"', '"RecordsDefered", "service"')
          .replace(',service,Path,Reason}', ',service,Reason}')
          .replace(
            'MetricName=\\"AlertsSent\\" service=\\"pinpoint-stream-processor-dev\\"',
            'MetricName=\\"AlertsSent\\"',
          )
          .replace('"AWS/Lambda", "IteratorAge"', '"AWS/Lambda", "IteratorAgeMs"'),
      ),
    );
    const problems = metricProblems(r, AS);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Records deferred.*RecordsDefered is not a metric the functions emit/),
        expect.stringMatching(
          /poison: PoisonRecords by \[service, Reason\], but it is emitted by \[service, Path, Reason\]/,
        ),
        expect.stringMatching(/alerts: SEARCH not limited to service="pinpoint-stream-processor-dev"/),
        expect.stringMatching(/AWS\/Lambda IteratorAgeMs is not in the allow-list/),
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it('on a configuration set row out of line with the catalog', () => {
    const r = resolve(template, { SesConfigurationSets: 'marketing' });
    const catalog = {
      ...METRIC_CATALOG,
      ConfigurationSetEvents: { unit: 'Count', dimensions: [['ConfigurationSet', 'Outcome']] },
    };
    const problems = metricProblems(r, AS, catalog);
    // 6 metrics of the row's two rate widgets, and its SEARCH.
    expect(problems).toHaveLength(7);
    expect(problems.every((p) => p.includes('ConfigurationSetEvents by'))).toBe(true);
    expect(metricProblems(r, AS)).toEqual([]);
  });

  it('on a catalog that no longer has a dimension set the stack uses', () => {
    const catalog = {
      ...METRIC_CATALOG,
      MessageEvents: { unit: 'Count', dimensions: [['Source', 'Outcome']] },
    };
    const problems = metricProblems(resolve(template), AS, catalog);
    // 14 MetricStats of the three rate alarms, 14 of the dashboard's rate widgets, 6 of its open and click
    // rates, and its SEARCH.
    expect(problems.length).toBe(35);
    expect(problems.every((p) => p.includes('MessageEvents by'))).toBe(true);
  });

  it('on an AWS metric of another resource, and on SEARCH in an alarm', () => {
    const r = changed((x) => {
      (alarm(x, 'KinesisIteratorAgeAlarm').Dimensions as JsonObject[])[0] = {
        Name: 'FunctionName',
        Value: { Ref: 'KinesisDeadLetterQueue' },
      };
      (alarm(x, 'EmailComplaintRateAlarm').Metrics as JsonObject[]).push({
        Id: 'all',
        Expression: "SEARCH('{PinpointStreamProcessor,service} MetricName=\"RecordsIn\"', 'Sum', 60)",
        ReturnData: false,
      });
    });
    expect(metricProblems(r, AS)).toEqual([
      'EmailComplaintRateAlarm.all: an alarm cannot use SEARCH',
      'KinesisIteratorAgeAlarm: FunctionName=KinesisDeadLetterQueue is not a AWS::Lambda::Function of the stack',
    ]);
  });
});
