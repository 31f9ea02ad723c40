import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

/**
 * `npm run local` (scripts/run-local.ts) as a new user runs it: a bad RULES_FILE or APP_METADATA ends the
 * process at once with the error on stderr (its name and message, no stack trace) and exit code 1, never a
 * hang; good settings still run every sample event.
 */

const ROOT = join(__dirname, '..', '..');
const TIMEOUT_MS = 60_000;

jest.setTimeout(TIMEOUT_MS + 30_000);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
  timedOut: boolean;
}

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function runLocal(env: Record<string, string>, args: string[] = []): Promise<Run> {
  const sinkDir = mkdtempSync(join(tmpdir(), 'run-local-'));
  tempDirs.push(sinkDir);
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      'npm',
      ['run', '--silent', 'local', ...(args.length > 0 ? ['--', ...args] : [])],
      {
        cwd: ROOT,
        // This Node.js first: npm's scripts (tsx) run on the one the tests run on.
        env: {
          ...process.env,
          PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
          LOCAL_SINK_DIR: sinkDir,
          RULES_FILE: '',
          APP_METADATA: '',
          APP_METADATA_FILE: '',
          ...env,
        },
        timeout: TIMEOUT_MS,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const elapsedMs = Date.now() - started;
        const timedOut = error !== null && error.killed === true && error.signal === 'SIGKILL';
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr, elapsedMs, timedOut });
      },
    );
  });
}

/** Ended on its own, well before the timeout, with exit code 1 and `error` as the only thing on stderr. */
function expectFailedWith(run: Run, error: RegExp): void {
  expect(run.timedOut ? `still running after ${TIMEOUT_MS} ms:\n${run.stderr}` : 'ended').toBe('ended');
  expect(run.elapsedMs).toBeLessThan(TIMEOUT_MS / 2);
  expect(run.code).toBe(1);
  expect(run.stderr.trim()).toMatch(error);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stdout).not.toContain('event file');
}

describe('npm run local', () => {
  let inputs: string;
  beforeAll(() => {
    inputs = mkdtempSync(join(tmpdir(), 'run-local-inputs-'));
    tempDirs.push(inputs);
  });

  it('ends with the rules errors when RULES_FILE is invalid', async () => {
    const rules = join(inputs, 'bad-rules.yaml');
    writeFileSync(rules, 'version: 1\nrules:\n  - name: no-action\n    match: { source: ses }\n');
    const run = await runLocal({ RULES_FILE: rules });
    expectFailedWith(
      run,
      new RegExp(
        `^RulesValidationError: ${rules.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is invalid:\n  - rule 'no-action' \\(rules\\[0\\]\\): action: `,
      ),
    );
  });

  it('ends with a one-line ConfigError when RULES_FILE does not exist', async () => {
    const run = await runLocal({ RULES_FILE: join(inputs, 'missing.yaml') });
    expectFailedWith(run, /^ConfigError: RULES_FILE: cannot read '.*missing\.yaml': ENOENT[^\n]*$/);
  });

  it('ends with a one-line ConfigError when APP_METADATA is invalid', async () => {
    const run = await runLocal({ APP_METADATA: '{"app-1": {"nmae": "Shop"}}' });
    expectFailedWith(run, /^ConfigError: APP_METADATA is invalid at 'app-1'[^\n]*$/);
  });

  it('ends with a one-line ConfigError when APP_METADATA is not JSON', async () => {
    const run = await runLocal({ APP_METADATA: '{not json' });
    expectFailedWith(
      run,
      /^ConfigError: APP_METADATA: [^\n]*not valid YAML\/JSON at line 1, column \d+[^\n]*$/,
    );
  });

  it('runs a sample event with valid settings, and exits 0', async () => {
    const apps = JSON.stringify({
      a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6: { name: 'Shop', environment: 'prod', owner: 'team' },
    });
    const run = await runLocal(
      {
        RULES_FILE: join(ROOT, 'rules.example.yaml'),
        APP_METADATA: apps,
        PII_HASH_KEY: 'run-local-test-key-0123',
      },
      ['events/kinesis-email.json'],
    );
    expect(run.timedOut).toBe(false);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/events\/kinesis-email\.json\s+\d+\s+batchItemFailures 0/);
  });
});
