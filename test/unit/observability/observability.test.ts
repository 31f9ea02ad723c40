import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { DeadlineError, SinkError } from '../../../src/errors';
import { METRIC_CATALOG } from '../../../src/observability/metricCatalog';
import { PowertoolsTelemetry } from '../../../src/observability/PowertoolsTelemetry';
import type { BatchReport, BatchSummary } from '../../../src/observability/telemetry';
import { lambdaContext, loadHandler } from '../../helpers/loadHandler';
import { kinesisEvent, TEST_PII_KEY } from '../../helpers/runtime';

interface Emf {
  _aws: {
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit?: string }>;
    }>;
  };
  [key: string]: unknown;
}

/** Runs the Kinesis handler with metrics on and returns every line it wrote to stdout and stderr. */
async function run(event: KinesisStreamEvent, env: Record<string, string> = {}): Promise<string[]> {
  const handler = loadHandler<KinesisStreamEvent, KinesisStreamBatchResponse>('kinesis', {
    LOCAL_SINK_DIR: mkdtempSync(join(tmpdir(), 'obs-')),
    PII_HASH_KEY: TEST_PII_KEY,
    METRICS: 'on',
    LOG_LEVEL: 'info',
    ...env,
  });
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((l) => l.trim().length > 0),
    );
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  const log = jest.spyOn(console, 'log').mockImplementation((...a) => capture(a.join(' ')));
  const info = jest.spyOn(console, 'info').mockImplementation((...a) => capture(a.join(' ')));
  const warn = jest.spyOn(console, 'warn').mockImplementation((...a) => capture(a.join(' ')));
  const error = jest.spyOn(console, 'error').mockImplementation((...a) => capture(a.join(' ')));
  try {
    await handler(event, lambdaContext());
  } finally {
    for (const s of [out, err, log, info, warn, error]) s.mockRestore();
  }
  return lines;
}

const emf = (lines: string[]): Emf[] =>
  lines.flatMap((l) => {
    try {
      const j = JSON.parse(l);
      return j._aws?.CloudWatchMetrics !== undefined ? [j as Emf] : [];
    } catch {
      return [];
    }
  });

function metric(blobs: Emf[], name: string): Emf[] {
  return blobs.filter((b) => b._aws.CloudWatchMetrics.some((m) => m.Metrics.some((x) => x.Name === name)));
}

