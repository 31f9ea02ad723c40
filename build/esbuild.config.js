/*
 * serverless-esbuild options (custom.esbuild.config in serverless.yml points here): the bundle settings, the
 * plugin that puts the deployment's validated rules and app metadata into the kinesis and firehose bundles
 * (build/deployedRules.js), and the one that puts the chart library into the report function's bundle.
 */
const { readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { deployedRulesEsbuildPlugin } = require('./deployedRules');

/** src/cli/chartLibrary.ts, which reads Chart.js from node_modules when the report is made from the sources. */
const CHART_LIBRARY_MODULE = /[\\/]src[\\/]cli[\\/]chartLibrary\.ts$/;

/**
 * The report page inlines Chart.js's UMD build (docs/report.md); a Lambda bundle has no node_modules to read it
 * from. This plugin replaces src/cli/chartLibrary.ts with a module that returns the file's text, read when the
 * bundle is built: only the report function imports it, so only its bundle carries the 212 KB.
 */
function inlineChartLibrary() {
  return {
    name: 'inline-chart-library',
    setup(build) {
      build.onLoad({ filter: CHART_LIBRARY_MODULE }, () => {
        const file = join(dirname(require.resolve('chart.js')), 'chart.umd.min.js');
        const text = readFileSync(file, 'utf8');
        return {
          contents: `export function chartLibrarySource(): string {\n  return ${JSON.stringify(text)};\n}\n`,
          loader: 'ts',
          watchFiles: [file],
        };
      });
    },
  };
}

module.exports = (serverless) => ({
  bundle: true,
  minify: false,
  sourcemap: 'linked',
  target: 'node22',
  platform: 'node',
  // The Lambda Node.js 22 runtime ships AWS SDK v3: using it keeps bundles small and cold starts short.
  exclude: ['@aws-sdk/*'],
  packager: 'npm',
  // serverless-esbuild bundles under this folder of the service and deletes it after packaging: two packaging
  // runs at once in one checkout (the integration tests) each need their own.
  outputWorkFolder: process.env.SLS_ESBUILD_WORK_FOLDER || '.esbuild',
  // One plain esbuild build per function, no esbuild context kept for rebuilds. A context holds the esbuild
  // service process, and with it Node's event loop, until serverless-esbuild disposes of it in an `after:` hook
  // (`after:invoke:local:invoke`, `after:package:createDeploymentArtifacts`), a hook a failed command never
  // reaches: `sls invoke local` with a handler whose cold start throws (RULES_FILE set for a bundle that carries
  // its rules) printed the error and then never exited. Rebuilds only speed up watch mode (serverless-offline),
  // which this project does not use; every command here builds each function once.
  skipRebuild: true,
  plugins: [deployedRulesEsbuildPlugin(serverless), inlineChartLibrary()],
});
