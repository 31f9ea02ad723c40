import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIO } from '../../src/cli/io';
import { runCli } from '../../src/cli/main';

/**
 * Runs the command line of a pasted block as a terminal would show it, with `pinpoint-stream` in this process.
 *
 * `npx pinpoint-stream …` (or `pinpoint-stream …`) runs `runCli` in-process, with the words as bash expands them
 * (quotes, globs, `$VAR`), the session's folder as its working directory and the session's variables as its
 * whole environment; its stdout and stderr are routed as the redirections of the line say (`>/dev/null`,
 * `2>/dev/null`, `2>&1`, in bash's order), and the rest of a pipeline (`| tail -3`, `| jq -c …`) and an
 * `; echo "exit $?"` run in bash on what it printed. Any other line (`zcat …`, `npm run local`, `npx sls …`)
 * runs whole in bash, stdout and stderr into one file, in the order they were written. `export A=1 B=2` sets
 * the session's variables.
 */

export interface ShellSession {
  /** The working folder. */
  readonly dir: string;
  /** The session's variables: the whole environment of an in-process command; added to the base of a bash one. */
  readonly env: Record<string, string>;
}

export interface ShellOptions {
  /** Variables every bash command gets under the session's (PATH, HOME…). */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** Replaces text of the command before it runs (the docs' fixed server URLs → the actual ones). */
  readonly rewrite: (commandText: string) => string;
}

const EXIT_ECHO = /;\s*echo\s+"exit \$\?"\s*$/;
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** Runs one command line; returns what the terminal shows. */
export async function runLine(text: string, session: ShellSession, options: ShellOptions): Promise<string> {
  const line = options.rewrite(text).trim();
  if (/^export\s/.test(line)) {
    await exportVariables(line, session, options);
    return '';
  }
  const echoExit = EXIT_ECHO.test(line);
  const body = line.replace(EXIT_ECHO, '');
  const [first, ...rest] = splitPipeline(body);
  const words = splitWords(first ?? '');
  const assignments: string[] = [];
  while (words.length > 0 && ASSIGNMENT.test(words[0] as string)) assignments.push(words.shift() as string);
  const ours =
    (words[0] === 'npx' && words[1] === 'pinpoint-stream') || words[0] === 'pinpoint-stream'
      ? words
      : undefined;
  if (ours === undefined) {
    const { output } = await bash(line, session, options, '');
    return output;
  }
  ours.splice(0, ours[0] === 'npx' ? 2 : 1);

  // Redirections, in bash's order: each moves one descriptor to where the other points now, or to /dev/null.
  const to: Record<1 | 2, 'term' | 'pipe' | 'null'> = { 1: rest.length > 0 ? 'pipe' : 'term', 2: 'term' };
  const args: string[] = [];
  for (let i = 0; i < ours.length; i++) {
    const w = ours[i] as string;
    const m = /^([12]?)>(&1|&2|\/dev\/null)?$/.exec(w);
    if (m === null) {
      args.push(w);
      continue;
    }
    const fd = m[1] === '2' ? 2 : 1;
    let target = m[2];
    if (target === undefined) target = ours[++i];
    if (target === '&1') to[fd] = to[1];
    else if (target === '&2') to[fd] = to[2];
    else if (target === '/dev/null') to[fd] = 'null';
    else throw new Error(`docs: a redirection the runner does not take: ${w} ${target ?? ''}`);
  }
  const env = { ...session.env, ...(await expandAssignments(assignments, session, options)) };
  const argv = await expandWords(args, session, options, env);

  let both = '';
  const streams: Record<1 | 2, string> = { 1: '', 2: '' };
  const output = (fd: 1 | 2) => ({
    write: (s: string) => {
      streams[fd] += s;
      if (to[fd] === 'term' && to[fd === 1 ? 2 : 1] === 'term') both += s;
    },
    isTTY: false,
  });
  const io: CliIO = {
    stdout: output(1),
    stderr: output(2),
    env,
    cwd: session.dir,
    stdin: (async function* () {})(),
  };
  const code = await withAwsCredentials(env, () => runCli(argv, io));
  let shown =
    to[1] === 'term' && to[2] === 'term'
      ? both
      : (to[1] === 'term' ? streams[1] : '') + (to[2] === 'term' ? streams[2] : '');
  let exitCode = code;
  if (rest.length > 0) {
    const piped = (to[1] === 'pipe' ? streams[1] : '') + (to[2] === 'pipe' ? streams[2] : '');
    const run = await bash(
      rest.join(' | '),
      { dir: session.dir, env: { ...session.env, ...env } },
      options,
      piped,
    );
    shown += run.output;
    exitCode = run.code;
  }
  if (echoExit) shown += `exit ${exitCode}\n`;
  return shown;
}

/** `export A=1 B="x y"`: the values as bash reads them, into the session. */
async function exportVariables(line: string, session: ShellSession, options: ShellOptions): Promise<void> {
  const names = splitWords(line.replace(/^export\s+/, ''))
    .filter((w) => ASSIGNMENT.test(w))
    .map((w) => w.slice(0, w.indexOf('=')));
  const script = `${line}\nprintf '%s\\0' ${names.map((n) => `"$${n}"`).join(' ')}`;
  const { output } = await bash(script, session, options, '', true);
  const values = output.split('\0');
  names.forEach((n, i) => {
    session.env[n] = values[i] as string;
  });
}

async function expandAssignments(
  assignments: readonly string[],
  session: ShellSession,
  options: ShellOptions,
): Promise<Record<string, string>> {
  if (assignments.length === 0) return {};
  const names = assignments.map((a) => a.slice(0, a.indexOf('=')));
  const values = await expandWords(
    assignments.map((a) => a.slice(a.indexOf('=') + 1)),
    session,
    options,
    session.env,
  );
  return Object.fromEntries(names.map((n, i) => [n, values[i] as string]));
}

/** The words as bash expands them (quotes removed, globs and variables expanded), in the session's folder. */
async function expandWords(
  words: readonly string[],
  session: ShellSession,
  options: ShellOptions,
  env: Record<string, string>,
): Promise<string[]> {
  if (words.length === 0) return [];
  // Plain words are what they say: bash only for quotes, globs, variables and the like.
  if (!words.some((w) => /[*?[\]$~'"\\{}`]/.test(w))) return [...words];
  const { output, code } = await bash(
    `printf '%s\\0' ${words.join(' ')}`,
    { dir: session.dir, env },
    options,
    '',
    true,
  );
  if (code !== 0) throw new Error(`docs: bash could not expand ${words.join(' ')}`);
  return output.split('\0').slice(0, -1);
}

/**
 * Runs a script in bash in the session's folder, stdin given, stdout and stderr into one file (so in the order
 * they were written, as a terminal shows them); `stdoutOnly` keeps stderr apart (and drops it).
 */
let outputs: string | undefined;
let outputCount = 0;

function bash(
  script: string,
  session: ShellSession,
  options: ShellOptions,
  input: string,
  stdoutOnly = false,
): Promise<{ output: string; code: number }> {
  outputs ??= mkdtempSync(join(tmpdir(), 'docs-shell-'));
  const file = join(outputs, `${process.pid}-${++outputCount}`);
  const fd = openSync(file, 'w+');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--norc', '--noprofile', '-c', script], {
      cwd: session.dir,
      env: { ...options.baseEnv, ...session.env },
      stdio: ['pipe', fd, stdoutOnly ? 'ignore' : fd],
    });
    child.on('error', reject);
    child.stdin?.on('error', () => {}); // `| head -1` may close its input early
    child.stdin?.end(input);
    child.on('close', (code) => {
      closeSync(fd);
      const output = readFileSync(file, 'utf8');
      rmSync(file, { force: true });
      resolve({ output, code: code ?? 1 });
    });
  });
}

