import { gunzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { alertBody, alertSubject } from '../../../src/alerts/alertText';
import type { Alert } from '../../../src/alerts/eventAlert';
import { loadConfig } from '../../../src/config';
import { SinkError } from '../../../src/errors';
import { createJsonLogger } from '../../../src/logger';
import { createAwsSinks } from '../../../src/sinks/aws/createAwsSinks';
import { S3ArchiveSink } from '../../../src/sinks/aws/S3ArchiveSink';
import { chunkEntries, SnsAlertSink } from '../../../src/sinks/aws/SnsAlertSink';
import { snsMessageBytes, snsSubject } from '../../../src/sinks/aws/snsAlertMessage';
import { kinesisBatchRef } from '../../../src/sinks/batchRef';
import { hugeSample, testAlert, testRateAlert } from './testAlert';

const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);
beforeEach(() => {
  s3Mock.reset();
  snsMock.reset();
});

const batch = kinesisBatchRef('arn:aws:kinesis:us-east-1:1:stream/s', 'shardId-000000000001', ['1', '2'], 0);
const object = {
  zone: 'raw' as const,
  key: 'raw/dt=1970-01-01/hour=00/kinesis/s/x.jsonl.gz',
  lines: ['{"a":1}\n', '{"b":2}\n'],
  metadata: { origin: 'kinesis', 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
};

const alert = (i: number, extra: Partial<Alert> = {}): Alert => testAlert(extra, i);

describe('S3ArchiveSink', () => {
  it('puts gzip JSON Lines under the prefix with SSE-S3 and reader metadata', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    await new S3ArchiveSink(new S3Client({}), { bucket: 'b', prefix: 'p/', gzipLevel: 3 }).put(object);
    const input = s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      Bucket: 'b',
      Key: `p/${object.key}`,
      ContentType: 'application/x-ndjson',
      ContentEncoding: 'gzip',
      Metadata: { origin: 'kinesis' },
      ServerSideEncryption: 'AES256',
    });
    expect(gunzipSync(input?.Body as Buffer).toString()).toBe('{"a":1}\n{"b":2}\n');
  });

  it('uses SSE-KMS with the configured key', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    await new S3ArchiveSink(new S3Client({}), {
      bucket: 'b',
      prefix: '',
      kmsKeyId: 'alias/archive',
      gzipLevel: 3,
    }).put(object);
    expect(s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'alias/archive',
      BucketKeyEnabled: true,
    });
  });

  it('turns an S3 error into a retryable SinkError naming the object and the status', async () => {
    s3Mock.on(PutObjectCommand).rejects(
      Object.assign(new Error('Please reduce your request rate.'), {
        name: 'SlowDown',
        $metadata: { httpStatusCode: 503 },
      }),
    );
    const put = new S3ArchiveSink(new S3Client({}), { bucket: 'b', prefix: '', gzipLevel: 3 }).put(object);
    await expect(put).rejects.toBeInstanceOf(SinkError);
    await expect(put).rejects.toThrow(/s3:\/\/b\/raw\/.* SlowDown \(HTTP 503\)/);
    await expect(put).rejects.toMatchObject({ retryable: true });
  });
});

