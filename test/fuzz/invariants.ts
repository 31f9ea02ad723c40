import { isUtf8 } from 'node:buffer';
import type {
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
  KinesisStreamBatchResponse,
} from 'aws-lambda';
import type { ArchiveObject } from '../../src/sinks/ports';
import { type GlueTable, glueTable, glueViolations } from '../helpers/glue';
import { clip, show } from '../helpers/show';
import type { BatchCase } from './envelopes';
import { FUZZ_APPS, type LogEntry } from './fuzzRuntime';
import { type Leak, leaksInText, leaksInValue } from './personalData';

/**
 * The invariants of the fuzz suite, as functions from what a batch processor was given and what it did to
 * the list of everything wrong with it. Each violation names the record (its index in the batch) and the
 * field, so that a failure reads without a debugger.
 */

/** The invariants, each asserted by a test of its own. */
export type Invariant =
  | 'no-throw'
  | 'one-outcome'
  | 'raw-archive'
  | 'firehose-response'
  | 'times'
  | 'glue'
  | 'archive-objects'
  | 'app-metadata'
  | 'personal-data';

export interface Violation {
  invariant: Invariant;
  /** Index of the record in the batch, when the violation is about one record. */
  record?: number;
  message: string;
}

type Found = Omit<Violation, 'record'>;

/** What a processor produced, read back from the in-memory (or local) sinks. */
export interface Outputs {
  objects: readonly ArchiveObject[];
  alerts: readonly unknown[];
  logs: readonly LogEntry[];
}

/**
 * A poison reason: a stable snake_case word (README, Troubleshooting: `invalid_base64`, `invalid_utf8`,
 * `invalid_json`, `not_an_object`, `missing_event_type`, `empty_record`, `normalize_failed`; a new one may be
 * added, so the word is checked, not the list).
 */
const POISON_REASON = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

const FIREHOSE_RESULTS = new Set(['Ok', 'Dropped', 'ProcessingFailed']);
const RESPONSE_LIMIT_BYTES = 6_000_000;

const FIREHOSE_TABLE = glueTable('messaging_events');
const ARCHIVE_TABLE = glueTable('messaging_events_archive');
const SOURCES = FIREHOSE_TABLE.enums.get('source') ?? [];
const FAMILIES = FIREHOSE_TABLE.enums.get('family') ?? [];

// ---------------------------------------------------------------------------------------------------------
// Times and partitions.

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Why a `*_time` value is not `YYYY-MM-DDTHH:MM:SS.mmmZ` parsing back to itself, or undefined. */
export function isoViolation(value: unknown): string | undefined {
  if (typeof value !== 'string') return `${show(value)} is not a string`;
  if (!ISO_MS.test(value)) return `${show(value)} is not YYYY-MM-DDTHH:MM:SS.mmmZ`;
  const t = Date.parse(value);
  if (!Number.isFinite(t) || new Date(t).toISOString() !== value) {
    return `${show(value)} does not parse back to itself`;
  }
  return undefined;
}

/** Maps whose keys come from the data (an attribute may well be called `delivery_time`): not walked. */
const DATA_MAPS = new Set(['attributes', 'metrics', 'tags', 'event_types']);

/** Every `*_time` key of a record or alert, and of the objects inside it (alert samples), maps excepted. */
export function timeViolations(value: unknown, where: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown, path: string, depth: number) => {
    if (depth > 20 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        walk(x, `${path}[${i}]`, depth + 1);
      });
      return;
    }
    for (const [k, x] of Object.entries(v)) {
      if (DATA_MAPS.has(k)) continue;
      if (k.endsWith('_time')) {
        const bad = isoViolation(x);
        if (bad !== undefined) out.push(`${path}.${k}: ${bad}`);
      }
      walk(x, `${path}.${k}`, depth + 1);
    }
  };
  walk(value, where, 0);
  return out;
}

