import { type FieldPolicy, NORMALIZED_FIELDS } from '../schema';

export type { FieldPolicy } from '../schema';

type NormalizedFields = typeof NORMALIZED_FIELDS;

/**
 * The policy of every field of the schema (docs/schema.md §5), as NORMALIZED_FIELDS gives it: a new field of
 * `NormalizedRecord` does not compile until it is classified there.
 */
export const FIELD_POLICY = Object.fromEntries(
  Object.entries(NORMALIZED_FIELDS).map(([field, { pii }]): [string, FieldPolicy] => [field, pii]),
) as { readonly [K in keyof NormalizedFields]: NormalizedFields[K]['pii'] };
