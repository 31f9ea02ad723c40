import { OUTCOMES, type Outcome } from '../schema';
import type { AnalyticsRow, MessagesRow } from './analyticsRow';
import {
  type BounceTypeRow,
  type ChannelRow,
  type ComplaintTypeRow,
  type CountryRow,
  type DayRow,
  type FailureStatusRow,
  GROUP_DIMENSIONS,
  type GroupDimension,
  type GroupRow,
  type GroupTable,
  HOURLY_UP_TO_DAYS,
  MAX_ALERTS_SHOWN,
  MAX_TRACKED_GROUPS,
  type OutcomeCounts,
  type ProviderRow,
  RATE_DEFINITIONS,
  type Rate,
  type RateAlertRow,
  type RateDefinition,
  type ReportData,
  type SeriesPoint,
  THRESHOLDS,
  TOP_GROUPS,
  TOP_REASONS,
  type TopList,
} from './model';

/**
 * Adds analytics rows and rate alerts up into the report's numbers as they are read: no row is kept, only
 * counters per group. Memory depends on the number of distinct groups (each table tracks at most
 * {@link MAX_TRACKED_GROUPS} values; later ones are counted in its others), on the days of the range and on
 * {@link MAX_ALERTS_SHOWN} — never on the number of rows. The order rows arrive in changes nothing: counts are
 * integers, money is summed in whole micro-dollars. Pure (no I/O).
 */
export class ReportAccumulator {
  private readonly fromMs: number;
  private readonly days: number;
  private readonly granularity: 'hour' | 'day';
  private readonly input = {
    analyticsObjects: 0,
    alertObjects: 0,
    messageRows: 0,
    quarantineRows: 0,
    ignoredRows: 0,
    outOfRangeRows: 0,
  };
  private readonly total = new Tally();
  private readonly email = new Float64Array(OUTCOMES.length);
  private readonly sms = new Float64Array(OUTCOMES.length);
  private readonly channels = new Capped(64, () => new Tally());
  private readonly dayChannels: Array<Map<string, number>>;
  /** Per bucket (hour or day): {@link SERIES_FIELDS}. */
  private readonly series: Float64Array;
  private readonly groups: Record<GroupDimension, GroupCounter>;
  private readonly providers = new Capped(MAX_TRACKED_GROUPS, () => new Float64Array(OUTCOMES.length));
  private readonly countries = new Capped(MAX_TRACKED_GROUPS, () => new Tally());
  private readonly bounceTypes = new Capped(MAX_TRACKED_GROUPS, () => ({ n: 0 }));
  private readonly complaintTypes = new Capped(MAX_TRACKED_GROUPS, () => ({ n: 0 }));
  private readonly failureStatuses = new Capped(MAX_TRACKED_GROUPS, () => ({ n: 0 }));
  private readonly quarantine = new Capped(MAX_TRACKED_GROUPS, () => ({ n: 0 }));
  private alertsAvailable = true;
  private alertsTotal = 0;
  private readonly alertsShown: RateAlertRow[] = [];
  private readonly alertIds = new Set<string>();
  private readonly alertsByRule = new Capped(MAX_TRACKED_GROUPS, () => ({ n: 0 }));
  private readonly dayIndexes = new Map<string, number>();

  /**
   * @param from first day, `YYYY-MM-DD` (UTC), inclusive
   * @param to last day, inclusive; not before `from`
   * @param source where the rows come from, as the page names it
   */
  constructor(
    readonly from: string,
    readonly to: string,
    private readonly source: string,
  ) {
    this.fromMs = Date.parse(`${from}T00:00:00Z`);
    this.days = Math.round((Date.parse(`${to}T00:00:00Z`) - this.fromMs) / DAY_MS) + 1;
    if (!Number.isFinite(this.days) || this.days < 1) throw new RangeError(`bad range ${from}..${to}`);
    this.granularity = this.days <= HOURLY_UP_TO_DAYS ? 'hour' : 'day';
    this.dayChannels = Array.from({ length: this.days }, () => new Map<string, number>());
    this.series = new Float64Array(this.buckets() * SERIES_FIELDS.length);
    this.groups = {
      campaign: new GroupCounter(),
      configuration_set: new GroupCounter(),
      journey_id: new GroupCounter(),
    };
  }

