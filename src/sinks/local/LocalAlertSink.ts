import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SinkError } from '../../errors';
import type { AnyAlert } from '../../rates/rateAlert';
import { fitAnyAlert } from '../alertMessage';
import type { AlertSink, BatchRef, PublishResult } from '../ports';
import { writeAtomically } from './writeAtomically';

/**
 * Alerts as JSON Lines under `<dir>/alerts/dt=…/hour=…/<origin>/<stream>/<batch>.jsonl`, one file per batch:
 * a retried batch rewrites its file rather than adding alerts, as SNS deduplication would. Each line is the
 * alert exactly as the SNS sink sends it (fitAnyAlert: bounded texts, samples left out past 256 KiB), event
 * and rate alerts alike (told apart by `kind`), so a local run shows what subscribers would get. The rate
 * alerts of a Kinesis window come with the window's own batch (named like its rollup object), so they never
 * overwrite the event alerts of the invocation that closed the window.
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
      await writeAtomically(path, alerts.map((a) => `${JSON.stringify(fitAnyAlert(a).alert)}\n`).join(''));
    } catch (err) {
      throw new SinkError('alerts', `could not write ${path}: ${(err as Error).message}`, { cause: err });
    }
    return { failed: [] };
  }
}
