import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mailboxProvider } from '../../src/analytics/mailboxProvider';
import { runCli } from '../../src/cli/main';
import type { ReportData } from '../../src/report/model';
import type { NormalizedRecord } from '../../src/schema';
import { analyticsRowsIn, normalizedRecordsIn, quarantineLinesIn } from '../helpers/archiveFolder';
import {
  type Browser,
  domMetrics,
  domTables,
  drawnCharts,
  expectPageMatchesJson,
  launch,
  openReport,
  screenshotWholePage,
} from '../support/reportPage';
import { captureIO, tempDir } from '../unit/cli/cliIO';

/**
 * `report` over the bundled sample events, run through the real pipeline and the real producer of the analytics
 * rows (`process events/*.json`, with a rate rule that fires on the sample SMS failures): `--json` against an
 * independent count over the normalized records of the same run (not through analytics rows), and the page in
 * headless Chromium against `--json`.
 */
jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');
const EVENTS = readdirSync(join(ROOT, 'events'))
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => join(ROOT, 'events', f));

let dir: string;

beforeAll(async () => {
  dir = tempDir('report-fixtures');
  const rules = join(dir, 'rules.yaml');
  writeFileSync(
    rules,
    [
      'version: 1',
      'rules:',
      '  - name: sms-trouble',
      '    kind: rate',
      '    numerator: [failed, rejected]',
      '    denominator: [delivered, failed, rejected]',
      '    match: { channel: SMS }',
      '    threshold: 0.25',
      '    min_volume: 3',
      '    severity: low',
      '',
    ].join('\n'),
  );
  const cap = captureIO({ cwd: ROOT, env: { RULES_FILE: rules } });
  const code = await runCli(['process', ...EVENTS, '--out', join(dir, 'out'), '--json'], cap.io);
  expect(code).toBe(0);
  // The default rules drop nothing: every record the batches counted is in normalized/, which the independent
  // count reads.
  expect(JSON.parse(cap.stdout())).toMatchObject({ dropped: 0 });
  // The batches wrote their analytics rows themselves.
  expect(analyticsRowsIn(join(dir, 'out')).length).toBeGreaterThan(0);
});

async function report(from: string, to: string, out: string): Promise<ReportData> {
  const cap = captureIO({ cwd: dir });
  const code = await runCli(
    ['report', '--from', from, '--to', to, '--dir', 'out', '-o', out, '--json'],
    cap.io,
  );
  expect(cap.stderr()).toBe('');
  expect(code).toBe(0);
  return JSON.parse(cap.stdout());
}

/** Adds `n` under `key` of a map of counts. */
function bump<K>(map: Map<K, number>, key: K, n = 1): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

/** Counts by outcome, as an object, from a list of records. */
function outcomes(records: readonly NormalizedRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) out[r.outcome] = (out[r.outcome] ?? 0) + 1;
  return out;
}

function by<K>(
  records: readonly NormalizedRecord[],
  key: (r: NormalizedRecord) => K | undefined,
): Map<K, NormalizedRecord[]> {
  const out = new Map<K, NormalizedRecord[]>();
  for (const r of records) {
    const k = key(r);
    if (k === undefined) continue;
    out.set(k, [...(out.get(k) ?? []), r]);
  }
  return out;
}

const micro = (records: readonly NormalizedRecord[], f: (r: NormalizedRecord) => number | undefined) =>
  records.reduce((s, r) => s + Math.round((f(r) ?? 0) * 1e6), 0) / 1e6;

/**
 * What a record bills (docs/analytics.md §2): End User Messaging repeats a text, MMS or voice message's price on
 * each of its status events, and the message is billed once — its final event's; every other record its own.
 */
const billed = (r: NormalizedRecord) =>
  !(r.is_final === false && (r.channel === 'SMS' || r.channel === 'VOICE'));
const price = (r: NormalizedRecord) => (billed(r) ? r.price_usd : undefined);
const fee = (r: NormalizedRecord) => (billed(r) ? r.carrier_fee_usd : undefined);

const ratio = (n: number, d: number) => (d > 0 ? n / d : null);

/**
 * The report's numbers, counted straight from the normalized records of the range and the quarantine and alert
 * files — not through analytics rows — and compared with `--json`.
 */
