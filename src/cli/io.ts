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
  return new CliError(EXIT.sink, `could not write the output of ${clip(input)}: ${describeError(first)}`, {
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

/** The longest error line printed: a message built around user-supplied text (a rules key, a file name) is cut. */
export const MAX_ERROR_CHARS = 2000;
/** The most characters of one user-supplied value (a file name, an option value, an S3 key) an error echoes. */
const MAX_ECHO_CHARS = 200;

/**
 * Flattens a message to one line (rules errors list their problems on several lines): a run of white space
 * holding a line break becomes one space, or `; ` when a list dash follows it (the dash and the spaces after it
 * go too); `:;` becomes `:`. Then a line longer than {@link MAX_ERROR_CHARS} keeps its start and its end.
 *
 * One pass over the text, linear in its length. The regexes this replaced (`\s*\n\s*-\s*`, then `\s*\n\s*`,
 * global) backtrack over every run of white space from every position in it: cubic, 19.7 s on a rules key of
 * 4,500 line breaks. The result is the same (a property test holds the two together).
 */
export function oneLine(message: string): string {
  let out = '';
  let start = 0;
  const n = message.length;
  let i = 0;
  while (i < n) {
    if (!isSpace(message.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i;
    let lineBreak = false;
    for (; j < n && isSpace(message.charCodeAt(j)); j++) if (message.charCodeAt(j) === 0x0a) lineBreak = true;
    if (!lineBreak) {
      i = j;
      continue;
    }
    out += message.slice(start, i);
    if (message.charCodeAt(j) === 0x2d /* - */) {
      out += '; ';
      j++;
      while (j < n && isSpace(message.charCodeAt(j))) j++;
    } else out += ' ';
    start = i = j;
  }
  out += message.slice(start);
  return cut(out.split(':;').join(':'), MAX_ERROR_CHARS);
}

/**
 * User-supplied text as an error echoes it: at most `max` characters (its start and its end, with how much was
 * left out between), line breaks and other control characters escaped so that it stays on its line and cannot
 * drive the terminal.
 */
export function clip(text: string, max = MAX_ECHO_CHARS): string {
  if (text.length <= max) {
    const escaped = escapeControls(text);
    if (escaped.length <= max) return escaped;
  }
  // The start and the end, each at most half of `max` once escaped: walk in from either side.
  const half = Math.max(1, Math.floor(max / 2));
  let head = 0;
  for (let used = 0; head < text.length; head++) {
    used += escapedLength(text.charCodeAt(head));
    if (used > half) break;
  }
  let tail = text.length;
  for (let used = 0; tail > head; tail--) {
    used += escapedLength(text.charCodeAt(tail - 1));
    if (used > half) break;
  }
  return joinCut(escapeControls(text.slice(0, head)), tail - head, escapeControls(text.slice(tail)));
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/g;
const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeControls(text: string): string {
  return text.replace(CONTROL, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function escapedLength(c: number): number {
  if (c === 0x0a || c === 0x0d || c === 0x09) return 2;
  return c < 0x20 || c === 0x7f || c === 0x2028 || c === 0x2029 ? 6 : 1;
}

/** `text` if it has at most `max` characters; else its start and end around `…(N characters left out)…`. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const keep = Math.max(2, max);
  const head = text.slice(0, Math.ceil(keep / 2));
  const tail = text.slice(text.length - Math.floor(keep / 2));
  return joinCut(head, text.length - head.length - tail.length, tail);
}

/** `head…(N characters left out)…tail`, where N counts `left` and any half surrogate pair dropped at the cut. */
function joinCut(head: string, left: number, tail: string): string {
  const h = /[\ud800-\udbff]$/.test(head) ? head.slice(0, -1) : head;
  const t = /^[\udc00-\udfff]/.test(tail) ? tail.slice(1) : tail;
  return `${h}…(${(left + head.length - h.length + tail.length - t.length).toLocaleString('en-US')} characters left out)…${t}`;
}

/** What `\s` matches in a JavaScript regex (white space and line terminators). */
function isSpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) ||
    c === 0x20 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}
