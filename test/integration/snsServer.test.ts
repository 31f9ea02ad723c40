import {
  type MessageAttributeValue,
  PublishBatchCommand,
  type PublishBatchRequestEntry,
  PublishCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import { SNS_TEST_LIMITS, SnsTestServer } from '../support/snsServer';

jest.setTimeout(30_000);

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:limits';
let sns: SnsTestServer;
let client: SNSClient;

beforeAll(async () => {
  sns = new SnsTestServer();
  const endpoint = await sns.start();
  client = new SNSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  client.destroy();
  await sns.stop();
});

beforeEach(() => sns.reset());

const ATTRIBUTES: Record<string, MessageAttributeValue> = {
  rule: { DataType: 'String', StringValue: 'r€' },
};
// 'rule' + 'String' + 'r€' (1 + 3 bytes) + 'subject'
const OVERHEAD = 4 + 6 + 4 + 7;

/** A message of exactly `bytes` as SNS counts them, made of 3-byte characters and ASCII. */
function messageOf(bytes: number): string {
  const body = bytes - OVERHEAD;
  return '\u20ac'.repeat(Math.floor(body / 3)) + 'x'.repeat(body % 3);
}

async function errorOf(send: Promise<unknown>): Promise<{ name: string; status?: number }> {
  try {
    await send;
  } catch (err) {
    const e = err as { name: string; $metadata?: { httpStatusCode?: number } };
    return {
      name: e.name,
      ...(e.$metadata?.httpStatusCode !== undefined && { status: e.$metadata.httpStatusCode }),
    };
  }
  throw new Error('expected the request to be refused');
}

describe('the test SNS server refuses what SNS refuses, through the real SDK', () => {
  it('takes a message of exactly 256 KiB with its subject and attributes, and refuses one byte more', async () => {
    const publish = (bytes: number) =>
      client.send(
        new PublishCommand({
          TopicArn: TOPIC,
          Subject: 'subject',
          Message: messageOf(bytes),
          MessageAttributes: ATTRIBUTES,
        }),
      );
    await expect(publish(SNS_TEST_LIMITS.messageBytes)).resolves.toHaveProperty('MessageId');
    expect(await errorOf(publish(SNS_TEST_LIMITS.messageBytes + 1))).toEqual({
      name: 'InvalidParameterException',
      status: 400,
    });
    expect(sns.rejected.map((r) => r.code)).toEqual(['InvalidParameter']);
    expect(sns.accepted).toHaveLength(1);
    // A client error: the SDK does not retry it.
    expect(sns.requests).toBe(2);
  });

  it.each([
    ['100 characters', 'x'.repeat(100)],
    ['a line break', 'two\nlines'],
    ['a control character', 'bell\u0007'],
    ['a non-ASCII character', 'caf\u00e9'],
    ['a leading space', ' subject'],
    ['nothing', ''],
  ])('refuses a subject with %s', async (_, subject) => {
    expect(
      await errorOf(client.send(new PublishCommand({ TopicArn: TOPIC, Subject: subject, Message: 'm' }))),
    ).toEqual({ name: 'InvalidParameterException', status: 400 });
  });

  it('takes a subject of 99 printable ASCII characters', async () => {
    await client.send(new PublishCommand({ TopicArn: TOPIC, Subject: `[${'x'.repeat(98)}`, Message: 'm' }));
    expect(sns.accepted).toHaveLength(1);
  });

  it('refuses an empty attribute value and an empty message', async () => {
    const attrs = { rule: { DataType: 'String', StringValue: '' } };
    expect(
      await errorOf(
        client.send(new PublishCommand({ TopicArn: TOPIC, Message: 'm', MessageAttributes: attrs })),
      ),
    ).toEqual({ name: 'InvalidParameterValueException', status: 400 });
    expect(await errorOf(client.send(new PublishCommand({ TopicArn: TOPIC, Message: '' })))).toEqual({
      name: 'InvalidParameterException',
      status: 400,
    });
  });

  describe('PublishBatch', () => {
    const entry = (
      id: string,
      bytes: number,
      extra: Partial<PublishBatchRequestEntry> = {},
    ): PublishBatchRequestEntry => ({
      Id: id,
      Subject: 'subject',
      Message: messageOf(bytes),
      MessageAttributes: ATTRIBUTES,
      ...extra,
    });
    const batch = (entries: PublishBatchRequestEntry[]) =>
      client.send(new PublishBatchCommand({ TopicArn: TOPIC, PublishBatchRequestEntries: entries }));

    it('takes 10 entries of exactly 256 KiB in all, and refuses one byte more', async () => {
      const entries = Array.from({ length: 10 }, (_, i) =>
        entry(`e${i}`, i === 9 ? 262_144 - 9 * 26_000 : 26_000),
      );
      const ok = await batch(entries);
      expect(ok.Successful).toHaveLength(10);
      entries[9] = entry('e9', 262_144 - 9 * 26_000 + 1);
      expect(await errorOf(batch(entries))).toEqual({ name: 'BatchRequestTooLongException', status: 400 });
    });

    it('refuses 11 entries', async () => {
      const entries = Array.from({ length: 11 }, (_, i) => entry(`e${i}`, 100));
      expect(await errorOf(batch(entries))).toEqual({
        name: 'TooManyEntriesInBatchRequestException',
        status: 400,
      });
    });

    it('fails an invalid entry alone, as a sender fault', async () => {
      const out = await batch([
        entry('good', 100),
        entry('subject', 100, { Subject: 'x'.repeat(100) }),
        entry('attribute', 100, { MessageAttributes: { rule: { DataType: 'String', StringValue: '' } } }),
      ]);
      expect(out.Successful?.map((s) => s.Id)).toEqual(['good']);
      expect(out.Failed?.map((f) => [f.Id, f.Code, f.SenderFault])).toEqual([
        ['subject', 'InvalidParameter', true],
        ['attribute', 'ParameterValueInvalid', true],
      ]);
    });
  });
});
