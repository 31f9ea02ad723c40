import fc from 'fast-check';
import { alertBody, alertSubject } from '../../../src/alerts/alertText';
import { type Alert, aggregateAlerts, boundAlert } from '../../../src/alerts/eventAlert';
import { compileRules } from '../../../src/rules/compileRules';
import {
  SNS_LIMITS,
  type SnsAlertMessage,
  snsAlertMessage,
  snsMessageBytes,
  snsSubject,
} from '../../../src/sinks/aws/snsAlertMessage';
import { normalizedRecord } from '../../helpers/factories';
import { hugeSample, testAlert, testRateAlert } from './testAlert';

const LIMIT = 262_144;
const utf8 = (s: string) => new TextEncoder().encode(s).length;

/** The size SNS counts, computed independently of snsMessageBytes. */
function snsSize(m: SnsAlertMessage): number {
  let n = utf8(m.Message) + utf8(m.Subject);
  for (const [name, v] of Object.entries(m.MessageAttributes))
    n += utf8(name) + utf8(v.DataType) + utf8(v.StringValue);
  return n;
}

const isWellFormed = (s: string) =>
  !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
const jsonOf = (message: string) => JSON.parse(message.slice(message.indexOf('--- alert JSON ---\n') + 19));

/** Checks every SNS rule on one fitted alert. */
function expectAcceptedBySns(m: SnsAlertMessage, limit = LIMIT): void {
  expect(snsSize(m)).toBeLessThanOrEqual(limit);
  expect(snsMessageBytes(m)).toBe(snsSize(m));
  expect(m.Subject.length).toBeLessThan(100);
  expect(m.Subject).toMatch(/^[\x21-\x7e][\x20-\x7e]*$/);
  expect(isWellFormed(m.Message)).toBe(true);
  for (const [name, v] of Object.entries(m.MessageAttributes)) {
    expect(name).toMatch(/^[a-z_]+$/);
    expect(v.DataType).toBe('String');
    expect(v.StringValue.length).toBeGreaterThan(0);
    expect(isWellFormed(v.StringValue)).toBe(true);
  }
  expect(jsonOf(m.Message)).toEqual(JSON.parse(JSON.stringify(m.alert)));
}

describe('snsMessageBytes', () => {
  it('counts UTF-8 bytes of the message, the subject and every attribute name, type and value', () => {
    const parts = {
      Subject: 'abc',
      Message: 'é€\u{1F600}\n',
      MessageAttributes: { rule: { DataType: 'String', StringValue: 'r€' } },
    };
    expect(snsMessageBytes(parts)).toBe(3 + (2 + 3 + 4 + 1) + (4 + 6 + 1 + 3));
    expect(snsMessageBytes({ Message: 'x' })).toBe(1);
  });
});

