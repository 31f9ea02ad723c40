import {
  MAX_MARGIN_SHARE,
  MIN_MARGIN_MS,
  startDeadline,
  warnOnceIfAdapted,
} from '../../../src/batch/deadline';
import type { Logger } from '../../../src/logger';

/** A remaining-time function the test sets by hand. */
function clock(startMs: number) {
  const c = { left: startMs, remainingMs: () => c.left };
  return c;
}

describe('startDeadline', () => {
  it('keeps DEADLINE_MARGIN_MS when it is at most a fifth of the time the invocation starts with', () => {
    expect(MAX_MARGIN_SHARE).toBe(0.2);
    expect(MIN_MARGIN_MS).toBe(500);
    const d = startDeadline(clock(60_000).remainingMs, 3000);
    expect(d).toMatchObject({ marginMs: 3000, adapted: false, startMs: 60_000 });
    expect(startDeadline(clock(15_000).remainingMs, 3000)).toMatchObject({ marginMs: 3000, adapted: false });
  });

  it.each([
    // Lambda's default timeout equals the default margin: the case that stalled every shard.
    [3000, 3000, 600, false],
    [2500, 3000, 500, false],
    [14_999, 3000, 2999, false],
    // Never below 500 ms, unless DEADLINE_MARGIN_MS asks for less.
    [2000, 3000, 500, false],
    [1000, 3000, 500, false],
    [1000, 100, 100, false],
    [1000, 0, 0, false],
    // Too late to start anything: the batch goes back.
    [500, 3000, 500, true],
    [0, 3000, 500, true],
    [-50, 3000, 500, true],
  ])(
    'starting with %i ms and a %i ms margin, uses a margin of %i ms (too late: %s)',
    (start, configured, margin, late) => {
      const d = startDeadline(clock(start).remainingMs, configured);
      expect(d.marginMs).toBe(margin);
      expect(d.adapted).toBe(margin < configured);
      expect(d.tooLate).toBe(late);
    },
  );

  it('stops records exactly when the next one, as costly as the costliest so far, would leave two margins', () => {
    const c = clock(10_000);
    const d = startDeadline(c.remainingMs, 1000);
    // Records of 100 ms: stop once 2,000 ms + 100 ms or less are left.
    const answers: Array<[number, boolean]> = [];
    for (let left = 9900; left >= 1900; left -= 100) {
      c.left = left;
      answers.push([left, d.stopRecords()]);
    }
    const firstStop = answers.find(([, stop]) => stop)?.[0];
    expect(firstStop).toBe(2100);
    expect(answers.filter(([left]) => left > 2100).every(([, stop]) => !stop)).toBe(true);
  });

  it('stops earlier after one slow record: the costliest record so far is the estimate of the next', () => {
    const c = clock(10_000);
    const d = startDeadline(c.remainingMs, 1000);
    c.left = 9900;
    expect(d.stopRecords()).toBe(false);
    c.left = 6900; // a record of 3 s
    expect(d.stopRecords()).toBe(false);
    c.left = 5100; // 5.1 s left − 3 s ≤ 2 s would be false; 5.0 s is the last one to go on
    expect(d.stopRecords()).toBe(false);
    c.left = 4999;
    expect(d.stopRecords()).toBe(true);
  });

  it('never stops, and keeps the configured margin, outside Lambda', () => {
    const d = startDeadline(undefined, 3000);
    expect(d).toMatchObject({ marginMs: 3000, adapted: false, startMs: Number.POSITIVE_INFINITY });
    expect(d.stopRecords()).toBe(false);
    expect(d.writeBudgetMs()).toBe(Number.POSITIVE_INFINITY);
  });

  it('gives the writes the time left before the margin, as the clock moves', () => {
    const c = clock(10_000);
    const d = startDeadline(c.remainingMs, 1000);
    expect(d.writeBudgetMs()).toBe(9000);
    c.left = 1200;
    expect(d.writeBudgetMs()).toBe(200);
    c.left = 800;
    expect(d.writeBudgetMs()).toBe(-200);
  });

  it('warns once per container when the margin was reduced, with the numbers', () => {
    const warnings: Array<[string, Record<string, unknown> | undefined]> = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: (m, f) => warnings.push([m, f]),
      error: () => {},
    };
    warnOnceIfAdapted(startDeadline(clock(60_000).remainingMs, 3000), 3000, logger);
    expect(warnings).toHaveLength(0);
    warnOnceIfAdapted(startDeadline(clock(3000).remainingMs, 3000), 3000, logger);
    warnOnceIfAdapted(startDeadline(clock(3000).remainingMs, 3000), 3000, logger);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.[0]).toMatch(/DEADLINE_MARGIN_MS \(3000 ms\).*using 600 ms/);
    expect(warnings[0]?.[1]).toEqual({ configuredMarginMs: 3000, marginMs: 600, startMs: 3000 });
  });
});
