import { truncateText } from '../truncateText';
import type { AnyAlert } from './anyAlert';
import { type Alert, boundAlert } from './eventAlert';
import { boundRateAlert, type RateAlert } from './rateAlert';

/**
 * The alert as a message a transport with a size limit takes: `render` builds the transport's message from an
 * alert, `fits` says whether the transport takes it. The alert is bounded first (boundAlert, boundRateAlert),
 * then made smaller only as far as needed, the least informative parts first:
 *
 * - an event alert: its last samples left out, as few as possible, their number in `samples_omitted`; should
 *   even no sample fit, its event types and apps counted instead of listed;
 * - a rate alert (it has no samples and every text is cut): its description left out, then its group values
 *   cut to 32 characters.
 *
 * The last step is rendered whether it fits or not: the transport's limit must leave room for it (the SNS
 * sink's 256 KiB leaves plenty). Deterministic: a retried batch sends the same message.
 */
export function fitAlert<M>(
  alert: AnyAlert,
  render: (alert: AnyAlert) => M,
  fits: (message: M) => boolean,
): M {
  return alert.kind === 'rate'
    ? fitRateAlert(alert, render, fits)
    : fitEventAlert(alert as Alert, render, fits);
}

function fitEventAlert<M>(alert: Alert, render: (alert: Alert) => M, fits: (message: M) => boolean): M {
  const bounded = boundAlert(alert);
  const all = bounded.samples;
  const keeping = (k: number): Alert =>
    k === all.length
      ? bounded
      : {
          ...bounded,
          samples: all.slice(0, k),
          samples_omitted: (bounded.samples_omitted ?? 0) + all.length - k,
        };
  const full = render(bounded);
  if (fits(full)) return full;
  // The most samples that fit: more samples never make a smaller message, so a binary search finds them.
  let fitting: M | undefined;
  let low = 0;
  let high = all.length - 1;
  while (low <= high) {
    const k = (low + high) >>> 1;
    const candidate = render(keeping(k));
    if (fits(candidate)) {
      fitting = candidate;
      low = k + 1;
    } else high = k - 1;
  }
  if (fitting !== undefined) return fitting;
  const bare = keeping(0);
  const counted: Alert = {
    ...bare,
    event_types: {},
    event_types_other: Object.values(bare.event_types).reduce((a, b) => a + b, bare.event_types_other ?? 0),
    app_ids: [],
    app_ids_other: bare.app_ids.length + (bare.app_ids_other ?? 0),
  };
  if (counted.app_ids_other === 0) delete counted.app_ids_other;
  return render(counted);
}

function fitRateAlert<M>(
  alert: RateAlert,
  render: (alert: RateAlert) => M,
  fits: (message: M) => boolean,
): M {
  const bounded = boundRateAlert(alert);
  const full = render(bounded);
  if (fits(full)) return full;
  const { description: _left, ...bare } = bounded;
  const fitted = render(bare);
  if (fits(fitted)) return fitted;
  const group: RateAlert['group'] = {};
  for (const [k, v] of Object.entries(bare.group) as Array<[keyof RateAlert['group'], string | null]>) {
    group[k] = v === null ? null : truncateText(v, 32);
  }
  return render({ ...bare, group });
}
