import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject } from '../../../src/decode';
import { normalizeEvent } from '../../../src/normalize';
import { type PiiMode, PiiProtector } from '../../../src/pii';
import { DEFAULT_RULES } from '../../../src/rules/defaultRules';
import { routeRecord } from '../../../src/rules/route';
import { ruleSchema } from '../../../src/rules/ruleSchema';
import { loadRules } from '../../helpers/rules';

const FILES = [
  'app',
  'campaign',
  'journey',
  'email',
  'sms',
  'eum',
  'eum-not-sent',
  'rcs',
  'eum-eventbridge',
  'ses',
  'ses-eventbridge',
  'ses-sns',
] as const;

interface Routed {
  /** `file[index] event_type status`, e.g. `sms[2] _SMS.FAILURE BLOCKED`. */
  label: string;
  alerts: string[];
  drop: boolean;
  tags: string[] | undefined;
}

/** Every raw sample, normalized and routed with the default rules, in file order. */
function routeSamples(mode: PiiMode = 'hash'): Routed[] {
  const rules = loadRules(undefined);
  const pii = new PiiProtector(mode, Buffer.from('test-key-0123456789'));
  const out: Routed[] = [];
  let n = 0;
  for (const file of FILES) {
    const events = JSON.parse(
      readFileSync(join(__dirname, '../../../events/raw', `${file}.json`), 'utf8'),
    ) as JsonObject[];
    events.forEach((event, i) => {
      const record = normalizeEvent(event, { eventId: `e-${n++}`, ingestMs: 1763650000000, pii });
      const { drop, alerts } = routeRecord(record, rules);
      out.push({
        label: `${file}[${i}] ${record.event_type}${record.status !== undefined ? ` ${record.status}` : ''}`,
        alerts: alerts.map((a) => a.name),
        drop,
        tags: record.tags,
      });
    });
  }
  return out;
}

