import { type Dirent, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { NormalizedRecord } from '../../src/schema';

/**
 * The analytics rows of docs/analytics.md, counted here from normalized records exactly as the contract says —
 * the stand-in for the producer another change builds. A test that runs the pipeline into a folder calls
 * {@link writeAnalyticsFor} on it; once the batches write `analytics/` themselves, that one line goes.
 *
 * What it follows, column by column (docs/analytics.md §2): one row per group of a batch's records of one hour of
 * arrival; `campaign` is the Pinpoint `campaign_id`, else the `campaign` message tag in `attributes`;
 * `mailbox_provider` from a fixed table of consumer domains, every other domain `other`; bounce and complaint
 * types on bounced and complained records; `status` on SMS and voice records that failed or were rejected;
 * `country` (else `phone_country`) on SMS and voice records; prices summed; quarantine rows by reason, in the
 * batch's hour. Values cut at 256 characters.
 */

export interface AnalyticsRowJson {
  kind: 'messages' | 'quarantine';
  hour: string;
  source?: string;
  family?: string;
  channel?: string;
  app_id?: string;
  configuration_set?: string;
  journey_id?: string;
  campaign?: string;
  outcome?: string;
  mailbox_provider?: string;
  bounce_type?: string;
  bounce_sub_type?: string;
  complaint_type?: string;
  status?: string;
  country?: string;
  reason?: string;
  count: number;
  price_usd?: number;
  carrier_fee_usd?: number;
  other?: true;
}

/** Consumer mail domains → provider (docs/analytics.md: the producer's table lives in src/analytics/). */
const PROVIDERS: Record<string, string> = {
  'gmail.com': 'gmail',
  'googlemail.com': 'gmail',
  'outlook.com': 'microsoft',
  'hotmail.com': 'microsoft',
  'live.com': 'microsoft',
  'msn.com': 'microsoft',
  'yahoo.com': 'yahoo',
  'ymail.com': 'yahoo',
  'icloud.com': 'apple',
  'me.com': 'apple',
  'mac.com': 'apple',
  'aol.com': 'aol',
  'proton.me': 'proton',
  'protonmail.com': 'proton',
  'gmx.de': 'gmx',
  'gmx.net': 'gmx',
  'yandex.ru': 'yandex',
  'mail.ru': 'mail_ru',
  'qq.com': 'qq',
  '163.com': 'netease',
  '126.com': 'netease',
  'comcast.net': 'comcast',
  'zoho.com': 'zoho',
  'fastmail.com': 'fastmail',
};

export function mailboxProvider(domain: string): string {
  return PROVIDERS[domain.toLowerCase()] ?? 'other';
}

const cut = (v: string | undefined) => (v === undefined ? undefined : v.slice(0, 256));
const PHONE_CHANNELS = new Set(['SMS', 'VOICE']);

/** The group columns of one record's row (everything but the counts). */
export function rowGroupOf(r: NormalizedRecord, campaignTag = 'campaign'): Omit<AnalyticsRowJson, 'count'> {
  const phone = r.channel !== undefined && PHONE_CHANNELS.has(r.channel);
  const row: Omit<AnalyticsRowJson, 'count'> = {
    kind: 'messages',
    hour: `${r.dt}T${r.hour}:00:00.000Z`,
    source: r.source,
    family: r.family,
    channel: r.channel,
    app_id: cut(r.app_id),
    configuration_set: cut(r.configuration_set),
    journey_id: cut(r.journey_id),
    campaign: cut(r.campaign_id ?? r.attributes?.[campaignTag]),
    outcome: r.outcome,
    mailbox_provider:
      r.channel === 'EMAIL' && r.email_domain !== undefined ? mailboxProvider(r.email_domain) : undefined,
    bounce_type: r.outcome === 'bounced' ? r.bounce_type : undefined,
    bounce_sub_type: r.outcome === 'bounced' ? cut(r.bounce_sub_type) : undefined,
    complaint_type: r.outcome === 'complained' ? cut(r.complaint_type) : undefined,
    status: phone && (r.outcome === 'failed' || r.outcome === 'rejected') ? cut(r.status) : undefined,
    country: phone ? cut(r.country ?? r.phone_country) : undefined,
  };
  for (const k of Object.keys(row) as Array<keyof typeof row>) if (row[k] === undefined) delete row[k];
  return row;
}

/** The rows of one batch's records: one per group, counts and prices summed. */
export function analyticsRowsOf(
  records: readonly NormalizedRecord[],
  campaignTag?: string,
): AnalyticsRowJson[] {
  const groups = new Map<string, AnalyticsRowJson>();
  for (const r of records) {
    const group = rowGroupOf(r, campaignTag);
    const key = JSON.stringify(group);
    let row = groups.get(key);
    if (row === undefined) {
      row = { ...group, count: 0 };
      groups.set(key, row);
    }
    row.count += 1;
    if (r.price_usd !== undefined) row.price_usd = (row.price_usd ?? 0) + r.price_usd;
    if (r.carrier_fee_usd !== undefined) row.carrier_fee_usd = (row.carrier_fee_usd ?? 0) + r.carrier_fee_usd;
  }
  return [...groups.values()];
}

/** Quarantine rows of one batch: by reason, in the batch's hour. */
export function quarantineRowsOf(reasons: readonly string[], hour: string): AnalyticsRowJson[] {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([reason, count]) => ({ kind: 'quarantine', hour, reason, count }));
}

