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
   * The same records, for the configuration sets named in `METRIC_CONFIGURATION_SETS` only (the stack sets the
   * ones it wires: at most 5 existing SES sets and the SES and SMS sets it creates, so the dimension stays
   * bounded): the dashboard's row per configuration set.
   */
  ConfigurationSetEvents: { unit: 'Count', dimensions: [['ConfigurationSet', 'Channel', 'Outcome']] },
  /**
   * The shared rate store (docs/rates.md), per delivered batch on both paths: records whose rate counts could
   * not be stored (throttling or an outage past the retries) and are lost — emitted on every batch with rate
   * rules, 0 on most, so that its alarm sees data.
   */
  RateCountsDropped: { unit: 'Count', dimensions: [['Path']] },
  /** Counter adds applied to the rate store (the writes a batch costs). */
  RateCounterWrites: { unit: 'Count', dimensions: [['Path']] },
  /** Records counted into a rate rule's `other` group because the batch had more counters than allowed. */
  RateRecordsOverflowed: { unit: 'Count', dimensions: [['Path']] },
  /**
   * Records of a delivered batch whose analytics rows were merged into `other` rows because the batch had more
   * groups than `ANALYTICS_MAX_ROWS` rows (docs/analytics.md §3): emitted on every delivered batch, 0 on most.
   */
  AnalyticsRowsMerged: { unit: 'Count', dimensions: [['Path']] },
  /** Powertools' own, on the first invocation of each container (captureColdStartMetric). */
  ColdStart: { unit: 'Count', dimensions: [['function_name']] },
} as const satisfies Record<string, { unit: string; dimensions: ReadonlyArray<ReadonlyArray<string>> }>;

export type MetricName = keyof typeof METRIC_CATALOG;
