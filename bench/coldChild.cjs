// Child of bench/run.ts for the cold-start measurement (see coldStart() there). Plain Node, no loader.
//   node coldChild.cjs sdk                          — (b): require the S3, SNS and DynamoDB clients, one of each
//   node coldChild.cjs handler <bundle> <kinesis|firehose> — (c): what Lambda's init and first invocation do:
//     require the packaged handler, then invoke it once on an empty event
// The parent times the whole process; the last line printed here (`BENCH {...}`) has the in-process split.
const t0 = process.hrtime.bigint();
const ms = (from) => Number(process.hrtime.bigint() - from) / 1e6;

async function main() {
  const [mode, bundle, kind] = process.argv.slice(2);
  if (mode === 'sdk') {
    const { S3Client } = require('@aws-sdk/client-s3');
    const { SNSClient } = require('@aws-sdk/client-sns');
    const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
    new S3Client({});
    new SNSClient({});
    new DynamoDBClient({});
    return { initMs: ms(t0), invokeMs: 0 };
  }
  const { handler } = require(bundle);
  const initMs = ms(t0);
  const t1 = process.hrtime.bigint();
  const event =
    kind === 'firehose'
      ? {
          records: [],
          invocationId: '00540a87-5050-496a-84e4-e7d92bbaf5e2',
          deliveryStreamArn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/pinpoint-events',
          region: 'us-east-1',
        }
      : { Records: [] };
  const name = process.env.AWS_LAMBDA_FUNCTION_NAME;
  const started = Date.now();
  const out = await handler(event, {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: '2025/11/20/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => 60_000 - (Date.now() - started),
  });
  if (out === undefined || out === null) throw new Error('the handler returned nothing');
  return { initMs, invokeMs: ms(t1) };
}

main().then(
  (r) => console.log(`BENCH ${JSON.stringify(r)}`),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
