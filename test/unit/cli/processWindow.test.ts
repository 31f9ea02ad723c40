import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { processKinesisBatch } from '../../../src/batch/kinesis';
import { runCli } from '../../../src/cli/main';
import { RateWindows, type WindowRate } from '../../../src/cli/rateWindows';
import { addToRateWindow } from '../../../src/rates/addToRateWindow';
import type { CompiledRateRule } from '../../../src/rates/compileRateRules';
import { isRateAlert, type RateAlert } from '../../../src/rates/rateAlert';
import { RATE_GROUP_KEYS } from '../../../src/rates/rateGroupKeys';
import { type RollupRow, rollupRows, sumRollups } from '../../../src/rates/rollups';
import { loadRuleSet } from '../../../src/rules/loadRules';
import type { NormalizedRecord } from '../../../src/schema';
import type { BatchRef } from '../../../src/sinks/ports';
import { FAMILIES, rawEvents, testRuntime } from '../../helpers/runtime';
import { deliveriesAndBounces, windowEvent } from '../../helpers/windows';
import { rec } from '../rates/helpers';
import { captureIO, nonBlankLines, tempDir } from './cliIO';

const ROOT = join(__dirname, '..', '..', '..');
// Every family's samples, and the RCS ones, so that every shipped rate rule counts something.
const INPUTS = [...FAMILIES, 'rcs'];
const RAW_FILES = INPUTS.map((f) => join(ROOT, 'events', 'raw', `${f}.json`));
const RATE_RULES = loadRuleSet(undefined).rateRules;
const TOTAL_RAW = INPUTS.reduce((n, f) => n + rawEvents(f).length, 0);
const WINDOW_KEYS = [
  'window_start',
  'window_end',
  'rule',
  'group',
  'numerator',
  'denominator',
  'rate',
  'threshold',
  'min_volume',
  'fired',
];

