import { createHash } from 'node:crypto';
import { isRateAlert } from '../alerts/anyAlert';
import type { RateAlert } from '../alerts/rateAlert';
import { counterRef, type RateCountingResult } from '../batch/countRates';
import type { BatchRates, RateSettings } from '../batch/run';
import type { InputRecord, ProcessedRecord } from '../pipeline';
import { type CounterPlan, type RatePlan, RateTally } from '../rates/RateTally';
import { rateBatchId } from '../rates/sequenceKey';
import type { CompiledRateRule } from '../rules/compileRateRules';
import type { RateWindowName } from '../rules/rateWindows';
import type { AlertSink } from '../sinks/ports';
import type { RateCounterItem } from '../sinks/rateStore';
import { formatTable } from './formatTable';
import { CliError, clip, EXIT } from './io';

/**
 * The most counters `--rates` lists, one line each: a year of hourly windows of the shipped rules over a few
 * configuration sets is hundreds of thousands, more than anyone reads. The others are counted, not listed.
 */
export const MAX_RATE_LINES = 10_000;
/** The most counters past {@link MAX_RATE_LINES} told apart, to say how many were not listed. */
const MAX_UNLISTED_IDS = 100_000;
/** The most rate alerts a run keeps for its report (`--json`'s `rateAlerts`); the others are counted. */
export const MAX_REPORTED_ALERTS = 1_000;
/** A group value as printed: values are cut at 256 characters when counted; this leaves room for the marker. */
const MAX_GROUP_TEXT = 320;

/** One counter the run's records count into, as read back from the store at the end: a line of `--rates`. */
export interface CounterRate {
  rule: string;
  /** The rule's window (`5m` … `1d`). */
  window: RateWindowName;
  window_start: string;
  window_end: string;
  /** Each of the rule's group_by fields and its value (null where the records had none); empty for `overflow`. */
  group: Record<string, string | null>;
  /** The rule's other group of the window: groups past a batch's counter bound (`RATE_MAX_COUNTERS`). */
  overflow?: true;
  /** The counter's totals in the store, every run and batch that added to it. */
  numerator: number;
  denominator: number;
  /** numerator / denominator; null when the denominator is 0. */
  rate: number | null;
  threshold: number;
  min_volume: number;
  /**
   * The counter's rate alert: `sent` to the alert sink (by this run or an earlier one), `claimed` (by this run
   * and not sent — `replay` without `--send-rate-alerts`, `--stdout` — or held by another run), null: none.
   */
  alert: 'sent' | 'claimed' | null;
}

/** What a run's batches did to the rate store, and the counters they touched as they are at the end. */
export interface RunRatesReport {
  /** Rule order, then window, then group (the other group last), then as first counted. */
  readonly counters: readonly CounterRate[];
  /** Counters touched but not listed (past {@link MAX_RATE_LINES}); at least this many when `unlistedCapped`. */
  readonly unlisted: number;
  readonly unlistedCapped: boolean;
  /** Records counted, per rule (a record two rules count is counted twice). */
  readonly records: number;
  /** Counter adds this run applied, and those the store had applied already (the same batch counted before). */
  readonly written: number;
  readonly alreadyApplied: number;
  /** Records whose counts the store did not take (logged as warnings): not counted. */
  readonly dropped: number;
  /** Records counted into an other group (a batch touched more than RATE_MAX_COUNTERS counters). */
  readonly overflowed: number;
  /** Normalized records without a readable arrival time: in no window. */
  readonly uncounted: number;
  /** The rate alerts this run claimed, in the order claimed: the first {@link MAX_REPORTED_ALERTS}. */
  readonly alerts: readonly RateAlert[];
  /** How many it claimed. */
  readonly alertsClaimed: number;
  /** Whether they went to the alert sink. */
  readonly alertsSent: boolean;
}

/**
 * The rate counting of a CLI run, batch by batch, with the handlers' protocol (src/batch/countRates.ts, driven
 * by the batch runner): each batch gets a {@link RateTally} the pipeline feeds and a `batch` guard named for
 * its input and its records, so the same batch counts once however often it is run. The counters the batches
 * touch are collected (the first {@link MAX_RATE_LINES}) and read back from the store at the end, for
 * `--rates`; the alerts the batches claim are kept for the summary.
 */
export class RunRates {
  private readonly counters = new Map<string, { plan: CounterPlan; order: number }>();
  private readonly unlistedIds = new Set<string>();
  private readonly claimedCounters = new Set<string>();
  private readonly alerts: RateAlert[] = [];
  private alertsClaimed = 0;
  private records = 0;
  private written = 0;
  private alreadyApplied = 0;
  private dropped = 0;
  private overflowed = 0;
  private uncounted = 0;

  /**
   * @param alertsSent whether the rate alerts the batches claim reach the alert sink (false: the sink is
   * wrapped in {@link withoutRateAlerts}, and the alerts are only reported)
   */
  constructor(
    readonly rules: readonly CompiledRateRule[],
    readonly settings: RateSettings,
    private readonly alertsSent: boolean,
  ) {}

