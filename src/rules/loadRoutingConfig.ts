import { z } from 'zod';
import type { AppMetadataMap } from '../enrich';
import { ConfigError } from '../errors';
import { loadRulesFileSpecs } from './loadRules';
import { contentHash, type RoutingConfig, rulesHash } from './routingConfig';
import { findReservedKeys, parseUserDocument, RESERVED_KEYS } from './userDocument';

/*
 * The YAML and zod side of routing: reading rules files and app metadata as text. Used when running from
 * source (RULES_FILE, APP_METADATA, APP_METADATA_FILE) and by `sls package`, which runs prepareRoutingConfig
 * on the deployment's files and packages the result. The Lambda bundles leave this module out
 * (build/deployedRules.js puts a stub in its place): they carry their routing configuration as JSON.
 */

/** A file's contents and its name as the user gave it (for messages and logs). */
export interface TextSource {
  readonly text: string;
  readonly origin: string;
}

const appMetadataSchema = z.record(
  z.string().min(1),
  z.strictObject({
    name: z.string().optional(),
    environment: z.string().optional(),
    owner: z.string().optional(),
  }),
);

/**
 * Parses and validates app metadata, `{ "<app id>": { name, environment, owner } }`, as JSON or YAML. Closed:
 * an unknown key is an error. `name` is how messages call the input (`APP_METADATA`, `appsFile 'apps.yaml'`).
 */
export function loadAppMetadata(text: string, name: string): AppMetadataMap {
  const read = parseUserDocument(text);
  if (!read.ok) throw new ConfigError(`${name}: cannot read: ${read.message}`);
  const { doc } = read;
  const reserved = findReservedKeys(doc);
  if (reserved.length > 0) {
    throw new ConfigError(
      `${name} is invalid at '${reserved.map((p) => p.join('.')).join("', '")}': reserved key (${RESERVED_KEYS.join(', ')} are refused as app ids and keys)`,
    );
  }
  const parsed = appMetadataSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `${name} is invalid at '${issue?.path.join('.') ?? ''}': ${issue?.message}; expected { "<app id>": { "name", "environment", "owner" } }`,
    );
  }
  return parsed.data;
}

/**
 * The routing configuration of a run from source: the rules file validated as the cold start always has
 * (loadRules: every problem with the rule's name and key), merged with the defaults, and the app metadata
 * already read by loadConfig, each with its content hash.
 */
export function loadRoutingConfig(
  rules: TextSource | undefined,
  apps: { readonly map: AppMetadataMap; readonly origin: string },
): RoutingConfig {
  const { rules: specs, analytics } = loadRulesFileSpecs(rules?.text, rules?.origin);
  return {
    rules: specs,
    rulesOrigin: rules?.origin ?? 'default rules',
    ...(analytics !== undefined && { analytics }),
    rulesSha256: rulesHash(specs, analytics),
    apps: apps.map,
    appsOrigin: apps.origin,
    appsSha256: contentHash(apps.map),
  };
}

/**
 * What `sls package` puts into both bundles: the deployment's rules file and app metadata file (either may be
 * absent: the shipped rules, no app metadata), validated with the same checks as `pinpoint-stream rules
 * check`. Throws on the first invalid file, naming it, the rule and the key.
 */
export function prepareRoutingConfig(
  rules: TextSource | undefined,
  apps: TextSource | undefined,
): RoutingConfig {
  const map = apps === undefined ? {} : loadAppMetadata(apps.text, `appsFile '${apps.origin}'`);
  return loadRoutingConfig(rules, { map, origin: apps?.origin ?? 'none' });
}
