/**
 * The pasted outputs of the documentation, as `npm run docs` and its test find them.
 *
 * A fenced block whose output a command produced is preceded by a marker comment, invisible once rendered:
 *
 *     <!-- docs:run session=rates keep="1-3 /^Output/ -2" -->
 *     ```text
 *     $ npx pinpoint-stream process --rates bounces.jsonl
 *     …the output, as the command printed it…
 *     ```
 *
 * The block holds one or more commands, each a line starting with `$ ` (a line ending in `\` goes on with the
 * next), and after each the output it printed on the terminal. The commands are the input: `npm run docs` runs
 * them and rewrites the lines after them; the test runs them and compares. Options of `docs:run`:
 *
 * - `session=NAME`: the blocks of a file with the same session share one working folder and its environment,
 *   run in the order of the file; the folder starts with the inputs `scripts/docs/sessions.ts` prepares under
 *   that name. Without it, a block runs alone in a fresh folder.
 * - `keep="…"`: only for a block of one command: the output lines shown, the rest elided as one `… (N lines)`
 *   line per run. Items, applied in order: `N` (line N), `N-M`, `N-` (from N on), `-N` (the last N), `/regex/`
 *   (matching lines); `!/regex/` leaves matching lines out (a spec that starts with one starts from every line).
 *
 * Other markers: `<!-- docs:env K=V … -->` sets variables for every later block of the file (the prose says so);
 * `<!-- docs:illustrative REASON -->` before a block that looks like output but is not run (the reason says
 * why); `<!-- docs:synopsis COMMAND -->` before a hand-written option list of a command, checked against the
 * command's options (test/unit/docs/synopsis.test.ts).
 */

export interface RunBlock {
  readonly kind: 'run';
  /** The file, relative to the repository: `docs/cli.md`. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** Index of the first body line, and one past the last, in the file's lines. */
  readonly bodyStart: number;
  readonly bodyEnd: number;
  readonly body: readonly string[];
  /** The fence's indentation, which the body lines carry too (a block in a list item). */
  readonly indent: string;
  readonly session: string | undefined;
  readonly keep: string | undefined;
  /** Variables of the `docs:env` markers above the block. */
  readonly env: Readonly<Record<string, string>>;
}

export interface OtherBlock {
  readonly kind: 'illustrative' | 'synopsis' | 'plain';
  readonly file: string;
  readonly line: number;
  readonly lang: string;
  readonly body: readonly string[];
  /** The marker's text after its name: the reason, or the command of a synopsis. */
  readonly argument: string;
}

export type Block = RunBlock | OtherBlock;

/** One command of a block and the output pasted after it. */
export interface PastedCommand {
  /** The command as written, continuation lines joined with their `\` and line break kept. */
  readonly lines: readonly string[];
  readonly output: readonly string[];
}

const MARKER = /^<!--\s*docs:(run|env|illustrative|synopsis)\b(.*?)-->\s*$/;
const FENCE = /^(\s*)(`{3,})(.*)$/;

/** Every fenced block of a Markdown text, with its marker, in order. */
export function blocksOf(file: string, text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  let env: Record<string, string> = {};
  let pending: { name: string; args: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const marker = MARKER.exec(line);
    if (marker !== null) {
      const [, name, args] = marker as unknown as [string, string, string];
      if (name === 'env') env = { ...env, ...parseOptions(args.trim(), `${file}:${i + 1}`) };
      else pending = { name, args: args.trim(), line: i + 1 };
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence === null) {
      if (pending !== undefined && line.trim() !== '') {
        throw new Error(
          `${file}:${pending.line}: docs:${pending.name} must stand right above a fenced block`,
        );
      }
      continue;
    }
    const [, indent, ticks, lang] = fence as unknown as [string, string, string, string];
    let end = i + 1;
    while (end < lines.length && !(lines[end] as string).startsWith(`${indent}${ticks}`)) end++;
    if (end >= lines.length) throw new Error(`${file}:${i + 1}: a fenced block that never closes`);
    const body = lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l));
    if (pending?.name === 'run') {
      const options = parseOptions(pending.args, `${file}:${pending.line}`);
      for (const key of Object.keys(options)) {
        if (key !== 'session' && key !== 'keep')
          throw new Error(`${file}:${pending.line}: unknown option ${key}`);
      }
      blocks.push({
        kind: 'run',
        file,
        line: i + 1,
        bodyStart: i + 1,
        bodyEnd: end,
        body,
        indent,
        session: options.session,
        keep: options.keep,
        env,
      });
    } else {
      blocks.push({
        kind: pending === undefined ? 'plain' : (pending.name as 'illustrative' | 'synopsis'),
        file,
        line: i + 1,
        lang: lang.trim(),
        body,
        argument: pending?.args ?? '',
      });
    }
    pending = undefined;
    i = end;
  }
  return blocks;
}

/** `a=1 b="two words"` → `{a: '1', b: 'two words'}`. */
export function parseOptions(text: string, where: string): Record<string, string> {
  const options: Record<string, string> = {};
  const re = /\s*([A-Za-z_][\w.]*)=(?:"((?:[^"\\]|\\.)*)"|(\S*))/y;
  let at = 0;
  while (at < text.length) {
    if (text.slice(at).trim() === '') break;
    re.lastIndex = at;
    const m = re.exec(text);
    if (m === null) throw new Error(`${where}: cannot read the options '${text}'`);
    // Only `\"` is an escape: a regex of keep= keeps its backslashes.
    options[m[1] as string] = m[2] !== undefined ? m[2].replace(/\\"/g, '"') : (m[3] as string);
    at = re.lastIndex;
  }
  return options;
}

