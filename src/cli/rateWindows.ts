import { deliver } from '../batch/deliver';
import { type OpenRateWindow, openRateWindow, type RateWindowOptions } from '../rates/addToRateWindow';
import type { CompiledRateRule } from '../rates/compileRateRules';
import { evaluateRates, rateTerms } from '../rates/evaluateRates';
import { boundRateAlert, type RateAlert, rateAlertId } from '../rates/rateAlert';
import type { RateGroupKey } from '../rates/rateGroupKeys';
import { groupOf, type RuleWindowCounts } from '../rates/rateWindowState';
import { type RollupRow, rollupRows } from '../rates/rollups';
import type { NormalizedRecord } from '../schema';
import { fileBatchRef, planRollupObjects } from '../sinks/archiveLayout';
import type { BatchRef, Sinks } from '../sinks/ports';
import { isoFromMs, MAX_EPOCH_MS } from '../time';
import { formatDuration } from './duration';
import { formatTable } from './formatTable';
import { outputNotWritten } from './io';

/** One rule's rate for one group over one window (`--window`): a line of the table, an entry of `--json`. */
export interface WindowRate {
  window_start: string;
  window_end: string;
  rule: string;
  /** Each of the rule's group_by fields and its value (null where the records had none); empty for `overflow`. */
  group: Partial<Record<RateGroupKey, string | null>>;
  /** The rule's other group: the groups that did not fit the window's state budget, counted together. */
  overflow?: true;
  numerator: number;
  denominator: number;
  /** numerator / denominator; null when the denominator is 0. */
  rate: number | null;
  threshold: number;
  min_volume: number;
  /** A rate alert was issued for this group and window (at most 20 per rule and window: the highest rates). */
  fired: boolean;
}

/** The windows of a run, closed: every rate, the alerts, the rollup rows. */
export interface ClosedRateWindows {
  readonly seconds: number;
  /** In window order, then rule order, then groups as first counted (the other group last). */
  readonly windows: readonly WindowRate[];
  /** In window order, then as evaluateRates gives them. */
  readonly alerts: readonly RateAlert[];
  /** Groups over their threshold left out by the per-rule alert limit. */
  readonly omitted: number;
  /** As rollupRows gives them, window after window. */
  readonly rows: readonly RollupRow[];
  /** Records counted into an `other` group (their window's state budget was full). */
  readonly overflowed: number;
  /** Records without a readable arrival time (`ingest_time`): in no window. */
  readonly uncounted: number;
  /** The batch the rollup objects and rate alerts are filed under. */
  readonly batch: BatchRef | undefined;
}

/**
 * The tumbling windows of the CLI's `--window`: records counted, as the Kinesis handler counts them, into the
 * window of their arrival time (`ingest_time`, the Kinesis arrival time the handler's windows follow):
 * window n covers [n × length, (n + 1) × length) of Unix time. Each window is an openRateWindow with the
 * handler's state budget, so a window's groups past it go to each rule's other group, and memory stays
 * bounded by the windows × the budget whatever the input's size. The counts are those of one shard that saw
 * every input record (the handler counts per shard).
 */
export class RateWindows {
  private readonly windows = new Map<number, OpenRateWindow>();
  private readonly ms: number;
  private uncounted = 0;
  /** The last arrival time read and its window: records of a batch often share them. */
  private lastTime = '';
  private lastIndex = 0;

  constructor(
    readonly rules: readonly CompiledRateRule[],
    readonly seconds: number,
    private readonly options: RateWindowOptions = {},
  ) {
    this.ms = seconds * 1000;
  }

  /** The pipeline's onRecord: counts one normalized record (after protection, as archived) into its window. */
  readonly add = (record: NormalizedRecord): void => {
    const time = record.ingest_time;
    let index = this.lastIndex;
    if (time !== this.lastTime) {
      const ms = typeof time === 'string' ? Date.parse(time) : Number.NaN;
      if (!(ms >= 0 && ms < MAX_EPOCH_MS)) {
        this.uncounted++;
        return;
      }
      index = Math.floor(ms / this.ms);
      this.lastTime = time;
      this.lastIndex = index;
    }
    let window = this.windows.get(index);
    if (window === undefined) {
      window = openRateWindow(undefined, this.rules, this.options);
      this.windows.set(index, window);
    }
    window.add(record);
  };

