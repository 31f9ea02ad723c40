import { createHash } from 'node:crypto';
import { OUTCOMES, type Outcome } from '../schema';
import { DASH, formatCount, formatRate, formatThreshold, formatUsd } from './format';
import {
  type BounceTypeRow,
  type ChannelRow,
  type ComplaintTypeRow,
  type CountryRow,
  type FailureStatusRow,
  type GroupDimension,
  type GroupRow,
  type GroupTable,
  HOURLY_UP_TO_DAYS,
  MAX_TRACKED_GROUPS,
  type OutcomeCounts,
  type ProviderRow,
  RATE_DEFINITIONS,
  type Rate,
  type RateAlertRow,
  type RateDefinition,
  type ReportData,
  TOP_GROUPS,
  TOP_REASONS,
  type TopList,
} from './model';
import { PAGE_SCRIPT } from './pageScript';

/**
 * The report as one self-contained HTML page: a pure function of the numbers (ReportAccumulator's) and of the
 * chart library's browser build, which is inlined. No request leaves the page: everything it needs is in it,
 * and its Content-Security-Policy allows nothing else (no connection, no image, no script or style but its own,
 * named by their hashes) — so it works opened from file:// with no network.
 *
 * Every value from the data is escaped: as text in tables (`&lt;script&gt;` shows as `<script>`), in attributes,
 * and in the JSON the charts read (`<` written `\u003c`, so no value can close its script element). The CSP is
 * a second wall: a script that got in anyway would not run, its hash not being listed.
 */
export interface RenderOptions {
  /** The chart library's UMD build (Chart.js), inlined as it is (its source-map comment dropped). */
  chartLibrary: string;
  /** When the report was made, ISO-8601; shown in the header (none: not shown). */
  generatedAt?: string;
}

