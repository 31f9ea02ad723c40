import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationResult,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
} from 'aws-lambda';
import {
  FIREHOSE_FILE_EXTENSION,
  type FIREHOSE_PARTITION_KEYS,
  FIREHOSE_ZONE,
  firehosePrefix,
} from '../../../scripts/localFirehoseDelivery';
import { type LocalRun, runLocal, sampleEventFiles } from '../../../scripts/run-local';
import { loadHandler } from '../../helpers/loadHandler';
import { TEST_PII_KEY } from '../../helpers/runtime';

/**
 * `npm run local` (scripts/run-local.ts) on the bundled samples: the Firehose path's Ok records land where the
 * delivery stream would put them, and the summary explains the poison and names every zone (issue #22).
 */

const ROOT = join(__dirname, '..', '..', '..');
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `run-local-${name}-`));
  dirs.push(dir);
  return dir;
}

/** Every file under `dir`, relative, sorted. */
function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out.sort();
}

/** The decoded `data` of a response's Ok records, concatenated per delivery prefix, in response order. */
function okRecordsByPrefix(result: FirehoseTransformationResult): Map<string, string> {
  const byPrefix = new Map<string, string>();
  for (const r of result.records) {
    if (r.result !== 'Ok') continue;
    const keys = r.metadata?.partitionKeys as Record<(typeof FIREHOSE_PARTITION_KEYS)[number], string>;
    const prefix = firehosePrefix(keys);
    byPrefix.set(prefix, (byPrefix.get(prefix) ?? '') + Buffer.from(r.data ?? '', 'base64').toString('utf8'));
  }
  return byPrefix;
}

/** The delivery stream's prefix and object settings, as infra/firehose.yml declares them. */
function deliveryStreamSettings(): { prefix: string; compression: string; extension: string } {
  const yml = readFileSync(join(ROOT, 'infra', 'firehose.yml'), 'utf8');
  const section = yml.slice(
    yml.indexOf('ExtendedS3DestinationConfiguration:'),
    yml.indexOf('S3BackupConfiguration:'),
  );
  const prefix = /^\s+Prefix: !Sub (\S+)$/m.exec(section)?.[1];
  const compression = /^\s+CompressionFormat: (\S+)$/m.exec(section)?.[1];
  const extension = /^\s+FileExtension: (\S+)$/m.exec(section)?.[1];
  if (prefix === undefined || compression === undefined || extension === undefined) {
    throw new Error(
      'infra/firehose.yml: no Prefix, CompressionFormat or FileExtension in the S3 destination',
    );
  }
  return { prefix, compression, extension };
}

