import fc from 'fast-check';
import { clip } from '../helpers/show';
import type { GenRecord } from './arbitraries';
import { BASE_SEED, seedFor } from './fuzzConfig';
import type { Invariant, Violation } from './invariants';

/** What one batch did wrong, with what it was made of. */
export interface BatchReport {
  violations: readonly Violation[];
  records: readonly GenRecord[];
  /** The envelope's `data` of every record, as sent. */
  datas: readonly unknown[];
}

interface Example {
  batch: number;
  report: BatchReport;
  violations: Violation[];
}

const EXAMPLES_PER_INVARIANT = 2;

/**
 * One seeded fuzz run: batch `k` is `fc.sample(arb, { seed: seed + k, numRuns: 1 })`, so any batch can be
 * regenerated on its own. The whole run goes through the processors once; every invariant then gets a test of
 * its own (`expectNone`), which fails with how often, in how many batches, of which kinds, and two example
 * batches with their records. Nothing is shrunk: batches are large and every violation names its record
 * and field.
 */
export class FuzzRun {
  readonly seed: number;
  batches = 0;
  records = 0;
  private readonly found = new Map<
    Invariant,
    { count: number; batches: number; kinds: Map<string, number>; examples: Example[] }
  >();

  constructor(readonly name: string) {
    this.seed = seedFor(name);
  }

  /** The seed of batch `k`. */
  seedOf(k: number): number {
    return (this.seed + k) | 0;
  }

  /** Runs batches `first` … `first + runs - 1`. */
  async run<T>(
    arb: fc.Arbitrary<T>,
    runs: number,
    body: (value: T, k: number) => Promise<BatchReport>,
    first = 0,
  ): Promise<void> {
    for (let k = first; k < first + runs; k++) {
      const [value] = fc.sample(arb, { seed: this.seedOf(k), numRuns: 1 });
      const report = await body(value as T, k);
      this.add(k, report);
    }
  }

  add(k: number, report: BatchReport): void {
    this.batches++;
    this.records += report.records.length;
    const byInvariant = new Map<Invariant, Violation[]>();
    for (const v of report.violations)
      byInvariant.set(v.invariant, [...(byInvariant.get(v.invariant) ?? []), v]);
    for (const [invariant, violations] of byInvariant) {
      let f = this.found.get(invariant);
      if (f === undefined) {
        f = { count: 0, batches: 0, kinds: new Map(), examples: [] };
        this.found.set(invariant, f);
      }
      f.count += violations.length;
      for (const v of violations) f.kinds.set(kindOf(v.message), (f.kinds.get(kindOf(v.message)) ?? 0) + 1);
      f.batches++;
      if (f.examples.length < EXAMPLES_PER_INVARIANT) f.examples.push({ batch: k, report, violations });
    }
  }

  violationsOf(invariant: Invariant): number {
    return this.found.get(invariant)?.count ?? 0;
  }

  /** Fails, readably, when any batch broke the invariant. */
  expectNone(invariant: Invariant): void {
    const f = this.found.get(invariant);
    if (f === undefined) return;
    const lines = [
      `fuzz run "${this.name}" breaks ${invariant}: ${f.count} violation(s) in ${f.batches} of ${this.batches} batches ` +
        `(${this.records} records; seed ${this.seed}, batch k = fc.sample(arb, {seed: ${this.seed} + k, numRuns: 1}); ` +
        `FUZZ_SEED=${BASE_SEED} replays the suite)`,
      `${f.kinds.size} kind(s):`,
      ...[...f.kinds]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 20)
        .map(([kind, n]) => `  ${n} × ${kind}`),
    ];
    for (const e of f.examples) {
      lines.push(
        '',
        `batch ${e.batch} (seed ${this.seedOf(e.batch)}):`,
        formatViolations(e.violations, e.report),
      );
    }
    throw new Error(lines.join('\n'));
  }
}

/** The kind of a violation: its message with quoted values and numbers blurred, to count alike ones together. */
function kindOf(message: string): string {
  return clip(
    message
      .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
      .replace(/\b[0-9a-f]{32}\b/g, '<event id>')
      .replace(/\d+/g, 'N'),
    140,
  );
}

/** A record's bytes as text for a failure message: decoded, clipped. */
function dataPreview(data: unknown): string {
  if (typeof data !== 'string') return `(data is ${clip(JSON.stringify(data) ?? String(data), 80)})`;
  return clip(JSON.stringify(Buffer.from(data, 'base64').toString('utf8')), 500);
}

export function formatViolations(violations: readonly Violation[], report: BatchReport): string {
  const lines: string[] = [];
  for (const v of violations.slice(0, 12)) {
    lines.push(`  ${v.record === undefined ? 'batch' : `record #${v.record}`}: ${clip(v.message, 500)}`);
  }
  if (violations.length > 12) lines.push(`  …and ${violations.length - 12} more`);
  const shown = [
    ...new Set(violations.map((v) => v.record).filter((r): r is number => r !== undefined)),
  ].slice(0, 3);
  for (const i of shown) {
    const r = report.records[i];
    lines.push(`  record #${i}: ${clip(r?.label ?? '(no label)', 500)} [expect ${r?.expect ?? '?'}]`);
    lines.push(`    data: ${dataPreview(report.datas[i])}`);
  }
  return lines.join('\n');
}