describe('SnsAlertSink', () => {
  const topic = 'arn:aws:sns:us-east-1:123456789012:alerts';

  it('publishes with filterable attributes, a subject and a readable body', async () => {
    snsMock.on(PublishBatchCommand).callsFake((input) => ({
      Successful: input.PublishBatchRequestEntries.map((e: { Id: string }) => ({ Id: e.Id, MessageId: 'm' })),
    }));
    const res = await new SnsAlertSink(new SNSClient({}), { topicArn: topic }).publish([alert(1)], batch);
    expect(res).toEqual({ failed: [] });
    const entry = snsMock.commandCalls(PublishBatchCommand)[0]?.args[0].input.PublishBatchRequestEntries?.[0];
    expect(Object.keys(entry?.MessageAttributes ?? {}).sort()).toEqual([
      'app_id',
      'event_type',
      'family',
      'kind',
      'rule',
      'severity',
      'source',
    ]);
    expect(entry?.Subject).toBe('[HIGH] rule-1: 2 x _email.hardbounce');
    expect(entry?.Message).toContain('Alert id: 00000000000000000000000000000001');
    expect(entry?.MessageGroupId).toBeUndefined();
  });

  it('sets the message group to the rule and the deduplication id to the alert id on a FIFO topic', async () => {
    snsMock.on(PublishBatchCommand).resolves({ Successful: [{ Id: alert(7).alert_id, MessageId: 'm' }] });
    await new SnsAlertSink(new SNSClient({}), { topicArn: `${topic}.fifo` }).publish([alert(7)], batch);
    const entry = snsMock.commandCalls(PublishBatchCommand)[0]?.args[0].input.PublishBatchRequestEntries?.[0];
    expect(entry?.MessageGroupId).toBe('rule-1');
    expect(entry?.MessageDeduplicationId).toBe(alert(7).alert_id);
  });

  it('publishes rate alerts next to event alerts, told apart by kind, deduplicated by alert id on FIFO', async () => {
    snsMock.on(PublishBatchCommand).callsFake((input) => ({
      Successful: input.PublishBatchRequestEntries.map((e: { Id: string }) => ({ Id: e.Id, MessageId: 'm' })),
    }));
    const rate = testRateAlert({ group: { app_id: 'app-9', configuration_set: 'marketing' } });
    const res = await new SnsAlertSink(new SNSClient({}), { topicArn: `${topic}.fifo` }).publish(
      [alert(1), rate],
      batch,
    );
    expect(res).toEqual({ failed: [] });
    const [event, rated] =
      snsMock.commandCalls(PublishBatchCommand)[0]?.args[0].input.PublishBatchRequestEntries ?? [];
    expect(event?.MessageAttributes?.kind?.StringValue).toBe('event');
    expect(rated?.Id).toBe(rate.alert_id);
    expect(rated?.MessageGroupId).toBe('email-bounce-rate-high');
    expect(rated?.MessageDeduplicationId).toBe(rate.alert_id);
    expect(rated?.Subject).toMatch(/^\[HIGH\] email-bounce-rate-high: 6\.2% >= 5%/);
    expect(
      Object.fromEntries(Object.entries(rated?.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue])),
    ).toEqual({
      kind: 'rate',
      severity: 'high',
      rule: 'email-bounce-rate-high',
      app_id: 'app-9',
      configuration_set: 'marketing',
    });
  });

  it('reports entries SNS lists as failed, or does not list at all, and the entries of a failed call', async () => {
    const alerts = Array.from({ length: 15 }, (_, i) => alert(i));
    snsMock
      .on(PublishBatchCommand)
      .resolvesOnce({
        Successful: alerts.slice(0, 8).map((a) => ({ Id: a.alert_id, MessageId: 'm' })),
        Failed: [{ Id: alerts[8]?.alert_id, Code: 'InternalError', SenderFault: false }],
      })
      .rejectsOnce(new Error('socket hang up'));
    const failures: unknown[] = [];
    const res = await new SnsAlertSink(new SNSClient({}), {
      topicArn: topic,
      onFailure: (d) => failures.push(d),
    }).publish(alerts, batch);
    expect(snsMock.commandCalls(PublishBatchCommand)).toHaveLength(2);
    expect(res.failed).toEqual(alerts.slice(8).map((a) => a.alert_id));
    expect(failures).toHaveLength(2);
  });
});

describe('createAwsSinks', () => {
  it('tells its listener of every call of the archive and alert clients: the runtime counts them as metrics', async () => {
    s3Mock.on(PutObjectCommand).resolves({ $metadata: { attempts: 2 } });
    snsMock.on(PublishBatchCommand).rejects(new Error('socket hang up'));
    const config = loadConfig({
      SINKS: 'aws',
      ARCHIVE_BUCKET: 'b',
      ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:alerts',
      PII_HASH_KEY: 'a key of at least 16 characters',
      LOG_LEVEL: 'silent',
    });
    const calls: unknown[][] = [];
    const sinks = createAwsSinks(config, createJsonLogger('silent'), (...call) => calls.push(call));
    await sinks.archive.put(object);
    await sinks.alerts.publish([alert(1)], batch);
    expect(calls).toEqual([
      ['archive', 2],
      ['alerts', 1],
    ]);
  });
});

