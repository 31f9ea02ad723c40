import { type DecodeResult, decodeBytes, decodeData } from './decode';
import { type AppMetadataMap, enrich } from './enrich';
import { type PoisonReason, PoisonRecordError } from './errors';
import { sha256Hex } from './hash';
import { normalizeEvent } from './normalize';
import { type PiiMode, PiiProtector } from './pii';
import type { CompiledRule } from './rules/compileRules';
import { routeRecord } from './rules/route';
import type { Family, NormalizedRecord, Outcome, Source } from './schema';

/** One record as the stream handed it over. */
export interface InputRecord {
  /** Kinesis sequence number or Firehose recordId. */
  id: string;
  /** base64 as received; or the bytes themselves when replaying an archive. */
  data: string | Buffer;
  /** When the record entered the stream (approximate arrival), Unix ms. */
  ingestMs: number;
  partitionKey?: string;
  /**
   * Set when the envelope had no usable `data` (missing, null, a number…): the record is poison whatever
   * else it carries, and `data` is `''`.
   */
  invalid?: { reason: PoisonReason; detail: string };
}

/**
 * The record's `data` as the stream delivered it, in base64: what the raw archive and a `ProcessingFailed`
 * response keep of a record whose bytes are not text (replayed records hold their bytes, not base64).
 */
export function dataBase64(input: InputRecord): string {
  return typeof input.data === 'string' ? input.data : input.data.toString('base64');
}

/** What the pipeline needs, decided once at cold start. */
export interface PipelineSettings {
  readonly rules: readonly CompiledRule[];
  readonly apps: AppMetadataMap;
  readonly piiMode: PiiMode;
  readonly piiKey: Buffer;
}

/**
 * What every normalized record keeps to the end of its batch, whatever else is let go: what the summaries
 * count it under and the partition it is filed in.
 */
export interface RecordKeys {
  readonly source: Source;
  readonly family: Family;
  readonly outcome: Outcome;
  readonly dt: string;
  readonly hour: string;
}

export interface OkOutcome {
  kind: 'ok';
  keys: RecordKeys;
  /** The record as one JSON line ending in exactly one `\n` — in base64 when `encoding` says so. */
  line: string;
  encoding: LineEncoding;
  dropped: boolean;
  alerts: readonly CompiledRule[];
  /**
   * The normalized record itself: kept when an alert rule matched it (alert samples read it) or when the
   * caller asked for records (`keepRecords`). Otherwise let go as soon as its line is written: 3,000 records
   * held to the end of a 6 MB batch made the garbage collector copy them (measured: 12% of the Firehose
   * handler's time).
   */
  record?: NormalizedRecord;
}

export interface PoisonOutcome {
  kind: 'poison';
  reason: PoisonReason;
  detail: string;
}

export type RecordOutcome = OkOutcome | PoisonOutcome;

export interface ProcessedRecord {
  input: InputRecord;
  /**
   * The record's bytes as UTF-8 text, exactly as received — what the raw archive and the quarantine keep.
   * Kept for poison records always, for the others only when asked (`keepRaw`); undefined when the bytes
   * are not UTF-8 (the archive then keeps the base64 as received).
   */
  raw?: string;
  outcome: RecordOutcome;
}

/** `text`: the JSON line itself; `base64`: the line as Firehose's response `data` wants it. */
export type LineEncoding = 'text' | 'base64';

export interface PipelineOptions {
  /** Keep every record's text for the raw archive (the Kinesis path). */
  keepRaw?: boolean;
  /** Keep every normalized record in its outcome, not only those that matched an alert rule. */
  keepRecords?: boolean;
  /** How each line is written (default `text`); Firehose asks for `base64` so that the line is not held twice. */
  encoding?: LineEncoding;
  /**
   * Asked between records (never before the first, so every call makes progress): when it answers true the
   * pipeline stops there and returns the outcomes of the records before. The handlers pass their deadline.
   */
  shouldStop?: () => boolean;
}

/**
 * The pure core: decode → normalize → enrich → route → serialize, for each record of a batch, in order.
 * Every input gets exactly one outcome — or, when `shouldStop` ends the run early, every input of the returned
 * prefix does; the rest are untouched. Nothing here does I/O or reads the clock (`shouldStop` may).
 */
