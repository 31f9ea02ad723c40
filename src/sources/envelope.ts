import type { JsonObject } from '../decode';
import type { NormalizedRecord } from '../schema';
import { isoFromMs, partitionOf } from '../time';
import type { NormalizeContext } from './common';
import type { SourceAdapter } from './sourceAdapter';

/** What an envelope says of the event it carries (docs/schema.md §2, "Envelopes"). */
export interface EnvelopeFacts {
  /** The delivering service's id of the event (`source_event_id`). */
  sourceEventId?: string;
  /** When the delivering service published it, Unix ms: the record's arrival time (so `dt`, `hour`). */
  arrivalMs?: number;
  /** Filled in only where the event names none. */
  accountId?: string;
  configurationSet?: string;
}

/** An envelope opened: what it says, what it carries, and the record it makes when that is no known event. */
export interface Unwrapped {
  facts: EnvelopeFacts;
  /** The carried object; undefined when there is none (an SNS message that is not a JSON object). */
  inner?: JsonObject;
  /**
   * Set when the envelope names its content's source (EventBridge `source`): the inner object is normalized by
   * the first of these it is an event of, never detected by its shape; an empty list for a source we do not
   * know. Unset: the inner object is whatever its own shape says (another envelope, or an event).
   */
  adapters?: readonly SourceAdapter[];
  /** The record when the content is no event we know: only the envelope is read. */
  unknown(ctx: NormalizeContext): NormalizedRecord;
}

/**
 * A way events arrive wrapped in another service's message. `unwrap` recognizes the wrapper by its shape (keys
 * that no source's event has) and answers undefined for anything else. Adding an envelope is one entry in
 * `ENVELOPES` (src/normalize.ts).
 */
export interface Envelope {
  readonly name: string;
  unwrap(event: JsonObject): Unwrapped | undefined;
}

/**
 * Writes what envelopes say onto the record of the event they carried. `facts` go from the innermost envelope
 * out; the innermost that says a thing wins (it is the nearest to the event: EventBridge's id and time of an
 * event that then went through an SNS topic). The account and configuration set only where the event itself
 * names none.
 */
export function applyEnvelopeFacts(rec: NormalizedRecord, facts: readonly EnvelopeFacts[]): void {
  let sourceEventId: string | undefined;
  let arrivalMs: number | undefined;
  let accountId: string | undefined;
  let configurationSet: string | undefined;
  for (const f of facts) {
    sourceEventId ??= f.sourceEventId;
    arrivalMs ??= f.arrivalMs;
    accountId ??= f.accountId;
    configurationSet ??= f.configurationSet;
  }
  if (sourceEventId !== undefined) rec.source_event_id = sourceEventId;
  if (arrivalMs !== undefined) {
    const { dt, hour } = partitionOf(arrivalMs);
    rec.arrival_time = isoFromMs(arrivalMs);
    rec.dt = dt;
    rec.hour = hour;
  }
  if (rec.account_id === undefined && accountId !== undefined) rec.account_id = accountId;
  if (rec.configuration_set === undefined && configurationSet !== undefined) {
    rec.configuration_set = configurationSet;
  }
}
