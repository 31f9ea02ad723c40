import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_ANALYTICS_MAX_ROWS } from './analytics/analyticsRow';
import type { AppMetadataMap } from './enrich';
import { ConfigError } from './errors';
import type { LogLevel } from './logger';
import type { PiiMode } from './pii';
import { DEPLOYED_ROUTING_CONFIG } from './rules/deployedRoutingConfig';
import { loadAppMetadata } from './rules/loadRoutingConfig';
import type { RoutingConfig } from './rules/routingConfig';

/** Everything the processor reads from its environment, read once at cold start and frozen. */
export interface Config {
  readonly sinks: 'local' | 'aws';
  /** Where local sinks write (`LOCAL_SINK_DIR`, default `.local`). */
  readonly localSinkDir: string;
  readonly archive: {
    readonly bucket?: string;
    readonly prefix: string;
    readonly kmsKeyId?: string;
    /** `ARCHIVE_GZIP_LEVEL`, 1–9, default 3: CPU per record is the product's cost; see src/sinks/gzipLines.ts. */
    readonly gzipLevel: number;
  };
  readonly alertTopicArn?: string;
  /** SDK client settings of the AWS sinks. */
  readonly aws: {
    /** `SINK_CONNECT_TIMEOUT_MS`, default 1000. */
    readonly connectTimeoutMs: number;
    /** `SINK_REQUEST_TIMEOUT_MS` (socket inactivity), default 5000. */
    readonly requestTimeoutMs: number;
    /** `SINK_MAX_ATTEMPTS` (first try included), default 3. */
    readonly maxAttempts: number;
    /** `AWS_ENDPOINT_URL_S3` (or `AWS_ENDPOINT_URL`): an S3-compatible store, addressed path-style. */
    readonly s3Endpoint?: string;
    /** `AWS_ENDPOINT_URL_SNS` (or `AWS_ENDPOINT_URL`). */
    readonly snsEndpoint?: string;
    /** `AWS_ENDPOINT_URL_DYNAMODB` (or `AWS_ENDPOINT_URL`): a DynamoDB-compatible store (dynalite in tests). */
    readonly dynamodbEndpoint?: string;
  };

