import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * The fixed inputs of the documented runs: the working copy each session starts in, the files each named
 * session adds to it, and the local servers the replay examples read from. Everything here is a function of the
 * repository's files and of constants: two runs prepare the same bytes.
 */

export const ROOT = join(__dirname, '..', '..');

/** What the docs name as the servers' URLs: s3rver's default port, and a port for the local SNS endpoint. */
export const DOC_S3_URL = 'http://127.0.0.1:4568';
export const DOC_SNS_URL = 'http://127.0.0.1:4575';
/** The bucket and prefix the replay examples' archive is in. */
export const ARCHIVE_BUCKET = 'pinpoint-archive';
export const ARCHIVE_PREFIX = 'prod/';
/** The PII key the examples' archive was written with, and that `replay` is given (docs/cli.md says so). */
export const DOC_PII_KEY = 'docs-example-key-not-a-secret';

/** Entries of the repository a working copy links to (read only), and the ones it copies (commands read them). */
const LINKED = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'node_modules',
  'src',
  'handlers',
  'scripts',
  'build',
  'bin',
  'infra',
  'schemas',
];
// serverless.yml too: osls refuses a service file that is a link ("can only be run in a service directory").
const COPIED = ['events', 'rules.example.yaml', 'serverless.yml'];

/**
 * A fresh folder that looks like a clone of the repository to a command run in it: the sources and
 * node_modules linked, the sample events and the example rules copied; nothing else (no .local/, no out/).
 */
export function workingCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'docs-run-'));
  for (const entry of LINKED) symlinkSync(join(ROOT, entry), join(dir, entry));
  for (const entry of COPIED) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  return dir;
}

