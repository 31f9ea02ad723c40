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
