import { lineText, type ProcessedRecord } from '../pipeline';
import { SCHEMA_VERSION } from '../schema';
import type { ArchiveObject, ArchiveZone } from './archive';
import type { BatchRef } from './batchRef';

/**
 * Plans the archive objects of one batch: the raw batch (every record, exactly as received, with its
 * envelope so the batch can be replayed), quarantine (poison records with their reasons) and normalized
 * records (grouped by their own dt/hour partition, dropped records left out). Pure: no I/O.
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
    if (outcome.kind === 'poison') {
      if (wantQuarantine) quarantine.push(quarantineLine(p));
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

/** `raw/dt=2026-11-20/hour=13/kinesis/<stream>/<shard>_<first>_<last>.jsonl.gz` — the same for every retry. */
export function archiveKey(zone: ArchiveZone, batch: BatchRef, dt: string, hour: string): string {
  return `${zone}/dt=${dt}/hour=${hour}/${batch.origin}/${batch.stream}/${batch.name}.jsonl.gz`;
}

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

/** One raw archive line. Exported for readers (replay, CLI) through {@link RawArchiveLine}. */
export interface RawArchiveLine {
  id: string;
  partition_key?: string;
  approximate_arrival_ms: number;
  /** The decoded record as text, when its bytes are valid UTF-8 (byte-for-byte round trip). */
  data?: string;
  /** Otherwise the `data` field exactly as received (base64). */
  data_base64?: string;
}

export interface QuarantineLine extends RawArchiveLine {
  reason: string;
  detail: string;
}

function rawEntry(p: ProcessedRecord): RawArchiveLine {
  const entry: RawArchiveLine = { id: p.input.id, approximate_arrival_ms: p.input.ingestMs };
  if (p.input.partitionKey !== undefined) entry.partition_key = p.input.partitionKey;
  // Without text (bad base64, invalid UTF-8) the received field itself is kept.
  if (p.raw !== undefined) {
    entry.data = p.raw;
  } else {
    entry.data_base64 = typeof p.input.data === 'string' ? p.input.data : p.input.data.toString('base64');
  }
  return entry;
}

function rawLine(p: ProcessedRecord): string {
  return `${JSON.stringify(rawEntry(p))}\n`;
}

function quarantineLine(p: ProcessedRecord): string {
  const outcome = p.outcome;
  const reason = outcome.kind === 'poison' ? outcome.reason : 'unknown';
  const detail = outcome.kind === 'poison' ? outcome.detail : '';
  return `${JSON.stringify({ reason, detail, ...rawEntry(p) })}\n`;
}
