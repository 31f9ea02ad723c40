import type { Outcome } from '../schema';

/**
 * What `pinpoint-stream report` shows, as numbers: built by ReportAccumulator from analytics rows
 * (docs/analytics.md) and rate alerts, rendered by renderReport, and printed as it is by `--json`. Every count
 * is a number of records as they were delivered (an event delivered twice counts twice: docs/report.md).
 */

/** Counts of records by the schema's outcome (docs/schema.md §3): only the outcomes seen, in the schema's order. */
export type OutcomeCounts = Partial<Record<Outcome, number>>;

/** One rate: `numerator / denominator`, null without a denominator. */
export interface Rate {
  numerator: number;
  denominator: number;
  rate: number | null;
  /** The SES review threshold, for the bounce and complaint rates. */
  threshold?: number;
  /** True when `rate` is at or above `threshold`. */
  over?: boolean;
}

/** Which records a rate counts: outcomes of one channel (docs/report.md, "Rates"). */
export interface RateDefinition {
  channel: string;
  numerator: readonly Outcome[];
  denominator: readonly Outcome[];
  threshold?: number;
}

/**
 * The rates, consistent with the shipped rate rules (docs/rates.md §4): bounce = bounced / (delivered + bounced),
 * complaint = complained / delivered, open = opened / delivered, click = clicked / delivered; SMS failure and
 * rejected over delivered + failed + rejected (the schema's `rejected` holds blocked, carrier-blocked and
 * spam-filtered texts).
 */
export const RATE_DEFINITIONS = {
  email: {
    delivery: {
      channel: 'EMAIL',
      numerator: ['delivered'],
      denominator: ['delivered', 'bounced', 'rejected', 'failed'],
    },
    open: { channel: 'EMAIL', numerator: ['opened'], denominator: ['delivered'] },
    click: { channel: 'EMAIL', numerator: ['clicked'], denominator: ['delivered'] },
    bounce: {
      channel: 'EMAIL',
      numerator: ['bounced'],
      denominator: ['delivered', 'bounced'],
      threshold: 0.05,
    },
    complaint: { channel: 'EMAIL', numerator: ['complained'], denominator: ['delivered'], threshold: 0.001 },
  },
  sms: {
    delivery: { channel: 'SMS', numerator: ['delivered'], denominator: ['delivered', 'failed', 'rejected'] },
    failure: { channel: 'SMS', numerator: ['failed'], denominator: ['delivered', 'failed', 'rejected'] },
    rejected: { channel: 'SMS', numerator: ['rejected'], denominator: ['delivered', 'failed', 'rejected'] },
  },
} as const satisfies Record<string, Record<string, RateDefinition>>;

export type EmailRateName = keyof typeof RATE_DEFINITIONS.email;
export type SmsRateName = keyof typeof RATE_DEFINITIONS.sms;

/** SES places an account under review at these rates (docs/rates.md §4). */
export const THRESHOLDS = { bounce: 0.05, complaint: 0.001 } as const;

/** Rows shown per table of campaigns, configuration sets, journeys, mailbox providers and countries. */
export const TOP_GROUPS = 50;
/** Rows shown per list of bounce sub-types, complaint types and failure statuses. */
export const TOP_REASONS = 10;
/** Rate alerts listed (the first by window); the rest are counted. */
export const MAX_ALERTS_SHOWN = 200;

/** The hourly series up to this many days; daily past it. */
export const HOURLY_UP_TO_DAYS = 3;
/** The longest range a report covers: a year and a day (a leap year, and the days either side of a month). */
export const MAX_RANGE_DAYS = 366;

/** The dimensions with a table of their own. */
export const GROUP_DIMENSIONS = ['campaign', 'configuration_set', 'journey_id'] as const;
export type GroupDimension = (typeof GROUP_DIMENSIONS)[number];

/** The rates shown per campaign, configuration set, journey. Null without a denominator. */
export interface GroupRates {
  open: number | null;
  click: number | null;
  bounce: number | null;
  complaint: number | null;
  smsDelivery: number | null;
}

/** One campaign, configuration set or journey (or the others, or the merged rows): its funnel and rates. */
export interface GroupRow {
  value: string;
  records: number;
  outcomes: OutcomeCounts;
  rates: GroupRates;
  spendUsd: number;
  /** For the others row: how many groups it holds (when known; see `untrackedRecords`). */
  groups?: number;
}

