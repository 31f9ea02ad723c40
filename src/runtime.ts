import { type AnalyticsSettings, DEFAULT_CAMPAIGN_TAG } from './analytics/analyticsRow';
import type { RateSettings } from './batch/run';
import type { Config } from './config';
import { ConfigError, describeError, isServiceRefusal, SecretUnavailableError } from './errors';
import { eventIdsReady } from './eventId';
import { piiKeyFingerprint } from './hmac';
import { createJsonLogger, type Logger } from './logger';
import { noTelemetry, type Telemetry } from './observability/telemetry';
import type { PipelineSettings } from './pipeline';
import { type CompiledRateRule, compileRateRules } from './rules/compileRateRules';
import { compileRules } from './rules/compileRules';
import { loadRoutingConfig } from './rules/loadRoutingConfig';
import type { RoutingConfig } from './rules/routingConfig';
import { LocalAlertSink } from './sinks/local/LocalAlertSink';
import { LocalArchiveSink } from './sinks/local/LocalArchiveSink';
import { LocalRateStore } from './sinks/local/LocalRateStore';
import type { Sinks } from './sinks/ports';
import type { RateStore } from './sinks/rateStore';

/** Everything a handler needs, built once per cold start. */
export interface Runtime {
  readonly config: Config;
  /** The rules and app metadata in use, with their content hashes. */
  readonly routing: RoutingConfig;
  readonly settings: PipelineSettings;
  /**
   * The rate rules in force (docs/rates.md), compiled from the same rules as `settings.rules`: counted into the
   * shared rate store and into rollups.
   */
  readonly rateRules: readonly CompiledRateRule[];
  readonly sinks: Sinks;
  readonly logger: Logger;
  readonly telemetry: Telemetry;
  /** How batches count into the shared rate store; undefined without a store (docs/rates.md). */
  readonly rates: RateSettings | undefined;
  /** How batches write their analytics rows (docs/analytics.md): the rules file's campaign tag, the row bound. */
  readonly analytics: AnalyticsSettings;
}

/** A claimed rate alert not settled (the invocation died) may be claimed again after this long. */
const RATE_ALERT_CLAIM_LEASE_MS = 5 * 60_000;
/** The most rate alerts one rule sends from one batch; the others cross again with the next batch. */
const MAX_RATE_ALERTS_PER_RULE = 20;

/** Used only outside Lambda when no key is configured: hashes are stable across local runs, and not secret. */
export const DEVELOPMENT_PII_KEY = 'pinpoint-stream-processor-development-key-not-secret';

let warnedAboutDevelopmentKey = false;

export interface RuntimeOverrides {
  sinks?: Sinks;
  /** Default: JSON lines on stdout/stderr. The Lambda handlers pass Powertools Logger. */
  logger?: Logger;
  /** Default: none. The Lambda handlers pass Powertools Metrics. */
  telemetry?: Telemetry;
  /** Reads a secret's string value (Secrets Manager in production; a fake in tests). */
  fetchSecret?: (secretId: string) => Promise<string>;
  /**
   * Refuse to overwrite a normalized object hashed with another PII key (S3: its `pii-key-fingerprint`
   * metadata): `replay` asks for it.
   */
  refuseOtherPiiKey?: boolean;
}

/**
 * Builds the runtime from a validated config: event and rate rules compiled (a bad rules file fails here, at
 * cold start), the PII key resolved, sinks chosen. Async only because the key may live in Secrets Manager.
 *
 * A Lambda bundle compiles the rule specs it was packaged with (plain JSON, validated by `sls package`); a run
 * from source validates RULES_FILE first. Either way it logs once which rules and app metadata it runs, by
 * content hash (the `RULES_SHA256` / `APP_METADATA_SHA256` of the deployed functions).
 */
