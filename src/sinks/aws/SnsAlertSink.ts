import { PublishBatchCommand, type PublishBatchRequestEntry, type SNSClient } from '@aws-sdk/client-sns';
import type { AnyAlert } from '../../alerts/anyAlert';
import { describeError } from '../../errors';
import type { AlertSink, BatchRef, PublishResult, WriteOptions } from '../ports';
import { attemptsOf } from './sdkErrors';
import { SNS_LIMITS, snsAlertMessage, snsMessageBytes } from './snsAlertMessage';

export interface SnsAlertOptions {
  topicArn: string;
  /** Called with each failed call or entry, for the log; never with message contents. */
  onFailure?: (detail: Record<string, unknown>) => void;
  /** Called after each PublishBatch call with the SDK's attempt count, for metrics. */
  onCall?: (attempts: number) => void;
}

/**
 * Alerts to SNS with PublishBatch, event alerts and rate alerts alike, in calls split to the API's limits
 * (chunkEntries). Each alert is made one SNS message first (snsAlertMessage: at most 256 KiB with its subject
 * and attributes, a valid subject, no empty attribute), so that no record, however large, makes a message SNS
 * refuses on every retry. Its message attributes, for subscription filter policies, are the alert's
 * (alertText): `kind` (`event` or `rate`), `severity` and `rule`, and source, family, event_type, app_id (event
 * alerts) or the group's values (rate alerts). On a FIFO topic the group is the rule and the deduplication id is
 * the alert's deterministic id, so a retried batch does not page twice. Entries SNS reports as failed — or every
 * entry of a call that failed after the SDK's retries — come back in `failed`: a partly failed batch is a
 * failure for the records behind those alerts.
 */
export class SnsAlertSink implements AlertSink {
  private readonly fifo: boolean;

  constructor(
    private readonly client: SNSClient,
    private readonly options: SnsAlertOptions,
  ) {
    this.fifo = options.topicArn.endsWith('.fifo');
  }

  async publish(alerts: readonly AnyAlert[], _batch: BatchRef, write?: WriteOptions): Promise<PublishResult> {
    const failed: string[] = [];
    for (const chunk of chunkEntries(alerts.map((a) => this.entry(a)))) {
      try {
        const out = await this.client.send(
          new PublishBatchCommand({ TopicArn: this.options.topicArn, PublishBatchRequestEntries: chunk }),
          write?.signal !== undefined ? { abortSignal: write.signal } : {},
        );
        this.options.onCall?.(out.$metadata.attempts ?? 1);
        const ok = new Set((out.Successful ?? []).map((s) => s.Id));
        for (const f of out.Failed ?? []) {
          this.options.onFailure?.({ alertId: f.Id, code: f.Code, senderFault: f.SenderFault });
        }
        // Anything not reported successful counts as failed, whether listed in Failed or missing altogether.
        for (const e of chunk) if (!ok.has(e.Id)) failed.push(e.Id as string);
      } catch (err) {
        this.options.onCall?.(attemptsOf(err));
        this.options.onFailure?.({ error: describeError(err), entries: chunk.length });
        for (const e of chunk) failed.push(e.Id as string);
      }
    }
    return { failed };
  }

  private entry(alert: AnyAlert): PublishBatchRequestEntry {
    const { Subject, Message, MessageAttributes } = snsAlertMessage(alert);
    const entry: PublishBatchRequestEntry = {
      // Alert ids are 32 hex characters: valid batch entry ids, unique within a batch (one event alert per
      // rule, one rate alert per rule, group and window).
      Id: alert.alert_id,
      Subject,
      Message,
      MessageAttributes,
    };
    if (this.fifo) {
      entry.MessageGroupId = alert.rule;
      entry.MessageDeduplicationId = alert.alert_id;
    }
    return entry;
  }
}

/**
 * Splits entries into PublishBatch calls of at most 10 entries and 256 KiB in all (messages, subjects and
 * attributes, counted as snsMessageBytes does). Each entry fits on its own: snsAlertMessage sees to it.
 */
export function chunkEntries(entries: readonly PublishBatchRequestEntry[]): PublishBatchRequestEntry[][] {
  const chunks: PublishBatchRequestEntry[][] = [];
  let current: PublishBatchRequestEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    const size = snsMessageBytes(e);
    if (
      current.length > 0 &&
      (current.length === SNS_LIMITS.batchEntries || bytes + size > SNS_LIMITS.batchBytes)
    ) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
