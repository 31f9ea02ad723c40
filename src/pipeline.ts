import { type DecodeResult, decodeBytes, decodeData } from './decode';
import { type AppMetadataMap, enrich } from './enrich';
import { describeError, type PoisonReason, PoisonRecordError } from './errors';
import { eventIdOf } from './eventId';
import { normalizeEvent } from './normalize';
import { type PiiMode, PiiProtector } from './pii';
import type { CompiledRule } from './rules/compileRules';
import { routeRecord } from './rules/route';
import type { Channel, Family, NormalizedRecord, Outcome, Source } from './schema';

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
  /** Absent when the event has none (app events, most custom events). */
  readonly channel?: Channel;
  readonly outcome: Outcome;
  readonly dt: string;
  readonly hour: string;
  /** The SES / End User Messaging configuration set, when the record names one (the per-set metrics). */
  readonly configurationSet?: string;
}

/** The alert rules a record matched, with the record itself: what the alert's samples are read from. */
export interface AlertMatch {
  readonly record: NormalizedRecord;
  /** In rule order; never empty. */
  readonly rules: readonly CompiledRule[];
}

/**
 * A normalized record. The record object itself is let go as soon as its line is written, unless an alert
 * rule matched it (`alert` holds it) or the caller asked for records ({@link KeptOkOutcome}): 3,000 records
 * held to the end of a 6 MB batch made the garbage collector copy them (measured: 12% of the Firehose
 * handler's time). The shape says what it holds: there is no record to ask for unless the type has one.
 */
export interface OkOutcome {
  kind: 'ok';
  keys: RecordKeys;
  /** The record as one JSON line ending in exactly one `\n` — in base64 when `encoding` says so. */
  line: string;
  encoding: LineEncoding;
  dropped: boolean;
  /** Set when alert rules matched the record; absent for the (many) records that match none. */
  alert?: AlertMatch;
}

/** The outcome of a normalized record the caller asked to keep (`keepRecords`: the CLI prints and tallies). */
export interface KeptOkOutcome extends OkOutcome {
  record: NormalizedRecord;
}

/** A record that is not an event: quarantined, never retried. */
export interface PoisonOutcome {
  kind: 'poison';
  reason: PoisonReason;
  detail: string;
}

/**
 * A record the code failed on — a normalizer that threw something other than a PoisonRecordError (a TypeError,
 * a bug): the record may be fine. Quarantined like poison so that the batch goes on and the record can be
 * replayed once the bug is fixed, but counted apart (`InternalErrors`, alarmed on) rather than as poison.
 */
export interface InternalErrorOutcome {
  kind: 'internal_error';
  reason: 'internal_error';
  detail: string;
}

/** What the quarantine keeps, and why: a stable word, in quarantine lines and metrics. */
export type QuarantineReason = PoisonReason | 'internal_error';

export type QuarantinedOutcome = PoisonOutcome | InternalErrorOutcome;

export type RecordOutcome<O extends OkOutcome = OkOutcome> = O | QuarantinedOutcome;

export interface ProcessedRecord<O extends OkOutcome = OkOutcome> {
  input: InputRecord;
  /**
   * The record's bytes as UTF-8 text, exactly as received — what the raw archive and the quarantine keep.
   * Kept for quarantined records always, for the others only when asked (`keepRaw`); undefined when the bytes
   * are not UTF-8 (the archive then keeps the base64 as received).
   */
  raw?: string;
  outcome: RecordOutcome<O>;
}

/** `text`: the JSON line itself; `base64`: the line as Firehose's response `data` wants it. */
export type LineEncoding = 'text' | 'base64';

export interface PipelineOptions {
  /** Keep every record's text for the raw archive (the Kinesis path). */
  keepRaw?: boolean;
  /** Keep every normalized record in its outcome ({@link KeptOkOutcome}), not only those that matched an alert rule. */
  keepRecords?: boolean;
  /** How each line is written (default `text`); Firehose asks for `base64` so that the line is not held twice. */
  encoding?: LineEncoding;
  /**
   * Called with each normalized record — dropped ones too — once it is routed and its personal data is
   * protected (as it is archived), in batch order, before the record is let go, with its input and the input's
   * index: the handlers tally rate counts and rollups here without holding the batch's records. Not called for
   * quarantined records, nor for the records after a stop (`shouldStop`).
   */
  onRecord?: (record: NormalizedRecord, input: InputRecord, index: number) => void;
  /**
   * Asked between records (never before the first, so every call makes progress): when it answers true the
   * pipeline stops there and returns the outcomes of the records before. The handlers pass their deadline.
   */
  shouldStop?: () => boolean;
}

/**
 * The pure core: decode → normalize → enrich → route → protect → serialize, for each record of a batch, in
 * order. Personal data is protected (PiiProtector) after routing — the rules see the record as the event wrote
 * it — and before anything is written: the serialized line, the alert samples and `onRecord` all get the
 * protected record. Every input gets exactly one outcome — or, when `shouldStop` ends the run early, every
 * input of the returned prefix does; the rest are untouched. Nothing here does I/O or reads the clock
 * (`shouldStop` may).
 */
