import type { ProcessedRecord } from '../pipeline';
import type { CompiledRule } from '../rules/compileRules';
import { formatTable } from './formatTable';

const NO_RULES: readonly CompiledRule[] = [];

interface InputCounts {
  records: number;
  normalized: number;
  dropped: number;
  poison: number;
}

/** What a run did, as counts only: sources, families, outcomes, poison reasons and rule names — no payload. */
export interface TallyReport {
  records: number;
  normalized: number;
  dropped: number;
  poison: number;
  inputs: Array<{ input: string } & InputCounts>;
  events: Array<{ source: string; family: string; outcome: string; records: number; dropped: number }>;
  poisonByReason: Record<string, number>;
  alerts: Array<{ rule: string; severity: string; alerts: number; records: number }>;
}

/**
 * Counts the outcomes of a run, batch by batch, for the summary tables of `process` and `replay`. Alerts are
 * counted as the sinks receive them: one per rule per batch, standing for the records that matched.
 */
export class RunTally {
  private readonly inputs = new Map<string, InputCounts>();
  private readonly events = new Map<string, { records: number; dropped: number }>();
  private readonly poison = new Map<string, number>();
  private readonly alerts = new Map<string, { rule: CompiledRule; alerts: number; records: number }>();

  /** Adds one batch read from `input` (a file name or an archive key). */
  add(input: string, processed: readonly ProcessedRecord[]): void {
    let counts = this.inputs.get(input);
    if (counts === undefined) {
      counts = { records: 0, normalized: 0, dropped: 0, poison: 0 };
      this.inputs.set(input, counts);
    }
    const rulesInBatch = new Set<string>();
    for (const p of processed) {
      counts.records++;
      const o = p.outcome;
      // A record quarantined for an internal error is counted with the poison, under its own reason.
      if (o.kind !== 'ok') {
        counts.poison++;
        this.poison.set(o.reason, (this.poison.get(o.reason) ?? 0) + 1);
        continue;
      }
      if (o.dropped) counts.dropped++;
      else counts.normalized++;
      const key = `${o.keys.source}\t${o.keys.family}\t${o.keys.outcome}`;
      const e = this.events.get(key) ?? { records: 0, dropped: 0 };
      e.records++;
      if (o.dropped) e.dropped++;
      this.events.set(key, e);
      for (const rule of o.alert?.rules ?? NO_RULES) {
        let a = this.alerts.get(rule.name);
        if (a === undefined) {
          a = { rule, alerts: 0, records: 0 };
          this.alerts.set(rule.name, a);
        }
        a.records++;
        if (!rulesInBatch.has(rule.name)) {
          rulesInBatch.add(rule.name);
          a.alerts++;
        }
      }
    }
  }

  report(): TallyReport {
    const inputs = [...this.inputs].map(([input, c]) => ({ input, ...c }));
    const sum = (k: keyof InputCounts) => inputs.reduce((n, c) => n + c[k], 0);
    return {
      records: sum('records'),
      normalized: sum('normalized'),
      dropped: sum('dropped'),
      poison: sum('poison'),
      inputs,
      events: [...this.events]
        .map(([key, c]) => {
          const [source = '', family = '', outcome = ''] = key.split('\t');
          return { source, family, outcome, ...c };
        })
        .sort(
          (a, b) =>
            a.source.localeCompare(b.source) ||
            a.family.localeCompare(b.family) ||
            a.outcome.localeCompare(b.outcome),
        ),
      poisonByReason: Object.fromEntries([...this.poison].sort(([a], [b]) => a.localeCompare(b))),
      alerts: [...this.alerts.values()]
        .map((a) => ({
          rule: a.rule.name,
          severity: a.rule.severity ?? 'medium',
          alerts: a.alerts,
          records: a.records,
        }))
        .sort((a, b) => a.rule.localeCompare(b.rule)),
    };
  }

  /**
   * The summary tables: per input (or only the totals, without `perInput`), records by source, family and
   * outcome, poison by reason, alerts by rule.
   *
   * @param inputLabel names the first column of the per-input table ("input", "object")
   */
  render(inputLabel: string, { perInput = true }: { perInput?: boolean } = {}): string {
    const r = this.report();
    const parts: string[] = [];
    if (perInput) {
      const rows = r.inputs.map((c) => [c.input, c.records, c.normalized, c.dropped, c.poison]);
      if (r.inputs.length > 1) rows.push(['total', r.records, r.normalized, r.dropped, r.poison]);
      parts.push(formatTable([inputLabel, 'records', 'normalized', 'dropped', 'poison'], rows));
    } else {
      parts.push(
        formatTable(
          ['records', 'normalized', 'dropped', 'poison'],
          [[r.records, r.normalized, r.dropped, r.poison]],
        ),
      );
    }
    if (r.events.length > 0) {
      parts.push(
        formatTable(
          ['source', 'family', 'outcome', 'records', 'dropped'],
          r.events.map((e) => [e.source, e.family, e.outcome, e.records, e.dropped]),
        ),
      );
    }
    const reasons = Object.entries(r.poisonByReason);
    if (reasons.length > 0) parts.push(formatTable(['poison reason', 'records'], reasons));
    if (r.alerts.length > 0) {
      parts.push(
        formatTable(
          ['alert rule', 'severity', 'alerts', 'records'],
          r.alerts.map((a) => [a.rule, a.severity, a.alerts, a.records]),
        ),
      );
    }
    return parts.join('\n');
  }
}