function filesUnder(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** The JSON lines of a zone's gzip objects. */
function zoneRows<T>(dir: string, zone: string): T[] {
  return [...filesUnder(dir)]
    .filter(([k]) => k.startsWith(`${zone}/`) && k.endsWith('.jsonl.gz'))
    .flatMap(([, v]) => nonBlankLines(gunzipSync(v).toString()).map((l) => JSON.parse(l) as T));
}

/** The alerts files' lines (JSON Lines, not compressed). */
function alertLines(dir: string): Array<{ kind: string } & Record<string, unknown>> {
  return [...filesUnder(dir)]
    .filter(([k]) => k.startsWith('alerts/'))
    .flatMap(([, v]) => nonBlankLines(v.toString()).map((l) => JSON.parse(l)));
}

/**
 * What the rates core gives for the records over windows of `seconds`: each window's records (by their arrival
 * time) through addToRateWindow at once, then rollupRows. Independent of the CLI's own bookkeeping.
 */
function coreRows(records: readonly NormalizedRecord[], rules: readonly CompiledRateRule[], seconds: number) {
  const ms = seconds * 1000;
  const byWindow = new Map<number, NormalizedRecord[]>();
  for (const r of records) {
    const w = Math.floor(Date.parse(r.ingest_time) / ms);
    byWindow.set(w, [...(byWindow.get(w) ?? []), r]);
  }
  return [...byWindow.keys()]
    .sort((a, b) => a - b)
    .flatMap((w) =>
      rollupRows(addToRateWindow(undefined, byWindow.get(w) ?? [], rules).state, {
        start: new Date(w * ms).toISOString(),
        end: new Date((w + 1) * ms).toISOString(),
      }),
    );
}

/** A row or window entry's identity: window, rule, group values (absent and null alike). */
function groupKey(
  x: { window_start: string; rule: string },
  group: Partial<Record<(typeof RATE_GROUP_KEYS)[number], string | null>> = x as RollupRow,
): string {
  return JSON.stringify([x.window_start, x.rule, ...RATE_GROUP_KEYS.map((k) => group[k] ?? null)]);
}

function sorted(rows: readonly RollupRow[]): RollupRow[] {
  return sumRollups(rows)
    .map((r) => JSON.stringify(r))
    .sort()
    .map((s) => JSON.parse(s));
}

/** SES events (from events/raw/ses.json) of one configuration set, all in the 5-minute window from 10:00. */
function sesEvents(delivered: number, bounced: number): string {
  const templates = rawEvents('ses');
  const delivery = templates.find((e) => e.eventType === 'Delivery') as Record<
    string,
    Record<string, unknown>
  >;
  const bounce = templates.find((e) => e.eventType === 'Bounce') as Record<string, Record<string, unknown>>;
  const base = Date.UTC(2026, 0, 5, 10, 1);
  const lines: string[] = [];
  const at = (i: number) => new Date(base + i * 500).toISOString();
  for (let i = 0; i < delivered + bounced; i++) {
    const event = structuredClone(i < bounced ? bounce : delivery);
    event.mail = { ...event.mail, timestamp: at(i), messageId: `msg-${i}` };
    const detail = i < bounced ? 'bounce' : 'delivery';
    event[detail] = { ...event[detail], timestamp: at(i) };
    lines.push(JSON.stringify(event));
  }
  return `${lines.join('\n')}\n`;
}

describe('process --window', () => {
  let out: string;
  let json: Record<string, unknown> & { windows: WindowRate[]; rateAlerts: RateAlert[] };
  let text: string;
  let records: NormalizedRecord[];

  beforeAll(async () => {
    out = tempDir('window');
    const c = captureIO();
    expect(await runCli(['process', '--window', '5m', '--json', '--out', out, ...RAW_FILES], c.io)).toBe(0);
    json = JSON.parse(c.stdout());
    records = zoneRows<NormalizedRecord>(out, 'normalized');
    const t = captureIO();
    expect(
      await runCli(['process', '--window', '300s', '--out', tempDir('window-text'), ...RAW_FILES], t.io),
    ).toBe(0);
    text = t.stdout();
  });

  it('lists every rate rule and group counted per 5-minute window, with the counts the core gives', () => {
    expect(records).toHaveLength(TOTAL_RAW);
    const expected = coreRows(records, RATE_RULES, 300);
    expect(expected.length).toBeGreaterThan(20);
    // Every rule, window and group the core counted, and no other.
    expect(new Set(json.windows.map((w) => groupKey(w, w.group)))).toEqual(
      new Set(expected.map((r) => groupKey(r))),
    );
    expect(json.windows).toHaveLength(new Set(expected.map((r) => groupKey(r))).size);
    expect(new Set(json.windows.map((w) => w.rule))).toEqual(new Set(RATE_RULES.map((r) => r.name)));
    for (const w of json.windows) {
      const rule = RATE_RULES.find((r) => r.name === w.rule) as CompiledRateRule;
      const mine = expected.filter((r) => groupKey(r) === groupKey(w, w.group));
      const sum = (outcomes: readonly string[]) =>
        mine.filter((r) => outcomes.includes(r.outcome)).reduce((n, r) => n + r.count, 0);
      expect(w).toMatchObject({
        numerator: sum(rule.numerator),
        denominator: sum(rule.denominator),
        threshold: rule.threshold,
        min_volume: rule.minVolume,
        fired: false,
      });
      expect(w.rate).toBe(w.denominator === 0 ? null : w.numerator / w.denominator);
      expect(Date.parse(w.window_end) - Date.parse(w.window_start)).toBe(300_000);
      expect(Date.parse(w.window_start) % 300_000).toBe(0);
    }
  });

  it('prints the rates as a table, one line per window, rule and group', () => {
    expect(text).toMatch(
      /^window \(5m\) +rate rule +group +numerator +denominator +rate +threshold +min volume +alert$/m,
    );
    // Counted by hand from events/raw: the EUM SMS events of 17:15–17:20, one rejected and one failed of three.
    expect(text).toMatch(
      /^2025-11-20T17:15:00Z +sms-rejected-rate-high +app_id=\(none\) configuration_set=\(none\) +1 +3 +33\.33% +2% +200$/m,
    );
    expect(text).toMatch(
      /^2025-11-20T17:15:00Z +sms-failure-rate-high +app_id=\(none\) configuration_set=\(none\) +2 +3 +66\.67% +10% +200$/m,
    );
    // A complaint with no delivery in its window: no rate.
    expect(text).toMatch(
      /^2025-11-21T00:15:00Z +email-complaint-rate-high +.*prod-engagement +1 +0 +- +0\.1% +2,000$/m,
    );
    const lines = text.split('\n');
    const header = lines.findIndex((l) => l.startsWith('window (5m)'));
    const table = lines.slice(header + 1, lines.indexOf('', header));
    expect(table).toHaveLength(json.windows.length);
    expect(text).toMatch(/^\d+ rollup rows, 0 rate alerts$/m);
    expect(text).toMatch(/^Output: .* \(normalized\/, quarantine\/, alerts\/, rollups\/\)$/m);
  });

  it('gives --json the windows and rate alerts', () => {
    expect(json).toMatchObject({
      records: TOTAL_RAW,
      windowSeconds: 300,
      rateAlerts: [],
      rateAlertsOmitted: 0,
    });
    for (const w of json.windows) expect(Object.keys(w)).toEqual(WINDOW_KEYS);
    expect(Object.keys(json.windows[0]?.group ?? {})).toEqual(['app_id', 'configuration_set']);
  });

  it('writes rollups under rollups/dt=…/hour=…/ whose rows sum to the counts', () => {
    const keys = [...filesUnder(out).keys()].filter((k) => k.startsWith('rollups/') && k.endsWith('.gz'));
    expect(keys.length).toBeGreaterThan(3);
    for (const k of keys) {
      expect(k).toMatch(
        /^rollups\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/file\/process-window-5m\/[0-9a-f]{32}\.jsonl\.gz$/,
      );
    }
    expect((json.rollups as { objects: string[] }).objects.sort()).toEqual(keys.sort());
    const written = zoneRows<RollupRow>(out, 'rollups');
    // Each object holds the windows starting in its own partition.
    for (const [k, v] of filesUnder(out)) {
      if (!k.startsWith('rollups/') || !k.endsWith('.gz')) continue;
      const [, dt, hour] = /dt=([^/]+)\/hour=(\d\d)/.exec(k) as RegExpExecArray;
      for (const line of nonBlankLines(gunzipSync(v).toString())) {
        expect(JSON.parse(line).window_start.slice(0, 13)).toBe(`${dt}T${hour}`);
      }
    }
    expect(sorted(written)).toEqual(sorted(coreRows(records, RATE_RULES, 300)));
    expect((json.rollups as { rows: number }).rows).toBe(written.length);
  });

  it('changes nothing without --window', async () => {
    const plain = tempDir('nowindow');
    const c = captureIO();
    expect(await runCli(['process', '--json', '--out', plain, ...RAW_FILES], c.io)).toBe(0);
    const summary = JSON.parse(c.stdout());
    expect(summary).not.toHaveProperty('windows');
    expect(summary).not.toHaveProperty('rateAlerts');
    expect(existsSync(join(plain, 'rollups'))).toBe(false);
    const {
      windowSeconds: _w,
      windows: _ws,
      rateAlerts: _a,
      rateAlertsOmitted: _o,
      rollups: _r,
      ...rest
    } = json;
    const { overflowed: _of, uncounted: _u, ...same } = rest;
    expect(summary).toEqual(same);
  });

  it.each([
    ['0s', /at least 1 second/],
    ['90', /a number and a unit/],
    ['1.5s', /whole number of seconds/],
    ['2d', /at most a day/],
  ])('exits 1 on --window %p, saying why', async (value, why) => {
    const c = captureIO();
    const dir = tempDir('badwindow');
    expect(await runCli(['process', '--window', value, '--out', dir, RAW_FILES[0] as string], c.io)).toBe(1);
    const [line, hint] = c.stderr().split('\n');
    expect(line).toMatch(/^error: option '--window <duration>' argument '.*' is invalid\./);
    expect(line).toMatch(why);
    expect(hint).toBe('(add --help for usage)');
    expect(c.stdout()).toBe('');
    expect(readdirSync(dir)).toEqual([]);
    expect(await runCli(['replay', '--bucket', 'b', '--window', value], captureIO().io)).toBe(1);
  });
});

describe('process --window: rate alerts', () => {
  async function run(delivered: number, bounced: number) {
    const dir = tempDir('bounces');
    const file = join(dir, 'bounces.jsonl');
    writeFileSync(file, sesEvents(delivered, bounced));
    const out = join(dir, 'out');
    const c = captureIO();
    expect(await runCli(['process', '--window', '5m', '--json', '--out', out, file], c.io)).toBe(0);
    const t = captureIO();
    expect(await runCli(['process', '--window', '5m', '--out', join(dir, 'text'), file], t.io)).toBe(0);
    return {
      json: JSON.parse(c.stdout()) as { windows: WindowRate[]; rateAlerts: RateAlert[]; records: number },
      text: t.stdout(),
      out,
    };
  }

  it('fires email-bounce-rate-high at its min_volume (200): 20 bounces of 200 in one window', async () => {
    const { json, text, out } = await run(180, 20);
    expect(json.records).toBe(200);
    expect(json.rateAlerts).toHaveLength(1);
    const [alert] = json.rateAlerts;
    expect(alert).toMatchObject({
      kind: 'rate',
      rule: 'email-bounce-rate-high',
      severity: 'high',
      window: { start: '2026-01-05T10:00:00.000Z', end: '2026-01-05T10:05:00.000Z' },
      group: { app_id: null, configuration_set: 'prod-engagement' },
      numerator: 20,
      denominator: 200,
      rate: 0.1,
      threshold: 0.05,
      min_volume: 200,
      counts: { delivered: 180, bounced: 20 },
      batch: 'process:window 5m/1 input',
    });
    // The warning needs 500 messages: counted, not fired.
    const fired = json.windows.filter((w) => w.fired).map((w) => w.rule);
    expect(fired).toEqual(['email-bounce-rate-high']);
    expect(json.windows.find((w) => w.rule === 'email-bounce-rate-warn')).toMatchObject({
      numerator: 20,
      denominator: 200,
      fired: false,
    });
    expect(text).toMatch(
      /^2026-01-05T10:00:00Z +email-bounce-rate-high +app_id=\(none\) configuration_set=prod-engagement +20 +200 +10\.00% +5% +200 +high$/m,
    );
    expect(text).toMatch(/^rate alert +severity +window +group +numerator +denominator +rate$/m);
    expect(text).toMatch(
      /^email-bounce-rate-high +high +2026-01-05T10:00:00Z +app_id=\(none\) configuration_set=prod-engagement +20 +200 +10\.00%$/m,
    );
    // Written to alerts/ like event alerts, as the alert sink sends it, next to the rollups.
    const written = alertLines(out).filter((a) => a.kind === 'rate');
    expect(written).toEqual([JSON.parse(JSON.stringify(alert))]);
    const files = [...filesUnder(out).keys()];
    expect(files.filter((k) => k.startsWith('alerts/') && k.includes('/process-window-5m/'))).toEqual([
      expect.stringMatching(/^alerts\/dt=2026-01-05\/hour=10\/file\/process-window-5m\/[0-9a-f]{32}\.jsonl$/),
    ]);
    // Event alerts still go their own way (ses-permanent-bounce, per batch).
    expect(alertLines(out).some((a) => a.kind === 'event')).toBe(true);
    // No personal data: the recipients, the sender and the IPs of the events are nowhere in the output.
    const everything = [
      text,
      JSON.stringify(json.windows),
      JSON.stringify(json.rateAlerts),
      JSON.stringify(zoneRows(out, 'rollups')),
      JSON.stringify(written),
    ].join('\n');
    for (const secret of [
      'gone.away@example.net',
      'orders@example.com',
      '@',
      '203.0.113.77',
      '198.51.100.23',
    ]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('does not fire below min_volume, however high the rate: 20 bounces of 199', async () => {
    const { json, text, out } = await run(179, 20);
    expect(json.rateAlerts).toEqual([]);
    expect(json.windows.find((w) => w.rule === 'email-bounce-rate-high')).toMatchObject({
      numerator: 20,
      denominator: 199,
      fired: false,
    });
    expect(json.windows.every((w) => !w.fired)).toBe(true);
    expect(text).toMatch(/^\d+ rollup rows, 0 rate alerts$/m);
    expect(text).not.toMatch(/^rate alert/m);
    expect(alertLines(out).filter((a) => a.kind === 'rate')).toEqual([]);
  });

  it('gives the rollups and rate alert the Kinesis handler gives for the same records in the same window', async () => {
    const records = deliveriesAndBounces(190, 20);
    const event = windowEvent(records, 0, undefined, { final: true });
    const { runtime, archive, alerts } = await testRuntime();
    await processKinesisBatch(event, runtime);
    const handlerRows = archive.lines('rollups').map((l) => JSON.parse(l) as RollupRow);
    const handlerAlerts = alerts.published.filter(isRateAlert);
    expect(handlerAlerts).toHaveLength(1);

    const dir = tempDir('same');
    const file = join(dir, 'kinesis.json');
    writeFileSync(file, JSON.stringify(event));
    const c = captureIO();
    expect(await runCli(['process', '--window', '5m', '--json', '--out', join(dir, 'out'), file], c.io)).toBe(
      0,
    );
    const json = JSON.parse(c.stdout()) as { rateAlerts: RateAlert[] };
    expect(sorted(zoneRows<RollupRow>(join(dir, 'out'), 'rollups'))).toEqual(sorted(handlerRows));
    const comparable = ({ alert_id: _id, batch: _batch, ...a }: RateAlert) => a;
    expect(json.rateAlerts.map(comparable)).toEqual(handlerAlerts.map(comparable));
  });
});

describe('RateWindows', () => {
  const rules = loadRuleSet(undefined).rateRules;
  const at = (iso: string, over: Partial<NormalizedRecord> = {}) =>
    rec('delivered', {
      ingest_time: iso,
      configuration_set: 'marketing',
      ...over,
    } as Partial<NormalizedRecord>);

  const fileBatch = (): BatchRef => ({
    origin: 'file',
    stream: 's',
    firstId: '',
    lastId: '',
    count: 0,
    name: 'n',
    dt: '2026-01-05',
    hour: '10',
    label: 'l',
  });

  it('puts a record in the window of its arrival time: [start, start + length)', () => {
    const w = new RateWindows(rules, 300);
    w.add(at('2026-01-05T10:04:59.999Z'));
    w.add(at('2026-01-05T10:05:00.000Z'));
    w.add(at('2026-01-05T10:09:59.999Z'));
    w.add(at('not a time'));
    const closed = w.close(fileBatch);
    const high = closed.windows.filter((r) => r.rule === 'email-bounce-rate-high');
    expect(high.map((r) => [r.window_start, r.window_end, r.denominator])).toEqual([
      ['2026-01-05T10:00:00.000Z', '2026-01-05T10:05:00.000Z', 1],
      ['2026-01-05T10:05:00.000Z', '2026-01-05T10:10:00.000Z', 2],
    ]);
    expect(closed.uncounted).toBe(1);
  });

  it('bounds each window by the state budget: groups past it are counted in the other group', () => {
    const w = new RateWindows(rules, 3600, { budgetBytes: 8 * 1024 });
    for (let i = 0; i < 2000; i++)
      w.add(at('2026-01-05T10:00:00.000Z', { configuration_set: `set-${i}` } as never));
    const closed = w.close(fileBatch);
    expect(closed.overflowed).toBeGreaterThan(1000);
    const high = closed.windows.filter((r) => r.rule === 'email-bounce-rate-high');
    expect(high.length).toBeLessThan(200);
    expect(high.at(-1)).toMatchObject({ overflow: true, group: {} });
    // Nothing is lost: the groups and the other group add up to every record.
    expect(high.reduce((n, r) => n + r.denominator, 0)).toBe(2000);
  });
});
