import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { processFirehoseBatch } from '../../src/batch/firehose';
import { processKinesisBatch } from '../../src/batch/kinesis';
import { PowertoolsTelemetry } from '../../src/observability/PowertoolsTelemetry';
import type { CompiledRule } from '../../src/rules/compileRules';
import { firehoseEvent, kinesisEvent, testRuntime } from '../helpers/runtime';

/**
 * The alarms on records quarantined as internal_error (a bug of the processor, not bad data), as CloudFormation
 * will deploy them: `sls package` runs offline, and these tests read the template it writes. Then a batch the
 * processor fails on emits the metric under exactly the namespace, name and dimensions the alarm watches.
 */

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

interface Resource {
  Type: string;
  Condition?: string;
  Properties: Record<string, unknown>;
}
let resources: Record<string, Resource>;

beforeAll(async () => {
  const out = mkdtempSync(join(tmpdir(), 'cfn-internal-errors-'));
  await run(join(root, 'node_modules', '.bin', 'sls'), ['package', '--package', out], {
    cwd: root,
    // Offline: no credentials and no profile, so nothing can call AWS.
    env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' },
  });
  const template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
  resources = template.Resources;
}, 120_000);

/** A rule that throws as a bug would: every record that reaches routing fails with a TypeError. */
const brokenRule: CompiledRule = {
  name: 'broken',
  action: 'tag',
  tags: [],
  matches: () => {
    throw new TypeError("Cannot read properties of undefined (reading 'toLowerCase')");
  },
};

/** EMF blobs printed while `fn` runs (Powertools writes them to stdout). */
async function emf(fn: () => Promise<void>): Promise<Array<Record<string, unknown>>> {
  const blobs: Array<Record<string, unknown>> = [];
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n'))
      if (line.startsWith('{"_aws"')) blobs.push(JSON.parse(line));
    return true;
  });
  try {
    await fn();
  } finally {
    out.mockRestore();
  }
  return blobs;
}

describe.each([
  ['kinesis', 'KinesisInternalErrorsAlarm', 'KinesisLambdaFunction'],
  ['firehose', 'FirehoseInternalErrorsAlarm', 'FirehoseLambdaFunction'],
] as const)('the %s path’s internal errors', (path, alarmId, functionId) => {
  const alarm = () => resources[alarmId] as Resource;
  const env = () =>
    ((resources[functionId] as Resource).Properties.Environment as { Variables: Record<string, string> })
      .Variables;

  it('raise an alarm within minutes, in every deployment, to the alert topic', () => {
    expect(alarm()).toMatchObject({ Type: 'AWS::CloudWatch::Alarm' });
    expect(alarm().Condition).toBeUndefined();
    expect(alarm().Properties).toMatchObject({
      AlarmName: `pinpoint-stream-processor-dev-${path}-internal-errors`,
      MetricName: 'InternalErrors',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'AlertTopic' }],
      OKActions: [{ Ref: 'AlertTopic' }],
    });
  });

  it('watch the namespace, service and path the function emits under', () => {
    expect(alarm().Properties).toMatchObject({
      Namespace: env().POWERTOOLS_METRICS_NAMESPACE,
      Dimensions: [
        { Name: 'service', Value: env().POWERTOOLS_SERVICE_NAME },
        { Name: 'Path', Value: path },
      ],
    });
  });

  it('are emitted by a batch the processor fails on, with exactly those dimensions', async () => {
    const { runtime, archive } = await testRuntime();
    const metrics = new Metrics({
      namespace: env().POWERTOOLS_METRICS_NAMESPACE as string,
      serviceName: env().POWERTOOLS_SERVICE_NAME as string,
    });
    const broken = {
      ...runtime,
      settings: { ...runtime.settings, rules: [brokenRule] },
      telemetry: new PowertoolsTelemetry(metrics),
    };
    const blobs = await emf(async () => {
      if (path === 'kinesis') {
        // Not retried: the batch is acknowledged, the records are in the quarantine.
        expect(await processKinesisBatch(kinesisEvent('email'), broken)).toEqual({ batchItemFailures: [] });
      } else {
        const res = await processFirehoseBatch(firehoseEvent('email'), broken);
        expect(res.records.every((r) => r.result === 'ProcessingFailed')).toBe(true);
      }
      metrics.publishStoredMetrics();
    });
    const quarantined = archive.lines('quarantine').map((l) => JSON.parse(l));
    expect(quarantined.length).toBeGreaterThan(0);
    expect(new Set(quarantined.map((q) => q.reason))).toEqual(new Set(['internal_error']));
    const blob = blobs.find((b) => typeof b.InternalErrors === 'number');
    expect(blob?.InternalErrors).toBe(quarantined.length);
    expect(blob?._aws).toMatchObject({
      CloudWatchMetrics: [
        {
          Namespace: alarm().Properties.Namespace,
          Dimensions: [['service', 'Path']],
          Metrics: expect.arrayContaining([{ Name: 'InternalErrors', Unit: 'Count' }]),
        },
      ],
    });
    expect(blob).toMatchObject({ service: env().POWERTOOLS_SERVICE_NAME, Path: path });
    // Not poison: no PoisonRecords for them.
    expect(blobs.filter((b) => b.PoisonRecords !== undefined)).toEqual([]);
  });
});
