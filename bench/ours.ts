/** Our handlers, exactly as deployed (middy + the batch processors), with sinks that do no I/O. */
import middy from '@middy/core';
import type {
  Context,
  FirehoseTransformationEvent,
  FirehoseTransformationResult,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
} from 'aws-lambda';
import { processFirehoseBatch } from '../src/batch/firehose';
import { processKinesisBatch } from '../src/batch/kinesis';
import { loadConfig } from '../src/config';
import { createRuntime, type Runtime } from '../src/runtime';
import { gzipLines } from '../src/sinks/gzipLines';
import type { Sinks } from '../src/sinks/ports';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** No I/O at all. */
export const noopSinks: Sinks = {
  archive: { put: async () => undefined },
  alerts: { publish: async () => ({ failed: [] }) },
};

/** Does what the S3 adapter does before the network: gzip each archive object (at the default level). */
export const gzipSinks: Sinks = {
  archive: {
    put: async (object) => {
      await gzipLines(object.lines, loadConfig({}).archive.gzipLevel);
    },
  },
  alerts: { publish: async () => ({ failed: [] }) },
};

export async function benchRuntime(sinks: Sinks): Promise<Runtime> {
  return createRuntime(loadConfig({ PII_HASH_KEY: 'bench-key-0123456789abcdef', LOG_LEVEL: 'silent' }), {
    sinks,
    logger: silent,
  });
}

const context = { getRemainingTimeInMillis: () => 300_000 } as unknown as Context;

export function oursFirehose(runtime: Runtime) {
  const handler = middy<FirehoseTransformationEvent, FirehoseTransformationResult>().handler(
    async (event, ctx) => processFirehoseBatch(event, runtime, () => ctx.getRemainingTimeInMillis()),
  );
  return (event: FirehoseTransformationEvent) => handler(event, context);
}

export function oursKinesis(runtime: Runtime) {
  const handler = middy<KinesisStreamEvent, KinesisStreamBatchResponse>().handler(async (event, ctx) =>
    processKinesisBatch(event, runtime, () => ctx.getRemainingTimeInMillis()),
  );
  return (event: KinesisStreamEvent) => handler(event, context);
}
