import type { GlueFields } from '../schema';

/**
 * One line of the `analytics/` archive zone (gzip JSON Lines, docs/analytics.md §2), as the batches write it and
 * the `analytics` Glue table reads it. Two kinds, told apart by `kind`. Every field is optional but those the
 * contract says are always there; an absent value is left out, never written as null.
 */

/** Counts of normalized records (dropped ones included) of one group of one hour. */
export interface AnalyticsMessagesRow {
  kind: 'messages';
  /** The hour of arrival, ISO-8601 UTC, fixed width (`2026-12-07T09:00:00.000Z`). */
  hour: string;
  source: string;
  family: string;
  channel?: string;
  app_id?: string;
  configuration_set?: string;
  journey_id?: string;
  campaign?: string;
  outcome: string;
  mailbox_provider?: string;
  bounce_type?: string;
  bounce_sub_type?: string;
  complaint_type?: string;
  status?: string;
  country?: string;
  count: number;
  price_usd?: number;
  carrier_fee_usd?: number;
  /** The groups past the batch's row bound, merged (docs/analytics.md §3). */
  other?: true;
}

/** Quarantined records (poison and internal errors) of one batch, by reason, in the batch's hour. */
export interface AnalyticsQuarantineRow {
  kind: 'quarantine';
  hour: string;
  reason: string;
  count: number;
}

export type AnalyticsRow = AnalyticsMessagesRow | AnalyticsQuarantineRow;

/**
 * Every field a row may carry, in the order rows write them, with its Athena column type: the columns of the Glue
 * table `analytics` and of the DDL in docs/analytics.md (test/unit/columns.test.ts) — but `hour`, which Athena
 * reads from the object's `hour=` partition (a table cannot have a data column and a partition key of one name;
 * the object is filed under its rows' hour, so the two agree). It does not compile until a new field of either
 * kind of row is listed here, with a type its values fit.
 */
export const ANALYTICS_FIELDS = {
  kind: 'string',
  hour: 'string',
  source: 'string',
  family: 'string',
  channel: 'string',
  app_id: 'string',
  configuration_set: 'string',
  journey_id: 'string',
  campaign: 'string',
  outcome: 'string',
  mailbox_provider: 'string',
  bounce_type: 'string',
  bounce_sub_type: 'string',
  complaint_type: 'string',
  status: 'string',
  country: 'string',
  reason: 'string',
  count: 'bigint',
  price_usd: 'double',
  carrier_fee_usd: 'double',
  other: 'boolean',
} as const satisfies GlueFields<AnalyticsRow>;

/** The value a merged row (`other: true`) has in place of the ids it merges. */
export const MERGED_VALUE = '(other)';

/** The longest group value written; longer ones are cut with a marker (`…[truncated N chars]`). */
export const MAX_ANALYTICS_VALUE = 256;

/** `ANALYTICS_MAX_ROWS`' default: the most rows one batch writes (docs/analytics.md §3). */
export const DEFAULT_ANALYTICS_MAX_ROWS = 2000;

/** The message tag read as the campaign when a record has no `campaign_id` (rules file `analytics.campaign_tag`). */
export const DEFAULT_CAMPAIGN_TAG = 'campaign';

/** How batches write their analytics rows (a `Runtime` builds it from the config and the rules file). */
export interface AnalyticsSettings {
  /** The rules file's `analytics.campaign_tag` (default `campaign`). */
  readonly campaignTag: string;
  /** `ANALYTICS_MAX_ROWS`: the most rows one batch writes. */
  readonly maxRows: number;
}
