/**
 * Numbers as people read them, in the report (en-US: the rest of the CLI prints `1,234` too). Pure.
 */

/** `1,234`; `–` for a missing value. */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
  return Math.round(n).toLocaleString('en-US');
}

/**
 * A rate as a percentage: one decimal from 1% up (`5.2%`), two below (`0.08%`: the complaint threshold is 0.1%,
 * so one decimal would round 0.06% up to it), `<0.01%` for a rate above zero that would round to nothing;
 * `–` without a denominator.
 */
export function formatRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return DASH;
  const pct = rate * 100;
  if (pct === 0) return '0%';
  if (pct > 0 && pct < 0.005) return '<0.01%';
  const digits = Math.abs(pct) < 1 ? 2 : 1;
  return `${pct.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}%`;
}

/** `$12.34`; `$0.0042` below a cent (an SMS part costs fractions of a cent); `–` for a missing value. */
export function formatUsd(usd: number | null | undefined): string {
  if (usd === null || usd === undefined || !Number.isFinite(usd)) return DASH;
  const abs = Math.abs(usd);
  const digits = abs > 0 && abs < 0.01 ? 4 : 2;
  const text = abs.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${usd < 0 ? '-' : ''}$${text}`;
}

/** A threshold as written in the docs: `5%`, `0.1%`. */
export function formatThreshold(rate: number): string {
  return `${Number((rate * 100).toPrecision(6))}%`;
}

export const DASH = '–';
