/**
 * Knobs of the fuzz suite, from the environment so that a developer can soak it without editing code:
 *
 * - `FUZZ_RECORDS` (default 24,000): records pushed through the batch processors by the properties of one
 *   run, shared between the test files by {@link recordsFor} (≥ 20,000 across both processors by default).
 * - `FUZZ_SEED` (default 20261130): the base seed; every property derives its own seed from it and its name,
 *   and prints it on failure.
 */
export const DEFAULT_RECORDS = 24_000;
export const DEFAULT_SEED = 20_261_130;

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name}='${raw}' is not a positive integer`);
  return n;
}

export const TOTAL_RECORDS = positiveInt('FUZZ_RECORDS', DEFAULT_RECORDS);
export const BASE_SEED = positiveInt('FUZZ_SEED', DEFAULT_SEED);

/** The share of `FUZZ_RECORDS` each group of properties gets (sums to 1). */
const SHARES = {
  kinesis: 0.3,
  firehose: 0.3,
  personalData: 0.25,
  envelope: 0.1,
  handlers: 0.05,
} as const;

export type Share = keyof typeof SHARES;

/** Records for one group of properties (at least `min`). */
export function recordsFor(share: Share, min = 50): number {
  return Math.max(min, Math.round(TOTAL_RECORDS * SHARES[share]));
}

/** A property's own seed: the base seed mixed with its name (FNV-1a), so properties do not share streams. */
export function seedFor(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h ^ BASE_SEED) >>> 0;
}