  /**
   * The rate counting of one batch read from `origin` (`file:<input>`, `replay:<archive key>`): feed its
   * `tally` with each normalized record and its index in the batch.
   */
  forBatch(origin: string): BatchRates {
    return {
      tally: new RateTally(this.rules),
      guard: (processed) => ({ kind: 'batch', batchId: cliRateBatchId(origin, processed) }),
      onCounted: (plan, counted) => this.collect(plan, counted),
    };
  }

  /** How many rate alerts the batches claimed so far. */
  get claimed(): number {
    return this.alertsClaimed;
  }

  private collect(plan: RatePlan, counted: RateCountingResult): void {
    this.records += plan.counted;
    this.overflowed += plan.overflowed;
    this.uncounted += plan.uncounted;
    this.written += counted.written;
    this.alreadyApplied += counted.alreadyApplied;
    this.dropped += counted.dropped;
    for (const counter of plan.counters) {
      if (this.counters.has(counter.id)) continue;
      if (this.counters.size < MAX_RATE_LINES) {
        this.counters.set(counter.id, { plan: counter, order: this.counters.size });
      } else if (this.unlistedIds.size < MAX_UNLISTED_IDS) this.unlistedIds.add(counter.id);
    }
    for (const c of counted.claimed) {
      this.alertsClaimed++;
      if (this.alerts.length < MAX_REPORTED_ALERTS) this.alerts.push(c.alert);
      if (this.counters.has(c.counter.id)) this.claimedCounters.add(c.counter.id);
    }
  }

