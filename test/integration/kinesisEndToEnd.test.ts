import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { QuarantineLine, RawArchiveLine } from '../../src/sinks/archiveLine';
import { lambdaContext, loadHandler } from '../helpers/loadHandler';
import { FAMILIES, rawEvents, TEST_PII_KEY } from '../helpers/runtime';
import { S3Reader } from '../support/s3Reader';
import { type Started, startKinesalite, startS3rver } from '../support/servers';
import { SnsTestServer } from '../support/snsServer';

jest.setTimeout(60_000);

const BUCKET = 'archive';
const STREAM = 'pinpoint-events';

let kinesisServer: Started;
let s3: Started;
let sns: SnsTestServer;
let snsUrl: string;
let kinesis: KinesisClient;
let reader: S3Reader;

beforeAll(async () => {
  [kinesisServer, s3] = await Promise.all([startKinesalite(), startS3rver([BUCKET])]);
  sns = new SnsTestServer();
  snsUrl = await sns.start();
  reader = new S3Reader(s3.url, BUCKET);
  // kinesalite speaks HTTP/1.1 only: the SDK's HTTP/2 default for Kinesis does not work against it.
  kinesis = new KinesisClient({
    endpoint: kinesisServer.url,
    region: 'us-east-1',
    requestHandler: new NodeHttpHandler(),
  });
});

afterAll(async () => {
  kinesis?.destroy();
  await sns.stop();
  await Promise.all([kinesisServer.stop(), s3.stop()]);
});

function handlerFor(prefix: string) {
  return loadHandler<KinesisStreamEvent, KinesisStreamBatchResponse>('kinesis', {
    SINKS: 'aws',
    ARCHIVE_BUCKET: BUCKET,
    ARCHIVE_PREFIX: prefix,
    ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:pinpoint-alerts',
    AWS_ENDPOINT_URL_S3: s3.url,
    AWS_ENDPOINT_URL_SNS: snsUrl,
    PII_HASH_KEY: TEST_PII_KEY,
    LOG_LEVEL: 'silent',
  });
}

/** Puts the events into a real stream and reads them back as the event source mapping would deliver them. */
async function throughKinesis(payloads: Buffer[]): Promise<KinesisStreamEvent> {
  await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 1 }));
  let summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }));
  while (summary.StreamDescriptionSummary?.StreamStatus !== 'ACTIVE') {
    await new Promise((r) => setTimeout(r, 20));
    summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }));
  }
  const arn = summary.StreamDescriptionSummary?.StreamARN as string;
  const put = await kinesis.send(
    new PutRecordsCommand({
      StreamName: STREAM,
      Records: payloads.map((data, i) => ({ Data: data, PartitionKey: `pk-${i % 3}` })),
    }),
  );
  expect(put.FailedRecordCount).toBe(0);
  expect(put.Records?.map((r) => r.ErrorCode)).toEqual(payloads.map(() => undefined));

  const shards = await kinesis.send(new ListShardsCommand({ StreamName: STREAM }));
  const shardId = shards.Shards?.[0]?.ShardId as string;
  const iterator = await kinesis.send(
    new GetShardIteratorCommand({ StreamName: STREAM, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
  );
  const got = await kinesis.send(
    new GetRecordsCommand({ ShardIterator: iterator.ShardIterator, Limit: 10_000 }),
  );
  const records = got.Records ?? [];
  expect(records).toHaveLength(payloads.length);
  return {
    Records: records.map(
      (r): KinesisStreamRecord => ({
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: r.PartitionKey as string,
          sequenceNumber: r.SequenceNumber as string,
          data: Buffer.from(r.Data as Uint8Array).toString('base64'),
          approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp as Date).getTime() / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shardId}:${r.SequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::123456789012:role/test',
        awsRegion: 'us-east-1',
        eventSourceARN: arn,
      }),
    ),
  };
}

/** Rebuilds the Lambda event from an archived raw batch: the replay path. */
function fromRawArchive(lines: string[], template: KinesisStreamRecord): KinesisStreamEvent {
  return {
    Records: lines.map((l) => {
      const raw = JSON.parse(l) as RawArchiveLine;
      const data =
        raw.data !== undefined
          ? Buffer.from(raw.data, 'utf8').toString('base64')
          : (raw.data_base64 as string);
      return {
        ...template,
        eventID: `${template.eventID.split(':')[0]}:${raw.id}`,
        kinesis: {
          ...template.kinesis,
          sequenceNumber: raw.id,
          partitionKey: raw.partition_key as string,
          approximateArrivalTimestamp: raw.approximate_arrival_ms / 1000,
          data,
        },
      };
    }),
  };
}

describe('Kinesis end to end (kinesalite → handler → s3rver, SNS)', () => {
  it('processes what Kinesis delivers, and a replay of the raw archive gives identical normalized output', async () => {
    const events = FAMILIES.flatMap((f) => rawEvents(f));
    const poison = [Buffer.from('{"event_type":'), Buffer.from([0xc3, 0x28]), Buffer.from('[]')];
    const payloads = [...events.map((e) => Buffer.from(`${JSON.stringify(e)}\n`)), ...poison];
    const event = await throughKinesis(payloads);

    const first = await handlerFor('live')(event, lambdaContext());
    expect(first).toEqual({ batchItemFailures: [] });
    const live = await reader.snapshot('live/');
    const zone = (snap: Map<string, string[]>, z: string) =>
      [...snap].filter(([k]) => k.startsWith(`${z}/`)).flatMap(([, lines]) => lines);
    expect(zone(live, 'normalized')).toHaveLength(events.length);
    expect(
      zone(live, 'quarantine')
        .map((l) => (JSON.parse(l) as QuarantineLine).reason)
        .sort(),
    ).toEqual(['invalid_json', 'invalid_utf8', 'not_an_object']);
    expect(sns.delivered.length).toBeGreaterThan(0);

    const rawKeys = [...live.keys()].filter((k) => k.startsWith('raw/'));
    expect(rawKeys).toHaveLength(1);
    const replayEvent = fromRawArchive(
      live.get(rawKeys[0] as string) as string[],
      event.Records[0] as KinesisStreamRecord,
    );
    expect(replayEvent.Records.map((r) => r.kinesis.data)).toEqual(event.Records.map((r) => r.kinesis.data));

    const replay = await handlerFor('replay')(replayEvent, lambdaContext());
    expect(replay).toEqual({ batchItemFailures: [] });
    const replayed = await reader.snapshot('replay/');
    expect([...replayed.keys()]).toEqual([...live.keys()]);
    for (const [key, lines] of live) expect(replayed.get(key)).toEqual(lines);
  });
});
