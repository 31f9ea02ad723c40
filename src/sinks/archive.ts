/** Zones of the archive: raw batches as received, normalized output, and poison records with reasons. */
export type ArchiveZone = 'raw' | 'normalized' | 'quarantine';

/**
 * One archive object: a batch's records of one zone as JSON Lines. Keys are deterministic (see
 * archiveObjects.ts), so a retried batch overwrites its objects instead of duplicating them.
 */
export interface ArchiveObject {
  zone: ArchiveZone;
  /** Object key relative to the archive root, ending in `.jsonl.gz`. */
  key: string;
  /** JSON Lines, each ending in `\n`; adapters store them gzip-compressed. */
  lines: readonly string[];
  /** What a reader needs without opening the object (S3 user metadata; a sidecar locally). */
  metadata: Readonly<Record<string, string>>;
}

/** Per-write options: the signal aborts a write that would outlive the Lambda deadline. */
export interface WriteOptions {
  signal?: AbortSignal;
}

/** Port for the archive. Adapters: local filesystem, S3. A rejected promise means "not stored". */
export interface ArchiveSink {
  put(object: ArchiveObject, options?: WriteOptions): Promise<void>;
}
