import { createHash } from 'node:crypto';
import type { AppMetadataMap } from '../enrich';
import type { AnalyticsSpec, RuleSpec } from './ruleSchema';

/**
 * What a deployment routes with: the rule specs, validated and merged with the shipped defaults, and the app
 * metadata. Plain JSON, so that a Lambda bundle can carry it (build/deployedRules.js) and rebuild the matchers
 * at cold start without YAML or zod. Each half has a short content hash, logged once at cold start and set on
 * both functions as `RULES_SHA256` / `APP_METADATA_SHA256`: the answer to "which rules are live?".
 */
export interface RoutingConfig {
  /** In order, disabled rules included (compileRules checks them and leaves them out). */
  readonly rules: readonly RuleSpec[];
  /** `default rules`, or the rules file as it was named (RULES_FILE, or the deployment's `rulesFile`). */
  readonly rulesOrigin: string;
  /**
   * The rules file's `analytics` settings (the campaign tag the analytics rows read, docs/analytics.md);
   * absent: the defaults.
   */
  readonly analytics?: AnalyticsSpec;
  /** contentHash of `rules` (of `{ rules, analytics }` when the file sets `analytics`). */
  readonly rulesSha256: string;
  readonly apps: AppMetadataMap;
  /** `none`, `APP_METADATA`, or the file as it was named (APP_METADATA_FILE, or the deployment's `appsFile`). */
  readonly appsOrigin: string;
  /** contentHash of `apps`. */
  readonly appsSha256: string;
}

/**
 * The content hash of a rules file's part of the routing configuration: its rules, and its `analytics` settings
 * when it has some (a file without them hashes as it always has).
 */
export function rulesHash(rules: readonly RuleSpec[], analytics: AnalyticsSpec | undefined): string {
  return contentHash(analytics === undefined ? rules : { rules, analytics });
}

/**
 * The first 12 hex digits of the SHA-256 of `value` written as JSON with its object keys sorted: the same
 * rules hash the same whether they come from YAML or JSON, with comments or without, in any key order.
 * Arrays keep their order (the order of rules is the order of their alerts).
 */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 12);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
