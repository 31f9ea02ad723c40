/**
 * Child process of the bounded-time tests (bundled by esbuild, run with plain node): times one record at a
 * time through both batch processors, next to a `JSON.parse(JSON.stringify(event))` round trip of the same
 * event. A separate process, so that the parent can kill a record that never finishes (a backtracking
 * RegExp cannot be interrupted from inside) and still report on the others.
 *
 * Protocol (IPC): `{ type: 'init', env }` → `{ type: 'ready' }`; `{ type: 'case', id, text }` →
 * `{ type: 'result', id, … }` (see TimedResult in timedRunner.ts).
 */
import type { FirehoseTransformationEvent, KinesisStreamEvent } from 'aws-lambda';
import { processFirehoseBatch } from '../../../src/batch/firehose';
import { processKinesisBatch } from '../../../src/batch/kinesis';
import { type FuzzRuntime, fuzzRuntime } from '../fuzzRuntime';

interface Outcome {
  error?: string;
  /** Kinesis: `batchItemFailures`; Firehose: the record's result. */
  failures?: number;
  result?: string;
  normalized: number;
  quarantine: Array<{ reason: unknown; detail: unknown }>;
}

let kinesis: FuzzRuntime;
let firehose: FuzzRuntime;
let sequence = 0;

function kinesisEvent(data: string): KinesisStreamEvent {
  const sequenceNumber = String(49_656_178_632_478_000n + BigInt(sequence++));
  return {
    Records: [
      {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: 'pk',
          sequenceNumber,
          data,
          approximateArrivalTimestamp: 1_763_650_000.123,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-000000000000:${sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::123456789012:role/fuzz',
        awsRegion: 'us-east-1',
        eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/fuzz-timing',
      },
    ],
  };
}

function firehoseEvent(data: string): FirehoseTransformationEvent {
  return {
    invocationId: `timing-${sequence}`,
    deliveryStreamArn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/fuzz-timing',
    region: 'us-east-1',
    records: [{ recordId: `timing-${sequence++}`, approximateArrivalTimestamp: 1_763_650_000_123, data }],
  };
}

function quarantineOf(fz: FuzzRuntime): Outcome['quarantine'] {
  return fz.archive.lines('quarantine').map((l) => {
    const q = JSON.parse(l) as { reason?: unknown; detail?: unknown };
    return { reason: q.reason, detail: typeof q.detail === 'string' ? q.detail.slice(0, 300) : q.detail };
  });
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message.slice(0, 300)}` : String(err);
}

async function timeKinesis(data: string): Promise<{ ms: number; outcome: Outcome }> {
  kinesis.reset();
  const start = performance.now();
  try {
    const res = await processKinesisBatch(kinesisEvent(data), kinesis.runtime);
    const ms = performance.now() - start;
    return {
      ms,
      outcome: {
        failures: res.batchItemFailures.length,
        normalized: kinesis.archive.lines('normalized').length,
        quarantine: quarantineOf(kinesis),
      },
    };
  } catch (err) {
    return {
      ms: performance.now() - start,
      outcome: { error: errorText(err), normalized: 0, quarantine: [] },
    };
  }
}

async function timeFirehose(data: string): Promise<{ ms: number; outcome: Outcome }> {
  firehose.reset();
  const start = performance.now();
  try {
    const res = await processFirehoseBatch(firehoseEvent(data), firehose.runtime);
    const ms = performance.now() - start;
    const result = res.records[0]?.result;
    return {
      ms,
      outcome: {
        ...(result !== undefined && { result }),
        normalized: result === 'Ok' ? 1 : 0,
        quarantine: quarantineOf(firehose),
      },
    };
  } catch (err) {
    return {
      ms: performance.now() - start,
      outcome: { error: errorText(err), normalized: 0, quarantine: [] },
    };
  }
}

/**
 * The best of `n` runs of a round trip of the parsed event: what any JSON pipeline pays for the record.
 * NaN when the round trip itself fails (JSON.stringify of a very deep value can overflow the stack).
 */
function baseline(text: string, n: number): number {
  let best = Number.POSITIVE_INFINITY;
  try {
    const event = JSON.parse(text);
    for (let i = 0; i < n; i++) {
      const start = performance.now();
      JSON.parse(JSON.stringify(event));
      best = Math.min(best, performance.now() - start);
    }
  } catch {
    return Number.NaN;
  }
  return best;
}

async function onCase(id: number, text: string, limit: { factor: number; floorMs: number }): Promise<void> {
  const data = Buffer.from(text, 'utf8').toString('base64');
  const baselineMs = baseline(text, 3);
  const allowed = Number.isFinite(baselineMs)
    ? Math.max(limit.floorMs, limit.factor * baselineMs)
    : limit.floorMs;
  // A second try only for a run over the limit: a GC pause or a busy machine should not fail a record.
  let k = await timeKinesis(data);
  if (k.ms > allowed) {
    const again = await timeKinesis(data);
    if (again.ms < k.ms) k = again;
  }
  let f = await timeFirehose(data);
  if (f.ms > allowed) {
    const again = await timeFirehose(data);
    if (again.ms < f.ms) f = again;
  }
  process.send?.({
    type: 'result',
    id,
    bytes: text.length,
    baselineMs,
    kinesisMs: k.ms,
    firehoseMs: f.ms,
    kinesis: k.outcome,
    firehose: f.outcome,
  });
}

process.on('message', (message: { type: string; [k: string]: unknown }) => {
  if (message.type === 'init') {
    const env = message.env as Record<string, string>;
    void (async () => {
      kinesis = await fuzzRuntime(env);
      firehose = await fuzzRuntime(env);
      // Warm up: the first batch pays for compiling the pipeline, which is no record's fault.
      const warm = Buffer.from(
        JSON.stringify({ event_type: '_session.start', attributes: { a: 'b' } }),
      ).toString('base64');
      for (let i = 0; i < 20; i++) {
        await timeKinesis(warm);
        await timeFirehose(warm);
      }
      process.send?.({ type: 'ready' });
    })();
  } else if (message.type === 'case') {
    void onCase(
      message.id as number,
      message.text as string,
      message.limit as { factor: number; floorMs: number },
    );
  }
});
