import crypto from 'node:crypto';
import { constants } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * open(2) flags of a temporary file: created by this call or not at all. O_EXCL fails on any name that exists,
 * a symlink (even one pointing nowhere) included, so a link planted at the name can neither redirect the write
 * nor create a file where it points; O_NOFOLLOW says the same for the last component (absent on Windows).
 */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/** Names drawn before giving up: each one taken means someone planted a file at 128 random bits. */
const ATTEMPTS = 8;

/**
 * A temporary name beside `path` (same folder, so the rename is atomic), with 128 random bits: nobody can plant
 * a file there in advance. `<path>.<pid>.tmp` could be predicted, and a symlink planted at it redirected the
 * write outside the output folder.
 */
export function temporaryPath(path: string): string {
  return join(dirname(path), `${basename(path)}.${crypto.randomBytes(16).toString('hex')}.tmp`);
}

/**
 * Writes to a temporary file renamed into place: a reader never sees half a file, a retry replaces it whole.
 * The temporary file is created exclusively under an unpredictable name ({@link CREATE_NEW}); a name already
 * taken is never written through, another is drawn. The rename replaces `path` itself, never what a symlink
 * at `path` points to.
 */
export async function writeAtomically(path: string, data: string | Buffer): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const tmp = temporaryPath(path);
    try {
      await writeFile(tmp, data, { flag: CREATE_NEW, mode: 0o666 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && attempt < ATTEMPTS) continue;
      // Whatever was created (a write that failed half way) goes; a name that was taken is not ours to remove.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') await rm(tmp, { force: true });
      throw err;
    }
    try {
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return;
  }
}
