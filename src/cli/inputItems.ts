import type { InputRecord } from '../pipeline';
import type { NormalizedRecord } from '../schema';
import { asArchiveLine, inputOfArchiveLine } from '../sinks/archiveLine';
import { fragments, type InputFragment } from './readInput';

/**
 * One record read from a file: a raw record for the pipeline, or a record that is already normalized (a
 * Firehose S3 object of this processor's output, the normalized zone), which only goes through the rules.
 */
export type InputItem =
  | { kind: 'raw'; input: InputRecord }
  | { kind: 'normalized'; input: InputRecord; record: NormalizedRecord };

/**
 * The records of one input, whatever it holds: raw service events (JSON Lines, concatenated `{…}{…}` as
 * Firehose writes them, or a JSON array), raw archive or quarantine lines (replayed exactly, with their id,
 * arrival time and partition key), Kinesis or Firehose Lambda events, or normalized records.
 *
 * Ids say where a record came from: `<source>:<line>` (`:<k>` for the k-th value starting on the same line,
 * from the second on) and `[i]` for the i-th element of an array or Lambda event.
 *
 * @param fallbackMs arrival time of records that carry no time of their own (the file's modification time)
 * @param maxRecordBytes the largest record read (see {@link fragments})
 * @throws InputLimitError on a record longer than `maxRecordBytes`
 */
export async function* readItems(
  chunks: AsyncIterable<Buffer>,
  source: string,
  fallbackMs: number,
  maxRecordBytes?: number,
): AsyncGenerator<InputItem> {
  for await (const f of fragments(chunks, maxRecordBytes)) {
    const id = f.ordinal === 1 ? `${source}:${f.line}` : `${source}:${f.line}:${f.ordinal}`;
    yield* itemsOf(f, id, fallbackMs);
  }
}

/** The records of one top-level value. */
function* itemsOf(f: InputFragment, id: string, fallbackMs: number): Generator<InputItem> {
  if (f.bytes !== undefined) {
    yield raw({ id, data: f.bytes, ingestMs: fallbackMs });
    return;
  }
  if (f.element !== undefined) {
    // An element of a top-level array: one record, minified; one that is not JSON is poison (invalid_json).
    const elementId = `${id}[${f.element}]`;
    let value: unknown;
    try {
      value = JSON.parse(f.text);
    } catch {
      yield raw({ id: elementId, data: Buffer.from(f.text, 'utf8'), ingestMs: fallbackMs });
      return;
    }
    yield itemOf(value, JSON.stringify(value), elementId, fallbackMs);
    return;
  }
  let value: unknown;
  if (f.parsed) value = f.value;
  else {
    try {
      value = JSON.parse(f.text);
    } catch {
      // Not JSON: the pipeline quarantines it with the reason (invalid_json).
      yield raw({ id, data: Buffer.from(f.text, 'utf8'), ingestMs: fallbackMs });
      return;
    }
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      yield itemOf(value[i], JSON.stringify(value[i]) ?? 'null', `${id}[${i}]`, fallbackMs);
    }
    return;
  }
  const lambda = lambdaRecords(value, id);
  if (lambda !== undefined) {
    for (const input of lambda) yield raw(input);
    return;
  }
  // A value over several lines is a pretty-printed document: minified, it is what a stream would carry.
  yield itemOf(value, f.multiline ? JSON.stringify(value) : f.text, id, fallbackMs);
}

function itemOf(value: unknown, text: string, id: string, fallbackMs: number): InputItem {
  if (isObject(value)) {
    // A raw archive or quarantine line is replayed exactly, under this input's id.
    const archived = asArchiveLine(value);
    if (archived !== undefined) return raw(inputOfArchiveLine(archived, id));
    if (isNormalized(value)) {
      const ingest = Date.parse(String(value.ingest_time));
      return {
        kind: 'normalized',
        input: {
          id,
          data: Buffer.from(text, 'utf8'),
          ingestMs: Number.isFinite(ingest) ? ingest : fallbackMs,
        },
        record: value,
      };
    }
    return raw({ id, data: Buffer.from(text, 'utf8'), ingestMs: eventTimeMs(value) ?? fallbackMs });
  }
  // Scalars and nested arrays: the pipeline quarantines them (not_an_object).
  return raw({ id, data: Buffer.from(text, 'utf8'), ingestMs: fallbackMs });
}

