import { METRIC_CATALOG } from '../../src/observability/metricCatalog';
import { CHANNELS, OUTCOMES } from '../../src/schema';
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
 * The dashboard's open and click rates and its row per configuration set (infra/dashboard.yml), read from the
 * packaged template: the body is JSON inside an Fn::Sub, parsed once rendered for each deployment choice. The
 * metric math of every widget is evaluated over made-up sums of its metrics and compared with the rates'
 * definitions (docs/deploy.md, "Rate alarms and the dashboard"). templateMetrics.test.ts checks every metric
 * against METRIC_CATALOG.
 */

type Widget = { type: string; width?: number; height?: number; properties: JsonObject };

let template: Template;
beforeAll(async () => {
  template = (await slsPackage()).template as unknown as Template;
}, 120_000);

const NAMESPACE = 'PinpointStreamProcessor';
const SERVICE = 'pinpoint-stream-processor-dev';
const CREATED = 'pinpoint-stream-processor-dev';

const EVERY_SET = {
  CreateSesConfigurationSet: 'true',
  SesConfigurationSets: 'marketing,transactional,otp,news,alerts_2',
  CreateSmsConfigurationSet: 'true',
};

function widgetsOf(x: Resolved): Widget[] {
  const body = renderJson(x.resources.Dashboard?.Properties.DashboardBody as Json) as JsonObject;
  return body.widgets as unknown as Widget[];
}

/** A widget's metric lines: the expressions and the metrics, by id. */
function entriesOf(w: Widget) {
  const expressions: Record<string, string> = {};
  const metrics: Record<string, { namespace: string; name: string; dims: Record<string, string> }> = {};
  const labels: Record<string, string> = {};
  for (const entry of (w.properties.metrics ?? []) as Json[][]) {
    const last = entry[entry.length - 1];
    const options = isObject(last) ? last : {};
    const id = options.id as string | undefined;
    if (typeof options.expression === 'string') {
      if (id === undefined) throw new Error(`an expression without an id in ${w.properties.title}`);
      expressions[id] = options.expression;
      if (typeof options.label === 'string') labels[id] = options.label;
      continue;
    }
    const [namespace, name, ...rest] = entry.filter((v) => typeof v === 'string') as string[];
    const dims: Record<string, string> = {};
    for (let i = 0; i < rest.length; i += 2) dims[rest[i] as string] = rest[i + 1] as string;
    if (id !== undefined) metrics[id] = { namespace: namespace as string, name: name as string, dims };
  }
  return { expressions, metrics, labels };
}

// ---------------------------------------------------------------------------------------------------------
// A small evaluator of CloudWatch metric math over single numbers: + - * /, comparisons, IF(c, a, b),
// FILL(m, v) (v when m has no value), ids of the widget. Enough for the rates' expressions.

type Value = number | undefined;

function evaluate(expression: string, ids: (id: string) => Value): Value {
  const tokens = expression.match(/\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*|>=|<=|==|!=|[-+*/(),<>]/g) ?? [];
  let at = 0;
  const peek = () => tokens[at];
  const take = (want?: string) => {
    const t = tokens[at++];
    if (want !== undefined && t !== want) throw new Error(`expected ${want} at ${t} in ${expression}`);
    return t as string;
  };
  const arith = (a: Value, b: Value, op: string): Value => {
    if (a === undefined || b === undefined) return undefined;
    if (op === '+') return a + b;
    if (op === '-') return a - b;
    if (op === '*') return a * b;
    return b === 0 ? undefined : a / b;
  };
  const primary = (): Value => {
    const t = take();
    if (t === '(') {
      const v = comparison();
      take(')');
      return v;
    }
    if (/^\d/.test(t)) return Number(t);
    if (peek() === '(') {
      take('(');
      const args: Value[] = [comparison()];
      while (peek() === ',') {
        take(',');
        args.push(comparison());
      }
      take(')');
      if (t === 'IF') return args[0] === undefined ? undefined : args[0] !== 0 ? args[1] : args[2];
      if (t === 'FILL') return args[0] ?? args[1];
      throw new Error(`unknown function ${t} in ${expression}`);
    }
    return ids(t);
  };
  const term = (): Value => {
    let v = primary();
    while (peek() === '*' || peek() === '/') {
      const op = take();
      v = arith(v, primary(), op);
    }
    return v;
  };
  const sum = (): Value => {
    let v = term();
    while (peek() === '+' || peek() === '-') {
      const op = take();
      v = arith(v, term(), op);
    }
    return v;
  };
  const comparison = (): Value => {
    const a = sum();
    const op = peek();
    if (op === undefined || !['>', '<', '>=', '<=', '==', '!='].includes(op)) return a;
    take();
    const b = sum();
    if (a === undefined || b === undefined) return undefined;
    const yes = { '>': a > b, '<': a < b, '>=': a >= b, '<=': a <= b, '==': a === b, '!=': a !== b }[op];
    return yes ? 1 : 0;
  };
  const v = comparison();
  if (at !== tokens.length) throw new Error(`left over from ${tokens[at]} in ${expression}`);
  return v;
}

