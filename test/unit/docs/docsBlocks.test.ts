import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, Option } from 'commander';
import {
  type Block,
  blocksOf,
  commandsOf,
  keepLines,
  type OtherBlock,
  parseOptions,
  type RunBlock,
  shellText,
} from '../../../scripts/docs/markdown';
import { documentFiles } from '../../../scripts/docs/run';
import { SETUPS } from '../../../scripts/docs/sessions';
import { splitPipeline, splitWords } from '../../../scripts/docs/shell';
import { buildProgram } from '../../../src/cli/main';

/**
 * The marked blocks of the docs (scripts/docs/markdown.ts): every pasted output of a command is run by
 * `npm run docs` and its test (test/integration/docsOutputs.test.ts), or says why it is not; every hand-written
 * option list of a command names the options the command has, with their defaults.
 */

const ROOT = join(__dirname, '..', '..', '..');
const BLOCKS: Block[] = documentFiles().flatMap((f) => blocksOf(f, readFileSync(join(ROOT, f), 'utf8')));
const where = (b: Block) => `${b.file}:${b.line}`;

describe('the blocks of the docs', () => {
  it('run the pasted outputs of the README, cli.md, report.md and rates.md', () => {
    const runs = BLOCKS.filter((b): b is RunBlock => b.kind === 'run');
    const files = new Set(runs.map((b) => b.file));
    expect([...files].sort()).toEqual(['README.md', 'docs/cli.md', 'docs/rates.md', 'docs/report.md']);
    expect(runs.length).toBeGreaterThanOrEqual(30);
    // Each command of the CLI is run at least once, and the README's two examples.
    const commands = runs.flatMap((b) => commandsOf(b).map(shellText));
    for (const c of ['process', 'replay', 'fixtures', 'rules check', 'report', '--help']) {
      expect({ c, run: commands.some((t) => t.startsWith(`npx pinpoint-stream ${c}`)) }).toEqual({
        c,
        run: true,
      });
    }
    expect(commands).toContain('npm run local');
    expect(commands.some((t) => t.startsWith('npx sls invoke local'))).toBe(true);
  });

  it('mark every block that shows a command and its output: run, or illustrative with a reason', () => {
    const unmarked = BLOCKS.filter((b) => b.kind !== 'run' && b.body.some((l) => l.startsWith('$ '))).map(
      where,
    );
    expect(unmarked).toEqual([]);
    const illustrative = BLOCKS.filter((b): b is OtherBlock => b.kind === 'illustrative');
    expect(illustrative.length).toBeGreaterThan(0);
    for (const b of illustrative)
      expect({ at: where(b), reason: b.argument.length > 20 }).toEqual({ at: where(b), reason: true });
  });

  it('name only sessions whose inputs exist, or none', () => {
    const named = BLOCKS.filter((b): b is RunBlock => b.kind === 'run' && b.session !== undefined);
    // A session name that prepares nothing must be one that needs nothing (a shared folder only).
    const bare = named.filter((b) => SETUPS[b.session as string] === undefined).map((b) => b.session);
    expect([...new Set(bare)].sort()).toEqual(['process']);
  });
});

/** The options a hand-written option list shows: flags, and the default it states if any. */
function listedOptions(body: readonly string[]): Map<string, string | undefined> {
  const options = new Map<string, string | undefined>();
  let last: string | undefined;
  let text = '';
  const flush = () => {
    if (last === undefined) return;
    const m = /\(default: ([^()]*(?:\([^)]*\)[^()]*)*)\)\s*$/.exec(text.trim());
    options.set(last, m?.[1]);
  };
  for (const line of body.slice(1)) {
    const m = /^\s+((?:-\w, )?--[\w-]+(?: [<[][^>\]]+[>\]])?)(?:\s{2,}(.*))?$/.exec(line);
    if (m !== null) {
      flush();
      last = m[1] as string;
      text = m[2] ?? '';
    } else if (last !== undefined && line.trim() !== '') text += ` ${line.trim()}`;
  }
  flush();
  return options;
}

function commandNamed(path: string): Command {
  let command = buildProgram(
    { stdout: { write: () => {} }, stderr: { write: () => {} }, env: {}, cwd: ROOT },
    () => {},
  );
  for (const name of path.split(' ')) {
    const sub = command.commands.find((c) => c.name() === name);
    if (sub === undefined) throw new Error(`no command ${path}`);
    command = sub;
  }
  return command;
}