  /** Objects read, of `analytics/` or `alerts/`. */
  countObjects(zone: 'analytics' | 'alerts', n: number): void {
    if (zone === 'analytics') this.input.analyticsObjects += n;
    else this.input.alertObjects += n;
  }

  /** False: the source keeps no `alerts/` at all (S3, where rate alerts go to SNS). */
  setAlertsAvailable(available: boolean): void {
    this.alertsAvailable = available;
  }

  addRow(row: AnalyticsRow): void {
    if (row.kind === 'ignored') {
      this.input.ignoredRows++;
      return;
    }
    const dayIndex = this.dayIndex(row.day);
    if (!(dayIndex >= 0 && dayIndex < this.days)) {
      this.input.outOfRangeRows++;
      return;
    }
    if (row.kind === 'quarantine') {
      this.input.quarantineRows++;
      this.quarantine.at(row.reason).n += row.count;
      return;
    }
    this.input.messageRows++;
    this.addMessages(row, dayIndex);
  }

  private addMessages(row: MessagesRow, dayIndex: number): void {
    const o = OUTCOME_INDEX.get(row.outcome) as number;
    const n = row.count;
    const price = micro(row.price_usd);
    const fee = micro(row.carrier_fee_usd);
    const channel = row.channel ?? NONE;
    this.total.add(o, n, price, fee);
    this.channels.at(channel).add(o, n, price, fee);
    const day = this.dayChannels[dayIndex] as Map<string, number>;
    if (day.size < 64 || day.has(channel)) day.set(channel, (day.get(channel) ?? 0) + n);
    else day.set(OTHER_CHANNELS, (day.get(OTHER_CHANNELS) ?? 0) + n);

    const isEmail = channel === 'EMAIL';
    const isSms = channel === 'SMS';
    if (isEmail) this.email[o] = (this.email[o] as number) + n;
    if (isSms) this.sms[o] = (this.sms[o] as number) + n;
    const field = isEmail ? EMAIL_SERIES.get(row.outcome) : isSms ? SMS_SERIES.get(row.outcome) : undefined;
    if (field !== undefined) {
      const bucket = this.granularity === 'hour' ? dayIndex * 24 + row.hour : dayIndex;
      const i = bucket * SERIES_FIELDS.length + field;
      this.series[i] = (this.series[i] as number) + n;
    }

    for (const dimension of GROUP_DIMENSIONS) {
      this.groups[dimension].add(row.other ? MERGED : row[dimension], o, n, channel, price + fee);
    }
    if (isEmail) {
      const p = this.providers.at(row.mailbox_provider ?? NONE);
      p[o] = (p[o] as number) + n;
    }
    if (channel === 'SMS' || channel === 'VOICE' || (row.country !== undefined && !isEmail)) {
      this.countries.at(`${channel}\u0000${row.country ?? UNKNOWN}`).add(o, n, price, fee);
    }
    if (row.outcome === 'bounced') {
      this.bounceTypes.at(`${row.bounce_type ?? NONE}\u0000${row.bounce_sub_type ?? NONE}`).n += n;
    }
    if (row.outcome === 'complained') this.complaintTypes.at(row.complaint_type ?? NONE).n += n;
    if (
      (row.outcome === 'failed' || row.outcome === 'rejected') &&
      !isEmail &&
      (channel === 'SMS' || channel === 'VOICE' || row.status !== undefined)
    ) {
      this.failureStatuses.at(`${channel}\u0000${row.status ?? NONE}`).n += n;
    }
  }

