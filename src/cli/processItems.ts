import { enrich } from '../enrich';
import { PiiProtector } from '../pii';
import {
  type InputRecord,
  type KeptOkOutcome,
  okOutcome,
  type PipelineSettings,
  type ProcessedRecord,
  runPipeline,
} from '../pipeline';
import { routeRecord } from '../rules/route';
import type { NormalizedRecord } from '../schema';
import type { InputItem } from './inputItems';

/**
 * Runs one batch of items, in order: raw records through the pipeline (decode → normalize → enrich →
 * route); records that are already normalized through the PII mode, enrich and the rules only (tags, drops
 * and alerts follow the current rules file; the rest of the record is kept as it is).
 *
 * @param onRecord called with each normalized record, once routed and protected (the pipeline's onRecord):
 * `--window` counts rates here
 */
export function processItems(
  items: readonly InputItem[],
  settings: PipelineSettings,
  onRecord?: (record: NormalizedRecord) => void,
): ProcessedRecord<KeptOkOutcome>[] {
  const raws: InputRecord[] = [];
  for (const item of items) if (item.kind === 'raw') raws.push(item.input);
  // The CLI prints and tallies records: it keeps them all.
  const processed = runPipeline(raws, settings, {
    keepRecords: true,
    ...(onRecord !== undefined && { onRecord }),
  });
  if (raws.length === items.length) return processed;
  let next = 0;
  return items.map((item) =>
    item.kind === 'raw'
      ? (processed[next++] as ProcessedRecord<KeptOkOutcome>)
      : reroute(item, settings, onRecord),
  );
}

function reroute(
  item: Extract<InputItem, { kind: 'normalized' }>,
  settings: PipelineSettings,
  onRecord: ((record: NormalizedRecord) => void) | undefined,
): ProcessedRecord<KeptOkOutcome> {
  const { record, input } = item;
  enrich(record, settings.apps);
  const { drop, alerts } = routeRecord(record, settings.rules);
  // Written in another PII mode (or by hand), it may hold raw personal data: this run's mode applies to it too,
  // after routing, as in the pipeline.
  new PiiProtector(settings.piiMode, settings.piiKey).normalizedRecord(record);
  const outcome = okOutcome(record, drop, alerts, { keepRecords: true });
  onRecord?.(record);
  return { input, outcome };
}
