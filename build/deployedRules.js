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
const { readFileSync, realpathSync, statSync } = require('node:fs');
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
      target: 'node22',
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

/** A rules file or app metadata file is small: the largest realistic one is a few KB. */
const MAX_FILE_BYTES = 1024 * 1024;

/**
 * The real path of a deployment's rulesFile or appsFile, which must be a regular file of at most 1 MiB inside
 * the service directory (symbolic links resolved). The file's contents ship inside both bundles and its parse
 * errors are printed: a path outside the project (`~/.aws/credentials` given by mistake, or a parameter an
 * attacker controls in a CI job) must not be read at all. Copy or generate the file into the project instead.
 */
function containedFile(serviceDir, param, file) {
  let real;
  let root;
  try {
    root = realpathSync(serviceDir);
    real = realpathSync(path.resolve(serviceDir, file));
  } catch (err) {
    throw new Error(`${param} '${file}': cannot read: ${err.code ?? err.message}`);
  }
  const rel = path.relative(root, real);
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    throw new Error(
      `${param} '${file}' is outside the service directory ${root}: rules and app metadata files must be inside the project (symbolic links are followed)`,
    );
  }
  const stat = statSync(real);
  if (!stat.isFile()) throw new Error(`${param} '${file}': not a regular file`);
  if (stat.size > MAX_FILE_BYTES) {
    throw new Error(
      `${param} '${file}': ${stat.size} bytes, more than the ${MAX_FILE_BYTES} a rules or app metadata file may have`,
    );
  }
  return real;
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
      const real = containedFile(serviceDir, param, file);
      return { text: readFileSync(real, 'utf8'), origin: file };
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