/** Every expression of a widget, evaluated with the metrics' values given by `metricValue`. */
function evaluateWidget(
  w: Widget,
  metricValue: (dims: Record<string, string>) => Value,
): Record<string, Value> {
  const { expressions, metrics } = entriesOf(w);
  // SEARCH builds its own metrics: not evaluated here.
  for (const [id, e] of Object.entries(expressions)) if (e.startsWith('SEARCH(')) delete expressions[id];
  const cache: Record<string, Value> = {};
  const ids = (id: string): Value => {
    if (id in cache) return cache[id];
    let v: Value;
    if (id in expressions) v = evaluate(expressions[id] as string, ids);
    else if (id in metrics) v = metricValue((metrics[id] as { dims: Record<string, string> }).dims);
    else throw new Error(`${w.properties.title}: no id ${id}`);
    cache[id] = v;
    return v;
  };
  return Object.fromEntries(Object.keys(expressions).map((id) => [id, ids(id)]));
}

// Made-up sums: per source or configuration set, channel and outcome.
const COUNTS: Record<string, number> = {
  'ses/EMAIL/delivered': 600,
  'ses/EMAIL/bounced': 40,
  'ses/EMAIL/complained': 3,
  'ses/EMAIL/opened': 180,
  'ses/EMAIL/clicked': 24,
  'pinpoint/EMAIL/delivered': 400,
  'pinpoint/EMAIL/bounced': 10,
  'pinpoint/EMAIL/opened': 120,
  'pinpoint/EMAIL/clicked': 6,
};
const byMessage = (d: Record<string, string>) => COUNTS[`${d.Source}/${d.Channel}/${d.Outcome}`];
/** Per set: a different sum for each set, outcome and channel; none for `opened` of `news` (no data). */
const bySet = (d: Record<string, string>): Value => {
  if (d.ConfigurationSet === 'news' && d.Outcome === 'opened') return undefined;
  const seed = [...`${d.ConfigurationSet}/${d.Channel}/${d.Outcome}`].reduce(
    (a, c) => a + c.charCodeAt(0),
    0,
  );
  return 10 + (seed % 97);
};

describe('account-wide open and click rates', () => {
  it('graphs opened / delivered and clicked / delivered of SES and Pinpoint email, per hour', () => {
    const w = widgetsOf(resolve(template)).find(
      (x) => x.properties.title === 'Email open and click rates (SES and Pinpoint)',
    ) as Widget;
    expect(w).toBeDefined();
    expect(w.properties).toMatchObject({ period: 3600, stat: 'Sum', region: 'us-east-1' });
    const { metrics } = entriesOf(w);
    expect(
      Object.values(metrics)
        .map(
          (m) =>
            `${m.namespace} ${m.name} ${m.dims.service} ${m.dims.Source}/${m.dims.Channel}/${m.dims.Outcome}`,
        )
        .sort(),
    ).toEqual(
      ['pinpoint', 'ses']
        .flatMap((s) =>
          ['clicked', 'delivered', 'opened'].map(
            (o) => `${NAMESPACE} MessageEvents ${SERVICE} ${s}/EMAIL/${o}`,
          ),
        )
        .sort(),
    );
    const v = evaluateWidget(w, byMessage);
    expect(v.open_rate).toBeCloseTo((180 + 120) / (600 + 400), 12);
    expect(v.click_rate).toBeCloseTo((24 + 6) / (600 + 400), 12);
    // A source without data adds nothing (FILL), and no delivery reads 0, not an error.
    const sesOnly = evaluateWidget(w, (d) => (d.Source === 'ses' ? byMessage(d) : undefined));
    expect(sesOnly.open_rate).toBeCloseTo(180 / 600, 12);
    expect(evaluateWidget(w, () => undefined).open_rate).toBe(0);
  });
});

