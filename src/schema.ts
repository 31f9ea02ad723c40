/**
 * Normalized schema v1: one flat-ish JSON object per event, whatever the source.
 * Documented field by field in docs/schema.md (with the Athena DDL). Null fields are omitted, never written.
 * {@link NORMALIZED_FIELDS} lists every field with its Athena column type and its personal-data policy: the one
 * list the Glue tables, the DDL of docs/schema.md and the PII protector follow.
 */
export const SCHEMA_VERSION = 1;

// The closed vocabularies, as values (rules are validated against them at cold start) and as types.
/**
 * `eventbridge`: an EventBridge event from a service none of the others covers (family `unknown`); `sns`: an SNS
 * notification whose message is not an event of the others (family `unknown`).
 */
export const SOURCES = ['pinpoint', 'end_user_messaging', 'ses', 'eventbridge', 'sns'] as const;
export type Source = (typeof SOURCES)[number];

export const FAMILIES = [
  'app',
  'campaign',
  'journey',
  'email',
  'sms',
  'voice',
  'rcs',
  'registration',
  'push',
  'custom',
  'unknown',
] as const;
export type Family = (typeof FAMILIES)[number];

export const CHANNELS = ['EMAIL', 'SMS', 'RCS', 'PUSH', 'VOICE', 'IN_APP', 'CUSTOM'] as const;
export type Channel = (typeof CHANNELS)[number];