  /** A rate alert read from `alerts/`: listed when its window starts in the range, once per `alert_id`. */
  addAlert(alert: RateAlertRow): void {
    const start = Date.parse(alert.window_start);
    if (!(start >= this.fromMs && start < this.fromMs + this.days * DAY_MS)) return;
    if (this.alertIds.has(alert.alert_id)) return;
    // The same id is the same window evaluated again (a retried invoke, a replay): SNS FIFO delivers it once.
    if (this.alertIds.size < MAX_ALERT_IDS) this.alertIds.add(alert.alert_id);
    this.alertsTotal++;
    this.alertsByRule.at(`${alert.rule}\u0000${alert.severity}`).n++;
    const shown = this.alertsShown;
    if (
      shown.length === MAX_ALERTS_SHOWN &&
      compareAlerts(alert, shown[shown.length - 1] as RateAlertRow) >= 0
    ) {
      return;
    }
    let lo = 0;
    let hi = shown.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareAlerts(shown[mid] as RateAlertRow, alert) <= 0) lo = mid + 1;
      else hi = mid;
    }
    shown.splice(lo, 0, alert);
    if (shown.length > MAX_ALERTS_SHOWN) shown.pop();
  }

  /** The day's place in the range (outside it: below 0 or from `days` up), remembered for the few days rows name. */
  private dayIndex(day: string): number {
    let i = this.dayIndexes.get(day);
    if (i === undefined) {
      i = Math.round((Date.parse(`${day}T00:00:00Z`) - this.fromMs) / DAY_MS);
      if (this.dayIndexes.size >= 1000) this.dayIndexes.clear();
      this.dayIndexes.set(day, i);
    }
    return i;
  }

  private buckets(): number {
    return this.granularity === 'hour' ? this.days * 24 : this.days;
  }

  /** The report's numbers. Does not change the counters: more rows may be added after. */
  result(): ReportData {
    const days: DayRow[] = this.dayChannels.map((channels, i) => {
      const sorted = [...channels.entries()].sort(byKey);
      return {
        day: isoDay(this.fromMs + i * DAY_MS),
        records: sorted.reduce((s, [, n]) => s + n, 0),
        channels: Object.fromEntries(sorted),
      };
    });
    const channels: ChannelRow[] = [...this.channels.entries()]
      .sort((a, b) => b[1].records() - a[1].records() || byKey(a, b))
      .map(([channel, t]) => ({
        channel,
        ...t.money(),
        records: t.records(),
        outcomes: outcomesOf(t.outcomes),
      }));
    const untrackedChannels = this.channels.untracked;
    if (untrackedChannels !== undefined) {
      channels.push({
        channel: OTHER_CHANNELS,
        ...untrackedChannels.money(),
        records: untrackedChannels.records(),
        outcomes: outcomesOf(untrackedChannels.outcomes),
      });
    }
    return {
      from: this.from,
      to: this.to,
      granularity: this.granularity,
      source: this.source,
      input: { ...this.input },
      totals: {
        records: this.total.records(),
        outcomes: outcomesOf(this.total.outcomes),
        ...this.total.money(),
      },
      channels,
      days,
      rates: {
        email: {
          delivery: rate(RATE_DEFINITIONS.email.delivery, this.email),
          open: rate(RATE_DEFINITIONS.email.open, this.email),
          click: rate(RATE_DEFINITIONS.email.click, this.email),
          bounce: rate(RATE_DEFINITIONS.email.bounce, this.email),
          complaint: rate(RATE_DEFINITIONS.email.complaint, this.email),
        },
        sms: {
          delivery: rate(RATE_DEFINITIONS.sms.delivery, this.sms),
          failure: rate(RATE_DEFINITIONS.sms.failure, this.sms),
          rejected: rate(RATE_DEFINITIONS.sms.rejected, this.sms),
        },
      },
      thresholds: THRESHOLDS,
      groups: {
        campaign: this.groups.campaign.table(),
        configuration_set: this.groups.configuration_set.table(),
        journey_id: this.groups.journey_id.table(),
      },
      series: this.seriesPoints(),
      mailboxProviders: this.providerList(),
      countries: this.countryList(),
      bounceTypes: countList(this.bounceTypes, TOP_REASONS, (key, count): BounceTypeRow => {
        const [bounce_type = NONE, bounce_sub_type = NONE] = key.split('\u0000');
        return { bounce_type, bounce_sub_type, count };
      }),
      complaintTypes: countList(
        this.complaintTypes,
        TOP_REASONS,
        (complaint_type, count): ComplaintTypeRow => ({ complaint_type, count }),
      ),
      failureStatuses: countList(this.failureStatuses, TOP_REASONS, (key, count): FailureStatusRow => {
        const [channel = NONE, status = NONE] = key.split('\u0000');
        return { channel, status, count };
      }),
      rateAlerts: {
        available: this.alertsAvailable || this.alertsTotal > 0,
        total: this.alertsTotal,
        shown: [...this.alertsShown],
        omitted: this.alertsTotal - this.alertsShown.length,
        byRule: [...this.alertsByRule.entries()]
          .map(([key, { n }]) => {
            const [rule = '', severity = ''] = key.split('\u0000');
            return { rule, severity, count: n };
          })
          .sort((a, b) => b.count - a.count || cmp(a.rule, b.rule) || cmp(a.severity, b.severity)),
      },
      quarantine: {
        total:
          [...this.quarantine.entries()].reduce((s, [, { n }]) => s + n, 0) +
          (this.quarantine.untracked?.n ?? 0),
        reasons: countList(this.quarantine, TOP_GROUPS, (reason, count) => ({ reason, count })),
      },
    };
  }

  private seriesPoints(): SeriesPoint[] {
    const step = this.granularity === 'hour' ? HOUR_MS : DAY_MS;
    const points: SeriesPoint[] = [];
    const f = SERIES_FIELDS.length;
    for (let b = 0; b < this.buckets(); b++) {
      const v = (i: number) => this.series[b * f + i] as number;
      const email = { delivered: v(0), bounced: v(1), complained: v(2), opened: v(3), clicked: v(4) };
      const sms = { delivered: v(5), failed: v(6), rejected: v(7) };
      const smsAll = sms.delivered + sms.failed + sms.rejected;
      points.push({
        start: new Date(this.fromMs + b * step).toISOString(),
        email,
        sms,
        rates: {
          bounce: ratio(email.bounced, email.delivered + email.bounced),
          complaint: ratio(email.complained, email.delivered),
          open: ratio(email.opened, email.delivered),
          click: ratio(email.clicked, email.delivered),
          smsDelivery: ratio(sms.delivered, smsAll),
          smsFailure: ratio(sms.failed, smsAll),
        },
      });
    }
    return points;
  }

  private providerList(): TopList<ProviderRow> {
    const row = (provider: string, counts: Float64Array): ProviderRow => ({
      provider,
      records: sum(counts),
      outcomes: outcomesOf(counts),
      rates: {
        bounce: rate(RATE_DEFINITIONS.email.bounce, counts).rate,
        complaint: rate(RATE_DEFINITIONS.email.complaint, counts).rate,
        open: rate(RATE_DEFINITIONS.email.open, counts).rate,
        click: rate(RATE_DEFINITIONS.email.click, counts).rate,
      },
    });
    return topList(
      this.providers,
      TOP_GROUPS,
      sum,
      (rest) => {
        const all = new Float64Array(OUTCOMES.length);
        for (const c of rest)
          for (let i = 0; i < all.length; i++) all[i] = (all[i] as number) + (c[i] as number);
        return all;
      },
      row,
      OTHERS,
    );
  }

  private countryList(): TopList<CountryRow> {
    const row = (key: string, t: Tally): CountryRow => {
      const [channel = NONE, country = UNKNOWN] = key.split('\u0000');
      return {
        channel,
        country,
        records: t.records(),
        outcomes: outcomesOf(t.outcomes),
        deliveryRate: rate(RATE_DEFINITIONS.sms.delivery, t.outcomes).rate,
        ...t.money(),
      };
    };
    return topList(this.countries, TOP_GROUPS, (t) => t.records(), Tally.merge, row, `${OTHERS}\u0000`);
  }
}

