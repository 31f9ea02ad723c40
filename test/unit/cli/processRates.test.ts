import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { RateAlert } from '../../../src/alerts/rateAlert';
import { processKinesisBatch } from '../../../src/batch/kinesis';
import type { InputItem } from '../../../src/cli/inputItems';
import { runCli, WINDOW_GONE } from '../../../src/cli/main';
import { processItems } from '../../../src/cli/processItems';
import type { CounterRate } from '../../../src/cli/runRates';
import { loadConfig } from '../../../src/config';
import { toKinesisEvent } from '../../../src/fixtures/wrap';
import type { RollupRow } from '../../../src/rates/rollups';
import { createRuntime } from '../../../src/runtime';
import type { NormalizedRecord } from '../../../src/schema';
import { sumRollups } from '../../helpers/rollups';
import { rawEvents, silentLogger, TEST_PII_KEY, testRuntime } from '../../helpers/runtime';
import { captureIO, nonBlankLines, tempDir } from './cliIO';

/**
 * `process` counts into the rate store as the handlers do (docs/rates.md): each rule over its own window, by
 * arrival time, each batch once, a crossing alerted once; `--rates` reads the counters back.
 */

const RATE_KEYS = [
  'rule',
  'window',
  'window_start',
  'window_end',
  'group',
  'numerator',
  'denominator',
  'rate',
  'threshold',
  'min_volume',
  'alert',
];

const HOUR = Date.UTC(2026, 0, 5, 10);
const [DELIVERY, BOUNCE] = ((): [Record<string, unknown>, Record<string, unknown>] => {
  const events = rawEvents('ses');
  const find = (type: string) => events.find((e) => e.eventType === type) as Record<string, unknown>;
  return [find('Delivery'), find('Bounce')];
})();

/**
 * SES events of configuration set prod-engagement (as delivered by its Firehose destination, without an
 * envelope): `bounced` bounces then deliveries, numbered from `from` (a unique message id each), `at` + i s.
 */
function sesEvents(delivered: number, bounced: number, from = 0, at = HOUR + 60_000): string[] {
  const lines: string[] = [];
  for (let k = 0; k < delivered + bounced; k++) {
    const i = from + k;
    const bounce = k < bounced;
    const event = structuredClone(bounce ? BOUNCE : DELIVERY) as Record<string, Record<string, unknown>>;
    const time = new Date(at + k * 1000).toISOString();
    event.mail = {
      ...event.mail,
      timestamp: time,
      messageId: `0100019aa3e1b7c4-${String(i).padStart(8, '0')}`,
    };
    const detail = bounce ? 'bounce' : 'delivery';
    event[detail] = { ...event[detail], timestamp: time };
    lines.push(JSON.stringify(event));
  }
  return lines;
}

