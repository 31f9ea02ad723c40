import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SES_DETAIL_TYPES } from '../../src/fixtures/eventBridge';
import { runPipeline } from '../../src/pipeline';
import {
  actionsOf,
  asList,
  collectStatements,
  type Json,
  type JsonObject,
  type Resolved,
  type Resource,
  render,
  resolve,
  resourcesOf,
  roleStatements,
  type Statement,
  type Template,
} from '../helpers/cfnTemplate';
import { rawEvents, testRuntime } from '../helpers/runtime';
import { slsPackage } from '../helpers/sls';

/**
 * Feeding the stack after Pinpoint: SES configuration sets (existing ones, one the stack creates, through
 * Firehose or through EventBridge and Kinesis) and End User Messaging SMS/voice configuration sets. The
 * template is packaged with non-default `--param` values, which become the CloudFormation parameters'
 * defaults, and resolved for each choice (test/helpers/cfnTemplate.ts).
 */

const run = promisify(execFile);

const PACKAGED_WITH = {
  sesConfigurationSets: 'marketing,transactional',
  createSesConfigurationSet: 'true',
  sesEventsVia: 'EventBridge',
  createSmsConfigurationSet: 'true',
};

const OFF = {
  SesConfigurationSets: '',
  CreateSesConfigurationSet: 'false',
  CreateSmsConfigurationSet: 'false',
};
const EXISTING_STREAM = {
  KinesisStreamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/existing-events',
  KinesisStreamKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555',
};
const SCENARIOS: Record<string, Record<string, string>> = {
  'no configuration set': OFF,
  'existing SES sets, Firehose': {
    ...OFF,
    SesConfigurationSets: 'marketing,transactional,alerts',
    SesEventsVia: 'Firehose',
  },
  'five existing SES sets and a new one, Firehose': {
    ...OFF,
    SesConfigurationSets: 'a,b,c,d,e',
    CreateSesConfigurationSet: 'true',
    SesEventsVia: 'Firehose',
  },
  'a new SES set, EventBridge': { ...OFF, CreateSesConfigurationSet: 'true', SesEventsVia: 'EventBridge' },
  'as packaged (new and existing SES sets, EventBridge, SMS set)': {},
  'existing SES set, EventBridge, existing stream and key': {
    ...OFF,
    ...EXISTING_STREAM,
    SesConfigurationSets: 'marketing',
    SesEventsVia: 'EventBridge',
  },
  'existing SES set, EventBridge, existing stream without key': {
    ...OFF,
    ...EXISTING_STREAM,
    KinesisStreamKmsKeyArn: '',
    SesConfigurationSets: 'marketing',
    SesEventsVia: 'EventBridge',
  },
  'SMS set only': { ...OFF, CreateSmsConfigurationSet: 'true' },
};

const SES_EVENT_TYPES = [
  'SEND',
  'REJECT',
  'BOUNCE',
  'COMPLAINT',
  'DELIVERY',
  'OPEN',
  'CLICK',
  'RENDERING_FAILURE',
  'DELIVERY_DELAY',
  'SUBSCRIPTION',
];
const SES_SLOTS = ['SesEventDestination1', 'SesEventDestination2', 'SesEventDestination3'];
const SES_SLOT_IDS = ['SesEventDestination', ...SES_SLOTS, 'SesEventDestination4', 'SesEventDestination5'];
const sesSetArn = (name: string) => `arn:aws:ses:us-east-1:123456789012:configuration-set/${name}`;

let template: Template;
let packageOutput: string;

beforeAll(async () => {
  const packaged = await slsPackage(PACKAGED_WITH);
  template = packaged.template as unknown as Template;
  packageOutput = packaged.output;
}, 120_000);

const props = (r: Resolved, id: string): JsonObject => {
  const x = r.resources[id];
  if (x === undefined) throw new Error(`no resource ${id}`);
  return x.Properties;
};
const trustOf = (r: Resolved, role: string) =>
  (props(r, role).AssumeRolePolicyDocument as JsonObject).Statement as unknown as Statement[];
/** [sorted actions, rendered resources] of every statement of a role's inline policies. */
const grants = (r: Resolved, role: string) =>
  roleStatements(r, role).map((s) => [asList(s.Action).sort(), resourcesOf(s).map(render)]);
