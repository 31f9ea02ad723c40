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
  plugins: [deployedRulesEsbuildPlugin(serverless)],
});
