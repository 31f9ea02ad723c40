/**
 * Runs the main job locally on the bundled sample events: every events/kinesis-*.json through the Kinesis
 * handler and every events/firehose-*.json through the Firehose handler, in this process, with the local
 * sinks (archive, quarantine, alerts, rollups, analytics rows and rate counters under LOCAL_SINK_DIR, default .local/). What
 * Firehose itself does in AWS with the records the function returns `Ok` — deliver them to S3 under its
 * dynamic-partitioning prefix — is done here too (scripts/localFirehoseDelivery.ts), into `firehose/`. No AWS
 * account, no network.
 *
 *   npm run local            # all sample events
 *   npm run local -- events/kinesis-email.json
 *
 * It ends with a table of the event files, the poison each one held (with the reasons the quarantine gives),
 * and every zone of the output folder with what the run wrote there.
 */
import { type Dirent, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type {
  Context,
  FirehoseTransformationEvent,
  FirehoseTransformationResult,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
} from 'aws-lambda';
import { deliverLikeFirehose, FIREHOSE_ZONE } from './localFirehoseDelivery';

/** The two handlers, as `handlers/kinesis.ts` and `handlers/firehose.ts` export them. */
export interface LocalHandlers {
  kinesis(event: KinesisStreamEvent, context: Context): Promise<KinesisStreamBatchResponse>;
  firehose(event: FirehoseTransformationEvent, context: Context): Promise<FirehoseTransformationResult>;
}

/** One Firehose invocation of a run: the event file, the response, and the objects delivered for it. */
export interface LocalFirehoseInvocation {
  readonly file: string;
  readonly event: FirehoseTransformationEvent;
  readonly result: FirehoseTransformationResult;
  /** Keys under the output folder, sorted (see deliverLikeFirehose). */
  readonly delivered: readonly string[];
}

export interface LocalRun {
  /** What `npm run local` prints, line by line. */
  readonly lines: readonly string[];
  readonly firehose: readonly LocalFirehoseInvocation[];
  /** Per zone of the output folder (its first-level folders), the files this run wrote there. */
  readonly zones: ReadonlyMap<string, number>;
}

/** What each zone holds, for the closing summary. A zone not listed here is named without a description. */
const ZONE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  raw: 'the Kinesis batches as received (gzip JSON Lines)',
  normalized: 'the Kinesis path’s normalized records (gzip JSON Lines)',
  [FIREHOSE_ZONE]:
    'the Firehose path’s Ok records, as its delivery stream writes them: source=…/family=…/dt=…/hour=…/ (gzip JSON Lines)',
  quarantine: 'records that are not events, with their reason, from both paths (gzip JSON Lines)',
  alerts: 'the alerts, one JSON line each: what the SNS topic would get',
  rollups: 'hourly rate rollups, for Athena',
  analytics:
    'hourly counts and spend per campaign, configuration set, provider and country: what `pinpoint-stream report` reads',
  rates: 'the rate store: counters of the rate rules (local runs add up here; a batch counts once)',
};

