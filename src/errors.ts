/**
 * Errors carry the one bit that decides a record's or a batch's fate: `retryable`.
 *
 * - retryable (a sink outage, a throttle): the records are reported back to the service for another
 *   attempt — Kinesis `batchItemFailures`, or a failed Firehose invocation that Firehose retries.
 * - not retryable (poison input, bad configuration): retrying cannot help; poison goes to the
 *   quarantine, configuration errors fail the cold start loudly.
 *
 * The outcome is never decided by matching on messages.
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
  | 'missing_event_type'
  | 'normalize_failed';

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

/** The routing rules file does not match the rules schema. The message names the rule and the key. */
export class RulesValidationError extends ConfigError {}

/** The Lambda deadline is too close to finish safely: the records go back for another attempt. */
export class DeadlineError extends ProcessorError {
  readonly retryable = true;
}

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
