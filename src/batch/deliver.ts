import type { AnyAlert } from '../alerts/anyAlert';
import { aggregateAlerts } from '../alerts/eventAlert';
import type { RateAlert } from '../alerts/rateAlert';
import { DeadlineError, SinkError } from '../errors';
import type { AlertMatch, ProcessedRecord } from '../pipeline';
import { planArchiveObjects } from '../sinks/archiveObjects';
import type {
  ArchiveObject,
  ArchiveZone,
  BatchRef,
  DeliveryResult,
  Sinks,
  WriteOptions,
} from '../sinks/ports';
import type { Deadline } from './deadline';

/**
 * Objects and alerts delivered with a batch that are not planned from its records' archive lines: a batch's
 * rollups and analytics rows (each object under its own key). Filed under a batch of their own, which names
 * their local alerts file, so that they never take the place of the batch's own.
 */
export interface AdditionalDelivery {
  readonly batch: BatchRef;
  readonly objects: readonly ArchiveObject[];
  readonly alerts: readonly AnyAlert[];
}

/**
 * The rate step of a delivery (src/batch/countRates.ts): run once the archive holds the batch, before its
 * alerts are published. Never throws. Returns the rate alerts it claimed, to publish under `batch`, and how to
 * settle them once the alert sink answered.
 */
export type RateStep = (write: () => WriteOptions) => Promise<{
  readonly batch: BatchRef;
  readonly alerts: readonly RateAlert[];
  settle(sent: ReadonlySet<string>): Promise<void>;
}>;

export interface DeliveryOptions {
  /** Archive zones this path writes (the Firehose path leaves normalized records to Firehose itself). */
  zones: ReadonlySet<ArchiveZone>;
  alertSampleSize: number;
  /** The invocation's deadline, as the runner started it: writes stop at its margin, so the handler can answer. */
  deadline: Deadline;
  /** Written and published with the batch, in the same order: every object first, then every alert. */
  additional?: AdditionalDelivery | undefined;
  /** Counts the batch's rates once its archive objects are stored; its alerts are published after the batch's. */
  rates?: RateStep | undefined;
}

/**
 * Writes a processed batch to the sinks: archive objects first, then alerts. The caller acknowledges the
 * batch only when both are stored.
 *
 * - Archive before alerts: an alert never announces records that were not kept. When an archive write fails,
 *   no alert is sent; the batch comes back and alerts on its next attempt.
 * - All or nothing per batch: archive objects hold the whole batch (the raw object every record of it), so a
 *   failed write affects every record. Acknowledging a prefix of what was written would make the retry — a
 *   different range — write the rest again under new keys; failing the whole batch makes the retry rewrite the
 *   same keys and send alerts with the same deterministic ids (SNS FIFO deduplicates them; subscribers can by
 *   `alert_id`). (A batch cut short near the deadline is delivered as a batch of its own — only the records
 *   processed, named for them — so acknowledging it and returning the rest duplicates nothing.)
 * - Near the deadline nothing is started, and writes in flight are aborted in time for the handler to answer.
 * - `additional` objects are written with the batch's (a rollup written before the alerts it backs), and its
 *   alerts published after the batch's own, under its own batch; both count as the batch's: any failure
 *   fails the whole, and the retry writes and sends them again under the same keys and ids.
 */
