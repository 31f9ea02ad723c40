import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SinkError } from '../../errors';
import { gzipLines } from '../gzipLines';
import { withPiiKeyFingerprint } from '../piiKeyMetadata';
import type { ArchiveObject, ArchiveSink } from '../ports';
import { writeAtomically } from './writeAtomically';

/**
 * Archive on the local filesystem, with the key layout the S3 adapter uses: `<dir>/<key>` (gzip JSON Lines)
 * plus `<dir>/<key>.meta.json` for the object metadata. Writes go to a temporary file renamed into place,
 * so a reader never sees half an object and a retry overwrites whole objects.
 */
export class LocalArchiveSink implements ArchiveSink {
  constructor(
    private readonly dir: string,
    private readonly gzipLevel = 3,
    /** The PII key's fingerprint, written on normalized objects (as the S3 adapter does). */
    private readonly piiKeyFingerprint?: string,
  ) {}

  async put(object: ArchiveObject): Promise<void> {
    const path = join(this.dir, object.key);
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeAtomically(path, await gzipLines(object.lines, this.gzipLevel));
      const metadata = withPiiKeyFingerprint(object, this.piiKeyFingerprint);
      await writeAtomically(`${path}.meta.json`, `${JSON.stringify(metadata, null, 2)}\n`);
    } catch (err) {
      throw new SinkError('archive', `could not write ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
}
