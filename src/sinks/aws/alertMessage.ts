import type { Alert } from '../../rules/alerts';

/** SNS subjects: ASCII, no line breaks, at most 100 characters. */
export function alertSubject(alert: Alert): string {
  const subject = `[${alert.severity.toUpperCase()}] ${alert.rule}: ${alert.count} x ${alert.event_type}`;
  const ascii = subject.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= 100 ? ascii : `${ascii.slice(0, 97)}...`;
}

/**
 * A body a person can read in an email subscription, ending with the alert as JSON for programs.
 * Built only from the alert, which carries no address, phone number or IP by construction.
 */
export function alertBody(alert: Alert): string {
  const types = Object.entries(alert.event_types)
    .map(([t, n]) => `${t} (${n})`)
    .join(', ');
  const lines = [
    `${alert.severity.toUpperCase()} — ${alert.rule}: ${alert.count} event${alert.count === 1 ? '' : 's'}`,
  ];
  if (alert.description !== undefined) lines.push(alert.description);
  lines.push(
    '',
    `Source: ${alert.source}   Family: ${alert.family}`,
    `Event types: ${types}`,
    `Apps: ${alert.app_ids.length > 0 ? alert.app_ids.join(', ') : '-'}`,
    `Event time: ${alert.first_event_time ?? '?'} .. ${alert.last_event_time ?? '?'}`,
    `Batch: ${alert.batch}`,
    `Alert id: ${alert.alert_id}`,
  );
  if (alert.samples.length > 0) {
    lines.push('', `Samples (${alert.samples.length} of ${alert.count}):`);
    for (const s of alert.samples) {
      lines.push(
        `- ${Object.entries(s)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`,
      );
    }
  }
  lines.push('', '--- alert JSON ---', JSON.stringify(alert));
  return lines.join('\n');
}
