import type { ArchiveObject } from './ports';

/** The object metadata that names the PII key a normalized object's hashes were made with (src/hmac.ts). */
export const PII_KEY_FINGERPRINT = 'pii-key-fingerprint';

/**
 * An object's metadata, with the PII key's fingerprint on normalized objects when the sink was given one: the
 * key's (hash mode) or `none` (the other modes: no hash in the object), so that a replay can tell them apart.
 */
export function withPiiKeyFingerprint(
  object: ArchiveObject,
  fingerprint: string | undefined,
): Readonly<Record<string, string>> {
  if (object.zone !== 'normalized' || fingerprint === undefined) return object.metadata;
  return { ...object.metadata, [PII_KEY_FINGERPRINT]: fingerprint };
}
