import { type PiiMode, PiiProtector } from '../pii';
import { type NormalizedRecord, OUTCOMES } from '../schema';
import { truncateText } from '../truncateText';
import {
  type AnalyticsMessagesRow,
  type AnalyticsQuarantineRow,
  type AnalyticsRow,
  DEFAULT_CAMPAIGN_TAG,
  MAX_ANALYTICS_VALUE,
  MERGED_VALUE,
} from './analyticsRow';
import { mailboxProvider } from './mailboxProvider';

/**
 * A batch's analytics rows (docs/analytics.md), counted one record at a time while each is at hand: `add` in the
 * pipeline's `onRecord` (the record after routing and personal-data protection, dropped ones included), `rows`
 * once the batch knows which records it delivers. Linear: each record costs a bounded amount of work (its group
 * values cut at 256 characters before they are keyed), and the rows are built in one pass over the records
 * counted, plus one sort of the groups when the batch is past its row bound. Deterministic: the same records in
 * the same order give the same rows in the same order, so a retried batch rewrites the same object. Pure.
 */

export interface AnalyticsTallyOptions {
  /** The message tag read as the campaign when a record has no `campaign_id` (default `campaign`). */
  readonly campaignTag?: string;
  /**
   * The PII mode the records were protected with. In `keep` (raw personal data kept in the archive, an explicit
   * opt-in) the group values a sender or a recipient writes — the campaign tag, statuses, bounce and complaint
   * types, country — are scanned here and replaced as `redact` mode would: the analytics rows carry no personal
   * data in any mode. In `hash` and `redact` they were protected already.
   */
  readonly piiMode?: PiiMode;
}

/** What the rows of a batch are built with. */
export interface AnalyticsRowsOptions {
  /** Which records (by their index in the batch) are delivered; default: every one counted. */
  readonly delivered?: (index: number) => boolean;
  /** The quarantine reason of each quarantined record of the batch (poison and internal errors). */
  readonly quarantined?: Iterable<string>;
  /** The batch's partition (its first record's arrival): the hour of its quarantine rows. */
  readonly batchHour: { readonly dt: string; readonly hour: string };
  /** The most rows (`ANALYTICS_MAX_ROWS`); past it the smallest groups are merged (docs/analytics.md §3). */
  readonly maxRows: number;
}

export interface AnalyticsRows {
  /** In the order they are written: by hour, then messages rows as first counted, merged rows, quarantine. */
  readonly rows: AnalyticsRow[];
  /** Records whose groups were merged into an `other` row (the `AnalyticsRowsMerged` metric). */
  readonly merged: number;
}

/** The channels of phone messages: SMS (and MMS, whose events are channel SMS), voice and RCS. */
const PHONE_CHANNELS: ReadonlySet<string> = new Set(['SMS', 'VOICE', 'RCS']);
/** The channels whose status events each carry the message's whole price (End User Messaging SMS, MMS, voice). */
const REPEATED_PRICE: ReadonlySet<string> = new Set(['SMS', 'VOICE']);
/** Phone messages that did not go through, whose status says why (blocked by SMS Protect is `suppressed`). */
const FAILED: ReadonlySet<string> = new Set(['failed', 'rejected', 'suppressed']);
const OUTCOME_SET: ReadonlySet<string> = new Set(OUTCOMES);
const DT = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const HH = /^([01]\d|2[0-3])$/;

/** The group columns of one row, without its counts. */
type Group = Omit<AnalyticsMessagesRow, 'hour' | 'count' | 'price_usd' | 'carrier_fee_usd' | 'other'> & {
  /** Undefined for a record without a readable hour: the batch's, then. */
  hour: string | undefined;
};

export class AnalyticsTally {
  private readonly campaignTag: string;
  /** `keep` mode only: the scrubber of group values (see {@link AnalyticsTallyOptions.piiMode}). */
  private readonly scrub: PiiProtector | undefined;
  /** Group index by column values, one map per column (see add). */
  private readonly levels: Level = new Map();
  /** The groups, as first counted. `hour` is undefined for a record without a readable one (the batch's then). */
  private readonly groups: Array<Group> = [];
  /** Per record counted, in order: its index in the batch, its group, its price and carrier fee (NaN: none). */
  private readonly indexes: number[] = [];
  private readonly groupOf: number[] = [];
  private readonly prices: number[] = [];
  private readonly fees: number[] = [];
  /** `dt` + `hour` → the row's `hour`, for the few hours a batch names; and the last one asked. */
  private readonly hours = new Map<string, string | undefined>();
  private lastDt: unknown;
  private lastHour: unknown;
  private lastIso: string | undefined;

  constructor(options: AnalyticsTallyOptions = {}) {
    this.campaignTag = options.campaignTag ?? DEFAULT_CAMPAIGN_TAG;
    this.scrub = options.piiMode === 'keep' ? new PiiProtector('redact', Buffer.alloc(0)) : undefined;
  }

