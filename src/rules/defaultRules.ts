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
    description: 'End User Messaging: text blocked',
    match: { source: 'end_user_messaging', event_type: ['TEXT_BLOCKED', 'TEXT_CARRIER_BLOCKED'] },
    action: 'alert',
    severity: 'high',
  },
  {
    name: 'eum-text-spam',
    description: 'End User Messaging: text refused as spam',
    match: { source: 'end_user_messaging', event_type: 'TEXT_SPAM' },
    action: 'alert',
    severity: 'high',
  },
  {
    name: 'eum-voice-failed',
    description: 'End User Messaging: voice message failed',
    match: { source: 'end_user_messaging', event_type: 'VOICE_FAILED' },
    action: 'alert',
    severity: 'medium',
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
];

/** Rate rules shipped by default (docs/rates.md). */
export const DEFAULT_RATE_RULES: readonly RateRuleSpec[] = [];
