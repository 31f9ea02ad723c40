import {
  dataBase64,
  type InputRecord,
  type ProcessedRecord,
  type QuarantinedOutcome,
  type QuarantineReason,
} from '../pipeline';

/**
 * The lines of the `raw/` and `quarantine/` archive zones, written and read back in this one place: a record
 * exactly as the stream delivered it, with its envelope, so that `replay` (and `process` over an archive) reads
 * back the very records the handlers received. Pure: no I/O.
 */

/** One raw archive line: a record exactly as the stream delivered it, with its envelope. */
export interface RawArchiveLine {
  id: string;
  partition_key?: string;
  approximate_arrival_ms: number;
  /** The decoded record as text, when its bytes are valid UTF-8 (byte-for-byte round trip). */
  data?: string;
  /** Otherwise the `data` field exactly as received (base64). */
  data_base64?: string;
}

/** One quarantine line: the raw line and why the record was quarantined. */
export interface QuarantineLine extends RawArchiveLine {
  reason: QuarantineReason;
  detail: string;
}

function rawEntry(p: ProcessedRecord): RawArchiveLine {
  const entry: RawArchiveLine = { id: p.input.id, approximate_arrival_ms: p.input.ingestMs };
  if (p.input.partitionKey !== undefined) entry.partition_key = p.input.partitionKey;
  // Without text (bad base64, invalid UTF-8) the received field itself is kept.
  if (p.raw !== undefined) entry.data = p.raw;
  else entry.data_base64 = dataBase64(p.input);
  return entry;
}

/** The raw archive line of a processed record, as JSON ending in `\n`. */
export function rawLine(p: ProcessedRecord): string {
  return `${JSON.stringify(rawEntry(p))}\n`;
}

/** The quarantine line of a quarantined record (its reason first), as JSON ending in `\n`. */
export function quarantineLine(p: ProcessedRecord, outcome: QuarantinedOutcome): string {
  return `${JSON.stringify({ reason: outcome.reason, detail: outcome.detail, ...rawEntry(p) })}\n`;
}

/**
 * A parsed JSON value as a raw (or quarantine) archive line, or undefined when it is not one: an `id`, a numeric
 * `approximate_arrival_ms`, `data` or `data_base64`, and a `partition_key` that is text when present.
 */
export function asArchiveLine(value: unknown): RawArchiveLine | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.id !== 'string' || typeof v.approximate_arrival_ms !== 'number') return undefined;
  if (typeof v.data !== 'string' && typeof v.data_base64 !== 'string') return undefined;
  if (v.partition_key !== undefined && typeof v.partition_key !== 'string') return undefined;
  return v as unknown as RawArchiveLine;
}

/**
 * The record a raw archive line keeps, as the original batch held it: text was stored as text (its bytes are
 * its UTF-8), anything else as the base64 the stream delivered.
 *
 * @param id the record's id (default: the line's own)
 */
export function inputOfArchiveLine(line: RawArchiveLine, id: string = line.id): InputRecord {
  const input: InputRecord = {
    id,
    data: typeof line.data === 'string' ? Buffer.from(line.data, 'utf8') : (line.data_base64 as string),
    ingestMs: line.approximate_arrival_ms,
  };
  if (line.partition_key !== undefined) input.partitionKey = line.partition_key;
  return input;
}
