import type { EventRuleSpec, RateRuleSpec } from './ruleSchema';

/**
 * Event rules an operator wants on day one: the events that hurt sender reputation or mean a message will never
 * arrive. Validated at cold start with the same schema as a user's rules file.
 */
export const DEFAULT_RULES: readonly EventRuleSpec[] = [
  {
    name: 'email-hard-bounce',
    description: 'Pinpoint email hard bounce: the address does not exist; remove it from the audience',
    match: { source: 'pinpoint', event_type: '_email.hardbounce' },
    action: 'alert',
    severity: 'high',
  },
  {
    name: 'email-complaint',
    description: 'Pinpoint email complaint: a recipient marked the message as spam',
    match: { source: 'pinpoint', event_type: '_email.complaint' },
    action: 'alert',
    severity: 'high',
  },
  {
    name: 'email-rejected',
    description: 'Pinpoint email rejected before sending (virus or suppressed address)',
    match: { source: 'pinpoint', event_type: '_email.rejected' },
    action: 'alert',
    severity: 'high',
  },
  {
    name: 'email-rendering-failure',
    description: 'Pinpoint email template failed to render',
    match: { source: 'pinpoint', event_type: '_email.rendering_failure' },
    action: 'alert',
    severity: 'medium',
  },
  {
    name: 'sms-blocked',
    description: 'SMS blocked by the destination or the carrier',
    match: { source: 'pinpoint', family: 'sms', status: ['BLOCKED', 'CARRIER_BLOCKED'] },
    action: 'alert',
    severity: 'high',
  },
  {
    name: 'sms-spam',
    description: 'SMS refused as spam by the carrier',
    match: { source: 'pinpoint', family: 'sms', status: 'SPAM' },
    action: 'alert',
    severity: 'high',
  },
  {
    name: 'sms-invalid',
    description: 'SMS to an invalid number or with an invalid message',
    match: { source: 'pinpoint', family: 'sms', status: ['INVALID', 'INVALID_MESSAGE'] },
    action: 'alert',
    severity: 'medium',
  },
  {
    name: 'sms-opt-out',
    description: 'A recipient opted out of SMS',
    match: { source: 'pinpoint', family: 'sms', outcome: 'opted_out' },
    action: 'alert',
    severity: 'low',
  },
  {
    name: 'campaign-failure-permanent',
    description: 'A campaign message failed permanently',
    match: { source: 'pinpoint', family: 'campaign', status: 'FAILURE_PERMANENT' },
    action: 'alert',
    severity: 'high',
  },
  {
    name: 'journey-failure-permanent',
    description: 'A journey message failed permanently',
    match: { source: 'pinpoint', family: 'journey', status: 'FAILURE_PERMANENT' },
    action: 'alert',
    severity: 'high',
  },
  {
    name: 'eum-text-blocked',
    description: 'End User Messaging: text or MMS blocked by the handset or the carrier',
    match: {
      source: 'end_user_messaging',
      event_type: ['TEXT_BLOCKED', 'TEXT_CARRIER_BLOCKED', 'MEDIA_BLOCKED', 'MEDIA_CARRIER_BLOCKED'],
    },
    action: 'alert',
    severity: 'high',
  },
  {
    name: 'eum-text-spam',
    description: 'End User Messaging: text or MMS refused as spam',
    match: { source: 'end_user_messaging', event_type: ['TEXT_SPAM', 'MEDIA_SPAM'] },
    action: 'alert',
    severity: 'high',
  },
  {
    name: 'eum-text-invalid',
    description:
      'End User Messaging: text or MMS to an invalid number, or with an invalid message or media file (inaccessible, unsupported type, too large)',
    match: {
      source: 'end_user_messaging',
      event_type: [
        'TEXT_INVALID',
        'TEXT_INVALID_MESSAGE',
        'MEDIA_INVALID',
        'MEDIA_INVALID_MESSAGE',
        'MEDIA_FILE_INACCESSIBLE',
        'MEDIA_FILE_TYPE_UNSUPPORTED',
        'MEDIA_FILE_SIZE_EXCEEDED',
      ],
    },
    action: 'alert',
    severity: 'medium',
  },
  {
    name: 'eum-voice-failed',
    description: 'End User Messaging: voice message failed',
    match: { source: 'end_user_messaging', event_type: 'VOICE_FAILED' },
    action: 'alert',
    severity: 'medium',
  },
  {
    name: 'rcs-rejected',
    description:
      'End User Messaging: RCS message rejected for a content policy violation; review the message content',
    match: { source: 'end_user_messaging', family: 'rcs', outcome: 'rejected' },
    action: 'alert',
    severity: 'high',
  },
  {
    name: 'eum-protect-blocked',
    description:
      'End User Messaging: a protect configuration blocked a message (not sent); a burst is SMS pumping being stopped, or a country rule blocking real recipients',
    match: { source: 'end_user_messaging', event_type: '*_PROTECT_BLOCKED' },
    action: 'alert',
    severity: 'low',
  },
  {
    name: 'eum-registration-requires-updates',
    description:
      'End User Messaging: a registration was denied (REQUIRES_UPDATES); fix and resubmit it, its numbers cannot send until approved',
    match: { source: 'end_user_messaging', family: 'registration', status: 'REQUIRES_UPDATES' },
    action: 'alert',
    severity: 'high',
  },
  {
    name: 'ses-permanent-bounce',
    description: 'SES permanent bounce: the address does not exist; remove it from the audience',
    match: { source: 'ses', event_type: 'Bounce', bounce_type: 'permanent' },
    action: 'alert',
    severity: 'high',
  },
  {
    name: 'ses-complaint',
    description: 'SES complaint: a recipient marked the message as spam',
    match: { source: 'ses', event_type: 'Complaint' },
    action: 'alert',
    severity: 'high',
  },
  {
    name: 'ses-reject',
    description: 'SES rejected the message before sending (it contained a virus)',
    match: { source: 'ses', event_type: 'Reject' },
    action: 'alert',
    severity: 'high',
  },
  {
    name: 'ses-rendering-failure',
    description: 'SES template failed to render: the message was not sent',
    match: { source: 'ses', event_type: 'Rendering Failure' },
    action: 'alert',
    severity: 'medium',
  },
];

