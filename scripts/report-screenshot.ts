/**
 * Regenerates docs/report.png: the report over a seeded sample stream (three busy days of analytics rows with
 * bounce spikes, rate alerts and quarantine: test/helpers/analyticsStream.ts), opened in headless Chromium at
 * 1366 px and captured whole. Needs /usr/bin/chromium (apt-get install -y chromium).
 *
 *   npm run report:screenshot
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamOutput } from '../src/cli/io';
import { runCli } from '../src/cli/main';
import { writeStream } from '../test/helpers/analyticsStream';
import { launch, openReport, screenshotWholePage } from '../test/support/reportPage';

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'report-sample-'));
  writeStream(join(dir, 'out'), {
    seed: 2026,
    start: '2026-11-23T00:00:00.000Z',
    hours: 72,
    objectsPerHour: 3,
    rowsPerObject: 80,
    campaigns: 14,
    configurationSets: 4,
    journeys: 5,
    spikes: [14, 15, 38],
    alertsPerDay: 2,
  });
  const file = join(dir, 'report.html');
  const code = await runCli(
    ['report', '--from', '2026-11-23', '--to', '2026-11-25', '--dir', 'out', '-o', file],
    {
      stdout: streamOutput(process.stdout),
      stderr: streamOutput(process.stderr),
      env: process.env,
      cwd: dir,
      now: () => Date.UTC(2026, 10, 26, 8, 0),
    },
  );
  if (code !== 0) throw new Error(`report exited ${code}`);
  const browser = await launch();
  try {
    const { page, problems } = await openReport(browser, file);
    if (problems.length > 0) throw new Error(problems.join('\n'));
    const out = join(__dirname, '..', 'docs', 'report.png');
    const bytes = await screenshotWholePage(page, out);
    console.log(`${out}: ${bytes.toLocaleString('en-US')} bytes`);
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
