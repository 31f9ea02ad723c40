import { DeliveryError, describeError } from '../errors';
import type { Logger } from '../logger';

/** Where a command writes: stdout for data, stderr for diagnostics and progress. */
export interface Output {
  /** May return a promise to apply backpressure (a pipe that is full). */
  write(text: string): void | Promise<void>;
  /** True when a person is watching: progress bars are drawn only then. */
  readonly isTTY?: boolean;
  /** The real stream, for cli-progress (absent in tests). */
  readonly stream?: NodeJS.WriteStream;
}

/** Everything a command touches outside its arguments, so tests can run commands in-process. */
export interface CliIO {
  readonly stdout: Output;
  readonly stderr: Output;
  /** The environment given to `loadConfig` (the CLI reads no variable itself). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative paths in arguments are resolved against this directory. */
  readonly cwd: string;
  /** Read for the file argument `-`. */
  readonly stdin?: AsyncIterable<Buffer | string>;
  /** The clock, for records read from stdin that carry no time of their own. */
  readonly now?: () => number;
  /** Aborted on Ctrl-C: long commands stop taking new work, save their checkpoint and exit 130. */
  readonly signal?: AbortSignal;
}

/** Exit codes: documented in docs/cli.md. */
export const EXIT = {
  ok: 0,
  /** Bad usage or a bad input file (or poison records with `--strict`). */
  input: 1,
  /** A bad rules file or configuration. */
  config: 2,
  /** A sink did not take the output. */
  sink: 3,
  /** Interrupted (Ctrl-C); a checkpoint lets the command resume. */
  interrupted: 130,
} as const;

/** An error a command reports as one line on stderr, with the exit code it maps to. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** The error of a batch whose output a sink did not take (exit 3), named after its input and the first failure. */
export function outputNotWritten(input: string, err: unknown): CliError {
  const first = err instanceof DeliveryError ? err.errors[0] : err;
  return new CliError(EXIT.sink, `could not write the output of ${input}: ${describeError(first)}`, {
    cause: err,
  });
}

/** An Output over a Node stream that waits for 'drain' when the pipe is full. */
export function streamOutput(stream: NodeJS.WriteStream): Output {
  return {
    isTTY: stream.isTTY === true,
    stream,
    write: (text) => {
      if (stream.write(text)) return;
      return new Promise<void>((resolve) => stream.once('drain', () => resolve()));
    },
  };
}

/**
 * The runtime's logger for CLI runs: warnings and errors as one readable line on stderr (stdout carries data
 * only); debug and info stay silent. Loggers never receive payloads, so nothing here can print personal data.
 */
export function cliLogger(stderr: Output): Logger {
  const line = (level: string, message: string, fields?: Record<string, unknown>) => {
    const extra = fields !== undefined && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    void stderr.write(`${level}: ${message}${extra}\n`);
  };
  return {
    debug: () => {},
    info: () => {},
    warn: (m, f) => line('warning', m, f),
    error: (m, f) => line('error', m, f),
  };
}

/** Flattens a message to one line (rules errors list their problems on several lines). */
export function oneLine(message: string): string {
  return message
    .replace(/\s*\n\s*-\s*/g, '; ')
    .replace(/\s*\n\s*/g, ' ')
    .replace(/:;/g, ':');
}
