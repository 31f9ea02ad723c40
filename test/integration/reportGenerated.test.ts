import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { runCli } from '../../src/cli/main';
import type { ReportData } from '../../src/report/model';
import { writeStream } from '../helpers/analyticsStream';
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
import { type Started, startS3rver } from '../support/servers';
import { captureIO, tempDir } from '../unit/cli/cliIO';

/**
 * `report` over a seeded stream of analytics rows (test/helpers/analyticsStream.ts): a busy week, with bounce
 * spikes, rate alerts, quarantine, more campaigns than the table shows, and campaign names that are markup.
 * The page in headless Chromium: no error, every chart drawn, the numbers of `--json`, sortable, printable,
 * readable at 1366×768, the markup shown as text. The same rows read from S3 (s3rver) give the same numbers.
 */
jest.setTimeout(180_000);

const HOSTILE = [
  '<script>window.__pwned = 1</script>',
  '"><img src=x onerror="window.__pwned = 2">',
  '</script><script>window.__pwned = 3</script>',
];

let dir: string;
let totals: ReturnType<typeof writeStream>;

beforeAll(() => {
  dir = tempDir('report-generated');
  totals = writeStream(join(dir, 'out'), {
    seed: 21,
    start: '2026-11-02T00:00:00.000Z',
    hours: 7 * 24,
    objectsPerHour: 2,
    rowsPerObject: 60,
    campaigns: 70,
    spikes: [40, 41, 100],
    alertsPerDay: 3,
    // Frequent enough to rank in the top 50.
    extraCampaigns: Array.from({ length: 30 }, () => HOSTILE).flat(),
  });
});

async function report(
  args: string[],
  env: Record<string, string> = {},
): Promise<ReportData & { file: string }> {
  const cap = captureIO({ cwd: dir, env });
  const code = await runCli(
    ['report', '--from', '2026-11-02', '--to', '2026-11-08', ...args, '--json'],
    cap.io,
  );
  expect(cap.stderr()).toBe('');
  expect(code).toBe(0);
  return JSON.parse(cap.stdout());
}

