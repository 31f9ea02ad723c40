import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
const SLS = join(ROOT, 'node_modules', '.bin', 'sls');

export interface SlsRun {
  code: number;
  /** stdout and stderr together: osls writes its progress and errors to stderr. */
  output: string;
  stdout: string;
  /** Wall-clock time of the run. */
  elapsedMs: number;
  /** True when the run was killed at {@link SlsOptions.timeoutMs} (it hung). */
  timedOut: boolean;
}

export interface SlsOptions {
  /** Kill the run (SIGKILL) after this long and report `timedOut`; default: no limit. */
  timeoutMs?: number;
}

let runs = 0;

/**
 * A new folder inside the repository (under `.test-inputs/`, git-ignored) for the rules and app metadata files a
 * test packages: `sls package` reads those only from inside the service directory (build/deployedRules.js).
 */
export function projectTempDir(prefix: string): string {
  const parent = join(ROOT, '.test-inputs');
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, prefix));
  projectTempDirs.push(dir);
  return dir;
}

const projectTempDirs: string[] = [];

/** Deletes the folders {@link projectTempDir} made in this test file (call it in `afterAll`). */
export function removeProjectTempDirs(): void {
  for (const dir of projectTempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * Runs `sls <args>` in the repository, offline (no credentials, no profile). Each run bundles in its own
 * serverless-esbuild work folder (SLS_ESBUILD_WORK_FOLDER, build/esbuild.config.js): test files package in
 * parallel. The work folder is deleted afterwards (`sls package` does it itself, `sls invoke local` does not).
 */
export function sls(
  args: string[],
  env: Record<string, string> = {},
  { timeoutMs = 0 }: SlsOptions = {},
): Promise<SlsRun> {
  const workFolder = `.esbuild/test-${process.pid}-${++runs}`;
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      SLS,
      args,
      {
        cwd: ROOT,
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: '',
          AWS_SECRET_ACCESS_KEY: '',
          AWS_PROFILE: '',
          SLS_ESBUILD_WORK_FOLDER: workFolder,
          ...env,
        },
        maxBuffer: 64 * 1024 * 1024,
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        const elapsedMs = Date.now() - started;
        rmSync(join(ROOT, workFolder), { recursive: true, force: true });
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        const timedOut = error !== null && error.killed === true && error.signal === 'SIGKILL';
        resolve({ code, output: `${stdout}\n${stderr}`, stdout, elapsedMs, timedOut });
      },
    );
  });
}

/** `sls package` into a new temporary folder; `params` become `--param="name=value"`. Throws when it fails. */
export async function slsPackage(
  params: Record<string, string> = {},
): Promise<{ dir: string; output: string; template: CloudFormationTemplate }> {
  const dir = mkdtempSync(join(tmpdir(), 'sls-package-'));
  const args = ['package', '--package', dir, ...Object.entries(params).map(([k, v]) => `--param=${k}=${v}`)];
  const run = await sls(args);
  if (run.code !== 0) throw new Error(`sls ${args.join(' ')} failed (${run.code}):\n${run.output}`);
  const template = JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
  return { dir, output: run.output, template };
}

export interface CloudFormationTemplate {
  Parameters: Record<string, { Default?: string }>;
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}
