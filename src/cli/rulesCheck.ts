import { createReadStream, existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { DEFAULT_CAMPAIGN_TAG } from '../analytics/analyticsRow';
import { ConfigError, RulesValidationError } from '../errors';
import type { PipelineSettings } from '../pipeline';
import type { CompiledRateRule } from '../rules/compileRateRules';
import type { CompiledRule } from '../rules/compileRules';
import { loadRuleSet } from '../rules/loadRules';
import type { AnalyticsSpec } from '../rules/ruleSchema';
import { formatTable } from './formatTable';
import { type InputItem, readItems } from './inputItems';
import { CliError, type CliIO, clip, EXIT, MAX_ERROR_CHARS } from './io';
import { processItems } from './processItems';
import { decompressed, readError } from './readInput';

export interface RulesCheckOptions {
  /** Folder of sample events (default: the bundled events/raw). */
  events?: string;
  /** The result as one JSON object on stdout ({@link RulesCheckReport}) instead of text. */
  json?: boolean;
}

/** `rules check --json` of a valid file (documented in docs/cli.md; add fields, never rename them). */
export interface RulesCheckReport {
  /** The rules file as given; null for the shipped defaults. */
  file: string | null;
  valid: true;
  /** The rules in force, in order, with how many sample events each matches. */
  rules: Array<{
    name: string;
    action: 'alert' | 'drop' | 'tag';
    severity?: string;
    tags?: string[];
    events: number;
  }>;
  /**
   * The rate rules in force, in order (docs/rates.md): what they count, when they fire, and how many sample
   * events each counts (in its numerator or its denominator).
   */
  rateRules: Array<{
    name: string;
    numerator: string[];
    denominator: string[];
    threshold: number;
    min_volume: number;
    group_by: string[];
    severity: string;
    events: number;
  }>;
  /**
   * How the analytics rows read the campaign (docs/analytics.md): the message tag read when a record has no
   * Pinpoint `campaign_id` (`default`: the file does not set `analytics.campaign_tag`), and how many sample events
   * have a campaign either way.
   */
  analytics: { campaign_tag: string; default: boolean; events_with_campaign: number };
  /** The sample events: the folder as given (null for the bundled events/raw), its files, its events. */
  samples: { folder: string | null; files: number; events: number };
  /** One row per kind of event and set of matching rules, sorted as in the table. */
  matches: Array<{ source: string; family: string; event_type: string; events: number; rules: string[] }>;
  /** Sample records that are not events, by poison reason. */
  poisonByReason: Record<string, number>;
  /** Names of the rules that match no sample event (rate rules: that count none), event rules first. */
  unused: string[];
}

/** `rules check --json` of an invalid file (exit 2): every problem the validator found. */
export interface RulesCheckFailure {
  file: string | null;
  valid: false;
  problems: string[];
}

/** How the rules validator starts each problem of its list. */
const PROBLEM = '\n  - ';

const SAMPLE_FILE = /\.(json|jsonl|ndjson)(\.gz)?$|\.gz$/i;

/**
 * `pinpoint-stream rules check [file]`: validates a rules file as the cold start does (the shipped defaults
 * when no file is given), then runs the sample events through the pipeline with those rules and shows which
 * rules match each kind of event, and which rules match none. A rules error exits 2 with the validator's
 * message (every problem, with the rule's name and the key). Returns the exit code.
 */
export async function rulesCheckCommand(
  file: string | undefined,
  opts: RulesCheckOptions,
  io: CliIO,
): Promise<number> {
  let rules: CompiledRule[];
  let rateRules: CompiledRateRule[];
  let analytics: AnalyticsSpec | undefined;
  try {
    let text: string | undefined;
    if (file !== undefined) {
      try {
        text = await readFile(resolve(io.cwd, file), 'utf8');
      } catch (err) {
        throw new CliError(EXIT.config, `cannot read rules file '${clip(file)}': ${readError(err)}`, {
          cause: err,
        });
      }
    }
    ({ rules, rateRules, analytics } = loadRuleSet(text, file));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    if (opts.json === true) {
      const failure: RulesCheckFailure = {
        file: file ?? null,
        valid: false,
        problems:
          err instanceof RulesValidationError
            ? [...err.problems]
            : problems(err.message, file ?? 'default rules'),
      };
      await io.stdout.write(`${JSON.stringify(failure)}\n`);
    }
    // The validator lists every problem, one per line: all of them help here, each cut to a line's length (a
    // key of a million characters or line breaks is echoed escaped, start and end).
    await io.stderr.write(
      `error: ${err.message
        .split(PROBLEM)
        .map((p) => clip(p, MAX_ERROR_CHARS))
        .join(PROBLEM)}\n`,
    );
    return EXIT.config;
  }

  const dir = opts.events !== undefined ? resolve(io.cwd, opts.events) : bundledEvents();
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => SAMPLE_FILE.test(n)).sort();
  } catch (err) {
    throw new CliError(
      EXIT.input,
      `cannot read events folder '${clip(opts.events ?? dir)}': ${readError(err)}`,
      {
        cause: err,
      },
    );
  }
  // Redact: the check shows event types and rule names only, and needs no key.
  const settings: PipelineSettings = { rules, apps: {}, piiMode: 'redact', piiKey: Buffer.alloc(0) };
  const rows = new Map<
    string,
    { source: string; family: string; where: string; type: string; matched: CompiledRule[]; events: number }
  >();
  const poison = new Map<string, number>();
  const used = new Map<string, number>();
  const counted = new Map<string, number>();
  const campaignTag = analytics?.campaign_tag ?? DEFAULT_CAMPAIGN_TAG;
  let withCampaign = 0;
  let events = 0;
  for (const name of names) {
    const items: InputItem[] = [];
    try {
      for await (const item of readItems(decompressed(createReadStream(join(dir, name))), name, 0))
        items.push(item);
    } catch (err) {
      throw new CliError(EXIT.input, `${clip(name)}: ${readError(err)}`, { cause: err });
    }
    for (const p of processItems(items, settings)) {
      events++;
      const o = p.outcome;
      if (o.kind !== 'ok') {
        poison.set(o.reason, (poison.get(o.reason) ?? 0) + 1);
        continue;
      }
      const r = o.record;
      if (
        r.campaign_id !== undefined ||
        (r.attributes !== undefined && Object.hasOwn(r.attributes, campaignTag))
      )
        withCampaign++;
      for (const rate of rateRules) {
        if (counts(rate, r)) counted.set(rate.name, (counted.get(rate.name) ?? 0) + 1);
      }
      const matched = rules.filter((rule) => rule.matches(r));
      for (const m of matched) used.set(m.name, (used.get(m.name) ?? 0) + 1);
      const where = `${r.source}/${r.family}`;
      const key = `${where}\t${r.event_type}\t${matched.map((m) => m.name).join(',')}`;
      const row = rows.get(key) ?? {
        source: r.source,
        family: r.family,
        where,
        type: r.event_type,
        matched,
        events: 0,
      };
      row.events++;
      rows.set(key, row);
    }
  }

  const sorted = [...rows.values()].sort(
    (a, b) => a.where.localeCompare(b.where) || a.type.localeCompare(b.type) || b.events - a.events,
  );
  const unused = rules.filter((r) => !used.has(r.name));
  const uncounted = rateRules.filter((r) => !counted.has(r.name));
  if (opts.json === true) {
    const report: RulesCheckReport = {
      file: file ?? null,
      valid: true,
      rules: rules.map((r) => ({
        name: r.name,
        action: r.action,
        ...(r.action === 'alert' && { severity: r.severity ?? 'medium' }),
        ...(r.action === 'tag' && { tags: [...(r.tags ?? [])] }),
        events: used.get(r.name) ?? 0,
      })),
      rateRules: rateRules.map((r) => ({
        name: r.name,
        numerator: [...r.numerator],
        denominator: [...r.denominator],
        threshold: r.threshold,
        min_volume: r.minVolume,
        group_by: [...r.groupBy],
        severity: r.severity,
        events: counted.get(r.name) ?? 0,
      })),
      analytics: {
        campaign_tag: campaignTag,
        default: analytics?.campaign_tag === undefined,
        events_with_campaign: withCampaign,
      },
      samples: { folder: opts.events ?? null, files: names.length, events },
      matches: sorted.map((r) => ({
        source: r.source,
        family: r.family,
        event_type: r.type,
        events: r.events,
        rules: r.matched.map((m) => m.name),
      })),
      poisonByReason: Object.fromEntries([...poison].sort(([a], [b]) => a.localeCompare(b))),
      unused: [...unused, ...uncounted].map((r) => r.name),
    };
    await io.stdout.write(`${JSON.stringify(report)}\n`);
    return EXIT.ok;
  }

  const kinds = [
    ...(['alert', 'drop', 'tag'] as const).map(
      (a) => [a, rules.filter((r) => r.action === a).length] as const,
    ),
    ['rate', rateRules.length] as const,
  ]
    .filter(([, n]) => n > 0)
    .map(([a, n]) => `${n} ${a}`)
    .join(', ');
  const where = opts.events ?? 'the bundled events/raw';
  let out = `${file ?? 'default rules'}: valid, ${rules.length + rateRules.length} rules (${kinds || 'none'})\n`;
  out += `${events} sample events from ${names.length} files in ${where}\n\n`;
  out += formatTable(
    ['source/family', 'event type', 'events', 'matching rules'],
    sorted.map((r) => [
      r.where,
      r.type,
      r.events,
      r.matched.length > 0 ? r.matched.map(describeRule).join(', ') : '-',
    ]),
  );
  if (rateRules.length > 0) {
    out += `\n${formatTable(
      ['rate rule', 'rate', 'threshold', 'min_volume', 'group_by', 'severity', 'events'],
      rateRules.map((r) => [
        r.name,
        rateText(r),
        percent(r.threshold),
        r.minVolume,
        r.groupBy.length > 0 ? r.groupBy.join(', ') : '-',
        r.severity,
        counted.get(r.name) ?? 0,
      ]),
    )}`;
  }
  out +=
    `\nAnalytics: the campaign of a record is its Pinpoint campaign_id, else its message tag '${clip(campaignTag, 80)}'` +
    `${analytics?.campaign_tag === undefined ? ' (the default; analytics.campaign_tag sets another)' : ''}: ` +
    `${withCampaign} of ${events} sample events have one\n`;
  if (poison.size > 0) {
    out += `\nNot events (quarantined): ${[...poison].map(([reason, n]) => `${reason} ${n}`).join(', ')}\n`;
  }
  const idle = [...unused.map(describeRule), ...uncounted.map((r) => `${r.name} (rate ${r.severity})`)];
  out +=
    idle.length > 0
      ? `\nRules that match no sample event:\n${idle.map((r) => `  ${r}\n`).join('')}`
      : '\nEvery rule matches at least one sample event.\n';
  await io.stdout.write(out);
  return EXIT.ok;
}