function expectIndependentCount(json: ReportData, from: string, to: string): void {
  const inRange = (dt: string) => dt >= from && dt <= to;
  const records = normalizedRecordsIn(join(dir, 'out')).filter((r) => inRange(r.dt));
  expect(records.length).toBeGreaterThan(0);
  expect(json.totals.records).toBe(records.length);
  expect(json.totals.outcomes).toEqual(outcomes(records));
  expect(json.totals.priceUsd).toBeCloseTo(micro(records, price), 9);
  expect(json.totals.carrierFeeUsd).toBeCloseTo(micro(records, fee), 9);

  const channels = by(records, (r) => r.channel ?? '(none)');
  expect(Object.fromEntries(json.channels.map((c) => [c.channel, [c.records, c.outcomes]]))).toEqual(
    Object.fromEntries([...channels].map(([c, rs]) => [c, [rs.length, outcomes(rs)]])),
  );
  const days = new Map<string, Map<string, number>>();
  for (const r of records) {
    const day = days.get(r.dt) ?? new Map<string, number>();
    bump(day, r.channel ?? '(none)');
    days.set(r.dt, day);
  }
  for (const d of json.days) {
    expect([d.day, d.channels]).toEqual([d.day, Object.fromEntries([...(days.get(d.day) ?? [])].sort())]);
  }

  const email = outcomes(records.filter((r) => r.channel === 'EMAIL'));
  const sms = outcomes(records.filter((r) => r.channel === 'SMS'));
  const e = (o: string) => email[o] ?? 0;
  const s = (o: string) => sms[o] ?? 0;
  expect(json.rates.email.bounce.rate).toBe(ratio(e('bounced'), e('delivered') + e('bounced')));
  expect(json.rates.email.complaint.rate).toBe(ratio(e('complained'), e('delivered')));
  expect(json.rates.email.open.rate).toBe(ratio(e('opened'), e('delivered')));
  expect(json.rates.email.click.rate).toBe(ratio(e('clicked'), e('delivered')));
  expect(json.rates.email.delivery.rate).toBe(
    ratio(e('delivered'), e('delivered') + e('bounced') + e('rejected') + e('failed')),
  );
  const smsAll = s('delivered') + s('failed') + s('rejected');
  expect(json.rates.sms.delivery.rate).toBe(ratio(s('delivered'), smsAll));
  expect(json.rates.sms.failure.rate).toBe(ratio(s('failed'), smsAll));
  expect(json.rates.sms.rejected.rate).toBe(ratio(s('rejected'), smsAll));

  const groups = {
    campaign: by(records, (r) => r.campaign_id ?? r.attributes?.campaign),
    configuration_set: by(records, (r) => r.configuration_set),
    journey_id: by(records, (r) => r.journey_id),
  };
  for (const [dimension, expected] of Object.entries(groups) as Array<
    [keyof typeof groups, Map<string, NormalizedRecord[]>]
  >) {
    const t = json.groups[dimension];
    expect(t.others).toBeNull();
    expect(Object.fromEntries(t.rows.map((g) => [g.value, [g.records, g.outcomes, g.spendUsd]]))).toEqual(
      Object.fromEntries(
        [...expected].map(([v, rs]) => [
          v,
          [rs.length, outcomes(rs), micro(rs, (r) => (price(r) ?? 0) + (fee(r) ?? 0))],
        ]),
      ),
    );
    expect(t.withoutValue).toBe(records.length - [...expected.values()].reduce((n, rs) => n + rs.length, 0));
    // Ranked by records, most first.
    const counts = t.rows.map((g) => g.records);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
  }

  const emailRecords = records.filter((r) => r.channel === 'EMAIL');
  const providers = by(emailRecords, (r) =>
    r.email_domain === undefined ? '(none)' : mailboxProvider(r.email_domain),
  );
  expect(Object.fromEntries(json.mailboxProviders.rows.map((p) => [p.provider, p.outcomes]))).toEqual(
    Object.fromEntries([...providers].map(([p, rs]) => [p, outcomes(rs)])),
  );

  // SMS (and MMS), voice and RCS: by destination country, and their failures by status.
  const phone = records.filter((r) => r.channel === 'SMS' || r.channel === 'VOICE' || r.channel === 'RCS');
  const countries = by(phone, (r) => `${r.channel} ${r.country ?? r.phone_country ?? '(unknown)'}`);
  expect(
    Object.fromEntries(
      json.countries.rows.map((c) => [
        `${c.channel} ${c.country}`,
        [c.outcomes, c.priceUsd, c.carrierFeeUsd],
      ]),
    ),
  ).toEqual(
    Object.fromEntries(
      [...countries].map(([k, rs]) => [k, [outcomes(rs), micro(rs, price), micro(rs, fee)]]),
    ),
  );

  const bounces = new Map<string, number>();
  for (const r of records)
    if (r.outcome === 'bounced')
      bump(bounces, `${r.bounce_type ?? '(none)'}/${r.bounce_sub_type ?? '(none)'}`);
  expect(
    new Map(json.bounceTypes.rows.map((b) => [`${b.bounce_type}/${b.bounce_sub_type}`, b.count])),
  ).toEqual(bounces);
  const complaints = new Map<string, number>();
  for (const r of records) if (r.outcome === 'complained') bump(complaints, r.complaint_type ?? '(none)');
  expect(new Map(json.complaintTypes.rows.map((c) => [c.complaint_type, c.count]))).toEqual(complaints);
  const failures = new Map<string, number>();
  for (const r of phone) {
    if (r.outcome === 'failed' || r.outcome === 'rejected')
      bump(failures, `${r.channel} ${r.status ?? '(none)'}`);
  }
  const shownFailures = json.failureStatuses.rows.reduce((n, f) => n + f.count, 0);
  expect(shownFailures + (json.failureStatuses.others?.count ?? 0)).toBe(
    [...failures.values()].reduce((a, b) => a + b, 0),
  );
  for (const f of json.failureStatuses.rows) expect(f.count).toBe(failures.get(`${f.channel} ${f.status}`));

  const quarantine = new Map<string, number>();
  for (const q of quarantineLinesIn(join(dir, 'out'))) if (inRange(q.dt)) bump(quarantine, q.reason);
  expect(new Map(json.quarantine.reasons.rows.map((q) => [q.reason, q.count]))).toEqual(quarantine);

  const alerts = readdirSync(join(dir, 'out', 'alerts'), { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile() && f.name.endsWith('.jsonl'))
    .flatMap((f) => readFileSync(join(f.parentPath, f.name), 'utf8').trim().split('\n'))
    .map((l) => JSON.parse(l))
    .filter((a) => a.kind === 'rate' && inRange(a.window.start.slice(0, 10)));
  expect(json.rateAlerts.total).toBe(new Set(alerts.map((a) => a.alert_id)).size);
}

describe('report over the sample events', () => {
  it.each([
    ['2025-11-20', '2025-11-21', 'hour'],
    ['2019-01-01', '2019-12-31', 'day'],
    ['2017-02-24', '2017-02-24', 'hour'],
  ])(
    '--json from %s to %s equals an independent count over the normalized records',
    async (from, to, granularity) => {
      const json = await report(from, to, `report-${from}.html`);
      expect(json.granularity).toBe(granularity);
      expectIndependentCount(json, from, to);
    },
  );

  it('fixtures hold what the page shows: rate alerts in 2025, quarantine in 2017', async () => {
    const november = await report('2025-11-20', '2025-11-21', 'a.html');
    expect(november.rateAlerts.total).toBeGreaterThan(0);
    // RCS messages by country, and their failures by status, beside SMS and voice.
    expect(november.countries.rows.some((c) => c.channel === 'RCS')).toBe(true);
    expect(november.failureStatuses.rows.some((f) => f.channel === 'RCS')).toBe(true);
    expect((await report('2017-02-24', '2017-02-24', 'b.html')).quarantine.total).toBeGreaterThan(0);
  });

  describe('in headless Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launch();
    });
    afterAll(async () => {
      await browser?.close();
    });

    it.each([
      ['2025-11-20', '2025-11-21'],
      ['2017-02-24', '2017-02-24'],
    ])(
      'from %s to %s: no error, every chart drawn, the numbers of --json, a screenshot',
      async (from, to) => {
        const file = join(dir, `page-${from}.html`);
        const json = await report(from, to, file);
        const { page, problems, requests } = await openReport(browser, file);
        expect(problems).toEqual([]);
        expect(requests).toEqual([`file://${file}`]);

        const charts = await drawnCharts(page);
        expect(charts.length).toBeGreaterThan(0);
        expect(String(charts.length)).toBe(await page.getAttribute('body', 'data-charts'));
        for (const c of charts) {
          expect(c).toMatchObject({ chart: true });
          expect(c.datasets).toBeGreaterThan(0);
          expect(c.points).toBeGreaterThan(0);
          expect(c.painted).toBeGreaterThan(1000);
        }
        const compared = expectPageMatchesJson(await domTables(page), await domMetrics(page), json);
        expect(compared).toBeGreaterThan(40);
        // Readable on a laptop: nothing wider than the 1366 px screen.
        expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1366);
        expect(await page.textContent('#fn-duplicates')).toContain('is counted twice');
        expect(await screenshotWholePage(page, join(dir, `page-${from}.png`))).toBeGreaterThan(50_000);
        await page.close();
      },
    );
  });
});
