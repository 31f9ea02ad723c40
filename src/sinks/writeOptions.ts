/** Per-write options of every sink port: the signal aborts a write that would outlive the Lambda deadline. */
export interface WriteOptions {
  signal?: AbortSignal;
}