/** The commands of a block (`$ ` lines) and the output after each. Lines before the first command: an error. */
export function commandsOf(block: RunBlock): PastedCommand[] {
  const commands: { lines: string[]; output: string[] }[] = [];
  const body = block.body;
  for (let i = 0; i < body.length; i++) {
    const line = body[i] as string;
    if (line.startsWith('$ ')) {
      const lines = [line];
      while (lines[lines.length - 1]?.endsWith('\\') && i + 1 < body.length) lines.push(body[++i] as string);
      commands.push({ lines, output: [] });
    } else if (commands.length === 0) {
      throw new Error(`${block.file}:${block.line}: a docs:run block starts with '$ ' and a command`);
    } else {
      commands[commands.length - 1]?.output.push(line);
    }
  }
  if (commands.length === 0)
    throw new Error(`${block.file}:${block.line}: a docs:run block without a command`);
  if (block.keep !== undefined && commands.length > 1) {
    throw new Error(`${block.file}:${block.line}: keep= is for a block of one command`);
  }
  return commands;
}

/** The shell text of a command: its lines joined as the shell reads them (`\` + line break removed), no `$ `. */
export function shellText(command: PastedCommand): string {
  return command.lines
    .map((l, i) => (i === 0 ? l.slice(2) : l))
    .join('\n')
    .replace(/\\\n/g, ' ');
}

/** The body of a block: each command's lines, then its output. */
export function renderBody(commands: readonly PastedCommand[]): string[] {
  return commands.flatMap((c) => [...c.lines, ...c.output]);
}

/**
 * The output lines a `keep=` spec shows: the others are replaced, per run of consecutive lines, by one line
 * `… (N lines)` (`… (1 line)`).
 */
export function keepLines(lines: readonly string[], spec: string | undefined): string[] {
  if (spec === undefined) return [...lines];
  const n = lines.length;
  const items = spec.match(/!?\/(?:[^/\\]|\\.)+\/|\S+/g) ?? [];
  // Items apply in order; a spec that starts by leaving lines out starts from all lines kept.
  const kept = new Array<boolean>(n).fill(items[0]?.startsWith('!') === true);
  for (const item of items) {
    if (item.startsWith('/') || item.startsWith('!/')) {
      const negated = item.startsWith('!');
      const re = new RegExp(item.slice(negated ? 2 : 1, -1));
      lines.forEach((l, i) => {
        if (re.test(l)) kept[i] = !negated;
      });
      continue;
    }
    const m = /^(\d*)(-?)(\d*)$/.exec(item);
    if (m === null || (m[1] === '' && m[3] === '')) throw new Error(`keep: cannot read '${item}'`);
    const [, a, dash, b] = m as unknown as [string, string, string, string];
    let from: number;
    let to: number;
    if (a === '') {
      from = n - Number(b) + 1;
      to = n;
    } else if (dash === '') {
      from = to = Number(a);
    } else {
      from = Number(a);
      to = b === '' ? n : Number(b);
    }
    for (let i = Math.max(1, from); i <= Math.min(n, to); i++) kept[i - 1] = true;
  }
  const out: string[] = [];
  let skipped = 0;
  const flush = () => {
    if (skipped > 0) out.push(`… (${skipped} ${skipped === 1 ? 'line' : 'lines'})`);
    skipped = 0;
  };
  lines.forEach((l, i) => {
    if (kept[i]) {
      flush();
      out.push(l);
    } else skipped++;
  });
  flush();
  return out;
}