export function removeWorkingCopy(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Servers a session needs, started once per run by the runner. */
export interface DocServers {
  /** The s3rver holding `s3://pinpoint-archive/prod/raw/…`, the bundled Kinesis samples as the handler archived them. */
  s3(): Promise<string>;
  /** The local SNS endpoint. */
  sns(): Promise<string>;
}

export interface Setup {
  /** Files written into the working copy before the session's first block. */
  readonly files?: (dir: string) => void;
  /** Servers the session talks to (started before its first block). */
  readonly servers?: ReadonlyArray<keyof DocServers>;
}

/** The sessions the docs name (`<!-- docs:run session=NAME -->`), by name. A name not here starts empty. */
export const SETUPS: Readonly<Record<string, Setup>> = {
  rates: { files: ratesInputs },
  rules: { files: (dir) => writeFileSync(join(dir, 'bad-rules.yaml'), BAD_RULES) },
  errors: {
    files: (dir) => {
      writeFileSync(join(dir, 'bad-rules.yaml'), BAD_RULES);
      writeFileSync(join(dir, 'afile'), '');
    },
  },
  caps: { files: capsInputs },
  fixtures: { files: (dir) => writeFileSync(join(dir, 'my-sms.jsonl'), mySms()) },
  'every-problem': { files: (dir) => writeFileSync(join(dir, 'rules.yaml'), EVERY_PROBLEM_RULES) },
  'rate-problems': { files: (dir) => writeFileSync(join(dir, 'rules.yaml'), RATE_PROBLEM_RULES) },
  replay: { servers: ['s3', 'sns'] },
  'replay-rates': {
    servers: ['s3'],
    files: (dir) => writeFileSync(join(dir, 'sms-rules.yaml'), SMS_TROUBLE_RULES),
  },
};

/** docs/cli.md's invalid rules file: an unknown key, a glob where none is taken, no severity, a name twice, a typo. */
const BAD_RULES = `version: 1
rules:
  - name: vip-bounces
    match: { bounce_typ: permanent, configuration_set: "vip-*" }
    action: alert
  - name: vip-bounces
    match: { family: emial }
    action: drop
`;

/** The README's: a problem of every kind, in three rules and the \`disable\` list. */
const EVERY_PROBLEM_RULES = `version: 1
disable: [sms-optout]
rules:
  - name: mkt-bounces
    match: { configuration_set: "mkt-*", family: emial }
    action: alert
  - name: vip
    match: { event_type: "_email.*" }
    action: drop
  - name: mkt-bounces
    match: { source: ses }
    action: tag
    tags: [mkt]
`;

/** docs/rates.md's: the problems of a rate rule. */
const RATE_PROBLEM_RULES = `version: 1
rules:
  - name: r
    kind: rate
    numerator: [bounced, lost]
    match: { bounce_type: permanent, configuration_set: "mkt-*", channel: mail }
    threshold: 5
    min_volume: 200
    severity: high
  - name: r
    kind: rate
    numerator: [complained]
    denominator: [delivered]
    threshold: 0.001
    min_volume: 2000
    severity: high
`;

/** docs/cli.md's replay with --rates: failed and rejected SMS over all, one window, no group. */
const SMS_TROUBLE_RULES = `version: 1
rules:
  - name: sms-trouble
    kind: rate
    match: { channel: SMS }
    numerator: [failed, rejected]
    denominator: [delivered, failed, rejected]
    threshold: 0.25
    min_volume: 3
    severity: medium
`;

/** An event of the repository's samples, by file and predicate. */
function sample(file: string, pick: (e: Record<string, unknown>) => boolean): Record<string, unknown> {
  const events = JSON.parse(readFileSync(join(ROOT, 'events', 'raw', `${file}.json`), 'utf8')) as Record<
    string,
    unknown
  >[];
  const found = events.find(pick);
  if (found === undefined) throw new Error(`docs: no such sample event in events/raw/${file}.json`);
  return found;
}

/**
 * SES events of configuration set prod-engagement, as its Firehose destination writes them: `bounced` bounces
 * then deliveries, one a second from `at`, each with its own message id (numbered from `from`).
 */
function sesLines(delivered: number, bounced: number, from: number, at: number): string[] {
  const delivery = sample('ses', (e) => e.eventType === 'Delivery');
  const bounce = sample('ses', (e) => e.eventType === 'Bounce');
  const lines: string[] = [];
  for (let k = 0; k < delivered + bounced; k++) {
    const isBounce = k < bounced;
    const event = structuredClone(isBounce ? bounce : delivery) as Record<string, Record<string, unknown>>;
    const time = new Date(at + k * 1000).toISOString();
    event.mail = {
      ...event.mail,
      timestamp: time,
      messageId: `0100019aa3e1b7c4-${String(from + k).padStart(8, '0')}`,
    };
    const detail = isBounce ? 'bounce' : 'delivery';
    event[detail] = { ...event[detail], timestamp: time };
    lines.push(JSON.stringify(event));
  }
  return lines;
}

const lines = (l: readonly string[]) => `${l.join('\n')}\n`;

/**
 * docs/cli.md's rates examples: `bounces.jsonl`, 200 SES events (180 deliveries, 20 bounces) from 10:01 UTC on
 * 5 January 2026; `more.jsonl`, 92 more of the same hour (90 deliveries, 2 bounces); `ses-eventbridge.jsonl`,
 * 24 deliveries through EventBridge, one every three hours from 1 March 2026 00:30 UTC, last modified on 10 March.
 */
function ratesInputs(dir: string): void {
  const hour = Date.UTC(2026, 0, 5, 10);
  writeFileSync(join(dir, 'bounces.jsonl'), lines(sesLines(180, 20, 0, hour + 60_000)));
  writeFileSync(join(dir, 'more.jsonl'), lines(sesLines(90, 2, 200, hour + 30 * 60_000)));
  const delivered = sample('ses-eventbridge', (e) => e['detail-type'] === 'Email Delivered');
  const start = Date.UTC(2026, 2, 1, 0, 30);
  const eb: string[] = [];
  for (let i = 0; i < 24; i++) {
    const time = new Date(start + i * 3 * 3_600_000).toISOString().replace('.000Z', 'Z');
    eb.push(JSON.stringify({ ...delivered, id: `eb-${String(i).padStart(2, '0')}`, time }));
  }
  const file = join(dir, 'ses-eventbridge.jsonl');
  writeFileSync(file, lines(eb));
  const modified = new Date(Date.UTC(2026, 2, 10, 12, 0));
  utimesSync(file, modified, modified);
}

/**
 * docs/cli.md's caps examples: `export.json.gz`, gzip of 4 MiB of spaces (it inflates about a thousand times);
 * `big.jsonl`, a line of an event, then a line of 9 MiB.
 */
function capsInputs(dir: string): void {
  writeFileSync(join(dir, 'export.json.gz'), gzipSync(Buffer.alloc(4 * 1024 * 1024, ' '), { level: 9 }));
  const event = JSON.stringify(sample('ses', (e) => e.eventType === 'Delivery'));
  writeFileSync(
    join(dir, 'big.jsonl'),
    `${event}\n{"eventType":"Delivery","padding":"${'x'.repeat(9 * 1024 * 1024)}"}\n`,
  );
}

/** docs/cli.md's fixtures example: two SMS events of the samples, as JSON Lines. */
function mySms(): string {
  const events = JSON.parse(readFileSync(join(ROOT, 'events', 'raw', 'sms.json'), 'utf8')) as unknown[];
  return lines(events.slice(0, 2).map((e) => JSON.stringify(e)));
}

/** The bundled Kinesis sample events, in file order: what the replay examples' archive was written from. */
export function kinesisSampleFiles(): string[] {
  return readdirSync(join(ROOT, 'events'))
    .filter((f) => /^kinesis-.*\.json$/.test(f))
    .sort()
    .map((f) => join(ROOT, 'events', f));
}
