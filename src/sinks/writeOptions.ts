/**
 * Per-write options: the signal aborts a write that would outlive the Lambda deadline. Its own module so that
 * every port (ports.ts, rateStore.ts) can use it without importing another.
 */
export interface WriteOptions {
  signal?: AbortSignal;
}