/** One cross-source vocabulary for "what happened". */
export const OUTCOMES = [
  'sent',
  'delivered',
  'read',
  'opened',
  'clicked',
  'bounced',
  'complained',
  'rejected',
  'failed',
  'fallen_back',
  'suppressed',
  'pending',
  'delayed',
  'received',
  'displayed',
  'dismissed',
  'opted_out',
  'unsubscribed',
  'subscription',
  'session',
  'sign_in',
  'sign_up',
  'auth_failed',
  'purchase',
  'unknown',
  'other',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const BOUNCE_CLASSES = ['permanent', 'transient', 'undetermined'] as const;
export type BounceClass = (typeof BOUNCE_CLASSES)[number];

/** Coarse class of a user agent (email open/click, complaint), written in every PII mode. */
export const USER_AGENT_CLASSES = ['mobile', 'tablet', 'desktop', 'bot', 'email_proxy', 'unknown'] as const;
export type UserAgentClass = (typeof USER_AGENT_CLASSES)[number];

export interface NormalizedRecord {
  schema_version: number;
  event_id: string;
  /** The id the delivering service gave the event: the EventBridge envelope's `id`, the SNS `MessageId`. */
  source_event_id?: string;
  source: Source;
  family: Family;
  event_type: string;
  outcome: Outcome;
  event_time?: string;
  arrival_time: string;
  ingest_time: string;
  dt: string;
  hour: string;

  app_id?: string;
  app_name?: string;
  app_environment?: string;
  app_owner?: string;
  account_id?: string;
  /** SES / End User Messaging configuration set that published the event: the key their users group by. */
  configuration_set?: string;
  endpoint_id?: string;
  user_id?: string;
  session_id?: string;
  session_duration_ms?: number;

  campaign_id?: string;
  campaign_activity_id?: string;
  treatment_id?: string;
  journey_id?: string;
  journey_run_id?: string;
  journey_activity_id?: string;

  channel?: Channel;
  delivery_type?: string;
  message_id?: string;
  message_type?: string;
  message_parts?: number;
  status?: string;
  status_message?: string;
  status_code?: string;
  is_final?: boolean;

  /** End User Messaging RCS: the RCS agent that sent the message (`rcsBusinessId`) and its country. */
  rcs_business_id?: string;
  rcs_agent_country?: string;
  /** RCS conversational pricing: the message that started the session (`conversationInitiatingMessageId`). */
  conversation_id?: string;
  /** End User Messaging registrations (Registration Status Change through EventBridge). */
  registration_id?: string;

  country?: string;
  price_usd?: number;
  carrier_fee_usd?: number;
  /** RCS conversational pricing: the session fee (`conversationSessionFee`), once per 24-hour session. */
  session_fee_usd?: number;
  delivery_latency_ms?: number;

  bounce_type?: BounceClass;
  bounce_sub_type?: string;
  complaint_type?: string;
  reject_reason?: string;
  link?: string;
  /** Raw user agent: `keep` mode only. */
  user_agent?: string;
  user_agent_class?: UserAgentClass;
  /** Keyed hash of the user agent: `hash` mode only. */
  user_agent_hash?: string;

  /** Personal data, according to the PII mode: `*_hash` in hash mode, raw value in keep mode, absent in redact mode. */
  recipient?: string;
  recipient_hash?: string;
  recipient_count?: number;
  sender?: string;
  sender_hash?: string;
  ip_address?: string;
  ip_hash?: string;
  email_domain?: string;
  phone_country?: string;

  endpoint_channel_type?: string;
  endpoint_status?: string;
  endpoint_opt_out?: string;

  device_platform?: string;
  device_make?: string;
  device_model?: string;
  locale?: string;
  app_version?: string;
  sdk_name?: string;

  tags?: string[];
  attributes?: Record<string, string>;
  metrics?: Record<string, number>;
}

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

/** The Glue (Hive) column types of the archive's Athena tables (infra/glue.yml). */
export type GlueType =
  | 'string'
  | 'int'
  | 'bigint'
  | 'double'
  | 'boolean'
  | 'array<string>'
  | 'map<string,string>'
  | 'map<string,double>';

/** The Glue types a value of type `T` may be read as once written as JSON (a number: `int`, `bigint` or `double`). */
export type GlueTypeOf<T> = T extends string
  ? 'string'
  : T extends number
    ? 'int' | 'bigint' | 'double'
    : T extends boolean
      ? 'boolean'
      : T extends readonly string[]
        ? 'array<string>'
        : T extends Readonly<Record<string, string>>
          ? 'map<string,string>'
          : T extends Readonly<Record<string, number>>
            ? 'map<string,double>'
            : never;

/** Every field any member of the union `Row` may carry. */
type FieldOf<Row> = Row extends unknown ? keyof Row : never;
/** The values (`undefined` aside) any member of `Row` gives field `K`. */
type ValueOf<Row, K extends PropertyKey> = Row extends unknown
  ? K extends keyof Row
    ? Exclude<Row[K], undefined>
    : never
  : never;

/**
 * The Glue type of every field of a row type (a union of row kinds too), for a list declared with
 * `satisfies GlueFields<Row>`: it does not compile while a field of `Row` is missing, a key is no field of `Row`,
 * or a type does not fit the field's values. A table's columns are the fields in the list's order, but its
 * partition keys (which Athena reads from the object's path).
 */
export type GlueFields<Row> = { readonly [K in FieldOf<Row>]: GlueTypeOf<ValueOf<Row, K>> };

/**
 * Every field of {@link NormalizedRecord}, in the order records write them, with its Athena column type and its
 * {@link FieldPolicy}: the columns of the Glue tables `messaging_events` (but its partition keys source, family,
 * dt, hour) and `messaging_events_archive` (but dt, hour) and of the DDL in docs/schema.md §7
 * (test/unit/columns.test.ts), and the PII protector's policy of each field (src/pii/fieldPolicy.ts). It does
 * not compile until a new field of `NormalizedRecord` is listed here, with a type its values fit and a policy.
 */
export const NORMALIZED_FIELDS = {
  schema_version: { type: 'int', pii: 'computed' },
  event_id: { type: 'string', pii: 'computed' },
  source_event_id: { type: 'string', pii: 'minted' },
  source: { type: 'string', pii: 'computed' },
  family: { type: 'string', pii: 'computed' },
  event_type: { type: 'string', pii: 'identifier' },
  outcome: { type: 'string', pii: 'computed' },
  event_time: { type: 'string', pii: 'computed' },
  arrival_time: { type: 'string', pii: 'computed' },
  ingest_time: { type: 'string', pii: 'computed' },
  dt: { type: 'string', pii: 'computed' },
  hour: { type: 'string', pii: 'computed' },
  app_id: { type: 'string', pii: 'minted' },
  app_name: { type: 'string', pii: 'config' },
  app_environment: { type: 'string', pii: 'config' },
  app_owner: { type: 'string', pii: 'config' },
  account_id: { type: 'string', pii: 'account' },
  configuration_set: { type: 'string', pii: 'minted' },
  endpoint_id: { type: 'string', pii: 'identifier' },
  user_id: { type: 'string', pii: 'identifier' },
  session_id: { type: 'string', pii: 'identifier' },
  session_duration_ms: { type: 'bigint', pii: 'number' },
  campaign_id: { type: 'string', pii: 'minted' },
  campaign_activity_id: { type: 'string', pii: 'minted' },
  treatment_id: { type: 'string', pii: 'minted' },
  journey_id: { type: 'string', pii: 'minted' },
  journey_run_id: { type: 'string', pii: 'minted' },
  journey_activity_id: { type: 'string', pii: 'minted' },
  channel: { type: 'string', pii: 'computed' },
  delivery_type: { type: 'string', pii: 'identifier' },
  message_id: { type: 'string', pii: 'minted' },
  message_type: { type: 'string', pii: 'identifier' },
  message_parts: { type: 'int', pii: 'number' },
  status: { type: 'string', pii: 'identifier' },
  status_message: { type: 'string', pii: 'text' },
  status_code: { type: 'string', pii: 'identifier' },
  is_final: { type: 'boolean', pii: 'number' },
  rcs_business_id: { type: 'string', pii: 'minted' },
  rcs_agent_country: { type: 'string', pii: 'identifier' },
  conversation_id: { type: 'string', pii: 'minted' },
  registration_id: { type: 'string', pii: 'minted' },
  country: { type: 'string', pii: 'identifier' },
  price_usd: { type: 'double', pii: 'number' },
  carrier_fee_usd: { type: 'double', pii: 'number' },
  session_fee_usd: { type: 'double', pii: 'number' },
  delivery_latency_ms: { type: 'bigint', pii: 'number' },
  bounce_type: { type: 'string', pii: 'computed' },
  bounce_sub_type: { type: 'string', pii: 'identifier' },
  complaint_type: { type: 'string', pii: 'identifier' },
  reject_reason: { type: 'string', pii: 'text' },
  link: { type: 'string', pii: 'url' },
  user_agent: { type: 'string', pii: 'personal' },
  user_agent_class: { type: 'string', pii: 'computed' },
  user_agent_hash: { type: 'string', pii: 'personal' },
  recipient: { type: 'string', pii: 'personal' },
  recipient_hash: { type: 'string', pii: 'personal' },
  recipient_count: { type: 'int', pii: 'number' },
  sender: { type: 'string', pii: 'personal' },
  sender_hash: { type: 'string', pii: 'personal' },
  ip_address: { type: 'string', pii: 'personal' },
  ip_hash: { type: 'string', pii: 'personal' },
  email_domain: { type: 'string', pii: 'identifier' },
  phone_country: { type: 'string', pii: 'identifier' },
  endpoint_channel_type: { type: 'string', pii: 'identifier' },
  endpoint_status: { type: 'string', pii: 'identifier' },
  endpoint_opt_out: { type: 'string', pii: 'identifier' },
  device_platform: { type: 'string', pii: 'identifier' },
  device_make: { type: 'string', pii: 'identifier' },
  device_model: { type: 'string', pii: 'identifier' },
  locale: { type: 'string', pii: 'identifier' },
  app_version: { type: 'string', pii: 'identifier' },
  sdk_name: { type: 'string', pii: 'identifier' },
  tags: { type: 'array<string>', pii: 'config' },
  attributes: { type: 'map<string,string>', pii: 'attributes' },
  metrics: { type: 'map<string,double>', pii: 'metrics' },
} as const satisfies {
  readonly [K in FieldOf<NormalizedRecord>]: {
    readonly type: GlueTypeOf<ValueOf<NormalizedRecord, K>>;
    readonly pii: FieldPolicy;
  };
};
