import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { SinkError } from '../../../src/errors';
import { kinesisBatchRef } from '../../../src/sinks/batchRef';
import { LocalAlertSink } from '../../../src/sinks/local/LocalAlertSink';
import { LocalArchiveSink } from '../../../src/sinks/local/LocalArchiveSink';

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
      'shardId-1:5',
      ['5', '9'],
      Date.UTC(2025, 10, 20, 13),
    );
    const alert = { alert_id: 'a'.repeat(32), rule: 'r' } as never;
    expect(await new LocalAlertSink(dir).publish([alert, alert], batch)).toEqual({ failed: [] });
    const text = readFileSync(
      join(dir, 'alerts/dt=2025-11-20/hour=13/kinesis/s/shardId-1_5_9.jsonl'),
      'utf8',
    );
    expect(text.trimEnd().split('\n')).toHaveLength(2);
  });
});
