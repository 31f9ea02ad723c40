#!/usr/bin/env node
// Launcher of the `pinpoint-stream` CLI (src/cli/main.ts): the bundle built by `npm run build:cli` when it
// exists, else the TypeScript sources through tsx (a devDependency: this path is for working in the repo).

const { existsSync } = require('node:fs');
const { join } = require('node:path');

const bundle = join(__dirname, '..', 'dist', 'cli.js');
let cli;
if (existsSync(bundle)) {
  cli = require(bundle);
} else {
  require('tsx/cjs');
  cli = require('../src/cli/main.ts');
}
cli.main();
