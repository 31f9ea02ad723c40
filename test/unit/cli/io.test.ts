import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { clip, MAX_ERROR_CHARS, oneLine } from '../../../src/cli/io';

const ROOT = join(__dirname, '..', '..', '..');

/** What oneLine did with three regexes (cubic on many line breaks): the reference on small inputs. */
function regexOneLine(message: string): string {
  return message
    .replace(/\s*\n\s*-\s*/g, '; ')
    .replace(/\s*\n\s*/g, ' ')
    .replace(/:;/g, ':');
}

/**
 * Runs `oneLine` over `message` in a child process (the sources through tsx) and returns how long the call took
 * there, with the length of its result: a run that never ends (the regexes on 100k line breaks) is killed at
 * `timeout` and fails the test instead of hanging the test run.
 */
function timeInChild(message: string, timeout = 15_000): { ms: number; length: number; head: string } {
  const code = `
    const { oneLine } = require(${JSON.stringify(join(ROOT, 'src', 'cli', 'io.ts'))});
    const message = require('node:fs').readFileSync(0, 'utf8');
    const t = performance.now();
    const out = oneLine(message);
    const ms = performance.now() - t;
    process.stdout.write(JSON.stringify({ ms, length: out.length, head: out.slice(0, 40) }));
  `;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', code], {
    input: message,
    timeout,
    cwd: ROOT,
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

describe('oneLine', () => {
  it('flattens a rules error to one line, its list joined with semicolons', () => {
    expect(oneLine("rules.yaml is invalid:\n  - rule 'a': x\n  - rule 'b': y")).toBe(
      "rules.yaml is invalid: rule 'a': x; rule 'b': y",
    );
    expect(oneLine('first\n\n  second \r\n third')).toBe('first second third');
  });

  it('gives what the regexes gave, on any text made of spaces, line breaks, dashes, colons and letters', () => {
    const text = fc.string({
      unit: fc.constantFrom(' ', '\n', '\r', '\t', '-', ':', ';', 'a', '\u00a0', '\u2028'),
      maxLength: 40,
    });
    fc.assert(
      fc.property(text, (s) => {
        expect(oneLine(s)).toBe(regexOneLine(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('takes milliseconds on 100,000 line breaks (the regexes were cubic: 4,500 took 19.7 s)', () => {
    // A rules key made of line breaks, as in the report, and the same with list dashes and spaces.
    for (const message of [
      `rules.yaml is invalid: rule 'x': match.${'\n'.repeat(100_000)}: unknown key`,
      `bad:${' \n - '.repeat(100_000)}end`,
      `x${' \n'.repeat(100_000)}`,
    ]) {
      const r = timeInChild(message);
      expect(r.ms).toBeLessThan(250);
      expect(r.length).toBeLessThanOrEqual(MAX_ERROR_CHARS + 100);
    }
  });

  it('cuts a message longer than MAX_ERROR_CHARS, saying how much was left out', () => {
    const long = `error in '${'k'.repeat(50_000)}'`;
    const out = oneLine(long);
    expect(out.length).toBeLessThanOrEqual(MAX_ERROR_CHARS + 100);
    expect(out).toMatch(/^error in 'kkk/);
    expect(out).toMatch(/…\(4\d,\d{3} characters left out\)…/);
    expect(out.endsWith("k'")).toBe(true);
  });
});

describe('clip', () => {
  it('leaves short text alone', () => {
    expect(clip('events/raw/email.json')).toBe('events/raw/email.json');
  });

  it('keeps the start and the end of long text, and says how much it left out', () => {
    const out = clip(`${'a'.repeat(5000)}/file.json`, 100);
    expect(out.length).toBeLessThan(140);
    expect(out.startsWith('aaaa')).toBe(true);
    expect(out.endsWith('/file.json')).toBe(true);
    expect(out).toMatch(/…\(4,9\d\d characters left out\)…/);
  });

  it('shows line breaks and control characters escaped, so that an echoed value stays on one line', () => {
    expect(clip('a\nb\u001b[31mc')).toBe('a\\nb\\u001b[31mc');
  });
});
