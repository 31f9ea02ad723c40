import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { boundAlert } from '../../../src/alerts/eventAlert';
import { boundRateAlert } from '../../../src/alerts/rateAlert';
import { SinkError } from '../../../src/errors';
import { snsAlertMessage } from '../../../src/sinks/aws/snsAlertMessage';
import { kinesisBatchRef } from '../../../src/sinks/batchRef';
import { LocalAlertSink } from '../../../src/sinks/local/LocalAlertSink';
import { LocalArchiveSink } from '../../../src/sinks/local/LocalArchiveSink';
import { hugeSample, testAlert, testRateAlert } from './testAlert';

const object = {
  zone: 'normalized' as const,
  key: 'normalized/dt=2025-11-20/hour=13/kinesis/s/x.jsonl.gz',
  lines: ['{"a":1}\n'],
  metadata: { origin: 'kinesis' },
};

describe('LocalArchiveSink', () => {
  it('writes the object gzip-compressed at its key, with a metadata sidecar, and overwrites on retry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-'));
    const sink = new LocalArchiveSink(dir);
    await sink.put(object);
    await sink.put({ ...object, lines: ['{"a":2}\n'] });
    const path = join(dir, object.key);
    expect(gunzipSync(readFileSync(path)).toString()).toBe('{"a":2}\n');
    expect(JSON.parse(readFileSync(`${path}.meta.json`, 'utf8'))).toEqual({ origin: 'kinesis' });
    expect(readdirSync(join(dir, 'normalized/dt=2025-11-20/hour=13/kinesis/s')).sort()).toEqual([
      'x.jsonl.gz',
      'x.jsonl.gz.meta.json',
    ]);
  });

  it('fails with a SinkError when the folder cannot be written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-'));
    writeFileSync(join(dir, 'normalized'), 'a file where a folder should be');
    await expect(new LocalArchiveSink(dir).put(object)).rejects.toBeInstanceOf(SinkError);
  });
});

describe('LocalAlertSink', () => {
  it('writes one JSON Lines file per batch under alerts/', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-'));
    const batch = kinesisBatchRef(
      'arn:aws:kinesis:us-east-1:1:stream/s',
      'shardId-1',
      ['5', '9'],
      Date.UTC(2025, 10, 20, 13),
    );
    const alert = testAlert();
    expect(await new LocalAlertSink(dir).publish([alert, alert], batch)).toEqual({ failed: [] });
    const text = readFileSync(
      join(dir, 'alerts/dt=2025-11-20/hour=13/kinesis/s/shardId-1_5_9.jsonl'),
      'utf8',
    );
    expect(
      text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([alert, alert]);
  });

  it('writes rate alerts as JSON Lines too, bounded as every sink sends them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-'));
    const batch = kinesisBatchRef('arn:aws:kinesis:us-east-1:1:stream/s', 'shardId-1', ['5', '9'], 0);
    const rate = testRateAlert({ group: { app_id: null, configuration_set: 'x'.repeat(1_000) } });
    await new LocalAlertSink(dir).publish([testAlert(), rate], batch);
    const lines = readFileSync(
      join(dir, 'alerts/dt=1970-01-01/hour=00/kinesis/s/shardId-1_5_9.jsonl'),
      'utf8',
    )
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.kind)).toEqual(['event', 'rate']);
    expect(lines[1]).toEqual(JSON.parse(JSON.stringify(boundRateAlert(rate))));
    expect(lines[1].group.configuration_set).toMatch(/…\[truncated \d+ chars\]$/);
    // What the SNS sink sends as the JSON part of its message, the same alert.
    expect(lines[1]).toEqual(JSON.parse(JSON.stringify(snsAlertMessage(rate).alert)));
  });

  it('writes the alert the SNS sink sends while it fits one SNS message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-'));
    const batch = kinesisBatchRef('arn:aws:kinesis:us-east-1:1:stream/s', 'shardId-1', ['5', '9'], 0);
    const alert = testAlert({
      event_type: 'x'.repeat(1_000),
      samples: Array.from({ length: 3 }, (_, i) => hugeSample(i)),
    });
    await new LocalAlertSink(dir).publish([alert], batch);
    const written = JSON.parse(
      readFileSync(join(dir, 'alerts/dt=1970-01-01/hour=00/kinesis/s/shardId-1_5_9.jsonl'), 'utf8'),
    );
    expect(written).toEqual(JSON.parse(JSON.stringify(snsAlertMessage(alert).alert)));
    expect(written.event_type).toMatch(/…\[truncated \d+ chars\]$/);
    expect(written).not.toHaveProperty('samples_omitted');
  });

  it('keeps every sample of an alert past 256 KiB, where the SNS sink leaves the last ones out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-'));
    const batch = kinesisBatchRef('arn:aws:kinesis:us-east-1:1:stream/s', 'shardId-1', ['5', '9'], 0);
    const huge = testAlert({
      event_type: 'x'.repeat(140_000),
      samples: Array.from({ length: 20 }, (_, i) => hugeSample(i)),
    });
    await new LocalAlertSink(dir).publish([huge], batch);
    const [line] = readFileSync(
      join(dir, 'alerts/dt=1970-01-01/hour=00/kinesis/s/shardId-1_5_9.jsonl'),
      'utf8',
    )
      .trimEnd()
      .split('\n');
    const written = JSON.parse(line as string);
    const sent = snsAlertMessage(huge).alert;
    expect(sent.samples_omitted).toBeGreaterThan(0);
    expect(written).toEqual(
      JSON.parse(JSON.stringify({ ...sent, samples: boundAlert(huge).samples, samples_omitted: undefined })),
    );
    expect(written.event_type).toMatch(/…\[truncated \d+ chars\]$/);
    expect(written.samples).toHaveLength(20);
    expect(written).not.toHaveProperty('samples_omitted');
  });
});