/**
 * The AWS SDK reads credentials and region from the process environment, not from the CLI's: an in-process run
 * gets the session's `AWS_*` credentials there for its length, as a separate process would.
 */
async function withAwsCredentials<T>(env: Record<string, string>, run: () => Promise<T>): Promise<T> {
  const names = [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_REGION',
    'AWS_PROFILE',
  ];
  const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
  for (const n of names) {
    if (env[n] !== undefined) process.env[n] = env[n];
  }
  try {
    return await run();
  } finally {
    for (const n of names) {
      if (saved[n] === undefined) delete process.env[n];
      else process.env[n] = saved[n];
    }
  }
}

/** A command line split on the `|` that are not quoted and not `||`. */
export function splitPipeline(line: string): string[] {
  const parts: string[] = [];
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '\\') i++;
    else if (c === '"' || c === "'") quote = c;
    else if (c === '|' && line[i + 1] !== '|' && line[i - 1] !== '|') {
      parts.push(line.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(line.slice(start).trim());
  return parts;
}

/** Words split on unquoted white space, quotes kept (bash removes them when it expands the words). */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote !== undefined) {
      word += c;
      if (c === '\\' && quote === '"') word += text[++i] ?? '';
      else if (c === quote) quote = undefined;
    } else if (c === '\\') {
      word += c + (text[++i] ?? '');
    } else if (c === '"' || c === "'") {
      quote = c;
      word += c;
    } else if (/\s/.test(c)) {
      if (word !== '') words.push(word);
      word = '';
    } else word += c;
  }
  if (word !== '') words.push(word);
  return words;
}
