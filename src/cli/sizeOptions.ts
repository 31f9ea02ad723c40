import { InvalidArgumentError } from 'commander';
import { GiB, KiB, MiB } from './limits';

// The parsers of the size and ratio options, apart from ./limits so that what reads input with the caps (the
// report function among them) does not bundle the command-line parser.

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: KiB,
  kib: KiB,
  kb: 1000,
  m: MiB,
  mib: MiB,
  mb: 1000 * 1000,
  g: GiB,
  gib: GiB,
  gb: 1000 * 1000 * 1000,
};
const SIZE = /^(\d+(?:\.\d+)?) ?([a-z]*)$/;

/**
 * A size option in bytes: a number, with an optional unit — `B`, `KiB`/`K`, `MiB`/`M`, `GiB`/`G` (powers of
 * 1024) or `KB`, `MB`, `GB` (powers of 1000), any case: `8MiB`, `512k`, `2G`, `1048576`.
 *
 * @throws InvalidArgumentError (commander's: a usage error, exit 1)
 */
export function parseSize(value: string): number {
  const m = SIZE.exec(value.trim().toLowerCase());
  const unit = m === null ? undefined : UNITS[m[2] as string];
  if (m === null || unit === undefined) {
    throw new InvalidArgumentError(
      'expected a size: a number and an optional unit, KiB, MiB or GiB (8MiB, 2G)',
    );
  }
  const bytes = Math.floor(Number(m[1]) * unit);
  if (bytes < 1 || bytes > Number.MAX_SAFE_INTEGER)
    throw new InvalidArgumentError('expected at least 1 byte');
  return bytes;
}

/** `--max-inflate-ratio`: a number from 1 up. */
export function parseRatio(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 1) {
    throw new InvalidArgumentError('expected a number of times, from 1 up (100)');
  }
  return n;
}
