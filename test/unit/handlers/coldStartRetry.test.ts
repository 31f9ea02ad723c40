import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { lambdaContext, loadHandler } from '../../helpers/loadHandler';
import { kinesisEvent, TEST_PII_KEY } from '../../helpers/runtime';

/** Secrets Manager as the handler's cold start reaches it: each call takes the next answer. */
const mockSecretsManager = { calls: 0, answers: [] as Array<() => unknown> };

jest.mock('@aws-sdk/client-secrets-manager', () => ({
  SecretsManagerClient: class {
    async send() {
      mockSecretsManager.calls++;
      const answer = mockSecretsManager.answers.shift();
      if (answer === undefined) throw new Error('no answer left');
      return answer();
    }
  },
  GetSecretValueCommand: class {
    constructor(readonly input: unknown) {}
  },
}));

const timeout = () => {
  throw Object.assign(new Error('connect ETIMEDOUT 10.0.0.1:443'), { code: 'ETIMEDOUT' });
};
const refusal = () => {
  throw Object.assign(new Error("Secrets Manager can't find the specified secret."), {
    name: 'ResourceNotFoundException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
};
const secret = () => ({ SecretString: TEST_PII_KEY });

function kinesisHandler() {
  return loadHandler<KinesisStreamEvent, KinesisStreamBatchResponse>('kinesis', {
    PII_HASH_KEY_SECRET_ID: 'pii/hash-key',
    LOCAL_SINK_DIR: mkdtempSync(join(tmpdir(), 'cold-start-')),
    LOG_LEVEL: 'silent',
  });
}

describe('a cold start that needs Secrets Manager', () => {
  beforeEach(() => {
    mockSecretsManager.calls = 0;
    mockSecretsManager.answers = [];
  });

  it('fails only the invocation that met an outage, and reads the secret again on the next one', async () => {
    mockSecretsManager.answers = [timeout, secret];
    const handler = kinesisHandler();
    const first = handler(kinesisEvent('email'), lambdaContext());
    // The handler module is loaded afresh (its own copy of src/errors): compare by name and by the bit.
    await expect(first).rejects.toMatchObject({ name: 'SecretUnavailableError', retryable: true });
    await expect(first).rejects.toThrow(/^PII_HASH_KEY_SECRET_ID: cannot read secret: connect ETIMEDOUT/);
    expect(await handler(kinesisEvent('email'), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(await handler(kinesisEvent('sms'), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(mockSecretsManager.calls).toBe(2);
  });

  it('fails every invocation, loudly and without asking again, when the secret is refused', async () => {
    mockSecretsManager.answers = [refusal, secret];
    const handler = kinesisHandler();
    for (let i = 0; i < 2; i++) {
      const run = handler(kinesisEvent('email'), lambdaContext());
      await expect(run).rejects.toMatchObject({ name: 'ConfigError', retryable: false });
      await expect(run).rejects.toThrow(/ResourceNotFoundException \(HTTP 400\)/);
    }
    expect(mockSecretsManager.calls).toBe(1);
  });
});
