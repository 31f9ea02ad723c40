/**
 * Errors carry the one bit that decides a batch's fate: `retryable` ({@link isRetryable}).
 *
 * - A delivery whose failed writes are all retryable (a sink outage, a throttle, the deadline): the records go
 *   back to the service for another attempt — Kinesis `batchItemFailures` (no function error), or a failed
 *   Firehose invocation that Firehose retries. The CLI exits 3.
 * - A delivery that failed with anything else (a bug in an adapter, an error of no known kind): nothing is
 *   acknowledged either, but the Kinesis invocation fails (Lambda retries the batch all the same, and the
 *   function's `Errors` alarm sees it) instead of quietly handing the batch back forever.
 * - At cold start: a {@link ConfigError} fails every invocation of the container, loudly; a retryable error
 *   (Secrets Manager did not answer) fails this invocation only, and the next one builds the runtime again.
 *
 * A record's fate is decided by the error's class: a {@link PoisonRecordError} is bad input (quarantined as
 * poison); anything else a normalizer throws is a bug of ours (quarantined as `internal_error`, counted in
 * `InternalErrors` and alarmed on). Neither is retried: the same record would fail the same way, and stall
 * its Kinesis shard. The outcome is never decided by matching on messages.
 */
export abstract class ProcessorError extends Error {
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Why a record could not be read as an event. Stable strings: they appear in quarantine objects and metrics. */
export type PoisonReason =
  | 'empty_record'
  | 'invalid_base64'
  | 'invalid_utf8'
  | 'invalid_json'
  | 'not_an_object'
  | 'too_deeply_nested'
  | 'missing_event_type';

/** A record that is not a JSON object carrying an event type. Kept in the quarantine, never retried. */
export class PoisonRecordError extends ProcessorError {
  readonly retryable = false;

  constructor(
    readonly reason: PoisonReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A sink (archive, quarantine, alerts) could not take the data. Retryable: the records must come back. */
export class SinkError extends ProcessorError {
  readonly retryable = true;

  constructor(
    readonly sink: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An environment variable or configuration file holds a value we cannot use. Fails the cold start. */
export class ConfigError extends ProcessorError {
  readonly retryable = false;
}

/**
 * The routing rules file does not match the rules schema. The message names the file, then every problem, each
 * with its rule and key; `problems` lists them one by one, without the file name.
 */
export class RulesValidationError extends ConfigError {
  readonly problems: readonly string[];

  constructor(message: string, options?: { cause?: unknown; problems?: readonly string[] }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.problems = Object.freeze([...(options?.problems ?? [message])]);
  }
}

/** The Lambda deadline is too close to finish safely: the records go back for another attempt. */
export class DeadlineError extends ProcessorError {
  readonly retryable = true;
}

/**
 * A secret could not be read at cold start because the service did not answer (network, timeout, throttle, a
 * 5xx). Retryable: the next invocation builds the runtime again. (A refusal — no such secret, access denied —
 * is a {@link ConfigError}.)
 */
export class SecretUnavailableError extends ProcessorError {
  readonly retryable = true;
}

/**
 * A batch was not delivered: `errors` holds every write that failed. Retryable when every one of them is —
 * then the batch is simply tried again; otherwise something unexpected failed, and the invocation says so.
 */
export class DeliveryError extends ProcessorError {
  readonly retryable: boolean;

  constructor(
    message: string,
    readonly errors: readonly unknown[],
  ) {
    super(message, { cause: new AggregateError(errors) });
    this.retryable = errors.length > 0 && errors.every(isRetryable);
  }
}

/**
 * The Firehose response cannot be made to fit its size limit even with every record failed back: not a sink
 * failure (nothing was written), and not retryable (the same records would not fit again). Firehose's own 6 MB
 * request limit keeps it from happening; should it, the invocation fails rather than lose the batch.
 */
export class FirehoseResponseSizeError extends ProcessorError {
  readonly retryable = false;
}

/**
 * Whether retrying can help: the error says so (`retryable: true`, as every retryable ProcessorError does).
 * Anything else — a bug, an error of no known kind — cannot. Read from the error itself, not by its class, so
 * that it holds whichever copy of this module made the error (a bundle or a test may load it twice).
 */
export function isRetryable(err: unknown): boolean {
  return (err as { retryable?: unknown } | null)?.retryable === true;
}

/**
 * Whether an AWS service answered, and refused (`$fault: 'client'`: no such resource, access denied, a key it
 * cannot use) — a configuration problem that retrying will not fix. A throttle is a client fault too, but one
 * that passes; and an error without a service answer (network, timeout) or a server fault is an outage.
 */
export function isServiceRefusal(err: unknown): boolean {
  const e = err as { $fault?: unknown; $metadata?: { httpStatusCode?: number }; name?: unknown } | null;
  return (
    e?.$fault === 'client' &&
    e.$metadata?.httpStatusCode !== 429 &&
    !(typeof e.name === 'string' && THROTTLES.has(e.name))
  );
}

/** Error codes AWS services use for throttling (the SDK's own retry strategy reads the same codes). */
const THROTTLES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);

/**
 * An error in one line, for people: its message, after its name when the name says what the message does not
 * (an SDK error's code: `NoSuchBucket`, `TimeoutError`, `SlowDown`) and the HTTP status an AWS SDK error
 * carries. Our own errors' messages are written to be read as they are; plain `Error`s have nothing to add.
 */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const named = !(err instanceof ProcessorError) && err.name !== 'Error' && !err.message.startsWith(err.name);
  const parts: string[] = [];
  if (named) parts.push(err.name);
  if (status !== undefined) parts.push(`(HTTP ${status})`);
  return parts.length === 0 ? err.message : `${parts.join(' ')}: ${err.message}`;
}
