import type { AnalyticsRow } from '../analytics/analyticsRow';
import { lineText, type ProcessedRecord } from '../pipeline';
import type { RollupRow } from '../rates/rollups';
import { SCHEMA_VERSION } from '../schema';
import { quarantineLine, rawLine } from './archiveLine';
import { archivedBatchRef, type BatchRef } from './batchRef';
import type { ArchiveObject, ArchiveZone } from './ports';

/**
 * The archive's objects, planned and read back in this one place: their keys
 * (`<zone>/dt=…/hour=…/<origin>/<stream>/<name>.jsonl.gz`, named after their batch, src/sinks/batchRef.ts) and
 * their metadata — so that `replay` rebuilds exactly the batch the handlers wrote. The lines of the raw and
 * quarantine zones are archiveLine.ts's. Pure: no I/O.
 */

/**
 * Plans the archive objects of one batch: the raw batch (every record, exactly as received, with its
 * envelope so the batch can be replayed), quarantine (poison records with their reasons) and normalized
 * records (grouped by their own dt/hour partition, dropped records left out).
 */
export function planArchiveObjects(
  batch: BatchRef,
  processed: readonly ProcessedRecord[],
  zones: ReadonlySet<ArchiveZone> = ALL_ZONES,
): ArchiveObject[] {
  // Only the zones asked for are built: serializing a raw line costs as much as normalizing the record.
  const objects = zones.has('raw')
    ? [makeObject('raw', batch, batch.dt, batch.hour, processed.map(rawLine))]
    : [];
  const quarantine: string[] = [];
  const normalized = new Map<string, { dt: string; hour: string; lines: string[] }>();
  const wantQuarantine = zones.has('quarantine');
  const wantNormalized = zones.has('normalized');
  for (const p of processed) {
    const outcome = p.outcome;
    if (outcome.kind !== 'ok') {
      if (wantQuarantine) quarantine.push(quarantineLine(p, outcome));
    } else if (wantNormalized && !outcome.dropped) {
      const { dt, hour } = outcome.keys;
      const part = `${dt}/${hour}`;
      let group = normalized.get(part);
      if (group === undefined) {
        group = { dt, hour, lines: [] };
        normalized.set(part, group);
      }
      group.lines.push(lineText(outcome));
    }
  }
  if (quarantine.length > 0) objects.push(makeObject('quarantine', batch, batch.dt, batch.hour, quarantine));
  for (const g of normalized.values()) objects.push(makeObject('normalized', batch, g.dt, g.hour, g.lines));
  return objects;
}

const ALL_ZONES: ReadonlySet<ArchiveZone> = new Set(['raw', 'normalized', 'quarantine']);

/**
 * Plans the `rollups/` objects of a batch's rollup rows (a Kinesis batch's or a Firehose
 * invocation's, under its batch): one object per partition of the rows' window start — the partition Athena's
 * `dt`/`hour` projection finds them in — usually one. None without rows.
 */
export function planRollupObjects(batch: BatchRef, rows: readonly RollupRow[]): ArchiveObject[] {
  const parts = new Map<string, { dt: string; hour: string; first: RollupRow; lines: string[] }>();
  for (const row of rows) {
    const { dt, hour } = rollupPartition(row.window_start, batch);
    const part = `${dt}/${hour}`;
    let group = parts.get(part);
    if (group === undefined) {
      group = { dt, hour, first: row, lines: [] };
      parts.set(part, group);
    }
    group.lines.push(`${JSON.stringify(row)}\n`);
  }
  return [...parts.values()].map((g) => {
    const object = makeObject('rollups', batch, g.dt, g.hour, g.lines);
    // A window's rollups stand for the window's records, not for one batch's: `record-count` is the rows.
    const { 'batch-record-count': _batchCount, ...metadata } = object.metadata;
    object.metadata = {
      ...metadata,
      'window-start': g.first.window_start,
      'window-end': g.first.window_end,
    };
    return object;
  });
}

/**
 * Plans the `analytics/` objects of a batch's analytics rows (docs/analytics.md): one object per hour of its rows
 * — the partition Athena's `dt`/`hour` projection finds them in, the batch's quarantine rows in the batch's own
 * hour — under the batch's name, so that a retried batch rewrites them. None without rows. `record-count` is the
 * rows of the object; `batch-record-count` the records of the batch.
 */
