import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { describeError, SinkError } from '../../errors';
import {
  checkCounterIds,
  checkCounterRef,
  checkCounts,
  checkGuard,
  checkId,
  checkToken,
  checkWhole,
} from '../rateInputLimits';
import {
  batchKey,
  countAttr,
  counterDescription,
  counterItemOf,
  highWaterAttr,
  RATE_ATTR,
  type RateItemValue,
  stringSetOf,
} from '../rateItemLayout';
import type {
  RateAddGuard,
  RateAddResult,
  RateBatchMarker,
  RateCounterItem,
  RateCounterRef,
  RateCounts,
  RateStore,
} from '../rateStore';
import type { WriteOptions } from '../writeOptions';

export interface DynamoRateStoreOptions {
  /** The table: partition key `pk` (S), no sort key, TTL on `expires_at`. A name or a table ARN. */
  table: string;
}

/** What a conditional UpdateItem came to: the item after it, or the condition did not hold. */
type Outcome = { ok: true; attributes: Record<string, AttributeValue> | undefined } | { ok: false };

/**
 * The rate store in one DynamoDB table (docs/rate-store.md). Every primitive is one UpdateItem (a conditional
 * write of one item, atomic in DynamoDB) or one GetItem with `ConsistentRead` — nothing else, so the function's
 * IAM policy grants `dynamodb:UpdateItem` and `dynamodb:GetItem` only: no transaction, no scan, no delete
 * (DynamoDB TTL deletes items some time after `expires_at`).
 *
 * Items (every attribute name goes through ExpressionAttributeNames: they contain `:`, and `group` is a reserved
 * word):
 * - a counter at `pk` = the counter's id: `kind`, `rule`, `window_start`, `window_end`, `group` (S, or NULL for
 *   the other group) and `expires_at`, set by whichever write creates it (`if_not_exists`); a Number `c:<outcome>`
 *   per outcome (ADD); a String `hw:<lane>` per lane; the String Set `in_flight`; the alert mark `alert_state`
 *   (`claimed` | `sent`), `alert_token` and `alert_until` (N, epoch ms).
 * - a batch marker at `pk` = `batch#<batch id>`: `kind` = `batch`, the String Set `pending`, `expires_at`.
 *
 * Why each primitive is safe when writers race and when the SDK retries a call whose answer was lost (the
 * first attempt may have been applied):
 * - add, sequence guard: `attribute_not_exists(hw) OR hw < first`, then SET hw = last with the counts, in one
 *   write. Two writers of the same records cannot both pass (the second sees the first's mark); a retry of an
 *   applied add sees its own mark and is refused — `applied: false`, which is what happened. A lane's marks only
 *   rise, so an older batch replayed after a newer one is refused too.
 * - add, batch guard: `NOT contains(in_flight, batch)` (true when the set is absent), then ADD the batch to the
 *   set with the counts: the batch's id is the mark, until clearInFlight removes it once the batch's marker no
 *   longer lists the counter as pending.
 * - openBatch: `attribute_not_exists(pk)`: only the first creates the marker; a retry, or the batch coming back,
 *   reads the existing one (its pending list says what is left), never resets it.
 * - settleBatch, clearInFlight: DELETE from a set is idempotent. Their condition `attribute_exists(pk)` only keeps
 *   them from creating an item without `expires_at` (UpdateItem creates the item it does not find); a missing
 *   item means nothing to settle.
 * - claimAlert: `attribute_not_exists(alert_state) OR (alert_state = claimed AND (alert_until < now OR
 *   alert_token = token))`: one claimant at a time, a lapsed claim can be taken over, a sent alert never again;
 *   the same token taking its own claim again is what a retried claim looks like, and it must not lose it.
 * - settleAlert: `alert_token = token AND alert_state = claimed`: only the holder settles, once; a stranger or a
 *   retry after the settle changes nothing.
 *
 * AWS docs followed: UpdateItem (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html:
 * one item, atomic, creating the item it does not find), condition and update expressions
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html,
 * .../Expressions.UpdateExpressions.html: ADD and DELETE on numbers and sets, `if_not_exists`, `contains`), and
 * TTL (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html: an expired item may still be read
 * until it is deleted, within days).
 *
 * On a refused condition the add and openBatch read the item with a consistent GetItem (a read after the refused
 * write sees it or a later state, which is all the protocol needs). Throttling, 5xx and network errors are
 * retried by the client's standard retry mode within its maxAttempts (createAwsSinks); what remains, or the
 * WriteOptions signal at the deadline, rejects with a retryable `SinkError('rates', …)`.
 */
