import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../../src/config';
import type { Logger } from '../../../src/logger';
import { loadRoutingConfig, prepareRoutingConfig } from '../../../src/rules/loadRoutingConfig';
import { loadRuleSet } from '../../../src/rules/loadRules';
import { contentHash, type RoutingConfig } from '../../../src/rules/routingConfig';
import { createRuntime } from '../../../src/runtime';
import { silentLogger } from '../../helpers/runtime';

const ROOT = join(__dirname, '..', '..', '..');
const EXAMPLE = readFileSync(join(ROOT, 'rules.example.yaml'), 'utf8');

function recordingLogger(): Logger & { infos: Array<[string, Record<string, unknown> | undefined]> } {
  const infos: Array<[string, Record<string, unknown> | undefined]> = [];
  return { ...silentLogger, info: (m, f) => infos.push([m, f]), infos };
}

describe('contentHash', () => {
  it('is 12 hex digits that ignore key order but not array order', () => {
    const a = contentHash({ b: 1, a: [1, 2], c: { y: 'x', x: 'y' } });
    expect(a).toMatch(/^[0-9a-f]{12}$/);
    expect(contentHash({ c: { x: 'y', y: 'x' }, a: [1, 2], b: 1 })).toBe(a);
    expect(contentHash({ b: 1, a: [2, 1], c: { y: 'x', x: 'y' } })).not.toBe(a);
    expect(contentHash({})).not.toBe(contentHash([]));
  });
});

describe('prepareRoutingConfig (what sls package puts into the bundles)', () => {
  it('validates and merges a rules file as loadRules does, and hashes the result', () => {
    const routing = prepareRoutingConfig({ text: EXAMPLE, origin: 'rules.example.yaml' }, undefined);
    const { rules, rateRules } = loadRuleSet(EXAMPLE, 'rules.example.yaml');
    // Event and rate rules in one list, as the file has them: the bundle compiles each kind from it.
    expect(routing.rules.map((r) => r.name).sort()).toEqual(
      [...rules, ...rateRules].map((r) => r.name).sort(),
    );
    expect(routing.rules.filter((r) => r.kind !== 'rate').map((r) => r.name)).toEqual(
      rules.map((r) => r.name),
    );
    expect(routing.rules.filter((r) => r.kind === 'rate').map((r) => r.name)).toEqual(
      rateRules.map((r) => r.name),
    );
    expect(routing).toMatchObject({
      rulesOrigin: 'rules.example.yaml',
      rulesSha256: contentHash(routing.rules),
      apps: {},
      appsOrigin: 'none',
      appsSha256: contentHash({}),
    });
    // Plain JSON: what the bundle carries is what was validated.
    expect(JSON.parse(JSON.stringify(routing))).toEqual(routing);
  });

  it('hashes the same rules the same, whatever their layout, and other rules otherwise', () => {
    const yaml = prepareRoutingConfig({ text: EXAMPLE, origin: 'a.yaml' }, undefined);
    const json = prepareRoutingConfig(
      { text: JSON.stringify(parseYaml(EXAMPLE)), origin: 'b.json' },
      undefined,
    );
    expect(json.rulesSha256).toBe(yaml.rulesSha256);
    const defaults = prepareRoutingConfig(undefined, undefined);
    expect(defaults.rulesOrigin).toBe('default rules');
    expect(defaults.rulesSha256).not.toBe(yaml.rulesSha256);
  });

  it("carries the rules file's analytics settings, in the rules' hash; a file without them hashes as before", () => {
    const text = 'version: 1\nrules: []\nanalytics: { campaign_tag: newsletter }\n';
    const routing = prepareRoutingConfig({ text, origin: 'rules.yaml' }, undefined);
    expect(routing.analytics).toEqual({ campaign_tag: 'newsletter' });
    expect(routing.rulesSha256).toBe(contentHash({ rules: routing.rules, analytics: routing.analytics }));
    const without = prepareRoutingConfig(
      { text: 'version: 1\nrules: []\n', origin: 'rules.yaml' },
      undefined,
    );
    expect(without.analytics).toBeUndefined();
    expect(without.rulesSha256).toBe(contentHash(without.rules));
    // Another campaign tag is another configuration: RULES_SHA256 says which one is live.
    expect(routing.rulesSha256).not.toBe(without.rulesSha256);
    expect(JSON.parse(JSON.stringify(routing))).toEqual(routing);
  });

  it('gives a packaged campaign tag to the runtime, which the batches read it from', async () => {
    const packaged = prepareRoutingConfig(
      { text: 'version: 1\nrules: []\nanalytics: { campaign_tag: newsletter }\n', origin: 'r.yaml' },
      undefined,
    );
    const runtime = await createRuntime(loadConfig({ ANALYTICS_MAX_ROWS: '500' }, packaged), {
      logger: silentLogger,
    });
    expect(runtime.analytics).toEqual({ campaignTag: 'newsletter', maxRows: 500 });
    const defaults = await createRuntime(loadConfig({}, prepareRoutingConfig(undefined, undefined)), {
      logger: silentLogger,
    });
    expect(defaults.analytics).toEqual({ campaignTag: 'campaign', maxRows: 2000 });
  });

  it('validates app metadata and names the file', () => {
    const routing = prepareRoutingConfig(undefined, { text: 'app1:\n  name: Shop\n', origin: 'apps.yaml' });
    expect(routing).toMatchObject({ apps: { app1: { name: 'Shop' } }, appsOrigin: 'apps.yaml' });
    expect(routing.appsSha256).toBe(contentHash({ app1: { name: 'Shop' } }));
    expect(() =>
      prepareRoutingConfig(undefined, { text: 'app1:\n  nmae: Shop\n', origin: 'apps.yaml' }),
    ).toThrow(/appsFile 'apps.yaml' is invalid at 'app1'/);
  });

  it('names the rule and the key of an invalid rules file', () => {
    const bad = 'version: 1\nrules:\n  - name: x\n    match: { family: emial }\n    action: drop\n';
    expect(() => prepareRoutingConfig({ text: bad, origin: 'bad.yaml' }, undefined)).toThrow(
      /bad.yaml is invalid:\n {2}- rule 'x' \(rules\[0\]\): match.family: 'emial' is not one of/,
    );
  });
});

