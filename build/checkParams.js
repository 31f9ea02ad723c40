/*
 * `--param` names and values are checked offline, before anything is built or deployed.
 *
 * osls takes any `--param="name=value"`: a name that serverless.yml does not use wires nothing (a typo like
 * `sesConfigurationSet`, without the final s, leaves the real param at its default, silently), and a value that
 * breaks a CloudFormation constraint (`kinesisParallelizationFactor=11`, six SES configuration sets) packages
 * fine and fails only at deploy time, or never, if nobody deploys from that package.
 *
 * This local plugin (first in `plugins` of serverless.yml) runs before `sls package` cleans up, before
 * `sls invoke local` loads the environment and before `sls deploy` / `sls deploy function`, and checks:
 *
 * - every `--param` name, and every name of a `params.<stage>` block, is one of `params.default` in
 *   serverless.yml; an unknown name is an error that suggests the nearest known one (edit distance);
 * - the value every param takes (`--param`, else `params.<stage>`, else `params.default`, as osls resolves
 *   them) satisfies the constraints of the CloudFormation parameter it feeds: AllowedValues, AllowedPattern,
 *   MinLength / MaxLength, Number with MinValue / MaxValue. The param → parameter map is read from the
 *   templates (the `${file(…)}` entries of `resources` in serverless.yml): a parameter whose
 *   `Default: "${param:<name>}"` names the param. When a pattern limits a comma-separated list (`(,…){0,N}`),
 *   the message counts the items;
 * - the build-time params that feed no CloudFormation parameter (BUILD_TIME below), by the same rules.
 *
 * Every problem is reported at once, one per line, in one serverless error (non-zero exit).
 */
const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');

/**
 * The params that feed no CloudFormation parameter, with constraints in the same vocabulary. piiMode and
 * logLevel are what src/config.ts accepts (test/unit/checkParams.test.ts checks that they agree); rulesFile
 * and appsFile are files that build/deployedRules.js validates when it packages them.
 */
const BUILD_TIME = {
  memorySize: {
    Feeds: "the functions' memorySize",
    Type: 'Number',
    AllowedPattern: '^[0-9]+$',
    MinValue: 128,
    MaxValue: 10240,
    ConstraintDescription: "whole megabytes, 128 to 10240 (Lambda's limits)",
  },
  nodeOptions: { Feeds: 'NODE_OPTIONS' },
  piiMode: { Feeds: 'PII_MODE', AllowedValues: ['hash', 'redact', 'keep'] },
  logLevel: { Feeds: 'LOG_LEVEL', AllowedValues: ['debug', 'info', 'warn', 'error', 'silent'] },
  rulesFile: { Feeds: 'the packaged rules (validated by build/deployedRules.js)' },
  appsFile: { Feeds: 'the packaged app metadata (validated by build/deployedRules.js)' },
};