export function planAnalyticsObjects(batch: BatchRef, rows: readonly AnalyticsRow[]): ArchiveObject[] {
  const parts = new Map<string, { dt: string; hour: string; lines: string[] }>();
  for (const row of rows) {
    const { dt, hour } = rollupPartition(row.hour, batch);
    const part = `${dt}/${hour}`;
    let group = parts.get(part);
    if (group === undefined) {
      group = { dt, hour, lines: [] };
      parts.set(part, group);
    }
    group.lines.push(`${JSON.stringify(row)}\n`);
  }
  return [...parts.values()].map((g) => makeObject('analytics', batch, g.dt, g.hour, g.lines));
}

const ROLLUP_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}):/;

/**
 * The partition of a window start or an analytics row's hour (`2026-11-30T10:05:00.000Z` → 2026-11-30, 10); the
 * batch's if unreadable.
 */
function rollupPartition(windowStart: string, batch: BatchRef): { dt: string; hour: string } {
  const m = ROLLUP_TIME.exec(windowStart);
  return m === null ? { dt: batch.dt, hour: batch.hour } : { dt: m[1] as string, hour: m[2] as string };
}

/** `raw/dt=2026-11-20/hour=13/kinesis/<stream>/<shard>_<first>_<last>.jsonl.gz` — the same for every retry. */
export function archiveKey(zone: ArchiveZone, batch: BatchRef, dt: string, hour: string): string {
  return `${zone}/dt=${dt}/hour=${hour}/${batch.origin}/${batch.stream}/${batch.name}.jsonl.gz`;
}

const KEY_PARTITION = /(?:^|\/)dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\//;

/**
 * The partition an archive object is filed under, from its key, as `YYYY-MM-DDTHH` (so that partitions compare
 * as text); undefined when the key has no `dt=…/hour=…/` part.
 */
export function archiveKeyPartition(key: string): string | undefined {
  const m = KEY_PARTITION.exec(key);
  return m === null ? undefined : `${m[1]}T${m[2]}`;
}

/** Object metadata: what {@link batchRefFromArchive} reads back (S3 user metadata; `.meta.json` locally). */
function makeObject(
  zone: ArchiveZone,
  batch: BatchRef,
  dt: string,
  hour: string,
  lines: string[],
): ArchiveObject {
  const metadata: Record<string, string> = {
    origin: batch.origin,
    stream: batch.stream,
    'first-id': batch.firstId,
    'last-id': batch.lastId,
    'batch-record-count': String(batch.count),
    'record-count': String(lines.length),
    'content-type': 'application/x-ndjson',
    'content-encoding': 'gzip',
  };
  if (batch.shard !== undefined) metadata.shard = batch.shard;
  if (zone === 'normalized') metadata['schema-version'] = String(SCHEMA_VERSION);
  return { zone, key: archiveKey(zone, batch, dt, hour), lines, metadata };
}

const ARCHIVE_KEY =
  /(?:^|\/)raw\/dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/(kinesis|firehose|file)\/([^/]+)\/([^/]+)\.jsonl\.gz$/;

/**
 * The batch a raw archive object was written for, rebuilt from its key (origin, stream, name and
 * partition, exactly as written) and its records' ids or object metadata (shard, id range, count), so that a
 * replay writes its normalized and quarantine objects under the same keys, and its alerts with the same
 * batch label, as the original run. Returns undefined when the key is not a raw archive key.
 *
 * @param key the object key, with or without the archive prefix
 * @param ids the ids of the object's raw lines, in order
 * @param metadata the object's metadata (S3 user metadata or the local `.meta.json`), when available
 */
export function batchRefFromArchive(
  key: string,
  ids: readonly string[],
  metadata: Readonly<Record<string, string>> = {},
): BatchRef | undefined {
  const m = ARCHIVE_KEY.exec(key);
  if (m === null) return undefined;
  const [, dt, hour, origin, stream, name] = m as unknown as [
    string,
    string,
    string,
    BatchRef['origin'],
    string,
    string,
  ];
  return archivedBatchRef({
    origin,
    stream,
    name,
    dt,
    hour,
    firstId: metadata['first-id'] ?? ids[0] ?? '',
    lastId: metadata['last-id'] ?? ids[ids.length - 1] ?? '',
    count: Number(metadata['batch-record-count'] ?? ids.length),
    shard: metadata.shard,
  });
}
