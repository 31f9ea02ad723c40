import type { ProcessedRecord } from '../pipeline';
import { openRateWindow, type RateWindowUpdate } from '../rates/addToRateWindow';
import type { CompiledRateRule } from '../rates/compileRateRules';
import { evaluateRates } from '../rates/evaluateRates';
import type { RateAlert } from '../rates/rateAlert';
import type { RateWindowState } from '../rates/rateWindowState';
import { type RollupRow, rollupRows } from '../rates/rollups';
import type { NormalizedRecord } from '../schema';
import { kinesisWindowRef, planRollupObjects } from '../sinks/archiveLayout';
import type { AdditionalDelivery } from './deliver';
import { type KinesisWindowInput, nameSafeId } from './envelope';

/**
 * What the Kinesis handler keeps in a tumbling window's `state` between the invocations of one window of one
 * shard: the rate counts, and the sequence number of the first record counted into them, which names the
 * window's rollup object (a window Lambda ends early continues with a fresh state, so a new first record and
 * another object: the pieces' rows add up). `{}` until a record is counted.
 */
export interface KinesisWindowState {
  readonly first: string;
  readonly rates: RateWindowState;
}

/** Where a window's counts come from: the stream's ARN (or name) and the shard, for the rate alerts' ids. */
export interface KinesisWindowSource {
  readonly stream: string;
  readonly shard: string;
}

/** A window's invocation closed: the state to answer with and, when the window closes, what to deliver. */
export interface ClosedKinesisWindow {
  /** The response's `state` when the batch is delivered. */
  readonly state: KinesisWindowState | Record<string, never>;
  readonly update: RateWindowUpdate;
  /** True when the state received was not one this handler writes (nor empty): counting started over. */
  readonly discarded: boolean;
  /** True when this invocation closes the window (final, or ended early): rates evaluated, rollups written. */
  readonly closing: boolean;
  readonly alerts: readonly RateAlert[];
  /** Groups over their threshold left out by the per-rule alert limit. */
  readonly omitted: number;
  readonly rows: readonly RollupRow[];
  /** The rollup objects and rate alerts, when the window closes with something to say. */
  readonly delivery?: AdditionalDelivery;
}

/** One invocation's share of a window: counting as the pipeline goes, then closing it. */
export interface KinesisWindowRun {
  /** The pipeline's onRecord: counts each normalized record (dropped ones included), as it is archived. */
  readonly onRecord: (record: NormalizedRecord) => void;
  /** The state to answer with when the batch is not delivered: the one received, so its retry counts once. */
  readonly received: unknown;
  /**
   * The counts with the records processed (a batch cut short near the deadline: its processed prefix, the
   * records before the first one handed back), and on a closing invocation the rate alerts and rollups.
   */
  close(processed: readonly ProcessedRecord[]): ClosedKinesisWindow;
}

/**
 * Starts one invocation's work on its tumbling window: the state received is read (anything, even garbage:
 * then counting starts over and `discarded` says so), records are counted as the pipeline hands them over, and
 * `close` gives the new state and, when the invocation closes the window (`isFinalInvokeForWindow` or
 * `isWindowTerminatedEarly`), the window's rate alerts (ids from stream, shard, window start, rule and group:
 * a retried final invoke sends the same ones) and its rollup rows as `rollups/` objects.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-windows.html
 *
 * @param fallbackMs the partition time of the rollups when `window.start` is unreadable
 */
export function startKinesisWindow(
  input: KinesisWindowInput,
  rules: readonly CompiledRateRule[],
  source: KinesisWindowSource & { readonly streamArn?: string | undefined },
  fallbackMs: number,
): KinesisWindowRun {
  const read = readKinesisWindowState(input.state);
  const window = openRateWindow(read.rates, rules);
  return {
    onRecord: window.add,
    received: input.state ?? {},
    close(processed) {
      const update = window.close();
      // The piece's name: kept from the state received, or (a new state, or one discarded) its first record.
      const kept = update.discarded ? undefined : read.first;
      const first = kept ?? (processed.length > 0 ? nameSafeId(processed[0]?.input.id ?? '') : undefined);
      const state: ClosedKinesisWindow['state'] = first === undefined ? {} : { first, rates: update.state };
      const discarded = !read.valid || update.discarded;
      const closing = input.final || input.terminatedEarly;
      if (!closing || first === undefined) {
        return { state, update, discarded, closing, alerts: [], omitted: 0, rows: [] };
      }
      const times = { start: input.start, end: input.end };
      const rows = rollupRows(update.state, times);
      const { alerts, omitted } = evaluateRates(update.state, times, rules, source);
      const batch = kinesisWindowRef(source.streamArn, source.shard, input.startMs ?? fallbackMs, first);
      const objects = planRollupObjects(batch, rows);
      const delivery =
        objects.length > 0 || alerts.length > 0 ? { delivery: { batch, objects, alerts } } : {};
      return { state, update, discarded, closing, alerts, omitted, rows, ...delivery };
    },
  };
}

/**
 * The handler's window state as received: `undefined`, `null` or `{}` at the start of a window; anything else
 * that is not a {@link KinesisWindowState} is not valid, and counting starts over (the rate counts inside are
 * checked again by openRateWindow).
 */
export function readKinesisWindowState(value: unknown): {
  first?: string;
  rates: unknown;
  valid: boolean;
} {
  if (value === undefined || value === null) return { rates: undefined, valid: true };
  if (typeof value !== 'object' || Array.isArray(value)) return { rates: undefined, valid: false };
  const v = value as Record<string, unknown>;
  if (Object.keys(v).length === 0) return { rates: undefined, valid: true };
  if (typeof v.first !== 'string' || v.first === '' || v.rates === undefined) {
    return { rates: undefined, valid: false };
  }
  return { first: v.first, rates: v.rates, valid: true };
}