  /** Records counted so far. */
  get size(): number {
    return this.indexes.length;
  }

  /**
   * Counts one normalized record (protected, as archived) under its index in the batch. Reads only the fields of
   * the contract, each checked for its type: a record read back from a file (`process` on normalized records)
   * may hold anything.
   */
  add(record: NormalizedRecord, index: number): void {
    const r = record as unknown as Readonly<Record<string, unknown>>;
    const hour = this.hourOf(r.dt, r.hour);
    const source = text(r.source) ?? 'unknown';
    const family = text(r.family) ?? 'unknown';
    const channel = text(r.channel);
    // Minted ids (application, configuration set, journey, campaign) are kept as received in every mode (docs/
    // schema.md §5): cut only. Everything else a sender or a recipient may have written is protected.
    const appId = text(r.app_id);
    const configurationSet = text(r.configuration_set);
    const journeyId = text(r.journey_id);
    const attrs = r.attributes;
    const campaign =
      text(r.campaign_id) ??
      (attrs !== null && typeof attrs === 'object' && Object.hasOwn(attrs, this.campaignTag)
        ? this.protectedText((attrs as Record<string, unknown>)[this.campaignTag])
        : undefined);
    const outcome = typeof r.outcome === 'string' && OUTCOME_SET.has(r.outcome) ? r.outcome : 'other';
    const provider =
      channel === 'EMAIL' && typeof r.email_domain === 'string' ? mailboxProvider(r.email_domain) : undefined;
    const bounced = outcome === 'bounced';
    const bounceType = bounced ? text(r.bounce_type) : undefined;
    const bounceSubType = bounced ? this.protectedText(r.bounce_sub_type) : undefined;
    const complaintType = outcome === 'complained' ? this.protectedText(r.complaint_type) : undefined;
    const phone = channel !== undefined && PHONE_CHANNELS.has(channel);
    const status = phone && FAILED.has(outcome) ? this.protectedText(r.status) : undefined;
    const country = phone
      ? (this.protectedText(r.country) ?? this.protectedText(r.phone_country))
      : undefined;

    // The group's index, through one map per column (values as they are: no key is built per record). Values
    // are never '' (text() reads '' as absent), so '' stands for an absent one. Columns of few values first.
    const levels = this.levels;
    let m = levels;
    m = level(m, hour ?? '');
    m = level(m, source);
    m = level(m, family);
    m = level(m, channel ?? '');
    m = level(m, outcome);
    m = level(m, provider ?? '');
    m = level(m, bounceType ?? '');
    m = level(m, appId ?? '');
    m = level(m, configurationSet ?? '');
    m = level(m, journeyId ?? '');
    m = level(m, campaign ?? '');
    m = level(m, bounceSubType ?? '');
    m = level(m, complaintType ?? '');
    m = level(m, status ?? '');
    const leaf = m as unknown as Map<string, number>;
    let g = leaf.get(country ?? '');
    if (g === undefined) {
      // Built once per group, its keys in the column order of docs/analytics.md.
      const group: Group = {
        kind: 'messages',
        hour,
        source,
        family,
        ...(channel !== undefined && { channel }),
        ...(appId !== undefined && { app_id: appId }),
        ...(configurationSet !== undefined && { configuration_set: configurationSet }),
        ...(journeyId !== undefined && { journey_id: journeyId }),
        ...(campaign !== undefined && { campaign }),
        outcome,
        ...(provider !== undefined && { mailbox_provider: provider }),
        ...(bounceType !== undefined && { bounce_type: bounceType }),
        ...(bounceSubType !== undefined && { bounce_sub_type: bounceSubType }),
        ...(complaintType !== undefined && { complaint_type: complaintType }),
        ...(status !== undefined && { status }),
        ...(country !== undefined && { country }),
      };
      g = this.groups.length;
      this.groups.push(group);
      leaf.set(country ?? '', g);
    }
    this.indexes.push(index);
    this.groupOf.push(g);
    // End User Messaging repeats a text, MMS or voice message's total price on each of its status events: it is
    // counted once, on the final one (`isFinal`). RCS events price what each bills, Pinpoint prices the final one.
    const priced = r.is_final !== false || channel === undefined || !REPEATED_PRICE.has(channel);
    this.prices.push(priced ? money(r.price_usd) : Number.NaN);
    this.fees.push(priced ? money(r.carrier_fee_usd) : Number.NaN);
  }