function writeLines(dir: string, name: string, lines: readonly string[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

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

/** The counters in a local rate store, by rule, window start and group: their counts and alert state. */
function counters(dir: string): Map<string, { counts: Record<string, number>; alert?: string }> {
  const out = new Map<string, { counts: Record<string, number>; alert?: string }>();
  for (const [, bytes] of filesUnder(join(dir, 'rates'))) {
    const item = JSON.parse(bytes.toString()) as Record<string, unknown>;
    if (item.kind !== 'counter') continue;
    const counts: Record<string, number> = {};
    for (const [k, v] of Object.entries(item)) if (k.startsWith('c:')) counts[k.slice(2)] = v as number;
    const key = `${item.rule} ${item.window_start} ${item.group}`;
    out.set(key, {
      counts,
      ...(typeof item.alert_state === 'string' && { alert: item.alert_state }),
    });
  }
  return out;
}

/** The lines of the alerts files, by kind. */
function alertLines(dir: string, kind: 'rate' | 'event'): Array<Record<string, unknown>> {
  return [...filesUnder(join(dir, 'alerts'))]
    .flatMap(([, v]) => nonBlankLines(v.toString()).map((l) => JSON.parse(l) as Record<string, unknown>))
    .filter((a) => a.kind === kind);
}

function rollups(dir: string): string[] {
  return sumRollups(
    [...filesUnder(join(dir, 'rollups'))]
      .filter(([k]) => k.endsWith('.jsonl.gz'))
      .flatMap(([, v]) => nonBlankLines(gunzipSync(v).toString()).map((l) => JSON.parse(l) as RollupRow)),
  )
    .map((r) => JSON.stringify(r))
    .sort();
}

interface RatesJson {
  records: number;
  rates: CounterRate[];
  rateCounts: { written: number; alreadyApplied: number; records: number; counters: number };
  rateAlerts: RateAlert[];
  rateAlertsSent: boolean;
}

async function processJson(args: string[], files: string[], env: Record<string, string> = {}) {
  const c = captureIO({ env });
  expect(await runCli(['process', '--rates', '--json', ...args, ...files], c.io)).toBe(0);
  return JSON.parse(c.stdout()) as RatesJson;
}

const high = (json: RatesJson) => json.rates.filter((r) => r.rule === 'email-bounce-rate-high');

describe('process: the rate store', () => {
  it('counts a batch once however often it is run, and sends its crossing once', async () => {
    const dir = tempDir('twice');
    const file = writeLines(dir, 'bounces.jsonl', sesEvents(180, 20));
    const out = join(dir, 'out');
    const first = await processJson(['--out', out], [file]);
    expect(high(first)).toEqual([
      {
        rule: 'email-bounce-rate-high',
        window: '1h',
        window_start: '2026-01-05T10:00:00.000Z',
        window_end: '2026-01-05T11:00:00.000Z',
        group: { app_id: null, configuration_set: 'prod-engagement' },
        numerator: 20,
        denominator: 200,
        rate: 0.1,
        threshold: 0.05,
        min_volume: 200,
        alert: 'sent',
      },
    ]);
    // The warning needs 500 messages: counted, not fired.
    expect(first.rates.find((r) => r.rule === 'email-bounce-rate-warn')).toMatchObject({
      numerator: 20,
      denominator: 200,
      alert: null,
    });
    expect(first.rateCounts).toMatchObject({ alreadyApplied: 0 });
    expect(first.rateCounts.written).toBe(first.rates.length);
    expect(first.rateAlerts).toHaveLength(1);
    expect(first.rateAlerts[0]).toMatchObject({
      kind: 'rate',
      rule: 'email-bounce-rate-high',
      window: { start: '2026-01-05T10:00:00.000Z', end: '2026-01-05T11:00:00.000Z' },
      numerator: 20,
      denominator: 200,
      counts: { delivered: 180, bounced: 20 },
      batch: expect.stringMatching(/^file:.*bounces\.jsonl\/200 records$/),
    });
    expect(first.rateAlertsSent).toBe(true);
    // Written to alerts/ as the alert sink sends it, in a file of the batch's rates, next to its event alerts.
    expect(alertLines(out, 'rate')).toEqual([JSON.parse(JSON.stringify(first.rateAlerts[0]))]);
    expect([...filesUnder(join(out, 'alerts')).keys()].filter((k) => k.endsWith('.rates.jsonl'))).toEqual([
      expect.stringMatching(/^dt=2026-01-05\/hour=10\/file\/bounces\.jsonl\/[0-9a-f]{32}\.rates\.jsonl$/),
    ]);
    expect(alertLines(out, 'event').length).toBeGreaterThan(0);
    const store = counters(out);
    const files = filesUnder(out);

    // Again: the same batches, the same ids: nothing added, no second alert, no file changed.
    const again = await processJson(['--out', out], [file]);
    expect(again.rates).toEqual(first.rates);
    expect(again.rateCounts).toMatchObject({ written: 0, alreadyApplied: first.rates.length });
    expect(again.rateAlerts).toEqual([]);
    expect(counters(out)).toEqual(store);
    expect(filesUnder(out)).toEqual(files);
  });

  it('adds up the counts of two inputs, and alerts when together they cross', async () => {
    const dir = tempDir('two');
    // Each 100 messages with 10 bounces: under min_volume (200) alone, 220 together, 10% of them bounces.
    const a = writeLines(dir, 'a.jsonl', sesEvents(100, 10));
    const b = writeLines(dir, 'b.jsonl', sesEvents(100, 10, 1000, HOUR + 30 * 60_000));
    const out = join(dir, 'out');
    const first = await processJson(['--out', out], [a]);
    expect(high(first)).toEqual([expect.objectContaining({ numerator: 10, denominator: 110, alert: null })]);
    expect(first.rateAlerts).toEqual([]);
    expect(alertLines(out, 'rate')).toEqual([]);

    const second = await processJson(['--out', out], [b]);
    expect(high(second)).toEqual([
      expect.objectContaining({ numerator: 20, denominator: 220, alert: 'sent' }),
    ]);
    expect(second.rateAlerts).toEqual([
      expect.objectContaining({ rule: 'email-bounce-rate-high', numerator: 20, denominator: 220 }),
    ]);
    expect(alertLines(out, 'rate')).toHaveLength(1);
    const key = 'email-bounce-rate-high 2026-01-05T10:00:00.000Z [null,"prod-engagement"]';
    expect(counters(out).get(key)).toEqual({ counts: { delivered: 200, bounced: 20 }, alert: 'sent' });

    // Both inputs in one run into a fresh store: the same totals.
    const both = join(dir, 'both');
    await processJson(['--out', both], [a, b]);
    expect(counters(both)).toEqual(counters(out));
  });

  it('counts a file rewritten with other records under the same name: new data, not a retry', async () => {
    const dir = tempDir('rewritten');
    const out = join(dir, 'out');
    const file = writeLines(dir, 'today.jsonl', sesEvents(50, 5));
    await processJson(['--out', out], [file]);
    writeLines(dir, 'today.jsonl', sesEvents(50, 5, 500));
    const json = await processJson(['--out', out], [file]);
    expect(high(json)).toEqual([expect.objectContaining({ numerator: 10, denominator: 110 })]);
    expect(json.rateCounts.alreadyApplied).toBe(0);
  });

  it('does not alert below min_volume, however high the rate: 20 bounces of 199', async () => {
    const dir = tempDir('below');
    const file = writeLines(dir, 'b.jsonl', sesEvents(179, 20));
    const json = await processJson(['--out', join(dir, 'out')], [file]);
    expect(high(json)).toEqual([expect.objectContaining({ numerator: 20, denominator: 199, alert: null })]);
    expect(json.rateAlerts).toEqual([]);
    expect(alertLines(join(dir, 'out'), 'rate')).toEqual([]);
  });

  it('counts records already normalized as their raw events, in a file mixing both', async () => {
    const dir = tempDir('normalized');
    const raw = writeLines(dir, 'raw.jsonl', sesEvents(30, 3));
    const first = join(dir, 'first');
    await processJson(['--out', first], [raw]);
    const normalized = [...filesUnder(join(first, 'normalized'))]
      .filter(([k]) => k.endsWith('.jsonl.gz'))
      .flatMap(([, v]) => nonBlankLines(gunzipSync(v).toString()));
    expect(normalized).toHaveLength(33);
    // Normalized records first, then raw events of another hour: item indexes differ from pipeline indexes.
    const later = sesEvents(20, 4, 100, HOUR + 2 * 3_600_000);
    const mixed = writeLines(dir, 'mixed.jsonl', [...normalized, ...later]);
    const json = await processJson(['--out', join(dir, 'mixed-out')], [mixed]);
    expect(high(json).map((r) => [r.window_start, r.numerator, r.denominator])).toEqual([
      ['2026-01-05T10:00:00.000Z', 3, 33],
      ['2026-01-05T12:00:00.000Z', 4, 24],
    ]);
  });

  it('writes each batch’s rollups, per hour of arrival, and the same ones when run again', async () => {
    const dir = tempDir('rollups');
    const file = writeLines(dir, 'r.jsonl', [
      ...sesEvents(10, 2),
      ...sesEvents(5, 1, 100, HOUR + 3_600_000 + 5_000),
    ]);
    const out = join(dir, 'out');
    const c = captureIO();
    expect(await runCli(['process', '--batch-size', '7', '--out', out, file], c.io)).toBe(0);
    const keys = [...filesUnder(join(out, 'rollups')).keys()].filter((k) => !k.endsWith('.meta.json'));
    for (const k of keys) {
      expect(k).toMatch(/^dt=2026-01-05\/hour=1[01]\/file\/r\.jsonl\/[0-9a-f]{32}\.jsonl\.gz$/);
    }
    // 18 records in batches of 7: three batches, the second holding records of both hours.
    expect(keys).toHaveLength(4);
    const rows = rollups(out);
    expect(rows).toContainEqual(
      JSON.stringify({
        window_start: '2026-01-05T10:00:00.000Z',
        window_end: '2026-01-05T11:00:00.000Z',
        rule: 'email-bounce-rate-high',
        configuration_set: 'prod-engagement',
        outcome: 'delivered',
        count: 10,
      }),
    );
    expect(c.stdout()).toMatch(
      /^Output: .* \(normalized\/, quarantine\/, alerts\/, analytics\/, rollups\/, rates\/\)$/m,
    );
    expect(c.stdout()).not.toMatch(/^rate rule/m);
    expect(await runCli(['process', '--batch-size', '7', '--out', out, file], captureIO().io)).toBe(0);
    expect(rollups(out)).toEqual(rows);
  });

  it('gives the counts, rollups and rate alert the Kinesis handler gives for the same records', async () => {
    const dir = tempDir('same');
    const records = sesEvents(190, 20).map((line, i) => ({
      data: Buffer.from(line),
      arrivalMs: HOUR + 120_000 + i * 1000,
    }));
    const event = toKinesisEvent(records);
    const handlerDir = join(dir, 'handler');
    const config = loadConfig({ SINKS: 'local', LOCAL_SINK_DIR: handlerDir, PII_HASH_KEY: TEST_PII_KEY });
    const runtime = await createRuntime(config, { logger: silentLogger });
    expect(await processKinesisBatch(event, runtime)).toEqual({ batchItemFailures: [] });
    const file = join(dir, 'kinesis.json');
    writeFileSync(file, JSON.stringify(event));
    const out = join(dir, 'cli');
    const json = await processJson(['--out', out], [file]);

    expect(counters(out)).toEqual(counters(handlerDir));
    expect(counters(out).size).toBeGreaterThan(3);
    expect(rollups(out)).toEqual(rollups(handlerDir));
    const comparable = ({ batch: _batch, ...a }: Record<string, unknown>) => a;
    expect(alertLines(out, 'rate').map(comparable)).toEqual(alertLines(handlerDir, 'rate').map(comparable));
    expect(json.rateAlerts.map((a) => a.alert_id)).toEqual(
      alertLines(handlerDir, 'rate').map((a) => a.alert_id),
    );
  });

  it('counts SES events through EventBridge in the window of their EventBridge time, not the file’s', async () => {
    // Three days of events, one every three hours, in a file last modified days later: the old --window put
    // every one of them into the window of the file's modification time (their ingest_time).
    const delivered = rawEvents('ses-eventbridge').find(
      (e) => e['detail-type'] === 'Email Delivered',
    ) as Record<string, unknown>;
    const start = Date.UTC(2026, 2, 1, 0, 30);
    const lines: string[] = [];
    const hours: string[] = [];
    for (let i = 0; i < 24; i++) {
      const ms = start + i * 3 * 3_600_000;
      const time = new Date(ms).toISOString().replace('.000Z', 'Z');
      lines.push(JSON.stringify({ ...delivered, id: `eb-${i}`, time }));
      hours.push(new Date(ms - 30 * 60_000).toISOString());
    }
    const dir = tempDir('eventbridge');
    const file = writeLines(dir, 'ses-eventbridge.jsonl', lines);
    const modified = new Date(Date.UTC(2026, 2, 10, 12, 0));
    utimesSync(file, modified, modified);
    const json = await processJson(['--out', join(dir, 'out')], [file]);
    expect(json.records).toBe(24);
    expect(high(json).map((r) => [r.window_start, r.denominator])).toEqual(hours.map((h) => [h, 1]));
    // So are the rollups: the hour of the EventBridge time.
    expect(
      rollups(join(dir, 'out'))
        .map((r) => JSON.parse(r) as RollupRow)
        .filter((r) => r.rule === 'email-bounce-rate-high')
        .map((r) => r.window_start)
        .sort(),
    ).toEqual(hours);
  });
});

describe('processItems', () => {
  it('tells onRecord each record with the index of its item, raw and normalized items mixed', async () => {
    const { runtime } = await testRuntime();
    const lines = sesEvents(3, 1);
    const raw = (i: number): InputItem => ({
      kind: 'raw',
      input: { id: `f:${i}`, data: Buffer.from(lines[i] as string), ingestMs: HOUR },
    });
    const seen: Array<[string, number]> = [];
    const first = processItems([raw(0), raw(1)], runtime.settings, (r, i) => seen.push([r.event_id, i]));
    const normalized = (i: number): InputItem => {
      const outcome = first[i]?.outcome;
      if (outcome?.kind !== 'ok') throw new Error('not normalized');
      return { kind: 'normalized', input: raw(i).input, record: structuredClone(outcome.record) };
    };
    seen.length = 0;
    const items = [normalized(0), raw(2), normalized(1), raw(3)];
    const processed = processItems(items, runtime.settings, (r: NormalizedRecord, i) =>
      seen.push([r.event_id, i]),
    );
    const ids = processed.map((p) => (p.outcome.kind === 'ok' ? p.outcome.record.event_id : ''));
    // The raw items go through the pipeline first, then the normalized ones are re-routed: each with its index.
    expect(seen.sort((a, b) => a[1] - b[1])).toEqual(ids.map((id, i) => [id, i]));
  });
});

describe('process --rates', () => {
  it('prints one line per counter after the summary, and --json the same fields', async () => {
    const dir = tempDir('table');
    const file = writeLines(dir, 'bounces.jsonl', sesEvents(180, 20));
    const out = join(dir, 'out');
    const c = captureIO({ cwd: dir });
    expect(await runCli(['process', '--rates', '--out', 'out', file], c.io)).toBe(0);
    const text = c.stdout();
    expect(text).toMatch(
      /^rate rule +window +group +numerator +denominator +rate +threshold +min volume +alert$/m,
    );
    expect(text).toMatch(
      /^email-bounce-rate-high +2026-01-05T10:00Z–11:00Z +app_id=\(none\) configuration_set=prod-engagement +20 +200 +10\.00% +5% +200 +sent$/m,
    );
    expect(text).toMatch(
      /^email-complaint-rate-warn +2026-01-05T10:00Z–11:00Z +app_id=\(none\) configuration_set=prod-engagement +0 +180 +0\.00% +0\.05% +5,000 +-$/m,
    );
    expect(text).toMatch(
      /^4 counters in out\/rates\/; 4 counter adds by this run; 1 rate alert claimed and sent\.$/m,
    );
    // The table comes after the summary tables, before the output line.
    expect(text.indexOf('alert rule')).toBeLessThan(text.indexOf('rate rule'));
    expect(text.indexOf('rate rule')).toBeLessThan(text.indexOf('Output: out/'));

    const json = await processJson(['--out', out], [file]);
    expect(json.rates).toHaveLength(4);
    for (const r of json.rates) expect(Object.keys(r)).toEqual(RATE_KEYS);
    // No personal data: the recipients, the sender and the IPs of the events are nowhere in what is printed.
    const everything = [text, JSON.stringify(json)].join('\n');
    for (const secret of ['gone.away@example.net', 'orders@example.com', '203.0.113.77', '198.51.100.23']) {
      expect(everything).not.toContain(secret);
    }
  });

  it('says so when nothing is counted, and lists a rule’s windows of each length', async () => {
    const dir = tempDir('windows');
    const rules = join(dir, 'rules.yaml');
    writeFileSync(
      rules,
      [
        'version: 1',
        'include_defaults: false',
        'rules:',
        '  - { name: fast, kind: rate, numerator: [bounced], denominator: [delivered, bounced], window: 5m, threshold: 0.5, min_volume: 1, severity: low }',
        '  - { name: daily, kind: rate, numerator: [bounced], denominator: [delivered, bounced], window: 1d, threshold: 0.5, min_volume: 1000, severity: low }',
        '',
      ].join('\n'),
    );
    const env = { RULES_FILE: rules };
    const file = writeLines(dir, 's.jsonl', [...sesEvents(3, 1), ...sesEvents(1, 0, 10, HOUR + 6 * 60_000)]);
    const json = await processJson(['--out', join(dir, 'out')], [file], env);
    expect(
      json.rates.map((r) => [
        r.rule,
        r.window,
        r.window_start,
        r.window_end,
        r.numerator,
        r.denominator,
        r.alert,
      ]),
    ).toEqual([
      ['fast', '5m', '2026-01-05T10:00:00.000Z', '2026-01-05T10:05:00.000Z', 1, 4, null],
      ['fast', '5m', '2026-01-05T10:05:00.000Z', '2026-01-05T10:10:00.000Z', 0, 1, null],
      ['daily', '1d', '2026-01-05T00:00:00.000Z', '2026-01-06T00:00:00.000Z', 1, 5, null],
    ]);
    expect(json.rates[0]?.group).toEqual({});
    const c = captureIO({ env });
    expect(await runCli(['process', '--rates', '--out', join(dir, 'text'), file], c.io)).toBe(0);
    expect(c.stdout()).toMatch(
      /^daily +2026-01-05T00:00Z–2026-01-06T00:00Z +\(all\) +1 +5 +20\.00% +50% +1,000 +-$/m,
    );

    const none = captureIO({ env });
    const email = join(__dirname, '..', '..', '..', 'events', 'raw', 'app.json');
    expect(await runCli(['process', '--rates', '--out', join(dir, 'none'), email], none.io)).toBe(0);
    expect(none.stdout()).toMatch(/^Rates: no record counted by a rate rule$/m);
  });

  it('with --stdout counts into a temporary store it removes, and writes nothing', async () => {
    const dir = tempDir('stdout');
    const file = writeLines(dir, 'bounces.jsonl', sesEvents(180, 20));
    const cwd = join(dir, 'cwd');
    const tmp = join(dir, 'tmp');
    mkdirSync(cwd);
    mkdirSync(tmp);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const c = captureIO({ cwd });
      expect(await runCli(['process', '--stdout', '--rates', file], c.io)).toBe(0);
      expect(nonBlankLines(c.stdout())).toHaveLength(200);
      const summary = c.stderr();
      expect(summary).toMatch(
        /^email-bounce-rate-high +2026-01-05T10:00Z–11:00Z +app_id=\(none\) configuration_set=prod-engagement +20 +200 +10\.00% +5% +200 +claimed$/m,
      );
      expect(summary).toMatch(
        /^4 counters in a temporary store, removed; 4 counter adds by this run; 1 rate alert claimed, not sent \(--stdout\)\.$/m,
      );
      expect(summary).toMatch(/^0 poison records and \d+ alerts and 1 rate alert not written \(--stdout\)$/m);
      // Run again: a fresh store, the same counts.
      const j = captureIO({ cwd });
      expect(await runCli(['process', '--stdout', '--rates', '--json', file], j.io)).toBe(0);
      const json = JSON.parse(j.stderr()) as RatesJson;
      expect(high(json)).toEqual([
        expect.objectContaining({ numerator: 20, denominator: 200, alert: 'claimed' }),
      ]);
      expect(json.rateAlertsSent).toBe(false);
      expect(json.rateAlerts).toHaveLength(1);
      // Without --rates nothing is counted at all.
      const plain = captureIO({ cwd });
      expect(await runCli(['process', '--stdout', '--json', file], plain.io)).toBe(0);
      expect(JSON.parse(plain.stderr())).not.toHaveProperty('rates');
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    expect(readdirSync(cwd)).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('refuses --window, with what to do instead, before writing anything', async () => {
    const dir = tempDir('window');
    const file = writeLines(dir, 'b.jsonl', sesEvents(2, 1));
    for (const argv of [
      ['process', '--window', '5m', '--out', join(dir, 'out'), file],
      ['process', '--out', join(dir, 'out'), file, '--window'],
      ['replay', '--bucket', 'b', '--window', '1h'],
    ]) {
      const c = captureIO({ cwd: dir });
      expect(await runCli(argv, c.io)).toBe(1);
      expect(c.stderr()).toBe(`error: ${WINDOW_GONE}\n`);
      expect(c.stdout()).toBe('');
    }
    expect(WINDOW_GONE).toBe(
      '--window is gone: each rate rule counts over its own window (window: in the rules file, default 1h); --rates prints the rates',
    );
    expect(readdirSync(dir)).toEqual(['b.jsonl']);
    const help = captureIO();
    expect(await runCli(['process', '--help'], help.io)).toBe(0);
    expect(help.stdout()).toMatch(/--rates/);
    expect(help.stdout()).not.toMatch(/--window/);
  });
});