/** The configuration set ARNs the SES role's trust names. */
const sesSourceArns = (r: Resolved): Json[] => {
  const condition = (trustOf(r, 'SesFirehoseRole')[0]?.Condition ?? {}) as JsonObject;
  return (condition.StringEquals as JsonObject)['aws:SourceArn'] as Json[];
};
const sesDestinations = (r: Resolved) =>
  Object.entries(r.resources).filter(([, x]) => x.Type === 'AWS::SES::ConfigurationSetEventDestination');

describe('sls package with SES and End User Messaging parameters', () => {
  it('packages cleanly and makes the --param values the parameter defaults', () => {
    expect(packageOutput).toContain('Service packaged');
    expect(packageOutput).not.toMatch(/warn|deprecat/i);
    expect(template.Parameters.SesConfigurationSets?.Default).toBe('marketing,transactional');
    expect(template.Parameters.CreateSesConfigurationSet?.Default).toBe('true');
    expect(template.Parameters.SesEventsVia?.Default).toBe('EventBridge');
    expect(template.Parameters.CreateSmsConfigurationSet?.Default).toBe('true');
  });

  it('passes cfn-lint with these defaults too', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cfn-lint-')), 'template.json');
    writeFileSync(file, JSON.stringify(template));
    // The same known false positives as test/integration/template.test.ts.
    const result = await run('cfn-lint', [file, '--ignore-checks', 'W1030', 'W3005', 'W3696']).then(
      () => ({ code: 0, output: '' }),
      (err: { code?: number | string; stdout?: string }) => ({ code: err.code, output: err.stdout ?? '' }),
    );
    if (result.code === 'ENOENT') throw new Error('cfn-lint is not installed (pip install cfn-lint)');
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 60_000);

  it('takes at most five existing SES configuration sets, named as SES allows, comma-separated', () => {
    const pattern = new RegExp(template.Parameters.SesConfigurationSets?.AllowedPattern as string);
    for (const ok of ['', 'a', 'marketing,transactional', 'a_1,b-2,c,d,e', 'x'.repeat(64)]) {
      expect({ ok, valid: pattern.test(ok) }).toEqual({ ok, valid: true });
    }
    for (const bad of ['a,b,c,d,e,f', 'a, b', 'a,,b', ',', 'a,', 'sp ace', 'x'.repeat(65), 'dot.ted']) {
      expect({ bad, valid: pattern.test(bad) }).toEqual({ bad, valid: false });
    }
    expect(template.Parameters.SesEventsVia?.AllowedValues).toEqual(['Firehose', 'EventBridge']);
    for (const p of ['CreateSesConfigurationSet', 'CreateSmsConfigurationSet']) {
      expect(template.Parameters[p]?.AllowedValues).toEqual(['true', 'false']);
    }
  });

  it('gives every SES destination of the template every event type', () => {
    const ids = Object.entries(template.Resources)
      .filter(([, x]) => x.Type === 'AWS::SES::ConfigurationSetEventDestination')
      .map(([id]) => id);
    expect(ids.sort()).toEqual([...SES_SLOT_IDS].sort());
    for (const id of ids) {
      const destination = template.Resources[id]?.Properties.EventDestination as JsonObject;
      expect(destination.MatchingEventTypes).toEqual(SES_EVENT_TYPES);
      expect(destination.Enabled).toBe(true);
    }
  });
});