  /**
   * Closes every window: its rates, its rate alerts (evaluateRates, as the handler's final invoke: min_volume,
   * threshold, at most 20 alerts per rule) and its rollup rows (rollupRows).
   *
   * @param batchOf the batch of the rollup objects and rate alerts, given the first window's start: the alert
   * ids hash its stream and name with the window and group, so the same command over the same inputs gives the
   * same ids
   */
  close(batchOf: (firstWindowStartMs: number) => BatchRef): ClosedRateWindows {
    const indexes = [...this.windows.keys()].sort((a, b) => a - b);
    const first = indexes[0];
    const batch = first === undefined ? undefined : batchOf(first * this.ms);
    const source = { stream: batch?.stream ?? '', shard: batch?.name ?? '' };
    const windows: WindowRate[] = [];
    const alerts: RateAlert[] = [];
    const rows: RollupRow[] = [];
    let omitted = 0;
    let overflowed = 0;
    for (const index of indexes) {
      const update = (this.windows.get(index) as OpenRateWindow).close();
      overflowed += update.overflowed;
      const times = { start: isoFromMs(index * this.ms), end: isoFromMs((index + 1) * this.ms) };
      const evaluation = evaluateRates(update.state, times, this.rules, source);
      omitted += evaluation.omitted;
      const fired = new Set(evaluation.alerts.map((a) => a.alert_id));
      for (const alert of evaluation.alerts) {
        alerts.push(boundRateAlert({ ...alert, batch: batch?.label ?? alert.batch }));
      }
      rows.push(...rollupRows(update.state, times));
      for (const rule of this.rules) {
        if (!Object.hasOwn(update.state.rules, rule.name)) continue;
        const counts = update.state.rules[rule.name] as RuleWindowCounts;
        const terms = rateTerms(rule, counts);
        const line = (key: string | null, list: readonly number[]) => {
          const { numerator, denominator } = terms(list);
          const group = groupOf(counts, key);
          const id = rateAlertId({ ...source, windowStart: times.start, rule: rule.name, group: key });
          windows.push({
            window_start: times.start,
            window_end: times.end,
            rule: rule.name,
            group,
            ...(key === null && { overflow: true as const }),
            numerator,
            denominator,
            rate: denominator === 0 ? null : numerator / denominator,
            threshold: rule.threshold,
            min_volume: rule.minVolume,
            fired: fired.has(id),
          });
        };
        for (const [key, list] of Object.entries(counts.groups)) line(key, list);
        if (counts.other !== undefined) line(null, counts.other);
      }
    }
    return {
      seconds: this.seconds,
      windows,
      alerts,
      omitted,
      rows,
      overflowed,
      uncounted: this.uncounted,
      batch,
    };
  }
}

/**
 * The batch a run's rollups and rate alerts are filed under: origin `file`, stream `<command>-window-<length>`
 * (`process-window-5m`), named by a hash of the inputs (file names as given, or the archive keys replayed), in
 * the partition of the first window. Running the same command over the same inputs writes the same keys.
 */
export function rateWindowsBatch(
  command: 'process' | 'replay',
  seconds: number,
  inputs: readonly string[],
  firstWindowStartMs: number,
): BatchRef {
  const length = formatDuration(seconds);
  const ref = fileBatchRef(`${command}-window-${length}`, inputs, firstWindowStartMs);
  const what = command === 'process' ? 'input' : 'object';
  return {
    ...ref,
    label: `${command}:window ${length}/${inputs.length} ${what}${inputs.length === 1 ? '' : 's'}`,
  };
}

/**
 * Writes the rollup rows (planRollupObjects: one object per `dt`/`hour` of their windows' starts) to the archive
 * sink and publishes the rate alerts to the alert sink, as the handler delivers a closing window (archive
 * first, then alerts). Returns the keys written.
 *
 * @throws CliError (exit 3) when a sink did not take them
 */