export class DynamoRateStore implements RateStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: DynamoRateStoreOptions,
  ) {}

  async add(
    counter: RateCounterRef,
    counts: RateCounts,
    guard: RateAddGuard,
    options?: WriteOptions,
  ): Promise<RateAddResult> {
    checkCounterRef(counter);
    checkCounts(counts);
    checkGuard(guard);
    const x = new Expression();
    const set = describe(x, counter);
    const add = Object.entries(counts).map(([outcome, n]) => `${x.name(countAttr(outcome))} ${x.value(n)}`);
    let condition: string;
    if (guard.kind === 'sequence') {
      const hw = x.name(highWaterAttr(guard.lane));
      condition = `attribute_not_exists(${hw}) OR ${hw} < ${x.value(guard.first)}`;
      set.unshift(`${hw} = ${x.value(guard.last)}`);
    } else {
      const inFlight = x.name(RATE_ATTR.inFlight);
      condition = `NOT contains(${inFlight}, ${x.value(guard.batchId)})`;
      add.push(`${inFlight} ${x.value([guard.batchId])}`);
    }
    const update = `SET ${set.join(', ')}${add.length > 0 ? ` ADD ${add.join(', ')}` : ''}`;
    const out = await this.update(counter.id, update, condition, x, options, 'ALL_NEW');
    if (out.ok) return { applied: true, item: counterItemOf(plainOf(out.attributes)) };
    return { applied: false, item: await this.get(counter, options) };
  }

  async get(counter: RateCounterRef, options?: WriteOptions): Promise<RateCounterItem | undefined> {
    checkCounterRef(counter);
    const item = await this.read(counter.id, options);
    return item === undefined ? undefined : counterItemOf(item);
  }

  async openBatch(
    batchId: string,
    counterIds: readonly string[],
    expiresAt: number,
    options?: WriteOptions,
  ): Promise<{ created: true } | { created: false; marker: RateBatchMarker }> {
    checkId('batch id', batchId);
    checkCounterIds(counterIds);
    checkWhole('expiresAt', expiresAt);
    const pk = batchKey(batchId);
    const x = new Expression();
    const set = [
      `${x.name(RATE_ATTR.kind)} = ${x.value('batch')}`,
      `${x.name(RATE_ATTR.expiresAt)} = ${x.value(expiresAt)}`,
    ];
    // DynamoDB refuses an empty set: a batch with no counters has no pending attribute.
    const ids = [...new Set(counterIds)];
    if (ids.length > 0) set.push(`${x.name(RATE_ATTR.pending)} = ${x.value(ids)}`);
    const out = await this.update(
      pk,
      `SET ${set.join(', ')}`,
      `attribute_not_exists(${x.name(RATE_ATTR.pk)})`,
      x,
      options,
    );
    if (out.ok) return { created: true };
    const item = await this.read(pk, options);
    if (item === undefined) {
      // Refused because it existed, gone at the read (TTL): the batch's next attempt creates it again.
      throw new SinkError(
        'rates',
        `batch marker '${pk}' in ${this.options.table} refused its creation but cannot be read`,
      );
    }
    return { created: false, marker: { batchId, pending: stringSetOf(item[RATE_ATTR.pending]) } };
  }

  async settleBatch(batchId: string, counterIds: readonly string[], options?: WriteOptions): Promise<void> {
    checkId('batch id', batchId);
    checkCounterIds(counterIds);
    if (counterIds.length === 0) return;
    const x = new Expression();
    const update = `DELETE ${x.name(RATE_ATTR.pending)} ${x.value([...new Set(counterIds)])}`;
    await this.update(batchKey(batchId), update, `attribute_exists(${x.name(RATE_ATTR.pk)})`, x, options);
  }

  async clearInFlight(counter: RateCounterRef, batchId: string, options?: WriteOptions): Promise<void> {
    checkCounterRef(counter);
    checkId('batch id', batchId);
    const x = new Expression();
    const update = `DELETE ${x.name(RATE_ATTR.inFlight)} ${x.value([batchId])}`;
    await this.update(counter.id, update, `attribute_exists(${x.name(RATE_ATTR.pk)})`, x, options);
  }

  async claimAlert(
    counter: RateCounterRef,
    token: string,
    nowMs: number,
    until: number,
    options?: WriteOptions,
  ): Promise<boolean> {
    checkCounterRef(counter);
    checkToken(token);
    checkWhole('nowMs', nowMs);
    checkWhole('until', until);
    const x = new Expression();
    const state = x.name(RATE_ATTR.alertState);
    const tokenName = x.name(RATE_ATTR.alertToken);
    const untilName = x.name(RATE_ATTR.alertUntil);
    const claimed = x.value('claimed');
    const tokenValue = x.value(token);
    const condition =
      `attribute_not_exists(${state}) OR ` +
      `(${state} = ${claimed} AND (${untilName} < ${x.value(nowMs)} OR ${tokenName} = ${tokenValue}))`;
    const set = [
      `${state} = ${claimed}`,
      `${tokenName} = ${tokenValue}`,
      `${untilName} = ${x.value(until)}`,
      ...describe(x, counter),
    ];
    return (await this.update(counter.id, `SET ${set.join(', ')}`, condition, x, options)).ok;
  }

  async settleAlert(
    counter: RateCounterRef,
    token: string,
    outcome: 'sent' | 'released',
    options?: WriteOptions,
  ): Promise<void> {
    checkCounterRef(counter);
    checkToken(token);
    const x = new Expression();
    const state = x.name(RATE_ATTR.alertState);
    const tokenName = x.name(RATE_ATTR.alertToken);
    const condition = `${tokenName} = ${x.value(token)} AND ${state} = ${x.value('claimed')}`;
    const update =
      outcome === 'sent'
        ? `SET ${state} = ${x.value('sent')}`
        : `REMOVE ${state}, ${tokenName}, ${x.name(RATE_ATTR.alertUntil)}`;
    await this.update(counter.id, update, condition, x, options);
  }

  /** One conditional UpdateItem: the condition not holding is an answer (`ok: false`), anything else a SinkError. */
  private async update(
    pk: string,
    update: string,
    condition: string,
    x: Expression,
    options: WriteOptions | undefined,
    returnValues: 'ALL_NEW' | 'NONE' = 'NONE',
  ): Promise<Outcome> {
    let out: UpdateItemCommandOutput;
    try {
      out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.options.table,
          Key: { [RATE_ATTR.pk]: { S: pk } },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: x.names,
          ExpressionAttributeValues: x.values,
          ReturnValues: returnValues,
        }),
        abortable(options),
      );
    } catch (err) {
      if ((err as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException')
        return { ok: false };
      throw this.failed('UpdateItem', pk, err);
    }
    return { ok: true, attributes: out.Attributes };
  }

  /** One consistent GetItem: the item's attributes as plain values, or undefined when there is none. */
  private async read(
    pk: string,
    options: WriteOptions | undefined,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const out = await this.client.send(
        new GetItemCommand({
          TableName: this.options.table,
          Key: { [RATE_ATTR.pk]: { S: pk } },
          ConsistentRead: true,
        }),
        abortable(options),
      );
      return out.Item === undefined ? undefined : plainOf(out.Item);
    } catch (err) {
      throw this.failed('GetItem', pk, err);
    }
  }

  private failed(operation: string, pk: string, err: unknown): SinkError {
    return new SinkError(
      'rates',
      `${operation} ${this.options.table} '${pk}' failed: ${describeError(err)}`,
      {
        cause: err,
      },
    );
  }
}