/** Pinpoint projects and configuration sets: what a sender sends through, on every source that has one. */
const SENDER: RateRuleSpec['group_by'] = ['app_id', 'configuration_set'];

/**
 * Rate rules an operator wants on day one, each rate per sending project or configuration set over the default
 * one-hour window, counted across every shard and both paths in the shared rate store. The thresholds and their reasons are in docs/rates.md; the email ones follow the
 * rates at which Amazon SES places an account under review (bounces 5%, complaints 0.1%) with a warning below.
 */
export const DEFAULT_RATE_RULES: readonly RateRuleSpec[] = [
  {
    kind: 'rate',
    name: 'email-bounce-rate-warn',
    description: 'Email bounce rate above 2%: clean the list before SES reviews the account at 5%',
    numerator: ['bounced'],
    denominator: ['delivered', 'bounced'],
    match: { channel: 'EMAIL' },
    group_by: SENDER,
    threshold: 0.02,
    min_volume: 500,
    severity: 'medium',
  },
  {
    kind: 'rate',
    name: 'email-bounce-rate-high',
    description: 'Email bounce rate at 5% or more: the rate at which SES places an account under review',
    numerator: ['bounced'],
    denominator: ['delivered', 'bounced'],
    match: { channel: 'EMAIL' },
    group_by: SENDER,
    threshold: 0.05,
    min_volume: 200,
    severity: 'high',
  },
  {
    kind: 'rate',
    name: 'email-complaint-rate-warn',
    description: 'Email complaint rate above 0.05%: half the rate at which SES reviews an account',
    numerator: ['complained'],
    denominator: ['delivered'],
    match: { channel: 'EMAIL' },
    group_by: SENDER,
    threshold: 0.0005,
    min_volume: 5000,
    severity: 'medium',
  },
  {
    kind: 'rate',
    name: 'email-complaint-rate-high',
    description: 'Email complaint rate at 0.1% or more: the rate at which SES places an account under review',
    numerator: ['complained'],
    denominator: ['delivered'],
    match: { channel: 'EMAIL' },
    group_by: SENDER,
    threshold: 0.001,
    min_volume: 2000,
    severity: 'high',
  },
  {
    kind: 'rate',
    name: 'sms-rejected-rate-high',
    description:
      'SMS blocked, carrier-blocked or refused as spam at 2% or more: carriers are filtering a sender',
    numerator: ['rejected'],
    denominator: ['delivered', 'failed', 'rejected'],
    match: { channel: 'SMS' },
    group_by: SENDER,
    threshold: 0.02,
    min_volume: 200,
    severity: 'high',
  },
  {
    kind: 'rate',
    name: 'sms-failure-rate-high',
    description: 'SMS failed (invalid, unreachable, expired) at 10% or more: a bad list or a carrier outage',
    numerator: ['failed'],
    denominator: ['delivered', 'failed', 'rejected'],
    match: { channel: 'SMS' },
    group_by: SENDER,
    threshold: 0.1,
    min_volume: 200,
    severity: 'medium',
  },
  {
    kind: 'rate',
    name: 'voice-failure-rate-high',
    description:
      'Voice calls failed or expired at 10% or more of finished calls (busy and no answer not counted)',
    numerator: ['failed'],
    denominator: ['delivered', 'failed'],
    match: {
      source: 'end_user_messaging',
      event_type: ['VOICE_COMPLETED', 'VOICE_FAILED', 'VOICE_TTL_EXPIRED'],
    },
    group_by: SENDER,
    threshold: 0.1,
    min_volume: 50,
    severity: 'medium',
  },
  {
    kind: 'rate',
    name: 'rcs-fallback-rate-high',
    description:
      'RCS messages falling back to SMS/MMS at 50% or more of those that reached the recipient: the agent is not launched on a carrier, suspended, or RCS is down',
    numerator: ['fallen_back'],
    denominator: ['delivered', 'fallen_back'],
    match: { channel: 'RCS' },
    group_by: SENDER,
    threshold: 0.5,
    min_volume: 200,
    severity: 'medium',
  },
  {
    kind: 'rate',
    name: 'rcs-failure-rate-high',
    description:
      'RCS messages failed (undeliverable, expired, failed) at 10% or more: a bad list, an agent problem or an RCS outage',
    numerator: ['failed'],
    denominator: ['delivered', 'fallen_back', 'failed', 'rejected'],
    match: { channel: 'RCS' },
    group_by: SENDER,
    threshold: 0.1,
    min_volume: 200,
    severity: 'medium',
  },
];