describe('a row per configuration set the stack wires', () => {
  /** The rows: each a text widget naming the set, then the widgets up to the next text widget. */
  function rows(x: Resolved) {
    const widgets = widgetsOf(x);
    const out: Array<{ heading: string; widgets: Widget[] }> = [];
    let current: { heading: string; widgets: Widget[] } | undefined;
    for (const w of widgets) {
      const md = w.type === 'text' ? (w.properties.markdown as string) : '';
      if (md.startsWith('### ')) {
        current = { heading: md.slice(4), widgets: [] };
        out.push(current);
      } else if (current !== undefined) current.widgets.push(w);
    }
    return out;
  }
  /** The configuration sets a widget's metrics and SEARCH expressions name. */
  const setsOf = (w: Widget) => {
    const { metrics, expressions } = entriesOf(w);
    return [
      ...Object.values(metrics).map((m) => m.dims.ConfigurationSet),
      ...Object.values(expressions).flatMap((e) =>
        [...e.matchAll(/ConfigurationSet="([^"]*)"/g)].map((m) => m[1] as string),
      ),
    ];
  };
  const environment = (x: Resolved, fn: string) => {
    const env = (x.resources[fn]?.Properties.Environment ?? {}) as JsonObject;
    return (env.Variables as JsonObject).METRIC_CONFIGURATION_SETS;
  };

  it('has none by default, and the functions count no set apart', () => {
    const x = resolve(template);
    expect(rows(x)).toEqual([]);
    expect(JSON.stringify(widgetsOf(x))).not.toContain('ConfigurationSetEvents');
    for (const fn of ['KinesisLambdaFunction', 'FirehoseLambdaFunction']) {
      expect(
        render(environment(x, fn) as Json)
          .split(',')
          .filter(Boolean),
      ).toEqual([]);
    }
  });

  it.each([
    [{ SesConfigurationSets: 'marketing' }, ['SES configuration set marketing']],
    [
      { SesConfigurationSets: 'marketing,transactional', CreateSmsConfigurationSet: 'true' },
      [
        'SES configuration set marketing',
        'SES configuration set transactional',
        `End User Messaging SMS/voice configuration set ${CREATED}`,
      ],
    ],
    [
      EVERY_SET,
      [
        `SES configuration set ${CREATED}`,
        ...['marketing', 'transactional', 'otp', 'news', 'alerts_2'].map((s) => `SES configuration set ${s}`),
        `End User Messaging SMS/voice configuration set ${CREATED}`,
      ],
    ],
  ])('has one for each set of %j, the same sets the functions count apart', (overrides, headings) => {
    const x = resolve(template, overrides);
    const found = rows(x);
    expect(found.map((row) => row.heading)).toEqual(headings);
    const counted = new Set(
      render(environment(x, 'KinesisLambdaFunction') as Json)
        .split(',')
        .filter(Boolean),
    );
    expect(render(environment(x, 'FirehoseLambdaFunction') as Json)).toBe(
      render(environment(x, 'KinesisLambdaFunction') as Json),
    );
    for (const row of found) {
      const set = row.heading.split(' ').pop() as string;
      expect(counted).toContain(set);
      // Every widget of the row graphs that set, and only it; the row fills the width (rows stay aligned).
      expect(row.widgets.length).toBeGreaterThanOrEqual(2);
      for (const w of row.widgets) expect(new Set(setsOf(w))).toEqual(new Set([set]));
      expect(row.widgets.reduce((n, w) => n + (w.width ?? 6), 0)).toBe(24);
    }
    expect(new Set(found.map((row) => row.heading.split(' ').pop()))).toEqual(counted);
  });

  it('is bounded by the parameters: at most 7 rows, and the most sets a function counts apart is 7', () => {
    const x = resolve(template, EVERY_SET);
    expect(rows(x)).toHaveLength(7);
    // Far below what a dashboard holds (100 widgets, the lowest limit CloudWatch has documented), and a body
    // of tens of KB.
    expect(widgetsOf(x).length).toBeLessThanOrEqual(60);
    expect(render(x.resources.Dashboard?.Properties.DashboardBody as Json).length).toBeLessThan(100_000);
    expect(new Set(render(environment(x, 'KinesisLambdaFunction') as Json).split(','))).toEqual(
      new Set([CREATED, 'marketing', 'transactional', 'otp', 'news', 'alerts_2']),
    );
    // SesConfigurationSets takes 5 names at most.
    const pattern = new RegExp(template.Parameters.SesConfigurationSets?.AllowedPattern as string);
    expect(pattern.test('a,b,c,d,e')).toBe(true);
    expect(pattern.test('a,b,c,d,e,f')).toBe(false);
  });

  it('graphs ConfigurationSetEvents with the dimensions the functions emit it with', () => {
    const dims = ['service', ...(METRIC_CATALOG.ConfigurationSetEvents.dimensions[0] as readonly string[])];
    for (const row of rows(resolve(template, EVERY_SET))) {
      for (const w of row.widgets) {
        const { metrics, expressions } = entriesOf(w);
        for (const m of Object.values(metrics)) {
          expect(m).toMatchObject({ namespace: NAMESPACE, name: 'ConfigurationSetEvents' });
          expect(Object.keys(m.dims).sort()).toEqual([...dims].sort());
          expect(m.dims.service).toBe(SERVICE);
          expect([...CHANNELS, 'NONE']).toContain(m.dims.Channel);
          expect(OUTCOMES).toContain(m.dims.Outcome);
        }
        for (const e of Object.values(expressions).filter((x) => x.startsWith('SEARCH('))) {
          expect(e).toContain(`{${NAMESPACE},service,ConfigurationSet,Channel,Outcome}`);
          expect(e).toContain(`service="${SERVICE}"`);
        }
      }
    }
  });

  it('computes each set’s email rates as the definitions say: bounce, complaint, open, click', () => {
    for (const row of rows(resolve(template, EVERY_SET)).filter((x) => x.heading.startsWith('SES'))) {
      const set = row.heading.split(' ').pop() as string;
      const n = (outcome: string) =>
        bySet({ ConfigurationSet: set, Channel: 'EMAIL', Outcome: outcome }) ?? 0;
      const values = Object.assign({}, ...row.widgets.map((w) => evaluateWidget(w, bySet)));
      expect(values.bounce_rate).toBeCloseTo(n('bounced') / (n('delivered') + n('bounced')), 12);
      expect(values.complaint_rate).toBeCloseTo(n('complained') / n('delivered'), 12);
      expect(values.open_rate).toBeCloseTo(n('opened') / n('delivered'), 12);
      expect(values.click_rate).toBeCloseTo(n('clicked') / n('delivered'), 12);
      if (set === 'news') expect(values.open_rate).toBe(0);
      const periods = row.widgets.map((w) => w.properties.period);
      expect(periods).toEqual([300, 900, 3600]);
    }
  });

  it('computes the SMS set’s delivery and failure rates over delivered, failed and rejected', () => {
    const [row] = rows(resolve(template, EVERY_SET)).filter((x) => x.heading.startsWith('End User'));
    const n = (outcome: string) =>
      bySet({ ConfigurationSet: CREATED, Channel: 'SMS', Outcome: outcome }) ?? 0;
    const values = Object.assign({}, ...(row?.widgets ?? []).map((w) => evaluateWidget(w, bySet)));
    const answered = n('delivered') + n('failed') + n('rejected');
    expect(values.delivery_rate).toBeCloseTo(n('delivered') / answered, 12);
    expect(values.failure_rate).toBeCloseTo((n('failed') + n('rejected')) / answered, 12);
  });

  it('draws the rate alarms’ thresholds, following their parameters', () => {
    const x = resolve(template, { ...EVERY_SET, EmailBounceRateAlarmThreshold: '0.04' });
    const lines = rows(x).flatMap((row) =>
      row.widgets.flatMap(
        (w) => ((w.properties.annotations as JsonObject | undefined)?.horizontal ?? []) as JsonObject[],
      ),
    );
    expect(lines.filter((l) => l.label === 'bounce alarm threshold').map((l) => l.value)).toEqual(
      Array(6).fill(0.04),
    );
    expect(lines.filter((l) => l.label === 'failure alarm threshold').map((l) => l.value)).toEqual([0.1]);
  });
});

describe('every widget’s metric math', () => {
  it.each([
    ['defaults', {}],
    ['every configuration set', EVERY_SET],
  ])('names only ids of its own widget, and evaluates (%s)', (_n, overrides) => {
    const widgets = widgetsOf(resolve(template, overrides));
    let evaluated = 0;
    for (const w of widgets) {
      const { expressions } = entriesOf(w);
      for (const [id, e] of Object.entries(expressions)) {
        if (e.startsWith('SEARCH(')) continue;
        // Every id it names is a metric or an expression of the widget (a typo would graph nothing).
        const v = evaluateWidget(w, () => 5);
        expect({ id, defined: v[id] !== undefined }).toEqual({ id, defined: true });
        evaluated++;
      }
    }
    expect(evaluated).toBeGreaterThanOrEqual(14);
  });

  it('can fail: an id that the widget does not define', () => {
    const w = widgetsOf(resolve(template)).find(
      (x) => x.properties.title === 'Email open and click rates (SES and Pinpoint)',
    ) as Widget;
    const broken = JSON.parse(JSON.stringify(w).replace('opened / delivered', 'opens / delivered')) as Widget;
    expect(() => evaluateWidget(broken, byMessage)).toThrow(/no id opens/);
  });
});