describe('DEFAULT_RULES', () => {
  it('passes the rules schema, with unique names', () => {
    for (const rule of DEFAULT_RULES) expect(ruleSchema.safeParse(rule).success).toBe(true);
    expect(new Set(DEFAULT_RULES.map((r) => r.name)).size).toBe(DEFAULT_RULES.length);
  });

  it('are all alerts with a severity and a description', () => {
    for (const rule of loadRules(undefined)) {
      expect(rule.action).toBe('alert');
      expect(rule.severity).toBeDefined();
      expect(rule.description?.length).toBeGreaterThan(0);
    }
  });

  describe('against the raw samples in events/raw', () => {
    const routed = routeSamples();

    it('alert on exactly the events that hurt reputation or will never arrive, each with its rule', () => {
      const alerting = routed.filter((r) => r.alerts.length > 0).map((r) => [r.label, r.alerts]);
      expect(alerting).toEqual([
        ['campaign[3] _campaign.send FAILURE_PERMANENT', ['campaign-failure-permanent']],
        ['journey[2] _journey.send FAILURE_PERMANENT', ['journey-failure-permanent']],
        ['email[6] _email.rejected', ['email-rejected']],
        ['email[7] _email.hardbounce', ['email-hard-bounce']],
        ['email[9] _email.complaint', ['email-complaint']],
        ['email[10] _email.rendering_failure', ['email-rendering-failure']],
        ['sms[2] _SMS.FAILURE BLOCKED', ['sms-blocked']],
        ['sms[3] _SMS.FAILURE SPAM', ['sms-spam']],
        ['sms[4] _SMS.FAILURE CARRIER_BLOCKED', ['sms-blocked']],
        ['sms[5] _SMS.FAILURE INVALID', ['sms-invalid']],
        ['sms[7] _SMS.OPTOUT OPTED_OUT', ['sms-opt-out']],
        ['eum[5] TEXT_BLOCKED BLOCKED', ['eum-text-blocked']],
        ['eum[8] TEXT_INVALID INVALID', ['eum-text-invalid']],
        ['eum[9] TEXT_INVALID_MESSAGE INVALID_MESSAGE', ['eum-text-invalid']],
        ['eum[10] TEXT_CARRIER_BLOCKED CARRIER_BLOCKED', ['eum-text-blocked']],
        ['eum[12] TEXT_SPAM SPAM', ['eum-text-spam']],
        ['eum[20] VOICE_FAILED FAILED', ['eum-voice-failed']],
        ['eum[24] MEDIA_BLOCKED BLOCKED', ['eum-text-blocked']],
        ['eum-not-sent[0] TEXT_PROTECT_BLOCKED PROTECT_BLOCKED', ['eum-protect-blocked']],
        ['eum-not-sent[1] MEDIA_FILE_TYPE_UNSUPPORTED FILE_TYPE_UNSUPPORTED', ['eum-text-invalid']],
        ['rcs[7] RCS_FAILED REJECTED', ['rcs-rejected']],
        ['rcs[11] RCS_PROTECT_BLOCKED PROTECT_BLOCKED', ['eum-protect-blocked']],
        [
          'eum-eventbridge[4] Registration Status Change REQUIRES_UPDATES',
          ['eum-registration-requires-updates'],
        ],
        ['ses[4] Bounce Permanent', ['ses-permanent-bounce']],
        ['ses[6] Complaint', ['ses-complaint']],
        ['ses[7] Reject', ['ses-reject']],
        ['ses[8] Rendering Failure', ['ses-rendering-failure']],
        // The same SES events through EventBridge and through SNS alert alike.
        ['ses-eventbridge[4] Bounce Permanent', ['ses-permanent-bounce']],
        ['ses-eventbridge[6] Complaint', ['ses-complaint']],
        ['ses-eventbridge[7] Reject', ['ses-reject']],
        ['ses-eventbridge[8] Rendering Failure', ['ses-rendering-failure']],
        ['ses-sns[4] Bounce Permanent', ['ses-permanent-bounce']],
        ['ses-sns[6] Complaint', ['ses-complaint']],
        ['ses-sns[7] Reject', ['ses-reject']],
        ['ses-sns[8] Rendering Failure', ['ses-rendering-failure']],
      ]);
    });

    it.each([
      'email[8] _email.softbounce',
      'ses[5] Bounce Transient',
      'sms[0] _SMS.SUCCESS DELIVERED',
      'sms[6] _SMS.FAILURE UNREACHABLE',
      'campaign[4] _campaign.send QUIET_TIME',
      'journey[3] _journey.send THROTTLED',
      'eum[3] TEXT_DELIVERED DELIVERED',
      'eum[7] TEXT_CARRIER_UNREACHABLE CARRIER_UNREACHABLE',
      'eum[23] MEDIA_DELIVERED DELIVERED',
      'ses[9] DeliveryDelay TransientCommunicationFailure',
      'rcs[6] RCS_FAILED UNDELIVERABLE',
      'rcs[10] RCS_FALLEN_BACK_TO_SMS FALLEN_BACK_TO_SMS',
      'eum-eventbridge[3] Registration Status Change SUBMITTED',
      'eum-eventbridge[5] Registration Status Change COMPLETE',
    ])('do not alert on %s', (label) => {
      const found = routed.find((r) => r.label === label);
      expect(found).toBeDefined();
      expect(found?.alerts).toEqual([]);
    });

    it('fire every default rule on at least one sample', () => {
      const fired = new Set(routed.flatMap((r) => r.alerts));
      expect([...fired].sort()).toEqual(DEFAULT_RULES.map((r) => r.name).sort());
    });

    it('neither drop nor tag anything', () => {
      expect(routed.filter((r) => r.drop || r.tags !== undefined)).toEqual([]);
    });

    it.each(['keep', 'redact'] as const)('route the same way when the PII mode is %s', (mode) => {
      expect(routeSamples(mode)).toEqual(routed);
    });
  });
});
