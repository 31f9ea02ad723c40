import type { NormalizedRecord } from '../schema';
import type { CompiledRule } from './compileRules';

export interface RouteDecision {
  /** A matching `drop` rule removes the record from the normalized output (alerts still fire). */
  drop: boolean;
  /** Matching `alert` rules, in rule order. */
  alerts: CompiledRule[];
}

const NO_ALERTS: CompiledRule[] = [];

/** Per rule list, the rules that can match each source, in file order (rules of any source in every list). */
const bySource = new WeakMap<readonly CompiledRule[], Map<string, readonly CompiledRule[]>>();

function rulesFor(rules: readonly CompiledRule[], source: string): readonly CompiledRule[] {
  let index = bySource.get(rules);
  if (index === undefined) {
    index = new Map();
    bySource.set(rules, index);
  }
  let list = index.get(source);
  if (list === undefined) {
    list = rules.filter((r) => r.sources === undefined || r.sources.has(source));
    index.set(source, list);
  }
  return list;
}

/**
 * Applies every matching rule to a record: tags are added to `record.tags`, alert rules are collected for
 * aggregation, and any drop rule marks the record dropped. All matching rules apply, in file order.
 */
export function routeRecord(record: NormalizedRecord, rules: readonly CompiledRule[]): RouteDecision {
  let drop = false;
  let alerts = NO_ALERTS;
  for (const rule of rulesFor(rules, record.source)) {
    if (!rule.matches(record)) continue;
    if (rule.action === 'drop') drop = true;
    else if (rule.action === 'alert') {
      if (alerts === NO_ALERTS) alerts = [];
      alerts.push(rule);
    } else if (rule.tags !== undefined) {
      record.tags ??= [];
      const tags = record.tags;
      for (const t of rule.tags) if (!tags.includes(t)) tags.push(t);
    }
  }
  return { drop, alerts };
}