// CloudFormation's short-form functions (`!Ref X`, `!Sub "…"`, `!If [c, a, b]`) as plain objects, so that any
// template of the stack reads with the `yaml` package. Only the Parameters section is used here.
const CFN_FUNCTIONS = [
  'Base64',
  'Cidr',
  'Condition',
  'Equals',
  'FindInMap',
  'GetAZs',
  'GetAtt',
  'If',
  'ImportValue',
  'Join',
  'Not',
  'And',
  'Or',
  'Ref',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'Length',
  'ToJsonString',
];
const keyOf = (name) => (name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`);
const CFN_TAGS = CFN_FUNCTIONS.flatMap((name) => [
  {
    tag: `!${name}`,
    resolve: (value) => ({ [keyOf(name)]: name === 'GetAtt' ? value.split('.') : value }),
  },
  {
    tag: `!${name}`,
    collection: 'seq',
    resolve: (seq) => ({ [keyOf(name)]: seq.toJSON() }),
  },
  {
    tag: `!${name}`,
    collection: 'map',
    resolve: (map) => ({ [keyOf(name)]: map.toJSON() }),
  },
]);

const PARAM_DEFAULT = /^\$\{param:([A-Za-z0-9_-]+)\}$/;
const FILE_VARIABLE = /^\$\{file\(([^)]+)\)\}$/;

/** Reads a YAML file of the stack (CloudFormation tags allowed); a syntax error names the file. */
function readYaml(file) {
  const doc = YAML.parseDocument(readFileSync(file, 'utf8'), { customTags: CFN_TAGS });
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
  return doc.toJSON();
}

/** The template files serverless.yml merges into `resources` (`${file(infra/….yml)}` entries), in order. */
function templateFiles(serviceDir, config) {
  const files = [];
  const visit = (node) => {
    if (typeof node === 'string') {
      const m = FILE_VARIABLE.exec(node.trim());
      if (m !== null) files.push(path.resolve(serviceDir, m[1].trim()));
    } else if (Array.isArray(node)) {
      node.forEach(visit);
    } else if (node !== null && typeof node === 'object') {
      Object.values(node).forEach(visit);
    }
  };
  visit(config.resources);
  return files.filter((f, i) => files.indexOf(f) === i && existsSync(f));
}

/**
 * What serverless.yml declares: the `params` blocks (as written, variables unresolved) and, for every param, the
 * constraints its value must satisfy, with what it feeds. A param that feeds a CloudFormation parameter takes
 * that parameter's constraints (Type, AllowedValues, AllowedPattern, MinLength, MaxLength, MinValue, MaxValue,
 * ConstraintDescription); one in BUILD_TIME takes those; any other, none.
 *
 * @param {string} serviceDir
 * @param {string} [configFile] the service's configuration file, relative to serviceDir
 * @returns {{ params: Record<string, Record<string, unknown>>, specs: Map<string, object> }}
 */
function loadParamSpecs(serviceDir, configFile = 'serverless.yml') {
  const key = path.resolve(serviceDir, configFile);
  if (!loaded.has(key)) loaded.set(key, readParamSpecs(serviceDir, configFile));
  return loaded.get(key);
}

const loaded = new Map();

function readParamSpecs(serviceDir, configFile) {
  const config = readYaml(path.resolve(serviceDir, configFile));
  const params = config.params ?? {};
  const specs = new Map();
  for (const file of templateFiles(serviceDir, config)) {
    const template = readYaml(file);
    for (const [parameter, definition] of Object.entries(template?.Parameters ?? {})) {
      const m = PARAM_DEFAULT.exec(String(definition?.Default ?? ''));
      if (m === null) continue;
      const { Default: _default, Description: _description, ...constraints } = definition;
      specs.set(m[1], {
        ...constraints,
        Feeds: `CloudFormation parameter ${parameter}`,
        Parameter: parameter,
        File: path.relative(serviceDir, file),
      });
    }
  }
  for (const [name, spec] of Object.entries(BUILD_TIME)) if (!specs.has(name)) specs.set(name, spec);
  return { params, specs };
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/**
 * The most items a comma-separated list pattern allows: `^(X(,X){0,4})?$` allows 5. Undefined for other
 * patterns. Used for the message only; the pattern itself decides.
 */
function listLimit(pattern) {
  const m = /\(,.*\)\{0,(\d+)\}\)\??\$$/.exec(pattern);
  return m === null ? undefined : Number(m[1]) + 1;
}

/**
 * The reasons a value breaks its constraints, as CloudFormation checks them; empty when it satisfies them.
 *
 * @param {string} value
 * @param {object} spec from {@link loadParamSpecs}
 * @returns {string[]}
 */
function violations(value, spec) {
  const reasons = [];
  if (Array.isArray(spec.AllowedValues) && !spec.AllowedValues.map(String).includes(value)) {
    const near = spec.AllowedValues.map(String).find((v) => v.toLowerCase() === value.toLowerCase());
    reasons.push(
      `not one of ${spec.AllowedValues.join(', ')}${near !== undefined ? `; did you mean '${near}'?` : ''}`,
    );
  }
  if (spec.AllowedPattern !== undefined) {
    // CloudFormation matches the whole value against the pattern.
    if (!new RegExp(`^(?:${spec.AllowedPattern})$`).test(value)) {
      const limit = listLimit(spec.AllowedPattern);
      const items = value.split(',').length;
      reasons.push(
        limit !== undefined && items > limit
          ? `${items} comma-separated items, at most ${limit}`
          : `does not match the pattern ${spec.AllowedPattern}`,
      );
    }
  }
  if (spec.MinLength !== undefined && value.length < Number(spec.MinLength)) {
    reasons.push(`${value.length} characters, at least ${spec.MinLength}`);
  }
  if (spec.MaxLength !== undefined && value.length > Number(spec.MaxLength)) {
    reasons.push(`${value.length} characters, at most ${spec.MaxLength}`);
  }
  if (spec.Type === 'Number') {
    if (!NUMBER.test(value)) {
      reasons.push('not a number');
    } else {
      const n = Number(value);
      if (spec.MinValue !== undefined && n < Number(spec.MinValue))
        reasons.push(`less than its minimum, ${spec.MinValue}`);
      if (spec.MaxValue !== undefined && n > Number(spec.MaxValue))
        reasons.push(`more than its maximum, ${spec.MaxValue}`);
    }
  }
  if (reasons.length > 0 && spec.ConstraintDescription !== undefined) {
    reasons.push(`expected ${String(spec.ConstraintDescription).trim()}`);
  }
  return reasons;
}

/** Levenshtein distance, ignoring case. */
function distance(a, b) {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    for (let j = 1; j <= t.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[t.length];
}

/** The known name nearest to `name`, when it is near enough to be the one meant. */
function nearestName(name, known) {
  let best;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** `--param` options as osls reads them (lib/configuration/variables/sources/instance-dependent/param.js). */
function parseCliParams(option) {
  const items = option === undefined || option === null ? [] : [option].flat();
  return items.flatMap((item) => {
    const m = /(?<key>[^=]+)=(?<value>.+)/.exec(String(item));
    // osls itself refuses an item without `=` or without a value, before any plugin runs.
    return m === null ? [] : [{ name: m.groups.key, value: m.groups.value.trimEnd() }];
  });
}

const quote = (value) => `'${value}'`;

/**
 * Every problem of a deployment's params, one line each; empty when there is none.
 *
 * @param {{ serviceDir: string, configFile?: string, params?: object, cliParams?: string | string[],
 *   stage?: string }} input
 *   `configFile`: default serverless.yml; `params`: the `params` blocks of serverless.yml as osls resolved them (default: as written in the file);
 *   `cliParams`: the `--param` option (osls's `options.param`)
 * @returns {string[]}
 */
function checkParams({ serviceDir, configFile, params: resolved, cliParams, stage = 'dev' }) {
  const declared = loadParamSpecs(serviceDir, configFile);
  const specs = declared.specs;
  const params = resolved ?? declared.params;
  const defaults = params.default ?? {};
  const known = Object.keys(defaults);
  const problems = [];
  const unknown = (name, where) => {
    const near = nearestName(name, known);
    problems.push(
      `unknown param ${quote(name)}${where}; ${near !== undefined ? `did you mean ${quote(near)}?` : 'the params are those of params.default in serverless.yml'}`,
    );
  };

  const values = new Map();
  for (const [name, value] of Object.entries(defaults)) {
    if (value !== null && value !== undefined)
      values.set(name, { value: String(value), from: 'params.default' });
  }
  for (const [name, value] of Object.entries(params[stage] ?? {})) {
    if (!Object.hasOwn(defaults, name)) unknown(name, ` (params.${stage} in serverless.yml)`);
    else if (value !== null && value !== undefined)
      values.set(name, { value: String(value), from: `params.${stage}` });
  }
  for (const { name, value } of parseCliParams(cliParams)) {
    if (!Object.hasOwn(defaults, name)) unknown(name, '');
    else values.set(name, { value, from: '--param' });
  }

  for (const [name, { value, from }] of values) {
    const spec = specs.get(name);
    if (spec === undefined) continue;
    const reasons = violations(value, spec);
    if (reasons.length > 0) {
      problems.push(`${name}=${quote(value)} (${from}, ${spec.Feeds}): ${reasons.join('; ')}`);
    }
  }
  return problems;
}

/** The serverless plugin: runs {@link checkParams} once per command, before anything is built or deployed. */
class CheckParamsPlugin {
  constructor(serverless, options, { log } = {}) {
    this.serverless = serverless;
    this.options = options;
    this.log = log;
    this.checked = false;
    const check = () => this.check();
    this.hooks = {
      'before:package:cleanup': check,
      'before:invoke:local:loadEnvVars': check,
      'before:deploy:deploy': check,
      'before:deploy:function:initialize': check,
    };
  }

  check() {
    if (this.checked) return;
    this.checked = true;
    const serviceDir = this.serverless.serviceDir ?? this.serverless.config.serviceDir;
    const stage = this.options.stage ?? this.serverless.service.provider.stage ?? 'dev';
    let problems;
    try {
      problems = checkParams({
        serviceDir,
        configFile: this.serverless.configurationFilename ?? 'serverless.yml',
        params: this.serverless.configurationInput?.params,
        cliParams: this.options.param,
        stage,
      });
    } catch (err) {
      throw new this.serverless.classes.Error(`Cannot check the params: ${err.message}`);
    }
    if (problems.length > 0) {
      throw new this.serverless.classes.Error(
        [
          `${problems.length === 1 ? 'A problem' : `${problems.length} problems`} with the params (nothing was built or deployed; docs/deploy.md, "Parameters"):`,
          ...problems.map((p) => `  - ${p}`),
        ].join('\n'),
      );
    }
    this.log?.verbose?.('checkParams: every param is known and within its constraints');
  }
}

module.exports = CheckParamsPlugin;
module.exports.checkParams = checkParams;
module.exports.loadParamSpecs = loadParamSpecs;
module.exports.violations = violations;
module.exports.nearestName = nearestName;
module.exports.BUILD_TIME = BUILD_TIME;
