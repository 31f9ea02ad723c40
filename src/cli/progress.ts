import { SingleBar } from 'cli-progress';
import type { Output } from './io';

/** Progress of a long command, measured in bytes read (the most even measure of work left). */
export interface Progress {
  start(totalBytes: number, totalItems: number): void;
  /** Adds read bytes and done items/records. */
  advance(step: { bytes?: number; items?: number; records?: number }): void;
  stop(): void;
}

const NONE: Progress = { start: () => {}, advance: () => {}, stop: () => {} };

/**
 * A cli-progress bar on stderr — only when stderr is a terminal: piped or redirected runs, and tests, get
 * no progress output at all, and stdout never does.
 *
 * @param itemName what the counted items are ("files", "objects")
 */
export function createProgress(stderr: Output, task: string, itemName: string): Progress {
  if (stderr.isTTY !== true || stderr.stream === undefined) return NONE;
  const bar = new SingleBar({
    stream: stderr.stream,
    format: `${task} [{bar}] {percentage}% | {items}/{totalItems} ${itemName} | {records} records | {done}/{size} | ETA {eta_formatted}`,
    barsize: 24,
    hideCursor: true,
    clearOnComplete: false,
    etaBuffer: 50,
    fps: 5,
  });
  let bytes = 0;
  let items = 0;
  let records = 0;
  let totalItems = 0;
  let totalBytes = 0;
  let started = false;
  const payload = () => ({
    items,
    totalItems,
    records: records.toLocaleString('en-US'),
    done: formatBytes(bytes),
    size: formatBytes(totalBytes),
  });
  return {
    start(total, count) {
      totalBytes = total;
      totalItems = count;
      started = true;
      bar.start(Math.max(total, 1), 0, payload());
    },
    advance(step) {
      bytes += step.bytes ?? 0;
      items += step.items ?? 0;
      records += step.records ?? 0;
      if (started) bar.update(Math.min(bytes, Math.max(totalBytes, 1)), payload());
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

/** 1536 → "1.5 KiB". */
function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} ${units[u]}` : `${v.toFixed(1)} ${units[u]}`;
}