/** Absent values, as the page and `--json` name them. */
export const NONE = '(none)';
const UNKNOWN = '(unknown)';
const OTHERS = '(others)';
const MERGED = '\u0000merged';
const OTHER_CHANNELS = '(other channels)';
const MAX_ALERT_IDS = 100_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const OUTCOME_INDEX: ReadonlyMap<Outcome, number> = new Map(OUTCOMES.map((o, i) => [o, i]));
const SERIES_FIELDS = [
  'email.delivered',
  'email.bounced',
  'email.complained',
  'email.opened',
  'email.clicked',
  'sms.delivered',
  'sms.failed',
  'sms.rejected',
] as const;
const EMAIL_SERIES: ReadonlyMap<Outcome, number> = new Map([
  ['delivered', 0],
  ['bounced', 1],
  ['complained', 2],
  ['opened', 3],
  ['clicked', 4],
]);
const SMS_SERIES: ReadonlyMap<Outcome, number> = new Map([
  ['delivered', 5],
  ['failed', 6],
  ['rejected', 7],
]);

/** Counts by outcome, and money in micro-dollars (whole numbers: sums do not depend on the order). */
class Tally {
  readonly outcomes = new Float64Array(OUTCOMES.length);
  priceMicro = 0;
  feeMicro = 0;

