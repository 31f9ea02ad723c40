import middy from '@middy/core';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { processFirehoseBatch } from '../src/batch/firehose';
import { loadConfig } from '../src/config';
import { createRuntime } from '../src/runtime';

// Cold start: see handlers/kinesis.ts.
const runtime = createRuntime(loadConfig(process.env));
runtime.catch(() => undefined);

/** Firehose data transformation: every recordId back once, Ok with partition keys / Dropped / ProcessingFailed. */
export const handler = middy<FirehoseTransformationEvent, FirehoseTransformationResult>().handler(
  async (event, context) =>
    processFirehoseBatch(event, await runtime, () => context.getRemainingTimeInMillis()),
);
