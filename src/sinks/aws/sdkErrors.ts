/** The SDK's attempt count on a failed call (retries included), 1 when it does not say. */
export function attemptsOf(err: unknown): number {
  return (err as { $metadata?: { attempts?: number } } | null)?.$metadata?.attempts ?? 1;
}
