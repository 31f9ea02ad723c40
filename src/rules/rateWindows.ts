/**
 * The windows a rate rule may count over: tumbling, by arrival time (`arrival_time`), aligned to UTC (a 1h
 * window runs 10:00–11:00, a 1d window from midnight UTC). Default {@link DEFAULT_RATE_WINDOW}.
 */
export const RATE_WINDOWS = ['5m', '15m', '1h', '6h', '1d'] as const;
export type RateWindowName = (typeof RATE_WINDOWS)[number];

/**
 * One hour: long enough that a small sender's hour holds the `min_volume` of the shipped rules (200–5,000
 * messages), short enough that an alert comes within the hour that a campaign goes wrong — the period SES's own
 * reputation dashboards and CloudWatch alarms are usually read over. A rule says `window: 5m` for a fast sender,
 * `6h` or `1d` for a slow one.
 */
export const DEFAULT_RATE_WINDOW: RateWindowName = '1h';

const MINUTE = 60_000;

/** Each window's length in milliseconds. Every length divides a UTC day, so windows align to midnight UTC. */
export const RATE_WINDOW_MS: Readonly<Record<RateWindowName, number>> = {
  '5m': 5 * MINUTE,
  '15m': 15 * MINUTE,
  '1h': 60 * MINUTE,
  '6h': 360 * MINUTE,
  '1d': 1440 * MINUTE,
};
