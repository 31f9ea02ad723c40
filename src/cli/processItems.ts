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

/** Called with each normalized record once routed and protected, and the index of its item in the batch. */
export type OnItemRecord = (record: NormalizedRecord, index: number) => void;

/**
 * Runs one batch of items, in order: raw records through the pipeline (decode → normalize → enrich →
 * route); records that are already normalized through the PII mode, enrich and the rules only (tags, drops
 * and alerts follow the current rules file; the rest of the record is kept as it is).
 *
 * @param onRecord called with each normalized record (dropped ones too), once routed and protected, as the
 * pipeline's onRecord, with the index of its item in `items` (the index the batch's outcomes have): the rate
 * tally and the rollups count here, records already normalized included
 */
export function processItems(
  items: readonly InputItem[],
  settings: PipelineSettings,
  onRecord?: OnItemRecord,
): ProcessedRecord<KeptOkOutcome>[] {
  const raws: InputRecord[] = [];
  /** The item index of each raw record, when some items are not raw. */
  const itemOf: number[] = [];
  items.forEach((item, i) => {
    if (item.kind !== 'raw') return;
    raws.push(item.input);
    itemOf.push(i);
  });
  const mixed = raws.length !== items.length;
  const onRaw =
    onRecord === undefined
      ? undefined
      : mixed
        ? (record: NormalizedRecord, _input: InputRecord, index: number) =>
            onRecord(record, itemOf[index] as number)
        : (record: NormalizedRecord, _input: InputRecord, index: number) => onRecord(record, index);
  // The CLI prints and tallies records: it keeps them all.
  const processed = runPipeline(raws, settings, {
    keepRecords: true,
    ...(onRaw !== undefined && { onRecord: onRaw }),
  });
  if (!mixed) return processed;
  let next = 0;
  return items.map((item, i) =>
    item.kind === 'raw'
      ? (processed[next++] as ProcessedRecord<KeptOkOutcome>)
      : reroute(item, i, settings, onRecord),
  );
}

function reroute(
  item: Extract<InputItem, { kind: 'normalized' }>,
  index: number,
  settings: PipelineSettings,
  onRecord: OnItemRecord | undefined,
): ProcessedRecord<KeptOkOutcome> {
  const { record, input } = item;
  enrich(record, settings.apps);
  const { drop, alerts } = routeRecord(record, settings.rules);
  // Written in another PII mode (or by hand), it may hold raw personal data: this run's mode applies to it too,
  // after routing, as in the pipeline.
  new PiiProtector(settings.piiMode, settings.piiKey).normalizedRecord(record);
  const outcome = okOutcome(record, drop, alerts, { keepRecords: true });
  onRecord?.(record, index);
  return { input, outcome };
}
