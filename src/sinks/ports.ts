import type { AnyAlert } from '../alerts/anyAlert';
import type { BatchRef } from './batchRef';
import type { RateStore } from './rateStore';
import type { WriteOptions } from './writeOptions';

/**
 * The sink ports: what the batch runner needs from an archive and an alert channel, and nothing of how they
 * store. Adapters: src/sinks/aws (S3, SNS) and src/sinks/local (files); tests use in-memory ones.
 */

/**
 * Zones of the archive: raw batches as received, normalized output, poison records with reasons, the rate
 * rules' counts (rollup rows of each batch, docs/rates.md §8), and the analytics rows of each batch (the counts
 * of every record, docs/analytics.md).
 */
export type ArchiveZone = 'raw' | 'normalized' | 'quarantine' | 'rollups' | 'analytics';

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

export type { BatchRef } from './batchRef';
export type { WriteOptions } from './writeOptions';

/** Port for the archive. A rejected promise means "not stored" (a `SinkError`, retryable). */
export interface ArchiveSink {
  put(object: ArchiveObject, options?: WriteOptions): Promise<void>;
}

export interface PublishResult {
  /** Ids of the alerts that were not accepted; empty when all were. */
  failed: string[];
}

/**
 * Port for alerts: event alerts and rate alerts (AnyAlert, told apart by `kind`; src/alerts/), bounded as
 * aggregateAlerts and counterAlert make them (boundAnyAlert bounds again whatever an adapter is given). Every
 * adapter delivers each alert as one message of its transport, and meets that transport's limits itself
 * (alertText gives the text; fitAlert makes the alert smaller for a size limit): an alert the transport
 * refuses would fail its batch on every retry. Sending the same alerts again (a retried batch, the same
 * `alert_id`s) must be harmless: deduplicated, overwritten, or left to subscribers to drop. Returns the ids of
 * the alerts not accepted; throwing means none was.
 */
export interface AlertSink {
  publish(alerts: readonly AnyAlert[], batch: BatchRef, options?: WriteOptions): Promise<PublishResult>;
}

/** The sinks one batch is delivered to. */
export interface Sinks {
  readonly archive: ArchiveSink;
  readonly alerts: AlertSink;
  /** The shared rate window store; absent when none is configured (SINKS=aws without `RATE_TABLE`). */
  readonly rates?: RateStore;
}

/** What the sinks took of one batch. */
export interface DeliveryResult {
  /** True when every archive object and every alert was accepted. */
  delivered: boolean;
  /** Why not: every failed write (empty when delivered). */
  errors: unknown[];
  /** Archive objects stored, with their uncompressed size. */
  archived: Array<{ zone: ArchiveZone; bytes: number }>;
  /** Alerts accepted by the alert sink. */
  sentAlerts: Array<{ rule: string; severity: string }>;
}