export function dtViolation(dt: unknown): string | undefined {
  if (typeof dt !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(dt)) return `dt ${show(dt)} is not YYYY-MM-DD`;
  const t = Date.parse(`${dt}T00:00:00.000Z`);
  if (!Number.isFinite(t) || new Date(t).toISOString().slice(0, 10) !== dt)
    return `dt ${show(dt)} is not a date`;
  return undefined;
}

export function hourViolation(hour: unknown): string | undefined {
  return typeof hour === 'string' && /^(?:[01]\d|2[0-3])$/.test(hour)
    ? undefined
    : `hour ${show(hour)} is not 00–23`;
}

// ---------------------------------------------------------------------------------------------------------
// Normalized rows.

/** Everything wrong with one normalized row: Glue types, times, partitions, vocabularies, app metadata. */
export function rowViolations(row: unknown, table: GlueTable): Found[] {
  const out: Found[] = glueViolations(row, table).map((message) => ({ invariant: 'glue', message }));
  if (row === null || typeof row !== 'object' || Array.isArray(row)) return out;
  const r = row as Record<string, unknown>;
  const times = (message: string) => out.push({ invariant: 'times', message });
  const glue = (message: string) => out.push({ invariant: 'glue', message });
  for (const m of timeViolations(r, 'row')) times(m);
  if (r.schema_version !== 1) glue(`schema_version ${show(r.schema_version)} is not 1`);
  if (typeof r.event_id !== 'string' || !/^[0-9a-f]{32}$/.test(r.event_id)) {
    glue(`event_id ${show(r.event_id)} is not 32 lower-case hex characters`);
  }
  if (!SOURCES.includes(r.source as string))
    glue(`source ${show(r.source)} is not one of ${SOURCES.join(', ')}`);
  if (!FAMILIES.includes(r.family as string))
    glue(`family ${show(r.family)} is not one of ${FAMILIES.join(', ')}`);
  const dt = dtViolation(r.dt);
  const hour = hourViolation(r.hour);
  if (dt !== undefined) times(dt);
  if (hour !== undefined) times(hour);
  if (dt === undefined && hour === undefined && isoViolation(r.arrival_time) === undefined) {
    const arrival = r.arrival_time as string;
    if (arrival.slice(0, 10) !== r.dt || arrival.slice(11, 13) !== r.hour) {
      times(`dt/hour ${String(r.dt)}/${String(r.hour)} are not those of arrival_time ${arrival}`);
    }
  }
  const appId = r.app_id;
  const app = typeof appId === 'string' && Object.hasOwn(FUZZ_APPS, appId) ? FUZZ_APPS[appId] : undefined;
  for (const [field, key] of [
    ['app_name', 'name'],
    ['app_environment', 'environment'],
    ['app_owner', 'owner'],
  ] as const) {
    const expected = app?.[key];
    if (r[field] !== expected) {
      out.push({
        invariant: 'app-metadata',
        message: `${field} ${show(r[field])} for app_id ${show(appId)}: APP_METADATA says ${expected === undefined ? 'nothing' : show(expected)}`,
      });
    }
  }
  return out;
}

