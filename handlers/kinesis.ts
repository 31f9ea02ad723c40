import middy from '@middy/core';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { processKinesisBatch } from '../src/batch/kinesis';
import { loadConfig } from '../src/config';
import { createRuntime } from '../src/runtime';

// Cold start: configuration errors throw here and fail the init; the PII key may need Secrets Manager, so
// the rest is a promise that each invocation awaits (and that rejects every invocation if it failed).
const runtime = createRuntime(loadConfig(process.env));
runtime.catch(() => undefined);

/** Kinesis event source mapping (with ReportBatchItemFailures): normalize, enrich, route, archive. */
export const handler = middy<KinesisStreamEvent, KinesisStreamBatchResponse>().handler(
  async (event, context) =>
    processKinesisBatch(event, await runtime, () => context.getRemainingTimeInMillis()),
);
