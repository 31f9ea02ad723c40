import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SinkError } from '../../errors';
import { sha256Hex } from '../../hash';
import {
  checkCounterIds,
  checkCounterRef,
  checkCounts,
  checkGuard,
  checkId,
  checkToken,
  checkWhole,
  compareUtf8,
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
import { withFileLock } from './withFileLock';

/** An item as a JSON object: the DynamoDB layout's attributes, sets as arrays, NULL as null. */
type Item = Record<string, unknown>;

/** A file larger than this is not one this store wrote (DynamoDB items are at most 400 KB). */
const MAX_ITEM_BYTES = 1024 * 1024;

/**
 * The rate store on the local filesystem, with the DynamoDB adapter's semantics and item layout
 * (docs/rate-store.md): `<LOCAL_SINK_DIR>/rates/<sha256 of the key>.json` holds one item — a counter or a batch
 * marker — as a JSON object with the same attribute names (`c:<outcome>`, `hw:<lane>`, `in_flight`,
 * `alert_state`…, `expires_at`). The file name is a hash, so any id is safe in it. Nothing deletes expired
 * items: as with DynamoDB TTL, `expires_at` only says when they may go (delete the folder to start over).
 *
 * Each primitive is a read-modify-write of one item under that item's lock (withFileLock: a `.lock` file created
 * exclusively next to it), so concurrent processes — two `sls invoke local` runs, the CLI — apply their writes
 * one after the other and their counts add up; the new content is written to a temporary file with an
 * unpredictable name (created `wx`) and renamed over the item, so a reader (`get`, which takes no lock) sees the
 * old item or the new one, never half of one. The conditions are DynamoDB's, evaluated on the item read under the
 * lock (see DynamoRateStore for why each makes its primitive safe): a sequence-guarded add applies when the lane's
 * mark is absent or below `first` (compared by UTF-8 bytes, as DynamoDB compares strings), a batch-guarded add
 * when the batch is not in flight, a marker is created only when absent, a claim only when the alert is
 * unclaimed, lapsed or held by the same token, a settle only by the holder. A write onto an attribute edited by
 * hand to another type replaces it.
 */
export class LocalRateStore implements RateStore {
  private readonly dir: string;

  constructor(localSinkDir: string) {
    this.dir = join(localSinkDir, 'rates');
  }

  async add(
    counter: RateCounterRef,
    counts: RateCounts,
    guard: RateAddGuard,
    options?: WriteOptions,
  ): Promise<RateAddResult> {
    checkCounterRef(counter);
    checkCounts(counts);
    checkGuard(guard);
    let applied = false as boolean;
    const item = await this.update(counter.id, options, (current) => {
      if (guard.kind === 'sequence') {
        const mark = current?.[highWaterAttr(guard.lane)];
        // attribute_not_exists(hw) OR hw < first (a mark of another type compares false, as in DynamoDB).
        if (mark !== undefined && !(typeof mark === 'string' && compareUtf8(mark, guard.first) < 0)) return;
      } else if (current !== undefined && contains(current[RATE_ATTR.inFlight], guard.batchId)) return;
      const next = describe({ ...current, [RATE_ATTR.pk]: counter.id }, counter);
      for (const [outcome, n] of Object.entries(counts)) {
        const was = next[countAttr(outcome)];
        next[countAttr(outcome)] = (typeof was === 'number' && Number.isFinite(was) ? was : 0) + n;
      }
      if (guard.kind === 'sequence') next[highWaterAttr(guard.lane)] = guard.last;
      else next[RATE_ATTR.inFlight] = [...stringSetOf(next[RATE_ATTR.inFlight]), guard.batchId];
      applied = true;
      return next;
    });
    const counterItem = item === undefined ? undefined : counterItemOf(item);
    return applied && counterItem !== undefined
      ? { applied: true, item: counterItem }
      : { applied: false, item: counterItem };
  }

  async get(counter: RateCounterRef, options?: WriteOptions): Promise<RateCounterItem | undefined> {
    checkCounterRef(counter);
    options?.signal?.throwIfAborted();
    try {
      const item = await this.read(this.path(counter.id));
      return item === undefined ? undefined : counterItemOf(item);
    } catch (err) {
      throw this.failed('read', counter.id, err);
    }
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
    let created = false as boolean;
    const item = await this.update(pk, options, (current) => {
      if (current !== undefined) return;
      created = true;
      const ids = [...new Set(counterIds)];
      return {
        [RATE_ATTR.pk]: pk,
        [RATE_ATTR.kind]: 'batch',
        [RATE_ATTR.expiresAt]: expiresAt,
        ...(ids.length > 0 && { [RATE_ATTR.pending]: ids }),
      };
    });
    if (created) return { created: true };
    return { created: false, marker: { batchId, pending: stringSetOf(item?.[RATE_ATTR.pending]) } };
  }

  async settleBatch(batchId: string, counterIds: readonly string[], options?: WriteOptions): Promise<void> {
    checkId('batch id', batchId);
    checkCounterIds(counterIds);
    if (counterIds.length === 0) return;
    const settled = new Set(counterIds);
    await this.update(batchKey(batchId), options, (current) =>
      current === undefined ? undefined : withoutMembers(current, RATE_ATTR.pending, settled),
    );
  }

  async clearInFlight(counter: RateCounterRef, batchId: string, options?: WriteOptions): Promise<void> {
    checkCounterRef(counter);
    checkId('batch id', batchId);
    await this.update(counter.id, options, (current) =>
      current === undefined ? undefined : withoutMembers(current, RATE_ATTR.inFlight, new Set([batchId])),
    );
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
    let claimed = false as boolean;
    await this.update(counter.id, options, (current) => {
      const state = current?.[RATE_ATTR.alertState];
      const held = current?.[RATE_ATTR.alertUntil];
      const lapsed = typeof held === 'number' && held < nowMs;
      if (
        state !== undefined &&
        !(state === 'claimed' && (lapsed || current?.[RATE_ATTR.alertToken] === token))
      ) {
        return;
      }
      claimed = true;
      return describe(
        {
          ...current,
          [RATE_ATTR.pk]: counter.id,
          [RATE_ATTR.alertState]: 'claimed',
          [RATE_ATTR.alertToken]: token,
          [RATE_ATTR.alertUntil]: until,
        },
        counter,
      );
    });
    return claimed;
  }

  async settleAlert(
    counter: RateCounterRef,
    token: string,
    outcome: 'sent' | 'released',
    options?: WriteOptions,
  ): Promise<void> {
    checkCounterRef(counter);
    checkToken(token);
    await this.update(counter.id, options, (current) => {
      if (current?.[RATE_ATTR.alertToken] !== token || current[RATE_ATTR.alertState] !== 'claimed') return;
      if (outcome === 'sent') return { ...current, [RATE_ATTR.alertState]: 'sent' };
      const {
        [RATE_ATTR.alertState]: _state,
        [RATE_ATTR.alertToken]: _token,
        [RATE_ATTR.alertUntil]: _until,
        ...rest
      } = current;
      return rest;
    });
  }

  /**
   * Reads the item under its lock and writes what `change` makes of it; `change` returns undefined to leave
   * it as it is (its condition did not hold). Returns the item as it is afterwards.
   */
  private async update(
    pk: string,
    options: WriteOptions | undefined,
    change: (current: Item | undefined) => Item | undefined,
  ): Promise<Item | undefined> {
    const path = this.path(pk);
    try {
      options?.signal?.throwIfAborted();
      await mkdir(this.dir, { recursive: true });
      return await withFileLock(
        `${path}.lock`,
        async () => {
          const current = await this.read(path);
          const next = change(current);
          if (next === undefined) return current;
          await replaceFile(path, `${JSON.stringify(next)}\n`);
          return next;
        },
        options?.signal !== undefined ? { signal: options.signal } : {},
      );
    } catch (err) {
      throw this.failed('update', pk, err);
    }
  }

  /** The item in the file, or undefined when there is none; a file that is not a JSON object is an error. */
  private async read(path: string): Promise<Item | undefined> {
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    if (data.length > MAX_ITEM_BYTES) throw new Error(`${path} is larger than ${MAX_ITEM_BYTES} bytes`);
    let item: unknown;
    try {
      item = JSON.parse(data.toString('utf8'));
    } catch {
      item = undefined;
    }
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new Error(`${path} is not a JSON object: repair or delete it`);
    }
    return item as Item;
  }

  private path(pk: string): string {
    return join(this.dir, `${sha256Hex(pk)}.json`);
  }

  private failed(operation: string, pk: string, err: unknown): SinkError {
    return new SinkError(
      'rates',
      `could not ${operation} rate item '${pk}' under ${this.dir}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/** The counter's descriptive attributes and TTL where the item has none yet (DynamoDB `if_not_exists`). */
function describe(item: Item, counter: RateCounterRef): Item {
  const next: Item = { ...item };
  for (const [attribute, value] of Object.entries(counterDescription(counter)) as Array<
    [string, RateItemValue]
  >) {
    if (!(attribute in next)) next[attribute] = value;
  }
  return next;
}

/** DynamoDB's `contains`: a member of a set, or a substring of a string. */
function contains(value: unknown, member: string): boolean {
  if (Array.isArray(value)) return value.includes(member);
  return typeof value === 'string' && value.includes(member);
}

/** DynamoDB's DELETE from a set: the members removed, the attribute gone when the set is empty. */
function withoutMembers(item: Item, attribute: string, members: ReadonlySet<string>): Item {
  const { [attribute]: set, ...rest } = item;
  const left = stringSetOf(set).filter((m) => !members.has(m));
  return left.length > 0 ? { ...rest, [attribute]: left } : rest;
}

/** Writes a temporary file with an unpredictable name (created `wx`) in the same folder, renamed over `path`. */
async function replaceFile(path: string, data: string): Promise<void> {
  const tmp = `${path}.${randomBytes(12).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data, { flag: 'wx', mode: 0o600 });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