export function renderReport(data: ReportData, options: RenderOptions): string {
  const library = inlineScript(options.chartLibrary.replace(/^\/\/# sourceMappingURL=.*$/gm, ''));
  const chartData = scriptJson({
    granularity: data.granularity,
    series: data.series.map((p) => ({ start: p.start, rates: p.rates })),
    days: data.days.map((d) => ({ day: d.day, channels: d.channels })),
    thresholds: data.thresholds,
    palette: CHANNEL_COLORS,
    extraColors: EXTRA_COLORS,
  });
  const script = inlineScript(PAGE_SCRIPT);
  const csp = [
    "default-src 'none'",
    `script-src ${[library, script].map(sha256).join(' ')}`,
    `style-src ${sha256(STYLE)}`,
    "img-src 'none'",
    "connect-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const title = `Messaging report ${data.from}${data.to === data.from ? '' : ` to ${data.to}`}`;
  const days = dayCount(data.from, data.to);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="referrer" content="no-referrer">
<title>${text(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header class="page">
<h1>${text(title)}</h1>
<p class="meta">${text(`${data.from} 00:00 to ${data.to} 23:59 UTC`)} · ${text(plural(days, 'day'))} · ${text(data.source)} · ${text(
    `${formatCount(data.input.messageRows + data.input.quarantineRows)} analytics rows from ${plural(data.input.analyticsObjects, 'object')}`,
  )}${options.generatedAt === undefined ? '' : ` · made ${text(options.generatedAt)}`}</p>
<nav><a href="#overview">Overview</a> <a href="#groups">Campaigns, sets, journeys</a> <a href="#over-time">Rates over time</a> <a href="#mailbox-providers">Mailbox providers</a> <a href="#countries">Countries</a> <a href="#reasons">Bounces and failures</a> <a href="#alerts">Rate alerts</a> <a href="#quarantine">Quarantine</a> <a href="#notes">Notes</a></nav>
</header>
<main>
${overview(data)}
${groupsSection(data)}
${overTime(data)}
${providersSection(data.mailboxProviders)}
${countriesSection(data.countries)}
${reasonsSection(data)}
${alertsSection(data)}
${quarantineSection(data)}
${notes(data)}
</main>
<script type="application/json" id="report-data">${chartData}</script>
<script>${library}</script>
<script>${script}</script>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------------------------
// Sections

function overview(data: ReportData): string {
  const { email, sms } = data.rates;
  const cards = [
    kpi('records', 'Records', formatCount(data.totals.records), data.totals.records, 'events counted¹'),
    kpi(
      'email-delivered',
      'Email delivered',
      formatCount(data.rates.email.delivery.numerator),
      data.rates.email.delivery.numerator,
      `delivery rate ${formatRate(email.delivery.rate)}`,
    ),
    kpiRate('bounce-rate', 'Bounce rate', email.bounce),
    kpiRate('complaint-rate', 'Complaint rate', email.complaint),
    kpi(
      'sms-delivery-rate',
      'SMS delivery rate',
      formatRate(sms.delivery.rate),
      sms.delivery.rate,
      `${formatCount(sms.delivery.numerator)} of ${formatCount(sms.delivery.denominator)} texts`,
    ),
    kpi('spend', 'Spend', formatUsd(data.totals.spendUsd), data.totals.spendUsd, 'price and carrier fees'),
  ].join('\n');

  const channelCols: Array<Column<ChannelRow>> = [
    textCol('channel', 'Channel', (r) => r.channel),
    numCol('records', 'Records', (r) => r.records, formatCount),
    ...FUNNEL.map((o) => numCol(o, OUTCOME_LABELS[o], (r: ChannelRow) => r.outcomes[o] ?? 0, formatCount)),
    numCol('other_outcomes', 'Other outcomes', (r) => otherOutcomes(r.outcomes), formatCount),
    numCol('spend', 'Spend', (r) => r.spendUsd, formatUsd),
  ];
  const rateRows: Array<{ key: string; name: string; def: RateDefinition; rate: Rate }> = [
    {
      key: 'email.delivery',
      name: 'Email delivery',
      def: RATE_DEFINITIONS.email.delivery,
      rate: email.delivery,
    },
    { key: 'email.open', name: 'Email open', def: RATE_DEFINITIONS.email.open, rate: email.open },
    { key: 'email.click', name: 'Email click', def: RATE_DEFINITIONS.email.click, rate: email.click },
    { key: 'email.bounce', name: 'Email bounce', def: RATE_DEFINITIONS.email.bounce, rate: email.bounce },
    {
      key: 'email.complaint',
      name: 'Email complaint',
      def: RATE_DEFINITIONS.email.complaint,
      rate: email.complaint,
    },
    { key: 'sms.delivery', name: 'SMS delivery', def: RATE_DEFINITIONS.sms.delivery, rate: sms.delivery },
    { key: 'sms.failure', name: 'SMS failure', def: RATE_DEFINITIONS.sms.failure, rate: sms.failure },
    { key: 'sms.rejected', name: 'SMS rejected', def: RATE_DEFINITIONS.sms.rejected, rate: sms.rejected },
  ];
  type RateLine = (typeof rateRows)[number];
  const rateCols: Array<Column<RateLine>> = [
    textCol('name', 'Rate', (r) => r.name),
    numCol('rate', 'Value', (r) => r.rate.rate, formatRate),
    numCol('numerator', 'Numerator', (r) => r.rate.numerator, formatCount),
    numCol('denominator', 'Denominator', (r) => r.rate.denominator, formatCount),
    textCol('definition', 'Counts', (r) => definitionText(r.def)),
    numCol(
      'threshold',
      'SES review at',
      (r) => r.rate.threshold ?? null,
      (v) => (v === null ? DASH : formatThreshold(v)),
    ),
    textCol('status', 'Status', (r) => statusText(r.rate)),
  ];
  const channels = data.channels;
  const dayChannels = [...new Set(data.days.flatMap((d) => Object.keys(d.channels)))].sort();
  const dayCols: Array<Column<ReportData['days'][number]>> = [
    textCol('day', 'Day (UTC)', (r) => r.day),
    numCol('records', 'Records', (r) => r.records, formatCount),
    ...dayChannels.map((c) =>
      numCol(`channel:${c}`, c, (r: ReportData['days'][number]) => r.channels[c] ?? 0, formatCount),
    ),
  ];
  return `<section id="overview">
<h2>Overview</h2>
<div class="kpis">
${cards}
</div>
<h3>Volume per channel and day</h3>
${
  data.totals.records === 0
    ? empty('No messages in this range.')
    : `<figure class="chart wide"><canvas id="chart-volume" role="img" aria-label="Records per day, stacked by channel"></canvas></figure>
${table('table-channels', channelCols, channels, (r) => r.channel, { caption: 'Records per channel¹, by outcome' })}
<div class="scroll">${table('table-days', dayCols, data.days, (r) => r.day, { caption: 'Records per day and channel¹' })}</div>`
}
<h3>Rates</h3>
${table('table-rates', rateCols, rateRows, (r) => r.key, { caption: 'Rates over the whole range (definitions under Notes)' })}
</section>`;
}

function groupsSection(data: ReportData): string {
  const parts = (
    [
      ['campaign', 'Campaigns', 'campaign', 'Campaign'],
      ['configuration_set', 'Configuration sets', 'configuration set', 'Configuration set'],
      ['journey_id', 'Journeys', 'journey', 'Journey'],
    ] as const
  ).map(([dimension, heading, noun, column]) =>
    groupTable(dimension, data.groups[dimension], heading, noun, column),
  );
  return `<section id="groups">
<h2>Campaigns, configuration sets and journeys</h2>
<p class="hint">The top ${TOP_GROUPS} by records, then the others summed. Click a column header to sort. Email rates count EMAIL records, the SMS delivery rate SMS records.</p>
${parts.join('\n')}
</section>`;
}

function groupTable(
  dimension: GroupDimension,
  t: GroupTable,
  heading: string,
  noun: string,
  column: string,
): string {
  const cols: Array<Column<GroupRow>> = [
    textCol('value', column, (r) => r.value, 'name'),
    numCol('records', 'Records', (r) => r.records, formatCount),
    ...FUNNEL.map((o) => numCol(o, OUTCOME_LABELS[o], (r: GroupRow) => r.outcomes[o] ?? 0, formatCount)),
    numCol('open_rate', 'Open', (r) => r.rates.open, formatRate),
    numCol('click_rate', 'Click', (r) => r.rates.click, formatRate),
    numCol('bounce_rate', 'Bounce', (r) => r.rates.bounce, formatRate),
    numCol('complaint_rate', 'Compl.', (r) => r.rates.complaint, formatRate),
    numCol('sms_delivery_rate', 'SMS deliv.', (r) => r.rates.smsDelivery, formatRate),
    numCol('spend', 'Spend', (r) => r.spendUsd, formatUsd),
  ];
  const foot: GroupRow[] = [];
  if (t.others !== null) foot.push(t.others);
  if (t.merged !== null) foot.push(t.merged);
  const notesList: string[] = [];
  notesList.push(`${formatCount(t.distinct)} ${t.distinct === 1 ? noun : `${noun}s`}`);
  if (t.withoutValue > 0)
    notesList.push(`${formatCount(t.withoutValue)} records without a ${noun} (not listed)`);
  if (t.others !== null) {
    notesList.push(
      `${t.others.groups === undefined ? 'other' : formatCount(t.others.groups)} more summed in (others)`,
    );
  }
  if (t.merged !== null) notesList.push(`(other): groups the batches merged past their row bound`);
  if (t.untrackedRecords > 0) {
    notesList.push(
      `more than ${formatCount(MAX_TRACKED_GROUPS)} distinct values: ${formatCount(t.untrackedRecords)} records of those seen later are in (others), not ranked`,
    );
  }
  return `<h3>${text(heading)}</h3>
${
  t.rows.length === 0 && foot.length === 0
    ? empty(
        `No ${noun} in this range.${t.withoutValue > 0 ? ` ${formatCount(t.withoutValue)} records carry none.` : ''}`,
      )
    : `<p class="hint">${text(notesList.join(' · '))}</p>
<div class="table-wrap">${table(`table-${dimension}`, cols, t.rows, (r) => r.value, {
        sortable: true,
        foot,
        footKey: (r) => (r === t.merged ? '(other)' : '(others)'),
        className: 'funnel',
      })}</div>`
}`;
}

function overTime(data: ReportData): string {
  const { email, sms } = data.rates;
  const per =
    data.granularity === 'hour' ? `per hour (ranges of up to ${HOURLY_UP_TO_DAYS} days)` : 'per day';
  const chart = (
    id: string,
    heading: string,
    show: boolean,
    emptyText: string,
    label: string,
  ) => `<figure class="chart">
<figcaption>${text(heading)}</figcaption>
${show ? `<canvas id="${id}" role="img" aria-label="${attr(label)}"></canvas>` : empty(emptyText)}
</figure>`;
  const hasEmail = email.bounce.denominator > 0;
  const hasDelivered = email.complaint.denominator > 0;
  return `<section id="over-time">
<h2>Rates over time</h2>
<p class="hint">${text(`Rates ${per}, UTC. The dashed lines are where SES places an account under review. A gap is ${data.granularity === 'hour' ? 'an hour' : 'a day'} without the rate's denominator.`)}</p>
<div class="charts">
${chart('chart-bounce', 'Email bounce rate', hasEmail, 'No email in this range.', 'Email bounce rate over time, with the SES review threshold')}
${chart('chart-complaint', 'Email complaint rate', hasDelivered, 'No email delivered in this range.', 'Email complaint rate over time, with the SES review threshold')}
${chart('chart-engagement', 'Email open and click rates', hasDelivered, 'No email delivered in this range.', 'Email open and click rates over time')}
${chart('chart-sms', 'SMS delivery and failure rates', sms.delivery.denominator > 0, 'No SMS in this range.', 'SMS delivery and failure rates over time')}
</div>
</section>`;
}

function providersSection(list: TopList<ProviderRow>): string {
  const cols: Array<Column<ProviderRow>> = [
    textCol('provider', 'Mailbox provider', (r) => r.provider, 'name'),
    numCol('records', 'Records', (r) => r.records, formatCount),
    ...(['delivered', 'bounced', 'complained', 'opened', 'clicked'] as const).map((o) =>
      numCol(o, OUTCOME_LABELS[o], (r: ProviderRow) => r.outcomes[o] ?? 0, formatCount),
    ),
    numCol('bounce_rate', 'Bounce', (r) => r.rates.bounce, formatRate),
    numCol('complaint_rate', 'Complaint', (r) => r.rates.complaint, formatRate),
    numCol('open_rate', 'Open', (r) => r.rates.open, formatRate),
    numCol('click_rate', 'Click', (r) => r.rates.click, formatRate),
  ];
  return `<section id="mailbox-providers">
<h2>Email by mailbox provider</h2>
${
  list.rows.length === 0
    ? empty('No email in this range.')
    : `<p class="hint">Consumer mail providers by the recipient's domain; every business domain is <q>other</q>, and <q>(none)</q> is email without a domain.</p>
${topTable('table-providers', cols, list, (r) => r.provider)}`
}
</section>`;
}

function countriesSection(list: TopList<CountryRow>): string {
  const cols: Array<Column<CountryRow>> = [
    textCol('channel', 'Channel', (r) => r.channel),
    textCol('country', 'Country', (r) => r.country, 'name'),
    numCol('records', 'Records', (r) => r.records, formatCount),
    ...(['sent', 'delivered', 'failed', 'rejected'] as const).map((o) =>
      numCol(o, OUTCOME_LABELS[o], (r: CountryRow) => r.outcomes[o] ?? 0, formatCount),
    ),
    numCol('delivery_rate', 'Delivery', (r) => r.deliveryRate, formatRate),
    numCol('price', 'Price', (r) => r.priceUsd, formatUsd),
    numCol('carrier_fee', 'Carrier fees', (r) => r.carrierFeeUsd, formatUsd),
    numCol('spend', 'Spend', (r) => r.spendUsd, formatUsd),
  ];
  return `<section id="countries">
<h2>SMS, voice and RCS by country</h2>
${
  list.rows.length === 0
    ? empty('No SMS, voice or RCS messages in this range.')
    : `<p class="hint">By destination country; spend is price plus carrier fees, in USD, as End User Messaging reports them.</p>
${topTable('table-countries', cols, list, (r) => `${r.channel} ${r.country}`)}`
}
</section>`;
}

function reasonsSection(data: ReportData): string {
  const bounceCols: Array<Column<BounceTypeRow>> = [
    textCol('bounce_type', 'Bounce type', (r) => r.bounce_type),
    textCol('bounce_sub_type', 'Sub-type', (r) => r.bounce_sub_type, 'name'),
    numCol('count', 'Records', (r) => r.count, formatCount),
  ];
  const complaintCols: Array<Column<ComplaintTypeRow>> = [
    textCol('complaint_type', 'Complaint type', (r) => r.complaint_type, 'name'),
    numCol('count', 'Records', (r) => r.count, formatCount),
  ];
  const failureCols: Array<Column<FailureStatusRow>> = [
    textCol('channel', 'Channel', (r) => r.channel),
    textCol('status', 'Status', (r) => r.status, 'name'),
    numCol('count', 'Records', (r) => r.count, formatCount),
  ];
  const block = <R>(
    heading: string,
    id: string,
    cols: Array<Column<R>>,
    list: TopList<R>,
    key: (r: R) => string,
    none: string,
  ) =>
    `<div class="reason">
<h3>${text(heading)}</h3>
${list.rows.length === 0 ? empty(none) : topTable(id, cols, list, key)}
</div>`;
  return `<section id="reasons">
<h2>Bounces, complaints and failures</h2>
<p class="hint">The top ${TOP_REASONS} of each, then the others summed.</p>
<div class="reasons">
${block('Bounce sub-types', 'table-bounce-types', bounceCols, data.bounceTypes, (r) => `${r.bounce_type} ${r.bounce_sub_type}`, 'No bounce in this range.')}
${block('Complaint types', 'table-complaint-types', complaintCols, data.complaintTypes, (r) => r.complaint_type, 'No complaint in this range.')}
${block('SMS and voice failure statuses', 'table-failure-statuses', failureCols, data.failureStatuses, (r) => `${r.channel} ${r.status}`, 'No failed SMS or call in this range.')}
</div>
</section>`;
}

function alertsSection(data: ReportData): string {
  const a = data.rateAlerts;
  const cols: Array<Column<RateAlertRow>> = [
    textCol('window_start', 'Window (UTC)', (r) =>
      r.window_start.replace('T', ' ').replace(/:00\.000Z$/, ''),
    ),
    textCol('rule', 'Rule', (r) => r.rule, 'name'),
    textCol('severity', 'Severity', (r) => r.severity),
    textCol('group', 'Group', (r) => r.group, 'name'),
    numCol('rate', 'Rate', (r) => r.rate, formatRate),
    numCol('threshold', 'Threshold', (r) => r.threshold, formatRate),
    numCol('numerator', 'Numerator', (r) => r.numerator, formatCount),
    numCol('denominator', 'Denominator', (r) => r.denominator, formatCount),
  ];
  let body: string;
  if (!a.available) {
    body = empty(
      'Rate alerts are not stored here: from S3 they go to the SNS topic, and this bucket holds no alerts/ prefix. See the topic\u2019s subscribers (or CloudWatch) for the alerts of this range.',
    );
  } else if (a.total === 0) {
    body = empty('No rate alert fired in this range.');
  } else {
    const byRule = a.byRule.map((r) => `${r.rule} (${r.severity}): ${formatCount(r.count)}`).join(' · ');
    body = `<p class="hint" data-metric="alerts-total" data-value="${a.total}"><b class="metric-value">${formatCount(
      a.total,
    )}</b> ${text(
      `${a.total === 1 ? 'rate alert' : 'rate alerts'}${a.omitted > 0 ? `, the first ${formatCount(a.shown.length)} by window listed` : ''} — ${byRule}`,
    )}</p>
<div class="table-wrap">${table('table-alerts', cols, a.shown, (r) => r.alert_id, { sortable: true })}</div>`;
  }
  return `<section id="alerts">
<h2>Rate alerts</h2>
<p class="hint">The rate rules' alerts (docs/rates.md) whose window starts in the range; event alerts are not part of the report.</p>
${body}
</section>`;
}

function quarantineSection(data: ReportData): string {
  const q = data.quarantine;
  const cols: Array<Column<{ reason: string; count: number }>> = [
    textCol('reason', 'Reason', (r) => r.reason, 'name'),
    numCol('count', 'Records', (r) => r.count, formatCount),
  ];
  return `<section id="quarantine">
<h2>Quarantine</h2>
${
  q.total === 0
    ? empty('Nothing quarantined in this range.')
    : `<p class="hint" data-metric="quarantine-total" data-value="${q.total}"><b class="metric-value">${formatCount(
        q.total,
      )}</b> ${text(`${q.total === 1 ? 'record' : 'records'} quarantined (poison input and internal errors), by reason.`)}</p>
${topTable('table-quarantine', cols, q.reasons, (r) => r.reason)}`
}
</section>`;
}

function notes(data: ReportData): string {
  const rate = (name: string, def: RateDefinition) =>
    `<li><b>${text(name)}</b>: ${text(definitionText(def))}${
      def.threshold === undefined
        ? ''
        : text(`; SES places an account under review at ${formatThreshold(def.threshold)}`)
    }.</li>`;
  const e = RATE_DEFINITIONS.email;
  const s = RATE_DEFINITIONS.sms;
  return `<footer id="notes">
<h2>Notes</h2>
<p id="fn-duplicates" class="footnote">¹ <b>Deliveries, not unique events.</b> The counts are records as the streams delivered them: an event delivered twice (the same <code>event_id</code> — a Pinpoint duplicate, or a batch retried after a crash) is counted twice. The deduplicated figures are the Athena views over the normalized records (docs/athena-queries.md).</p>
<p class="footnote">Rates count records of the schema's outcomes (docs/schema.md §3), on the channel named:</p>
<ul class="footnote">
${rate('Email delivery', e.delivery)}
${rate('Email open', e.open)}
${rate('Email click', e.click)}
${rate('Email bounce', e.bounce)}
${rate('Email complaint', e.complaint)}
${rate('SMS delivery', s.delivery)}
${rate('SMS failure', s.failure)}
${rate('SMS rejected', s.rejected)}
</ul>
<p class="footnote">Opens and clicks are events, not people: one message opened three times counts three opens, so the open and click rates can pass 100%. Bounces are hard and soft alike; SES's own bounce rate counts hard bounces only, so the rate here reads the same or higher. Times are UTC; a record counts in the hour it arrived. Spend is <code>price_usd</code> + <code>carrier_fee_usd</code>.</p>
<p class="footnote">${text(
    `Read: ${plural(data.input.analyticsObjects, 'analytics object')}, ${plural(data.input.alertObjects, 'alerts file')}; ${formatCount(data.input.messageRows)} message rows, ${formatCount(data.input.quarantineRows)} quarantine rows${
      data.input.ignoredRows > 0
        ? `, ${formatCount(data.input.ignoredRows)} rows of an unknown kind skipped`
        : ''
    }${data.input.outOfRangeRows > 0 ? `, ${formatCount(data.input.outOfRangeRows)} rows outside the range skipped` : ''}.`,
  )}</p>
</footer>`;
}

// ---------------------------------------------------------------------------------------------------------------
// Building blocks

interface Column<R> {
  id: string;
  label: string;
  /** A number (data-value holds it exactly, the cell shows `format`) or text. */
  num?: (r: R) => number | null;
  format?: (v: number | null) => string;
  text?: (r: R) => string;
  /** `name`: cut with an ellipsis, the whole value in the cell's title. */
  className?: string;
}

function numCol<R>(
  id: string,
  label: string,
  get: (r: R) => number | null,
  format: (v: number | null) => string,
): Column<R> {
  return { id, label, num: get, format };
}

function textCol<R>(id: string, label: string, get: (r: R) => string, className?: string): Column<R> {
  return { id, label, text: get, ...(className !== undefined && { className }) };
}

function table<R>(
  id: string,
  cols: ReadonlyArray<Column<R>>,
  rows: readonly R[],
  key: (r: R) => string,
  options: {
    caption?: string;
    sortable?: boolean;
    foot?: readonly R[];
    footKey?: (r: R) => string;
    className?: string;
  } = {},
): string {
  const sortable = options.sortable === true;
  const head = cols
    .map((c) => {
      const type = c.num !== undefined ? 'number' : 'text';
      const label = text(c.label);
      return `<th scope="col" data-col="${attr(c.id)}" data-type="${type}"${c.num !== undefined ? ' class="num"' : ''}>${
        sortable ? `<button type="button">${label}</button>` : label
      }</th>`;
    })
    .join('');
  const line = (r: R, k: string) =>
    `<tr data-key="${attr(k)}">${cols
      .map((c) => {
        if (c.num !== undefined) {
          const v = c.num(r);
          const shown = (c.format ?? formatCount)(v);
          return `<td class="num" data-col="${attr(c.id)}" data-value="${v === null ? '' : String(v)}">${text(shown)}</td>`;
        }
        const v = c.text?.(r) ?? '';
        const cls = c.className === undefined ? '' : ` class="${attr(c.className)}"`;
        const title = c.className === 'name' ? ` title="${attr(v)}"` : '';
        return `<td data-col="${attr(c.id)}"${cls}${title}>${text(v)}</td>`;
      })
      .join('')}</tr>`;
  const body = rows.map((r) => line(r, key(r))).join('\n');
  const foot = (options.foot ?? []).map((r) => line(r, (options.footKey ?? key)(r))).join('\n');
  const classes = [sortable ? 'sortable' : '', options.className ?? ''].filter((c) => c !== '').join(' ');
  return `<table id="${attr(id)}"${classes === '' ? '' : ` class="${classes}"`}>${
    options.caption === undefined ? '' : `<caption>${text(options.caption)}</caption>`
  }
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody>${foot === '' ? '' : `\n<tfoot>\n${foot}\n</tfoot>`}
</table>`;
}

function topTable<R>(
  id: string,
  cols: ReadonlyArray<Column<R>>,
  list: TopList<R>,
  key: (r: R) => string,
): string {
  const foot = list.others === null ? [] : [list.others];
  const note =
    list.untrackedRecords > 0
      ? `<p class="hint">${text(
          `More than ${formatCount(MAX_TRACKED_GROUPS)} distinct values: ${formatCount(list.untrackedRecords)} records of those seen later are in (others).`,
        )}</p>\n`
      : '';
  return `${note}<div class="table-wrap">${table(id, cols, list.rows, key, {
    sortable: true,
    foot,
    footKey: () => '(others)',
  })}</div>`;
}

function kpi(
  metric: string,
  label: string,
  shown: string,
  value: number | null,
  sub: string,
  cls = '',
): string {
  return `<div class="kpi${cls}" data-metric="${attr(metric)}" data-value="${value === null ? '' : String(value)}"><div class="kpi-label">${text(
    label,
  )}</div><div class="kpi-value">${text(shown)}</div><div class="kpi-sub">${text(sub)}</div></div>`;
}

function kpiRate(metric: string, label: string, rate: Rate): string {
  const threshold = rate.threshold === undefined ? '' : `SES review at ${formatThreshold(rate.threshold)}`;
  const sub = `${formatCount(rate.numerator)} of ${formatCount(rate.denominator)} · ${threshold}`;
  return kpi(metric, label, formatRate(rate.rate), rate.rate, sub, rate.over === true ? ' over' : '');
}

function empty(message: string): string {
  return `<p class="empty">${text(message)}</p>`;
}

function definitionText(def: RateDefinition): string {
  const sumOf = (o: readonly Outcome[]) => (o.length === 1 ? o[0] : `(${o.join(' + ')})`);
  return `${sumOf(def.numerator)} / ${sumOf(def.denominator)}, channel ${def.channel}`;
}

function statusText(rate: Rate): string {
  if (rate.threshold === undefined) return '';
  if (rate.rate === null) return 'no volume';
  return rate.over === true ? 'at or over the SES review rate' : 'under the SES review rate';
}

/** The outcomes a funnel shows, in order. */
const FUNNEL = [
  'sent',
  'delivered',
  'opened',
  'clicked',
  'bounced',
  'complained',
  'rejected',
  'failed',
] as const;
const FUNNEL_SET: ReadonlySet<Outcome> = new Set(FUNNEL);

const OUTCOME_LABELS: Record<(typeof FUNNEL)[number], string> = {
  sent: 'Sent',
  delivered: 'Delivered',
  opened: 'Opened',
  clicked: 'Clicked',
  bounced: 'Bounced',
  complained: 'Complained',
  rejected: 'Rejected',
  failed: 'Failed',
};

function otherOutcomes(outcomes: OutcomeCounts): number {
  let n = 0;
  for (const o of OUTCOMES) if (!FUNNEL_SET.has(o)) n += outcomes[o] ?? 0;
  return n;
}

const CHANNEL_COLORS: Record<string, string> = {
  EMAIL: '#2563eb',
  SMS: '#16a34a',
  VOICE: '#ea580c',
  PUSH: '#9333ea',
  IN_APP: '#0891b2',
  CUSTOM: '#64748b',
  '(none)': '#cbd5e1',
};
const EXTRA_COLORS = ['#db2777', '#ca8a04', '#4f46e5', '#059669', '#dc2626', '#0d9488'];

/** Text content: `&`, `<`, `>` escaped (quotes too, so the same function is safe in attributes). */
function text(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}
const attr = text;
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * JSON inside `<script type="application/json">`: `<`, `>` and `&` as \u escapes (no value can write `</script>`
 * or `<!--`), and the two line separators JavaScript once refused in strings.
 */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Script text that cannot end its element early: `</script` written `<\/script` (the same string in JS). */
function inlineScript(source: string): string {
  const safe = source.replace(/<\/(script)/gi, '<\\/$1');
  if (/<!--/.test(safe)) throw new Error('an inline script holds <!--, which HTML parses specially');
  return safe;
}

function sha256(content: string): string {
  return `'sha256-${createHash('sha256').update(content, 'utf8').digest('base64')}'`;
}

function plural(n: number, noun: string): string {
  return `${formatCount(n)} ${noun}${n === 1 ? '' : 's'}`;
}

function dayCount(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

/** The page's style: readable at 1366×768, and printable (sections, charts and table rows kept whole). */
const STYLE = `
:root { --fg: #1f2937; --muted: #6b7280; --line: #e5e7eb; --head: #f3f4f6; --bad: #b91c1c; --ok: #15803d; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--fg); background: #fff; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header.page, main { max-width: 1320px; margin: 0 auto; padding: 0 20px; }
header.page { padding-top: 16px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
.meta, .hint { color: var(--muted); margin: 4px 0 8px; }
nav { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 8px 0 0; padding: 8px 0; border-bottom: 1px solid var(--line); }
nav a { color: #1d4ed8; text-decoration: none; }
nav a:hover { text-decoration: underline; }
.kpis { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 10px; margin: 8px 0 12px; }
.kpi { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.kpi-label { color: var(--muted); font-size: 12px; }
.kpi-value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.kpi-sub { color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
.kpi.over { border-color: var(--bad); }
.kpi.over .kpi-value { color: var(--bad); }
.chart { position: relative; height: 260px; margin: 0; min-width: 0; }
.chart.wide { height: 240px; margin-bottom: 12px; }
.chart figcaption { font-weight: 600; margin-bottom: 4px; }
.charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px 24px; }
.charts .chart { height: 280px; padding-bottom: 24px; }
.charts .chart canvas { max-height: 250px; }
.table-wrap { overflow-x: auto; max-width: 100%; }
.scroll { max-height: 320px; overflow: auto; margin-top: 10px; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); padding: 4px 0; }
th, td { padding: 3px 6px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; white-space: nowrap; position: sticky; top: 0; }
th.num, td.num { text-align: right; white-space: nowrap; }
th button { font: inherit; font-weight: 600; color: inherit; background: none; border: 0; padding: 0; cursor: pointer; }
th button::after { content: " \\2195"; color: #9ca3af; font-size: 10px; }
th[aria-sort="ascending"] button::after { content: " \\25B2"; color: var(--fg); }
th[aria-sort="descending"] button::after { content: " \\25BC"; color: var(--fg); }
td.name { max-width: 240px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
table.funnel { font-size: 12px; }
table.funnel th, table.funnel td { padding: 3px 4px; }
table.funnel th { white-space: normal; vertical-align: bottom; }
table.funnel td.name { max-width: 190px; }
tfoot td { font-style: italic; background: #fafafa; }
.empty { color: var(--muted); font-style: italic; border: 1px dashed var(--line); border-radius: 6px; padding: 12px; margin: 6px 0; }
.reasons { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 16px; }
.reason h3 { margin-top: 4px; }
footer { max-width: 1320px; margin: 0 auto 40px; }
.footnote { color: #374151; font-size: 13px; }
code { font-size: 12px; background: #f3f4f6; padding: 0 3px; border-radius: 3px; }
@media (max-width: 1000px) {
  .kpis { grid-template-columns: repeat(3, minmax(0, 1fr)); }
  .charts, .reasons { grid-template-columns: 1fr; }
}
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { font-size: 11px; }
  header.page, main { max-width: none; padding: 0; }
  nav { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  section { break-before: auto; }
  .kpis, .kpi, .chart, figure, .empty, .hint { break-inside: avoid; page-break-inside: avoid; }
  .charts { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .scroll, .table-wrap { max-height: none; overflow: visible; }
  table { font-size: 10px; }
  thead { display: table-header-group; }
  tfoot { display: table-row-group; }
  tr, td, th { break-inside: avoid; page-break-inside: avoid; }
  th { position: static; }
  th button::after { content: ""; }
  td.name { max-width: 180px; white-space: normal; overflow-wrap: anywhere; }
  a { color: inherit; text-decoration: none; }
}
`;
