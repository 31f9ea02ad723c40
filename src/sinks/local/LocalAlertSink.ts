import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type AnyAlert, boundAnyAlert } from '../../alerts/anyAlert';
import { SinkError } from '../../errors';
import type { AlertSink, BatchRef, PublishResult } from '../ports';
import { writeAtomically } from './writeAtomically';

/**
 * Alerts as JSON Lines under `<dir>/alerts/dt=…/hour=…/<origin>/<stream>/<batch>.jsonl`, one file per batch:
 * a retried batch rewrites its file rather than adding alerts, as SNS deduplication would. Each line is the
 * alert itself, transport-neutral: bounded as every sink sends it (boundAnyAlert: texts cut with a marker,
 * event types and apps listed up to ten), event and rate alerts alike (told apart by `kind`). It is the alert
 * the SNS sink sends as the JSON part of its message, with one difference: a file has no size limit, so no
 * sample is left out here, where SNS leaves out the last samples of an alert past 256 KiB (and says how many in
 * `samples_omitted`). The rate alerts a batch claims come under a batch of their own (`<batch>.rates`), so they
 * never overwrite the batch's event alerts.
 */
export class LocalAlertSink implements AlertSink {
  constructor(private readonly dir: string) {}

  async publish(alerts: readonly AnyAlert[], batch: BatchRef): Promise<PublishResult> {
    if (alerts.length === 0) return { failed: [] };
    const path = join(
      this.dir,
      'alerts',
      `dt=${batch.dt}`,
      `hour=${batch.hour}`,
      batch.origin,
      batch.stream,
      `${batch.name}.jsonl`,
    );
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeAtomically(path, alerts.map((a) => `${JSON.stringify(boundAnyAlert(a))}\n`).join(''));
    } catch (err) {
      throw new SinkError('alerts', `could not write ${path}: ${(err as Error).message}`, { cause: err });
    }
    return { failed: [] };
  }
}
