import { ConfigError, RulesValidationError } from '../../../src/errors';
import { loadAppMetadata } from '../../../src/rules/loadRoutingConfig';
import { findReservedKeys, parseUserDocument } from '../../../src/rules/userDocument';
import { loadRules } from '../../helpers/rules';

const errorOf = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
};

describe('reserved keys in user-supplied maps', () => {
  it.each(['__proto__', 'constructor', 'prototype', 'Constructor'])(
    "rejects a rule's attributes key %s with the rule's name, instead of matching more than written",
    (key) => {
      const text =
        'version: 1\nrules:\n' +
        `  - name: campaign-x\n    match: { family: email, attributes: { ${key}: x, campaign: y } }\n` +
        '    action: alert\n    severity: high\n';
      const err = errorOf(() => loadRules(text, 'rules.yaml'));
      expect(err).toBeInstanceOf(RulesValidationError);
      expect(err.message).toContain(`rule 'campaign-x' (rules[0]): match.attributes.${key}: reserved key`);
    },
  );

  it('rejects reserved keys anywhere in the rules file, every one at once', () => {
    const text =
      'version: 1\n__proto__: { include_defaults: false }\nrules:\n' +
      '  - { name: a, match: { attributes: { prototype: x } }, action: drop }\n' +
      '  - { name: b, constructor: 1, match: { family: sms }, action: drop }\n';
    const err = errorOf(() => loadRules(text, 'rules.yaml'));
    expect(err.message).toContain('__proto__: reserved key');
    expect(err.message).toContain("rule 'a' (rules[0]): match.attributes.prototype: reserved key");
    expect(err.message).toContain("rule 'b' (rules[1]): constructor: reserved key");
  });

  it.each(['__proto__', 'constructor', 'prototype'])(
    'rejects app metadata with an app id or key %s',
    (key) => {
      for (const text of [`{"${key}": {"name": "x"}}`, `app1:\n  ${key}: x\n`]) {
        const err = errorOf(() => loadAppMetadata(text, 'APP_METADATA'));
        expect(err).toBeInstanceOf(ConfigError);
        expect(err.message).toContain('reserved key');
      }
    },
  );

  it('accepts keys that merely contain a reserved word', () => {
    expect(findReservedKeys({ a: { my_constructor: 1, proto: 2, __proto: 3 } })).toEqual([]);
    expect(loadAppMetadata('{"constructor-app": {"name": "x"}}', 'APP_METADATA')).toEqual({
      'constructor-app': { name: 'x' },
    });
  });

  it('walks a deeply nested document without recursion, in linear time', () => {
    const depth = 100_000;
    let doc: unknown = { constructor: 1 };
    for (let i = 0; i < depth; i++) doc = { a: doc };
    const started = performance.now();
    const [path] = findReservedKeys(doc);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(path).toHaveLength(depth + 1);
    expect(path?.at(-1)).toBe('constructor');
  });
});

describe('YAML errors', () => {
  // A credentials file given as rulesFile or appsFile by mistake must not be printed back.
  const credentials =
    '[default]\naws_access_key_id = AKIAEXAMPLEKEY1234567\naws_secret_access_key: "wJalrXUtn\n';

  it('say where, by line and column, without echoing the file', () => {
    const read = parseUserDocument(credentials);
    expect(read.ok).toBe(false);
    const message = read.ok ? '' : read.message;
    expect(message).toMatch(/^not valid YAML\/JSON at line \d+, column \d+: .+ \([A-Z_]+\)$/);
    for (const secret of ['AKIAEXAMPLEKEY', 'wJalrXUtn', 'aws_access_key_id', 'default']) {
      expect(message).not.toContain(secret);
    }
  });

  it('never echo the file from the rules or the app metadata loaders', () => {
    for (const err of [
      errorOf(() => loadRules(credentials, 'rules.yaml')),
      errorOf(() => loadAppMetadata(credentials, "appsFile 'apps.yaml'")),
    ]) {
      expect(err.message).toMatch(/line \d+, column \d+/);
      expect(err.message).not.toContain('AKIAEXAMPLEKEY');
      expect(err.message).not.toContain('wJalrXUtn');
    }
  });
});