describe('npm run local (runLocal)', () => {
  let dir: string;
  let run: LocalRun;
  const sampleFiles = sampleEventFiles(join(ROOT, 'events'));

  beforeAll(async () => {
    dir = tempDir('fn');
    const env = { LOCAL_SINK_DIR: dir, PII_HASH_KEY: TEST_PII_KEY, LOG_LEVEL: 'silent' };
    run = await runLocal(sampleFiles, dir, {
      kinesis: loadHandler<KinesisStreamEvent, KinesisStreamBatchResponse>('kinesis', env),
      firehose: loadHandler<FirehoseTransformationEvent, FirehoseTransformationResult>('firehose', env),
    });
  });

  it('uses the delivery stream’s prefix, partition keys, compression and file extension (infra/firehose.yml)', () => {
    const settings = deliveryStreamSettings();
    const keys = { source: 'S', family: 'F', dt: 'D', hour: 'H' };
    // The local sinks write no archive prefix: the layout under it is the same.
    const fromTemplate = settings.prefix
      .replace(/^\$\{ArchivePrefix\}/, '')
      .replace(
        /!\{partitionKeyFromLambda:(\w+)\}/g,
        (_, k: string) => keys[k as keyof typeof keys] ?? `?${k}`,
      );
    expect(firehosePrefix(keys)).toBe(fromTemplate);
    expect(settings).toMatchObject({ compression: 'GZIP', extension: FIREHOSE_FILE_EXTENSION });
  });

  it('writes every Firehose invocation’s Ok records, decoded, under their partition, as Firehose delivers them', () => {
    const invocations = run.firehose;
    expect(invocations.map((i) => i.file)).toEqual(sampleFiles.filter((f) => /firehose-[^/]*$/.test(f)));
    const everyDelivered: string[] = [];
    let okRecords = 0;
    for (const { file, result, delivered } of invocations) {
      const expected = okRecordsByPrefix(result);
      okRecords += result.records.filter((r) => r.result === 'Ok').length;
      expect({ file, prefixes: delivered.map((k) => k.slice(0, k.lastIndexOf('/') + 1)) }).toEqual({
        file,
        prefixes: [...expected.keys()].sort(),
      });
      for (const key of delivered) {
        expect(key).toMatch(
          /^firehose\/source=[a-z_]+\/family=[a-z_]+\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/[\w-]+\.jsonl\.gz$/,
        );
        const content = gunzipSync(readFileSync(join(dir, key))).toString('utf8');
        expect({ key, content }).toEqual({
          key,
          content: expected.get(key.slice(0, key.lastIndexOf('/') + 1)),
        });
        // One JSON object per line, as Athena reads them.
        for (const line of content.trimEnd().split('\n')) expect(JSON.parse(line)).toHaveProperty('event_id');
      }
      everyDelivered.push(...delivered);
    }
    // Nothing else under firehose/, and every Ok record once.
    expect(files(join(dir, FIREHOSE_ZONE)).map((f) => `${FIREHOSE_ZONE}/${f}`)).toEqual(
      everyDelivered.sort(),
    );
    const lines = everyDelivered.flatMap((k) =>
      gunzipSync(readFileSync(join(dir, k)))
        .toString('utf8')
        .trimEnd()
        .split('\n'),
    );
    expect(lines).toHaveLength(okRecords);
    expect(okRecords).toBeGreaterThan(100);
  });

  it('explains the ProcessingFailed records of the mixed sample with the quarantine’s reasons', () => {
    const mixed = run.firehose.find((i) => i.file.endsWith('firehose-mixed.json'));
    const failed = new Set(
      mixed?.result.records.filter((r) => r.result === 'ProcessingFailed').map((r) => r.recordId) ?? [],
    );
    expect(failed.size).toBe(8);
    // The reasons, as the quarantine holds them for those records.
    const reasons = new Map<string, number>();
    for (const f of files(join(dir, 'quarantine')).filter(
      (f) => f.includes('/firehose/') && f.endsWith('.gz'),
    )) {
      for (const line of gunzipSync(readFileSync(join(dir, 'quarantine', f)))
        .toString('utf8')
        .trimEnd()
        .split('\n')) {
        const { id, reason } = JSON.parse(line) as { id: string; reason: string };
        if (failed.has(id)) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
    }
    const counted = [...reasons]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([r, n]) => `${r} ${n}`)
      .join(', ');
    expect(counted).toBe(
      'empty_record 1, invalid_base64 1, invalid_json 1, invalid_utf8 1, missing_event_type 1, not_an_object 3',
    );
    const row = run.lines.find((l) => l.includes('firehose-mixed.json'));
    expect(row).toMatch(new RegExp(`  42  +Ok 34, ProcessingFailed 8 \\(quarantined: ${counted}\\)$`));
    expect(run.lines.find((l) => l.includes('kinesis-mixed.json'))).toMatch(
      new RegExp(`  42  +batchItemFailures 0, quarantined 8 \\(${counted}\\)$`),
    );
    const note = run.lines.findIndex((l) => l.startsWith('Poison on purpose: '));
    expect(run.lines[note]).toContain('firehose-mixed.json');
    expect(run.lines.slice(note, note + 5).join(' ')).toMatch(
      /bad base64, .*truncated JSON.*ProcessingFailed.*quarantine\/ with their reason.*Not a failure of the run\./,
    );
    // The other samples are clean: no note, no reasons on their rows.
    const clean = run.lines.filter((l) => /events\/(kinesis|firehose)-(?!mixed)/.test(l));
    expect(clean.length).toBe(sampleFiles.length - 2);
    for (const l of clean) expect(l).not.toMatch(/quarantined|ProcessingFailed/);
  });

  it('names every zone it wrote, as the folder holds them, and what each holds', () => {
    const zones = readdirSync(dir).sort();
    expect(zones).toEqual([
      'alerts',
      'analytics',
      'firehose',
      'normalized',
      'quarantine',
      'rates',
      'raw',
      'rollups',
    ]);
    const at = run.lines.findIndex((l) => l.startsWith(`Output under ${dir}/: `));
    expect(run.lines[at]).toBe(
      `Output under ${dir}/: 8 zones written by this run — ${zones.map((z) => `${z}/`).join(', ')}`,
    );
    const zoneLines = run.lines.slice(at + 1);
    expect(zoneLines).toHaveLength(zones.length);
    zones.forEach((zone, i) => {
      const written = files(join(dir, zone)).filter((f) => !f.endsWith('.meta.json')).length;
      expect(zoneLines[i]).toMatch(new RegExp(`^  ${zone}/ +${written} files? +\\S`));
    });
    expect(zoneLines.find((l) => l.startsWith('  firehose/'))).toContain('source=…/family=…/dt=…/hour=…/');
    expect(run.lines.at(-1)).toBe(zoneLines.at(-1));
  });
});

describe('npm run local, the script', () => {
  jest.setTimeout(60_000);

  it('prints the summary and writes the firehose zone into LOCAL_SINK_DIR; a second run replaces, never adds', async () => {
    const dir = tempDir('script');
    const script = (): Promise<{ code: number; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        execFile(
          process.execPath,
          [
            '--import',
            'tsx',
            'scripts/run-local.ts',
            'events/firehose-mixed.json',
            'events/kinesis-email.json',
          ],
          {
            cwd: ROOT,
            env: { ...process.env, LOCAL_SINK_DIR: dir, PII_HASH_KEY: TEST_PII_KEY, LOG_LEVEL: 'silent' },
          },
          (error, stdout, stderr) =>
            resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }),
        );
      });
    const first = await script();
    expect(first).toMatchObject({ code: 0, stderr: '' });
    const lines = first.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^event file +records +result$/);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^events\/firehose-mixed\.json +42 +Ok 34, ProcessingFailed 8 \(quarantined: empty_record 1, /,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^Poison on purpose: events\/firehose-mixed\.json hold/),
    );
    expect(lines).toContainEqual(
      `Output under ${dir}/: 8 zones written by this run — alerts/, analytics/, firehose/, normalized/, quarantine/, rates/, raw/, rollups/`,
    );
    const delivered = files(join(dir, FIREHOSE_ZONE));
    expect(delivered.length).toBeGreaterThan(5);

    // The same samples again: the same objects, replaced; the rate store has counted these batches already.
    const again = await script();
    expect(again.code).toBe(0);
    expect(files(join(dir, FIREHOSE_ZONE))).toEqual(delivered);
    const lines2 = again.stdout.trimEnd().split('\n');
    expect(lines2).toContainEqual(
      `Output under ${dir}/: 7 zones written by this run — alerts/, analytics/, firehose/, normalized/, quarantine/, raw/, rollups/`,
    );
    expect(lines2).toContainEqual(
      expect.stringMatching(/^ {2}rates\/ +nothing new this run +the rate store: /),
    );
  });
});
