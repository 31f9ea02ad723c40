import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isObject, type JsonObject, type Resolved, resolve, type Template } from '../helpers/cfnTemplate';
import { slsPackage } from '../helpers/sls';

/**
 * Every query of docs/athena-queries.md is an Athena saved query of the stack, and every saved query is one of
 * the page's: the packaged template against the page, read here on its own (not with build/athenaNamedQueries.js,
 * which the template is made with). And the template stays within CloudFormation's limits.
 */

const root = join(__dirname, '..', '..');
const DOC = 'docs/athena-queries.md';

interface DocQuery {
  /** The `<!-- named query: … -->` line above the block, else its section's headings joined by " / ". */
  name: string;
  sql: string;
  line: number;
}

/** The page's sql blocks, each with the name its saved query must have. */
function docQueries(markdown: string): DocQuery[] {
  const out: DocQuery[] = [];
  const sections: string[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const h = /^(##|###) (.+)$/.exec(line);
    if (h !== null) {
      const depth = (h[1] as string).length - 2;
      sections.length = depth;
      sections[depth] = (h[2] as string).replaceAll('`', '');
      continue;
    }
    if (!line.startsWith('```')) continue;
    let end = i + 1;
    while (!(lines[end] as string).startsWith('```')) end++;
    if (line.trim() === '```sql') {
      const comment = /^<!-- named query: (.+) -->$/.exec(lines[i - 1] ?? '');
      out.push({
        name: comment?.[1] ?? sections.join(' / '),
        sql: lines.slice(i + 1, end).join('\n'),
        line: i + 2,
      });
    }
    i = end;
  }
  return out;
}

let template: Template;
let templateBytes: number;
let r: Resolved;
let queries: DocQuery[];

beforeAll(async () => {
  const packaged = await slsPackage();
  template = packaged.template as unknown as Template;
  templateBytes = statSync(join(packaged.dir, 'cloudformation-template-update-stack.json')).size;
  r = resolve(template);
  queries = docQueries(readFileSync(join(root, DOC), 'utf8'));
}, 120_000);

const namedQueries = (x: Resolved) =>
  Object.entries(x.resources)
    .filter(([, res]) => res.Type === 'AWS::Athena::NamedQuery')
    .map(([id, res]) => ({ id, ...(res.Properties as { Name: string; QueryString: string }) }));

describe('the saved queries of docs/athena-queries.md', () => {
  it('reads a page with its queries', () => {
    expect(queries.length).toBeGreaterThanOrEqual(13);
    expect(queries.map((q) => q.name)).toEqual(
      expect.arrayContaining([
        'messaging_events_archive_unique (create view)',
        'messaging_events_unique (create view)',
        'Bounce rate per campaign',
        'SMS spend per country',
        'Deduplicate by event_id / Without the views',
      ]),
    );
  });

  it('saves every sql block of the page, named as the page says, with its text as it is', () => {
    const saved = namedQueries(r);
    expect(saved.map((q) => ({ name: q.Name, sql: q.QueryString })).sort(byName)).toEqual(
      queries.map((q) => ({ name: q.name, sql: q.sql })).sort(byName),
    );
  });

  it('saves no other query (a saved query without its block on the page is left over)', () => {
    const onPage = new Set(queries.map((q) => q.sql));
    expect(namedQueries(r).filter((q) => !onPage.has(q.QueryString))).toEqual([]);
    // And the whole template: no named query under a condition that the defaults switch off.
    const all = Object.values(template.Resources).filter((x) => x.Type === 'AWS::Athena::NamedQuery');
    expect(all).toHaveLength(queries.length);
  });

  it('puts each in the stack’s workgroup and database, within CloudFormation’s limits', () => {
    for (const [id, x] of Object.entries(template.Resources)) {
      if (x.Type !== 'AWS::Athena::NamedQuery') continue;
      expect({ id, condition: x.Condition, ...x.Properties }).toMatchObject({
        id,
        condition: undefined,
        Database: { Ref: 'GlueDatabase' },
        WorkGroup: { Ref: 'AthenaWorkGroup' },
      });
      const p = x.Properties as { Name: string; Description: string; QueryString: string };
      expect(p.Name.length).toBeGreaterThanOrEqual(1);
      expect(p.Name.length).toBeLessThanOrEqual(128);
      expect(p.Description.length).toBeLessThanOrEqual(1024);
      expect(Buffer.byteLength(p.QueryString)).toBeLessThanOrEqual(262_144);
      expect(p.QueryString).not.toContain('${');
    }
  });

  it('reads only the tables the stack creates and the views its saved queries create', () => {
    const tables = new Set(
      Object.values(r.resources)
        .filter((x) => x.Type === 'AWS::Glue::Table')
        .map((x) => (x.Properties.TableInput as JsonObject).Name as string),
    );
    const views = new Set(
      queries.flatMap((q) => [...q.sql.matchAll(/CREATE OR REPLACE VIEW (\w+)/gi)].map((m) => m[1])),
    );
    expect([...views].sort()).toEqual(['messaging_events_archive_unique', 'messaging_events_unique']);
    const unknown: string[] = [];
    for (const q of queries) {
      const text = q.sql.replace(/'(?:[^']|'')*'/g, "''").replace(/--[^\n]*/g, '');
      // The names of the query's own WITH clauses: `WITH name AS (`, `, name AS (`.
      const ctes = new Set([...text.matchAll(/(?:\bWITH|,)\s+(\w+)\s+AS\s*\(/gi)].map((m) => m[1]));
      for (const m of text.matchAll(/\b(?:FROM|JOIN)\s+(\w+)/gi)) {
        const name = m[1] as string;
        if (!ctes.has(name) && !tables.has(name) && !views.has(name))
          unknown.push(`${DOC}:${q.line}: ${name}`);
      }
    }
    expect(unknown).toEqual([]);
    expect([...tables]).toEqual(
      expect.arrayContaining(['messaging_events', 'messaging_events_archive', 'rollups']),
    );
  });

  it('can fail: a block added to the page without its saved query, or a saved query left over', () => {
    const page = readFileSync(join(root, DOC), 'utf8');
    const more = docQueries(`${page}\n## Added later\n\n\`\`\`sql\nSELECT 1\n\`\`\`\n`);
    const saved = namedQueries(r).map((q) => q.QueryString);
    expect(more.filter((q) => !saved.includes(q.sql)).map((q) => q.name)).toEqual(['Added later']);
    const fewer = docQueries(page.replace(/```sql\nSELECT journey_activity_id,[\s\S]*?```/, ''));
    expect(saved.filter((s) => !fewer.some((q) => q.sql === s))).toHaveLength(1);
  });
});

describe('CloudFormation limits', () => {
  it('keeps the packaged template well below 1 MB, and under 500 resources with every option on', () => {
    // The template `sls package` writes (what CloudFormation reads from the deployment bucket): at most 1 MB.
    expect(templateBytes).toBeLessThan(512 * 1024);
    // Every resource of the template, whatever its condition: the most a deployment can create (limit: 500).
    expect(Object.keys(template.Resources).length).toBeLessThan(500);
    expect(Object.keys(template.Outputs ?? {}).length).toBeLessThanOrEqual(200);
    expect(Object.keys(template.Parameters).length).toBeLessThanOrEqual(200);
  });

  it('keeps every resource’s logical id within 255 letters and digits', () => {
    for (const id of Object.keys(template.Resources)) expect(id).toMatch(/^[A-Za-z0-9]{1,255}$/);
    expect(Object.values(template.Resources).every((x) => isObject(x))).toBe(true);
  });
});

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

describe('build/athenaNamedQueries.js', () => {
  // The build's own module: CommonJS, like the other build/ files that osls and esbuild load.
  const { namedQueryResources } = require('../../build/athenaNamedQueries.js') as {
    namedQueryResources: (markdown: string, where?: string) => Record<string, { Properties: JsonObject }>;
  };
  const page = (body: string) => `# Queries\n\n## Section\n\n${body}`;
  const sql = (text: string, name?: string) =>
    `${name === undefined ? '' : `<!-- named query: ${name} -->\n`}\`\`\`sql\n${text}\n\`\`\`\n\n`;

  it('stops the packaging on two queries of one name, naming the lines', () => {
    expect(() => namedQueryResources(page(sql('SELECT 1') + sql('SELECT 2')), 'p.md')).toThrow(
      /p\.md:10: a second query named "Section" \(the first at line 6\)/,
    );
    expect(Object.keys(namedQueryResources(page(sql('SELECT 1', 'one') + sql('SELECT 2', 'two'))))).toEqual([
      'NamedQueryOne',
      'NamedQueryTwo',
    ]);
  });

  it('stops it on a variable, a name over 128 characters, an empty block or a page without queries', () => {
    expect(() => namedQueryResources(page(sql(`SELECT '${'$'}{x}'`)))).toThrow(/would be read as a variable/);
    expect(() => namedQueryResources(page(sql('SELECT 1', 'n'.repeat(129))))).toThrow(/over 128 characters/);
    expect(() => namedQueryResources(page(sql('   ')))).toThrow(/an empty sql block/);
    expect(() => namedQueryResources(page('```yaml\na: 1\n```\n'))).toThrow(/no sql block/);
  });
});
