/**
 * Every metric the functions emit: its unit and each set of dimensions it is emitted with. Powertools adds the
 * `service` dimension (POWERTOOLS_SERVICE_NAME, `<service>-<stage>` when deployed) to every one of them, so a
 * CloudWatch alarm or dashboard widget names `service` plus one of these sets. The stack's alarms and dashboard
 * are checked against this catalog (test/integration), and the Powertools adapter against the catalog (unit
 * tests): a renamed metric or dimension cannot silently leave an alarm watching nothing.
 */
export const METRIC_CATALOG = {
  RecordsIn: { unit: 'Count', dimensions: [['Path']] },
  RecordsDropped: { unit: 'Count', dimensions: [['Path']] },
  InternalErrors: { unit: 'Count', dimensions: [['Path']] },
  BatchesNotDelivered: { unit: 'Count', dimensions: [['Path']] },
  RecordsDeferred: { unit: 'Count', dimensions: [['Path']] },
  RecordsFailedForSize: { unit: 'Count', dimensions: [['Path']] },
  ArrivalLatencyMax: { unit: 'Milliseconds', dimensions: [['Path']] },
  ArrivalLatencyAvg: { unit: 'Milliseconds', dimensions: [['Path']] },
  RecordsOut: { unit: 'Count', dimensions: [['Path', 'Source', 'Family', 'Outcome']] },
  PoisonRecords: { unit: 'Count', dimensions: [['Path', 'Reason']] },
  AlertsSent: { unit: 'Count', dimensions: [['Rule', 'Severity']] },
  ArchiveObjects: { unit: 'Count', dimensions: [['Zone']] },
  ArchiveBytes: { unit: 'Bytes', dimensions: [['Zone']] },
  SinkFailures: { unit: 'Count', dimensions: [['Sink']] },
  SinkRetries: { unit: 'Count', dimensions: [['Sink']] },
  /**
   * Normalized records of delivered batches (dropped ones included: a drop rule decides what is archived,
   * not what happened), by source, channel (`NONE` when the event has none) and outcome, on both paths and
   * every shard: the account-wide rates (bounce, complaint, SMS failure) are metric math over these.
   */
  MessageEvents: { unit: 'Count', dimensions: [['Source', 'Channel', 'Outcome']] },
  /**
   * Kinesis tumbling windows (docs/rates.md §2), per delivered invocation of a window: the estimated size of
   * the `state` returned (Lambda ends a window whose state passes 1 MB; the rate counts are kept under 512 KiB).
   */
  RateStateBytes: { unit: 'Bytes', dimensions: [['Path']] },
  /** Records counted into a rate rule's `other` group because their group did not fit the window state. */
  RateRecordsOverflowed: { unit: 'Count', dimensions: [['Path']] },
  /**
   * Counts started over: `Reason` = `state_unreadable` (the state received was not one this function writes:
   * the whole window) or `rule_changed` (rules whose definition changed in the middle of a window).
   */
  RateStateResets: { unit: 'Count', dimensions: [['Path', 'Reason']] },
  /** Powertools' own, on the first invocation of each container (captureColdStartMetric). */
  ColdStart: { unit: 'Count', dimensions: [['function_name']] },
} as const satisfies Record<string, { unit: string; dimensions: ReadonlyArray<ReadonlyArray<string>> }>;

export type MetricName = keyof typeof METRIC_CATALOG;