  add(outcome: number, n: number, priceMicro: number, feeMicro: number): void {
    this.outcomes[outcome] = (this.outcomes[outcome] as number) + n;
    this.priceMicro += priceMicro;
    this.feeMicro += feeMicro;
  }

  records(): number {
    return sum(this.outcomes);
  }

  money(): { priceUsd: number; carrierFeeUsd: number; spendUsd: number } {
    return {
      priceUsd: this.priceMicro / 1e6,
      carrierFeeUsd: this.feeMicro / 1e6,
      spendUsd: (this.priceMicro + this.feeMicro) / 1e6,
    };
  }

  static merge(tallies: readonly Tally[]): Tally {
    const out = new Tally();
    for (const t of tallies) {
      for (let i = 0; i < out.outcomes.length; i++) {
        out.outcomes[i] = (out.outcomes[i] as number) + (t.outcomes[i] as number);
      }
      out.priceMicro += t.priceMicro;
      out.feeMicro += t.feeMicro;
    }
    return out;
  }
}

/** One group's funnel: every record, the EMAIL ones and the SMS ones (for its rates), and its spend. */
class GroupEntry {
  readonly all = new Float64Array(OUTCOMES.length);
  readonly email = new Float64Array(OUTCOMES.length);
  readonly sms = new Float64Array(OUTCOMES.length);
  spendMicro = 0;
  records = 0;

  add(o: number, n: number, channel: string, spendMicro: number): void {
    this.all[o] = (this.all[o] as number) + n;
    if (channel === 'EMAIL') this.email[o] = (this.email[o] as number) + n;
    else if (channel === 'SMS') this.sms[o] = (this.sms[o] as number) + n;
    this.spendMicro += spendMicro;
    this.records += n;
  }

  addAll(other: GroupEntry): void {
    for (let i = 0; i < this.all.length; i++) {
      this.all[i] = (this.all[i] as number) + (other.all[i] as number);
      this.email[i] = (this.email[i] as number) + (other.email[i] as number);
      this.sms[i] = (this.sms[i] as number) + (other.sms[i] as number);
    }
    this.spendMicro += other.spendMicro;
    this.records += other.records;
  }

  row(value: string, groups?: number): GroupRow {
    return {
      value,
      records: this.records,
      outcomes: outcomesOf(this.all),
      rates: {
        open: rate(RATE_DEFINITIONS.email.open, this.email).rate,
        click: rate(RATE_DEFINITIONS.email.click, this.email).rate,
        bounce: rate(RATE_DEFINITIONS.email.bounce, this.email).rate,
        complaint: rate(RATE_DEFINITIONS.email.complaint, this.email).rate,
        smsDelivery: rate(RATE_DEFINITIONS.sms.delivery, this.sms).rate,
      },
      spendUsd: this.spendMicro / 1e6,
      ...(groups !== undefined && { groups }),
    };
  }
}

/** The groups of one dimension (campaign, configuration set, journey). */
class GroupCounter {
  private readonly groups = new Capped(MAX_TRACKED_GROUPS, () => new GroupEntry());
  private merged: GroupEntry | undefined;
  private withoutValue = 0;

  add(value: string | undefined, o: number, n: number, channel: string, spendMicro: number): void {
    if (value === undefined) {
      this.withoutValue += n;
      return;
    }
    let entry: GroupEntry;
    if (value !== MERGED) entry = this.groups.at(value);
    else {
      this.merged ??= new GroupEntry();
      entry = this.merged;
    }
    entry.add(o, n, channel, spendMicro);
  }