describe('report over a generated week', () => {
  let browser: Browser;
  let json: ReportData & { file: string };
  const file = () => join(dir, 'report.html');

  beforeAll(async () => {
    json = await report(['--dir', 'out']);
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('adds up to the stream it was given', () => {
    expect(json.granularity).toBe('day');
    expect(json.totals.records).toBe(totals.records);
    expect(json.totals.outcomes).toEqual(
      Object.fromEntries(Object.entries(totals.outcomes).sort(([a], [b]) => order(a) - order(b))),
    );
    expect(json.quarantine.total).toBe(totals.quarantined);
    expect(json.rateAlerts.total).toBe(totals.rateAlerts);
    expect(json.input.analyticsObjects).toBe(totals.objects);
    // More campaigns than the table shows: the top 50, then the others.
    expect(json.groups.campaign.rows).toHaveLength(50);
    expect(json.groups.campaign.others?.groups).toBe(json.groups.campaign.distinct - 50);
    expect(json.groups.campaign.rows.map((g) => g.value)).toEqual(expect.arrayContaining(HOSTILE));
    // The spikes cross the SES review rate.
    expect(json.series.some((p) => (p.rates.bounce ?? 0) >= 0.05)).toBe(true);
  });

  it('shows the page with no error, every chart drawn, the numbers of --json, the markup as text', async () => {
    const { page, problems, requests } = await openReport(browser, file());
    expect(problems).toEqual([]);
    expect(requests).toEqual([`file://${file()}`]);

    const charts = await drawnCharts(page);
    expect(charts.map((c) => c.id)).toEqual([
      'chart-volume',
      'chart-bounce',
      'chart-complaint',
      'chart-engagement',
      'chart-sms',
    ]);
    for (const c of charts) {
      expect(c).toMatchObject({ chart: true });
      expect(c.points).toBeGreaterThan(0);
      expect(c.painted).toBeGreaterThan(2000);
    }
    expect(charts.find((c) => c.id === 'chart-volume')).toMatchObject({ type: 'bar', datasets: 4 });
    // The bounce chart draws its rate and the SES threshold.
    expect(charts.find((c) => c.id === 'chart-bounce')).toMatchObject({ type: 'line', datasets: 2 });

    expect(expectPageMatchesJson(await domTables(page), await domMetrics(page), json)).toBeGreaterThan(1500);

    // The campaign names that are markup: shown as text, run as nothing.
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(3);
    const names = (await page.locator('#table-campaign td[data-col="value"]').allTextContents()) as string[];
    for (const h of HOSTILE) expect(names).toContain(h);

    // Readable on a laptop: no horizontal scrolling, the tables fit the width.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1366);
    const overflowing = await page.evaluate(
      `Array.from(document.querySelectorAll('.table-wrap')).filter((w) => w.scrollWidth > w.clientWidth + 1).map((w) => w.firstElementChild.id)`,
    );
    expect(overflowing).toEqual([]);
    expect(await screenshotWholePage(page, join(dir, 'report.png'))).toBeGreaterThan(100_000);
    await page.close();
  });

  it('sorts a table by the column header clicked, with no library', async () => {
    const { page, problems } = await openReport(browser, file());
    const values = (col: string) =>
      page.evaluate(
        `Array.from(document.querySelectorAll('#table-campaign tbody td[data-col="${col}"]')).map((td) => td.getAttribute('data-value') ?? td.textContent)`,
      ) as Promise<string[]>;
    const asNumbers = (v: string[]) => v.map((x) => (x === '' ? null : Number(x)));
    const header = (col: string) => page.locator(`#table-campaign thead th[data-col="${col}"] button`);

    await header('bounced').click();
    const down = asNumbers(await values('bounced')) as number[];
    expect(down).toEqual([...down].sort((a, b) => b - a));
    expect(await page.getAttribute('#table-campaign thead th[data-col="bounced"]', 'aria-sort')).toBe(
      'descending',
    );
    await header('bounced').click();
    const up = asNumbers(await values('bounced')) as number[];
    expect(up).toEqual([...up].sort((a, b) => a - b));

    await header('value').click();
    const names = await values('value');
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b, 'en')));
    // Rates without a denominator (–) stay last whichever the direction.
    await header('sms_delivery_rate').click();
    const rates = asNumbers(await values('sms_delivery_rate'));
    const firstNull = rates.indexOf(null);
    if (firstNull >= 0) expect(rates.slice(firstNull).every((r) => r === null)).toBe(true);
    // The others stay under the table, out of the sort.
    expect(await page.locator('#table-campaign tfoot tr').getAttribute('data-key')).toBe('(others)');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('prints: charts, cards and table rows kept whole, headers repeated, the navigation left out', async () => {
    const { page, problems } = await openReport(browser, file());
    await page.emulateMedia({ media: 'print' });
    const style = (selector: string, property: string) =>
      page.evaluate(`getComputedStyle(document.querySelector(${JSON.stringify(selector)})).${property}`);
    expect(await style('.chart', 'breakInside')).toBe('avoid');
    expect(await style('.kpi', 'breakInside')).toBe('avoid');
    expect(await style('#table-campaign tbody tr', 'breakInside')).toBe('avoid');
    expect(await style('#table-campaign thead', 'display')).toBe('table-header-group');
    expect(await style('nav', 'display')).toBe('none');
    expect(await style('h2', 'breakAfter')).toBe('avoid');
    const pdf = await page.pdf({ format: 'A4', landscape: true, printBackground: true });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
    expect(pages).toBeGreaterThan(3);
    expect(problems).toEqual([]);
    await page.close();
  });

  describe('from S3', () => {
    let s3: Started & { directory: string };

    beforeAll(async () => {
      s3 = await startS3rver(['archive']);
      const client = new S3Client({
        endpoint: s3.url,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      });
      const files = (d: string): string[] =>
        readdirSync(d, { withFileTypes: true }).flatMap((e) =>
          e.isDirectory() ? files(join(d, e.name)) : [join(d, e.name)],
        );
      const root = join(dir, 'out');
      for (const path of files(root)) {
        // Only analytics/ goes up: on S3 the rate alerts went to SNS.
        const key = relative(root, path);
        if (!key.startsWith('analytics/')) continue;
        await client.send(
          new PutObjectCommand({ Bucket: 'archive', Key: `prod/${key}`, Body: readFileSync(path) }),
        );
      }
      client.destroy();
    });
    afterAll(async () => {
      await s3?.stop();
    });

    it('gives the numbers of the folder, and says the alerts are in SNS', async () => {
      // Credentials and region: test/setupEnv.ts (s3rver's), through the SDK's chain as in a real run.
      const fromS3 = await report(['--bucket', 'archive', '--prefix', 'prod', '-o', 's3.html'], {
        AWS_ENDPOINT_URL_S3: s3.url,
      });
      const { source, rateAlerts, input, file: _f, ...numbers } = fromS3;
      const { source: _s, rateAlerts: _r, input: _i, file: _g, ...local } = json;
      expect(numbers).toEqual(local);
      expect(source).toBe('s3://archive/prod/');
      expect(rateAlerts).toMatchObject({ available: false, total: 0 });
      expect(input.analyticsObjects).toBe(totals.objects);
      expect(existsSync(join(dir, 's3.html'))).toBe(true);
      expect(statSync(join(dir, 's3.html')).size).toBeGreaterThan(200_000);
      expect(readFileSync(join(dir, 's3.html'), 'utf8')).toContain('from S3 they go to the SNS topic');
    });
  });
});

const ORDER = [
  'sent',
  'delivered',
  'opened',
  'clicked',
  'bounced',
  'complained',
  'rejected',
  'failed',
  'suppressed',
  'pending',
  'delayed',
  'received',
];
function order(outcome: string): number {
  const i = ORDER.indexOf(outcome);
  return i < 0 ? 99 : i;
}
