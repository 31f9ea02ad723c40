import { randomBytes } from 'node:crypto';
import { link, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FileLockOptions {
  /** Aborts the wait for the lock (the Lambda deadline); the error is the signal's reason. */
  signal?: AbortSignal;
  /** A lock file older than this is left over by a process that died holding it, and is broken. */
  staleMs?: number;
  /** Gives up waiting after this long. */
  timeoutMs?: number;
}

/**
 * Runs `fn` holding an exclusive lock across processes: the lock is the file `lockPath`, created only if it does
 * not exist (`wx`, O_CREAT | O_EXCL, atomic on a local filesystem) and holding a random token; others retry after a
 * short random sleep. A lock file older than `staleMs` (default 10 s; a holder keeps it for milliseconds) was left
 * by a process that died holding it: it is renamed aside under a random name — only one breaker can move a given
 * file — and deleted when it is still the stale one that was seen (else it is put back). The holder removes the
 * file afterwards only if it still holds its own token. For local runs (successive or concurrent `sls invoke
 * local`): a holder stopped for longer than `staleMs` can lose its lock, which a local run accepts.
 */
export async function withFileLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const { signal, staleMs = 10_000, timeoutMs = 30_000 } = options;
  const mine = `${process.pid} ${randomBytes(16).toString('hex')}\n`;
  const started = Date.now();
  for (;;) {
    signal?.throwIfAborted();
    try {
      await writeFile(lockPath, mine, { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    await breakIfStale(lockPath, staleMs);
    if (Date.now() - started > timeoutMs) {
      throw new Error(`lock ${lockPath} is still held after ${timeoutMs} ms`);
    }
    await sleep(2 + Math.floor(Math.random() * 10), undefined, signal === undefined ? {} : { signal });
  }
  try {
    return await fn();
  } finally {
    await release(lockPath, mine);
  }
}

async function breakIfStale(lockPath: string, staleMs: number): Promise<void> {
  const seen = await readIfOld(lockPath, staleMs);
  if (seen === undefined) return;
  const aside = `${lockPath}.${randomBytes(8).toString('hex')}.stale`;
  try {
    await rename(lockPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // released, or broken by another
    throw err;
  }
  const moved = await readIfOld(aside, staleMs);
  if (moved !== seen) {
    // Between the read and the rename the stale lock was broken and taken by another: give it back, unless yet
    // another process took the lock meanwhile (link fails: the lock file exists).
    await link(aside, lockPath).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
}

/** The file's content when it is older than `staleMs`; undefined when it is younger or gone. */
async function readIfOld(path: string, staleMs: number): Promise<string | undefined> {
  try {
    const { mtimeMs } = await stat(path);
    if (Date.now() - mtimeMs < staleMs) return undefined;
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function release(lockPath: string, mine: string): Promise<void> {
  const held = await readFile(lockPath, 'utf8').catch(() => undefined);
  if (held === mine) await unlink(lockPath).catch(() => undefined);
}
