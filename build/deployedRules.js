/*
 * Rules and app metadata ship inside the Lambda bundles.
 *
 * A local serverless plugin (listed before serverless-esbuild in serverless.yml) validates the deployment's
 * `rulesFile` and `appsFile` before anything is bundled, with the project's own validator
 * (src/rules/loadRoutingConfig.ts, bundled on the fly by esbuild): an invalid file fails `sls package` with
 * the file, the rule and the key. It sets RULES_SHA256 and APP_METADATA_SHA256 on both functions, so the
 * template says which rules are live.
 *
 * An esbuild plugin (build/esbuild.config.js) then puts the validated result into both bundles: the module
 * src/rules/deployedRoutingConfig.ts becomes that JSON, and src/rules/loadRoutingConfig.ts (YAML, zod and
 * file reads) becomes a stub, so neither the `yaml` nor the `zod` package is in a bundle and the cold start
 * only compiles the matchers.
 */
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { buildSync } = require('esbuild');

const VALIDATOR = 'src/rules/loadRoutingConfig.ts';
const DATA_MODULE = /[\\/]src[\\/]rules[\\/]deployedRoutingConfig\.ts$/;
const SOURCE_ONLY_MODULE = /[\\/]src[\\/]rules[\\/]loadRoutingConfig\.ts$/;
// The exports of src/rules/loadRoutingConfig.ts. If one is missing here and the bundle imports it, esbuild
// fails the build ("No matching export"): loud, never a silent undefined.
const SOURCE_ONLY_EXPORTS = ['loadAppMetadata', 'loadRoutingConfig', 'prepareRoutingConfig'];

let validator;
const prepared = new Map();

/** The project's validator, compiled from TypeScript once per process (bundled with yaml and zod). */
function loadValidator(serviceDir) {
  if (validator === undefined) {
    const entry = path.join(serviceDir, VALIDATOR);
    const [output] = buildSync({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      write: false,
      logLevel: 'silent',
    }).outputFiles;
    const mod = new Module(entry, module);
    mod.filename = entry;
    mod.paths = Module._nodeModulePaths(path.dirname(entry));
    mod._compile(output.text, entry);
    validator = mod.exports;
  }
  return validator;
}

/**
 * The validated routing configuration of a deployment (src/rules/routingConfig.ts), memoized per file pair.
 * Empty names: the shipped rules, no app metadata. Paths are relative to the service directory.
 *
 * @param {{ serviceDir: string, rulesFile?: string, appsFile?: string }} settings
 */
function prepareDeployedRules({ serviceDir, rulesFile = '', appsFile = '' }) {
  const key = JSON.stringify([serviceDir, rulesFile, appsFile]);
  if (!prepared.has(key)) {
    const read = (param, file) => {
      if (file === '') return undefined;
      try {
        return { text: readFileSync(path.resolve(serviceDir, file), 'utf8'), origin: file };
      } catch (err) {
        throw new Error(`${param} '${file}': cannot read: ${err.message}`);
      }
    };
    const { prepareRoutingConfig } = loadValidator(serviceDir);
    prepared.set(key, prepareRoutingConfig(read('rulesFile', rulesFile), read('appsFile', appsFile)));
  }
  return prepared.get(key);
}

/** `custom.deployedRules` of serverless.yml (the `rulesFile` and `appsFile` params), resolved. */
function settingsOf(serverless) {
  const custom = serverless.service.custom?.deployedRules ?? {};
  return {
    serviceDir: serverless.serviceDir ?? serverless.config.serviceDir,
    rulesFile: String(custom.rulesFile ?? '').trim(),
    appsFile: String(custom.appsFile ?? '').trim(),
  };
}

/** The esbuild plugin that packages the validated configuration (see the top of this file). */
function deployedRulesEsbuildPlugin(serverless) {
  return {
    name: 'deployed-rules',
    setup(build) {
      build.onLoad({ filter: DATA_MODULE }, () => ({
        contents: `export const DEPLOYED_ROUTING_CONFIG = ${JSON.stringify(prepareDeployedRules(settingsOf(serverless)))};\n`,
        loader: 'js',
      }));
      build.onLoad({ filter: SOURCE_ONLY_MODULE }, () => ({
        contents: [
          "const unavailable = () => { throw new Error('not in a packaged bundle: it carries its rules as JSON'); };",
          ...SOURCE_ONLY_EXPORTS.map((name) => `export const ${name} = unavailable;`),
        ].join('\n'),
        loader: 'js',
      }));
    },
  };
}

/** The serverless plugin: validates before bundling, and names the hashes in the template. */
class DeployedRulesPlugin {
  constructor(serverless, _options, { log } = {}) {
    this.serverless = serverless;
    this.log = log;
    const prepare = () => this.prepare();
    this.hooks = {
      'before:package:createDeploymentArtifacts': prepare,
      'before:deploy:function:packageFunction': prepare,
      'before:invoke:local:invoke': prepare,
    };
  }

  prepare() {
    const settings = settingsOf(this.serverless);
    let routing;
    try {
      routing = prepareDeployedRules(settings);
    } catch (err) {
      throw new this.serverless.classes.Error(`Rules or app metadata not valid: ${err.message}`);
    }
    const provider = this.serverless.service.provider;
    provider.environment = {
      ...provider.environment,
      RULES_SHA256: routing.rulesSha256,
      APP_METADATA_SHA256: routing.appsSha256,
    };
    this.log?.notice(
      `Packaging ${routing.rules.length} rules (${routing.rulesOrigin}, sha256 ${routing.rulesSha256}) and app metadata for ${Object.keys(routing.apps).length} apps (${routing.appsOrigin}, sha256 ${routing.appsSha256})`,
    );
  }
}

module.exports = DeployedRulesPlugin;
module.exports.prepareDeployedRules = prepareDeployedRules;
module.exports.deployedRulesEsbuildPlugin = deployedRulesEsbuildPlugin;