describe('observability', () => {
  it('emits EMF metrics with low-cardinality dimensions for records, poison, alerts and archive', async () => {
    const blobs = emf(await run(kinesisEvent('mixed')));
    expect(blobs.length).toBeGreaterThan(0);
    expect(blobs[0]?._aws.CloudWatchMetrics[0]?.Namespace).toBe('PinpointStreamProcessor');
    const recordsIn = metric(blobs, 'RecordsIn');
    expect(recordsIn).toHaveLength(1);
    expect(recordsIn[0]?.RecordsIn).toBe(42);
    expect(recordsIn[0]?.Path).toBe('kinesis');
    const out = metric(blobs, 'RecordsOut');
    expect(out.reduce((n, b) => n + (b.RecordsOut as number), 0)).toBe(34);
    for (const b of out)
      expect(
        Object.keys(b)
          .filter((k) => k !== '_aws' && k !== 'RecordsOut')
          .sort(),
      ).toEqual(['Family', 'Outcome', 'Path', 'Source', 'service']);
    const poison = metric(blobs, 'PoisonRecords');
    expect(poison.reduce((n, b) => n + (b.PoisonRecords as number), 0)).toBe(8);
    expect(new Set(poison.map((b) => b.Reason))).toEqual(
      new Set([
        'invalid_utf8',
        'invalid_json',
        'not_an_object',
        'missing_event_type',
        'empty_record',
        'invalid_base64',
      ]),
    );
    expect(metric(blobs, 'ArchiveObjects').map((b) => b.Zone)).toEqual(
      expect.arrayContaining(['raw', 'normalized', 'quarantine']),
    );
    expect(metric(blobs, 'ArrivalLatencyMax')).toHaveLength(1);
  });

  it('counts the records of the sets of METRIC_CONFIGURATION_SETS per set, and of no other set', async () => {
    const named = metric(
      emf(await run(kinesisEvent('ses'), { METRIC_CONFIGURATION_SETS: 'prod-engagement,marketing' })),
      'ConfigurationSetEvents',
    );
    expect(new Set(named.map((b) => b.ConfigurationSet))).toEqual(new Set(['prod-engagement']));
    expect(named.reduce((n, b) => n + (b.ConfigurationSetEvents as number), 0)).toBe(11);
    expect(named.find((b) => b.Outcome === 'bounced')).toMatchObject({
      Channel: 'EMAIL',
      ConfigurationSetEvents: 2,
    });
    const others = emf(await run(kinesisEvent('ses'), { METRIC_CONFIGURATION_SETS: 'marketing' }));
    expect(metric(others, 'ConfigurationSetEvents')).toEqual([]);
    expect(metric(emf(await run(kinesisEvent('ses'))), 'ConfigurationSetEvents')).toEqual([]);
  });

  it('counts alerts by rule and severity', async () => {
    const blobs = emf(await run(kinesisEvent('email')));
    const rules = metric(blobs, 'AlertsSent').map((b) => `${b.Rule}/${b.Severity}`);
    expect(rules).toEqual(expect.arrayContaining(['email-hard-bounce/high', 'email-complaint/high']));
  });

  it('writes structured JSON logs with the Lambda context and the batch, and no personal data', async () => {
    const lines = await run(kinesisEvent('email'));
    const logs = lines.flatMap((l) => {
      try {
        const j = JSON.parse(l);
        return j._aws === undefined ? [j] : [];
      } catch {
        return [];
      }
    });
    const processed = logs.find((l) => l.message === 'kinesis batch processed');
    expect(processed).toMatchObject({ level: 'INFO', function_request_id: 'test-request', records: 11 });
    expect(String(processed?.batch)).toMatch(/^kinesis:pinpoint-events\/shardId-000000000002\//);
    const text = lines.join('\n');
    expect(text).not.toMatch(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/);
    expect(text).not.toMatch(/\+\d{7,15}/);
    expect(text).not.toMatch(/\b(?:\d{1,3}\.){3}\d{1,3}\b/);
  });

  it('never logs the invocation event, even when POWERTOOLS_LOGGER_LOG_EVENT=true', async () => {
    const event = kinesisEvent('sms');
    const lines = await run(event, { POWERTOOLS_LOGGER_LOG_EVENT: 'true' });
    const text = lines.join('\n');
    expect(text).not.toContain('Lambda invocation event');
    // The raw records (phone numbers inside) travel base64-encoded: not one of them may reach the log.
    for (const r of event.Records) expect(text).not.toContain(r.kinesis.data.slice(0, 40));
    expect(lines.length).toBeGreaterThan(0);
  });

  it('prints no metrics outside Lambda unless asked', async () => {
    const blobs = emf(await run(kinesisEvent('email'), { METRICS: 'off' }));
    expect(blobs).toHaveLength(0);
  });
});

describe('PowertoolsTelemetry', () => {
  const summary = (over: Partial<BatchSummary>): BatchSummary => ({
    records: 10,
    ok: 6,
    dropped: 0,
    poison: 1,
    poisonByReason: { invalid_json: 1 },
    byOutcome: { 'pinpoint/sms/delivered': 6 },
    byMessage: { 'pinpoint/SMS/delivered': 6 },
    internalErrors: 0,
    failedForSize: 0,
    deferred: 0,
    arrivalLatencyMaxMs: 5,
    arrivalLatencyAvgMs: 3,
    ...over,
  });
  const delivered = { delivered: true, errors: [], archived: [], sentAlerts: [] };
  const notDelivered = {
    delivered: false,
    errors: [new SinkError('archive', 'down')],
    archived: [],
    sentAlerts: [],
  };

  function emitted(reports: BatchReport[]): Emf[] {
    const lines: string[] = [];
    const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter((l) => l.length > 0),
      );
      return true;
    });
    try {
      for (const report of reports) {
        const metrics = new Metrics({ namespace: 'Test', serviceName: 'svc' });
        new PowertoolsTelemetry(metrics).batch(report);
        metrics.publishStoredMetrics();
      }
    } finally {
      out.mockRestore();
    }
    return emf(lines);
  }

  it('counts records failed for size (Firehose) and records deferred near the deadline, per path', () => {
    const blobs = emitted([
      {
        path: 'firehose',
        summary: summary({ failedForSize: 3, ok: 3, byOutcome: { 'pinpoint/sms/delivered': 3 } }),
        delivery: delivered,
      },
      { path: 'kinesis', summary: summary({ deferred: 3, ok: 6 }), delivery: delivered },
    ]);
    const size = metric(blobs, 'RecordsFailedForSize');
    expect(size.map((b) => [b.Path, b.RecordsFailedForSize, b.service])).toEqual([['firehose', 3, 'svc']]);
    expect(metric(blobs, 'RecordsDeferred').map((b) => [b.Path, b.RecordsDeferred])).toEqual([
      ['firehose', 0],
      ['kinesis', 3],
    ]);
    expect(metric(blobs, 'RecordsOut').map((b) => b.RecordsOut)).toEqual([3, 6]);
  });

  it('counts internal errors per path on every attempt, delivered or not, and never as poison', () => {
    const blobs = emitted([
      { path: 'kinesis', summary: summary({ internalErrors: 2, ok: 4 }), delivery: notDelivered },
      { path: 'firehose', summary: summary({}), delivery: delivered },
    ]);
    expect(metric(blobs, 'InternalErrors').map((b) => [b.Path, b.InternalErrors, b.service])).toEqual([
      ['kinesis', 2, 'svc'],
      ['firehose', 0, 'svc'],
    ]);
    expect(metric(blobs, 'PoisonRecords').map((b) => b.Reason)).toEqual(['invalid_json']);
  });

  it('counts failed writes by sink, and the deadline, but not an error that is no sink failure', () => {
    const blobs = emitted([
      {
        path: 'kinesis',
        summary: summary({}),
        delivery: {
          ...notDelivered,
          errors: [new SinkError('alerts', 'down'), new DeadlineError('late'), new TypeError('a bug')],
        },
      },
    ]);
    expect(metric(blobs, 'SinkFailures').map((b) => b.Sink)).toEqual(['alerts', 'deadline']);
  });

  it('counts the records merged into other analytics rows per path, on every delivered batch that wrote rows', () => {
    const blobs = emitted([
      { path: 'kinesis', summary: summary({}), delivery: delivered, analytics: { rows: 2000, merged: 431 } },
      { path: 'firehose', summary: summary({}), delivery: delivered, analytics: { rows: 12, merged: 0 } },
      // Not delivered: its retry counts. Without analytics (a batch that failed early): nothing.
      { path: 'cli', summary: summary({}), delivery: notDelivered, analytics: { rows: 3, merged: 9 } },
      { path: 'cli', summary: summary({}), delivery: delivered },
    ]);
    const merged = metric(blobs, 'AnalyticsRowsMerged');
    expect(merged.map((b) => [b.Path, b.AnalyticsRowsMerged, b.service])).toEqual([
      ['kinesis', 431, 'svc'],
      ['firehose', 0, 'svc'],
    ]);
    // Named and dimensioned as the catalog says (what an alarm or a widget may name).
    const { unit, dimensions } = METRIC_CATALOG.AnalyticsRowsMerged;
    for (const b of merged) {
      const set = b._aws.CloudWatchMetrics.find((m) =>
        m.Metrics.some((x) => x.Name === 'AnalyticsRowsMerged'),
      );
      expect(set?.Dimensions).toContainEqual(['service', ...(dimensions[0] ?? [])]);
      expect(set?.Metrics.find((x) => x.Name === 'AnalyticsRowsMerged')).toMatchObject({ Unit: unit });
    }
  });

  it('counts the records of the configuration sets named apart, under the catalog’s dimensions', () => {
    const blobs = emitted([
      {
        path: 'firehose',
        summary: summary({
          byConfigurationSet: {
            'marketing/EMAIL/delivered': 5,
            'marketing/EMAIL/opened': 2,
            'otp/SMS/failed': 1,
          },
        }),
        delivery: delivered,
      },
      // Not delivered: counted by its retry.
      {
        path: 'kinesis',
        summary: summary({ byConfigurationSet: { 'marketing/EMAIL/bounced': 9 } }),
        delivery: notDelivered,
      },
      // No set named: no metric.
      { path: 'kinesis', summary: summary({}), delivery: delivered },
    ]);
    const sets = metric(blobs, 'ConfigurationSetEvents');
    expect(sets.map((b) => [b.ConfigurationSet, b.Channel, b.Outcome, b.ConfigurationSetEvents])).toEqual([
      ['marketing', 'EMAIL', 'delivered', 5],
      ['marketing', 'EMAIL', 'opened', 2],
      ['otp', 'SMS', 'failed', 1],
    ]);
    for (const b of sets) {
      expect(b._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([
        ['service', ...METRIC_CATALOG.ConfigurationSetEvents.dimensions[0]],
      ]);
    }
  });

  it('counts the records and poison of a batch only when it is delivered (its retry counts them)', () => {
    const blobs = emitted([{ path: 'kinesis', summary: summary({}), delivery: notDelivered }]);
    expect(metric(blobs, 'RecordsOut')).toHaveLength(0);
    expect(metric(blobs, 'PoisonRecords')).toHaveLength(0);
    expect(metric(blobs, 'BatchesNotDelivered')[0]?.BatchesNotDelivered).toBe(1);
    expect(metric(blobs, 'RecordsIn')[0]?.RecordsIn).toBe(10);
  });
});