describe('snsAlertMessage of an event alert', () => {
  it('leaves a small alert as it is: its text, the subject made an SNS subject', () => {
    const alert = testAlert();
    const fitted = snsAlertMessage(alert);
    expect(fitted.alert).toEqual(alert);
    expect(fitted.Message).toBe(alertBody(fitted.alert));
    expect(fitted.Subject).toBe(snsSubject(alertSubject(alert)));
    expect(Object.keys(fitted.MessageAttributes).sort()).toEqual([
      'app_id',
      'event_type',
      'family',
      'kind',
      'rule',
      'severity',
      'source',
    ]);
    expectAcceptedBySns(fitted);
  });

  it('truncates a 140 KB value in a hard bounce sample with a visible marker, well under the limit', () => {
    // The alert that stuck a shard: one hard bounce whose bounce sub type was 140 KB made a 281 KB message.
    const [rule] = compileRules([
      { name: 'hard-bounce', match: { event_type: '_email.hardbounce' }, action: 'alert', severity: 'high' },
    ]);
    const record = normalizedRecord({
      event_type: '_email.hardbounce',
      bounce_sub_type: 'x'.repeat(140_000),
      status: 'y'.repeat(140_000),
    });
    const [alert] = aggregateAlerts([{ record, rules: rule ? [rule] : [] }], 'batch', 3);
    const fitted = snsAlertMessage(alert as Alert);
    expectAcceptedBySns(fitted);
    expect(snsSize(fitted)).toBeLessThan(4096);
    const sample = fitted.alert.samples[0];
    expect(sample?.bounce_sub_type).toMatch(/^x+…\[truncated \d+ chars\]$/);
    expect(sample?.bounce_sub_type).toHaveLength(256);
    const cut = Number(/truncated (\d+) chars/.exec(sample?.bounce_sub_type ?? '')?.[1]);
    expect((sample?.bounce_sub_type?.indexOf('…') ?? 0) + cut).toBe(140_000);
    expect(fitted.Message).toContain('…[truncated');
  });

  it('leaves out the last samples, as few as possible, and says how many, when the whole is still too big', () => {
    const alert = testAlert({ count: 40, samples: Array.from({ length: 20 }, (_, i) => hugeSample(i)) });
    const fitted = snsAlertMessage(alert);
    expectAcceptedBySns(fitted);
    const kept = fitted.alert.samples.length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(20);
    expect(fitted.alert.samples_omitted).toBe(20 - kept);
    expect(fitted.alert.samples.map((s) => s.event_id)).toEqual(
      Array.from({ length: kept }, (_, i) => `e-${i}`),
    );
    expect(fitted.Message).toContain(
      `Samples (${kept} of 40, ${20 - kept} more left out to fit the SNS message size limit):`,
    );
    // One sample more would not have fitted.
    const oneMore = snsAlertMessage(
      { ...alert, samples: alert.samples.slice(0, kept + 1) },
      Number.POSITIVE_INFINITY,
    );
    expect(snsSize(oneMore)).toBeGreaterThan(LIMIT);
  });

  it('keeps every sample at exactly the limit and leaves one out a byte below it', () => {
    const alert = testAlert({ samples: Array.from({ length: 5 }, (_, i) => hugeSample(i, '\u00e9', 300)) });
    const size = snsSize(snsAlertMessage(alert, Number.POSITIVE_INFINITY));
    const at = snsAlertMessage(alert, size);
    expect(at.alert.samples).toHaveLength(5);
    expect(at.alert).not.toHaveProperty('samples_omitted');
    expect(snsSize(at)).toBe(size);
    const below = snsAlertMessage(alert, size - 1);
    expect(below.alert.samples).toHaveLength(4);
    expect(below.alert.samples_omitted).toBe(1);
    expect(snsSize(below)).toBeLessThanOrEqual(size - 1);
  });

  it('fits the worst case without samples under the real limit, lists bounded with counts of the rest', () => {
    const worst = '\u0001'.repeat(1 << 20);
    // Every listed name is cut to 256 characters: 300 are as bad as a megabyte, and cheaper to build.
    const name = (i: number) => `${i}${'\u0001'.repeat(300)}`;
    const alert = testAlert({
      rule: worst,
      description: worst,
      source: worst as Alert['source'],
      family: worst as Alert['family'],
      event_type: worst,
      app_id: worst,
      first_event_time: worst,
      last_event_time: worst,
      batch: worst,
      count: 5000,
      event_types: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [name(i), 5])),
      app_ids: Array.from({ length: 1000 }, (_, i) => name(i)),
      samples: [],
    });
    const fitted = snsAlertMessage(alert);
    expectAcceptedBySns(fitted);
    expect(Object.keys(fitted.alert.event_types)).toHaveLength(10);
    expect(fitted.alert.event_types_other).toBe(990 * 5);
    expect(fitted.alert.app_ids).toHaveLength(10);
    expect(fitted.alert.app_ids_other).toBe(990);
    expect(snsSize(fitted)).toBeLessThan(LIMIT / 2);
  });

  it('counts event types and apps instead of listing them when even that is too big for the limit', () => {
    const alert = testAlert({
      event_types: { [`a${'x'.repeat(300)}`]: 1, [`b${'x'.repeat(300)}`]: 1 },
      app_ids: ['x'.repeat(300), 'y'.repeat(300)],
    });
    const fitted = snsAlertMessage(alert, 1500);
    expect(fitted.alert.event_types).toEqual({});
    expect(fitted.alert.event_types_other).toBe(2);
    expect(fitted.alert.app_ids).toEqual([]);
    expect(fitted.alert.app_ids_other).toBe(2);
    expect(fitted.alert.samples).toEqual([]);
    expect(snsSize(fitted)).toBeLessThanOrEqual(1500);
  });

  it('makes a valid message of lone surrogates, control characters and line breaks', () => {
    const alert = testAlert({
      event_type: 'bad\ud800type\nFAKE LINE',
      app_id: '\udc00',
      rule: 'r\r\n',
      samples: [{ event_id: 'e\u2028x', status: '\u0000\u0007' }],
    });
    const fitted = snsAlertMessage(alert);
    expectAcceptedBySns(fitted);
    expect(fitted.Message).not.toContain('\nFAKE LINE');
    expect(fitted.MessageAttributes.event_type?.StringValue).toBe('bad\ufffdtype\nFAKE LINE');
    expect(fitted.MessageAttributes.app_id?.StringValue).toBe('\ufffd');
    // The JSON part keeps the values exactly, escaped.
    expect(jsonOf(fitted.Message).event_type).toBe('bad\ud800type\nFAKE LINE');
  });

  it('is deterministic and keeps the alert id: a retried batch sends the same message', () => {
    const alert = testAlert({ count: 40, samples: Array.from({ length: 20 }, (_, i) => hugeSample(i)) });
    const a = snsAlertMessage(alert);
    const b = snsAlertMessage(structuredClone(alert));
    expect(b).toEqual(a);
    expect(a.alert.alert_id).toBe(alert.alert_id);
    expect(snsAlertMessage(a.alert)).toEqual(a);
  });

  it('gives a message SNS accepts for any alert', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc
        .tuple(
          fc.constantFrom('\u0001', '\u00e9', '\u4e00', '\u{1F600}', '\ud800', 'x', '\n'),
          fc.nat({ max: 60_000 }),
        )
        .map(([unit, n]) => unit.repeat(n)),
    );
    const sample = fc.dictionary(
      fc.constantFrom('event_id', 'event_type', 'status', 'message_id', 'bounce_sub_type', 'country'),
      text,
    );
    const alert = fc.record({
      rule: text,
      description: text,
      event_type: text,
      app_id: text,
      batch: text,
      count: fc.nat(),
      event_types: fc.dictionary(text, fc.nat({ max: 100 }), { maxKeys: 15 }),
      app_ids: fc.array(text, { maxLength: 15 }),
      samples: fc.array(sample, { maxLength: 20 }),
    });
    fc.assert(
      fc.property(alert, (fields) => {
        const fitted = snsAlertMessage(testAlert(fields as Partial<Alert>));
        expectAcceptedBySns(fitted);
        expect(boundAlert(fitted.alert)).toEqual(fitted.alert);
      }),
      { numRuns: 60 },
    );
  });
});

