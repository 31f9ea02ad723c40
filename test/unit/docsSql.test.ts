import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The SQL of the docs computes its ratios in double. In Athena (Trino) a literal such as `100.0` is a DECIMAL,
 * and DECIMAL arithmetic keeps the scale of its operands: `round(100.0 * a / b, 2)` has one decimal, whatever
 * the `2`; and `a / b` of two integers is an integer division. So:
 *
 * 1. no DECIMAL literal (`100.0`, `1.0`, `DECIMAL '…'`) is an operand of `*`, `/`, `+` or `-`;
 * 2. the dividend of every `/` is a double: it holds a `CAST(… AS double)`, or a column that is a double in the
 *    tables of docs/schema.md §7 (`price_usd`…).
 */

const root = join(__dirname, '..', '..');

interface SqlBlock {
  file: string;
  line: number;
  sql: string;
}

/** Every fenced ```sql block of the docs and the README, with the line it starts on. */
function sqlBlocks(): SqlBlock[] {
  const files = [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  return files.flatMap((file) => blocksOf(file, readFileSync(join(root, file), 'utf8')));
}

function blocksOf(file: string, text: string): SqlBlock[] {
  const out: SqlBlock[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```sql\s*$/.test(lines[i] as string)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end] as string)) end++;
    out.push({ file, line: start + 1, sql: lines.slice(start, end).join('\n') });
    i = end;
  }
  return out;
}

/** The SQL without its string literals (kept as `''`) and comments, which hold no arithmetic. */
function code(sql: string): string {
  return sql
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/--[^\n]*/g, '')
    .replace(/\/\*[\s\S]*?\*\//g, '');
}

/** The columns the docs' tables declare `double` (docs/schema.md §7 and the other DDL blocks). */
function doubleColumns(blocks: SqlBlock[]): Set<string> {
  const names = new Set<string>();
  for (const b of blocks) {
    if (!/CREATE\s+EXTERNAL\s+TABLE/i.test(b.sql)) continue;
    // A column definition opens a line or follows `(` or `,`: not `CAST(x AS double)`.
    for (const m of code(b.sql).matchAll(/(?:^|[(,])\s*([a-z_][a-z0-9_]*)\s+double\b/gim)) {
      names.add(m[1] as string);
    }
  }
  return names;
}

/** The left operand of the `/` at `at`: back to the `(` or `,` that opens its term, or a keyword. */
function dividend(sql: string, at: number): string {
  let depth = 0;
  let i = at - 1;
  for (; i >= 0; i--) {
    const c = sql[i];
    if (c === ')') depth++;
    else if (c === '(') {
      if (depth === 0) break;
      depth--;
    } else if (c === ',' && depth === 0) break;
    else if (depth === 0) {
      const before = sql.slice(0, i + 1);
      if (/\b(SELECT|WHEN|THEN|ELSE|AND|OR|WHERE|HAVING|ON|BY|RETURN)\s$/i.test(before)) break;
    }
  }
  return sql.slice(i + 1, at).trim();
}

/** One line per ratio of `sql` not computed in double. */
function decimalRatios(sql: string, doubles: ReadonlySet<string>): string[] {
  const text = code(sql);
  const problems: string[] = [];
  const literal = /(?:\b\d+\.\d+\b|\bDECIMAL\s*'')/i.source;
  const operand = new RegExp(`(?:${literal})\\s*[-+*/]|[-+*/]\\s*(?:${literal})`, 'gi');
  for (const m of text.matchAll(operand)) problems.push(`DECIMAL literal in arithmetic: ${m[0].trim()}`);
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '/') continue;
    const left = dividend(text, i);
    const isDouble =
      /\bAS\s+double\s*\)/i.test(left) ||
      [...left.matchAll(/\b[a-z_][a-z0-9_]*\b/gi)].some((w) => doubles.has(w[0]));
    if (!isDouble) problems.push(`ratio without a cast to double: ${left.replace(/\s+/g, ' ')} / …`);
  }
  return problems;
}

describe('the SQL of the docs', () => {
  const blocks = sqlBlocks();
  const doubles = doubleColumns(blocks);

  it('is found: the Athena queries, the DDL and the examples of the other docs', () => {
    expect(blocks.filter((b) => b.file === 'docs/athena-queries.md').length).toBeGreaterThanOrEqual(12);
    expect(blocks.length).toBeGreaterThanOrEqual(18);
    expect([...doubles].sort()).toEqual(['carrier_fee_usd', 'price_usd', 'session_fee_usd']);
    // …and it has ratios to check.
    const divisions = blocks.map((b) => code(b.sql).split('/').length - 1).reduce((a, n) => a + n, 0);
    expect(divisions).toBeGreaterThan(20);
  });

  it('computes every ratio in double, with no DECIMAL literal in its arithmetic', () => {
    const problems = blocks.flatMap((b) =>
      decimalRatios(b.sql, doubles).map((p) => `${b.file}:${b.line}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  it.each([
    ['round(100.0 * count_if(read) / nullif(count_if(delivered), 0), 1) AS read_pct', 2],
    ["sum(count) FILTER (WHERE outcome = 'bounced') * 1.0 / sum(count) AS bounce_rate", 2],
    ['round(count_if(a) / count(*), 4) AS share', 1],
    ["SELECT DECIMAL '1.5' * n FROM t", 1],
    ['SELECT x / 100.0 FROM t', 2],
  ])('flags %s', (sql, n) => {
    expect(decimalRatios(sql, doubles)).toHaveLength(n);
  });

  it.each([
    'round(100 * CAST(count_if(read) AS double) / nullif(count_if(delivered), 0), 1) AS read_pct',
    'round(CAST(opened AS double) / NULLIF(delivered, 0), 4) AS open_rate',
    "round(sum(coalesce(price_usd, 0)) / nullif(count_if(last_outcome = 'delivered'), 0), 5) AS per_message",
    "SELECT 's3://bucket/prefix/' AS location, 0.05 AS threshold -- 1.0 / 3",
  ])('accepts %s', (sql) => {
    expect(decimalRatios(sql, doubles)).toEqual([]);
  });
});
