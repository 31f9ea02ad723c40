import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { rulesCheckCommand } from '../../../src/cli/rulesCheck';
import { DEFAULT_RATE_RULES, DEFAULT_RULES } from '../../../src/rules/defaultRules';
import type { EventRuleSpec, MatchSpec } from '../../../src/rules/ruleSchema';
import { captureIO, tempDir } from '../cli/cliIO';

/**
 * Every rules file the documentation shows — each ```yaml block of README.md and docs/*.md that is a rules file
 * (`version: 1` and `rules:`) — passes `pinpoint-stream rules check`, as a user who copies it would run it, and
 * adds no second alert for what a shipped rule already alerts on.
 */
const ROOT = join(__dirname, '..', '..', '..');

interface Block {
  name: string;
  text: string;
  doc: { version?: unknown; rules?: unknown[] };
}

function documentedRulesFiles(): Block[] {
  const docs = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((f) => join('docs', f))].filter((f) =>
    f.endsWith('.md'),
  );
  const blocks: Block[] = [];
  for (const doc of docs) {
    const text = readFileSync(join(ROOT, doc), 'utf8');
    let n = 0;
    for (const m of text.matchAll(/```ya?ml\n([\s\S]*?)```/g)) {
      n++;
      let parsed: unknown;
      try {
        parsed = parseYaml(m[1] as string);
      } catch {
        continue;
      }
      if (parsed !== null && typeof parsed === 'object' && 'version' in parsed && 'rules' in parsed) {
        blocks.push({ name: `${doc} (yaml block ${n})`, text: m[1] as string, doc: parsed as Block['doc'] });
      }
    }
  }
  return blocks;
}

/** A match, keys sorted and values lower-cased into sorted lists: two rules that match alike compare equal. */
function canonical(match: MatchSpec | Record<string, unknown> | undefined): string {
  const norm = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map((x) => String(x).toLowerCase()).sort()
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]))
        : [String(v).toLowerCase()];
  const m = (match ?? {}) as Record<string, unknown>;
  return JSON.stringify(
    Object.fromEntries(
      Object.keys(m)
        .sort()
        .map((k) => [k, norm(m[k])]),
    ),
  );
}

const BLOCKS = documentedRulesFiles();

describe('the rules files of the documentation', () => {
  it('are found: README, Athena queries, migration, rates', () => {
    const docs = new Set(BLOCKS.map((b) => b.name.replace(/ \(yaml block \d+\)$/, '')));
    for (const doc of ['README.md', 'docs/athena-queries.md', 'docs/migration.md', 'docs/rates.md']) {
      expect({ doc, found: docs.has(doc) }).toEqual({ doc, found: true });
    }
  });

  it.each(BLOCKS.map((b) => [b.name, b] as const))('%s passes rules check', async (_name, block) => {
    const dir = tempDir('documented-rules');
    writeFileSync(join(dir, 'rules.yaml'), block.text);
    const { io, stdout, stderr } = captureIO({ cwd: dir });
    const code = await rulesCheckCommand('rules.yaml', {}, io);
    expect({ code, stderr: stderr() }).toEqual({ code: 0, stderr: '' });
    expect(stdout()).toMatch(/^rules\.yaml: valid, /m);
  });

  it.each(BLOCKS.map((b) => [b.name, b] as const))(
    '%s alerts on nothing a shipped rule of another name already alerts on',
    (_name, block) => {
      const shipped = new Map(
        DEFAULT_RULES.filter((r) => r.action === 'alert').map((r) => [canonical(r.match), r.name]),
      );
      const rules = (block.doc.rules ?? []) as EventRuleSpec[];
      const disabled = new Set((block.doc as { disable?: string[] }).disable ?? []);
      const duplicates = rules
        .filter((r) => (r as { kind?: string }).kind !== 'rate' && r.action === 'alert')
        .map((r) => ({ rule: r.name, shipped: shipped.get(canonical(r.match)) }))
        .filter((d) => d.shipped !== undefined && d.shipped !== d.rule && !disabled.has(d.shipped));
      expect(duplicates).toEqual([]);
    },
  );

  it('finds the duplicate a user met: an SES reject rule of its own next to ses-reject', () => {
    const shipped = DEFAULT_RULES.find((r) => r.name === 'ses-reject');
    expect(canonical({ source: 'ses', event_type: 'Reject' })).toBe(canonical(shipped?.match));
  });
});

describe('docs/migration.md', () => {
  const text = readFileSync(join(ROOT, 'docs', 'migration.md'), 'utf8');

  it('names every shipped rule on SES and End User Messaging events, and every rate rule', () => {
    const sources = (r: { match?: { source?: string | string[] } }) => [r.match?.source ?? []].flat();
    const wanted = [
      ...DEFAULT_RULES.filter((r) => sources(r).some((s) => s === 'ses' || s === 'end_user_messaging')),
      ...DEFAULT_RATE_RULES,
    ].map((r) => r.name);
    expect(wanted.length).toBeGreaterThan(15);
    expect(wanted.filter((name) => !text.includes(`\`${name}\``))).toEqual([]);
  });
});
