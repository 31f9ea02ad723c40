import { referenceEventId } from '../helpers/xxh64';
import { DROP_PREFIX } from './arbitraries';
import { expectedEventType } from './eventTypes';

/**
 * What the documentation says about one record, computed from its bytes without the code under test:
 * its event id (docs/schema.md §1: SHA-256 of the JSON text without BOM and surrounding whitespace, first
 * 128 bits as lower-case hex) and whether the fuzz rules file drops it (its event type, read as the README's
 * source detection and envelopes read it, starts with `fuzz.drop.`, case-insensitively).
 */
export interface Oracle {
  /** Undefined when the data is not a string of (leniently decoded) base64 UTF-8 text. */
  eventId?: string;
  /** The event type the record would be normalized under, when it is a JSON object that has one. */
  eventType?: string;
  dropped: boolean;
}

const BOM = '\uFEFF';

export function oracleOf(data: unknown): Oracle {
  if (typeof data !== 'string') return { dropped: false };
  const bytes = Buffer.from(data, 'base64');
  let raw: string;
  try {
    raw = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return { dropped: false };
  }
  const text = (raw.startsWith(BOM) ? raw.slice(1) : raw).trim();
  const eventId = referenceEventId(Buffer.from(text, 'utf8'));
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    return { eventId, dropped: false };
  }
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return { eventId, dropped: false };
  let eventType: string | undefined;
  try {
    eventType = expectedEventType(event as Record<string, unknown>);
  } catch {
    // A message nested too deep to parse: poison, never dropped.
    return { eventId, dropped: false };
  }
  if (eventType === undefined) return { eventId, dropped: false };
  return { eventId, eventType, dropped: eventType.toLowerCase().startsWith(DROP_PREFIX) };
}
