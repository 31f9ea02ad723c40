/**
 * Builds the Lambda events in events/ from the raw service events in events/raw/:
 * `kinesis-<family>.json` and `firehose-<family>.json` for every family, and `*-mixed.json` with a few
 * events of each family, the lenient cases real data brings, and one record of every poison class.
 * First it writes the raw files derived from others: events/raw/ses-eventbridge.json is every SES sample of
 * events/raw/ses.json as SES publishes it to EventBridge and a rule delivers it (the whole envelope), and
 * events/raw/ses-sns.json the same samples as an SNS topic delivers them to a Firehose stream subscribed without
 * raw message delivery (the whole notification).
 *
 *   npm run fixtures
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sesToEventBridge } from '../src/fixtures/eventBridge';
import { sesToSns } from '../src/fixtures/sns';
import { arrivalOf, type FixtureRecord, toFirehoseEvent, toKinesisEvent } from '../src/fixtures/wrap';

const root = join(__dirname, '..', 'events');
const rawDir = join(root, 'raw');

type RawEvent = Record<string, unknown>;

const readRaw = (family: string): RawEvent[] =>
  JSON.parse(readFileSync(join(rawDir, `${family}.json`), 'utf8')) as RawEvent[];

/** Raw files made here from another one. They come after the others, so that existing shard numbers stay. */
const DERIVED: ReadonlyArray<{ family: string; from: string; build: (event: RawEvent) => RawEvent }> = [
  { family: 'ses-eventbridge', from: 'ses', build: sesToEventBridge },
  { family: 'ses-sns', from: 'ses', build: sesToSns },
];

for (const { family, from, build } of DERIVED) {
  writeFileSync(join(rawDir, `${family}.json`), `${JSON.stringify(readRaw(from).map(build), null, 2)}\n`);
  console.log(`events/raw/${family}.json`);
}

