import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import type { ReportData } from '../../src/report/model';

/**
 * The report page in a real headless Chromium (playwright-core driving the system's /usr/bin/chromium: `.ci/run`
 * installs it with apt), opened from file:// with every other request refused, and what the tests read back
 * from it: the numbers of its tables as shown, and its charts as drawn.
 */

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with a fresh profile, a laptop's viewport (1366×768), and no request but file:// answered. */
export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  const profile = mkdtempSync(join(tmpdir(), 'report-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    // The fresh profile is the --user-data-dir (playwright passes it as that flag).
    args: ARGS,
    viewport: { width: 1366, height: 768 },
  });
  await context.route('**/*', (route) =>
    route.request().url().startsWith('file://') ? route.continue() : route.abort(),
  );
  return { context, close: () => context.close() };
}

export interface OpenedReport {
  page: Page;
  /** Console errors and warnings, uncaught exceptions, failed requests. */
  problems: string[];
  /** Every URL the page asked for. */
  requests: string[];
}

/** Opens a report file and waits for its script to have drawn the charts. */
export async function openReport(browser: Browser, file: string): Promise<OpenedReport> {
  const page = await browser.context.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`file://${file}`, { waitUntil: 'load' });
  await page.waitForFunction('document.body.hasAttribute("data-charts")', undefined, { timeout: 10_000 });
  return { page, problems, requests };
}

export interface DomCell {
  value: string | null;
  text: string;
}
export interface DomRow {
  key: string;
  foot: boolean;
  cells: Record<string, DomCell>;
}

/** Every table of the page with an id: its rows (body, then foot) and their cells by column id. */
export async function domTables(page: Page): Promise<Record<string, DomRow[]>> {
  return page.evaluate(`(() => {
    const out = {};
    for (const t of document.querySelectorAll('table[id]')) {
      out[t.id] = Array.from(t.querySelectorAll('tbody tr, tfoot tr')).map((tr) => ({
        key: tr.getAttribute('data-key'),
        foot: tr.parentElement.tagName === 'TFOOT',
        cells: Object.fromEntries(Array.from(tr.cells).map((td) => [
          td.getAttribute('data-col'),
          { value: td.getAttribute('data-value'), text: td.textContent },
        ])),
      }));
    }
    return out;
  })()`);
}

/** The summary cards and other numbers marked `data-metric`. */
export async function domMetrics(page: Page): Promise<Record<string, DomCell>> {
  return page.evaluate(`(() => Object.fromEntries(Array.from(document.querySelectorAll('[data-metric]')).map((e) => [
    e.getAttribute('data-metric'),
    { value: e.getAttribute('data-value'), text: (e.querySelector('.kpi-value, .metric-value') || e).textContent },
  ])))()`);
}

export interface DrawnChart {
  id: string;
  /** Chart.js holds a chart for the canvas. */
  chart: boolean;
  type: string | null;
  datasets: number;
  /** Points with a value, over every dataset. */
  points: number;
  width: number;
  height: number;
  /** Pixels not fully transparent: something was drawn. */
  painted: number;
}

export async function drawnCharts(page: Page): Promise<DrawnChart[]> {
  return page.evaluate(`(() => Array.from(document.querySelectorAll('canvas')).map((c) => {
    const chart = window.Chart && window.Chart.getChart(c);
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;
    return {
      id: c.id,
      chart: Boolean(chart),
      type: chart ? chart.config.type : null,
      datasets: chart ? chart.data.datasets.length : 0,
      points: chart ? chart.data.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0) : 0,
      width: c.width,
      height: c.height,
      painted,
    };
  }))()`);
}

/** The number a cell shows, read back from its text as a person would: `1,234`, `5.2%`, `$12.34`, `–`. */
export function shownNumber(text: string): { value: number | null; tolerance: number } {
  const t = text.trim();
  if (t === '–') return { value: null, tolerance: 0 };
  if (t === '<0.01%') return { value: 0.00005, tolerance: 0.00005 };
  const decimals = (s: string) =>
    s.includes('.') ? (s.split('.')[1] as string).replace(/\D/g, '').length : 0;
  if (t.endsWith('%')) {
    const body = t.slice(0, -1).replace(/,/g, '');
    return { value: Number(body) / 100, tolerance: (0.5 * 10 ** -decimals(body)) / 100 + 1e-12 };
  }
  if (t.replace(/^-/, '').startsWith('$')) {
    const body = t.replace('$', '').replace(/,/g, '');
    return { value: Number(body), tolerance: 0.5 * 10 ** -decimals(body) + 1e-9 };
  }
  return { value: Number(t.replace(/,/g, '')), tolerance: 0.5 };
}

