import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Config } from '../../config';
import { ConfigError } from '../../errors';
import type { Logger } from '../../logger';
import type { Sinks } from '../ports';
import { DynamoRateStore } from './DynamoRateStore';
import { S3ArchiveSink } from './S3ArchiveSink';
import { SnsAlertSink } from './SnsAlertSink';

/**
 * Told of each call of a sink's SDK client: which sink, the attempts it made (retries = attempts − 1) and whether
 * it succeeded. The runtime hands in its telemetry's `sinkCall`: the adapters report, they know no telemetry.
 */
export type SinkCallListener = (sink: 'archive' | 'alerts', attempts: number) => void;

/**
 * Builds the S3 and SNS clients once per cold start, with bounded timeouts and the SDK's standard retry
 * mode, so that a sink outage turns into a failed write well before the Lambda deadline. The SDK reads
 * `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL_SNS` itself; with a custom S3 endpoint the client uses path-style
 * addressing and computes checksums only where required, as S3-compatible stores expect. With `RATE_TABLE`,
 * a DynamoDB client with the same settings (and `AWS_ENDPOINT_URL_DYNAMODB`) backs the rate store.
 */
export function createAwsSinks(
  config: Config,
  logger: Logger,
  onSinkCall: SinkCallListener = () => undefined,
  pii: { fingerprint?: string; refuseOtherKey?: boolean } = {},
): Sinks {
  const { bucket, prefix, kmsKeyId } = config.archive;
  const topicArn = config.alertTopicArn;
  if (bucket === undefined || topicArn === undefined) {
    throw new ConfigError('SINKS=aws needs ARCHIVE_BUCKET and ALERT_TOPIC_ARN');
  }
  const { connectTimeoutMs, requestTimeoutMs, maxAttempts, s3Endpoint, snsEndpoint, dynamodbEndpoint } =
    config.aws;
  const common = {
    maxAttempts,
    retryMode: 'standard',
    // Without throwOnRequestTimeout, current @smithy/node-http-handler only logs a warning when the timeout
    // passes and keeps waiting (measured here: an 800 ms timeout still waited 3 s for a slow server).
    requestHandler: {
      connectionTimeout: connectTimeoutMs,
      requestTimeout: requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  } as const;
  const s3 = new S3Client({
    ...common,
    ...(s3Endpoint !== undefined && {
      endpoint: s3Endpoint,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
  });
  const sns = new SNSClient({ ...common, ...(snsEndpoint !== undefined && { endpoint: snsEndpoint }) });
  const rateTable = config.rates.table;
  return {
    archive: new S3ArchiveSink(s3, {
      bucket,
      prefix,
      gzipLevel: config.archive.gzipLevel,
      onCall: (attempts) => onSinkCall('archive', attempts),
      ...(kmsKeyId !== undefined && { kmsKeyId }),
      ...(pii.fingerprint !== undefined && { piiKeyFingerprint: pii.fingerprint }),
      ...(pii.refuseOtherKey === true && { refuseOtherPiiKey: true }),
    }),
    alerts: new SnsAlertSink(sns, {
      topicArn,
      onFailure: (detail) => logger.warn('SNS did not accept alerts', detail),
      onCall: (attempts) => onSinkCall('alerts', attempts),
    }),
    ...(rateTable !== undefined && {
      rates: new DynamoRateStore(
        new DynamoDBClient({
          ...common,
          ...(dynamodbEndpoint !== undefined && { endpoint: dynamodbEndpoint }),
        }),
        { table: rateTable },
      ),
    }),
  };
}