export async function deliver(
  batch: BatchRef,
  processed: readonly ProcessedRecord[],
  sinks: Sinks,
  options: DeliveryOptions,
): Promise<DeliveryResult> {
  const budget = options.deadline.writeBudgetMs;
  // Every write gets a signal that aborts it when the budget runs out: an aborted write is a failed write, and
  // the deadline's doing (a DeadlineError), whatever the sink made of the abort.
  const write = (): WriteOptions => {
    const ms = budget();
    return Number.isFinite(ms) ? { signal: AbortSignal.timeout(Math.max(1, Math.floor(ms))) } : {};
  };
  const timedOut = (w: WriteOptions, what: string, err: unknown) =>
    w.signal?.aborted === true
      ? new DeadlineError(`the Lambda deadline margin was reached while writing ${what}`, { cause: err })
      : err;
  const attempt = async (what: string, put: (options: WriteOptions) => Promise<void>) => {
    const w = write();
    try {
      await put(w);
    } catch (err) {
      throw timedOut(w, what, err);
    }
  };
  const archived: DeliveryResult['archived'] = [];
  const sentAlerts: DeliveryResult['sentAlerts'] = [];
  const sentRateAlerts: string[] = [];
  const result = (errors: unknown[]): DeliveryResult => ({
    delivered: errors.length === 0,
    errors,
    archived,
    sentAlerts,
  });
  const additional = options.additional;
  if (processed.length === 0 && additional === undefined) return result([]);
  if (budget() <= 0) {
    return result([
      new DeadlineError(`too close to the Lambda deadline to write ${batch.label}; nothing written`),
    ]);
  }

  const objects = [
    ...(processed.length > 0 ? planArchiveObjects(batch, processed, options.zones) : []),
    ...(additional?.objects ?? []),
  ];
  const written = await Promise.allSettled(
    objects.map((o) => attempt(o.key, (w) => sinks.archive.put(o, w))),
  );
  const archiveErrors: unknown[] = [];
  written.forEach((w, i) => {
    const object = objects[i] as (typeof objects)[number];
    if (w.status === 'rejected') archiveErrors.push(w.reason);
    else archived.push({ zone: object.zone, bytes: object.lines.reduce((n, l) => n + l.length, 0) });
  });
  if (archiveErrors.length > 0) return result(archiveErrors);

  // The records are kept: their rates count now (exactly once, whatever happens to the alerts below).
  const rated = options.rates !== undefined ? await options.rates(write) : undefined;

  const matches: AlertMatch[] = [];
  for (const { outcome } of processed) {
    if (outcome.kind === 'ok' && outcome.alert !== undefined) matches.push(outcome.alert);
  }
  const publications: Array<{ batch: BatchRef; alerts: readonly AnyAlert[] }> = [
    { batch, alerts: aggregateAlerts(matches, batch.label, options.alertSampleSize) },
    ...(additional !== undefined ? [{ batch: additional.batch, alerts: additional.alerts }] : []),
    ...(rated !== undefined ? [{ batch: rated.batch, alerts: rated.alerts }] : []),
  ].filter((p) => p.alerts.length > 0);
  const errors: unknown[] = [];
  for (const publication of publications) {
    const error = await publish(publication.batch, publication.alerts);
    if (error !== undefined) errors.push(error);
  }
  // A rate alert not sent is released: the batch's retry (it fails below) or the next batch to add to its
  // counter claims it again; one that was sent is never sent again.
  if (rated !== undefined && rated.alerts.length > 0) {
    const sent = new Set<string>();
    for (const a of sentRateAlerts) sent.add(a);
    await rated.settle(sent);
  }
  return result(errors);

  /** Publishes one batch's alerts; returns why they were not all accepted. */
  async function publish(to: BatchRef, alerts: readonly AnyAlert[]): Promise<unknown> {
    if (budget() <= 0) {
      return new DeadlineError(`Lambda deadline reached before the alerts of ${to.label} were sent`);
    }
    const publishing = write();
    const what = `the alerts of ${to.label}`;
    try {
      const { failed: notAccepted } = await sinks.alerts.publish(alerts, to, publishing);
      const rejected = new Set(notAccepted);
      for (const a of alerts) {
        if (rejected.has(a.alert_id)) continue;
        sentAlerts.push({ rule: a.rule, severity: a.severity });
        if (a.kind === 'rate') sentRateAlerts.push(a.alert_id);
      }
      if (notAccepted.length > 0) {
        const error = new SinkError(
          'alerts',
          `${notAccepted.length} of ${alerts.length} alerts were not accepted`,
        );
        return timedOut(publishing, what, error);
      }
    } catch (err) {
      return timedOut(publishing, what, err);
    }
    return undefined;
  }
}
