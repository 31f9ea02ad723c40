import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/errors';

const LAMBDA = { AWS_LAMBDA_FUNCTION_NAME: 'fn' };
const AWS_OK = {
  ARCHIVE_BUCKET: 'archive',
  ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:alerts',
  PII_HASH_KEY: 'k'.repeat(32),
};

describe('loadConfig', () => {
  it('uses local sinks and hash mode outside Lambda by default', () => {
    const c = loadConfig({ PWD: '/work/x' });
    expect(c.sinks).toBe('local');
    expect(c.localSinkDir).toBe('/work/x/.local');
    expect(c.pii.mode).toBe('hash');
    expect(c.inLambda).toBe(false);
    expect(c.alertSampleSize).toBe(3);
    expect(c.firehoseResponseLimitBytes).toBe(6_000_000);
  });

  it('returns a deeply frozen object', () => {
    const c = loadConfig({ APP_METADATA: '{"app1":{"name":"Shop"}}' });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.pii)).toBe(true);
    expect(Object.isFrozen(c.apps.app1)).toBe(true);
  });

  it('defaults to AWS sinks in Lambda and requires the bucket and the topic there', () => {
    expect(() => loadConfig({ ...LAMBDA, PII_HASH_KEY: 'k'.repeat(32) })).toThrow(
      /ARCHIVE_BUCKET is required/,
    );
    expect(() => loadConfig({ ...LAMBDA, ...AWS_OK, ALERT_TOPIC_ARN: '' })).toThrow(
      /ALERT_TOPIC_ARN is required/,
    );
    const c = loadConfig({ ...LAMBDA, ...AWS_OK });
    expect(c.sinks).toBe('aws');
    expect(c.inLambda).toBe(true);
  });

  it('treats sls invoke local (IS_LOCAL) as outside Lambda', () => {
    expect(loadConfig({ ...LAMBDA, IS_LOCAL: 'true' }).sinks).toBe('local');
  });

  it('rejects an ALERT_TOPIC_ARN that is not an SNS topic ARN', () => {
    expect(() => loadConfig({ ...LAMBDA, ...AWS_OK, ALERT_TOPIC_ARN: 'alerts' })).toThrow(
      /not an SNS topic ARN/,
    );
  });

  it('accepts a FIFO topic ARN', () => {
    const c = loadConfig({
      ...LAMBDA,
      ...AWS_OK,
      ALERT_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:alerts.fifo',
    });
    expect(c.alertTopicArn).toMatch(/\.fifo$/);
  });

  it('requires a PII key in Lambda in hash mode, but not in redact mode', () => {
    const { PII_HASH_KEY: _k, ...noKey } = AWS_OK;
    expect(() => loadConfig({ ...LAMBDA, ...noKey })).toThrow(/PII_HASH_KEY or PII_HASH_KEY_SECRET_ID/);
    expect(loadConfig({ ...LAMBDA, ...noKey, PII_MODE: 'redact' }).pii.mode).toBe('redact');
    expect(loadConfig({ ...LAMBDA, ...noKey, PII_HASH_KEY_SECRET_ID: 'pii-key' }).pii.secretId).toBe(
      'pii-key',
    );
  });

  it('refuses the public development key outside local runs: SINKS=aws without a key names the variables', () => {
    const { PII_HASH_KEY: _k, ...noKey } = AWS_OK;
    // A replay from a laptop (not Lambda) to the real archive: hashes made with the public key are reversible.
    expect(() => loadConfig({ SINKS: 'aws', ...noKey })).toThrow(ConfigError);
    expect(() => loadConfig({ SINKS: 'aws', ...noKey })).toThrow(
      /PII_HASH_KEY or PII_HASH_KEY_SECRET_ID is required when PII_MODE=hash and SINKS=aws/,
    );
    // A key, a secret, or a mode that writes no hash: allowed.
    expect(loadConfig({ SINKS: 'aws', ...AWS_OK }).pii.key).toBe(AWS_OK.PII_HASH_KEY);
    expect(loadConfig({ SINKS: 'aws', ...noKey, PII_HASH_KEY_SECRET_ID: 'arn:secret' }).pii.secretId).toBe(
      'arn:secret',
    );
    expect(loadConfig({ SINKS: 'aws', ...noKey, PII_MODE: 'redact' }).pii.mode).toBe('redact');
    // Local runs keep the development key.
    expect(loadConfig({ SINKS: 'local' }).pii.key).toBeUndefined();
  });

  it.each([
    ['SINKS', 's3', /SINKS='s3' is not valid; accepted values: local, aws/],
    ['PII_MODE', 'hide', /PII_MODE='hide' is not valid; accepted values: hash, redact, keep/],
    ['ALERT_SAMPLE_SIZE', '-1', /ALERT_SAMPLE_SIZE='-1'.*0 to 20/],
    ['ALERT_SAMPLE_SIZE', 'three', /ALERT_SAMPLE_SIZE/],
    ['FIREHOSE_ARCHIVE_RAW', 'yes', /FIREHOSE_ARCHIVE_RAW='yes'.*true, false/],
    ['FIREHOSE_RESPONSE_LIMIT_BYTES', '7000000', /FIREHOSE_RESPONSE_LIMIT_BYTES/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL='loud'/],
    ['ANALYTICS_MAX_ROWS', '9', /ANALYTICS_MAX_ROWS/],
    ['ANALYTICS_MAX_ROWS', 'lots', /ANALYTICS_MAX_ROWS/],
    ['PII_HASH_KEY', 'short', /at least 16 characters/],
  ])('fails fast on %s=%s with a message naming it', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('reads the rate table and the DynamoDB endpoint (its own variable before AWS_ENDPOINT_URL)', () => {
    expect(loadConfig({}).rates).toEqual({
      retentionHours: 48,
      maxCounters: 200,
      concurrency: 16,
      kinesisGuard: 'sequence',
    });
    expect(
      loadConfig({ RATE_RETENTION_HOURS: '6', RATE_MAX_COUNTERS: '5', RATE_KINESIS_GUARD: 'batch' }).rates,
    ).toMatchObject({ retentionHours: 6, maxCounters: 5, kinesisGuard: 'batch' });
    expect(() => loadConfig({ RATE_KINESIS_GUARD: 'shard' })).toThrow(/RATE_KINESIS_GUARD='shard'/);
    expect(() => loadConfig({ RATE_MAX_COUNTERS: '0' })).toThrow(/RATE_MAX_COUNTERS/);
    expect(loadConfig({}).aws.dynamodbEndpoint).toBeUndefined();
    const c = loadConfig({
      RATE_TABLE: 'pinpoint-rates',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:2',
    });
    expect(c.rates.table).toBe('pinpoint-rates');
    expect(c.aws.dynamodbEndpoint).toBe('http://127.0.0.1:2');
    expect(loadConfig({ AWS_ENDPOINT_URL: 'http://127.0.0.1:1' }).aws.dynamodbEndpoint).toBe(
      'http://127.0.0.1:1',
    );
    const arn = 'arn:aws:dynamodb:eu-west-1:123456789012:table/pinpoint-rates';
    expect(loadConfig({ RATE_TABLE: arn }).rates.table).toBe(arn);
    for (const bad of ['ab', 'rates table', 'x'.repeat(256), 'arn:aws:dynamodb:eu-west-1:1:table/rates']) {
      expect(() => loadConfig({ RATE_TABLE: bad })).toThrow(/RATE_TABLE .* is not a DynamoDB table name/);
    }
    expect(() => loadConfig({ AWS_ENDPOINT_URL_DYNAMODB: 'localhost:8000' })).toThrow(/not an http\(s\) URL/);
  });

  it('bounds the analytics rows of a batch at ANALYTICS_MAX_ROWS, 2,000 by default', () => {
    expect(loadConfig({}).analytics).toEqual({ maxRows: 2000 });
    expect(loadConfig({ ANALYTICS_MAX_ROWS: '10' }).analytics.maxRows).toBe(10);
    expect(loadConfig({ ANALYTICS_MAX_ROWS: '100000' }).analytics.maxRows).toBe(100_000);
  });

  it('reads the configuration sets counted per set: names, no empty item or repeat, at most 10', () => {
    expect(loadConfig({}).metricConfigurationSets).toEqual([]);
    expect(loadConfig({ METRIC_CONFIGURATION_SETS: '' }).metricConfigurationSets).toEqual([]);
    // What the stack writes: the created set, the existing ones (maybe none), the created SMS set of the same name.
    expect(
      loadConfig({ METRIC_CONFIGURATION_SETS: 'svc-dev,marketing,otp_2,,svc-dev' }).metricConfigurationSets,
    ).toEqual(['svc-dev', 'marketing', 'otp_2']);
    expect(loadConfig({ METRIC_CONFIGURATION_SETS: ',,' }).metricConfigurationSets).toEqual([]);
    expect(() => loadConfig({ METRIC_CONFIGURATION_SETS: 'a,b/c' })).toThrow(
      /METRIC_CONFIGURATION_SETS: 'b\/c' is not a configuration set name/,
    );
    expect(() => loadConfig({ METRIC_CONFIGURATION_SETS: 'x'.repeat(65) })).toThrow(ConfigError);
    const eleven = Array.from({ length: 11 }, (_, i) => `set${i}`).join(',');
    expect(() => loadConfig({ METRIC_CONFIGURATION_SETS: eleven })).toThrow(
      'METRIC_CONFIGURATION_SETS names 11 configuration sets; at most 10',
    );
  });

  it('normalizes the archive prefix to end in one slash', () => {
    expect(loadConfig({ ARCHIVE_PREFIX: '/pinpoint/' }).archive.prefix).toBe('pinpoint/');
    expect(loadConfig({}).archive.prefix).toBe('');
  });

  it('reads app metadata inline or from a file, and rejects unknown keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'apps.yaml'), 'app1:\n  name: Shop\n  environment: prod\n  owner: team-a\n');
    expect(loadConfig({ PWD: dir, APP_METADATA_FILE: 'apps.yaml' }).apps).toEqual({
      app1: { name: 'Shop', environment: 'prod', owner: 'team-a' },
    });
    expect(() => loadConfig({ APP_METADATA: '{"app1":{"nmae":"Shop"}}' })).toThrow(/APP_METADATA is invalid/);
    expect(() => loadConfig({ APP_METADATA: '{', APP_METADATA_FILE: 'x' })).toThrow(/not both/);
    expect(() => loadConfig({ APP_METADATA: '[1,' })).toThrow(/APP_METADATA/);
  });

  it('reads the rules file relative to PWD, and names it when missing', () => {
    const c = loadConfig({ PWD: join(__dirname, '..', '..'), RULES_FILE: 'rules.example.yaml' });
    expect(c.rules?.text).toContain('version: 1');
    expect(() => loadConfig({ RULES_FILE: '/nonexistent/rules.yaml' })).toThrow(/RULES_FILE: cannot read/);
  });
});
