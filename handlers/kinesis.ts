import middy from '@middy/core';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { processKinesisBatch } from '../src/batch/kinesis';
import { coldStart } from '../src/coldStart';
import { loadConfig } from '../src/config';
import { createObservability } from '../src/observability/createObservability';
import { createRuntime } from '../src/runtime';

// Cold start: configuration errors throw here and fail the init. Logger and metrics are built now, for the
// middlewares; the rest may need Secrets Manager, so it is a promise each invocation awaits (src/coldStart.ts:
// a configuration error fails every invocation; an outage only this one, and the next one builds again).
const config = loadConfig(process.env);
const observability = createObservability(config);
const runtime = coldStart(() => createRuntime(config, observability));

/** Kinesis event source mapping (with ReportBatchItemFailures): normalize, enrich, route, archive. */
export const handler = middy<KinesisStreamEvent, KinesisStreamBatchResponse>()
  .use(observability.middlewares)
  .handler(async (event, context) =>
    processKinesisBatch(event, await runtime(), () => context.getRemainingTimeInMillis()),
  );
