/**
 * The account-wide rate alarms of infra/alarms.yml: what each counts, and its parameters. The template test checks
 * the alarms against it, the docs test the alarm table of docs/deploy.md.
 */
export const RATE_ALARMS = [
  {
    id: 'EmailBounceRateAlarm',
    name: 'email-bounce-rate',
    threshold: ['EmailBounceRateAlarmThreshold', '0.05'],
    minVolume: ['EmailBounceRateAlarmMinVolume', '200'],
    channel: 'EMAIL',
    sources: ['ses', 'pinpoint'],
    numerator: ['bounced'],
    denominator: ['delivered', 'bounced'],
  },
  {
    id: 'EmailComplaintRateAlarm',
    name: 'email-complaint-rate',
    threshold: ['EmailComplaintRateAlarmThreshold', '0.001'],
    minVolume: ['EmailComplaintRateAlarmMinVolume', '2000'],
    channel: 'EMAIL',
    sources: ['ses', 'pinpoint'],
    numerator: ['complained'],
    denominator: ['delivered'],
  },
  {
    id: 'SmsFailureRateAlarm',
    name: 'sms-failure-rate',
    threshold: ['SmsFailureRateAlarmThreshold', '0.1'],
    minVolume: ['SmsFailureRateAlarmMinVolume', '200'],
    channel: 'SMS',
    sources: ['pinpoint', 'end_user_messaging'],
    numerator: ['failed', 'rejected'],
    denominator: ['delivered', 'failed', 'rejected'],
  },
] as const;