/** Placeholders for the names and values of one expression: every name through `#n<i>`, every value `:v<i>`. */
class Expression {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, AttributeValue> = {};
  private readonly byName = new Map<string, string>();

  name(attribute: string): string {
    let placeholder = this.byName.get(attribute);
    if (placeholder === undefined) {
      placeholder = `#n${this.byName.size}`;
      this.byName.set(attribute, placeholder);
      this.names[placeholder] = attribute;
    }
    return placeholder;
  }

  value(value: RateItemValue): string {
    const placeholder = `:v${Object.keys(this.values).length}`;
    this.values[placeholder] = attributeValueOf(value);
    return placeholder;
  }
}

/** The descriptive attributes and the TTL, set when the item does not have them yet. */
function describe(x: Expression, counter: RateCounterRef): string[] {
  return Object.entries(counterDescription(counter)).map(([attribute, value]) => {
    const name = x.name(attribute);
    return `${name} = if_not_exists(${name}, ${x.value(value)})`;
  });
}

function attributeValueOf(value: RateItemValue): AttributeValue {
  if (value === null) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  return { SS: [...value] };
}

/**
 * An item's attributes as plain values (S → string, N → number, SS → string[], NULL → null). Other types,
 * which this store never writes, are left out: the layout's readers ignore what they do not find.
 */
function plainOf(item: Record<string, AttributeValue> | undefined): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item ?? {})) {
    if (value.S !== undefined) plain[name] = value.S;
    else if (value.N !== undefined) {
      const n = Number(value.N);
      if (Number.isFinite(n)) plain[name] = n;
    } else if (value.SS !== undefined) plain[name] = value.SS;
    else if (value.NULL === true) plain[name] = null;
  }
  return plain;
}

function abortable(options: WriteOptions | undefined): { abortSignal?: AbortSignal } {
  return options?.signal !== undefined ? { abortSignal: options.signal } : {};
}