export function runPipeline(
  inputs: readonly InputRecord[],
  settings: PipelineSettings,
  options: PipelineOptions = {},
): ProcessedRecord[] {
  // One protector per batch: each distinct address is hashed once per batch, and the cache dies with it.
  const pii = new PiiProtector(settings.piiMode, settings.piiKey);
  const keepRaw = options.keepRaw === true;
  const output: OutputOptions = {
    keepRecords: options.keepRecords === true,
    encoding: options.encoding ?? 'text',
  };
  const shouldStop = options.shouldStop;
  const out: ProcessedRecord[] = new Array(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    if (i > 0 && shouldStop !== undefined && shouldStop()) {
      out.length = i;
      break;
    }
    const input = inputs[i] as InputRecord;
    const decoded =
      input.invalid !== undefined
        ? { ok: false as const, bytes: NO_BYTES, ...input.invalid }
        : typeof input.data === 'string'
          ? decodeData(input.data)
          : decodeBytes(input.data);
    const outcome = processDecoded(decoded, input, settings, pii, output);
    // The parsed event and the decoded bytes are not kept: a 6 MB batch of parsed events surviving until the
    // end of the batch doubled the garbage collector's work (measured: GC 23% of the Firehose handler's time).
    const raw = outcome.kind === 'poison' || keepRaw ? decoded.raw : undefined;
    out[i] = raw === undefined ? { input, outcome } : { input, raw, outcome };
  }
  return out;
}

const NO_BYTES = Buffer.alloc(0);

interface OutputOptions {
  keepRecords: boolean;
  encoding: LineEncoding;
}

function processDecoded(
  decoded: DecodeResult,
  input: InputRecord,
  settings: PipelineSettings,
  pii: PiiProtector,
  output: OutputOptions,
): RecordOutcome {
  if (!decoded.ok) return { kind: 'poison', reason: decoded.reason, detail: decoded.detail };
  let record: NormalizedRecord;
  try {
    record = normalizeEvent(decoded.event, {
      // Nothing trimmed: the bytes are the text's UTF-8, and hashing them spares encoding the text again.
      eventId: eventIdOf(decoded.text.length === decoded.raw.length ? decoded.bytes : decoded.text),
      ingestMs: input.ingestMs,
      pii,
    });
  } catch (err) {
    // Not swallowed: the record goes to the quarantine with the reason, and is counted as poison.
    if (err instanceof PoisonRecordError) return { kind: 'poison', reason: err.reason, detail: err.message };
    return {
      kind: 'poison',
      reason: 'normalize_failed',
      detail: `normalizer failed: ${(err as Error).message}`,
    };
  }
  enrich(record, settings.apps);
  // Rules see the record as the event wrote it (a drop rule on `test.*@example.com`-like event types or
  // attribute values matches what the operator saw in the event); personal data is protected right after,
  // before anything is written, alerted or logged. The alert samples are read from the protected record.
  const { drop, alerts } = routeRecord(record, settings.rules);
  pii.record(record);
  return okOutcome(record, drop, alerts, output);
}

/** The outcome of a normalized (and routed) record. Also used by the CLI for records it only re-routes. */
export function okOutcome(
  record: NormalizedRecord,
  dropped: boolean,
  alerts: readonly CompiledRule[],
  output: Partial<OutputOptions> = {},
): OkOutcome {
  const { source, family, outcome, dt, hour } = record;
  const text = `${JSON.stringify(record)}\n`;
  const encoding = output.encoding ?? 'text';
  const line = encoding === 'base64' ? Buffer.from(text, 'utf8').toString('base64') : text;
  const keys: RecordKeys = { source, family, outcome, dt, hour };
  return output.keepRecords === true || alerts.length > 0
    ? { kind: 'ok', keys, line, encoding, dropped, alerts, record }
    : { kind: 'ok', keys, line, encoding, dropped, alerts };
}

/** The normalized record of an outcome that kept it: every alert match, every record with `keepRecords`. */
export function recordOf(outcome: OkOutcome): NormalizedRecord {
  if (outcome.record === undefined) {
    throw new Error('the pipeline did not keep this record: run it with keepRecords');
  }
  return outcome.record;
}

/** The JSON line of an outcome as text, whatever its encoding. */
export function lineText(outcome: OkOutcome): string {
  return outcome.encoding === 'text' ? outcome.line : Buffer.from(outcome.line, 'base64').toString('utf8');
}

/** The JSON line of an outcome in base64 (a Firehose response's `data`), whatever its encoding. */
export function lineBase64(outcome: OkOutcome): string {
  return outcome.encoding === 'base64' ? outcome.line : Buffer.from(outcome.line, 'utf8').toString('base64');
}

/**
 * Deterministic event id: the same input bytes always give the same id, so duplicates (Pinpoint sends some
 * events many times) share one id and can be removed downstream. BOM and surrounding whitespace do not count.
 */
export function eventIdOf(text: string | Buffer): string {
  return sha256Hex(text).slice(0, 32);
}
