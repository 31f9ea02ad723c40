import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { AnalyticsRow } from '../../src/analytics/analyticsRow';
import type { NormalizedRecord } from '../../src/schema';

/**
 * Reading back a folder the local sinks wrote (`process --out`, `npm run local`'s `.local`), zone by zone, as the
 * tests that check the report against an independent count need it: the analytics rows the batches wrote, and
 * the normalized records and quarantine lines they were counted from.
 */

function walk(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );
}

/** The JSON lines of every `.jsonl.gz` object of one zone, with the key (relative to `dir`) it was read from. */
function zoneLines(dir: string, zone: string): Array<{ key: string; value: unknown }> {
  return walk(join(dir, zone))
    .filter((p) => p.endsWith('.jsonl.gz'))
    .flatMap((p) => {
      const key = relative(dir, p).split('\\').join('/');
      return gunzipSync(readFileSync(p))
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => ({ key, value: JSON.parse(l) as unknown }));
    });
}

/** `dt` and `hour` of an archive key. */
function partition(key: string): { dt: string; hour: string } {
  const [, dt, hour] = /dt=([^/]+)\/hour=([^/]+)\//.exec(key) as unknown as [string, string, string];
  return { dt, hour };
}

/** Every analytics row of a folder, with the key of its object. */
export function analyticsRowsIn(dir: string): Array<{ key: string; row: AnalyticsRow }> {
  return zoneLines(dir, 'analytics').map(({ key, value }) => ({ key, row: value as AnalyticsRow }));
}

/** Every normalized record of a folder (the independent count's input). */
export function normalizedRecordsIn(dir: string): NormalizedRecord[] {
  return zoneLines(dir, 'normalized').map(({ value }) => value as NormalizedRecord);
}

/** Every quarantine line of a folder, with the partition of its object (its batch's). */
export function quarantineLinesIn(dir: string): Array<{ reason: string; dt: string; hour: string }> {
  return zoneLines(dir, 'quarantine').map(({ key, value }) => ({
    reason: (value as { reason: string }).reason,
    ...partition(key),
  }));
}
