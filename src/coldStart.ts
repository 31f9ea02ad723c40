import { isRetryable } from './errors';

/**
 * What a Lambda container builds once, at cold start, and every invocation then awaits: the build starts at
 * once (during the init phase) and its promise is shared. A build that fails with a retryable error (Secrets
 * Manager did not answer) is forgotten: the invocation that awaited it fails — Kinesis and Firehose retry the
 * batch — and the next invocation builds again, instead of the container failing every invocation for its
 * whole life. Any other failure (a ConfigError: a bad rules file, a secret that does not exist) is kept:
 * every invocation fails with it, loudly, until the function is fixed.
 */
export function coldStart<T>(build: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  const start = (): Promise<T> => {
    const attempt: Promise<T> = build().catch((err: unknown) => {
      if (isRetryable(err) && pending === attempt) pending = undefined;
      throw err;
    });
    // Rejections are reported by the invocations that await the build, not as unhandled at init.
    attempt.catch(() => undefined);
    return attempt;
  };
  pending = start();
  return () => {
    pending ??= start();
    return pending;
  };
}
