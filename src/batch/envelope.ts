import type { PoisonReason } from '../errors';
import { num } from '../fields';
import { sha256Hex } from '../hash';
import type { InputRecord } from '../pipeline';
import { MAX_EPOCH_MS } from '../time';

/**
 * Reading the Lambda events themselves, which are input too: a record may lack its `data`, its id or its
 * arrival time, or hold the wrong types, and `Records`/`records` may be missing. Whatever is missing, every
 * record that is there gets an {@link InputRecord} — and so exactly one outcome — and nothing here throws.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html (event shape),
 * https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html
 */

/** A Kinesis event-source-mapping event as read: one input per record, and the batch's stream and shard. */
export interface KinesisEnvelope {
  /** False when the event has no `Records` array at all. */
  wellFormed: boolean;
  inputs: InputRecord[];
  /** `eventSourceARN` of the first record that has one. */
  streamArn?: string;
  /** The shard of the batch: from the `eventID` (`shardId-…:sequence`) of the first record that has one. */
  shard?: string;
}

/** A Firehose transformation event as read. */
export interface FirehoseEnvelope {
  /** False when the event has no `records` array at all. */
  wellFormed: boolean;
  inputs: InputRecord[];
  deliveryStreamArn?: string;
  invocationId?: string;
}

type Loose = Record<string, unknown>;

function loose(value: unknown): Loose | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Loose) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * A record id as text: Kinesis sequence numbers and Firehose record ids are strings, but a number (or
 * anything else) must not break the response; an id that is not there is `''`.
 */
function idOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'bigint')
    return String(value);
  return '';
}

/** Why a record's `data` field cannot be decoded at all, or undefined when it is a string. */
function dataProblem(data: unknown): { reason: PoisonReason; detail: string } | undefined {
  if (typeof data === 'string') return undefined;
  if (data === undefined || data === null) return { reason: 'empty_record', detail: 'record has no data' };
  const what = Array.isArray(data) ? 'an array' : typeof data === 'object' ? 'an object' : `a ${typeof data}`;
  return { reason: 'invalid_base64', detail: `record data is ${what}, not base64 text` };
}

/** A Unix ms arrival time within 1970–9999, or undefined. Numeric strings are read as numbers. */
function arrivalMs(value: unknown, unitMs: 1 | 1000): number | undefined {
  const n = num(value);
  if (n === undefined) return undefined;
  // Kinesis gives seconds with decimals (rounded to the ms, as float noise needs); Firehose gives ms, whose
  // fractions are cut off as Date does.
  const ms = unitMs === 1000 ? Math.round(n * 1000) : Math.floor(n);
  return ms >= 0 && ms < MAX_EPOCH_MS ? ms : undefined;
}

/**
 * Fills the arrival time of records that have none (or an unreadable one) with the first readable one of the
 * batch — the same on every retry of the batch, so its partition and archive keys do not move — and with
 * `nowMs` only when no record has one.
 */
function fillArrivals(inputs: InputRecord[], arrivals: Array<number | undefined>, nowMs: number): void {
  let fallback: number | undefined;
  for (const a of arrivals) {
    if (a !== undefined) {
      fallback = a;
      break;
    }
  }
  const ms = fallback ?? Math.floor(nowMs);
  for (let i = 0; i < inputs.length; i++) {
    if (arrivals[i] === undefined) (inputs[i] as InputRecord).ingestMs = ms;
  }
}

function input(id: string, data: unknown, ingestMs: number | undefined): InputRecord {
  const problem = dataProblem(data);
  const rec: InputRecord =
    problem === undefined
      ? { id, data: data as string, ingestMs: ingestMs ?? 0 }
      : { id, data: '', ingestMs: ingestMs ?? 0, invalid: problem };
  return rec;
}