  /**
   * `DEADLINE_MARGIN_MS`, default 3000: sink writes are aborted this long before the Lambda deadline, and the
   * records stop two margins before it. An invocation uses at most a fifth of the time it starts with (but at
   * least 500 ms; src/batch/deadline.ts), so a timeout at or below the margin still leaves time to work.
   */
  readonly deadlineMarginMs: number;
  readonly pii: {
    readonly mode: PiiMode;
    /** `PII_HASH_KEY`; when absent, `secretId` or (with SINKS=local outside Lambda only) the development key. */
    readonly key?: string;
    /** `PII_HASH_KEY_SECRET_ID`: a Secrets Manager secret holding the key (Lambda). */
    readonly secretId?: string;
  };
  /** Rules file text and its name, from `RULES_FILE`; undefined for the shipped defaults (or `packaged`). */
  readonly rules?: { readonly text: string; readonly origin: string };
  readonly apps: AppMetadataMap;
  /** Where `apps` comes from: `none`, `APP_METADATA`, the `APP_METADATA_FILE` path, or the packaged `appsFile`. */
  readonly appsOrigin: string;
  /**
   * The rules and app metadata a Lambda bundle was packaged with (validated by `sls package`); undefined when
   * running from source. A bundle refuses RULES_FILE, APP_METADATA and APP_METADATA_FILE: it has no YAML
   * parser, and its rules change by deploying again.
   */
  readonly packaged?: RoutingConfig;
  readonly alertSampleSize: number;
  /** The shared rate store (docs/rates.md). */
  readonly rates: {
    /**
     * `RATE_TABLE`: the DynamoDB table (a name or a table ARN) of the rate counters, used with SINKS=aws;
     * when unset the AWS sinks have no rate store. Local runs keep the counters under `LOCAL_SINK_DIR/rates/`.
     */
    readonly table?: string;
    /** `RATE_RETENTION_HOURS`, default 48: counters and batch markers expire this long after their window ends. */
    readonly retentionHours: number;
    /** `RATE_MAX_COUNTERS`, default 200: the most counters one batch writes (the rest: each rule's other group). */
    readonly maxCounters: number;
    /** `RATE_CONCURRENCY`, default 16: store calls in flight at once per invocation. */
    readonly concurrency: number;
    /** `RATE_KINESIS_GUARD`, `sequence` (default) or `batch` (a parallelization factor above 1). */
    readonly kinesisGuard: 'sequence' | 'batch';
  };
  /** The analytics rows every batch writes (docs/analytics.md). */
  readonly analytics: {
    /** `ANALYTICS_MAX_ROWS`, default 2,000: the most rows one batch writes (the smallest groups merged past it). */
    readonly maxRows: number;
  };
  /** Firehose path: also write the raw batch to the archive (`FIREHOSE_ARCHIVE_RAW`). */
  readonly firehoseArchiveRaw: boolean;
  /** Budget for the Firehose response body; Lambda's synchronous response limit is 6 MB. */
  readonly firehoseResponseLimitBytes: number;
  readonly logLevel: LogLevel;
  readonly observability: {
    /** `POWERTOOLS_SERVICE_NAME`, default `pinpoint-stream-processor`. */
    readonly serviceName: string;
    /** `POWERTOOLS_METRICS_NAMESPACE`, default `PinpointStreamProcessor`. */
    readonly metricsNamespace: string;
    /** `METRICS=on|off`; default on in Lambda, off elsewhere (local runs print no EMF lines). */
    readonly metrics: boolean;
  };
  /**
   * `METRIC_CONFIGURATION_SETS`: configuration set names, comma-separated, at most {@link MAX_METRIC_CONFIGURATION_SETS},
   * whose records are counted per set as well (the `ConfigurationSetEvents` metric). The stack sets the ones it
   * wires; a record of any other set counts in `MessageEvents` only, so that the metric's dimensions stay bounded.
   */
  readonly metricConfigurationSets: readonly string[];
  /** True inside a real Lambda (not `sls invoke local`). */
  readonly inLambda: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Builds the configuration from the environment. The only reader of `process.env` (handlers pass it in).
 * Fails fast with a message naming the variable and the accepted values.
 *
 * @param packaged the routing configuration the bundle carries (src/rules/deployedRoutingConfig.ts)
 */
export function loadConfig(env: Env, packaged: RoutingConfig | undefined = DEPLOYED_ROUTING_CONFIG): Config {
  // Relative paths are relative to where the command was started: serverless-esbuild changes the working
  // directory to its build folder under `sls invoke local`, but the shell's PWD stays.
  const baseDir = nonEmpty(env.PWD) ?? process.cwd();
  const path = (p: string) => resolve(baseDir, p);
  const inLambda = env.AWS_LAMBDA_FUNCTION_NAME !== undefined && env.IS_LOCAL !== 'true';
  const sinks = oneOf(env, 'SINKS', ['local', 'aws'] as const, inLambda ? 'aws' : 'local');
  const bucket = nonEmpty(env.ARCHIVE_BUCKET);
  const alertTopicArn = nonEmpty(env.ALERT_TOPIC_ARN);
  if (sinks === 'aws') {
    // Inside Lambda a missing destination is a deployment error, never a reason to write somewhere else.
    if (bucket === undefined)
      throw new ConfigError('ARCHIVE_BUCKET is required when SINKS=aws (the default in Lambda)');
    if (alertTopicArn === undefined) {
      throw new ConfigError('ALERT_TOPIC_ARN is required when SINKS=aws (the default in Lambda)');
    }
    if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(alertTopicArn)) {
      throw new ConfigError(`ALERT_TOPIC_ARN '${alertTopicArn}' is not an SNS topic ARN`);
    }
  }
  const piiMode = oneOf(env, 'PII_MODE', ['hash', 'redact', 'keep'] as const, 'hash');
  const piiKey = nonEmpty(env.PII_HASH_KEY);
  const secretId = nonEmpty(env.PII_HASH_KEY_SECRET_ID);
  if (piiKey !== undefined && piiKey.length < 16) {
    throw new ConfigError('PII_HASH_KEY must be at least 16 characters (a random secret; 32+ recommended)');
  }
  // The development key is public: hashes made with it are reversed by enumerating phone numbers. It is allowed
  // only where the output stays on this machine (SINKS=local, outside Lambda); a replay or any run that writes
  // to AWS without a key refuses to start, rather than write reversible hashes over the archive.
  if (
    piiMode === 'hash' &&
    piiKey === undefined &&
    secretId === undefined &&
    (inLambda || sinks !== 'local')
  ) {
    throw new ConfigError(
      `PII_HASH_KEY or PII_HASH_KEY_SECRET_ID is required when PII_MODE=hash and ${inLambda ? 'in Lambda' : `SINKS=${sinks}`}: ` +
        'the public development key is allowed only with SINKS=local (set PII_HASH_KEY_SECRET_ID to the ' +
        "stack's PiiHashKeySecretArn output)",
    );
  }

