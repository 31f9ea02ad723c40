import middy from '@middy/core';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { processFirehoseBatch } from '../src/batch/firehose';
import { coldStart } from '../src/coldStart';
import { loadConfig } from '../src/config';
import { createObservability } from '../src/observability/createObservability';
import { createRuntime } from '../src/runtime';

// Cold start: see handlers/kinesis.ts.
const config = loadConfig(process.env);
const observability = createObservability(config);
const runtime = coldStart(() => createRuntime(config, observability));

/** Firehose data transformation: every recordId back once, Ok with partition keys / Dropped / ProcessingFailed. */
export const handler = middy<FirehoseTransformationEvent, FirehoseTransformationResult>()
  .use(observability.middlewares)
  .handler(async (event, context) =>
    processFirehoseBatch(event, await runtime(), () => context.getRemainingTimeInMillis()),
  );
