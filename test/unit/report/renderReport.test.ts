import { createHash } from 'node:crypto';
import type { MessagesRow } from '../../../src/report/analyticsRow';
import { ReportAccumulator } from '../../../src/report/ReportAccumulator';
import { renderReport } from '../../../src/report/renderReport';

const LIBRARY =
  '/* a chart library */ window.Chart = function () {};\n//# sourceMappingURL=chart.umd.min.js.map\n';

function email(
  outcome: MessagesRow['outcome'],
  count: number,
  extra: Partial<MessagesRow> = {},
): MessagesRow {
  return {
    kind: 'messages',
    day: '2026-12-07',
    hour: 9,
    source: 'ses',
    family: 'email',
    channel: 'EMAIL',
    outcome,
    count,
    other: false,
    ...extra,
  };
}

function page(rows: MessagesRow[], setup: (acc: ReportAccumulator) => void = () => {}): string {
  const acc = new ReportAccumulator('2026-12-07', '2026-12-07', 'folder out');
  for (const r of rows) acc.addRow(r);
  setup(acc);
  return renderReport(acc.result(), { chartLibrary: LIBRARY });
}

/** The contents of the page's inline script elements. */
function scripts(html: string): string[] {
  return [...html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1] as string);
}

const HOSTILE = [
  '<script>window.__pwned = 1</script>',
  '"><img src=x onerror="window.__pwned = 2">',
  "' onmouseover='window.__pwned = 3",
  '</script><script>window.__pwned = 4</script>',
  '<!--',
  '&lt;already escaped&gt;',
];

describe('renderReport', () => {
  it('shows every value from the data as text: a <script> campaign name is not markup', () => {
    const html = page(
      HOSTILE.map((name, i) =>
        email('delivered', 10 + i, {
          campaign: name,
          configuration_set: name,
          journey_id: name,
          mailbox_provider: name,
          channel: i === 3 ? name : 'EMAIL',
        }),
      ),
    );
    expect(html).toContain('&lt;script&gt;window.__pwned = 1&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned = 2&quot;&gt;');
    expect(html).toContain('&#39; onmouseover=&#39;window.__pwned = 3');
    expect(html).toContain('&amp;lt;already escaped&amp;gt;');
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain('window.__pwned = 1</script>');
    // Three script elements: the data, the library, the page's own; none from the data.
    expect(html.match(/<script/g)).toHaveLength(3);
    expect(html.match(/<\/script>/g)).toHaveLength(3);
    // The channel named `</script>…` reaches the charts' JSON escaped, and the JSON still parses to it.
    const json = scripts(html)[0] as string;
    expect(json).not.toMatch(/[<>]/);
    expect(JSON.parse(json).days[0].channels[HOSTILE[3] as string]).toBe(13);
  });

  it('lists only its own scripts and style in the Content-Security-Policy, and allows no request', () => {
    const html = page([email('delivered', 1)]);
    const csp = (
      /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? ''
    ).replace(/&#39;/g, "'");
    const hash = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
    const [, library, own] = scripts(html);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'none'");
    expect(csp).toContain(`script-src ${hash(library as string)} ${hash(own as string)};`);
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] as string;
    expect(csp).toContain(`style-src ${hash(style)};`);
    expect(csp).not.toContain('unsafe-inline');
  });

  it('needs nothing from the network', () => {
    const html = page([email('delivered', 1)]);
    expect(html).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<(link|img|iframe|object|embed)\b/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).not.toContain('sourceMappingURL');
    expect(html).toContain('/* a chart library */');
  });

  it('says what is empty, in words', () => {
    const html = page([]);
    for (const text of [
      'No messages in this range.',
      'No campaign in this range.',
      'No configuration set in this range.',
      'No journey in this range.',
      'No email in this range.',
      'No SMS in this range.',
      'No SMS, voice or RCS messages in this range.',
      'No bounce in this range.',
      'No complaint in this range.',
      'No failed SMS or call in this range.',
      'No rate alert fired in this range.',
      'Nothing quarantined in this range.',
    ]) {
      expect(html).toContain(text);
    }
    expect(html).not.toContain('<canvas');
  });

  it('says that S3 keeps no rate alerts when the bucket has no alerts/', () => {
    const html = page([email('delivered', 1)], (acc) => acc.setAlertsAvailable(false));
    expect(html).toContain('Rate alerts are not stored here: from S3 they go to the SNS topic');
    expect(html).not.toContain('No rate alert fired in this range.');
  });

  it('says in a footnote that an event delivered twice counts twice', () => {
    const html = page([email('delivered', 1)]);
    expect(html).toMatch(/id="fn-duplicates"[^>]*>¹ <b>Deliveries, not unique events\.<\/b>/);
    expect(html).toContain('is counted twice');
  });

  it('formats numbers for people and keeps the exact value beside them', () => {
    const html = page([
      email('delivered', 123_456, { campaign: 'big' }),
      email('bounced', 6_544, { campaign: 'big' }),
      email('delivered', 1, { channel: 'SMS', family: 'sms', price_usd: 12.3449, carrier_fee_usd: 0.001 }),
    ]);
    expect(html).toContain('<td class="num" data-col="delivered" data-value="123456">123,456</td>');
    expect(html).toContain(`<td class="num" data-col="bounce_rate" data-value="${6544 / 130_000}">5.0%</td>`);
    expect(html).toMatch(/data-metric="spend" data-value="12.3459">.*\$12\.35/);
  });

  it('is a function of its input', () => {
    const rows = [email('delivered', 5, { campaign: 'a' }), email('opened', 2, { campaign: 'b' })];
    expect(page(rows)).toBe(page([...rows].reverse()));
  });
});
