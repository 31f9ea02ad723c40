#!/usr/bin/env node
// Launcher of the `pinpoint-stream` CLI (src/cli/main.ts). It runs the esbuild bundle dist/cli.js, and first
// rebuilds it when anything it is built from — a file or folder under src/, package.json (the version) or
// tsconfig.json — is newer than the bundle, or when there is none: the bin never runs code older than the
// source. Checking costs one stat per file (~70 under src/, about a millisecond); a rebuild about 0.25 s, once.
// Running the sources through tsx instead costs 0.3 to 0.5 s more on every start (measured: docs/cli.md).

const { randomBytes } = require('node:crypto');
const {
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} = require('node:fs');
const { dirname, join } = require('node:path');

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

/**
 * open(2) flags of the temporary bundle: created by this call or not at all (O_EXCL fails on any name that
 * exists, a symlink included), never through a symlink — as src/sinks/local/writeAtomically.ts does.
 */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/**
 * Builds dist/cli.js with the options of `npm run build:cli`, atomically: concurrent runs never see half a file.
 * esbuild hands the bundle back in memory (`write: false`): it would write its outfile through a symlink. The
 * bin writes it to a temporary file of an unpredictable name, created exclusively, and renames that into place;
 * `<bundle>.<pid>.tmp` could be predicted, and a symlink planted there sent the bundle outside dist/ (and the
 * bin then ran what the link pointed to).
 */
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
  let tmp;
  try {
    const result = esbuild.buildSync({
      entryPoints: [join(root, 'src', 'cli', 'main.ts')],
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      packages: 'external',
      outfile: bundle,
      write: false,
      logLevel: 'error',
    });
    const [output] = result.outputFiles;
    mkdirSync(dirname(bundle), { recursive: true });
    for (let attempt = 1; tmp === undefined; attempt++) {
      const name = `${bundle}.${randomBytes(16).toString('hex')}.tmp`;
      try {
        writeFileSync(name, output.contents, { flag: CREATE_NEW, mode: 0o666 });
        tmp = name;
      } catch (err) {
        // A name taken is someone else's file: left alone, another is drawn. A write that failed half way goes.
        if (err.code !== 'EEXIST') rmSync(name, { force: true });
        if (err.code !== 'EEXIST' || attempt >= 8) throw err;
      }
    }
    // Dated from the start of the build: a source saved while it ran is newer, and triggers the next build.
    utimesSync(tmp, started, started);
    renameSync(tmp, bundle);
  } catch (err) {
    if (tmp !== undefined) rmSync(tmp, { force: true });
    const why = Array.isArray(err.errors) ? "esbuild's errors are above" : err.message;
    process.stderr.write(`error: could not build ${bundle} from src/ (${why})\n`);
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