/** Reads a Kinesis event: `Records[].kinesis{sequenceNumber, data, approximateArrivalTimestamp (s)}`. */
export function readKinesisEvent(event: unknown, nowMs: number): KinesisEnvelope {
  const records = loose(event)?.Records;
  if (!Array.isArray(records)) return { wellFormed: false, inputs: [] };
  const inputs: InputRecord[] = new Array(records.length);
  const arrivals: Array<number | undefined> = new Array(records.length);
  let streamArn: string | undefined;
  let eventId: string | undefined;
  let complete = true;
  for (let i = 0; i < records.length; i++) {
    const r = loose(records[i]);
    const k = loose(r?.kinesis);
    const arrival = arrivalMs(k?.approximateArrivalTimestamp, 1000);
    const rec = input(idOf(k?.sequenceNumber), k?.data, arrival);
    const partitionKey = text(k?.partitionKey);
    if (partitionKey !== undefined) rec.partitionKey = partitionKey;
    inputs[i] = rec;
    arrivals[i] = arrival;
    if (arrival === undefined) complete = false;
    streamArn ??= text(r?.eventSourceARN);
    eventId ??= text(r?.eventID);
  }
  if (!complete) fillArrivals(inputs, arrivals, nowMs);
  const shard = eventId?.split(':')[0];
  return {
    wellFormed: true,
    inputs,
    ...(streamArn !== undefined && { streamArn }),
    ...(shard !== undefined && { shard }),
  };
}

/**
 * True when the event carries a tumbling window (`window`): an event source mapping still set up with
 * `TumblingWindowInSeconds` (a stack deployed before the shared rate store). Every response must then carry a
 * `state`, or Lambda counts the invocation as failed; rates no longer use it (docs/rates.md).
 * https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-windows.html
 */
export function hasTumblingWindow(event: unknown): boolean {
  return loose(loose(event)?.window) !== undefined;
}

/** Reads a Firehose event: `records[]{recordId, data, approximateArrivalTimestamp (ms)}`. */
export function readFirehoseEvent(event: unknown, nowMs: number): FirehoseEnvelope {
  const e = loose(event);
  const records = e?.records;
  const deliveryStreamArn = text(e?.deliveryStreamArn);
  const invocationId = text(e?.invocationId);
  const about = {
    ...(deliveryStreamArn !== undefined && { deliveryStreamArn }),
    ...(invocationId !== undefined && { invocationId }),
  };
  if (!Array.isArray(records)) return { wellFormed: false, inputs: [], ...about };
  const inputs: InputRecord[] = new Array(records.length);
  const arrivals: Array<number | undefined> = new Array(records.length);
  let complete = true;
  for (let i = 0; i < records.length; i++) {
    const r = loose(records[i]);
    const arrival = arrivalMs(r?.approximateArrivalTimestamp, 1);
    inputs[i] = input(idOf(r?.recordId), r?.data, arrival);
    arrivals[i] = arrival;
    if (arrival === undefined) complete = false;
  }
  if (!complete) fillArrivals(inputs, arrivals, nowMs);
  return { wellFormed: true, inputs, ...about };
}

/** What a record id may be in an archive object name: Kinesis sequence numbers are digits. */
const NAME_SAFE_ID = /^[0-9A-Za-z.=-]{1,128}$/;

/**
 * A record id as it may appear in an archive key and in object metadata: itself when it is a plain id (every
 * real sequence number), else `x` + a hash of it — an id with `/`, `_`, non-ASCII or 10 KB of text would break
 * the key layout, exceed S3's 1,024-byte key or be refused as metadata, and the batch would fail forever.
 */
function nameSafeId(id: string): string {
  return NAME_SAFE_ID.test(id) ? id : `x${sha256Hex(id).slice(0, 31)}`;
}

/** The ids of a batch for naming it: the first and last made {@link nameSafeId}, the others as they are. */
export function nameSafeIds(ids: readonly string[]): readonly string[] {
  const n = ids.length;
  if (n === 0) return ids;
  const first = ids[0] as string;
  const last = ids[n - 1] as string;
  const safeFirst = nameSafeId(first);
  const safeLast = nameSafeId(last);
  if (safeFirst === first && safeLast === last) return ids;
  const copy = ids.slice();
  copy[0] = safeFirst;
  copy[n - 1] = safeLast;
  return copy;
}
