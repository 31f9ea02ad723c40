import type { ArchiveObject } from './ports';

/** The object metadata that names the PII key a normalized object's hashes were made with (src/hmac.ts). */
export const PII_KEY_FINGERPRINT = 'pii-key-fingerprint';

/**
 * An object's metadata, with the PII key's fingerprint on normalized objects when there is one (hash mode):
 * `none` in the other modes, so that a replay in hash mode can tell an object written without hashes.
 */
export function withPiiKeyFingerprint(
  object: ArchiveObject,
  fingerprint: string | undefined,
): Readonly<Record<string, string>> {
  if (object.zone !== 'normalized') return object.metadata;
  return { ...object.metadata, [PII_KEY_FINGERPRINT]: fingerprint ?? 'none' };
}
