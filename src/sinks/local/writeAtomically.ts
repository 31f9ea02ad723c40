import { rename, writeFile } from 'node:fs/promises';

/** Writes to a temporary file renamed into place: a reader never sees half a file, a retry replaces it whole. */
export async function writeAtomically(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}
