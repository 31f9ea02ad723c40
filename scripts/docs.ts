/**
 * `npm run docs`: runs the command of every pasted output of README.md and docs/*.md (the blocks marked
 * `<!-- docs:run … -->`, scripts/docs/markdown.ts) in a fresh working copy with fixed inputs, and writes what
 * it printed into the block, the volatile parts masked (scripts/docs/mask.ts). Run twice, it changes nothing.
 *
 *   npm run docs                 # rewrite the blocks
 *   npm run docs -- --check      # change nothing; list the blocks that differ from a run (exit 1)
 *   npm run docs -- docs/cli.md  # the blocks of these files only
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { differences, rewriteFile } from './docs/compare';
import { documentFiles, runBlocks, runDocs } from './docs/run';
import { ROOT } from './docs/sessions';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const files = args.filter((a) => !a.startsWith('--'));
  const run = await runDocs(runBlocks(files.length > 0 ? files : documentFiles()));
  if (check) {
    const found = differences(run);
    for (const d of found) process.stderr.write(`${d}\n\n`);
    process.stdout.write(`${run.results.length} blocks run, ${found.length} differ from the docs\n`);
    process.exitCode = found.length > 0 ? 1 : 0;
    return;
  }
  const changed: string[] = [];
  for (const file of new Set(run.results.map((r) => r.block.file))) {
    const path = join(ROOT, file);
    const before = readFileSync(path, 'utf8');
    const after = rewriteFile(
      before,
      run.results.filter((r) => r.block.file === file),
    );
    if (after !== before) {
      writeFileSync(path, after);
      changed.push(file);
    }
  }
  process.stdout.write(
    `${run.results.length} blocks run; ${changed.length === 0 ? 'no file changed' : `rewritten: ${changed.join(', ')}`}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
