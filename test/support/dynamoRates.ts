import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../../src/config';
import { createJsonLogger } from '../../src/logger';
import { createAwsSinks } from '../../src/sinks/aws/createAwsSinks';
import type { RateStore } from '../../src/sinks/rateStore';

export const RATE_TABLE = 'pinpoint-rates';

/**
 * The rate store exactly as a Lambda builds it (loadConfig → createAwsSinks: its timeouts, retry mode and
 * attempts), pointed at `endpoint` (dynalite, or a FaultProxy in front of it).
 */
export function dynamoRateStore(endpoint: string, env: Record<string, string> = {}): RateStore {
  const config = loadConfig({
    SINKS: 'aws',
    ARCHIVE_BUCKET: 'archive',
    ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:alerts',
    PII_HASH_KEY: 'k'.repeat(32),
    RATE_TABLE,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    SINK_CONNECT_TIMEOUT_MS: '300',
    SINK_REQUEST_TIMEOUT_MS: '2000',
    SINK_MAX_ATTEMPTS: '3',
    ...env,
  });
  const rates = createAwsSinks(config, createJsonLogger('silent')).rates;
  if (rates === undefined) throw new Error('createAwsSinks made no rate store');
  return rates;
}

/** Reads and writes items of the rate table directly (what the store's IAM policy would not allow it). */
export class RawRateTable {
  private readonly client: DynamoDBClient;

  constructor(endpoint: string) {
    this.client = new DynamoDBClient({ endpoint });
  }

  async get(pk: string): Promise<Record<string, AttributeValue> | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: RATE_TABLE, Key: { pk: { S: pk } }, ConsistentRead: true }),
    );
    return out.Item;
  }

  async put(item: Record<string, AttributeValue>): Promise<void> {
    await this.client.send(new PutItemCommand({ TableName: RATE_TABLE, Item: item }));
  }

  destroy(): void {
    this.client.destroy();
  }
}
