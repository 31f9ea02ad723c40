import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SinkError } from '../../errors';
import type { Alert } from '../../rules/alerts';
import { fitAlert } from '../alertMessage';
import type { AlertSink, BatchRef, PublishResult } from '../ports';
import { writeAtomically } from './writeAtomically';

/**
 * Alerts as JSON Lines under `<dir>/alerts/dt=…/hour=…/<origin>/<stream>/<batch>.jsonl`, one file per batch:
 * a retried batch rewrites its file rather than adding alerts, as SNS deduplication would. Each line is the
 * alert exactly as the SNS sink sends it (fitAlert: bounded texts, samples left out past 256 KiB), so a local
 * run shows what subscribers would get.
 */
export class LocalAlertSink implements AlertSink {
  constructor(private readonly dir: string) {}

  async publish(alerts: readonly Alert[], batch: BatchRef): Promise<PublishResult> {
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
      await writeAtomically(path, alerts.map((a) => `${JSON.stringify(fitAlert(a).alert)}\n`).join(''));
    } catch (err) {
      throw new SinkError('alerts', `could not write ${path}: ${(err as Error).message}`, { cause: err });
    }
    return { failed: [] };
  }
}