  /**
   * Reads every counter collected back from the store: its totals now (this run's adds and every other's).
   * @throws CliError (exit 3) when the store cannot be read
   */
  async report(): Promise<RunRatesReport> {
    const ruleOrder = new Map(this.rules.map((r, i) => [r.name, i]));
    const listed = [...this.counters.values()].sort(
      (a, b) =>
        (ruleOrder.get(a.plan.rule.name) ?? 0) - (ruleOrder.get(b.plan.rule.name) ?? 0) ||
        a.plan.windowEndMs - b.plan.windowEndMs ||
        Number(a.plan.group === null) - Number(b.plan.group === null) ||
        a.order - b.order,
    );
    const items: Array<RateCounterItem | undefined> = new Array(listed.length);
    let next = 0;
    const read = async () => {
      while (next < listed.length) {
        const i = next++;
        const { plan } = listed[i] as { plan: CounterPlan };
        items[i] = await this.settings.store.get(counterRef(plan, this.settings.retentionMs));
      }
    };
    try {
      await Promise.all(
        Array.from({ length: Math.min(listed.length, Math.max(1, this.settings.concurrency)) }, read),
      );
    } catch (err) {
      throw new CliError(EXIT.sink, `could not read the rate counters back: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const counters = listed.map(({ plan }, i) => this.line(plan, items[i]));
    return {
      counters,
      unlisted: this.unlistedIds.size,
      unlistedCapped: this.unlistedIds.size >= MAX_UNLISTED_IDS,
      records: this.records,
      written: this.written,
      alreadyApplied: this.alreadyApplied,
      dropped: this.dropped,
      overflowed: this.overflowed,
      uncounted: this.uncounted,
      alerts: this.alerts,
      alertsClaimed: this.alertsClaimed,
      alertsSent: this.alertsSent,
    };
  }

  private line(plan: CounterPlan, item: RateCounterItem | undefined): CounterRate {
    const { rule } = plan;
    const sum = (outcomes: readonly string[]) => {
      let n = 0;
      for (const o of outcomes) {
        const v = item !== undefined && Object.hasOwn(item.counts, o) ? item.counts[o] : undefined;
        if (typeof v === 'number' && Number.isFinite(v) && v > 0) n += v;
      }
      return n;
    };
    const numerator = sum(rule.numerator);
    const denominator = sum(rule.denominator);
    const group: Record<string, string | null> = {};
    if (plan.group !== null) {
      const values = JSON.parse(plan.group) as (string | null)[];
      rule.groupBy.forEach((field, i) => {
        group[field] = values[i] ?? null;
      });
    }
    const state = item?.alert?.state;
    const alert =
      this.claimedCounters.has(plan.id) && !this.alertsSent
        ? 'claimed'
        : state === 'sent' || state === 'claimed'
          ? state
          : null;
    return {
      rule: rule.name,
      window: rule.window,
      window_start: plan.windowStart,
      window_end: plan.windowEnd,
      group,
      ...(plan.group === null && { overflow: true as const }),
      numerator,
      denominator,
      rate: denominator === 0 ? null : numerator / denominator,
      threshold: rule.threshold,
      min_volume: rule.minVolume,
      alert,
    };
  }
}

/**
 * The identity of a CLI batch for the store's `batch` guard: a hash of where it was read from, its record ids
 * and their bytes. The same command over the same input gives the same batches, so it counts once; a file of
 * the same name rewritten with other records (tomorrow's export, another stdin) is new data, and counts.
 */
function cliRateBatchId(origin: string, processed: readonly ProcessedRecord[]): string {
  const content = createHash('sha256');
  const ids: string[] = [];
  for (const { input } of processed) {
    ids.push(input.id);
    const data: InputRecord['data'] = input.data;
    content.update(`${data.length}:`);
    content.update(data);
  }
  return rateBatchId(`${origin}\u0000${content.digest('hex')}`, ids);
}

/**
 * The alert sink without the rate alerts: they are taken (so that the batch is delivered and their claims
 * settle) and left out; event alerts go through. For `replay` without `--send-rate-alerts` and `--stdout`.
 */
export function withoutRateAlerts(sink: AlertSink): AlertSink {
  return {
    publish: async (alerts, batch, options) => {
      const events = alerts.filter((a) => !isRateAlert(a));
      if (events.length === 0) return { failed: [] };
      return sink.publish(events, batch, options);
    },
  };
}

/** `--json`'s part: the counters, what the run counted, the rate alerts it claimed. */
export function runRatesJson(report: RunRatesReport) {
  return {
    rates: report.counters,
    rateCounts: {
      records: report.records,
      counters: report.counters.length + report.unlisted,
      countersNotListed: report.unlisted,
      written: report.written,
      alreadyApplied: report.alreadyApplied,
      dropped: report.dropped,
      overflowed: report.overflowed,
      uncounted: report.uncounted,
      alertsClaimed: report.alertsClaimed,
    },
    rateAlerts: report.alerts,
    rateAlertsSent: report.alertsSent,
  };
}

/**
 * The `--rates` table: one line per counter the run's records count into — rule, window, group, the store's
 * numerator and denominator, rate (`-` without a denominator), threshold, min volume, and the counter's alert
 * (`sent`, `claimed`, `-`) — then a line of what the run counted. Group values are the identifiers the rules
 * group by, read from the protected records (and escaped: a tag's value cannot drive the terminal).
 *
 * @param where the rate store, as the user knows it (`out/rates/`, `a temporary store`)
 * @param withheld why claimed alerts were not sent, when they were not
 */
export function renderRunRates(report: RunRatesReport, where: string, withheld?: string): string {
  if (report.counters.length === 0 && report.unlisted === 0) {
    return 'Rates: no record counted by a rate rule\n';
  }
  const table = formatTable(
    ['rate rule', 'window', 'group', 'numerator', 'denominator', 'rate', 'threshold', 'min volume', 'alert'],
    report.counters.map((c) => [
      c.rule,
      windowText(c.window_start, c.window_end),
      groupText(c),
      c.numerator,
      c.denominator,
      c.rate === null ? '-' : percent(c.rate, 2),
      percent(c.threshold),
      c.min_volume,
      c.alert ?? '-',
    ]),
  );
  const counters = report.counters.length + report.unlisted;
  const notes = [
    `${plural(counters, 'counter')}${report.unlistedCapped ? ' or more' : ''} in ${where}`,
    `${plural(report.written, 'counter add')} by this run` +
      (report.alreadyApplied > 0
        ? `, ${report.alreadyApplied.toLocaleString('en-US')} already counted by an earlier run`
        : ''),
  ];
  const alerts = report.alertsClaimed;
  if (alerts > 0) {
    notes.push(
      `${plural(alerts, 'rate alert')} claimed${report.alertsSent ? ' and sent' : withheld !== undefined ? `, not sent (${withheld})` : ''}`,
    );
  }
  const more = report.unlistedCapped ? ' or more' : '';
  const warnings = [
    ...(report.unlisted > 0
      ? [
          `${plural(report.unlisted, 'counter')}${more} not listed (${MAX_RATE_LINES.toLocaleString('en-US')} at most)`,
        ]
      : []),
    ...(report.overflowed > 0
      ? [`${plural(report.overflowed, 'record')} counted in other groups (RATE_MAX_COUNTERS)`]
      : []),
    ...(report.uncounted > 0
      ? [`${plural(report.uncounted, 'record')} without an arrival time not counted`]
      : []),
    ...(report.dropped > 0
      ? [`${plural(report.dropped, 'record')} not counted: the store did not take them`]
      : []),
  ];
  return `${table}\n${notes.join('; ')}.\n${warnings.map((w) => `${w}.\n`).join('')}`;
}

/** `2026-01-05T10:00Z–11:00Z` within a day, `2026-01-05T00:00Z–2026-01-06T00:00Z` across one. */
function windowText(start: string, end: string): string {
  const short = (iso: string) => `${iso.slice(0, 16)}Z`;
  return start.slice(0, 10) === end.slice(0, 10)
    ? `${short(start)}–${end.slice(11, 16)}Z`
    : `${short(start)}–${short(end)}`;
}

function groupText(c: CounterRate): string {
  if (c.overflow === true) return '(other groups)';
  const entries = Object.entries(c.group);
  if (entries.length === 0) return '(all)';
  return entries.map(([k, v]) => `${k}=${v === null ? '(none)' : clip(v, MAX_GROUP_TEXT)}`).join(' ');
}

/** 0.0625 → `6.25%` with 2 digits; a threshold as short as it is exact (0.0005 → `0.05%`). */
function percent(fraction: number, digits?: number): string {
  const value = fraction * 100;
  return `${digits === undefined ? Number(value.toPrecision(12)) : value.toFixed(digits)}%`;
}

function plural(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}
