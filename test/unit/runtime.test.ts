import { loadConfig } from '../../src/config';
import { ConfigError, SecretUnavailableError } from '../../src/errors';
import type { Logger } from '../../src/logger';
import { runPipeline } from '../../src/pipeline';
import { DEFAULT_RATE_RULES } from '../../src/rules/defaultRules';
import { contentHash, type RoutingConfig } from '../../src/rules/routingConfig';
import { createRuntime, DEVELOPMENT_PII_KEY } from '../../src/runtime';
import { DynamoRateStore } from '../../src/sinks/aws/DynamoRateStore';
import { S3ArchiveSink } from '../../src/sinks/aws/S3ArchiveSink';
import { SnsAlertSink } from '../../src/sinks/aws/SnsAlertSink';
import { LocalRateStore } from '../../src/sinks/local/LocalRateStore';
import { loadRuleSpecs } from '../helpers/rules';
import { kinesisEvent, silentLogger } from '../helpers/runtime';

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warn: (m: string) => warnings.push(m), warnings };
}

describe('createRuntime', () => {
  it('reads the PII key from the secret when PII_HASH_KEY_SECRET_ID is set', async () => {
    const fetchSecret = jest.fn(async () => 'secret-key-from-secrets-manager');
    const rt = await createRuntime(loadConfig({ PII_HASH_KEY_SECRET_ID: 'pii/key' }), {
      logger: silentLogger,
      fetchSecret,
    });
    expect(fetchSecret).toHaveBeenCalledWith('pii/key');
    expect(rt.settings.piiKey.toString()).toBe('secret-key-from-secrets-manager');
  });

  /** An error as the AWS SDK throws it when the service answered. */
  const serviceError = (name: string, fault: 'client' | 'server', status: number) =>
    Object.assign(new Error('the request was refused'), {
      name,
      $fault: fault,
      $metadata: { httpStatusCode: status },
    });

  it.each([
    ['AccessDeniedException', 400],
    ['ResourceNotFoundException', 400],
    ['DecryptionFailure', 400],
  ])('fails with a configuration error when Secrets Manager refuses (%s)', async (name, status) => {
    const fetchSecret = async () => {
      throw serviceError(name, 'client', status);
    };
    const built = createRuntime(loadConfig({ PII_HASH_KEY_SECRET_ID: 'pii/key' }), {
      logger: silentLogger,
      fetchSecret,
    });
    await expect(built).rejects.toBeInstanceOf(ConfigError);
    await expect(built).rejects.toMatchObject({ retryable: false });
    await expect(built).rejects.toThrow(
      new RegExp(`^PII_HASH_KEY_SECRET_ID: cannot read secret: ${name} \\(HTTP ${status}\\): `),
    );
  });

  it.each([
    ['the network fails', Object.assign(new Error('connect ETIMEDOUT 10.0.0.1:443'), { code: 'ETIMEDOUT' })],
    ['Secrets Manager throttles', serviceError('ThrottlingException', 'client', 400)],
    ['Secrets Manager fails', serviceError('InternalServiceError', 'server', 500)],
  ])('fails with a retryable error, not a configuration error, when %s', async (_case, error) => {
    const fetchSecret = async () => {
      throw error;
    };
    const built = createRuntime(loadConfig({ PII_HASH_KEY_SECRET_ID: 'pii/key' }), {
      logger: silentLogger,
      fetchSecret,
    });
    await expect(built).rejects.toBeInstanceOf(SecretUnavailableError);
    await expect(built).rejects.toMatchObject({ retryable: true, cause: error });
  });

  it('uses the development key outside Lambda without a key and says so once', async () => {
    let fresh: typeof createRuntime = createRuntime;
    jest.isolateModules(() => {
      fresh = (require('../../src/runtime') as typeof import('../../src/runtime')).createRuntime;
    });
    const logger = recordingLogger();
    const a = await fresh(loadConfig({}), { logger });
    await fresh(loadConfig({}), { logger });
    expect(a.settings.piiKey.toString()).toBe(DEVELOPMENT_PII_KEY);
    expect(logger.warnings.filter((w) => w.includes('development key'))).toHaveLength(1);
  });

  it('gives different hashes for different keys', async () => {
    const hashOf = async (key: string) => {
      const rt = await createRuntime(loadConfig({ PII_HASH_KEY: key }), { logger: silentLogger });
      const event = kinesisEvent('email');
      const [first] = runPipeline(
        event.Records.slice(0, 1).map((r) => ({ id: '1', data: r.kinesis.data, ingestMs: 0 })),
        rt.settings,
        { keepRecords: true },
      );
      return first?.outcome.kind === 'ok' ? first.outcome.record.recipient_hash : undefined;
    };
    const a = await hashOf('key-a-0123456789abcdef');
    const b = await hashOf('key-b-0123456789abcdef');
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(b).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
  });

  it('compiles the rate rules next to the event rules: the shipped ones, and those of a packaged config', async () => {
    const shipped = await createRuntime(loadConfig({ PII_HASH_KEY: 'k'.repeat(20) }), {
      logger: silentLogger,
    });
    expect(shipped.rateRules.map((r) => r.name)).toEqual(DEFAULT_RATE_RULES.map((r) => r.name));
    expect(shipped.settings.rules.map((r) => r.name)).not.toContain('email-bounce-rate-high');

    const rules = loadRuleSpecs(
      [
        'version: 1',
        'disable: [voice-failure-rate-high]',
        'rules:',
        '  - { name: c, kind: rate, numerator: [complained], denominator: [delivered], threshold: 0.01, min_volume: 5, severity: low }',
        '  - { name: off, kind: rate, enabled: false, numerator: [failed], denominator: [sent], threshold: 0.5, min_volume: 1, severity: low }',
      ].join('\n'),
    );
    const packaged: RoutingConfig = {
      rules,
      rulesOrigin: 'field.yaml',
      rulesSha256: contentHash(rules),
      apps: {},
      appsOrigin: 'none',
      appsSha256: contentHash({}),
    };
    const config = { ...loadConfig({ PII_HASH_KEY: 'k'.repeat(20) }), packaged };
    const rt = await createRuntime(config, { logger: silentLogger });
    expect(rt.rateRules.map((r) => r.name)).toEqual([
      ...DEFAULT_RATE_RULES.map((r) => r.name).filter((n) => n !== 'voice-failure-rate-high'),
      'c',
    ]);
    expect(Object.isFrozen(rt.rateRules)).toBe(true);
  });

  it('builds the S3 and SNS sinks for SINKS=aws', async () => {
    const config = loadConfig({
      SINKS: 'aws',
      ARCHIVE_BUCKET: 'b',
      ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:t',
      PII_HASH_KEY: 'k'.repeat(20),
      AWS_REGION: 'us-east-1',
    });
    const rt = await createRuntime(config, { logger: silentLogger });
    expect(rt.sinks.archive).toBeInstanceOf(S3ArchiveSink);
    expect(rt.sinks.alerts).toBeInstanceOf(SnsAlertSink);
    expect(rt.sinks.rates).toBeUndefined();
  });

  it('adds the DynamoDB rate store for SINKS=aws with RATE_TABLE, and the local one for SINKS=local', async () => {
    const aws = loadConfig({
      SINKS: 'aws',
      ARCHIVE_BUCKET: 'b',
      ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:t',
      PII_HASH_KEY: 'k'.repeat(20),
      RATE_TABLE: 'rates',
    });
    expect((await createRuntime(aws, { logger: silentLogger })).sinks.rates).toBeInstanceOf(DynamoRateStore);
    const local = loadConfig({ PII_HASH_KEY: 'k'.repeat(20) });
    expect((await createRuntime(local, { logger: silentLogger })).sinks.rates).toBeInstanceOf(LocalRateStore);
  });
});