/** One output line: one JSON object, exactly one trailing `\n`. Returns the row or what is wrong. */
export function parseLine(text: string): { row?: unknown; error?: string } {
  if (!text.endsWith('\n')) return { error: `line does not end in \\n: ${show(text.slice(-40))}` };
  const body = text.slice(0, -1);
  if (body.includes('\n')) return { error: `line holds ${body.split('\n').length} lines` };
  if (body.endsWith('\r')) return { error: 'line ends in \\r\\n' };
  try {
    const row = JSON.parse(body);
    if (row === null || typeof row !== 'object' || Array.isArray(row))
      return { error: 'line is not a JSON object' };
    return { row };
  } catch (err) {
    return { error: `line is not JSON: ${(err as Error).message}` };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Archive objects.

const KEY =
  /^(raw|normalized|quarantine|rollups|analytics)\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/(kinesis|firehose)\/[A-Za-z0-9._=-]+\/[A-Za-z0-9._=-]+\.jsonl\.gz$/;

/**
 * Keys S3 can take and that stay inside their prefix (≤ 1,024 bytes, no `.`/`..` segment), metadata S3 can
 * carry (printable ASCII, 2 KB in all), normalized rows filed under their own dt/hour.
 */
export function objectViolations(objects: readonly ArchiveObject[]): string[] {
  const out: string[] = [];
  for (const o of objects) {
    if (typeof o.key !== 'string') {
      out.push(`archive key ${show(o.key)} is not a string`);
      continue;
    }
    const segments = o.key.split('/');
    if (!KEY.test(o.key) || segments.some((s) => s === '.' || s === '..')) {
      out.push(
        `archive key ${show(o.key)} is not <zone>/dt=…/hour=…/<origin>/<stream>/<name>.jsonl.gz with safe names`,
      );
    }
    const keyBytes = Buffer.byteLength(o.key, 'utf8');
    if (keyBytes > 1024) out.push(`archive key is ${keyBytes} bytes (S3 allows 1,024)`);
    let size = 0;
    for (const [k, v] of Object.entries(o.metadata as Record<string, unknown>)) {
      if (typeof v !== 'string') {
        out.push(`metadata ${k} of ${clip(o.key, 60)} is ${show(v)}, not a string`);
        continue;
      }
      size += Buffer.byteLength(k) + Buffer.byteLength(v);
      if (!/^[\x20-\x7e]*$/.test(v))
        out.push(`metadata ${k} of ${clip(o.key, 60)} is not printable ASCII: ${show(v)}`);
    }
    if (size > 2048) out.push(`metadata of ${clip(o.key, 60)} is ${size} bytes (S3 allows 2 KB)`);
    if (o.zone === 'rollups') {
      const m = /\/dt=([^/]+)\/hour=([^/]+)\//.exec(o.key);
      for (const line of o.lines) {
        const start = (parseLine(line).row as { window_start?: unknown } | undefined)?.window_start;
        if (typeof start === 'string' && m !== null && !start.startsWith(`${m[1]}T${m[2]}:`)) {
          out.push(`rollup row of window ${start} filed under dt=${m[1]}/hour=${m[2]}`);
          break;
        }
      }
    }
    if (o.zone === 'analytics') {
      const m = /\/dt=([^/]+)\/hour=([^/]+)\//.exec(o.key);
      for (const line of o.lines) {
        const r = parseLine(line).row as { hour?: unknown } | undefined;
        if (r !== undefined && m !== null && r.hour !== `${m[1]}T${m[2]}:00:00.000Z`) {
          out.push(`analytics row of hour ${show(r.hour)} filed under dt=${m[1]}/hour=${m[2]}`);
          break;
        }
        // What the analytics Glue table reads (its `hour` is the partition): a value outside its column's type
        // fails every query over the partition.
        const { hour: _hour, ...data } = (r ?? {}) as Record<string, unknown>;
        const problems = glueViolations(data, glueTable('analytics'));
        if (problems.length > 0) {
          out.push(`analytics row does not conform to the Glue table: ${problems.join('; ')}`);
          break;
        }
      }
    }
    if (o.zone === 'normalized') {
      const m = /\/dt=([^/]+)\/hour=([^/]+)\//.exec(o.key);
      for (const line of o.lines) {
        const r = parseLine(line).row as { dt?: unknown; hour?: unknown } | undefined;
        if (r !== undefined && m !== null && (r.dt !== m[1] || r.hour !== m[2])) {
          out.push(`normalized row of ${String(r.dt)}/${String(r.hour)} filed under dt=${m[1]}/hour=${m[2]}`);
          break;
        }
      }
    }
  }
  return out;
}

interface ArchivedLine {
  id?: unknown;
  partition_key?: unknown;
  approximate_arrival_ms?: unknown;
  data?: unknown;
  data_base64?: unknown;
  reason?: unknown;
  detail?: unknown;
}

/** Does a raw or quarantine line give back exactly the record's `data`? */
function recovers(line: ArchivedLine, data: unknown): boolean {
  if (typeof data !== 'string') return true;
  if (typeof line.data === 'string')
    return Buffer.from(line.data, 'utf8').equals(Buffer.from(data, 'base64'));
  return line.data_base64 === data;
}

/**
 * How surely a line is the record's: -1 not at all; otherwise one point for each of id and bytes the record
 * has (as strings) and the line matches. Records whose envelope lacks both match any line, weakest.
 */
function fitScore(line: ArchivedLine, batch: BatchCase, i: number): number {
  const id = batch.ids[i];
  const data = batch.datas[i];
  if (typeof id === 'string' && line.id !== id) return -1;
  if (!recovers(line, data)) return -1;
  return (typeof id === 'string' ? 1 : 0) + (typeof data === 'string' ? 1 : 0);
}

/** The record a line belongs to: the surest fit, a record not matched yet first. */
function bestFit(line: ArchivedLine, batch: BatchCase, counts: readonly number[]): number {
  let best = -1;
  let bestScore = -1;
  for (let i = 0; i < counts.length; i++) {
    const score = fitScore(line, batch, i);
    if (score < 0) continue;
    const ranked = score * 2 + (counts[i] === 0 ? 1 : 0);
    if (ranked > bestScore) {
      best = i;
      bestScore = ranked;
    }
  }
  return best;
}

/**
 * Matches archived lines (raw or quarantine) to the records they keep: each line to a record whose id it
 * carries and whose bytes it gives back exactly. Returns, per record, how many lines matched it.
 */
function matchLines(
  lines: readonly string[],
  batch: BatchCase,
  zone: 'raw' | 'quarantine',
  v: Violation[],
): number[] {
  const invariant: Invariant = zone === 'raw' ? 'raw-archive' : 'one-outcome';
  const counts = batch.ids.map(() => 0);
  for (const text of lines) {
    const { row, error } = parseLine(text);
    if (error !== undefined) {
      v.push({ invariant, message: `${zone} line ${show(text.slice(0, 80))}: ${error}` });
      continue;
    }
    const line = row as ArchivedLine;
    const match = bestFit(line, batch, counts);
    if (match === -1) {
      v.push({
        invariant,
        message: `${zone} line for id ${show(line.id)} gives back no record of the batch byte for byte (data ${show(line.data ?? line.data_base64)})`,
      });
      continue;
    }
    counts[match] = (counts[match] as number) + 1;
    const bad = (message: string) => v.push({ invariant, record: match, message });
    if (zone === 'quarantine') {
      if (typeof line.reason !== 'string' || !POISON_REASON.test(line.reason)) {
        bad(`quarantine reason ${show(line.reason)} is not a poison reason (a snake_case word)`);
      }
      if (typeof line.detail !== 'string' || line.detail.length === 0) bad('quarantine line has no detail');
      else if (/call stack|stack size/i.test(line.detail))
        bad(`quarantine detail is a stack overflow: ${show(line.detail)}`);
    }
    if (typeof line.approximate_arrival_ms !== 'number' || !Number.isFinite(line.approximate_arrival_ms)) {
      bad(`${zone} line approximate_arrival_ms ${show(line.approximate_arrival_ms)} is not a finite number`);
    }
    const pk = batch.partitionKeys[match];
    if (typeof pk === 'string' && line.partition_key !== pk) {
      bad(`${zone} line partition_key ${show(line.partition_key)} is not ${show(pk)}`);
    }
  }
  return counts;
}

function linesOf(objects: readonly ArchiveObject[], zone: string): string[] {
  return objects.filter((o) => o.zone === zone).flatMap((o) => [...o.lines]);
}

/** The raw archive holds every record exactly once, byte for byte recoverable. */
function rawViolations(objects: readonly ArchiveObject[], batch: BatchCase, v: Violation[]): void {
  const lines = linesOf(objects, 'raw');
  if (lines.length !== batch.ids.length) {
    v.push({
      invariant: 'raw-archive',
      message: `raw archive holds ${lines.length} lines for ${batch.ids.length} records`,
    });
  }
  matchLines(lines, batch, 'raw', v).forEach((n, i) => {
    if (n !== 1)
      v.push({ invariant: 'raw-archive', record: i, message: `raw archive holds this record ${n} times` });
  });
}

function objectsViolations(objects: readonly ArchiveObject[], v: Violation[]): void {
  for (const message of objectViolations(objects)) v.push({ invariant: 'archive-objects', message });
}

function alertViolations(alerts: readonly unknown[], v: Violation[]): void {
  alerts.forEach((a, i) => {
    for (const message of timeViolations(a, `alert[${i}]`)) v.push({ invariant: 'times', message });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Record-level expectations shared by both paths.

type Fate = 'normalized' | 'dropped' | 'quarantined' | 'failed-for-size';

function expectationViolations(
  batch: BatchCase,
  i: number,
  fate: Fate,
  row: Record<string, unknown> | undefined,
  v: Violation[],
): void {
  const rec = batch.records[i];
  const oracle = batch.oracles[i];
  if (rec === undefined || oracle === undefined) return;
  const bad = (message: string) => v.push({ invariant: 'one-outcome', record: i, message });
  if (rec.expect === 'poison' && fate !== 'quarantined') bad(`must be quarantined (poison), was ${fate}`);
  // A record failed to keep the Firehose response under 6 MB was not refused: only the quarantine is.
  if (rec.expect === 'ok' && fate === 'quarantined') bad('must be normalized, was quarantined');
  if (fate === 'normalized' && oracle.dropped)
    bad(`normalized, but rule fuzz-drop matches its event type ${show(oracle.eventType)}`);
  if (fate === 'dropped' && !oracle.dropped)
    bad(`dropped, but no drop rule matches its event type ${show(oracle.eventType)}`);
  if (fate === 'normalized' && row !== undefined) {
    if (oracle.eventId === undefined) bad('normalized, but its data is not text');
    else if (row.event_id !== oracle.eventId)
      bad(`event_id ${show(row.event_id)} is not ${oracle.eventId} (docs/schema.md §1)`);
    if (rec.source !== undefined && row.source !== rec.source)
      bad(`source ${show(row.source)} is not ${rec.source}`);
    if (rec.eventType !== undefined && row.event_type !== rec.eventType) {
      bad(`event_type ${show(row.event_type)} is not ${show(rec.eventType)}`);
    }
  }
}

function rowsViolations(
  row: Record<string, unknown>,
  table: GlueTable,
  record: number | undefined,
  prefix: string,
  v: Violation[],
): void {
  for (const f of rowViolations(row, table)) v.push({ ...f, record, message: `${prefix} ${f.message}` });
}

// ---------------------------------------------------------------------------------------------------------
// Kinesis.

export function kinesisViolations(
  batch: BatchCase,
  res: KinesisStreamBatchResponse | undefined,
  error: unknown,
  outputs: Outputs,
): Violation[] {
  if (error !== undefined)
    return [{ invariant: 'no-throw', message: `processKinesisBatch threw ${errorText(error)}` }];
  const v: Violation[] = [];
  if (res === undefined || !Array.isArray(res.batchItemFailures)) {
    return [{ invariant: 'one-outcome', message: `response ${show(res)} has no batchItemFailures array` }];
  }
  if (res.batchItemFailures.length > 0) {
    v.push({
      invariant: 'one-outcome',
      message: `batchItemFailures is not empty while every sink works: ${show(res.batchItemFailures.slice(0, 5))}`,
    });
  }
  objectsViolations(outputs.objects, v);
  rawViolations(outputs.objects, batch, v);
  const quarantine = matchLines(linesOf(outputs.objects, 'quarantine'), batch, 'quarantine', v);

  // Normalized lines, identified by their event id (deterministic, docs/schema.md §1).
  const normalized = new Map<string, Array<Record<string, unknown>>>();
  for (const line of linesOf(outputs.objects, 'normalized')) {
    const { row, error: e } = parseLine(line);
    if (e !== undefined) {
      v.push({ invariant: 'one-outcome', message: `normalized line ${show(line.slice(0, 80))}: ${e}` });
      continue;
    }
    const r = row as Record<string, unknown>;
    const id = String(r.event_id);
    rowsViolations(r, ARCHIVE_TABLE, recordOfId(batch, id), 'normalized', v);
    normalized.set(id, [...(normalized.get(id) ?? []), r]);
  }

  // Conservation: every record once, as exactly one of quarantined, normalized (by event id) or dropped.
  const expected = new Map<string, number[]>();
  batch.ids.forEach((_, i) => {
    const q = quarantine[i] as number;
    const oracle = batch.oracles[i];
    if (q > 1) v.push({ invariant: 'one-outcome', record: i, message: `quarantined ${q} times` });
    if (q >= 1) expectationViolations(batch, i, 'quarantined', undefined, v);
    else if (oracle?.dropped === true) expectationViolations(batch, i, 'dropped', undefined, v);
    else if (oracle?.eventId === undefined) {
      v.push({
        invariant: 'one-outcome',
        record: i,
        message: 'neither quarantined nor dropped, yet its data is not text that could be normalized',
      });
    } else expected.set(oracle.eventId, [...(expected.get(oracle.eventId) ?? []), i]);
  });
  for (const [id, records] of expected) {
    const rows = normalized.get(id) ?? [];
    if (rows.length !== records.length) {
      v.push({
        invariant: 'one-outcome',
        record: records[0],
        message: `${records.length} record(s) [${records.join(', ')}] with event id ${id} are neither quarantined nor dropped, but ${rows.length} normalized line(s) carry it`,
      });
    }
    for (const i of records) expectationViolations(batch, i, 'normalized', rows[0], v);
  }
  for (const [id, rows] of normalized) {
    if (expected.has(id)) continue;
    const i = recordOfId(batch, id);
    v.push({
      invariant: 'one-outcome',
      record: i,
      message: `${rows.length} normalized line(s) with event id ${id} belong to no record that should be normalized${i === undefined ? '' : ' (this record is quarantined or dropped)'}`,
    });
  }
  alertViolations(outputs.alerts, v);
  return v;
}

function recordOfId(batch: BatchCase, eventId: string): number | undefined {
  const i = batch.oracles.findIndex((o) => o.eventId === eventId);
  return i === -1 ? undefined : i;
}

// ---------------------------------------------------------------------------------------------------------
// Firehose.

function strictBase64(s: string): boolean {
  return s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s);
}

export interface FirehoseCheckOptions {
  /** Records may come back ProcessingFailed without being poison, to keep the response under 6 MB. */
  sizePressure?: boolean;
  /** The raw zone is written (FIREHOSE_ARCHIVE_RAW). */
  rawArchive: boolean;
}

export function firehoseViolations(
  batch: BatchCase,
  res: FirehoseTransformationResult | undefined,
  error: unknown,
  outputs: Outputs,
  options: FirehoseCheckOptions,
): Violation[] {
  if (error !== undefined)
    return [{ invariant: 'no-throw', message: `processFirehoseBatch threw ${errorText(error)}` }];
  if (res === undefined || !Array.isArray(res.records)) {
    return [{ invariant: 'firehose-response', message: `response ${show(res)} has no records array` }];
  }
  const v: Violation[] = [];
  const response = (message: string, record?: number) =>
    v.push({ invariant: 'firehose-response', record, message });
  let bytes = 0;
  try {
    bytes = Buffer.byteLength(JSON.stringify(res), 'utf8');
  } catch (err) {
    response(`response does not serialize: ${errorText(err)}`);
  }
  if (bytes > RESPONSE_LIMIT_BYTES) response(`response is ${bytes} bytes, over ${RESPONSE_LIMIT_BYTES}`);
  const n = batch.ids.length;
  if (res.records.length !== n) {
    v.push({
      invariant: 'one-outcome',
      message: `response has ${res.records.length} records for ${n} input records`,
    });
  }
  objectsViolations(outputs.objects, v);
  if (options.rawArchive) rawViolations(outputs.objects, batch, v);
  const quarantine = matchLines(linesOf(outputs.objects, 'quarantine'), batch, 'quarantine', v);

  for (let i = 0; i < Math.min(n, res.records.length); i++) {
    const r = res.records[i] as FirehoseTransformationResultRecord;
    const outcome = (message: string) => v.push({ invariant: 'one-outcome', record: i, message });
    const id = batch.ids[i];
    if (typeof id === 'string' && r.recordId !== id) {
      outcome(
        `response record ${i} has recordId ${show(r.recordId)}, not ${show(id)} (order or identity lost)`,
      );
    }
    if (!FIREHOSE_RESULTS.has(r.result)) {
      outcome(`result ${show(r.result)} is not Ok, Dropped or ProcessingFailed`);
      continue;
    }
    const q = quarantine[i] as number;
    if (q > 1) outcome(`quarantined ${q} times`);
    if (r.result !== 'ProcessingFailed' && q > 0) outcome(`${r.result}, yet also quarantined`);
    if (r.result === 'Ok') {
      const row = okRecordViolations(r, i, v);
      expectationViolations(batch, i, 'normalized', row, v);
    } else if (r.result === 'Dropped') {
      expectationViolations(batch, i, 'dropped', undefined, v);
    } else {
      const data = batch.datas[i];
      if (typeof data === 'string' ? r.data !== data : typeof r.data !== 'string') {
        response(`ProcessingFailed data ${show(r.data)} is not the original data ${show(data)}`, i);
      }
      if (q === 0 && options.sizePressure !== true) outcome('ProcessingFailed, but not in the quarantine');
      expectationViolations(batch, i, q > 0 ? 'quarantined' : 'failed-for-size', undefined, v);
    }
  }
  alertViolations(outputs.alerts, v);
  return v;
}

/** An `Ok` record: base64 of one UTF-8 JSON line ending in one `\n`, with valid partition keys. */
function okRecordViolations(
  r: FirehoseTransformationResultRecord,
  i: number,
  v: Violation[],
): Record<string, unknown> | undefined {
  const response = (message: string) => v.push({ invariant: 'firehose-response', record: i, message });
  if (typeof r.data !== 'string' || !strictBase64(r.data)) {
    response(`Ok data ${show(r.data)} is not base64`);
    return undefined;
  }
  const bytes = Buffer.from(r.data, 'base64');
  if (!isUtf8(bytes)) {
    response('Ok data is not UTF-8');
    return undefined;
  }
  const { row, error } = parseLine(bytes.toString('utf8'));
  if (error !== undefined) {
    response(`Ok data: ${error}`);
    return undefined;
  }
  const rec = row as Record<string, unknown>;
  rowsViolations(rec, FIREHOSE_TABLE, i, 'Ok', v);
  const keys = r.metadata?.partitionKeys as Record<string, unknown> | undefined;
  if (keys === undefined || keys === null) {
    response('Ok record has no metadata.partitionKeys');
    return rec;
  }
  const names = Object.keys(keys).sort();
  if (names.join(',') !== 'dt,family,hour,source')
    response(`partitionKeys are {${names.join(', ')}}, not {source, family, dt, hour}`);
  if (!SOURCES.includes(keys.source as string))
    response(`partitionKeys.source ${show(keys.source)} is not a projected source`);
  if (!FAMILIES.includes(keys.family as string))
    response(`partitionKeys.family ${show(keys.family)} is not a projected family`);
  const dt = dtViolation(keys.dt);
  const hour = hourViolation(keys.hour);
  if (dt !== undefined) response(`partitionKeys.${dt}`);
  if (hour !== undefined) response(`partitionKeys.${hour}`);
  for (const k of ['source', 'family', 'dt', 'hour']) {
    if (keys[k] !== rec[k])
      response(`partitionKeys.${k} ${show(keys[k])} is not the record's ${show(rec[k])}`);
  }
  return rec;
}

// ---------------------------------------------------------------------------------------------------------
// Personal data in the outputs.

/** One public output, and the records it comes from when that is known (else: the whole batch). */
export interface PublicOutput {
  at: string;
  value: unknown;
  records?: readonly number[];
}

/**
 * Every output except the raw archive and the quarantine (which keep records as received), for a leak
 * search: normalized lines (with the records of their event id), Firehose `Ok` records, archive keys and
 * metadata, alerts and log entries.
 */
export function publicOutputs(
  batch: BatchCase,
  outputs: Outputs,
  firehose: FirehoseTransformationResult | undefined,
): PublicOutput[] {
  const items: PublicOutput[] = [];
  for (const o of outputs.objects) {
    if (o.zone === 'raw' || o.zone === 'quarantine') continue;
    items.push({ at: 'archive key', value: o.key }, { at: `metadata of ${o.key}`, value: o.metadata });
    o.lines.forEach((line, i) => {
      const row = parseLine(line).row as { event_id?: unknown } | undefined;
      const records = batch.oracles.flatMap((oracle, r) => (oracle.eventId === row?.event_id ? [r] : []));
      items.push({ at: `${o.zone} line ${i}`, value: row ?? line, ...(records.length > 0 && { records }) });
    });
  }
  firehose?.records.forEach((r, i) => {
    if (r.result !== 'Ok' || typeof r.data !== 'string') return;
    const text = Buffer.from(r.data, 'base64').toString('utf8');
    items.push({ at: `firehose Ok record ${i}`, value: parseLine(text).row ?? text, records: [i] });
    items.push({ at: `firehose record ${i} metadata`, value: r.metadata, records: [i] });
  });
  outputs.alerts.forEach((a, i) => {
    items.push({ at: `alert ${i}`, value: a });
  });
  outputs.logs.forEach((l, i) => {
    items.push({ at: `log ${i} (${l.level} "${l.message}")`, value: l });
  });
  return items;
}

/** Every planted value found in a public output, with the record it was planted in and where it came out. */
export function leakViolations(batch: BatchCase, items: readonly PublicOutput[]): Violation[] {
  const planted = batch.records.flatMap((r, record) => r.planted.map((p) => ({ record, planted: p })));
  const recordOf = new Map(planted.map((p) => [p.planted, p.record]));
  const v: Violation[] = [];
  for (const item of items) {
    const from = item.records;
    const candidates = planted
      .filter((p) => from === undefined || from.includes(p.record))
      .map((p) => p.planted);
    if (candidates.length === 0) continue;
    const leaks: Leak[] =
      typeof item.value === 'string'
        ? leaksInText(item.value, candidates, item.at)
        : leaksInValue(item.value, candidates, item.at);
    for (const leak of leaks) {
      const record = recordOf.get(leak.planted);
      // The same value planted in another record of the batch may be the one that came out.
      const also = planted.filter((p) => p.record !== record && p.planted.needles.includes(leak.needle));
      v.push({
        invariant: 'personal-data',
        record,
        message:
          `planted ${leak.planted.kind} ${show(leak.planted.value)} (at ${leak.planted.where}) leaks as ${show(leak.needle)} in ${leak.at}` +
          (also.length > 0
            ? ` (also planted in record(s) ${also.map((p) => `#${p.record}`).join(', ')})`
            : ''),
      });
    }
  }
  return v;
}

// ---------------------------------------------------------------------------------------------------------

/** An error's name and message (Node's own errors come from another realm under jest: no `instanceof`). */
export function errorText(err: unknown): string {
  if (err !== null && typeof err === 'object' && 'message' in err) {
    const e = err as { name?: unknown; message: unknown };
    return `${String(e.name ?? 'Error')}: ${clip(String(e.message), 300)}`;
  }
  return show(err);
}
