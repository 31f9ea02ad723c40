import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processFirehoseBatch } from '../../src/batch/firehose';
import { processKinesisBatch } from '../../src/batch/kinesis';
import {
  actionsOf,
  asList,
  collectStatements,
  holderRoles,
  iamMatches,
  isObject,
  type Json,
  type JsonObject,
  type Parameter,
  POLICY_DOCUMENTS,
  placeholder,
  type Resolved,
  type Resource,
  render,
  resolve,
  resourcesOf,
  type Statement,
  type Template,
} from '../helpers/cfnTemplate';
import { firehoseEvent, kinesisEvent, testRuntime } from '../helpers/runtime';
import { slsPackage } from '../helpers/sls';

/**
 * The security properties of the stack (docs/deploy.md, "Security model"), read from the template `sls package`
 * writes: raw personal data expires, the PII hash key and the archive are readable only by the roles that need
 * them, and no parameter can widen a policy.
 */

const root = join(__dirname, '..', '..');
let template: Template;
/** The zones (first key segment under ARCHIVE_PREFIX) the two functions write, from running them. */
let functionZones: string[];

beforeAll(async () => {
  template = (await slsPackage()).template as unknown as Template;
  const kinesis = await testRuntime();
  await processKinesisBatch(kinesisEvent('mixed'), kinesis.runtime);
  const firehose = await testRuntime();
  await processFirehoseBatch(firehoseEvent('mixed'), firehose.runtime);
  const keys = [...kinesis.archive.objects.values(), ...firehose.archive.objects.values()].map((o) => o.key);
  functionZones = [...new Set(keys.map((k) => k.split('/')[0] as string))].sort();
}, 120_000);

const ROLE = (name: string) => `arn:aws:iam::123456789012:role/${name}`;
const BREAK_GLASS = ROLE('pii-break-glass');
const READERS = [ROLE('analysts'), ROLE('data/replay-operator')];

const props = (x: Resolved, id: string): JsonObject => {
  const r = x.resources[id];
  if (r === undefined) throw new Error(`no resource ${id}`);
  return r.Properties;
};
const keyStatements = (x: Resolved, id: string) =>
  (props(x, id).KeyPolicy as JsonObject).Statement as unknown as Statement[];
/** The AWS principals of a statement, rendered (GetAtt X.Arn → arn:X), sorted. */
const awsPrincipals = (s: Statement): string[] =>
  isObject(s.Principal)
    ? asList(s.Principal.AWS as Json)
        .map((p) => render(p as Json))
        .sort()
    : [];
const ACCOUNT = 'arn:aws:iam::123456789012:root';
/** `${AWS::Region}`, as an Fn::Sub text holds it. */
const REGION = placeholder('AWS::Region');
/** Whether an action pattern of a statement (kms:*, kms:Decrypt*…) covers an action. */
const covers = (s: Statement, action: string) => actionsOf(s).some((a) => iamMatches(a, action));
/** The KMS actions that use a key on data, or hand out its use (a grant). */
const KEY_USE = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:CreateGrant'];

// ---------------------------------------------------------------------------------------------------------
// 4. Raw personal data expires

/** The zone (first segment under ArchivePrefix) of a key prefix the stack writes. */
const zoneOf = (prefix: string, archivePrefix: string) => {
  if (!prefix.startsWith(archivePrefix)) throw new Error(`${prefix} is not under ${archivePrefix}`);
  return prefix.slice(archivePrefix.length).split('/')[0] as string;
};

/**
 * Every key prefix the stack writes in the archive bucket, derived from the template: the s3:PutObject grants
 * of every policy, the delivery stream's prefixes and error prefixes (up to their first Firehose expression),
 * the Athena workgroups' result locations, and the zones the functions write under their ARCHIVE_PREFIX.
 */