  /**
   * The batch's rows: the delivered records' counts and sums per group, the quarantine's per reason, and — past
   * `maxRows` — the smallest groups merged (docs/analytics.md §3).
   */
  rows(options: AnalyticsRowsOptions): AnalyticsRows {
    const batchHour = isoHour(options.batchHour.dt, options.batchHour.hour);
    const delivered = options.delivered;
    const n = this.groups.length;
    const counts = new Array<number>(n).fill(0);
    const prices = new Array<number>(n).fill(Number.NaN);
    const fees = new Array<number>(n).fill(Number.NaN);
    for (let i = 0; i < this.indexes.length; i++) {
      if (delivered !== undefined && !delivered(this.indexes[i] as number)) continue;
      const g = this.groupOf[i] as number;
      counts[g] = (counts[g] as number) + 1;
      prices[g] = addMoney(prices[g] as number, this.prices[i] as number);
      fees[g] = addMoney(fees[g] as number, this.fees[i] as number);
    }
    const messages: Array<{ row: AnalyticsMessagesRow; order: number }> = [];
    for (let g = 0; g < n; g++) {
      const count = counts[g] as number;
      if (count === 0) continue;
      const group = this.groups[g] as Group;
      const row: AnalyticsMessagesRow = { ...group, hour: group.hour ?? batchHour, count };
      withMoney(row, prices[g] as number, fees[g] as number);
      messages.push({ row, order: g });
    }
    const quarantine = new Map<string, number>();
    for (const reason of options.quarantined ?? []) {
      const r = bounded(reason) ?? 'unknown';
      quarantine.set(r, (quarantine.get(r) ?? 0) + 1);
    }
    const quarantineRows: AnalyticsQuarantineRow[] = [...quarantine].map(([reason, count]) => ({
      kind: 'quarantine',
      hour: batchHour,
      reason,
      count,
    }));
    const { kept, merged, mergedRecords } = bound(messages, quarantineRows.length, options.maxRows);
    // One object per hour: rows by hour, each hour's messages as first counted, its merged rows, its quarantine.
    const byHour = new Map<string, AnalyticsRow[]>();
    const push = (row: AnalyticsRow) => {
      const list = byHour.get(row.hour);
      if (list === undefined) byHour.set(row.hour, [row]);
      else list.push(row);
    };
    for (const m of kept) push(m.row);
    for (const row of merged) push(row);
    for (const row of quarantineRows) push(row);
    const rows = [...byHour.keys()].sort().flatMap((h) => byHour.get(h) as AnalyticsRow[]);
    return { rows, merged: mergedRecords };
  }

  /** A value someone wrote (a tag, a status): protected in `keep` mode, then cut. */
  private protectedText(value: unknown): string | undefined {
    if (typeof value !== 'string' || value === '') return undefined;
    return bounded(this.scrub === undefined ? value : this.scrub.identifier(value));
  }

  private hourOf(dt: unknown, hour: unknown): string | undefined {
    // A batch's records mostly arrive within one hour: the last answer first.
    if (dt === this.lastDt && hour === this.lastHour) return this.lastIso;
    if (typeof dt !== 'string' || typeof hour !== 'string' || dt.length !== 10 || hour.length !== 2) {
      return undefined;
    }
    const key = dt + hour;
    let iso = this.hours.get(key);
    if (iso === undefined && !this.hours.has(key)) {
      iso = DT.test(dt) && HH.test(hour) && isDay(dt) ? isoHour(dt, hour) : undefined;
      this.hours.set(key, iso);
    }
    this.lastDt = dt;
    this.lastHour = hour;
    this.lastIso = iso;
    return iso;
  }
}

/**
 * The rows kept and merged under the bound: when there are more rows than `maxRows`, the groups with the fewest
 * records (ties: the one counted later) are merged, per hour, source, family, channel and outcome, one at a time,
 * until the rows fit or every group is merged. A group left alone in its merged row is kept as it was (the
 * same number of rows, its details kept). The rows never go below one per hour, source, family, channel and
 * outcome (and quarantine reason): those are what the totals add up by.
 */