/** The records of a Kinesis or Firehose Lambda event (as in events/), with their own data and arrival time. */
function lambdaRecords(value: unknown, id: string): InputRecord[] | undefined {
  if (!isObject(value)) return undefined;
  const { Records, records } = value as { Records?: unknown; records?: unknown };
  if (Array.isArray(Records) && Records.length > 0 && Records.every(isKinesisRecord)) {
    return Records.map((r, i) => {
      const input: InputRecord = {
        id: `${id}[${i}]`,
        data: r.kinesis.data,
        ingestMs: Math.round(Number(r.kinesis.approximateArrivalTimestamp) * 1000),
      };
      if (typeof r.kinesis.partitionKey === 'string') input.partitionKey = r.kinesis.partitionKey;
      return input;
    });
  }
  if (Array.isArray(records) && records.length > 0 && records.every(isFirehoseRecord)) {
    return records.map((r, i) => ({
      id: `${id}[${i}]`,
      data: r.data,
      ingestMs: Number(r.approximateArrivalTimestamp),
    }));
  }
  return undefined;
}

interface KinesisLike {
  kinesis: { data: string; approximateArrivalTimestamp: unknown; partitionKey?: unknown };
}

function isKinesisRecord(r: unknown): r is KinesisLike {
  const k = isObject(r) ? r.kinesis : undefined;
  return isObject(k) && typeof k.data === 'string' && Number.isFinite(Number(k.approximateArrivalTimestamp));
}

function isFirehoseRecord(
  r: unknown,
): r is { recordId: string; data: string; approximateArrivalTimestamp: unknown } {
  return (
    isObject(r) &&
    typeof r.recordId === 'string' &&
    typeof r.data === 'string' &&
    Number.isFinite(Number(r.approximateArrivalTimestamp))
  );
}

function isNormalized(v: Record<string, unknown>): v is Record<string, unknown> & NormalizedRecord {
  return (
    typeof v.schema_version === 'number' &&
    typeof v.event_id === 'string' &&
    typeof v.source === 'string' &&
    typeof v.family === 'string' &&
    typeof v.outcome === 'string' &&
    typeof v.dt === 'string' &&
    typeof v.hour === 'string'
  );
}

/**
 * When an event reached its stream, as well as the event says: Pinpoint's `arrival_timestamp`, else its
 * `event_timestamp`; End User Messaging's `eventTimestamp`; for SES the latest `timestamp` of its objects
 * (mail, bounce, delivery…). Seconds are taken for seconds.
 */
export function eventTimeMs(event: Record<string, unknown>): number | undefined {
  for (const key of ['arrival_timestamp', 'event_timestamp', 'eventTimestamp']) {
    const ms = epochMs(event[key]);
    if (ms !== undefined) return ms;
  }
  let latest: number | undefined;
  for (const value of Object.values(event)) {
    if (!isObject(value) || typeof value.timestamp !== 'string') continue;
    const t = Date.parse(value.timestamp);
    if (Number.isFinite(t) && (latest === undefined || t > latest)) latest = t;
  }
  return latest;
}

function epochMs(value: unknown): number | undefined {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : NaN;
  if (!Number.isFinite(n) || n <= 0) return undefined;
  // Before 1973 in ms is after 5138 in seconds: small numbers are seconds.
  return n < 1e11 ? Math.round(n * 1000) : Math.round(n);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function raw(input: InputRecord): InputItem {
  return { kind: 'raw', input };
}