/** A cell holds `expected` exactly in data-value, and shows it as a person reads it. */
export function expectCell(cell: DomCell | undefined, expected: number | null, where: string): void {
  if (cell === undefined) throw new Error(`${where}: no such cell`);
  const exact = cell.value === '' || cell.value === null ? null : Number(cell.value);
  if (exact !== expected && !(exact !== null && expected !== null && Math.abs(exact - expected) < 1e-9)) {
    throw new Error(`${where}: data-value ${cell.value}, expected ${expected}`);
  }
  const shown = shownNumber(cell.text);
  const ok =
    expected === null
      ? shown.value === null
      : shown.value !== null && Math.abs(shown.value - expected) <= shown.tolerance;
  if (!ok) throw new Error(`${where}: shows '${cell.text}', expected ${expected}`);
}

type Outcomes = Partial<Record<string, number>>;
const FUNNEL = ['sent', 'delivered', 'opened', 'clicked', 'bounced', 'complained', 'rejected', 'failed'];

/**
 * Every number of the JSON that the page shows, found in the page, and every row of the page's tables found in
 * the JSON: the page and `--json` tell the same story. Returns how many cells were compared.
 */
export function expectPageMatchesJson(
  tables: Record<string, DomRow[]>,
  metrics: Record<string, DomCell>,
  json: ReportData,
): number {
  let compared = 0;
  const cell = (row: DomRow, col: string, expected: number | null, where: string) => {
    expectCell(row.cells[col], expected, `${where} ${col}`);
    compared++;
  };
  const rowsOf = (id: string, expectedKeys: string[]): DomRow[] => {
    const rows = tables[id] ?? [];
    const keys = rows.map((r) => r.key);
    if (JSON.stringify(keys) !== JSON.stringify(expectedKeys)) {
      throw new Error(`${id}: rows ${JSON.stringify(keys)}, expected ${JSON.stringify(expectedKeys)}`);
    }
    return rows;
  };
  const funnel = (row: DomRow, outcomes: Outcomes, where: string) => {
    for (const o of FUNNEL) cell(row, o, outcomes[o] ?? 0, where);
  };

  // Summary cards.
  const m = (name: string, expected: number | null) => {
    expectCell(metrics[name], expected, `metric ${name}`);
    compared++;
  };
  m('records', json.totals.records);
  m('email-delivered', json.rates.email.delivery.numerator);
  m('bounce-rate', json.rates.email.bounce.rate);
  m('complaint-rate', json.rates.email.complaint.rate);
  m('sms-delivery-rate', json.rates.sms.delivery.rate);
  m('spend', json.totals.spendUsd);

  if (json.totals.records > 0) {
    const channels = rowsOf(
      'table-channels',
      json.channels.map((c) => c.channel),
    );
    json.channels.forEach((c, i) => {
      const row = channels[i] as DomRow;
      cell(row, 'records', c.records, `channel ${c.channel}`);
      funnel(row, c.outcomes, `channel ${c.channel}`);
      cell(row, 'spend', c.spendUsd, `channel ${c.channel}`);
    });
    const days = rowsOf(
      'table-days',
      json.days.map((d) => d.day),
    );
    json.days.forEach((d, i) => {
      const row = days[i] as DomRow;
      cell(row, 'records', d.records, `day ${d.day}`);
      for (const [channel, n] of Object.entries(d.channels))
        cell(row, `channel:${channel}`, n, `day ${d.day}`);
    });
  }

  const rates = rowsOf('table-rates', [
    'email.delivery',
    'email.open',
    'email.click',
    'email.bounce',
    'email.complaint',
    'sms.delivery',
    'sms.failure',
    'sms.rejected',
  ]);
  for (const row of rates) {
    const [family, name] = row.key.split('.') as ['email' | 'sms', string];
    const rate = (
      json.rates[family] as Record<string, { numerator: number; denominator: number; rate: number | null }>
    )[name];
    if (rate === undefined) throw new Error(`no rate ${row.key} in the JSON`);
    cell(row, 'rate', rate.rate, `rate ${row.key}`);
    cell(row, 'numerator', rate.numerator, `rate ${row.key}`);
    cell(row, 'denominator', rate.denominator, `rate ${row.key}`);
  }

  for (const dimension of ['campaign', 'configuration_set', 'journey_id'] as const) {
    const t = json.groups[dimension];
    const all = [
      ...t.rows,
      ...(t.others === null ? [] : [t.others]),
      ...(t.merged === null ? [] : [t.merged]),
    ];
    if (all.length === 0) {
      if (tables[`table-${dimension}`] !== undefined)
        throw new Error(`table-${dimension} shown for no group`);
      continue;
    }
    const rows = rowsOf(
      `table-${dimension}`,
      all.map((g) => g.value),
    );
    all.forEach((g, i) => {
      const row = rows[i] as DomRow;
      const where = `${dimension} ${g.value}`;
      if (row.cells.value?.text !== g.value) throw new Error(`${where}: shows '${row.cells.value?.text}'`);
      cell(row, 'records', g.records, where);
      funnel(row, g.outcomes, where);
      cell(row, 'open_rate', g.rates.open, where);
      cell(row, 'click_rate', g.rates.click, where);
      cell(row, 'bounce_rate', g.rates.bounce, where);
      cell(row, 'complaint_rate', g.rates.complaint, where);
      cell(row, 'sms_delivery_rate', g.rates.smsDelivery, where);
      cell(row, 'spend', g.spendUsd, where);
    });
  }

  const list = <R>(
    id: string,
    l: { rows: R[]; others: R | null },
    check: (row: DomRow, r: R, where: string) => void,
  ) => {
    const all = [...l.rows, ...(l.others === null ? [] : [l.others])];
    if (all.length === 0) return;
    const rows = tables[id] ?? [];
    if (rows.length !== all.length) throw new Error(`${id}: ${rows.length} rows, expected ${all.length}`);
    all.forEach((r, i) => {
      check(rows[i] as DomRow, r, `${id}[${i}]`);
    });
  };
  list('table-providers', json.mailboxProviders, (row, p, where) => {
    if (row.cells.provider?.text !== p.provider) throw new Error(`${where}: ${row.cells.provider?.text}`);
    cell(row, 'records', p.records, where);
    for (const o of ['delivered', 'bounced', 'complained', 'opened', 'clicked'])
      cell(row, o, p.outcomes[o as 'sent'] ?? 0, where);
    cell(row, 'bounce_rate', p.rates.bounce, where);
    cell(row, 'complaint_rate', p.rates.complaint, where);
    cell(row, 'open_rate', p.rates.open, where);
    cell(row, 'click_rate', p.rates.click, where);
  });
  list('table-countries', json.countries, (row, c, where) => {
    if (row.cells.country?.text !== c.country || row.cells.channel?.text !== c.channel)
      throw new Error(`${where}: country`);
    cell(row, 'records', c.records, where);
    for (const o of ['sent', 'delivered', 'failed', 'rejected'])
      cell(row, o, c.outcomes[o as 'sent'] ?? 0, where);
    cell(row, 'delivery_rate', c.deliveryRate, where);
    cell(row, 'price', c.priceUsd, where);
    cell(row, 'carrier_fee', c.carrierFeeUsd, where);
    cell(row, 'spend', c.spendUsd, where);
  });
  list('table-bounce-types', json.bounceTypes, (row, b, where) => {
    if (row.cells.bounce_sub_type?.text !== b.bounce_sub_type) throw new Error(`${where}: sub-type`);
    cell(row, 'count', b.count, where);
  });
  list('table-complaint-types', json.complaintTypes, (row, c, where) => {
    if (row.cells.complaint_type?.text !== c.complaint_type) throw new Error(`${where}: type`);
    cell(row, 'count', c.count, where);
  });
  list('table-failure-statuses', json.failureStatuses, (row, f, where) => {
    if (row.cells.status?.text !== f.status) throw new Error(`${where}: status`);
    cell(row, 'count', f.count, where);
  });
  list('table-quarantine', json.quarantine.reasons, (row, q, where) => {
    if (row.cells.reason?.text !== q.reason) throw new Error(`${where}: reason`);
    cell(row, 'count', q.count, where);
  });
  if (json.quarantine.total > 0) m('quarantine-total', json.quarantine.total);
  if (json.rateAlerts.total > 0) {
    m('alerts-total', json.rateAlerts.total);
    const rows = rowsOf(
      'table-alerts',
      json.rateAlerts.shown.map((a) => a.alert_id),
    );
    json.rateAlerts.shown.forEach((a, i) => {
      const row = rows[i] as DomRow;
      cell(row, 'rate', a.rate, `alert ${a.alert_id}`);
      cell(row, 'numerator', a.numerator, `alert ${a.alert_id}`);
      cell(row, 'denominator', a.denominator, `alert ${a.alert_id}`);
    });
  }
  return compared;
}

/** A screenshot of the whole page at 1366 px wide, the charts drawn at their size (not a stitched capture). */
export async function screenshotWholePage(page: Page, path: string): Promise<number> {
  const height = (await page.evaluate('document.documentElement.scrollHeight')) as number;
  await page.setViewportSize({ width: 1366, height });
  // Let Chart.js settle at the new size (its resize observer), then capture.
  await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
  await page.screenshot({ path });
  await page.setViewportSize({ width: 1366, height: 768 });
  return statSync(path).size;
}
