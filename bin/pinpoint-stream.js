#!/usr/bin/env node
// Launcher of the `pinpoint-stream` CLI (src/cli/main.ts). It runs the esbuild bundle dist/cli.js, and first
// rebuilds it when anything it is built from — a file or folder under src/, package.json (the version) or
// tsconfig.json — is newer than the bundle, or when there is none: the bin never runs code older than the
// source. Checking costs one stat per file (~70 under src/, about a millisecond); a rebuild about 0.25 s, once.
// Running the sources through tsx instead costs 0.3 to 0.5 s more on every start (measured: docs/cli.md).

const { existsSync, readdirSync, renameSync, rmSync, statSync, utimesSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const bundle = join(root, 'dist', 'cli.js');

/** The latest modification time under a folder, the folders themselves included (a deleted file shows there). */
function newest(dir) {
  let latest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

function mtimeOf(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

/** Builds dist/cli.js with the options of `npm run build:cli`, atomically: concurrent runs never see half a file. */
function build() {
  let esbuild;
  try {
    esbuild = require('esbuild');
  } catch {
    process.stderr.write(
      `error: ${bundle} is missing or older than src/, and esbuild (a devDependency) is not installed; run npm ci\n`,
    );
    process.exit(1);
  }
  const started = Date.now() / 1000;
  const tmp = `${bundle}.${process.pid}.tmp`;
  try {
    esbuild.buildSync({
      entryPoints: [join(root, 'src', 'cli', 'main.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      packages: 'external',
      outfile: tmp,
      logLevel: 'error',
    });
    // Dated from the start of the build: a source saved while it ran is newer, and triggers the next build.
    utimesSync(tmp, started, started);
    renameSync(tmp, bundle);
  } catch {
    rmSync(tmp, { force: true });
    process.stderr.write(`error: could not build ${bundle} from src/ (esbuild's errors are above)\n`);
    process.exit(1);
  }
}

// Without src/ (a package shipped with its bundle only), the bundle is all there is.
if (existsSync(join(root, 'src'))) {
  const built = mtimeOf(bundle);
  const sources = Math.max(
    newest(join(root, 'src')),
    mtimeOf(join(root, 'package.json')),
    mtimeOf(join(root, 'tsconfig.json')),
  );
  if (built < 0 || sources > built) build();
}
require(bundle).main();
