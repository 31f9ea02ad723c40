import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { SinkError } from '../../../src/errors';
import { DynamoRateStore } from '../../../src/sinks/aws/DynamoRateStore';
import type { RateCounterRef } from '../../../src/sinks/rateStore';

const dynamo = mockClient(DynamoDBClient);
beforeEach(() => dynamo.reset());

const store = new DynamoRateStore(new DynamoDBClient({}), { table: 'rates' });
const counter: RateCounterRef = {
  id: 'bounces:f00d:w1:g1',
  rule: 'bounces',
  windowStart: '2026-12-07T10:00:00.000Z',
  windowEnd: '2026-12-07T10:05:00.000Z',
  group: null,
  expiresAt: 1_796_000_000,
};
const refused = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const updates = () => dynamo.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);

/** What is left of an expression without its placeholders, keywords, functions and operators: nothing. */
function residue(expression: string | undefined): string {
  return (expression ?? '')
    .replace(/[#:][nv]\d+/g, ' ')
    .replace(
      /\b(SET|ADD|DELETE|REMOVE|AND|OR|NOT|attribute_not_exists|attribute_exists|contains|if_not_exists)\b/g,
      ' ',
    )
    .replace(/[()=<,]/g, ' ')
    .trim();
}

/** Every primitive once, the conditions holding. */
async function everyPrimitive(): Promise<void> {
  await store.add(
    counter,
    { delivered: 1, 'odd:outcome': 2 },
    { kind: 'sequence', lane: 's:1', first: '1', last: '2' },
  );
  await store.add(counter, { delivered: 1 }, { kind: 'batch', batchId: 'b1' });
  await store.openBatch('b1', [counter.id], 1_796_000_000);
  await store.settleBatch('b1', [counter.id]);
  await store.clearInFlight(counter, 'b1');
  await store.claimAlert(counter, 'A', 1, 2);
  await store.settleAlert(counter, 'A', 'sent');
  await store.settleAlert(counter, 'A', 'released');
}

describe('DynamoRateStore requests', () => {
  it('names every attribute and value through placeholders, each of them used', async () => {
    dynamo.on(UpdateItemCommand).resolves({ Attributes: { pk: { S: counter.id } } });
    await everyPrimitive();
    const inputs = updates();
    expect(inputs).toHaveLength(8);
    for (const input of inputs) {
      expect(input.TableName).toBe('rates');
      expect(input.Key).toEqual(expect.objectContaining({ pk: { S: expect.any(String) } }));
      expect(residue(input.UpdateExpression)).toBe('');
      expect(residue(input.ConditionExpression)).toBe('');
      const text = `${input.UpdateExpression} ${input.ConditionExpression}`;
      for (const placeholder of [
        ...Object.keys(input.ExpressionAttributeNames ?? {}),
        ...Object.keys(input.ExpressionAttributeValues ?? {}),
      ]) {
        expect(text).toMatch(new RegExp(`${placeholder}\\b`));
      }
    }
    expect(dynamo.calls().every((c) => c.args[0] instanceof UpdateItemCommand)).toBe(true);
  });

  it('reads with ConsistentRead after a refused condition, and only then', async () => {
    dynamo.on(UpdateItemCommand).rejects(refused());
    dynamo.on(GetItemCommand).resolves({ Item: { pk: { S: counter.id }, 'c:delivered': { N: '7' } } });
    const added = await store.add(counter, { delivered: 1 }, { kind: 'batch', batchId: 'b1' });
    expect(added).toEqual({
      applied: false,
      item: { counts: { delivered: 7 }, highWater: {}, inFlight: [] },
    });
    expect(dynamo.commandCalls(GetItemCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: 'rates', Key: { pk: { S: counter.id } }, ConsistentRead: true },
    ]);
    // Refused settles and claims are answers, without a read.
    expect(await store.claimAlert(counter, 'A', 1, 2)).toBe(false);
    await store.settleAlert(counter, 'A', 'sent');
    await store.clearInFlight(counter, 'b1');
    await store.settleBatch('b1', ['c1']);
    expect(dynamo.commandCalls(GetItemCommand)).toHaveLength(1);
  });

  it('sets no empty set: a batch without counters has no pending attribute, and settling nothing sends nothing', async () => {
    dynamo.on(UpdateItemCommand).resolves({});
    await store.openBatch('b-empty', [], 1_796_000_000);
    await store.settleBatch('b-empty', []);
    const [open] = updates() as [UpdateItemCommandInput];
    expect(updates()).toHaveLength(1);
    expect(Object.values(open.ExpressionAttributeNames ?? {})).not.toContain('pending');
    await store.openBatch('b-twice', ['c1', 'c1', 'c2'], 1_796_000_000);
    expect(Object.values(updates()[1]?.ExpressionAttributeValues ?? {})).toContainEqual({ SS: ['c1', 'c2'] });
  });

  it('turns any other error into a retryable SinkError naming the operation, the table and the key', async () => {
    dynamo
      .on(UpdateItemCommand)
      .rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    const err = await store.clearInFlight(counter, 'b1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkError);
    expect(err).toMatchObject({ sink: 'rates', retryable: true });
    expect((err as Error).message).toBe(
      `UpdateItem rates '${counter.id}' failed: TimeoutError: socket hang up`,
    );
  });

  it('checks its input before sending anything', async () => {
    await expect(
      store.add({ ...counter, id: 'x'.repeat(513) }, { a: 1 }, { kind: 'batch', batchId: 'b' }),
    ).rejects.toThrow(RangeError);
    await expect(store.settleAlert(counter, 'x'.repeat(257), 'sent')).rejects.toThrow(RangeError);
    expect(dynamo.calls()).toHaveLength(0);
  });
});