function writtenPrefixes(x: Resolved): string[] {
  const found = new Set<string>();
  for (const l of collectStatements(x.resources)) {
    if (l.statement.Effect !== 'Allow' || !covers(l.statement, 's3:PutObject')) continue;
    for (const res of resourcesOf(l.statement)) {
      const m = /^arn:aws:s3:::[^/]+\/(.*)\*$/.exec(render(res));
      if (m === null) throw new Error(`${l.resource}: unexpected s3:PutObject resource ${render(res)}`);
      found.add(m[1] as string);
    }
  }
  const upToExpression = (p: string) => {
    const fixed = p.split('!{')[0] as string;
    return fixed.slice(0, fixed.lastIndexOf('/') + 1);
  };
  for (const r of Object.values(x.resources)) {
    if (r.Type === 'AWS::KinesisFirehose::DeliveryStream') {
      const s3 = r.Properties.ExtendedS3DestinationConfiguration as JsonObject;
      const backup = (s3.S3BackupConfiguration ?? {}) as JsonObject;
      for (const p of [s3.Prefix, s3.ErrorOutputPrefix, backup.Prefix, backup.ErrorOutputPrefix]) {
        if (p !== undefined) found.add(upToExpression(render(p as Json)));
      }
    }
    if (r.Type === 'AWS::Athena::WorkGroup') {
      const results = (r.Properties.WorkGroupConfiguration as JsonObject).ResultConfiguration as JsonObject;
      found.add(render(results.OutputLocation as Json).replace(/^s3:\/\/[^/]+\//, ''));
    }
    if (r.Type === 'AWS::Lambda::Function') {
      const env = ((r.Properties.Environment as JsonObject).Variables ?? {}) as JsonObject;
      if (env.ARCHIVE_PREFIX === undefined) continue;
      for (const z of functionZones) found.add(`${render(env.ARCHIVE_PREFIX as Json)}${z}/`);
    }
  }
  return [...found].sort();
}

/** The archive bucket's enabled lifecycle rules that expire current objects: their prefix and days. */
function expiringRules(x: Resolved): Array<{ id: string; prefix: string; days: number }> {
  const bucket = x.resources.ArchiveBucket;
  if (bucket === undefined) return [];
  const rules = (bucket.Properties.LifecycleConfiguration as JsonObject).Rules as JsonObject[];
  return rules
    .filter((rule) => rule.Status === 'Enabled' && rule.ExpirationInDays !== undefined)
    .filter((rule) => (rule.TagFilters ?? (rule.Filter as JsonObject | undefined)?.Tag) === undefined)
    .map((rule) => ({
      id: rule.Id as string,
      prefix: render((rule.Prefix ?? (rule.Filter as JsonObject | undefined)?.Prefix ?? '') as Json),
      days: Number(rule.ExpirationInDays),
    }));
}
const unexpired = (x: Resolved) =>
  writtenPrefixes(x).filter((w) => !expiringRules(x).some((rule) => w.startsWith(rule.prefix)));

describe('raw personal data expires', () => {
  const PREFIXES = ['', 'pinpoint/', 'shared-archive/pinpoint-stream/'];
  /** Prefixes without raw records, kept by default (their expiration parameter is 0): docs/deploy.md. */
  const KEPT_BY_DEFAULT = ['analytics', 'firehose', 'normalized', 'rollups'];

  it.each(PREFIXES)('lists the prefixes the stack writes, all under archivePrefix "%s"', (prefix) => {
    const x = resolve(template, { ArchivePrefix: prefix });
    const written = writtenPrefixes(x);
    for (const w of written) expect(w.startsWith(prefix)).toBe(true);
    expect([...new Set(written.map((w) => zoneOf(w, prefix)))].sort()).toEqual([
      'analytics',
      'athena-results',
      'firehose',
      'firehose-errors',
      'firehose-raw',
      'firehose-raw-errors',
      'normalized',
      'quarantine',
      'raw',
      'rollups',
    ]);
    // The functions' own zones are among them (read from what they write, not from a list).
    for (const z of functionZones) expect(written).toContain(`${prefix}${z}/`);
  });

  it.each(PREFIXES)('has an expiring lifecycle rule for each of them under archivePrefix "%s"', (prefix) => {
    // Every expiration parameter switched on: a prefix no rule can expire fails here, whatever the defaults.
    const on = Object.fromEntries(
      Object.keys(template.Parameters)
        .filter((n) => n.endsWith('ExpirationDays') && n !== 'NoncurrentVersionExpirationDays')
        .map((n) => [n, '400']),
    );
    expect(Object.keys(on).length).toBeGreaterThan(3);
    expect(unexpired(resolve(template, { ...on, ArchivePrefix: prefix }))).toEqual([]);
  });

  it.each(PREFIXES)(
    'expires every prefix with raw records by default, under archivePrefix "%s"',
    (prefix) => {
      const x = resolve(template, { ArchivePrefix: prefix });
      expect(unexpired(x).map((w) => zoneOf(w, prefix))).toEqual(KEPT_BY_DEFAULT);
      for (const rule of expiringRules(x)) {
        expect({ id: rule.id, finite: Number.isInteger(rule.days) && rule.days > 0 }).toEqual({
          id: rule.id,
          finite: true,
        });
        expect(rule.prefix.startsWith(prefix)).toBe(true);
      }
    },
  );

  it.each(PREFIXES)('expires the daily reports by default too, under archivePrefix "%s"', (prefix) => {
    const x = resolve(template, { DailyReport: 'true', ArchivePrefix: prefix });
    expect(writtenPrefixes(x)).toContain(`${prefix}reports/`);
    expect(unexpired(x).map((w) => zoneOf(w, prefix))).toEqual(KEPT_BY_DEFAULT);
    expect(expiringRules(x).find((rule) => rule.prefix === `${prefix}reports/`)?.days).toBe(365);
  });

  it('gives each prefix with raw records an expiration parameter with a finite default', () => {
    const x = resolve(template);
    const byZone = Object.fromEntries(expiringRules(x).map((rule) => [zoneOf(rule.prefix, ''), rule.days]));
    expect(byZone).toMatchObject({
      raw: 180,
      'firehose-raw': 180,
      'firehose-errors': 90,
      'firehose-raw-errors': 90,
      quarantine: 90,
      'athena-results': 30,
    });
    for (const name of ['RawExpirationDays', 'FirehoseErrorsExpirationDays', 'QuarantineExpirationDays']) {
      expect((template.Parameters[name] as Parameter).Default).not.toBe('0');
    }
  });

  it('expires raw data after its last transition (S3 refuses a rule that expires first)', () => {
    const rules = (props(resolve(template), 'ArchiveBucket').LifecycleConfiguration as JsonObject)
      .Rules as JsonObject[];
    for (const id of ['raw', 'firehose-raw']) {
      const rule = rules.find((r) => r.Id === id) as JsonObject;
      const last = Math.max(...(rule.Transitions as JsonObject[]).map((t) => Number(t.TransitionInDays)));
      expect(Number(rule.ExpirationInDays)).toBeGreaterThan(last);
      // 90 days in Glacier Flexible Retrieval, its minimum storage duration: no early-deletion charge.
      expect(Number(rule.ExpirationInDays) - last).toBeGreaterThanOrEqual(90);
    }
  });

  it('deletes the versions that expiry leaves behind (the bucket is versioned)', () => {
    const rules = (props(resolve(template), 'ArchiveBucket').LifecycleConfiguration as JsonObject)
      .Rules as JsonObject[];
    const housekeeping = rules.find((r) => r.Id === 'housekeeping') as JsonObject;
    expect(housekeeping.Prefix ?? housekeeping.Filter).toBeUndefined();
    expect(housekeeping).toMatchObject({
      NoncurrentVersionExpiration: { NoncurrentDays: '30' },
      ExpiredObjectDeleteMarker: true,
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// 5. The PII key is readable only by the functions; the archive key only by the roles that need it

const FUNCTION_ROLES = ['arn:FirehoseFunctionRole', 'arn:KinesisFunctionRole'];
const ARCHIVE_ROLES = ['arn:DeliveryStreamRole', ...FUNCTION_ROLES];

/** Statements of a key policy that let a principal use the key on data (or grant that). */
const keyUse = (statements: Statement[]) =>
  statements.filter((s) => s.Effect === 'Allow' && KEY_USE.some((a) => covers(s, a)));
const viaService = (s: Statement) =>
  (s.Condition?.StringEquals as JsonObject | undefined)?.['kms:ViaService'];

describe('the PII hash key is readable only by the functions', () => {
  it('encrypts the created secret with a customer-managed key of its own, kept with the secret', () => {
    const r = resolve(template);
    expect(props(r, 'PiiHashKeySecret').KmsKeyId).toEqual({ 'Fn::GetAtt': ['PiiKey', 'Arn'] });
    expect(r.resources.PiiKey).toMatchObject({
      Type: 'AWS::KMS::Key',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: { EnableKeyRotation: true },
    });
  });

  it.each([
    ['defaults', {}, FUNCTION_ROLES],
    ['a break-glass role', { PiiHashKeyBreakGlassRoleArn: BREAK_GLASS }, [BREAK_GLASS, ...FUNCTION_ROLES]],
  ])('lets only the function roles decrypt it, through Secrets Manager (%s)', (_n, overrides, readers) => {
    const r = resolve(template, overrides);
    const use = keyUse(keyStatements(r, 'PiiKey'));
    const decrypt = use.filter((s) => covers(s, 'kms:Decrypt'));
    const readersStatement = decrypt.filter((s) => !awsPrincipals(s).includes(ACCOUNT));
    expect(readersStatement.map(awsPrincipals)).toEqual([[...readers].sort()]);
    for (const s of use) {
      expect({ sid: s.Sid, via: viaService(s) }).toEqual({
        sid: s.Sid,
        via: { 'Fn::Sub': `secretsmanager.${REGION}.amazonaws.com` },
      });
      expect(covers(s, 'kms:CreateGrant')).toBe(false);
    }
    // The account (IAM) may have Secrets Manager encrypt a new value and check that it can use the key when
    // a secret is created with it (CloudFormation does, with the deployer's permissions), and decrypt only
    // those checks: their encryption context is Secrets Manager's RequestToValidateKeyAccess, which no secret
    // value is encrypted under.
    for (const s of decrypt.filter((x) => awsPrincipals(x).includes(ACCOUNT))) {
      expect(actionsOf(s)).toEqual(['kms:Decrypt']);
      expect(s.Condition?.StringEquals).toMatchObject({
        'kms:EncryptionContext:SecretVersionId': 'RequestToValidateKeyAccess',
      });
    }
  });

  it.each([
    ['defaults', {}, FUNCTION_ROLES],
    ['a break-glass role', { PiiHashKeyBreakGlassRoleArn: BREAK_GLASS }, [BREAK_GLASS, ...FUNCTION_ROLES]],
  ])(
    'denies GetSecretValue to every other principal in the secret’s resource policy (%s)',
    (_n, overrides, readers) => {
      const r = resolve(template, overrides);
      const policies = Object.entries(r.resources).filter(
        ([, x]) => x.Type === 'AWS::SecretsManager::ResourcePolicy',
      );
      expect(policies.map(([id]) => id)).toEqual(['PiiHashKeySecretPolicy']);
      const policy = props(r, 'PiiHashKeySecretPolicy');
      expect(policy.SecretId).toEqual({ Ref: 'PiiHashKeySecret' });
      expect(policy.BlockPublicPolicy).toBe(true);
      expect(r.resources.PiiHashKeySecretPolicy).toMatchObject({ DeletionPolicy: 'Retain' });
      const statements = (policy.ResourcePolicy as JsonObject).Statement as unknown as Statement[];
      // Nothing allowed by the resource policy: the function roles' own policies allow GetSecretValue.
      expect(statements.filter((s) => s.Effect === 'Allow')).toEqual([]);
      const deny = statements.filter(
        (s) => s.Effect === 'Deny' && covers(s, 'secretsmanager:GetSecretValue'),
      );
      expect(deny).toHaveLength(1);
      expect(deny[0]).toMatchObject({ Principal: '*', Resource: '*' });
      const except = (deny[0]?.Condition?.ArnNotEquals as JsonObject | undefined)?.['aws:PrincipalArn'];
      expect(
        asList(except as Json)
          .map((p) => render(p as Json))
          .sort(),
      ).toEqual([...readers].sort());
    },
  );

  it('gives GetSecretValue on it to the two function roles only, in every deployment', () => {
    const deployments: Array<Record<string, string>> = [
      {},
      { PiiHashKeyBreakGlassRoleArn: BREAK_GLASS },
      { EventStreamDestination: 'None' },
    ];
    for (const overrides of deployments) {
      const r = resolve(template, overrides);
      const holders = collectStatements(r.resources)
        .filter((l) => l.statement.Effect === 'Allow')
        .filter((l) => actionsOf(l.statement).some((a) => a.startsWith('secretsmanager:')))
        .flatMap((l) => holderRoles(r, l.resource))
        .sort();
      expect(holders).toEqual(['FirehoseFunctionRole', 'KinesisFunctionRole']);
    }
  });

  it('creates neither key nor resource policy for a secret passed in (docs/deploy.md says what to set)', () => {
    const r = resolve(template, {
      PiiHashKeySecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:pii-hash-key-AbCdEf',
    });
    expect(r.resources.PiiKey).toBeUndefined();
    expect(r.resources.PiiHashKeySecretPolicy).toBeUndefined();
    const deploy = readFileSync(join(root, 'docs', 'deploy.md'), 'utf8');
    const own = deploy.slice(deploy.indexOf('**An existing PII key.**'));
    for (const text of [
      'aws:PrincipalArn',
      'ArnNotEquals',
      'secretsmanager:GetSecretValue',
      'kms:ViaService',
    ]) {
      expect(own).toContain(text);
    }
  });
});

describe('the archive key is used only by the roles that need it', () => {
  it.each([
    ['defaults', {}, ARCHIVE_ROLES],
    ['readers', { ArchiveReaderRoleArns: READERS.join(',') }, [...READERS, ...ARCHIVE_ROLES]],
    // The daily report function reads analytics/ and alerts/ and writes reports/ (infra/report.yml).
    ['daily report', { DailyReport: 'true' }, [...ARCHIVE_ROLES, 'arn:ReportFunctionRole']],
  ])(
    'lets the archive’s writers (and the readers given) use it through S3, and nobody else (%s)',
    (_n, overrides, users) => {
      const r = resolve(template, overrides);
      const use = keyUse(keyStatements(r, 'ArchiveKey'));
      expect([...new Set(use.flatMap(awsPrincipals))].sort()).toEqual([...users].sort());
      for (const s of use) {
        expect({ sid: s.Sid, via: viaService(s) }).toEqual({
          sid: s.Sid,
          via: { 'Fn::Sub': `s3.${REGION}.amazonaws.com` },
        });
        expect(covers(s, 'kms:CreateGrant')).toBe(false);
        expect(covers(s, 'kms:Decrypt')).toBe(true);
      }
    },
  );

  it('leaves the PII key and the archive key to the account’s administrators, who cannot use them', () => {
    const r = resolve(template);
    for (const id of ['ArchiveKey', 'PiiKey']) {
      const account = keyStatements(r, id).filter((s) => awsPrincipals(s).includes(ACCOUNT));
      const administers = account.filter((s) => s.Condition === undefined);
      expect(administers).toHaveLength(1);
      const admin = administers[0] as Statement;
      // Administration: the key can never become unmanageable, and CloudFormation (the deployer's
      // permissions) can update and tag it.
      for (const a of [
        'kms:PutKeyPolicy',
        'kms:GetKeyPolicy',
        'kms:DescribeKey',
        'kms:EnableKeyRotation',
        'kms:UpdateKeyDescription',
        'kms:TagResource',
        'kms:ScheduleKeyDeletion',
        'kms:CancelKeyDeletion',
        'kms:CreateAlias',
        'kms:DeleteAlias',
      ]) {
        expect({ id, a, allowed: covers(admin, a) }).toEqual({ id, a, allowed: true });
      }
      // …but no use of the key on data, and no grant that would hand it out.
      for (const a of [...KEY_USE, 'kms:ReEncryptTo', 'kms:GenerateDataKeyWithoutPlaintext']) {
        expect({ id, a, allowed: covers(admin, a) }).toEqual({ id, a, allowed: false });
      }
    }
  });

  it('keeps every key of the stack administrable by the account (no key policy lockout)', () => {
    const r = resolve(template, { ArchiveReaderRoleArns: READERS[0] as string });
    const keys = Object.keys(r.resources).filter((id) => r.resources[id]?.Type === 'AWS::KMS::Key');
    expect(keys.sort()).toEqual(['AlertsKey', 'ArchiveKey', 'PiiKey', 'StreamKey']);
    for (const id of keys) {
      const admin = keyStatements(r, id).filter(
        (s) => s.Effect === 'Allow' && awsPrincipals(s).includes(ACCOUNT) && s.Condition === undefined,
      );
      expect({ id, putKeyPolicy: admin.some((s) => covers(s, 'kms:PutKeyPolicy')) }).toEqual({
        id,
        putKeyPolicy: true,
      });
      expect(keyStatements(r, id).filter((s) => s.Effect === 'Deny')).toEqual([]);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// 8. Parameters that cannot widen access

/** The parameters a node refers to: Ref, and ${Name} in Fn::Sub texts. */
function referencedParameters(node: Json, names: Set<string>, into = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const x of node) referencedParameters(x, names, into);
  } else if (isObject(node)) {
    if (typeof node.Ref === 'string' && names.has(node.Ref)) into.add(node.Ref);
    const sub = node['Fn::Sub'];
    const text = typeof sub === 'string' ? sub : Array.isArray(sub) ? sub[0] : undefined;
    if (typeof text === 'string') {
      for (const m of text.matchAll(/\$\{([A-Za-z0-9]+)\}/g))
        if (names.has(m[1] as string)) into.add(m[1] as string);
    }
    for (const v of Object.values(node)) referencedParameters(v, names, into);
  }
  return into;
}

/** Parameters referenced inside any policy document of the (unresolved) template. */
function policyParameters(t: Template): string[] {
  const names = new Set(Object.keys(t.Parameters));
  const found = new Set<string>();
  const walk = (node: Json) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!isObject(node)) return;
    for (const [k, v] of Object.entries(node)) {
      if (POLICY_DOCUMENTS.includes(k)) referencedParameters(v, names, found);
      else walk(v);
    }
  };
  for (const r of Object.values(t.Resources) as Resource[]) walk(r.Properties ?? null);
  return [...found].sort();
}

/** Valid values of the parameters that reach a policy or an ARN, to be spoiled with wildcards. */
const SAMPLES: Record<string, string[]> = {
  ArchiveBucketName: ['existing-archive', 'a.b-c'],
  ArchiveKmsKeyArn: ['arn:aws:kms:us-east-1:123456789012:key/66666666-7777-8888-9999-000000000000'],
  ArchivePrefix: ['pinpoint/', 'shared-archive/pinpoint-stream/', 'v1.2/x_y/'],
  ArchiveReaderRoleArns: [READERS.join(','), ROLE('analysts')],
  KinesisStreamArn: ['arn:aws:kinesis:us-east-1:123456789012:stream/existing-events'],
  KinesisStreamKmsKeyArn: ['arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555'],
  LogsKmsKeyArn: ['arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab'],
  PiiHashKeyBreakGlassRoleArn: [BREAK_GLASS, ROLE('admin/BreakGlass')],
  PiiHashKeySecretArn: ['arn:aws:secretsmanager:us-east-1:123456789012:secret:pii/hash-key-AbCdEf'],
  PinpointAppId: ['a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6'],
  SesConfigurationSets: ['marketing,transactional', 'one'],
  SesSnsTopicArns: [
    'arn:aws:sns:us-east-1:123456789012:ses-events,arn:aws:sns:us-east-1:210987654321:shared_ses',
    'arn:aws:sns:eu-west-1:123456789012:one',
  ],
};

describe('parameters that reach a policy cannot widen it', () => {
  it('finds the parameters referenced inside the policy documents', () => {
    expect(policyParameters(template)).toEqual([
      'ArchiveBucketName',
      'ArchiveKmsKeyArn',
      'ArchivePrefix',
      'ArchiveReaderRoleArns',
      'KinesisStreamArn',
      'KinesisStreamKmsKeyArn',
      'PiiHashKeyBreakGlassRoleArn',
      'PiiHashKeySecretArn',
      'PinpointAppId',
      'SesConfigurationSets',
    ]);
  });

  it('gives each of them, and every ARN parameter, an AllowedPattern that refuses * and ?', () => {
    const names = new Set([
      ...policyParameters(template),
      ...Object.keys(template.Parameters).filter((n) => /(Arn|Arns|BucketName|Prefix)$/.test(n)),
    ]);
    for (const name of [...names].sort()) {
      if (SAMPLES[name] === undefined) throw new Error(`${name} reaches a policy or an ARN: give it SAMPLES`);
      const p = template.Parameters[name] as Parameter;
      expect({ name, type: p.Type, pattern: typeof p.AllowedPattern }).toEqual({
        name,
        type: 'String',
        pattern: 'string',
      });
      const pattern = new RegExp(p.AllowedPattern as string);
      expect({ name, empty: pattern.test('') }).toEqual({ name, empty: true });
      for (const ok of SAMPLES[name] as string[])
        expect({ name, ok, match: pattern.test(ok) }).toEqual({ name, ok, match: true });
      const spoiled = new Set(['*', '?', '*/', '*,*']);
      for (const ok of SAMPLES[name] as string[]) {
        for (let i = 0; i <= ok.length; i++) {
          for (const w of ['*', '?']) spoiled.add(ok.slice(0, i) + w + ok.slice(i));
          spoiled.add(`${ok.slice(0, i)}*`);
        }
      }
      const accepted = [...spoiled].filter((bad) => pattern.test(bad));
      expect({ name, accepted }).toEqual({ name, accepted: [] });
    }
    expect([...names].sort()).toEqual(Object.keys(SAMPLES).sort());
  });

  it('takes as archivePrefix only a key prefix of safe characters, ending with a slash', () => {
    const pattern = new RegExp(template.Parameters.ArchivePrefix?.AllowedPattern as string);
    for (const ok of ['', 'pinpoint/', 'a/b/', 'shared-archive/pinpoint_stream/v1.2/']) {
      expect({ ok, match: pattern.test(ok) }).toEqual({ ok, match: true });
    }
    for (const bad of [
      '*',
      '*/',
      'shared-archive/*/',
      'pinpoint',
      '/pinpoint/',
      '//',
      'a//b/',
      '../',
      'a/../',
      'a/..b/',
      './',
      'a b/',
      'a=b/',
      "a'/",
      'a(b)/',
      'a!/',
      'a\\b/',
      'a$/',
      `${placeholder('AWS::AccountId')}/`,
      'a/\n',
    ]) {
      expect({ bad, match: pattern.test(bad) }).toEqual({ bad, match: false });
    }
  });
});
