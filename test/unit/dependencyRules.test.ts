import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The rules of .dependency-cruiser.js (`npm run lint:layers`) run over small trees planted in a temporary
 * folder: the folder-loop rule must fail a loop between folders that no file-level rule sees.
 */
const ROOT = join(__dirname, '..', '..');
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

/** Runs the project's dependency rules over `files` (path → source) and returns the status and the errors. */
function cruise(files: Record<string, string>): { status: number | null; errors: string[]; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'depcruise-'));
  try {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs' } }));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const run = spawnSync(
      process.execPath,
      [DEPCRUISE, 'src', '--config', join(ROOT, '.dependency-cruiser.js'), '--output-type', 'err'],
      { cwd: dir, encoding: 'utf8', timeout: 60_000 },
    );
    const output = `${run.stdout}${run.stderr}`;
    const errors = [...output.matchAll(/error (\S+):/g)].map((m) => m[1] as string);
    return { status: run.status, errors, output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Two domain folders, no file loop: `rates/count.ts` → `rules/schema.ts`; `back` adds `rules/load.ts` → `rates/words.ts`. */
function ratesAndRules(back: boolean): Record<string, string> {
  return {
    'src/rates/count.ts': "import { SCHEMA } from '../rules/schema';\nexport const COUNT = SCHEMA;\n",
    'src/rates/words.ts': 'export const WORDS = 1;\n',
    'src/rules/schema.ts': 'export const SCHEMA = 1;\n',
    'src/rules/load.ts': back
      ? "import { WORDS } from '../rates/words';\nexport const LOAD = WORDS;\n"
      : 'export const LOAD = 1;\n',
  };
}

describe('the folder-loop rule (no-folder-cycle)', () => {
  it('passes folders that import each other one way', () => {
    const { status, errors, output } = cruise(ratesAndRules(false));
    expect({ status, errors }).toEqual({ status: 0, errors: [] });
    expect(output).toContain('no dependency violations found');
  });

  it('fails a planted loop between two folders, though no file imports itself around it', () => {
    const { status, errors, output } = cruise(ratesAndRules(true));
    expect(status).not.toBe(0);
    expect(new Set(errors)).toEqual(new Set(['no-folder-cycle']));
    expect(output).toMatch(/src\/rates →\s+src\/rules →\s+src\/rates/);
  });

  it('fails a loop through a subfolder: a folder holds its subfolders', () => {
    const { status, errors, output } = cruise({
      'src/sinks/ports.ts': 'export interface DeliveryResult { delivered: boolean }\n',
      'src/sinks/aws/createAwsSinks.ts':
        "import type { Telemetry } from '../../observability/telemetry';\nexport type T = Telemetry;\n",
      'src/observability/telemetry.ts':
        "import type { DeliveryResult } from '../sinks/ports';\nexport interface Telemetry { batch(d: DeliveryResult): void }\n",
    });
    expect(status).not.toBe(0);
    expect(new Set(errors)).toEqual(new Set(['no-folder-cycle']));
    expect(output).toMatch(/src\/observability →\s+src\/sinks →\s+src\/observability/);
  });
});