describe('a packaged bundle (loadConfig with a packaged routing configuration)', () => {
  const packaged: RoutingConfig = prepareRoutingConfig(
    {
      text: 'version: 1\nrules:\n  - name: drop-all-app\n    match: { family: app }\n    action: drop\n',
      origin: 'rules/prod.yaml',
    },
    { text: '{"a1":{"name":"Shop"}}', origin: 'apps.json' },
  );

  it('takes its rules and app metadata from the bundle', async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent' }, packaged);
    expect(config.packaged).toBe(packaged);
    expect(config.apps).toEqual({ a1: { name: 'Shop' } });
    expect(config.rules).toBeUndefined();
    const logger = recordingLogger();
    const runtime = await createRuntime(config, { logger });
    expect(runtime.routing).toBe(packaged);
    const eventRules = packaged.rules.filter((r) => r.kind !== 'rate');
    const rateRules = packaged.rules.filter((r) => r.kind === 'rate');
    expect(runtime.settings.rules.map((r) => r.name)).toEqual(eventRules.map((r) => r.name));
    // The packaged configuration carries the rate rules too, and the runtime compiles them.
    expect(rateRules.length).toBeGreaterThan(0);
    expect(runtime.rateRules.map((r) => r.name)).toEqual(rateRules.map((r) => r.name));
    expect(runtime.settings.apps).toEqual({ a1: { name: 'Shop' } });
    expect(logger.infos).toContainEqual([
      'routing configuration',
      {
        rulesSha256: packaged.rulesSha256,
        rulesOrigin: 'rules/prod.yaml',
        rules: eventRules.length,
        rateRules: rateRules.length,
        appMetadataSha256: packaged.appsSha256,
        appMetadataOrigin: 'apps.json',
        apps: 1,
        packaged: true,
        campaignTag: 'campaign',
      },
    ]);
  });

  it.each(['RULES_FILE', 'APP_METADATA', 'APP_METADATA_FILE'])(
    'refuses %s, naming the packaged files and how to change them',
    (name) => {
      expect(() => loadConfig({ [name]: 'x.yaml' }, packaged)).toThrow(
        new RegExp(
          `^${name} is set, but this bundle carries the rules \\(rules/prod.yaml, ${packaged.rulesSha256}\\) and app metadata \\(apps.json, ${packaged.appsSha256}\\) it was packaged with.*--param="rulesFile=…"`,
        ),
      );
    },
  );
});

describe('a run from source', () => {
  it('validates RULES_FILE at cold start and logs the hash the same files would be packaged with', async () => {
    const config = loadConfig({
      PWD: ROOT,
      RULES_FILE: 'rules.example.yaml',
      APP_METADATA: '{"a1":{"owner":"t"}}',
    });
    expect(config.packaged).toBeUndefined();
    expect(config.appsOrigin).toBe('APP_METADATA');
    const logger = recordingLogger();
    const runtime = await createRuntime(config, { logger });
    const packaged = prepareRoutingConfig(
      { text: EXAMPLE, origin: join(ROOT, 'rules.example.yaml') },
      { text: '{"a1":{"owner":"t"}}', origin: 'APP_METADATA' },
    );
    expect(runtime.routing).toEqual(packaged);
    expect(logger.infos.find(([m]) => m === 'routing configuration')?.[1]).toMatchObject({
      rulesSha256: packaged.rulesSha256,
      appMetadataSha256: packaged.appsSha256,
      packaged: false,
    });
  });

  it('runs the shipped rules with no RULES_FILE, with no app metadata', () => {
    const routing = loadRoutingConfig(undefined, { map: {}, origin: 'none' });
    expect(routing.rulesOrigin).toBe('default rules');
    expect(routing.rulesSha256).toBe(prepareRoutingConfig(undefined, undefined).rulesSha256);
    expect(loadConfig({}).appsOrigin).toBe('none');
  });
});
