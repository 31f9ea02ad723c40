import type { JsonObject } from '../decode';
import type { NormalizedRecord, Source } from '../schema';
import type { NormalizeContext } from './common';

/**
 * One source's events, as the detectors see them: how to tell one by its shape (`typeOf` answers its event
 * type, or undefined for any other object) and how to normalize it. Source detection and the envelopes that
 * name their content's source (EventBridge `source`) work from lists of these.
 */
export interface SourceAdapter {
  readonly source: Source;
  typeOf(event: JsonObject): string | undefined;
  normalize(event: JsonObject, eventType: string, ctx: NormalizeContext): NormalizedRecord;
}

/** The first adapter of the list the object is an event of, with its event type; undefined when none. */
export function detectSource(
  event: JsonObject,
  adapters: readonly SourceAdapter[],
): { adapter: SourceAdapter; eventType: string } | undefined {
  for (const adapter of adapters) {
    const eventType = adapter.typeOf(event);
    if (eventType !== undefined) return { adapter, eventType };
  }
  return undefined;
}

/** A non-empty string, or undefined. */
export function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
