import { runCli } from '../../../src/cli/main';
import { captureIO } from './cliIO';

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
});