describe.each(Object.entries(SCENARIOS))('SES and End User Messaging, %s', (_name, overrides) => {
  let r: Resolved;
  beforeAll(() => {
    r = resolve(template, overrides);
  });

  it('references only resources that exist under the same conditions', () => {
    const ids = new Set(Object.keys(r.resources));
    const missing: string[] = [];
    const check = (node: Json) => {
      if (Array.isArray(node)) return node.forEach(check);
      if (node === null || typeof node !== 'object') return;
      if (typeof node.Ref === 'string' && !node.Ref.startsWith('AWS::') && !ids.has(node.Ref)) {
        missing.push(node.Ref);
      }
      const getAtt = node['Fn::GetAtt'];
      if (Array.isArray(getAtt) && !ids.has(getAtt[0] as string)) missing.push(getAtt[0] as string);
      Object.values(node).forEach(check);
    };
    for (const x of Object.values(r.resources)) check(x.Properties ?? null);
    Object.values(r.outputs).forEach(check);
    expect(missing).toEqual([]);
  });

  it('lets every SES, EventBridge and End User Messaging role put into its one stream only', () => {
    const expected: Record<string, Array<[string[], string[]]>> = {
      SesFirehoseRole: [[['firehose:PutRecord', 'firehose:PutRecordBatch'], ['arn:DeliveryStream']]],
      SmsEventsRole: [[['firehose:PutRecord', 'firehose:PutRecordBatch'], ['arn:DeliveryStream']]],
    };
    for (const role of ['SesFirehoseRole', 'SmsEventsRole']) {
      if (r.resources[role] !== undefined) expect(grants(r, role)).toEqual(expected[role]);
    }
    if (r.resources.SesEventBridgeRole !== undefined) {
      const stream = r.params.KinesisStreamArn === '' ? 'arn:KinesisStream' : r.params.KinesisStreamArn;
      const key = r.params.KinesisStreamArn === '' ? 'arn:StreamKey' : r.params.KinesisStreamKmsKeyArn;
      expect(grants(r, 'SesEventBridgeRole')).toEqual([
        [['kinesis:PutRecord', 'kinesis:PutRecords'], [stream]],
        ...(key === '' ? [] : [[['kms:GenerateDataKey'], [key]]]),
      ]);
    }
  });

  it('trusts each service for this account only, and for its configuration sets or rule', () => {
    for (const [role, service] of [
      ['SesFirehoseRole', 'ses.amazonaws.com'],
      ['SesEventBridgeRole', 'events.amazonaws.com'],
      ['SmsEventsRole', 'sms-voice.amazonaws.com'],
    ] as const) {
      if (r.resources[role] === undefined) continue;
      const statements = trustOf(r, role);
      expect(statements).toHaveLength(1);
      expect(statements[0]).toMatchObject({
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      });
      const condition = statements[0]?.Condition as JsonObject;
      const sourceArn =
        (condition.StringEquals as JsonObject)['aws:SourceArn'] ??
        (condition.ArnLike as JsonObject | undefined)?.['aws:SourceArn'];
      expect(sourceArn).toBeDefined();
    }
  });
});

