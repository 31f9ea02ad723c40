import { InvalidArgumentError } from 'commander';

/** The longest `--window`: a day. Lambda's own tumbling windows stop at 900 seconds. */
export const MAX_WINDOW_SECONDS = 86_400;

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };
const DURATION = /^(\d+(?:\.\d+)?)(s|m|h|d)$/;

/**
 * A `--window` duration in seconds: a number and a unit, `s`, `m`, `h` or `d` (`300s`, `5m`, `1.5h`, `1d`). It
 * must come to a whole number of seconds, from 1 second to a day: the windows are cut from Unix time as Lambda
 * cuts its tumbling windows, in whole seconds.
 *
 * @throws InvalidArgumentError (commander's: a usage error, exit 1) with what was expected
 */
export function parseWindowDuration(value: string): number {
  const m = DURATION.exec(value.trim().toLowerCase());
  if (m === null) {
    throw new InvalidArgumentError('expected a duration: a number and a unit, s, m, h or d (300s, 5m, 1h)');
  }
  const seconds = Number(m[1]) * (UNIT_SECONDS[m[2] as string] as number);
  // 0.1m is 6 s exactly, but 0.1 × 60 is 6.000000000000001 in floating point: round below a microsecond.
  const whole = Math.round(seconds);
  if (Math.abs(seconds - whole) > 1e-6) {
    throw new InvalidArgumentError(`${value} is ${seconds} seconds: a window is a whole number of seconds`);
  }
  if (whole < 1) throw new InvalidArgumentError('a window is at least 1 second long');
  if (whole > MAX_WINDOW_SECONDS)
    throw new InvalidArgumentError('a window is at most a day (1d, 24h, 86400s)');
  return whole;
}

/** Seconds as the shortest duration that reads back the same: 300 → `5m`, 90 → `90s`, 86400 → `1d`. */
export function formatDuration(seconds: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    const size = UNIT_SECONDS[unit] as number;
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