export interface GroupTable {
  /** The top {@link TOP_GROUPS} by records, most first (ties by value). */
  rows: GroupRow[];
  /** Every other group, summed; null when there is none. */
  others: GroupRow | null;
  /**
   * Rows the producer merged past its row bound (`other: true`, value `(other)`): their groups are not known.
   * Null when there is none.
   */
  merged: GroupRow | null;
  /** Distinct values seen (at most the tracking cap). */
  distinct: number;
  /** Records without a value for this dimension (not in the table). */
  withoutValue: number;
  /**
   * Records of groups first seen after the tracking cap was reached ({@link MAX_TRACKED_GROUPS} distinct
   * values): counted in `others`, never ranked.
   */
  untrackedRecords: number;
}

/** A ranked list (mailbox providers, countries, reasons): the top rows and the rest summed. */
export interface TopList<R> {
  rows: R[];
  others: R | null;
  untrackedRecords: number;
}

export interface ChannelRow {
  /** The rows' channel, `(none)` for records without one. */
  channel: string;
  records: number;
  outcomes: OutcomeCounts;
  priceUsd: number;
  carrierFeeUsd: number;
  spendUsd: number;
}

export interface DayRow {
  day: string;
  records: number;
  /** Records by channel (`(none)` for none). */
  channels: Record<string, number>;
}

export interface SeriesPoint {
  /** The hour or day, ISO-8601 UTC. */
  start: string;
  email: { delivered: number; bounced: number; complained: number; opened: number; clicked: number };
  sms: { delivered: number; failed: number; rejected: number };
  rates: {
    bounce: number | null;
    complaint: number | null;
    open: number | null;
    click: number | null;
    smsDelivery: number | null;
    smsFailure: number | null;
  };
}

export interface ProviderRow {
  provider: string;
  records: number;
  outcomes: OutcomeCounts;
  rates: { bounce: number | null; complaint: number | null; open: number | null; click: number | null };
}

export interface CountryRow {
  channel: string;
  country: string;
  records: number;
  outcomes: OutcomeCounts;
  deliveryRate: number | null;
  priceUsd: number;
  carrierFeeUsd: number;
  spendUsd: number;
}

export interface BounceTypeRow {
  bounce_type: string;
  bounce_sub_type: string;
  count: number;
}
export interface ComplaintTypeRow {
  complaint_type: string;
  count: number;
}
export interface FailureStatusRow {
  channel: string;
  status: string;
  count: number;
}

export interface RateAlertRow {
  alert_id: string;
  rule: string;
  severity: string;
  window_start: string;
  window_end: string;
  /** `field=value` pairs of the group, `(all)` without group, `(other groups)` for an overflow group. */
  group: string;
  numerator: number;
  denominator: number;
  rate: number;
  threshold: number;
}

export interface ReportData {
  /** First and last day, inclusive, UTC. */
  from: string;
  to: string;
  granularity: 'hour' | 'day';
  /** Where the rows came from: `folder <path>` or `s3://bucket/prefix`. */
  source: string;
  input: {
    analyticsObjects: number;
    alertObjects: number;
    messageRows: number;
    quarantineRows: number;
    /** Rows of a kind this version does not know (counted, not shown). */
    ignoredRows: number;
    /** Rows whose hour is outside the range (in an object of a partition inside it). */
    outOfRangeRows: number;
  };
  totals: {
    records: number;
    outcomes: OutcomeCounts;
    priceUsd: number;
    carrierFeeUsd: number;
    spendUsd: number;
  };
  channels: ChannelRow[];
  days: DayRow[];
  rates: {
    email: Record<EmailRateName, Rate>;
    sms: Record<SmsRateName, Rate>;
  };
  thresholds: typeof THRESHOLDS;
  groups: Record<GroupDimension, GroupTable>;
  series: SeriesPoint[];
  mailboxProviders: TopList<ProviderRow>;
  countries: TopList<CountryRow>;
  bounceTypes: TopList<BounceTypeRow>;
  complaintTypes: TopList<ComplaintTypeRow>;
  failureStatuses: TopList<FailureStatusRow>;
  rateAlerts: {
    /**
     * False when the source holds no `alerts/` at all: on S3 rate alerts go to SNS, not to the bucket. The page
     * then says so instead of "no rate alerts".
     */
    available: boolean;
    total: number;
    shown: RateAlertRow[];
    omitted: number;
    byRule: Array<{ rule: string; severity: string; count: number }>;
  };
  quarantine: { total: number; reasons: TopList<{ reason: string; count: number }> };
}

/** Distinct values tracked per table; values first seen past it are counted in the table's others. */
export const MAX_TRACKED_GROUPS = 10_000;
