import { coldStart } from '../../src/coldStart';
import { ConfigError, SecretUnavailableError } from '../../src/errors';

describe('coldStart', () => {
  it('builds once, at once, and hands every invocation the same result', async () => {
    const build = jest.fn(async () => ({ ready: true }));
    const runtime = coldStart(build);
    expect(build).toHaveBeenCalledTimes(1);
    const [a, b] = await Promise.all([runtime(), runtime()]);
    expect(a).toBe(b);
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('builds again on the next invocation after a retryable failure, and fails only the invocation that saw it', async () => {
    const outage = new SecretUnavailableError(
      'PII_HASH_KEY_SECRET_ID: cannot read secret: connect ETIMEDOUT',
    );
    const build = jest.fn().mockRejectedValueOnce(outage).mockResolvedValue({ ready: true });
    const runtime = coldStart(build);
    await expect(runtime()).rejects.toBe(outage);
    await expect(runtime()).resolves.toEqual({ ready: true });
    await expect(runtime()).resolves.toEqual({ ready: true });
    expect(build).toHaveBeenCalledTimes(2);
  });

  it('keeps a configuration error: every invocation fails with it, and nothing is built again', async () => {
    const bad = new ConfigError("rules.yaml is invalid: rule 'x' (rules[0]): severity: required");
    const build = jest.fn().mockRejectedValueOnce(bad).mockResolvedValue({ ready: true });
    const runtime = coldStart(build);
    await expect(runtime()).rejects.toBe(bad);
    await expect(runtime()).rejects.toBe(bad);
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('keeps an error that is not ours (a bug is not an outage)', async () => {
    const bug = new TypeError('x is not a function');
    const build = jest.fn().mockRejectedValueOnce(bug).mockResolvedValue({ ready: true });
    const runtime = coldStart(build);
    await expect(runtime()).rejects.toBe(bug);
    await expect(runtime()).rejects.toBe(bug);
    expect(build).toHaveBeenCalledTimes(1);
  });
});
