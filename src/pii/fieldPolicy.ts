import type { NormalizedRecord } from '../schema';

/**
 * How the PII mode treats a field of the normalized record (docs/schema.md §5):
 * - `computed`: written by the processor from a closed vocabulary, a clock or a hash; never holds input text;
 * - `config`: from the deployment's own configuration (APP_METADATA, tag rules);
 * - `number`: a number or a boolean;
 * - `minted`: an identifier that AWS or the sender's own infrastructure mints — message, event, campaign, journey,
 *   application, RCS agent and registration ids, configuration set names — never a recipient: copied as received
 *   and never scanned, so that it joins with the service's own records (an SMS message id `1111-2222-3333` has
 *   the digits of a phone number, and stays one id);
 * - `identifier`: any other string copied from the event (user-chosen ids such as `endpoint_id` and `user_id`,
 *   event types, statuses, device strings): replaced whole by a token when it holds an email address, a phone
 *   number or an IP address;
 * - `account`: an AWS account id (12 digits, kept); anything else in it is treated as an `identifier`;
 * - `text`: free text: each email address, phone number and IP address in it is replaced by a token;
 * - `url`: query and fragment cut, then scrubbed like `text`;
 * - `personal`: written by the protector itself according to the mode (raw values only in `keep` mode);
 * - `attributes` / `metrics`: maps whose keys (and, for attributes, values) are protected.
 */
export type FieldPolicy =
  | 'computed'
  | 'config'
  | 'number'
  | 'minted'
  | 'identifier'
  | 'account'
  | 'text'
  | 'url'
  | 'personal'
  | 'attributes'
  | 'metrics';

/**
 * Every field of the schema with its policy. The type makes this exhaustive: a new field in `NormalizedRecord`
 * does not compile until it is classified here.
 */
export const FIELD_POLICY = {
  schema_version: 'computed',
  event_id: 'computed',
  source_event_id: 'minted',
  source: 'computed',
  family: 'computed',
  event_type: 'identifier',
  outcome: 'computed',
  event_time: 'computed',
  arrival_time: 'computed',
  ingest_time: 'computed',
  dt: 'computed',
  hour: 'computed',
  app_id: 'minted',
  app_name: 'config',
  app_environment: 'config',
  app_owner: 'config',
  account_id: 'account',
  configuration_set: 'minted',
  endpoint_id: 'identifier',
  user_id: 'identifier',
  session_id: 'identifier',
  session_duration_ms: 'number',
  campaign_id: 'minted',
  campaign_activity_id: 'minted',
  treatment_id: 'minted',
  journey_id: 'minted',
  journey_run_id: 'minted',
  journey_activity_id: 'minted',
  channel: 'computed',
  delivery_type: 'identifier',
  message_id: 'minted',
  message_type: 'identifier',
  message_parts: 'number',
  status: 'identifier',
  status_message: 'text',
  status_code: 'identifier',
  is_final: 'number',
  rcs_business_id: 'minted',
  rcs_agent_country: 'identifier',
  conversation_id: 'minted',
  registration_id: 'minted',
  country: 'identifier',
  price_usd: 'number',
  carrier_fee_usd: 'number',
  session_fee_usd: 'number',
  delivery_latency_ms: 'number',
  bounce_type: 'computed',
  bounce_sub_type: 'identifier',
  complaint_type: 'identifier',
  reject_reason: 'text',
  link: 'url',
  user_agent: 'personal',
  user_agent_class: 'computed',
  user_agent_hash: 'personal',
  recipient: 'personal',
  recipient_hash: 'personal',
  recipient_count: 'number',
  sender: 'personal',
  sender_hash: 'personal',
  ip_address: 'personal',
  ip_hash: 'personal',
  email_domain: 'identifier',
  phone_country: 'identifier',
  endpoint_channel_type: 'identifier',
  endpoint_status: 'identifier',
  endpoint_opt_out: 'identifier',
  device_platform: 'identifier',
  device_make: 'identifier',
  device_model: 'identifier',
  locale: 'identifier',
  app_version: 'identifier',
  sdk_name: 'identifier',
  tags: 'config',
  attributes: 'attributes',
  metrics: 'metrics',
} as const satisfies { readonly [K in keyof Required<NormalizedRecord>]: FieldPolicy };
