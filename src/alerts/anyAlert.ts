import { type Alert, boundAlert } from './eventAlert';
import { boundRateAlert, type RateAlert } from './rateAlert';

/**
 * Any alert the processor sends: an event rule's aggregate (Alert, `kind: 'event'`) or a rate rule's
 * (RateAlert, `kind: 'rate'`). Sinks tell them apart by `kind` (isRateAlert); an alert read back from before
 * `kind` existed has none, and is an event alert.
 */
export type AnyAlert = Alert | RateAlert;

export function isRateAlert(alert: AnyAlert): alert is RateAlert {
  return alert.kind === 'rate';
}

/**
 * The alert with every text from the data bounded, by its kind (boundAlert, boundRateAlert): what every sink
 * sends, whatever it was given. Idempotent; the id is left as it is.
 */
export function boundAnyAlert<A extends AnyAlert>(alert: A): A {
  return (isRateAlert(alert) ? boundRateAlert(alert) : boundAlert(alert)) as A;
}