describe('SnsAlertSink with alerts too big for SNS as they are', () => {
  const topic = 'arn:aws:sns:us-east-1:123456789012:alerts.fifo';
  const huge = (i: number) =>
    alert(i, { count: 40, samples: Array.from({ length: 20 }, (_, j) => hugeSample(j, '\u4e00')) });

  it('sends every alert fitted to one message, in calls within the PublishBatch limits, the same on a retry', async () => {
    snsMock.on(PublishBatchCommand).callsFake((input) => ({
      Successful: input.PublishBatchRequestEntries.map((e: { Id: string }) => ({ Id: e.Id, MessageId: 'm' })),
    }));
    const alerts = Array.from({ length: 12 }, (_, i) => huge(i));
    const sink = new SnsAlertSink(new SNSClient({}), { topicArn: topic });
    expect(await sink.publish(alerts, batch)).toEqual({ failed: [] });
    const calls = snsMock
      .commandCalls(PublishBatchCommand)
      .map((c) => c.args[0].input.PublishBatchRequestEntries ?? []);
    expect(calls.flat().map((e) => e.Id)).toEqual(alerts.map((a) => a.alert_id));
    for (const entries of calls) {
      expect(entries.length).toBeLessThanOrEqual(10);
      expect(entries.reduce((n, e) => n + snsMessageBytes(e), 0)).toBeLessThanOrEqual(262_144);
      for (const e of entries) {
        expect(snsMessageBytes(e)).toBeLessThanOrEqual(262_144);
        expect(e.Message).toContain('more left out to fit the SNS message size limit');
        expect(e.MessageDeduplicationId).toBe(e.Id);
      }
    }
    snsMock.resetHistory();
    await sink.publish(alerts, batch);
    const retried = snsMock
      .commandCalls(PublishBatchCommand)
      .map((c) => c.args[0].input.PublishBatchRequestEntries);
    expect(retried).toEqual(calls);
  });
});

describe('chunkEntries', () => {
  it('splits at 10 entries', () => {
    const entries = Array.from({ length: 23 }, (_, i) => ({ Id: `e${i}`, Message: 'x' }));
    expect(chunkEntries(entries).map((c) => c.length)).toEqual([10, 10, 3]);
  });

  it('keeps a request of exactly 256 KiB, subjects and attributes included, and splits one byte more', () => {
    const attributes = { rule: { DataType: 'String', StringValue: 'r' } };
    const overhead = 'rule'.length + 'String'.length + 1 + 'subject'.length;
    const entry = (id: string, bytes: number) => ({
      Id: id,
      Subject: 'subject',
      Message: '\u20ac'.repeat(Math.floor((bytes - overhead) / 3)) + 'x'.repeat((bytes - overhead) % 3),
      MessageAttributes: attributes,
    });
    const exact = [entry('a', 100_000), entry('b', 162_144)];
    expect(exact.map(snsMessageBytes)).toEqual([100_000, 162_144]);
    expect(chunkEntries(exact).map((c) => c.length)).toEqual([2]);
    expect(chunkEntries([entry('a', 100_000), entry('b', 162_145)]).map((c) => c.length)).toEqual([1, 1]);
  });

  it('splits before 256 KiB per request', () => {
    const entries = Array.from({ length: 5 }, (_, i) => ({ Id: `e${i}`, Message: 'x'.repeat(100 * 1024) }));
    const chunks = chunkEntries(entries);
    expect(chunks.map((c) => c.length)).toEqual([2, 2, 1]);
    for (const c of chunks) {
      expect(c.reduce((n, e) => n + Buffer.byteLength(e.Message ?? ''), 0)).toBeLessThanOrEqual(256 * 1024);
    }
  });
});

describe('alert message', () => {
  it('keeps the subject ASCII and at most 100 characters', () => {
    const subject = snsSubject(
      alertSubject(alert(1, { rule: `r-${'x'.repeat(120)}`, event_type: 'caf\u00e9\nnext' })),
    );
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it('ends the body with the alert as JSON', () => {
    const body = alertBody(alert(2));
    expect(JSON.parse(body.slice(body.indexOf('--- alert JSON ---') + 19))).toEqual(alert(2));
  });
});