export async function createRuntime(config: Config, overrides: RuntimeOverrides = {}): Promise<Runtime> {
  await eventIdsReady;
  const logger = overrides.logger ?? createJsonLogger(config.logLevel);
  const routing =
    config.packaged ?? loadRoutingConfig(config.rules, { map: config.apps, origin: config.appsOrigin });
  const rules = compileRules(routing.rules);
  const rateRules = Object.freeze(compileRateRules(routing.rules));
  logger.info('routing configuration', {
    rulesSha256: routing.rulesSha256,
    rulesOrigin: routing.rulesOrigin,
    rules: rules.length,
    rateRules: rateRules.length,
    appMetadataSha256: routing.appsSha256,
    appMetadataOrigin: routing.appsOrigin,
    apps: Object.keys(routing.apps).length,
    packaged: config.packaged !== undefined,
    campaignTag: routing.analytics?.campaign_tag ?? DEFAULT_CAMPAIGN_TAG,
  });
  const analytics: AnalyticsSettings = Object.freeze({
    campaignTag: routing.analytics?.campaign_tag ?? DEFAULT_CAMPAIGN_TAG,
    maxRows: config.analytics.maxRows,
  });
  const piiKey = await resolvePiiKey(config, logger, overrides.fetchSecret ?? fetchSecretFromSecretsManager);
  const settings: PipelineSettings = Object.freeze({
    rules,
    apps: routing.apps,
    piiMode: config.pii.mode,
    piiKey,
  });
  const telemetry = overrides.telemetry ?? noTelemetry;
  // Written on every normalized object: the key's, or `none` in the modes that write no hash.
  const fingerprint = config.pii.mode === 'hash' ? piiKeyFingerprint(piiKey) : 'none';
  const sinks =
    overrides.sinks ??
    (await createSinks(config, logger, telemetry, {
      fingerprint,
      ...(overrides.refuseOtherPiiKey === true && { refuseOtherKey: true }),
    }));
  const rates = sinks.rates === undefined ? undefined : rateSettingsOf(config, sinks.rates);
  if (rates === undefined && rateRules.length > 0) {
    logger.info('no rate store (RATE_TABLE): rate rules count into rollups only and send no rate alerts');
  }
  logger.debug('runtime ready', { sinks: config.sinks, rules: rules.length, piiMode: config.pii.mode });
  return Object.freeze({ config, routing, settings, rateRules, sinks, logger, telemetry, rates, analytics });
}

/**
 * How batches count into `store`, as the config says (`RATE_RETENTION_HOURS`, `RATE_MAX_COUNTERS`,
 * `RATE_CONCURRENCY`, `RATE_KINESIS_GUARD`): the runtime's for its sinks' store, and the CLI's for a store of
 * its own (a temporary one for `replay --rates` and `process --stdout --rates`).
 */
export function rateSettingsOf(config: Config, store: RateStore): RateSettings {
  return Object.freeze({
    store,
    retentionMs: config.rates.retentionHours * 3_600_000,
    maxCounters: config.rates.maxCounters,
    concurrency: config.rates.concurrency,
    claimLeaseMs: RATE_ALERT_CLAIM_LEASE_MS,
    maxAlertsPerRule: MAX_RATE_ALERTS_PER_RULE,
    kinesisGuard: config.rates.kinesisGuard,
  });
}

async function createSinks(
  config: Config,
  logger: Logger,
  telemetry: Telemetry,
  pii: { fingerprint?: string; refuseOtherKey?: boolean },
): Promise<Sinks> {
  if (config.sinks === 'local') {
    return {
      archive: new LocalArchiveSink(config.localSinkDir, config.archive.gzipLevel, pii.fingerprint),
      alerts: new LocalAlertSink(config.localSinkDir),
      rates: new LocalRateStore(config.localSinkDir),
    };
  }
  // Loaded only for SINKS=aws: local runs never load the AWS SDK.
  const { createAwsSinks } = await import('./sinks/aws/createAwsSinks');
  return createAwsSinks(config, logger, (sink, attempts) => telemetry.sinkCall(sink, attempts), pii);
}

async function resolvePiiKey(
  config: Config,
  logger: Logger,
  fetchSecret: (secretId: string) => Promise<string>,
): Promise<Buffer> {
  if (config.pii.key !== undefined) return Buffer.from(config.pii.key, 'utf8');
  if (config.pii.secretId !== undefined) {
    let value: string;
    try {
      value = await fetchSecret(config.pii.secretId);
    } catch (err) {
      const message = `PII_HASH_KEY_SECRET_ID: cannot read secret: ${describeError(err)}`;
      // Refused (no such secret, access denied): a configuration error. Not answered: an outage, retryable.
      if (err instanceof ConfigError || isServiceRefusal(err)) throw new ConfigError(message, { cause: err });
      throw new SecretUnavailableError(message, { cause: err });
    }
    if (value.length < 16)
      throw new ConfigError('PII_HASH_KEY_SECRET_ID: the secret must hold at least 16 characters');
    return Buffer.from(value, 'utf8');
  }
  if (config.pii.mode === 'hash' && !warnedAboutDevelopmentKey) {
    warnedAboutDevelopmentKey = true;
    logger.warn(
      'PII_HASH_KEY is not set: hashing personal data with the public development key (local runs only)',
    );
  }
  return Buffer.from(DEVELOPMENT_PII_KEY, 'utf8');
}

async function fetchSecretFromSecretsManager(secretId: string): Promise<string> {
  // Loaded on demand: most deployments pass the key through the environment and never pay for this client.
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({});
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (out.SecretString === undefined) throw new ConfigError(`secret ${secretId} has no string value`);
  return out.SecretString;
}