/** Commander's default as its help shows it: `"events"`, `10000`, or the description given. */
function defaultOf(option: Option): string | undefined {
  if (option.defaultValueDescription !== undefined) return option.defaultValueDescription;
  return option.defaultValue === undefined ? undefined : JSON.stringify(option.defaultValue);
}

describe('the option lists of the docs (docs:synopsis)', () => {
  const synopses = BLOCKS.filter((b): b is OtherBlock => b.kind === 'synopsis');

  it('are found for process, replay, fixtures, rules check and report', () => {
    expect(synopses.map((b) => b.argument).sort()).toEqual([
      'fixtures',
      'process',
      'replay',
      'report',
      'rules check',
    ]);
  });

  it.each(synopses.map((b) => [`${where(b)} (${b.argument})`, b] as const))(
    '%s lists the options of the command, with their defaults',
    (_name, block) => {
      const command = commandNamed(block.argument);
      expect(block.body[0]).toMatch(new RegExp(`^pinpoint-stream ${block.argument} `));
      const listed = listedOptions(block.body);
      const options = command.options.filter((o) => !o.hidden);
      expect([...listed.keys()].sort()).toEqual(options.map((o) => o.flags).sort());
      for (const option of options) {
        const shown = listed.get(option.flags);
        const actual = defaultOf(option);
        if (actual !== undefined)
          expect({ option: option.flags, shown }).toEqual({ option: option.flags, shown: actual });
        else if (shown !== undefined) expect(option.description).toContain(`(default: ${shown})`);
      }
    },
  );
});

describe('scripts/docs: the pieces', () => {
  it('reads marker options, quoted or not, keeping the backslashes of a regex', () => {
    expect(parseOptions('session=rates keep="/^a\\.b/ -2"', 'x')).toEqual({
      session: 'rates',
      keep: '/^a\\.b/ -2',
    });
    expect(() => parseOptions('session', 'x')).toThrow(/cannot read/);
  });

  it('keeps the lines a keep= spec names, and elides the rest with their count', () => {
    const lines = ['a', 'b', 'c', 'd', 'e', 'f'];
    expect(keepLines(lines, '1-2 -1')).toEqual(['a', 'b', '… (3 lines)', 'f']);
    expect(keepLines(lines, '/^[ce]$/')).toEqual(['… (2 lines)', 'c', '… (1 line)', 'e', '… (1 line)']);
    expect(keepLines(lines, '!/^[b-e]$/ 3')).toEqual(['a', '… (1 line)', 'c', '… (2 lines)', 'f']);
    expect(keepLines(lines, '5-')).toEqual(['… (4 lines)', 'e', 'f']);
    expect(keepLines(lines, undefined)).toEqual(lines);
  });

  it('splits a command line as bash does: pipes and words outside quotes', () => {
    expect(splitPipeline(`a --json | jq -c '{a, b: [.x[] | .y]}' | head -2`)).toEqual([
      'a --json',
      `jq -c '{a, b: [.x[] | .y]}'`,
      'head -2',
    ]);
    expect(splitWords(`RULES_FILE=a.yaml npx x "two words" 2>&1 >/dev/null`)).toEqual([
      'RULES_FILE=a.yaml',
      'npx',
      'x',
      '"two words"',
      '2>&1',
      '>/dev/null',
    ]);
  });

  it('reads a block: commands with their continuation lines, and their outputs', () => {
    const text = [
      '<!-- docs:run session=s -->',
      '```text',
      '$ export A=1 \\',
      '    B=2',
      '$ echo hi',
      'hi',
      '```',
    ].join('\n');
    const [block] = blocksOf('x.md', text) as RunBlock[];
    const commands = commandsOf(block as RunBlock);
    expect(commands.map(shellText)).toEqual(['export A=1      B=2', 'echo hi']);
    expect(commands.map((c) => c.output)).toEqual([[], ['hi']]);
    expect(() => blocksOf('x.md', '<!-- docs:run -->\ntext\n```text\n$ a\n```')).toThrow(
      /right above a fenced block/,
    );
  });
});