describe('SES configuration sets', () => {
  it('wires nothing for SES without a configuration set', () => {
    const r = resolve(template, SCENARIOS['no configuration set']);
    expect(sesDestinations(r)).toEqual([]);
    for (const id of ['SesConfigurationSet', 'SesFirehoseRole', 'SesEventsRule', 'SesEventBridgeRole']) {
      expect(r.resources[id]).toBeUndefined();
    }
    expect(r.outputs.SesConfigurationSetName).toBeUndefined();
  });

  it('gives each existing set a destination to the delivery stream, with the role SES assumes for these sets', () => {
    const r = resolve(template, SCENARIOS['existing SES sets, Firehose']);
    expect(sesDestinations(r).map(([id]) => id)).toEqual(SES_SLOTS);
    expect(SES_SLOTS.map((id) => props(r, id).ConfigurationSetName)).toEqual([
      'marketing',
      'transactional',
      'alerts',
    ]);
    for (const id of SES_SLOTS) {
      expect(props(r, id).EventDestination).toEqual({
        Name: 'pinpoint-stream-processor-dev',
        Enabled: true,
        MatchingEventTypes: SES_EVENT_TYPES,
        KinesisFirehoseDestination: {
          DeliveryStreamARN: { 'Fn::GetAtt': ['DeliveryStream', 'Arn'] },
          IAMRoleARN: { 'Fn::GetAtt': ['SesFirehoseRole', 'Arn'] },
        },
      });
    }
    const sourceArns = sesSourceArns(r);
    expect(sourceArns.map(render)).toEqual(['marketing', 'transactional', 'alerts'].map(sesSetArn));
    expect(r.resources.SesConfigurationSet).toBeUndefined();
    expect(r.resources.SesEventsRule).toBeUndefined();
  });

  it('fills five slots and the stack’s own set', () => {
    const r = resolve(template, SCENARIOS['five existing SES sets and a new one, Firehose']);
    expect(sesDestinations(r)).toHaveLength(6);
    expect(props(r, 'SesConfigurationSet')).toEqual({ Name: 'pinpoint-stream-processor-dev' });
    expect(props(r, 'SesEventDestination').ConfigurationSetName).toEqual({ Ref: 'SesConfigurationSet' });
    expect(props(r, 'SesEventDestination5').ConfigurationSetName).toBe('e');
    const sourceArns = sesSourceArns(r);
    expect(sourceArns.map(render)).toEqual([
      sesSetArn('SesConfigurationSet'),
      ...['a', 'b', 'c', 'd', 'e'].map(sesSetArn),
    ]);
    expect(r.outputs.SesConfigurationSetName).toEqual({ Ref: 'SesConfigurationSet' });
  });

  it('sends through EventBridge to the Kinesis stream: the events of these sets only, with a role for that rule', () => {
    const r = resolve(template, SCENARIOS['as packaged (new and existing SES sets, EventBridge, SMS set)']);
    expect(sesDestinations(r).map(([id]) => id)).toEqual([
      'SesEventDestination',
      'SesEventDestination1',
      'SesEventDestination2',
    ]);
    for (const [, x] of sesDestinations(r)) {
      const destination = x.Properties.EventDestination as JsonObject;
      expect(destination.KinesisFirehoseDestination).toBeUndefined();
      expect(render((destination.EventBridgeDestination as JsonObject).EventBusArn as Json)).toBe(
        'arn:aws:events:us-east-1:123456789012:event-bus/default',
      );
    }
    expect(r.resources.SesFirehoseRole).toBeUndefined();
    const rule = props(r, 'SesEventsRule');
    expect(rule).toMatchObject({
      Name: 'pinpoint-stream-processor-dev-ses-events',
      EventBusName: 'default',
      State: 'ENABLED',
      Targets: [
        {
          Id: 'kinesis',
          Arn: { 'Fn::GetAtt': ['KinesisStream', 'Arn'] },
          RoleArn: { 'Fn::GetAtt': ['SesEventBridgeRole', 'Arn'] },
        },
      ],
    });
    // The whole event goes to the stream: its id and time are kept (docs/schema.md, "EventBridge envelope").
    const [target] = rule.Targets as [JsonObject];
    expect([target.InputPath, target.Input, target.InputTransformer]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    const pattern = rule.EventPattern as JsonObject;
    expect(pattern.source).toEqual(['aws.ses']);
    expect((pattern.resources as Json[]).map(render)).toEqual([
      sesSetArn('SesConfigurationSet'),
      sesSetArn('marketing'),
      sesSetArn('transactional'),
    ]);
    const trust = trustOf(r, 'SesEventBridgeRole')[0]?.Condition as JsonObject;
    expect(render((trust.StringEquals as JsonObject)['aws:SourceArn'] as Json)).toBe(
      `arn:aws:events:us-east-1:123456789012:rule/${rule.Name}`,
    );
    // The key statement is scoped to Kinesis' use of the stream key.
    const kms = roleStatements(r, 'SesEventBridgeRole').find((s) =>
      actionsOf(s).includes('kms:GenerateDataKey'),
    );
    expect(kms?.Condition).toEqual({
      StringEquals: { 'kms:ViaService': { 'Fn::Sub': `kinesis.\${AWS::Region}.amazonaws.com` } },
    });
  });

  it('puts the whole EventBridge event into the stream, which the kinesis function normalizes as its SES event', async () => {
    const r = resolve(template, SCENARIOS['a new SES set, EventBridge']);
    const rule = props(r, 'SesEventsRule');
    const [target] = rule.Targets as [JsonObject];
    expect(target.InputPath).toBeUndefined();
    const [resource] = ((rule.EventPattern as JsonObject).resources as Json[]).map(render);
    const events = rawEvents('ses');
    // SES events as EventBridge delivers them to the rule's target (SES developer guide, "Monitoring SES
    // events using Amazon EventBridge"), from the set the rule matches.
    const envelopes = events.map((detail, i) => ({
      version: '0',
      id: `0d4c1f7e-7a8b-4c9d-8e1f-2a3b4c5d6e${String(i).padStart(2, '0')}`,
      'detail-type': SES_DETAIL_TYPES[String(detail.eventType)],
      source: 'aws.ses',
      account: '123456789012',
      time: '2026-11-30T12:00:00Z',
      region: 'us-east-1',
      resources: [resource],
      detail,
    }));
    const records = envelopes.map((envelope, i) => ({
      id: String(i),
      data: Buffer.from(JSON.stringify(envelope)).toString('base64'),
      ingestMs: 0,
    }));
    const bare = events.map((event, i) => ({
      id: String(i),
      data: Buffer.from(JSON.stringify(event)).toString('base64'),
      ingestMs: 0,
    }));
    const { runtime } = await testRuntime();
    const normalize = (input: typeof records) =>
      runPipeline(input, runtime.settings, { keepRecords: true }).map(({ outcome }) => {
        if (outcome.kind !== 'ok') throw new Error(`quarantined: ${outcome.reason}`);
        return outcome.record;
      });
    const normalized = normalize(records);
    const expected = normalize(bare);
    expect(normalized.map((rec) => [rec.source, rec.family, rec.event_type, rec.outcome])).toEqual(
      expected.map((rec) => ['ses', 'email', rec.event_type, rec.outcome]),
    );
    expect(normalized.map((rec) => [rec.source_event_id, rec.arrival_time])).toEqual(
      envelopes.map((e) => [e.id, '2026-11-30T12:00:00.000Z']),
    );
  });

  it('targets an existing stream (and its key) when one is given', () => {
    const r = resolve(template, SCENARIOS['existing SES set, EventBridge, existing stream and key']);
    expect((props(r, 'SesEventsRule').Targets as JsonObject[])[0]?.Arn).toBe(
      EXISTING_STREAM.KinesisStreamArn,
    );
    expect(r.resources.KinesisStream).toBeUndefined();
    expect(((props(r, 'SesEventsRule').EventPattern as JsonObject).resources as Json[]).map(render)).toEqual([
      sesSetArn('marketing'),
    ]);
  });
});

describe('End User Messaging SMS/voice', () => {
  it('creates a configuration set whose events, all of them (text, voice, media and RCS), go to the delivery stream', () => {
    const r = resolve(template, SCENARIOS['SMS set only']);
    expect(props(r, 'SmsConfigurationSet')).toEqual({
      ConfigurationSetName: 'pinpoint-stream-processor-dev',
      EventDestinations: [
        {
          EventDestinationName: 'pinpoint-stream-processor-dev',
          Enabled: true,
          MatchingEventTypes: ['ALL', 'RCS_ALL'],
          KinesisFirehoseDestination: {
            DeliveryStreamArn: { 'Fn::GetAtt': ['DeliveryStream', 'Arn'] },
            IamRoleArn: { 'Fn::GetAtt': ['SmsEventsRole', 'Arn'] },
          },
        },
      ],
    });
    expect(r.outputs.SmsConfigurationSetName).toEqual({ Ref: 'SmsConfigurationSet' });
  });

  it('keeps the role and outputs it with the delivery stream without a set, to connect an existing one', () => {
    const r = resolve(template, SCENARIOS['no configuration set']);
    expect(r.resources.SmsConfigurationSet).toBeUndefined();
    expect(r.outputs.SmsConfigurationSetName).toBeUndefined();
    expect(r.outputs).toMatchObject({
      SmsEventsRoleArn: { 'Fn::GetAtt': ['SmsEventsRole', 'Arn'] },
      DeliveryStreamArn: { 'Fn::GetAtt': ['DeliveryStream', 'Arn'] },
    });
  });

  it('trusts End User Messaging for the configuration sets of this account and region only', () => {
    const r = resolve(template, SCENARIOS['SMS set only']);
    expect(trustOf(r, 'SmsEventsRole')[0]?.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLike: {
        'aws:SourceArn': {
          'Fn::Sub': `arn:\${AWS::Partition}:sms-voice:\${AWS::Region}:\${AWS::AccountId}:configuration-set/*`,
        },
      },
    });
  });
});

describe('every new role, for every choice (unresolved template, both branches of every Fn::If)', () => {
  it('names its stream in every Allow statement: no resource is a wildcard', () => {
    const roles: Record<string, Resource> = {};
    for (const id of ['SesFirehoseRole', 'SesEventBridgeRole', 'SmsEventsRole']) {
      roles[id] = template.Resources[id] as unknown as Resource;
    }
    const statements = collectStatements(roles).filter((l) => l.document === 'PolicyDocument');
    expect(statements.length).toBeGreaterThanOrEqual(4);
    for (const l of statements) {
      for (const res of resourcesOf(l.statement)) expect(render(res)).not.toMatch(/(^|:)\*$/);
    }
  });
});