  const config: Config = {
    sinks,
    localSinkDir: path(nonEmpty(env.LOCAL_SINK_DIR) ?? '.local'),
    archive: {
      ...(bucket !== undefined && { bucket }),
      prefix: normalizePrefix(env.ARCHIVE_PREFIX),
      gzipLevel: integer(env, 'ARCHIVE_GZIP_LEVEL', 3, 1, 9),
      ...(nonEmpty(env.ARCHIVE_KMS_KEY_ID) !== undefined && { kmsKeyId: nonEmpty(env.ARCHIVE_KMS_KEY_ID) }),
    },
    ...(alertTopicArn !== undefined && { alertTopicArn }),
    aws: {
      connectTimeoutMs: integer(env, 'SINK_CONNECT_TIMEOUT_MS', 1000, 10, 60_000),
      requestTimeoutMs: integer(env, 'SINK_REQUEST_TIMEOUT_MS', 5000, 10, 300_000),
      maxAttempts: integer(env, 'SINK_MAX_ATTEMPTS', 3, 1, 10),
      ...endpoint('s3Endpoint', env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL),
      ...endpoint('snsEndpoint', env.AWS_ENDPOINT_URL_SNS ?? env.AWS_ENDPOINT_URL),
      ...endpoint('dynamodbEndpoint', env.AWS_ENDPOINT_URL_DYNAMODB ?? env.AWS_ENDPOINT_URL),
    },
    deadlineMarginMs: integer(env, 'DEADLINE_MARGIN_MS', 3000, 0, 600_000),
    pii: {
      mode: piiMode,
      ...(piiKey !== undefined && { key: piiKey }),
      ...(secretId !== undefined && { secretId }),
    },
    ...routingFiles(env, path, packaged),
    alertSampleSize: integer(env, 'ALERT_SAMPLE_SIZE', 3, 0, 20),
    rates: {
      ...rateTable(env.RATE_TABLE),
      retentionHours: integer(env, 'RATE_RETENTION_HOURS', 48, 1, 24 * 400),
      maxCounters: integer(env, 'RATE_MAX_COUNTERS', 200, 1, 5000),
      concurrency: integer(env, 'RATE_CONCURRENCY', 16, 1, 64),
      kinesisGuard: oneOf(env, 'RATE_KINESIS_GUARD', ['sequence', 'batch'] as const, 'sequence'),
    },
    analytics: { maxRows: integer(env, 'ANALYTICS_MAX_ROWS', DEFAULT_ANALYTICS_MAX_ROWS, 10, 100_000) },
    firehoseArchiveRaw: flag(env, 'FIREHOSE_ARCHIVE_RAW', false),
    firehoseResponseLimitBytes: integer(env, 'FIREHOSE_RESPONSE_LIMIT_BYTES', 6_000_000, 1024, 6_291_456),
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'] as const, 'info', true),
    observability: {
      serviceName: nonEmpty(env.POWERTOOLS_SERVICE_NAME) ?? 'pinpoint-stream-processor',
      metricsNamespace: nonEmpty(env.POWERTOOLS_METRICS_NAMESPACE) ?? 'PinpointStreamProcessor',
      metrics: oneOf(env, 'METRICS', ['on', 'off'] as const, inLambda ? 'on' : 'off', true) === 'on',
    },
    metricConfigurationSets: configurationSetList(env.METRIC_CONFIGURATION_SETS),
    inLambda,
  };
  return deepFreeze(config);
}

/**
 * The most configuration sets `METRIC_CONFIGURATION_SETS` may name: the stack names at most 7 (5 existing SES sets,
 * the SES and the SMS set it creates, which share one name). Each is a metric dimension value: the bound keeps the
 * number of metrics (sets × channels × outcomes) small.
 */
const MAX_METRIC_CONFIGURATION_SETS = 10;

/** `a,b,,c`: the names, without empty items or repeats, each as SES and End User Messaging name them. */
function configurationSetList(value: string | undefined): readonly string[] {
  const names = [
    ...new Set(
      (value ?? '')
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n.length > 0),
    ),
  ];
  for (const n of names) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(n)) {
      throw new ConfigError(
        `METRIC_CONFIGURATION_SETS: '${n.slice(0, 100)}' is not a configuration set name (1 to 64 letters, digits, - and _)`,
      );
    }
  }
  if (names.length > MAX_METRIC_CONFIGURATION_SETS) {
    throw new ConfigError(
      `METRIC_CONFIGURATION_SETS names ${names.length} configuration sets; at most ${MAX_METRIC_CONFIGURATION_SETS}`,
    );
  }
  return names;
}

