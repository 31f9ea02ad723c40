import type { Context } from 'aws-lambda';

export type LambdaHandler<E, R> = (event: E, context: Context) => Promise<R>;

/**
 * Loads a handler module afresh with the given environment, as a Lambda cold start would: handlers read
 * their configuration and build their clients at module scope.
 */
export function loadHandler<E, R>(
  module: 'kinesis' | 'firehose',
  env: Record<string, string>,
): LambdaHandler<E, R> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    let mod: { handler: LambdaHandler<E, R> } | undefined;
    jest.isolateModules(() => {
      mod = require(`../../handlers/${module}`);
    });
    return (mod as { handler: LambdaHandler<E, R> }).handler;
  } finally {
    process.env = saved;
  }
}

/** A Lambda context whose deadline is `remainingMs` from now (or a fixed answer). */
export function lambdaContext(remainingMs: number | (() => number) = 60_000): Context {
  const end = Date.now() + (typeof remainingMs === 'number' ? remainingMs : 0);
  return {
    functionName: 'test',
    awsRequestId: 'test-request',
    getRemainingTimeInMillis: typeof remainingMs === 'function' ? remainingMs : () => end - Date.now(),
  } as unknown as Context;
}
