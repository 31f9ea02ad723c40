import type { NormalizedRecord } from '../schema';

/**
 * What a rate rule may group its counts by: identifiers of where a message was sent from, never of whom it was
 * sent to. `configuration_set` is the SES / End User Messaging configuration set (absent on Pinpoint events).
 * Here rather than beside the zod schema that validates them: the Lambda bundles count with this list and
 * carry no zod.
 */
export const RATE_GROUP_KEYS = [
  'app_id',
  'campaign_id',
  'journey_id',
  'configuration_set',
  'channel',
  'source',
] as const;
export type RateGroupKey = (typeof RATE_GROUP_KEYS)[number];

/**
 * A group field of a rate rule: one of RATE_GROUP_KEYS, or `attributes.<name>` — a message tag, as SES users
 * mark campaigns (`mail.tags`), End User Messaging `context` and Pinpoint `attributes` all land in the
 * normalized record's `attributes` (docs/schema.md). The name is compared exactly, as the record carries it.
 */
export type RateGroupField = RateGroupKey | `attributes.${string}`;

/** The prefix of a group field that reads a message tag. */
export const ATTRIBUTE_GROUP_PREFIX = 'attributes.';

/** The longest attribute name a group field may read (the rules schema's bound on every name). */
export const MAX_GROUP_ATTRIBUTE_NAME = 256;

/** A group field that reads a message tag: `attributes.` and a name of 1–256 characters (any, but a newline). */
export const ATTRIBUTE_GROUP_FIELD = /^attributes\..{1,256}$/;

/** The tag name a group field reads, or undefined for a fixed field. */
export function attributeOfGroupField(field: string): string | undefined {
  return field.startsWith(ATTRIBUTE_GROUP_PREFIX) ? field.slice(ATTRIBUTE_GROUP_PREFIX.length) : undefined;
}

/** The fixed group fields, by lookup table. */
const FIXED_FIELD: { readonly [K in RateGroupKey]: (record: NormalizedRecord) => string | undefined } = {
  app_id: (r) => r.app_id,
  campaign_id: (r) => r.campaign_id,
  journey_id: (r) => r.journey_id,
  configuration_set: (r) => r.configuration_set,
  channel: (r) => r.channel,
  source: (r) => r.source,
};

/**
 * The reader of a group field: a fixed field by lookup, or a message tag by its name — an own property of the
 * record's `attributes` only (a tag named `toString` must not answer with Object.prototype's). The record is
 * the protected one: a tag value that held an address is already a token.
 */
export function groupFieldReader(field: RateGroupField): (record: NormalizedRecord) => string | undefined {
  const name = attributeOfGroupField(field);
  if (name === undefined) return FIXED_FIELD[field as RateGroupKey];
  return (record) => {
    const attrs = record.attributes;
    return attrs !== undefined && Object.hasOwn(attrs, name) ? attrs[name] : undefined;
  };
}