function walk(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );
}

const KEY = /^(normalized|quarantine)\/(dt=[^/]+\/hour=[^/]+\/.+\.jsonl\.gz)$/;

/**
 * Writes the analytics objects a folder's batches would have written: for every normalized and quarantine object
 * (one per batch and hour), the rows of its records under the same `dt=…/hour=…/<origin>/<stream>/<name>` in
 * `analytics/` — the messages and quarantine rows of one batch and hour in one object. Returns what it wrote.
 *
 * Records a drop rule removed are not in normalized/: the callers run the shipped rules, which drop nothing.
 */
export function writeAnalyticsFor(dir: string, campaignTag?: string): { objects: number; rows: number } {
  const byKey = new Map<string, AnalyticsRowJson[]>();
  for (const path of walk(dir)) {
    const m = KEY.exec(relative(dir, path).split('\\').join('/'));
    if (m === null) continue;
    const [, zone, rest] = m as unknown as [string, string, string];
    const lines = gunzipSync(readFileSync(path))
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l));
    const [, dt, hour] = /^dt=([^/]+)\/hour=([^/]+)\//.exec(rest) as unknown as [string, string, string];
    const rows =
      zone === 'normalized'
        ? analyticsRowsOf(lines as NormalizedRecord[], campaignTag)
        : quarantineRowsOf(
            lines.map((l: { reason: string }) => l.reason),
            `${dt}T${hour}:00:00.000Z`,
          );
    byKey.set(rest, [...(byKey.get(rest) ?? []), ...rows]);
  }
  let rows = 0;
  for (const [rest, list] of byKey) {
    const path = join(dir, 'analytics', rest);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, gzipSync(list.map((r) => `${JSON.stringify(r)}\n`).join('')));
    rows += list.length;
  }
  return { objects: byKey.size, rows };
}

/** Every normalized record of a folder (the independent count's input), with the partition of its object. */
export function normalizedRecordsIn(dir: string): NormalizedRecord[] {
  return walk(join(dir, 'normalized'))
    .filter((p) => p.endsWith('.jsonl.gz'))
    .flatMap((p) =>
      gunzipSync(readFileSync(p))
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as NormalizedRecord),
    );
}

/** Every quarantine line of a folder, with the hour of its object. */
export function quarantineLinesIn(dir: string): Array<{ reason: string; dt: string; hour: string }> {
  return walk(join(dir, 'quarantine'))
    .filter((p) => p.endsWith('.jsonl.gz'))
    .flatMap((p) => {
      const [, dt, hour] = /dt=([^/]+)\/hour=([^/]+)\//.exec(p) as unknown as [string, string, string];
      return gunzipSync(readFileSync(p))
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => ({ reason: (JSON.parse(l) as { reason: string }).reason, dt, hour }));
    });
}
