import type { JsonObject } from '../../src/decode';
import { type PiiMode, PiiProtector } from '../../src/pii';
import type { NormalizedRecord } from '../../src/schema';
import type { NormalizeContext } from '../../src/sources/common';

const KEY = Buffer.from('test-key-0123456789');

/** The context a source normalizer gets: a fixed event id, 2025-11-20T14:46:40.000Z, the test key. */
export function normalizeContext(mode: PiiMode = 'hash'): NormalizeContext {
  return { eventId: 'evt-0001', ingestMs: 1_763_650_000_000, pii: new PiiProtector(mode, KEY) };
}

/**
 * A source normalizer as `normalizeEvent` runs it: the normalizer on the event type `typeOf` reads, then the
 * protection `PiiProtector.record` applies to its output.
 */
export function protectedNormalizer(
  normalizeSource: (event: JsonObject, eventType: string, ctx: NormalizeContext) => NormalizedRecord,
  typeOf: (event: JsonObject) => unknown,
): (event: JsonObject, mode?: PiiMode) => NormalizedRecord {
  return (event, mode = 'hash') => {
    const ctx = normalizeContext(mode);
    const rec = normalizeSource(event, typeOf(event) as string, ctx);
    ctx.pii.record(rec);
    return rec;
  };
}

/** The keyed hash of a value, with the test key. */
export function hashOf(value: string): string {
  return new PiiProtector('hash', KEY).hash(value);
}
