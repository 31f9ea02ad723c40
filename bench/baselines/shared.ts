import type { JsonObject } from '../../src/decode';
import { enrich } from '../../src/enrich';
import { eventIdOf } from '../../src/eventId';
import { normalizeEvent } from '../../src/normalize';
import type { PiiProtector } from '../../src/pii';
import type { PipelineSettings } from '../../src/pipeline';
import { routeRecord } from '../../src/rules/route';
import type { NormalizedRecord } from '../../src/schema';

/**
 * The normalization every implementation in the benchmark performs once it has an event object: the same
 * source normalizers, enrichment, rules and personal-data protection as ours, so the comparison measures what
 * surrounds them.
 * Baselines compute the event id from a re-serialization, as a typical handler that only has the parsed
 * object would.
 */
export function normalizeLikeUs(
  event: JsonObject,
  text: string,
  ingestMs: number,
  settings: PipelineSettings,
  pii: PiiProtector,
): { record: NormalizedRecord; drop: boolean } {
  const record = normalizeEvent(event, { eventId: eventIdOf(text), ingestMs, pii });
  enrich(record, settings.apps);
  const { drop } = routeRecord(record, settings.rules);
  // Personal data protected as ours does before a record is written (src/pipeline.ts): part of the normalization.
  pii.record(record);
  return { record, drop };
}
