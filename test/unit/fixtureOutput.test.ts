import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processFirehoseBatch } from '../../src/batch/firehose';
import { processKinesisBatch } from '../../src/batch/kinesis';
import { firehoseEvent, kinesisEvent, testRuntime } from '../helpers/runtime';

/**
 * Pins the normalized output of every bundled fixture, field by field, on both paths and in every PII mode, so
 * that a speed-up (or any refactor) cannot silently change a field. Event ids are masked: they are an
 * idempotency key whose hash function may change (docs/schema.md); everything else must stay byte-for-byte.
 *
 * The expected lines live in test/golden/<path>-<fixture>-<mode>.jsonl. After a deliberate change to the
 * output, regenerate them with `UPDATE_GOLDEN=1 npx jest test/unit/fixtureOutput.test.ts` and review the diff.
 */
const EVENTS = join(__dirname, '..', '..', 'events');
const GOLDEN = join(__dirname, '..', 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const fixtures = readdirSync(EVENTS)
  .filter((f) => /^(kinesis|firehose)-.+\.json$/.test(f))
  .map((f) => f.replace(/\.json$/, ''))
  .sort();

const MODES = ['hash', 'redact', 'keep'] as const;

function masked(line: string): string {
  const record = JSON.parse(line) as Record<string, unknown>;
  if (typeof record.event_id === 'string') record.event_id = '<event id>';
  return JSON.stringify(record);
}

async function normalizedLines(fixture: string, mode: (typeof MODES)[number]): Promise<string[]> {
  const { runtime, archive } = await testRuntime({ PII_MODE: mode });
  const [path, name] = [fixture.slice(0, fixture.indexOf('-')), fixture.slice(fixture.indexOf('-') + 1)];
  if (path === 'kinesis') {
    await processKinesisBatch(kinesisEvent(name), runtime);
    return archive.lines('normalized').map(masked);
  }
  const response = await processFirehoseBatch(firehoseEvent(name), runtime);
  return response.records
    .filter((r) => r.result === 'Ok')
    .map((r) =>
      masked(
        Buffer.from(r.data ?? '', 'base64')
          .toString('utf8')
          .trimEnd(),
      ),
    );
}

describe('normalized output of the bundled fixtures (event ids masked)', () => {
  it('has a golden file for every fixture and mode, and no golden file without a fixture', () => {
    const expected = fixtures.flatMap((f) => MODES.map((m) => `${f}-${m}.jsonl`)).sort();
    if (!UPDATE) expect(readdirSync(GOLDEN).sort()).toEqual(expected);
  });

  it.each(fixtures.flatMap((f) => MODES.map((m) => [f, m] as const)))(
    '%s in %s mode',
    async (fixture, mode) => {
      const lines = (await normalizedLines(fixture, mode)).sort();
      const file = join(GOLDEN, `${fixture}-${mode}.jsonl`);
      if (UPDATE || !existsSync(file)) {
        if (!UPDATE) throw new Error(`${file} is missing: run with UPDATE_GOLDEN=1 and review it`);
        writeFileSync(file, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
        return;
      }
      const golden = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0);
      expect(lines.length).toBeGreaterThan(0);
      // Line by line, so that a failure shows the field that changed rather than a wall of text.
      expect(lines).toEqual(golden);
    },
  );
});