const context = {
  functionName: 'local',
  awsRequestId: 'local',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

/**
 * Sends each event file through its handler (a `firehose-` file name through the Firehose handler, any other
 * through the Kinesis handler), delivers each Firehose response's Ok records like the delivery stream, and
 * returns the summary. The handlers must write to `sinkDir` (their LOCAL_SINK_DIR).
 */
export async function runLocal(
  files: readonly string[],
  sinkDir: string,
  handlers: LocalHandlers,
): Promise<LocalRun> {
  const before = snapshot(sinkDir);
  const rows: string[][] = [['event file', 'records', 'result']];
  const firehose: LocalFirehoseInvocation[] = [];
  const quarantinedBy = new Map<string, Map<string, number>>();
  for (const file of files) {
    const event = JSON.parse(readFileSync(file, 'utf8'));
    const quarantineBefore = snapshot(join(sinkDir, 'quarantine'));
    if (basename(file).startsWith('firehose')) {
      const result = await handlers.firehose(event, context);
      const delivered = await deliverLikeFirehose(sinkDir, event, result);
      firehose.push({ file, event, result, delivered });
      const counts = new Map<string, number>();
      for (const r of result.records) counts.set(r.result, (counts.get(r.result) ?? 0) + 1);
      const failedIds = result.records.filter((r) => r.result === 'ProcessingFailed').map((r) => r.recordId);
      const reasons = quarantineReasons(sinkDir, quarantineBefore, failedIds);
      quarantinedBy.set(file, reasons);
      const text = [...counts].map(([k, v]) => {
        if (k !== 'ProcessingFailed') return `${k} ${v}`;
        const quarantined = sum(reasons);
        const parts = [];
        if (quarantined > 0) parts.push(`quarantined: ${describeCounts(reasons)}`);
        if (quarantined < v) parts.push(`${v - quarantined} over the response size limit, not quarantined`);
        return `${k} ${v} (${parts.join('; ')})`;
      });
      rows.push([file, String(event.records.length), text.join(', ')]);
    } else {
      const out = await handlers.kinesis(event, context);
      const ids = (event as KinesisStreamEvent).Records.map((r) => r.kinesis.sequenceNumber);
      const reasons = quarantineReasons(sinkDir, quarantineBefore, ids);
      quarantinedBy.set(file, reasons);
      const quarantined = sum(reasons);
      rows.push([
        file,
        String(event.Records.length),
        `batchItemFailures ${out.batchItemFailures.length}${quarantined > 0 ? `, quarantined ${quarantined} (${describeCounts(reasons)})` : ''}`,
      ]);
    }
  }

  const lines = table(rows);
  lines.push(...poisonNote(quarantinedBy));
  const zones = writtenZones(before, snapshot(sinkDir));
  lines.push('', ...zoneSummary(sinkDir, zones));
  return { lines, firehose, zones };
}

/**
 * The note under the table when records were quarantined: what they are, and — for the bundled mixed samples
 * — that they are there on purpose, so that a first run does not read as a failure.
 */
function poisonNote(quarantinedBy: ReadonlyMap<string, ReadonlyMap<string, number>>): string[] {
  const withPoison = [...quarantinedBy].filter(([, reasons]) => sum(reasons) > 0);
  if (withPoison.length === 0) return [];
  const lines = [''];
  const mixed = withPoison.filter(([file]) =>
    /(^|[\\/])events[\\/](kinesis|firehose)-mixed\.json$/.test(file),
  );
  if (mixed.length > 0) {
    lines.push(
      `Poison on purpose: ${mixed.map(([f]) => f).join(' and ')} hold one record of every poison class (bad base64,`,
      '  invalid UTF-8, truncated JSON, JSON that is not an object, an empty record, an event without a type), to show',
      '  what becomes of them: the Firehose handler returns them ProcessingFailed (in AWS, Firehose writes them under',
      '  its error prefix), the Kinesis handler acknowledges them so that they never stall a shard, and both quarantine',
      '  them under quarantine/ with their reason (counted above). Not a failure of the run.',
    );
  }
  const others = withPoison.filter((entry) => !mixed.includes(entry));
  if (others.length > 0) {
    lines.push(
      `Quarantined records in ${others.map(([f]) => f).join(', ')}: not events (the reasons above), kept under quarantine/ with`,
      '  their reason and their original data, as in Lambda.',
    );
  }
  const internal = withPoison.reduce((n, [, reasons]) => n + (reasons.get('internal_error') ?? 0), 0);
  if (internal > 0) {
    lines.push(
      `internal_error (${internal}): a record the processor failed on — a bug; the quarantine line says where.`,
    );
  }
  return lines;
}

/**
 * The reasons of the quarantine lines one invocation wrote for these record ids (Kinesis sequence numbers,
 * Firehose record ids), counted: read from the quarantine objects the invocation created or replaced.
 */
function quarantineReasons(sinkDir: string, before: ReadonlyMap<string, string>, ids: readonly string[]) {
  const wanted = new Set(ids);
  const reasons = new Map<string, number>();
  const dir = join(sinkDir, 'quarantine');
  for (const [path, stamp] of snapshot(dir)) {
    if (before.get(path) === stamp || !path.endsWith('.jsonl.gz')) continue;
    const text = gunzipSync(readFileSync(join(dir, path))).toString('utf8');
    for (const line of text.split('\n')) {
      if (line.length === 0) continue;
      const { id, reason } = JSON.parse(line) as { id?: unknown; reason?: unknown };
      if (typeof id !== 'string' || !wanted.has(id)) continue;
      const key = typeof reason === 'string' ? reason : 'unknown';
      reasons.set(key, (reasons.get(key) ?? 0) + 1);
    }
  }
  return new Map([...reasons].sort(([a], [b]) => a.localeCompare(b)));
}

/** `Output under .local/: …` and one line per zone: what this run wrote there, and what the zone holds. */
function zoneSummary(sinkDir: string, zones: ReadonlyMap<string, number>): string[] {
  const present = existsSync(sinkDir)
    ? readdirSync(sinkDir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
        .map((d) => d.name)
        .sort()
    : [];
  const written = present.filter((z) => (zones.get(z) ?? 0) > 0);
  const lines = [
    `Output under ${sinkDir}/: ${written.length} zones written by this run — ${written.map((z) => `${z}/`).join(', ')}`,
  ];
  const counts = present.map((zone) => {
    const n = zones.get(zone) ?? 0;
    return n === 0 ? 'nothing new this run' : `${n} ${n === 1 ? 'file' : 'files'}`;
  });
  const width = Math.max(0, ...present.map((z) => z.length + 1));
  const countWidth = Math.max(0, ...counts.map((c) => c.length));
  present.forEach((zone, i) => {
    const what = ZONE_DESCRIPTIONS[zone] ?? '';
    lines.push(
      `  ${`${zone}/`.padEnd(width)}  ${(counts[i] as string).padEnd(countWidth)}  ${what}`.trimEnd(),
    );
  });
  return lines;
}

/** Per first-level folder, the files that are new or replaced between two snapshots (no `.meta.json` sidecars). */
function writtenZones(
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
): Map<string, number> {
  const zones = new Map<string, number>();
  for (const [path, stamp] of after) {
    if (before.get(path) === stamp || path.endsWith('.meta.json')) continue;
    const zone = path.split('/')[0] as string;
    if (zone === path) continue;
    zones.set(zone, (zones.get(zone) ?? 0) + 1);
  }
  return zones;
}

/**
 * Every file under `dir` (relative paths with `/`) and a stamp that changes when the file is written again:
 * the local sinks write a new file and rename it into place, so its inode changes even within one clock tick.
 */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  if (!existsSync(dir)) return files;
  const walk = (sub: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(join(dir, sub), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const rel = sub === '' ? entry.name : `${sub}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile() && !entry.name.endsWith('.tmp')) {
        const s = statSync(join(dir, rel), { bigint: true });
        files.set(rel, `${s.ino}:${s.mtimeNs}:${s.size}`);
      }
    }
  };
  walk('');
  return files;
}

function table(rows: readonly string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

function sum(counts: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const v of counts.values()) n += v;
  return n;
}

/** `empty_record 1, invalid_base64 1`. */
function describeCounts(counts: ReadonlyMap<string, number>): string {
  return [...counts].map(([k, v]) => `${k} ${v}`).join(', ');
}

/** The bundled sample events, Firehose first: what `npm run local` runs without arguments. */
export function sampleEventFiles(dir = 'events'): string[] {
  return readdirSync(dir)
    .filter((f) => /^(kinesis|firehose)-.*\.json$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

async function main(): Promise<void> {
  process.env.LOG_LEVEL ??= 'warn';
  const sinkDir = process.env.LOCAL_SINK_DIR ?? '.local';
  // The handlers read LOCAL_SINK_DIR when they load: the same folder as the one delivered to and summarized.
  process.env.LOCAL_SINK_DIR = sinkDir;
  const { handler: kinesis } = await import('../handlers/kinesis');
  const { handler: firehose } = await import('../handlers/firehose');
  const args = process.argv.slice(2);
  const files = args.length > 0 ? args : sampleEventFiles();
  const run = await runLocal(files, sinkDir, { kinesis, firehose });
  for (const line of run.lines) console.log(line);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
    process.exit(1);
  });
}
