import type { RateAddGuard, RateCounterRef, RateCounts } from './rateStore';

/**
 * Bounds on what a rate store is given, checked by every adapter before it writes anything: an item stays far
 * below DynamoDB's 400 KB, a key below its 2,048 bytes, and a local file name never depends on the input (it is
 * a hash). Breaking one is a bug of the caller (src/batch/countRates.ts), not an outage: a `RangeError`, which
 * is not retryable, so the invocation fails loudly instead of handing the same batch back forever.
 */
export const RATE_INPUT_LIMITS = {
  /** Counter ids, batch ids: characters. */
  idChars: 512,
  /** Lanes (Kinesis shard ids), sequence keys, alert tokens, rule names, window bounds: characters. */
  nameChars: 256,
  /** Outcome names: characters. */
  outcomeChars: 128,
  /** Outcomes in one add. */
  outcomes: 64,
  /** A group's values as JSON: characters. */
  groupChars: 2048,
  /** Counter ids in one batch marker (openBatch, settleBatch): 500 × 512 characters stays within 400 KB. */
  batchCounters: 500,
} as const;

/** Throws a RangeError unless the counter reference is within bounds (and its id is not a marker's key). */
export function checkCounterRef(counter: RateCounterRef): void {
  checkId('counter id', counter.id);
  if (counter.id.startsWith('batch#'))
    throw new RangeError("rate store: a counter id may not start with 'batch#'");
  checkText('rule', counter.rule, RATE_INPUT_LIMITS.nameChars);
  checkText('window start', counter.windowStart, RATE_INPUT_LIMITS.nameChars);
  checkText('window end', counter.windowEnd, RATE_INPUT_LIMITS.nameChars);
  if (counter.group !== null) checkText('group', counter.group, RATE_INPUT_LIMITS.groupChars);
  checkWhole('expiresAt', counter.expiresAt);
}

/** Throws a RangeError unless the counts are at most 64 outcomes of bounded names, each a whole number ≥ 1. */
export function checkCounts(counts: RateCounts): void {
  const entries = Object.entries(counts);
  if (entries.length > RATE_INPUT_LIMITS.outcomes) {
    throw new RangeError(`rate store: more than ${RATE_INPUT_LIMITS.outcomes} outcomes in one add`);
  }
  for (const [outcome, n] of entries) {
    checkText('outcome', outcome, RATE_INPUT_LIMITS.outcomeChars);
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new RangeError(`rate store: the count of '${outcome}' must be a whole number ≥ 1, not ${n}`);
    }
  }
}

/** Throws a RangeError unless the guard's lane and keys (first ≤ last) or its batch id are within bounds. */
export function checkGuard(guard: RateAddGuard): void {
  if (guard.kind === 'batch') {
    checkId('batch id', guard.batchId);
    return;
  }
  checkText('lane', guard.lane, RATE_INPUT_LIMITS.nameChars);
  checkText('first sequence key', guard.first, RATE_INPUT_LIMITS.nameChars);
  checkText('last sequence key', guard.last, RATE_INPUT_LIMITS.nameChars);
  if (compareUtf8(guard.first, guard.last) > 0) {
    throw new RangeError('rate store: the first sequence key is above the last');
  }
}

/** Throws a RangeError unless the batch's counter ids are at most 500 ids within bounds. */
export function checkCounterIds(counterIds: readonly string[]): void {
  if (counterIds.length > RATE_INPUT_LIMITS.batchCounters) {
    throw new RangeError(`rate store: more than ${RATE_INPUT_LIMITS.batchCounters} counters in one batch`);
  }
  for (const id of counterIds) checkId('counter id', id);
}

/** Throws a RangeError unless the id is 1–512 characters of well-formed text. */
export function checkId(what: string, id: string): void {
  checkText(what, id, RATE_INPUT_LIMITS.idChars);
}

/** Throws a RangeError unless the value is a whole number from 0 to 2^53 − 1 (epoch seconds or milliseconds). */
export function checkWhole(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`rate store: ${what} must be a whole number ≥ 0, not ${value}`);
  }
}

/** Throws a RangeError unless the alert token is 1–256 characters of well-formed text. */
export function checkToken(token: string): void {
  checkText('alert token', token, RATE_INPUT_LIMITS.nameChars);
}

/**
 * Compares two strings as DynamoDB does (by their UTF-8 bytes), which is not JavaScript's `<` (UTF-16 code
 * units) past the Basic Multilingual Plane: the local adapters compare sequence keys this way to match it.
 */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * 1..max UTF-16 units, without a lone surrogate: one could not be stored as UTF-8 and read back the same, so
 * two different ids could meet in one item.
 */
function checkText(what: string, value: string, max: number): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new RangeError(`rate store: ${what} must be 1 to ${max} characters`);
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = value.charCodeAt(i + 1);
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
    else throw new RangeError(`rate store: ${what} is not well-formed text (a lone surrogate)`);
  }
}
