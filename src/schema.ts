/**
 * Normalized schema v1: one flat-ish JSON object per event, whatever the source.
 * Documented field by field in docs/schema.md (with the Athena DDL). Null fields are omitted, never written.
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