/**
 * The problems in a configuration error that is not the validator's (which lists them itself), without the
 * file name that starts it: a `  - …` list, or the rest of the message as one problem.
 */
function problems(message: string, origin: string): string[] {
  const [, ...listed] = message.split(PROBLEM);
  if (listed.length > 0) return listed.map((p) => p.trim());
  for (const prefix of [`${origin} is invalid: `, `${origin}: `]) {
    if (message.startsWith(prefix)) return [message.slice(prefix.length).trim()];
  }
  return [message.trim()];
}

/** `email-hard-bounce (alert high)`, `drop-tests (drop)`, `vip (tag vip,gold)`. */
function describeRule(rule: CompiledRule): string {
  const detail =
    rule.action === 'alert'
      ? `alert ${rule.severity ?? 'medium'}`
      : rule.action === 'tag'
        ? `tag ${(rule.tags ?? []).join(',')}`
        : 'drop';
  return `${rule.name} (${detail})`;
}

/** Whether a rate rule counts a record: one of its outcomes, and its match filter. */
function counts(rule: CompiledRateRule, record: Parameters<CompiledRateRule['matches']>[0]): boolean {
  return rule.outcomes.includes(record.outcome) && rule.matches(record);
}

/** `bounced / (delivered + bounced)`, `complained / delivered`. */
function rateText(rule: CompiledRateRule): string {
  const side = (outcomes: readonly string[]) =>
    outcomes.length === 1 ? (outcomes[0] as string) : `(${outcomes.join(' + ')})`;
  return `${side(rule.numerator)} / ${side(rule.denominator)}`;
}

/** 0.0005 → `0.05%`. */
function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(4))}%`;
}

/** events/raw of this package, found from the running file (src/cli/ under tsx, dist/ when bundled). */
function bundledEvents(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'events', 'raw')))
      return join(dir, 'events', 'raw');
    const up = dirname(dir);
    if (up === dir)
      throw new CliError(EXIT.input, 'the bundled sample events were not found; pass --events <dir>');
    dir = up;
  }
}
