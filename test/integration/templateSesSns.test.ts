import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { processFirehoseBatch } from '../../src/batch/firehose';
import {
  asList,
  type JsonObject,
  type Resolved,
  render,
  resolve,
  resourcesOf,
  roleStatements,
  type Statement,
  type Template,
} from '../helpers/cfnTemplate';
import { firehoseEvent, testRuntime } from '../helpers/runtime';
import { slsPackage } from '../helpers/sls';

/**
 * SES events that already go to SNS topics: the delivery stream subscribes to the topics of SesSnsTopicArns
 * (infra/sesSns.yml), with raw message delivery, through a role that can put into that stream only.
 */

const run = promisify(execFile);

const TOPICS = [
  'arn:aws:sns:us-east-1:123456789012:ses-events',
  'arn:aws:sns:us-east-1:210987654321:shared_ses',
];
const FIVE = ['a', 'b', 'c', 'd', 'e'].map((n) => `arn:aws:sns:us-east-1:123456789012:ses-${n}`);
const SLOTS = [1, 2, 3, 4, 5].map((n) => `SesSnsSubscription${n}`);

let template: Template;
let packageOutput: string;

beforeAll(async () => {
  const packaged = await slsPackage({ sesSnsTopicArns: TOPICS.join(',') });
  template = packaged.template as unknown as Template;
  packageOutput = packaged.output;
}, 120_000);

const props = (r: Resolved, id: string): JsonObject => {
  const x = r.resources[id];
  if (x === undefined) throw new Error(`no resource ${id}`);
  return x.Properties;
};
const subscriptions = (r: Resolved) =>
  Object.entries(r.resources)
    .filter(([, x]) => x.Type === 'AWS::SNS::Subscription')
    .map(([id]) => id)
    .sort();

describe('sls package with SNS topics of SES events', () => {
  it('packages cleanly and makes the --param value the parameter default', () => {
    expect(packageOutput).toContain('Service packaged');
    expect(packageOutput).not.toMatch(/warn|deprecat/i);
    expect(template.Parameters.SesSnsTopicArns?.Default).toBe(TOPICS.join(','));
  });

  it('passes cfn-lint', async () => {
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

  it('takes at most five standard topic ARNs, comma-separated', () => {
    const pattern = new RegExp(template.Parameters.SesSnsTopicArns?.AllowedPattern as string);
    for (const ok of [
      '',
      TOPICS[0] as string,
      TOPICS.join(','),
      FIVE.join(','),
      'arn:aws-cn:sns:cn-north-1:123456789012:x',
    ]) {
      expect({ ok, valid: pattern.test(ok) }).toEqual({ ok, valid: true });
    }
    for (const bad of [
      [...FIVE, TOPICS[0]].join(','),
      `${TOPICS[0]}, ${TOPICS[1]}`,
      `${TOPICS[0]},`,
      'ses-events',
      'arn:aws:sns:us-east-1:123456789012:orders.fifo',
      'arn:aws:sqs:us-east-1:123456789012:ses-events',
      'arn:aws:sns:us-east-1:1234:ses-events',
    ]) {
      expect({ bad, valid: pattern.test(bad) }).toEqual({ bad, valid: false });
    }
  });
});

describe('SNS subscriptions of the delivery stream', () => {
  it('subscribes nothing and creates no role without topics (the default)', () => {
    const r = resolve(template, { SesSnsTopicArns: '' });
    expect(subscriptions(r)).toEqual([]);
    expect(r.resources.SesSnsSubscriptionRole).toBeUndefined();
    expect(r.outputs.SesSnsSubscriptionRoleArn).toBeUndefined();
  });

  it('subscribes the delivery stream to each topic given, with raw message delivery and the subscription role', () => {
    const r = resolve(template);
    expect(subscriptions(r)).toEqual(['SesSnsSubscription1', 'SesSnsSubscription2']);
    TOPICS.forEach((topic, i) => {
      expect(props(r, `SesSnsSubscription${i + 1}`)).toEqual({
        TopicArn: topic,
        Protocol: 'firehose',
        Endpoint: { 'Fn::GetAtt': ['DeliveryStream', 'Arn'] },
        SubscriptionRoleArn: { 'Fn::GetAtt': ['SesSnsSubscriptionRole', 'Arn'] },
        RawMessageDelivery: true,
      });
    });
    expect(render(r.outputs.SesSnsSubscriptionRoleArn as JsonObject)).toBe('arn:SesSnsSubscriptionRole');
  });

  it('fills all five slots, in order', () => {
    const r = resolve(template, { SesSnsTopicArns: FIVE.join(',') });
    expect(subscriptions(r)).toEqual(SLOTS);
    FIVE.forEach((topic, i) => {
      expect(props(r, SLOTS[i] as string).TopicArn).toBe(topic);
    });
  });

  it('lets SNS put into the delivery stream only, and do nothing else', () => {
    const r = resolve(template);
    const trust = (props(r, 'SesSnsSubscriptionRole').AssumeRolePolicyDocument as JsonObject)
      .Statement as unknown as Statement[];
    expect(trust).toEqual([
      { Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    const grants = roleStatements(r, 'SesSnsSubscriptionRole').map((s) => [
      s.Effect,
      asList(s.Action).sort(),
      resourcesOf(s).map(render),
    ]);
    expect(grants).toEqual([
      [
        'Allow',
        ['firehose:DescribeDeliveryStream', 'firehose:PutRecord', 'firehose:PutRecordBatch'],
        ['arn:DeliveryStream'],
      ],
    ]);
  });

  it('delivers records the firehose function normalizes as SES, with or without raw message delivery', async () => {
    // Raw delivery: each record is the SES event itself (events/firehose-ses.json); without it, the whole
    // notification (events/firehose-ses-sns.json, written as SNS documents it).
    for (const fixture of ['ses', 'ses-sns']) {
      const { runtime } = await testRuntime();
      const res = await processFirehoseBatch(firehoseEvent(fixture), runtime);
      const sources = res.records.map(
        (x) =>
          (JSON.parse(Buffer.from(x.data ?? '', 'base64').toString('utf8')) as { source: string }).source,
      );
      expect(new Set(sources)).toEqual(new Set(['ses']));
      expect(res.records.every((x) => x.result === 'Ok')).toBe(true);
    }
  });
});
