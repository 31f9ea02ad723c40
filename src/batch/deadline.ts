import type { Logger } from '../logger';

/**
 * The most of an invocation's time the deadline margin may take: a fifth of the time it started with. With
 * the record loop stopping at two margins before the deadline, records get at least 60% of it.
 */
export const MAX_MARGIN_SHARE = 0.2;

/**
 * The least margin the share may leave (unless `DEADLINE_MARGIN_MS` asks for less): the time to abort the
 * writes in flight and answer — serializing a 6 MB response alone takes tens of milliseconds, and a GC pause
 * can add as much. Lambda's shortest timeout (1 s) still leaves room for one record an invocation.
 */
export const MIN_MARGIN_MS = 500;

/** The time budget of one invocation, from the Lambda context. */
export interface Deadline {
  /**
   * The margin this invocation keeps: `DEADLINE_MARGIN_MS`, or a fifth of the time the invocation started
   * with when that is less (but not below {@link MIN_MARGIN_MS}). Writes are aborted this long before the
   * deadline, so the handler can still answer.
   */
  readonly marginMs: number;
  /**
   * True when the invocation started with no more than the margin left: nothing can be done in time, and the
   * batch goes back unprocessed, with an error in the log. Only a very slow cold start gets here: Lambda's
   * shortest timeout (1 s) starts with twice the least margin.
   */
  readonly tooLate: boolean;
  /** True when `DEADLINE_MARGIN_MS` did not fit this invocation and the margin was reduced. */
  readonly adapted: boolean;
  /** Milliseconds left when the invocation started (Infinity outside Lambda). */
  readonly startMs: number;
  /**
   * Asked between records: true when the next record, if it costs as much as the costliest so far, would
   * leave two margins or less — one for the writes of what was processed, one for the handler to answer.
   * Costs one `getRemainingTimeInMillis()` call (a clock read) and a subtraction.
   */
  readonly stopRecords: () => boolean;
  /**
   * Milliseconds the writes may still take: what is left before the margin (Infinity outside Lambda). Each write
   * is aborted when it runs out, and none is started after, so that the handler can still answer.
   */
  readonly writeBudgetMs: () => number;
}

const NEVER = () => false;
const UNBOUNDED = () => Number.POSITIVE_INFINITY;

/**
 * Starts the deadline of an invocation. Without a clock (outside Lambda) nothing ever stops.
 *
 * Why the margin adapts: a fixed margin at or above the function's timeout (3 s, Lambda's default timeout,
 * is also the default margin) left no time at all, and every batch went back unwritten — a silent stall of
 * every shard. A margin capped at a fifth of the invocation's time (but at least 500 ms) leaves room to work
 * with any timeout Lambda allows (1 s and more).
 * https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html (`getRemainingTimeInMillis`)
 */
export function startDeadline(remainingMs: (() => number) | undefined, configuredMarginMs: number): Deadline {
  if (remainingMs === undefined) {
    return {
      marginMs: configuredMarginMs,
      adapted: false,
      tooLate: false,
      startMs: Number.POSITIVE_INFINITY,
      stopRecords: NEVER,
      writeBudgetMs: UNBOUNDED,
    };
  }
  const left = remainingMs();
  const startMs = Number.isFinite(left) ? Math.max(0, left) : Number.POSITIVE_INFINITY;
  const share = Math.max(MIN_MARGIN_MS, Math.floor(startMs * MAX_MARGIN_SHARE));
  const marginMs = Math.min(configuredMarginMs, share);
  const stopAtMs = 2 * marginMs;
  // Each check measures the record just done: slow records (a huge one, a GC pause) make the loop stop
  // early enough that the next one cannot eat the time the writes need.
  let lastMs = left;
  let costliestMs = 0;
  const stopRecords = () => {
    const now = remainingMs();
    const cost = lastMs - now;
    if (cost > costliestMs) costliestMs = cost;
    lastMs = now;
    return now - costliestMs <= stopAtMs;
  };
  const adapted = marginMs < configuredMarginMs;
  const writeBudgetMs = () => remainingMs() - marginMs;
  return { marginMs, adapted, tooLate: startMs <= marginMs, startMs, stopRecords, writeBudgetMs };
}

let warnedAboutMargin = false;

/** Says once per container that `DEADLINE_MARGIN_MS` was reduced: the function's timeout is too short for it. */
export function warnOnceIfAdapted(deadline: Deadline, configuredMarginMs: number, logger: Logger): void {
  if (!deadline.adapted || warnedAboutMargin) return;
  warnedAboutMargin = true;
  logger.warn(
    `DEADLINE_MARGIN_MS (${configuredMarginMs} ms) is more than a fifth of the ${deadline.startMs} ms this invocation started with: using ${deadline.marginMs} ms. Raise the function timeout or lower DEADLINE_MARGIN_MS.`,
    { configuredMarginMs, marginMs: deadline.marginMs, startMs: deadline.startMs },
  );
}
