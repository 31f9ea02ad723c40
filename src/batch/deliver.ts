import { DeadlineError, SinkError } from '../errors';
import type { ProcessedRecord } from '../pipeline';
import { aggregateAlerts } from '../rules/alerts';
import type { AlertSink } from '../sinks/alerts';
import type { ArchiveSink, ArchiveZone } from '../sinks/archive';
import { planArchiveObjects } from '../sinks/archiveObjects';
import type { BatchRef } from '../sinks/batchRef';

export interface Sinks {
  readonly archive: ArchiveSink;
  readonly alerts: AlertSink;
}

export interface DeliveryOptions {
  /** Archive zones this path writes (the Firehose path leaves normalized records to Firehose itself). */
  zones: ReadonlySet<ArchiveZone>;
  alertSampleSize: number;
  /** Milliseconds left before the Lambda deadline (`context.getRemainingTimeInMillis`); absent outside Lambda. */
  remainingMs?: () => number;
  /** Stop writing this long before the deadline, so the handler can still answer. */
  deadlineMarginMs: number;
}

export interface DeliveryResult {
  /** Lowest batch position whose data did not reach every sink; undefined when everything was delivered. */
  firstFailedIndex?: number;
  errors: unknown[];
  archivedObjects: number;
  alertsSent: number;
}

/**
 * Writes a processed batch to the sinks and says from which record on delivery failed.
 *
 * Archive first, then alerts, then (in the caller) acknowledge: an alert never announces records that were
 * not kept, and a record is acknowledged only when its archive objects and its alerts are both stored. Alerts
 * are built only from records before the first archive failure, because the records after it will come back
 * and alert on their next attempt; alert ids are deterministic, so a retried batch does not page twice.
 */
export async function deliver(
  batch: BatchRef,
  processed: readonly ProcessedRecord[],
  sinks: Sinks,
  options: DeliveryOptions,
): Promise<DeliveryResult> {
  const errors: unknown[] = [];
  let cut = processed.length;
  const budget = () =>
    options.remainingMs === undefined
      ? Number.POSITIVE_INFINITY
      : options.remainingMs() - options.deadlineMarginMs;
  // Every write gets a signal that aborts it when the budget runs out: an aborted write is a failed write.
  const write = () => {
    const ms = budget();
    return Number.isFinite(ms) ? { signal: AbortSignal.timeout(Math.max(1, Math.floor(ms))) } : {};
  };
  if (processed.length > 0 && budget() <= 0) {
    const error = new DeadlineError(
      `too close to the Lambda deadline to write ${batch.label}; nothing written`,
    );
    return { firstFailedIndex: 0, errors: [error], archivedObjects: 0, alertsSent: 0 };
  }

  const planned = planArchiveObjects(batch, processed).filter((p) => options.zones.has(p.object.zone));
  const written = await Promise.allSettled(planned.map((p) => sinks.archive.put(p.object, write())));
  written.forEach((result, i) => {
    if (result.status === 'rejected') {
      errors.push(result.reason);
      cut = Math.min(cut, (planned[i] as (typeof planned)[number]).indices[0] ?? 0);
    }
  });

  const matches = [];
  for (let i = 0; i < cut; i++) {
    const outcome = (processed[i] as ProcessedRecord).outcome;
    if (outcome.kind === 'ok' && outcome.alerts.length > 0) {
      matches.push({ index: i, record: outcome.record, rules: outcome.alerts });
    }
  }
  const groups = aggregateAlerts(matches, batch.label, options.alertSampleSize);
  let alertsSent = 0;
  if (groups.length > 0 && budget() <= 0) {
    errors.push(new DeadlineError(`Lambda deadline reached before the alerts of ${batch.label} were sent`));
    for (const g of groups) cut = Math.min(cut, g.indices[0] ?? 0);
  } else if (groups.length > 0) {
    try {
      const { failed } = await sinks.alerts.publish(
        groups.map((g) => g.alert),
        batch,
        write(),
      );
      const failedIds = new Set(failed);
      for (const g of groups) {
        if (failedIds.has(g.alert.alert_id)) cut = Math.min(cut, g.indices[0] ?? 0);
        else alertsSent++;
      }
      if (failed.length > 0)
        errors.push(new SinkError('alerts', `${failed.length} of ${groups.length} alerts were not accepted`));
    } catch (err) {
      errors.push(err);
      for (const g of groups) cut = Math.min(cut, g.indices[0] ?? 0);
    }
  }

  const result: DeliveryResult = {
    errors,
    archivedObjects: written.filter((w) => w.status === 'fulfilled').length,
    alertsSent,
  };
  if (cut < processed.length) result.firstFailedIndex = cut;
  return result;
}