function bound(
  messages: Array<{ row: AnalyticsMessagesRow; order: number }>,
  quarantineRows: number,
  maxRows: number,
): {
  kept: Array<{ row: AnalyticsMessagesRow; order: number }>;
  merged: AnalyticsMessagesRow[];
  mergedRecords: number;
} {
  let rows = messages.length + quarantineRows;
  if (rows <= maxRows) return { kept: messages, merged: [], mergedRecords: 0 };
  const smallestFirst = [...messages].sort((a, b) => a.row.count - b.row.count || b.order - a.order);
  const buckets = new Map<string, Array<{ row: AnalyticsMessagesRow; order: number }>>();
  for (const m of smallestFirst) {
    if (rows <= maxRows) break;
    const key = bucketOf(m.row);
    const bucket = buckets.get(key);
    if (bucket === undefined) buckets.set(key, [m]);
    else {
      bucket.push(m);
      rows--;
    }
  }
  const out = new Set<{ row: AnalyticsMessagesRow; order: number }>();
  const merged: AnalyticsMessagesRow[] = [];
  let mergedRecords = 0;
  // Summed in the order the groups were counted, whatever order they were merged in; merged rows in the order
  // of their first group.
  const groups = [...buckets.values()].filter((b) => b.length > 1);
  for (const bucket of groups) bucket.sort((a, b) => a.order - b.order);
  groups.sort((a, b) => (a[0]?.order ?? 0) - (b[0]?.order ?? 0));
  for (const bucket of groups) {
    const first = (bucket[0] as { row: AnalyticsMessagesRow }).row;
    const row: AnalyticsMessagesRow = {
      kind: 'messages',
      hour: first.hour,
      source: first.source,
      family: first.family,
      ...(first.channel !== undefined && { channel: first.channel }),
      outcome: first.outcome,
      count: 0,
    };
    const hasId = { app_id: false, configuration_set: false, journey_id: false, campaign: false };
    let price = Number.NaN;
    let fee = Number.NaN;
    for (const m of bucket) {
      out.add(m);
      row.count += m.row.count;
      for (const id of MERGED_IDS) if (m.row[id] !== undefined) hasId[id] = true;
      price = addMoney(price, m.row.price_usd ?? Number.NaN);
      fee = addMoney(fee, m.row.carrier_fee_usd ?? Number.NaN);
    }
    mergedRecords += row.count;
    // In the column order of every row: the ids after the channel, before the outcome.
    const ordered: AnalyticsMessagesRow = {
      kind: 'messages',
      hour: row.hour,
      source: row.source,
      family: row.family,
      ...(row.channel !== undefined && { channel: row.channel }),
      ...(hasId.app_id && { app_id: MERGED_VALUE }),
      ...(hasId.configuration_set && { configuration_set: MERGED_VALUE }),
      ...(hasId.journey_id && { journey_id: MERGED_VALUE }),
      ...(hasId.campaign && { campaign: MERGED_VALUE }),
      outcome: row.outcome,
      count: row.count,
    };
    withMoney(ordered, price, fee);
    ordered.other = true;
    merged.push(ordered);
  }
  return {
    kept: messages.filter((m) => !out.has(m)),
    merged,
    mergedRecords,
  };
}

/** The ids a merged row replaces by `(other)` (when one of its groups had one); its other details are dropped. */
const MERGED_IDS = ['app_id', 'configuration_set', 'journey_id', 'campaign'] as const;

/** What a merged row keeps: hour, source, family, channel and outcome. */
function bucketOf(row: AnalyticsMessagesRow): string {
  return row.hour + part(row.source) + part(row.family) + part(row.channel) + part(row.outcome);
}

/** A map of one column's values to the next column's map (the last column's to a group index). */
type Level = Map<string, Level>;

/** The next column's map under `value`, made when new. */
function level(m: Level, value: string): Level {
  let next = m.get(value);
  if (next === undefined) {
    next = new Map();
    m.set(value, next);
  }
  return next;
}

/** One value of a group's key: `-` when absent, else its length, `:` and itself. */
function part(value: string | undefined): string {
  return value === undefined ? '-' : `${value.length}:${value}`;
}

/** A non-empty string, cut; else undefined. */
function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? bounded(value) : undefined;
}

function bounded(value: string): string | undefined {
  if (value === '') return undefined;
  return value.length > MAX_ANALYTICS_VALUE ? truncateText(value, MAX_ANALYTICS_VALUE) : value;
}

/** A price as counted: a finite number, else NaN (none). */
function money(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : Number.NaN;
}

/** A running sum where NaN is "nothing yet": NaN + NaN stays NaN, NaN + x is x. */
function addMoney(sum: number, value: number): number {
  if (Number.isNaN(value)) return sum;
  return Number.isNaN(sum) ? value : sum + value;
}

/** Sets the sums a row has, rounded as the normalizer rounds prices (10 decimals), finite. */
function withMoney(row: AnalyticsMessagesRow, price: number, fee: number): void {
  const p = roundUsd(price);
  const f = roundUsd(fee);
  if (p !== undefined) row.price_usd = p;
  else delete row.price_usd;
  if (f !== undefined) row.carrier_fee_usd = f;
  else delete row.carrier_fee_usd;
}

function roundUsd(sum: number): number | undefined {
  if (!Number.isFinite(sum)) return undefined;
  const rounded = Math.round(sum * 1e10) / 1e10;
  // Sums past ~1e298 overflow when scaled: written as they are (finite, what a Glue double takes).
  return Number.isFinite(rounded) ? rounded : sum;
}

function isoHour(dt: string, hour: string): string {
  return `${dt}T${hour}:00:00.000Z`;
}

/** A calendar day that exists (`2026-02-30` does not). */
function isDay(dt: string): boolean {
  const ms = Date.parse(`${dt}T00:00:00.000Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === dt;
}
