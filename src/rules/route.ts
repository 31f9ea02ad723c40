import type { NormalizedRecord } from '../schema';
import type { CompiledRule } from './compileRules';

export interface RouteDecision {
  /** A matching `drop` rule removes the record from the normalized output (alerts still fire). */
  drop: boolean;
  /** Matching `alert` rules, in rule order. */
  alerts: CompiledRule[];
}

const NO_ALERTS: CompiledRule[] = [];

type Candidates = Map<string, Map<string, Map<string, readonly CompiledRule[]>>>;

/**
 * Per rule list, the rules that can match each source, family and event type, in file order — found once per
 * distinct combination instead of testing every rule on every record (most records match no rule at all).
 * Event types come from the data, custom ones without bound: the index starts over past MAX_INDEXED entries,
 * and a record whose source, family and event type together are longer than MAX_INDEXED_KEY_LENGTH is not
 * indexed at all (10,000 one-megabyte keys would hold 20 GB across invocations; no real record comes near).
 */
const candidateIndex = new WeakMap<readonly CompiledRule[], { candidates: Candidates; size: number }>();
const MAX_INDEXED = 10_000;
const MAX_INDEXED_KEY_LENGTH = 512;

function candidatesFor(rules: readonly CompiledRule[], record: NormalizedRecord): readonly CompiledRule[] {
  const { source, family, event_type: type } = record;
  if (source.length + family.length + type.length > MAX_INDEXED_KEY_LENGTH) {
    return candidatesAmong(rules, source, family, type);
  }
  let index = candidateIndex.get(rules);
  if (index === undefined || index.size >= MAX_INDEXED) {
    index = { candidates: new Map(), size: 0 };
    candidateIndex.set(rules, index);
  }
  let byFamily = index.candidates.get(source);
  if (byFamily === undefined) {
    byFamily = new Map();
    index.candidates.set(source, byFamily);
  }
  let byType = byFamily.get(family);
  if (byType === undefined) {
    byType = new Map();
    byFamily.set(family, byType);
  }
  let list = byType.get(type);
  if (list === undefined) {
    list = candidatesAmong(rules, source, family, type);
    byType.set(type, list);
    index.size++;
  }
  return list;
}

function candidatesAmong(
  rules: readonly CompiledRule[],
  source: string,
  family: string,
  type: string,
): readonly CompiledRule[] {
  const lower = type.toLowerCase();
  return rules.filter(
    (r) =>
      (r.sources === undefined || r.sources.has(source)) &&
      (r.families === undefined || r.families.has(family)) &&
      (r.eventTypes === undefined || r.eventTypes(lower)),
  );
}

/**
 * Applies every matching rule to a record: tags are added to `record.tags`, alert rules are collected for
 * aggregation, and any drop rule marks the record dropped. All matching rules apply, in file order.
 */
export function routeRecord(record: NormalizedRecord, rules: readonly CompiledRule[]): RouteDecision {
  let drop = false;
  let alerts = NO_ALERTS;
  for (const rule of candidatesFor(rules, record)) {
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