describe('snsSubject', () => {
  it('keeps the subject printable ASCII and under 100 characters', () => {
    const sns = (a: Alert) => snsSubject(alertSubject(a));
    const subject = sns(testAlert({ rule: `r-${'x'.repeat(120)}`, event_type: 'caf\u00e9\nnext' }));
    expect(subject).toHaveLength(SNS_LIMITS.subjectChars);
    expect(subject.endsWith('...')).toBe(true);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(sns(testAlert({ event_type: 'caf\u00e9\nnext' }))).toBe('[HIGH] rule-1: 2 x caf??next');
  });

  it('does the same for a rate alert', () => {
    const subject = snsSubject(
      alertSubject(
        testRateAlert({ group_by: ['campaign_id'], group: { campaign_id: `\u0007é${'c'.repeat(300)}` } }),
      ),
    );
    expect(subject.length).toBeLessThanOrEqual(99);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });
});

describe('snsAlertMessage of a rate alert', () => {
  it('carries kind: event among the attributes of an event alert, kind: rate of a rate alert', () => {
    expect(snsAlertMessage(testAlert()).MessageAttributes.kind).toEqual({
      DataType: 'String',
      StringValue: 'event',
    });
    expect(snsAlertMessage(testRateAlert()).MessageAttributes.kind).toEqual({
      DataType: 'String',
      StringValue: 'rate',
    });
  });

  it('renders a rate alert with kind, severity, rule and the values its group has as attributes', () => {
    const alert = testRateAlert({
      group_by: ['source', 'app_id', 'configuration_set'],
      group: { source: 'ses', app_id: null, configuration_set: 'marketing' },
    });
    const fitted = snsAlertMessage(alert);
    expectAcceptedBySns(fitted);
    expect(fitted.alert).toEqual(alert);
    expect(fitted.Subject).toBe(
      '[HIGH] email-bounce-rate-high: 6.2% >= 5% (31/500) source=ses app_id=- configuration_set=marketing',
    );
    expect(
      Object.fromEntries(Object.entries(fitted.MessageAttributes).map(([k, v]) => [k, v.StringValue])),
    ).toEqual({
      kind: 'rate',
      severity: 'high',
      rule: 'email-bounce-rate-high',
      source: 'ses',
      configuration_set: 'marketing',
    });
  });

  it('fits a rate alert with the most hostile group values SNS-wise, well under 256 KiB', () => {
    const hostile = '\u0001\ud800"é€'.repeat(20_000);
    const alert = testRateAlert({
      rule: hostile,
      description: hostile,
      batch: hostile,
      window: { start: hostile, end: hostile },
      group_by: ['app_id', 'campaign_id', 'journey_id', 'configuration_set', 'channel', 'source'],
      group: {
        app_id: hostile,
        campaign_id: hostile,
        journey_id: hostile,
        configuration_set: hostile,
        channel: hostile,
        source: '',
      },
    });
    const fitted = snsAlertMessage(alert);
    expectAcceptedBySns(fitted);
    expect(snsSize(fitted)).toBeLessThan(64 * 1024);
    // The empty source is no attribute: SNS refuses empty values.
    expect(Object.keys(fitted.MessageAttributes)).not.toContain('source');
    expect(Object.keys(fitted.MessageAttributes).length).toBeLessThanOrEqual(10);
  });

  it('leaves out the description, then cuts group values, under a smaller limit', () => {
    const alert = testRateAlert({
      description: 'd'.repeat(1_000),
      group: { configuration_set: 'c'.repeat(256) },
    });
    const full = snsSize(snsAlertMessage(alert, Number.POSITIVE_INFINITY));
    const noDescription = snsAlertMessage(alert, full - 1);
    expect(noDescription.alert).not.toHaveProperty('description');
    expectAcceptedBySns(noDescription, full - 1);
    const tight = snsAlertMessage(alert, snsSize(noDescription) - 1);
    expect((tight.alert as { group: Record<string, string> }).group.configuration_set?.length).toBe(32);
  });
});