/** A DynamoDB table name (3–255 of `[A-Za-z0-9_.-]`) or a table's ARN, as the DynamoDB API accepts either. */
function rateTable(value: string | undefined): { table?: string } {
  const v = nonEmpty(value);
  if (v === undefined) return {};
  if (
    !/^[A-Za-z0-9_.-]{3,255}$/.test(v) &&
    !/^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[A-Za-z0-9_.-]{3,255}$/.test(v)
  ) {
    throw new ConfigError(`RATE_TABLE '${v.slice(0, 300)}' is not a DynamoDB table name or table ARN`);
  }
  return { table: v };
}

function endpoint<K extends string>(key: K, value: string | undefined): { [k in K]?: string } {
  const v = nonEmpty(value);
  if (v === undefined) return {};
  if (!/^https?:\/\/[^\s/]+/.test(v)) throw new ConfigError(`endpoint '${v}' is not an http(s) URL`);
  return { [key]: v } as { [k in K]?: string };
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v === undefined || v.length === 0 ? undefined : v;
}

function oneOf<T extends string>(
  env: Env,
  name: string,
  values: readonly T[],
  fallback: T,
  lower = false,
): T {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const v = lower ? raw.toLowerCase() : raw;
  if (!(values as readonly string[]).includes(v)) {
    throw new ConfigError(`${name}='${raw}' is not valid; accepted values: ${values.join(', ')}`);
  }
  return v as T;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name}='${raw}' is not valid; expected an integer from ${min} to ${max}`);
  }
  return n;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = nonEmpty(env[name])?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name}='${raw}' is not valid; accepted values: true, false`);
}

/** An S3 key prefix as the archive writes it: empty, or without leading slashes and ending in exactly one `/`. */
export function normalizePrefix(value: string | undefined): string {
  const v = nonEmpty(value)?.replace(/^\/+|\/+$/g, '');
  return v === undefined || v.length === 0 ? '' : `${v}/`;
}

function readRules(path: string): { text: string; origin: string } {
  try {
    return { text: readFileSync(path, 'utf8'), origin: path };
  } catch (err) {
    throw new ConfigError(`RULES_FILE: cannot read '${path}': ${(err as Error).message}`, { cause: err });
  }
}

/** The variables that point at rules and app metadata files, which a packaged bundle refuses. */
const ROUTING_VARIABLES = ['RULES_FILE', 'APP_METADATA', 'APP_METADATA_FILE'] as const;

/**
 * Rules and app metadata: the bundle's packaged ones, or from source RULES_FILE (read here, validated by
 * createRuntime) and APP_METADATA / APP_METADATA_FILE (validated here).
 */
function routingFiles(
  env: Env,
  path: (p: string) => string,
  packaged: RoutingConfig | undefined,
): Pick<Config, 'rules' | 'apps' | 'appsOrigin' | 'packaged'> {
  if (packaged !== undefined) {
    const set = ROUTING_VARIABLES.find((name) => nonEmpty(env[name]) !== undefined);
    if (set !== undefined) {
      throw new ConfigError(
        `${set} is set, but this bundle carries the rules (${packaged.rulesOrigin}, ${packaged.rulesSha256}) and app metadata (${packaged.appsOrigin}, ${packaged.appsSha256}) it was packaged with; ${set} applies to runs from source (npm run local, the CLI). Package other files with --param="rulesFile=…" / --param="appsFile=…" (and deploy again)`,
      );
    }
    return { apps: packaged.apps, appsOrigin: packaged.appsOrigin, packaged };
  }
  const rulesFile = nonEmpty(env.RULES_FILE);
  return {
    ...(rulesFile !== undefined && { rules: readRules(path(rulesFile)) }),
    ...readApps(env, path),
  };
}

/** `APP_METADATA` (inline JSON) or `APP_METADATA_FILE` (JSON or YAML): `{ "<app id>": { name, environment, owner } }`. */
function readApps(env: Env, path: (p: string) => string): { apps: AppMetadataMap; appsOrigin: string } {
  const inline = nonEmpty(env.APP_METADATA);
  const file = nonEmpty(env.APP_METADATA_FILE);
  if (inline !== undefined && file !== undefined) {
    throw new ConfigError('set APP_METADATA or APP_METADATA_FILE, not both');
  }
  if (inline !== undefined)
    return { apps: loadAppMetadata(inline, 'APP_METADATA'), appsOrigin: 'APP_METADATA' };
  if (file === undefined) return { apps: {}, appsOrigin: 'none' };
  const name = `APP_METADATA_FILE '${file}'`;
  let text: string;
  try {
    text = readFileSync(path(file), 'utf8');
  } catch (err) {
    throw new ConfigError(`${name}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  return { apps: loadAppMetadata(text, name), appsOrigin: file };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