  table(): GroupTable {
    const ranked = [...this.groups.entries()].sort((a, b) => b[1].records - a[1].records || byKey(a, b));
    const top = ranked.slice(0, TOP_GROUPS);
    const rest = ranked.slice(TOP_GROUPS);
    const untracked = this.groups.untracked;
    let others: GroupRow | null = null;
    if (rest.length > 0 || untracked !== undefined) {
      const sumOfRest = new GroupEntry();
      for (const [, e] of rest) sumOfRest.addAll(e);
      if (untracked !== undefined) sumOfRest.addAll(untracked);
      others = sumOfRest.row(OTHERS, rest.length);
    }
    return {
      rows: top.map(([value, e]) => e.row(value)),
      others,
      merged: this.merged === undefined ? null : this.merged.row('(other)'),
      distinct: ranked.length,
      withoutValue: this.withoutValue,
      untrackedRecords: untracked?.records ?? 0,
    };
  }
}

/** A map that tracks at most `cap` keys; the values of later keys are added up in `untracked`. */
class Capped<T> {
  private readonly map = new Map<string, T>();
  untracked: T | undefined;

  constructor(
    private readonly cap: number,
    private readonly make: () => T,
  ) {}

  at(key: string): T {
    const found = this.map.get(key);
    if (found !== undefined) return found;
    if (this.map.size < this.cap) {
      const made = this.make();
      this.map.set(key, made);
      return made;
    }
    this.untracked ??= this.make();
    return this.untracked;
  }

  entries(): Array<[string, T]> {
    return [...this.map.entries()];
  }
}

/** The top `n` of a capped map by `weight`, and the rest (with the untracked) merged into one row. */
function topList<T, R>(
  capped: Capped<T>,
  n: number,
  weight: (t: T) => number,
  merge: (rest: T[]) => T,
  row: (key: string, t: T) => R,
  othersKey: string,
): TopList<R> {
  const ranked = capped.entries().sort((a, b) => weight(b[1]) - weight(a[1]) || byKey(a, b));
  const rest = ranked.slice(n).map(([, t]) => t);
  const untracked = capped.untracked;
  if (untracked !== undefined) rest.push(untracked);
  return {
    rows: ranked.slice(0, n).map(([k, t]) => row(k, t)),
    others: rest.length === 0 ? null : row(othersKey, merge(rest)),
    untrackedRecords: untracked === undefined ? 0 : weight(untracked),
  };
}

function countList<R>(
  capped: Capped<{ n: number }>,
  n: number,
  row: (key: string, count: number) => R,
): TopList<R> {
  return topList(
    capped,
    n,
    (c) => c.n,
    (rest) => ({ n: rest.reduce((s, c) => s + c.n, 0) }),
    (key, c) => row(key, c.n),
    `${OTHERS}\u0000`,
  );
}

function rate(def: RateDefinition, counts: Float64Array): Rate {
  const of = (outcomes: readonly Outcome[]) =>
    outcomes.reduce((s, o) => s + (counts[OUTCOME_INDEX.get(o) as number] as number), 0);
  const numerator = of(def.numerator);
  const denominator = of(def.denominator);
  const r = ratio(numerator, denominator);
  if (def.threshold === undefined) return { numerator, denominator, rate: r };
  return {
    numerator,
    denominator,
    rate: r,
    threshold: def.threshold,
    over: r !== null && r >= def.threshold,
  };
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}

function outcomesOf(counts: Float64Array): OutcomeCounts {
  const out: OutcomeCounts = {};
  OUTCOMES.forEach((o, i) => {
    const n = counts[i] as number;
    if (n !== 0) out[o] = n;
  });
  return out;
}

function sum(counts: Float64Array): number {
  let s = 0;
  for (const n of counts) s += n;
  return s;
}

function micro(usd: number | undefined): number {
  return usd === undefined ? 0 : Math.round(usd * 1e6);
}

function compareAlerts(a: RateAlertRow, b: RateAlertRow): number {
  return (
    cmp(a.window_start, b.window_start) ||
    cmp(a.rule, b.rule) ||
    cmp(a.group, b.group) ||
    cmp(a.alert_id, b.alert_id)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byKey<T>(a: [string, T], b: [string, T]): number {
  return cmp(a[0], b[0]);
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
