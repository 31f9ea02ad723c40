/*
 * serverless-esbuild options (custom.esbuild.config in serverless.yml points here): the bundle settings, and
 * the plugin that puts the deployment's validated rules and app metadata into both bundles
 * (build/deployedRules.js).
 */
const { deployedRulesEsbuildPlugin } = require('./deployedRules');

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
  plugins: [deployedRulesEsbuildPlugin(serverless)],
});