const derived = new Set(DERIVED.map((d) => d.family));
const families = [
  ...readdirSync(rawDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .filter((family) => !derived.has(family))
    .sort((a, b) => a.localeCompare(b)),
  ...derived,
].map((family) => ({ family, events: readRaw(family) }));

const asRecord = (event: RawEvent): FixtureRecord => ({
  data: Buffer.from(JSON.stringify(event), 'utf8'),
  arrivalMs: arrivalOf(event),
  // EventBridge's Kinesis target, without a partition key path, keys by the event's id.
  partitionKey: String(
    (event.application as { app_id?: string } | undefined)?.app_id ??
      event.eventType ??
      event.id ??
      event.MessageId ??
      'pk',
  ),
});

function write(name: string, value: unknown): void {
  writeFileSync(join(root, name), `${JSON.stringify(value, null, 2)}\n`);
  console.log(`events/${name}`);
}

/** A Kinesis shard id of 12 digits, as Kinesis writes them. */
const shardId = (n: number) => `shardId-${String(n).padStart(12, '0')}`;

/**
 * Shard numbers: the files that existed first keep theirs (tests name them), the mixed file has 9, and files
 * added later take the numbers after it, in the order of `families`.
 */
const FIRST_SHARDS = ['app', 'campaign', 'email', 'eum', 'journey', 'ses', 'sms', 'ses-eventbridge'];
const MIXED_SHARD = 9;
const later = families.map((f) => f.family).filter((family) => !FIRST_SHARDS.includes(family));
const shardOf = (family: string) =>
  FIRST_SHARDS.includes(family) ? FIRST_SHARDS.indexOf(family) : MIXED_SHARD + 1 + later.indexOf(family);

families.forEach(({ family, events }) => {
  const records = events.map(asRecord);
  write(`kinesis-${family}.json`, toKinesisEvent(records, { shardId: shardId(shardOf(family)) }));
  write(`firehose-${family}.json`, toFirehoseEvent(records));
});

/** Lenient cases: well-formed events that real streams deliver in messy shapes. None of them is poison. */
function lenient(): FixtureRecord[] {
  const email = families.find((f) => f.family === 'email')?.events[0] as RawEvent;
  const sms = families.find((f) => f.family === 'sms')?.events[0] as RawEvent;
  const campaign = families.find((f) => f.family === 'campaign')?.events[0] as RawEvent;
  const arrival = arrivalOf(email);
  const text = (s: string): FixtureRecord => ({ data: Buffer.from(s, 'utf8'), arrivalMs: arrival });
  const secondsAndStrings = {
    ...sms,
    event_timestamp: Math.floor(Number(sms.event_timestamp) / 1000),
    arrival_timestamp: String(sms.arrival_timestamp),
    metrics: { price_in_millicents_usd: '645' },
  };
  const { device: _d, session: _s, ...bare } = email;
  const brokenEndpoint = {
    ...campaign,
    client_context: { custom: { endpoint: '{"ChannelType":"EMAIL","Address":' } },
  };
  return [
    text(`\uFEFF${JSON.stringify(email)}`),
    text(`  ${JSON.stringify(sms)}\n`),
    text(JSON.stringify(secondsAndStrings)),
    text(JSON.stringify(bare)),
    text(JSON.stringify(brokenEndpoint)),
    text(
      JSON.stringify({
        event_type: 'LevelCompleted',
        event_timestamp: 1763650000000,
        arrival_timestamp: 1763650000300,
        application: { app_id: 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6' },
      }),
    ),
    // An EventBridge event of another service, from a rule wider than the stack's own.
    text(
      JSON.stringify({
        version: '0',
        id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
        'detail-type': 'AWS Health Event',
        source: 'aws.health',
        account: '123456789012',
        time: '2025-11-20T14:46:39Z',
        region: 'us-east-1',
        resources: [],
        detail: { service: 'SES', eventTypeCategory: 'issue', eventTypeCode: 'AWS_SES_OPERATIONAL_ISSUE' },
      }),
    ),
    // A topic the SES events share with other publishers: its notifications of plain text.
    text(
      JSON.stringify({
        Type: 'Notification',
        MessageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
        TopicArn: 'arn:aws:sns:us-east-1:123456789012:ses-events',
        Subject: 'Deploy finished',
        Message: 'Release 2025.11.20 is live',
        Timestamp: '2025-11-20T14:46:39.512Z',
        UnsubscribeURL:
          'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:123456789012:ses-events:0b410f3c-ee5e-49d8-b59b-3b4aa6d8fcf5',
      }),
    ),
    text(
      JSON.stringify({
        event_type: '_push.future_event',
        event_timestamp: 1763650000000,
        application: { app_id: 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6' },
      }),
    ),
  ];
}

/** One record of every poison class. The invalid-base64 one is patched into the events after wrapping. */
const POISON: Array<{ name: string; data: Buffer }> = [
  { name: 'invalid_utf8', data: Buffer.from([0x7b, 0x22, 0x65, 0xff, 0xfe, 0x22, 0x7d]) },
  {
    name: 'invalid_json (truncated)',
    data: Buffer.from('{"event_type":"_email.send","event_timestamp":17636', 'utf8'),
  },
  { name: 'not_an_object (array)', data: Buffer.from('[{"event_type":"_email.send"}]', 'utf8') },
  { name: 'not_an_object (scalar)', data: Buffer.from('42', 'utf8') },
  { name: 'not_an_object (null)', data: Buffer.from('null', 'utf8') },
  {
    name: 'missing_event_type',
    data: Buffer.from('{"application":{"app_id":"a1b2"},"attributes":{}}', 'utf8'),
  },
  { name: 'empty_record', data: Buffer.from('   \n', 'utf8') },
];
const INVALID_BASE64 = 'eyJldmVudF90eXBlIjoi*not-base64*';

const mixed: FixtureRecord[] = [];
for (const { events } of families) mixed.push(...events.slice(0, 2).map(asRecord));
mixed.push(...lenient());
const poisonAt = mixed.length;
const arrival = mixed[mixed.length - 1]?.arrivalMs ?? 0;
mixed.push(...POISON.map((p) => ({ data: p.data, arrivalMs: arrival })));
mixed.push({ data: Buffer.from('placeholder'), arrivalMs: arrival });
// A last healthy record after the poison, so that tests see processing continue past it.
mixed.push(asRecord(families.find((f) => f.family === 'app')?.events[1] as RawEvent));

const kinesisMixed = toKinesisEvent(mixed, { shardId: shardId(MIXED_SHARD) });
const firehoseMixed = toFirehoseEvent(mixed);
const badIndex = poisonAt + POISON.length;
(kinesisMixed.Records[badIndex] as (typeof kinesisMixed.Records)[number]).kinesis.data = INVALID_BASE64;
(firehoseMixed.records[badIndex] as (typeof firehoseMixed.records)[number]).data = INVALID_BASE64;
write('kinesis-mixed.json', kinesisMixed);
write('firehose-mixed.json', firehoseMixed);
