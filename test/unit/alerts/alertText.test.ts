import { alertAttributes, alertBody, alertSubject, alertText } from '../../../src/alerts/alertText';
import { testAlert, testRateAlert } from '../sinks/testAlert';

describe('alertText', () => {
  it('is the subject, the body and the attributes of an alert of either kind', () => {
    for (const alert of [testAlert(), testRateAlert()]) {
      expect(alertText(alert)).toEqual({
        subject: alertSubject(alert),
        body: alertBody(alert),
        attributes: alertAttributes(alert),
      });
    }
  });

  it('names no transport: the body says which limit samples were left out for only when told', () => {
    const alert = testAlert({ count: 9, samples_omitted: 4 });
    expect(alertBody(alert)).toContain('Samples (1 of 9, 4 more left out to fit the message size limit):');
    expect(alertBody(alert, { sizeLimit: 'the SNS message size limit' })).toContain(
      '4 more left out to fit the SNS message size limit',
    );
    const text = JSON.stringify(alertText(alert));
    expect(text).not.toMatch(/SNS|DataType|StringValue/);
  });

  it('gives an event alert plain string attributes, none empty, with kind: event', () => {
    expect(alertAttributes(testAlert({ app_id: '' }))).toEqual({
      kind: 'event',
      source: 'pinpoint',
      family: 'email',
      event_type: '_email.hardbounce',
      severity: 'high',
      rule: 'rule-1',
    });
  });

  it('leaves the subject uncut, values as they are: a transport makes it fit its own rules', () => {
    const rule = `r-${'x'.repeat(120)}`;
    expect(alertSubject(testAlert({ rule }))).toBe(`[HIGH] ${rule}: 2 x _email.hardbounce`);
  });
});
