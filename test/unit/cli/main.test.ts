import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_ERROR_CHARS } from '../../../src/cli/io';
import { runCli } from '../../../src/cli/main';
import { captureIO, tempDir } from './cliIO';

const COMMANDS = [[], ['process'], ['replay'], ['fixtures'], ['rules'], ['rules', 'check']];

describe('pinpoint-stream', () => {
  it.each(COMMANDS)('prints the help of %p on stdout and exits 0', async (...command: string[]) => {
    const c = captureIO();
    expect(await runCli([...command, '--help'], c.io)).toBe(0);
    expect(c.stdout()).toMatch(new RegExp(`^Usage: pinpoint-stream ${command.join(' ')}`.trimEnd()));
    expect(c.stderr()).toBe('');
  });

  it('prints its version', async () => {
    const c = captureIO();
    expect(await runCli(['--version'], c.io)).toBe(0);
    expect(c.stdout()).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('exits 1 with a one-line reason on an unknown command or option, and a missing argument', async () => {
    for (const argv of [['nope'], ['process', '--nope', 'x'], ['replay'], ['fixtures']]) {
      const c = captureIO();
      expect(await runCli(argv, c.io)).toBe(1);
      const [reason, hint, ...rest] = c.stderr().trimEnd().split('\n');
      expect(reason).toMatch(/^error: /);
      expect(hint).toBe('(add --help for usage)');
      expect(rest).toEqual([]);
      expect(c.stdout()).toBe('');
    }
  });

  it('exits 1 with help on stderr when no command is given', async () => {
    const c = captureIO();
    expect(await runCli([], c.io)).toBe(1);
    expect(c.stdout()).toBe('');
    expect(c.stderr()).toMatch(/^Usage: pinpoint-stream/);
  });

  it('prints an error around a rules key of 100,000 line breaks as one short line, at once', async () => {
    const dir = tempDir('key');
    const key = `k${'\n'.repeat(100_000)}- x`;
    const rules = join(dir, 'rules.json');
    writeFileSync(
      rules,
      JSON.stringify({ version: 1, rules: [{ name: 'r', match: { [key]: 'a' }, action: 'drop' }] }),
    );

    const c = captureIO({ env: { RULES_FILE: rules } });
    const started = performance.now();
    expect(await runCli(['process', '--stdout', 'events/raw/email.json'], c.io)).toBe(2);
    const [line, ...rest] = c.stderr().split('\n');
    expect(rest).toEqual(['']);
    expect(line).toMatch(/^error: .*rules\.json is invalid: rule 'r' \(rules\[0\]\): match\.k/);
    expect((line as string).length).toBeLessThanOrEqual(MAX_ERROR_CHARS + 100);

    // rules check lists every problem, one per line: the key is echoed escaped and cut. The unknown key is the
    // only problem (the match is not also told it has no key).
    const check = captureIO();
    expect(await runCli(['rules', 'check', rules], check.io)).toBe(2);
    const lines = check.stderr().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^ {2}- rule 'r' \(rules\[0\]\): match\.k\\n\\n/);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(MAX_ERROR_CHARS + 100);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