export function runPipeline(
  inputs: readonly InputRecord[],
  settings: PipelineSettings,
  options: PipelineOptions & { keepRecords: true },
): ProcessedRecord<KeptOkOutcome>[];
export function runPipeline(
  inputs: readonly InputRecord[],
  settings: PipelineSettings,
  options?: PipelineOptions,
): ProcessedRecord[];
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
    onRecord: options.onRecord,
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
    const outcome = processDecoded(decoded, input, i, settings, pii, output);
    // The parsed event and the decoded bytes are not kept: a 6 MB batch of parsed events surviving until the
    // end of the batch doubled the garbage collector's work (measured: GC 23% of the Firehose handler's time).
    const raw = outcome.kind !== 'ok' || keepRaw ? decoded.raw : undefined;
    out[i] = raw === undefined ? { input, outcome } : { input, raw, outcome };
  }
  return out;
}

const NO_BYTES = Buffer.alloc(0);

interface OutputOptions {
  keepRecords: boolean;
  encoding: LineEncoding;
  onRecord?: ((record: NormalizedRecord, input: InputRecord, index: number) => void) | undefined;
}

function processDecoded(
  decoded: DecodeResult,
  input: InputRecord,
  index: number,
  settings: PipelineSettings,
  pii: PiiProtector,
  output: OutputOptions,
): RecordOutcome {
  if (!decoded.ok) return { kind: 'poison', reason: decoded.reason, detail: decoded.detail };
  try {
    const record = normalizeEvent(decoded.event, {
      // Nothing trimmed: the bytes are the text's UTF-8, and hashing them spares encoding the text again.
      eventId: eventIdOf(decoded.text.length === decoded.raw.length ? decoded.bytes : decoded.text),
      ingestMs: input.ingestMs,
      pii,
    });
    enrich(record, settings.apps);
    // Rules see the record as the event wrote it (a drop rule on `test.*@example.com`-like event types or
    // attribute values matches what the operator saw in the event); personal data is protected right after,
    // before anything is written, alerted or logged. The alert samples are read from the protected record.
    const { drop, alerts } = routeRecord(record, settings.rules);
    pii.record(record);
    const ok = okOutcome(record, drop, alerts, output);
    output.onRecord?.(record, input, index);
    return ok;
  } catch (err) {
    // Not swallowed: the record goes to the quarantine with the reason. Bad input is poison; anything else
    // thrown is a bug of ours — counted and alarmed on as an internal error, so that a bad deploy shows in
    // minutes, and never retried, so that it cannot stall a Kinesis shard.
    if (err instanceof PoisonRecordError) return { kind: 'poison', reason: err.reason, detail: err.message };
    return {
      kind: 'internal_error',
      reason: 'internal_error',
      detail: `internal error: ${describeError(err)}`,
    };
  }
}

/** The outcome of a normalized (and routed) record. Also used by the CLI for records it only re-routes. */
export function okOutcome(
  record: NormalizedRecord,
  dropped: boolean,
  alerts: readonly CompiledRule[],
  output: Partial<OutputOptions> & { keepRecords: true },
): KeptOkOutcome;
export function okOutcome(
  record: NormalizedRecord,
  dropped: boolean,
  alerts: readonly CompiledRule[],
  output?: Partial<OutputOptions>,
): OkOutcome;
export function okOutcome(
  record: NormalizedRecord,
  dropped: boolean,
  alerts: readonly CompiledRule[],
  output: Partial<OutputOptions> = {},
): OkOutcome {
  const { source, family, channel, outcome, dt, hour, configuration_set: configurationSet } = record;
  const text = `${JSON.stringify(record)}\n`;
  const encoding = output.encoding ?? 'text';
  const line = encoding === 'base64' ? Buffer.from(text, 'utf8').toString('base64') : text;
  // One object per record, in one of four shapes (no copy for the configuration set).
  const keys: RecordKeys =
    configurationSet === undefined
      ? channel === undefined
        ? { source, family, outcome, dt, hour }
        : { source, family, channel, outcome, dt, hour }
      : channel === undefined
        ? { source, family, outcome, dt, hour, configurationSet }
        : { source, family, channel, outcome, dt, hour, configurationSet };
  const ok: OkOutcome =
    alerts.length === 0
      ? { kind: 'ok', keys, line, encoding, dropped }
      : { kind: 'ok', keys, line, encoding, dropped, alert: { record, rules: alerts } };
  if (output.keepRecords !== true) return ok;
  const kept: KeptOkOutcome = { ...ok, record };
  return kept;
}

/** The JSON line of an outcome as text, whatever its encoding. */
export function lineText(outcome: OkOutcome): string {
  return outcome.encoding === 'text' ? outcome.line : Buffer.from(outcome.line, 'base64').toString('utf8');
}

/** The JSON line of an outcome in base64 (a Firehose response's `data`), whatever its encoding. */
export function lineBase64(outcome: OkOutcome): string {
  return outcome.encoding === 'base64' ? outcome.line : Buffer.from(outcome.line, 'utf8').toString('base64');
}
