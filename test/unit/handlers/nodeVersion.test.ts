import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isNodeVersionWarning, NODE_VERSION_WARNING } from '../../support/nodeVersionWarning';

/**
 * Development, tests and CI run Node.js 22 (scripts/node22.sh, .ci/run), the Lambda runtime's: the AWS SDK
 * builds its clients without a NodeVersionSupportWarning. Each handler is started as Lambda would, in its own
 * process under the Node.js that runs the tests, with the AWS sinks (S3, SNS and DynamoDB clients built at cold
 * start), and its stderr must hold no such warning. Warnings inside the test processes themselves fail their
 * test file (test/setupReady.ts).
 */

const ROOT = join(__dirname, '..', '..', '..');

/** Starts `handlers/<fn>.ts` with the AWS sinks, invokes it with an empty batch (no request is sent). */
function coldStart(
  fn: 'kinesis' | 'firehose',
  extraEnv: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const event =
    fn === 'kinesis' ? { Records: [] } : { invocationId: 'i', deliveryStreamArn: 'arn', records: [] };
  const driver = `
    if (process.env.PRETEND_NODE_VERSION) Object.defineProperty(process, 'version', { value: process.env.PRETEND_NODE_VERSION });
    const { handler } = require('./handlers/${fn}.ts');
    const context = { functionName: '${fn}', awsRequestId: 'r-1', getRemainingTimeInMillis: () => 60000 };
    handler(${JSON.stringify(event)}, context).then(
      (r) => process.stdout.write('RESULT ' + JSON.stringify(r) + '\\n'),
      (e) => { process.stderr.write(String(e && e.stack) + '\\n'); process.exitCode = 1; },
    );`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    SINKS: 'aws',
    ARCHIVE_BUCKET: 'node-version-test',
    ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:node-version-test',
    RATE_TABLE: 'node-version-test',
    PII_HASH_KEY: 'node-version-test-key-0123456789',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    // Nowhere: the empty batch sends nothing, and nothing may reach AWS if it did.
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    LOG_LEVEL: 'silent',
    METRICS: 'off',
    ...extraEnv,
  };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '-e', driver],
      { cwd: ROOT, env, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1,
          stdout,
          stderr,
        });
      },
    );
  });
}

describe('Node.js 22', () => {
  jest.setTimeout(60_000);

  it('runs the tests, as package.json engines and Lambda (nodejs22.x) require', () => {
    const engines = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }
    ).engines.node;
    expect(engines).toBe('>=22');
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22);
  });

  it.each(['kinesis', 'firehose'] as const)(
    'starts the %s handler with its AWS clients and no NodeVersionSupportWarning',
    async (fn) => {
      const run = await coldStart(fn);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(
        `RESULT ${JSON.stringify(fn === 'kinesis' ? { batchItemFailures: [] } : { records: [] })}`,
      );
      expect({ warning: isNodeVersionWarning(run.stderr), stderr: run.stderr }).toEqual({
        warning: false,
        stderr: '',
      });
    },
  );

  it(`would see the warning: a handler on a Node.js the SDK no longer supports prints ${NODE_VERSION_WARNING}`, async () => {
    // The check above can fail: the same cold start, told it runs on Node.js 20, gets the warning on stderr.
    const run = await coldStart('kinesis', { PRETEND_NODE_VERSION: 'v20.19.0' });
    expect(run.code).toBe(0);
    expect(isNodeVersionWarning(run.stderr)).toBe(true);
  });
});
