import type { AnalyticsTally } from '../analytics/AnalyticsTally';
import type { InputRecord } from '../pipeline';
import { RateTally } from '../rates/RateTally';
import { type OpenHourlyRollup, openHourlyRollup } from '../rates/rollups';
import type { CompiledRateRule } from '../rules/compileRateRules';
import type { NormalizedRecord } from '../schema';
import { type BatchContext, openAnalytics } from './run';

/**
 * What the Kinesis and Firehose paths count of each record as the pipeline normalizes it: the analytics rows, the
 * rate rules' hourly rollups (when there are rate rules) and the rate store's tally (when there is a store too).
 * `onRecord` feeds all three; the door hands them to {@link runBatch} as its job's `analytics`, `additional` and
 * `rates`.
 */
export interface RecordCounts {
  readonly analytics: AnalyticsTally;
  readonly rollup: OpenHourlyRollup | undefined;
  readonly tally: RateTally | undefined;
  readonly onRecord: (record: NormalizedRecord, input: InputRecord, index: number) => void;
}

export function openRecordCounts(
  ctx: BatchContext & { readonly rateRules: readonly CompiledRateRule[] },
): RecordCounts {
  const analytics = openAnalytics(ctx);
  const rollup = ctx.rateRules.length > 0 ? openHourlyRollup(ctx.rateRules) : undefined;
  const tally =
    ctx.rates !== undefined && ctx.rateRules.length > 0 ? new RateTally(ctx.rateRules) : undefined;
  return {
    analytics,
    rollup,
    tally,
    onRecord: (record, _input, index) => {
      analytics.add(record, index);
      rollup?.add(record);
      tally?.add(record, index);
    },
  };
}