export async function deliverRateWindows(
  closed: ClosedRateWindows,
  sinks: Sinks,
  options: { alertSampleSize: number; alerts: boolean },
): Promise<string[]> {
  const batch = closed.batch;
  if (batch === undefined) return [];
  const objects = planRollupObjects(batch, closed.rows);
  const alerts = options.alerts ? closed.alerts : [];
  if (objects.length === 0 && alerts.length === 0) return [];
  const result = await deliver(batch, [], sinks, {
    zones: new Set(['rollups']),
    alertSampleSize: options.alertSampleSize,
    deadlineMarginMs: 0,
    additional: { batch, objects, alerts },
  });
  if (!result.delivered) throw outputNotWritten('the rate windows', result.errors[0]);
  return objects.map((o) => o.key);
}

/** `--json`'s part: the rates, the alerts, the rollups. */
export function rateWindowsJson(closed: ClosedRateWindows, rollupObjects: readonly string[]) {
  return {
    windowSeconds: closed.seconds,
    windows: closed.windows,
    rateAlerts: closed.alerts,
    rateAlertsOmitted: closed.omitted,
    rollups: { rows: closed.rows.length, objects: rollupObjects },
    overflowed: closed.overflowed,
    uncounted: closed.uncounted,
  };
}

/**
 * The rates table (window × rule × group: numerator, denominator, rate, threshold, min volume, and the severity
 * of the alert issued) and the rate alerts table. Group values are the protected records' identifiers
 * (configuration sets, app and campaign ids), never personal data.
 */
export function renderRateWindows(closed: ClosedRateWindows): string {
  const length = formatDuration(closed.seconds);
  if (closed.windows.length === 0) {
    return `Rates (windows of ${length}): no record counted by a rate rule\n`;
  }
  const severity = new Map(closed.alerts.map((a) => [`${a.window.start}\n${a.rule}`, a.severity]));
  const parts = [
    formatTable(
      [
        `window (${length})`,
        'rate rule',
        'group',
        'numerator',
        'denominator',
        'rate',
        'threshold',
        'min volume',
        'alert',
      ],
      closed.windows.map((w) => [
        shortTime(w.window_start),
        w.rule,
        groupText(w),
        w.numerator,
        w.denominator,
        w.rate === null ? '-' : percent(w.rate, 2),
        percent(w.threshold),
        w.min_volume,
        w.fired ? (severity.get(`${w.window_start}\n${w.rule}`) ?? 'yes') : '',
      ]),
    ),
  ];
  if (closed.alerts.length > 0) {
    parts.push(
      formatTable(
        ['rate alert', 'severity', 'window', 'group', 'numerator', 'denominator', 'rate'],
        closed.alerts.map((a) => [
          a.rule,
          a.severity,
          shortTime(a.window.start),
          groupText(a),
          a.numerator,
          a.denominator,
          percent(a.rate, 2),
        ]),
      ),
    );
  }
  const notes = [
    `${closed.rows.length} rollup row${closed.rows.length === 1 ? '' : 's'}`,
    `${closed.alerts.length} rate alert${closed.alerts.length === 1 ? '' : 's'}`,
    ...(closed.omitted > 0 ? [`${closed.omitted} more over threshold (20 per rule and window)`] : []),
    ...(closed.overflowed > 0 ? [`${closed.overflowed} records in other groups (state budget)`] : []),
    ...(closed.uncounted > 0 ? [`${closed.uncounted} records without an arrival time not counted`] : []),
  ];
  parts.push(`${notes.join(', ')}\n`);
  return parts.join('\n');
}

/** `2025-11-20T18:55:00.000Z` → `2025-11-20T18:55:00Z` (windows are whole seconds). */
function shortTime(iso: string): string {
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

function groupText(g: { group: Partial<Record<RateGroupKey, string | null>>; overflow?: true }): string {
  if (g.overflow === true) return '(other groups)';
  const entries = Object.entries(g.group);
  if (entries.length === 0) return '(all)';
  return entries.map(([k, v]) => `${k}=${v ?? '(none)'}`).join(' ');
}

/** 0.0625 → `6.25%` with 2 digits; a threshold as short as it is exact (0.0005 → `0.05%`). */
function percent(fraction: number, digits?: number): string {
  const value = fraction * 100;
  return `${digits === undefined ? Number(value.toPrecision(12)) : value.toFixed(digits)}%`;
}
