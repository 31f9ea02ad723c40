import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_RATE_RULES } from '../../../src/rules/defaultRules';
import { RATE_ALARMS } from '../../helpers/rateAlarms';

/**
 * What the docs say about the stack and the default rules is what they are (issue #22 found the docs disagreeing
 * with each other: "the delivery stream is configured outside this repository", a projection start of 2026 in one
 * DDL and 2020 in another, an alarm and a rule of the same name counting differently without a word). Each fact
 * is read from the template or the code and compared with every place of the docs that states it.
 */

const ROOT = join(__dirname, '..', '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const DOCS = [
  'README.md',
  ...['schema.md', 'deploy.md', 'rates.md', 'analytics.md', 'athena-queries.md'].map((f) => `docs/${f}`),
];

/** The cells of the Markdown table row that starts with `| \`name\` |`, in the text given. */
function rowOf(text: string, name: string): string[] | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
  return line
    ?.split(' | ')
    .map((c) => c.replace(/^\| |\s*\|$/g, '').trim())
    .slice(1);
}

/** `a + b` or `(a + b)` → ['a', 'b'], sorted. */
const terms = (side: string) =>
  side
    .replace(/[()]/g, '')
    .split('+')
    .map((t) => t.trim())
    .sort();

/** A rate as the docs write it: `failed / (delivered + failed)`, `(a + b) / c`, then words that do not count. */
function parseRate(cell: string): { numerator: string[]; denominator: string[] } {
  const side = (text: string) => /^\(([^)]*)\)|^(\w+)/.exec(text.trim());
  const [before = '', after = ''] = cell.split(' / ');
  const numerator = side(before);
  const denominator = side(after);
  return {
    numerator: terms(numerator?.[1] ?? numerator?.[2] ?? ''),
    denominator: terms(denominator?.[1] ?? denominator?.[2] ?? ''),
  };
}

describe('the docs agree with the stack', () => {
  it('the delivery stream is the stack’s: schema.md §6 shows the prefixes of infra/firehose.yml', () => {
    const template = read('infra/firehose.yml');
    const prefix = /^ {8}Prefix: !Sub \$\{ArchivePrefix\}(firehose\/\S+)$/m.exec(template)?.[1];
    const errors = /^ {8}ErrorOutputPrefix: !Sub \$\{ArchivePrefix\}(firehose-errors\/\S+)$/m.exec(
      template,
    )?.[1];
    expect(prefix).toMatch(/partitionKeyFromLambda:source/);
    expect(errors).toMatch(/error-output-type/);
    const schema = read('docs/schema.md');
    expect(schema).toContain(`\nPREFIX${prefix}\nPREFIX${errors}\n`);
    expect(DOCS.filter((doc) => /outside\s+this\s+repository/.test(read(doc)))).toEqual([]);
  });

  it('every Athena DDL of the docs projects dt from the date the Glue tables do', () => {
    const ranges = [...read('infra/glue.yml').matchAll(/projection\.dt\.range: (\S+)/g)].map((m) => m[1]);
    expect(ranges.length).toBeGreaterThanOrEqual(4);
    expect(new Set(ranges).size).toBe(1);
    let seen = 0;
    for (const doc of DOCS) {
      for (const m of read(doc).matchAll(/'projection\.dt\.range'\s*=\s*'([^']*)'/g)) {
        expect({ doc, range: m[1] }).toEqual({ doc, range: ranges[0] });
        seen++;
      }
    }
    expect(seen).toBeGreaterThanOrEqual(3);
  });

  it.each(RATE_ALARMS)('the $name row of the alarm tables counts what the alarm counts', (alarm) => {
    for (const doc of ['README.md', 'docs/deploy.md']) {
      const row = rowOf(read(doc), alarm.name);
      expect({ doc, row: row !== undefined }).toEqual({ doc, row: true });
      expect({ doc, ...parseRate(row?.[0] ?? '') }).toEqual({
        doc,
        numerator: [...alarm.numerator].sort(),
        denominator: [...alarm.denominator].sort(),
      });
    }
  });

  it.each(DEFAULT_RATE_RULES.map((r) => [r.name, r] as const))(
    'the %s row of the default rate rules in docs/rates.md counts what the rule counts',
    (name, rule) => {
      const text = read('docs/rates.md');
      let row = rowOf(text, name);
      // "same" repeats the formula of the row above.
      for (let above = DEFAULT_RATE_RULES.indexOf(rule) - 1; row?.[0] === 'same' && above >= 0; above--) {
        row = [rowOf(text, DEFAULT_RATE_RULES[above]?.name ?? '')?.[0] ?? '', ...row.slice(1)];
      }
      expect(row).toBeDefined();
      expect(parseRate(row?.[0] ?? '')).toEqual({
        numerator: [...rule.numerator].sort(),
        denominator: [...rule.denominator].sort(),
      });
    },
  );

  it('an alarm and a rule named alike that count differently each say so where they are documented', () => {
    for (const alarm of RATE_ALARMS) {
      const rule = DEFAULT_RATE_RULES.find((r) => r.name === `${alarm.name}-high`);
      if (rule === undefined) continue;
      const same =
        [...rule.numerator].sort().join() === [...alarm.numerator].sort().join() &&
        [...rule.denominator].sort().join() === [...alarm.denominator].sort().join();
      if (same) continue;
      expect(rowOf(read('docs/deploy.md'), alarm.name)?.join(' ')).toContain(`\`${rule.name}\``);
      expect(rowOf(read('README.md'), alarm.name)?.join(' ')).toContain(`\`${rule.name}\``);
      expect(rowOf(read('docs/rates.md'), rule.name)?.join(' ')).toContain(`\`${alarm.name}\``);
    }
  });
});
