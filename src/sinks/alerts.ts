import type { Alert } from '../rules/alerts';
import type { WriteOptions } from './archive';
import type { BatchRef } from './batchRef';

export interface PublishResult {
  /** Ids of the alerts that were not accepted; empty when all were. */
  failed: string[];
}

/**
 * Port for alerts. Adapters: local filesystem, SNS. Throwing means none was accepted. Every adapter delivers an
 * alert as one SNS message can hold it (fitAlert): an alert too large to deliver would fail its batch forever.
 */
export interface AlertSink {
  publish(alerts: readonly Alert[], batch: BatchRef, options?: WriteOptions): Promise<PublishResult>;
}
