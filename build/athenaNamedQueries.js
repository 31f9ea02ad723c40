/*
 * The Athena saved queries of the stack, read from docs/athena-queries.md when `sls package` runs: every ```sql
 * block of the page becomes one AWS::Athena::NamedQuery in the stack's workgroup and Glue database, with the
 * block's text as it is (infra/athena.yml includes this file: `Resources: ${file(build/athenaNamedQueries.js)}`).
 *
 * - Name: the `<!-- named query: NAME -->` line just above the block, else the block's headings, the section's and
 *   the subsection's, joined by " / " (backticks dropped). Two blocks with one name stop the packaging: name them.
 * - Logical id: `NamedQuery` and the name's letters and digits in PascalCase.
 * - Text: exactly the block's. The queries name the tables the stack creates (`messaging_events`,
 *   `messaging_events_archive`, `rollups`…) without a database, which is the named query's: there is nothing to
 *   substitute, and a block holding `${` (which the framework or CloudFormation would read as a variable) stops
 *   the packaging.
 *
 * So a query added to the page is saved by the next deploy, and one removed goes with it;
 * test/integration/templateAthena.test.ts reads the page on its own and compares it with the packaged template.
 * CloudFormation limits, checked here: a name of 1 to 128 characters, a description of at most 1,024, a query of
 * at most 262,144 bytes.
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const DOC = 'docs/athena-queries.md';
const MAX_NAME = 128;
const MAX_DESCRIPTION = 1024;
const MAX_QUERY_BYTES = 262_144;

/** The sql blocks of a Markdown page: `{ name, headings, sql, line }` each, in order. */
function sqlBlocks(markdown, where = DOC) {
  const lines = markdown.split('\n');
  const headings = [];
  const blocks = [];
  let fence;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (fence !== undefined) {
      if (/^```\s*$/.test(line)) {
        if (fence.sql) blocks.push({ ...fence, sql: lines.slice(fence.start, i).join('\n') });
        fence = undefined;
      }
      continue;
    }
    const open = /^```(\w*)\s*$/.exec(line);
    if (open !== null) {
      const named = /^<!--\s*named query:\s*(.+?)\s*-->\s*$/.exec(lines[i - 1] ?? '');
      fence = {
        sql: open[1].toLowerCase() === 'sql',
        start: i + 1,
        line: i + 2,
        headings: headings.filter(Boolean),
        ...(named !== null && { explicit: named[1] }),
      };
      continue;
    }
    const heading = /^(#{2,3})\s+(.+?)\s*$/.exec(line);
    if (heading !== null) {
      const level = heading[1].length;
      headings.length = level - 1;
      headings[level - 2] = heading[2].replace(/`/g, '');
    }
  }
  if (fence !== undefined) throw new Error(`${where}:${fence.line - 1}: a code block is not closed`);
  return blocks.map((b) => {
    const name = b.explicit ?? b.headings.join(' / ');
    return { name, headings: b.headings, sql: b.sql, line: b.line };
  });
}

/** The letters and digits of a name in PascalCase: `Bounce rate per campaign` → `BounceRatePerCampaign`. */
function pascal(name) {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

/** The CloudFormation resources of the page's queries, by logical id. */
function namedQueryResources(markdown, where = DOC) {
  const resources = {};
  const names = new Map();
  for (const b of sqlBlocks(markdown, where)) {
    const at = `${where}:${b.line}`;
    if (b.name === '') throw new Error(`${at}: a query without a heading or a <!-- named query: … --> line`);
    if (b.name.length > MAX_NAME)
      throw new Error(`${at}: the name "${b.name}" is over ${MAX_NAME} characters`);
    if (names.has(b.name)) {
      throw new Error(
        `${at}: a second query named "${b.name}" (the first at line ${names.get(b.name)}): put a ` +
          '<!-- named query: NAME --> line above each query of one section',
      );
    }
    names.set(b.name, b.line);
    if (b.sql.trim() === '') throw new Error(`${at}: an empty sql block`);
    if (b.sql.includes('${')) throw new Error(`${at}: "\${" in a query would be read as a variable`);
    const bytes = Buffer.byteLength(b.sql, 'utf8');
    if (bytes > MAX_QUERY_BYTES)
      throw new Error(`${at}: the query is ${bytes} bytes, over ${MAX_QUERY_BYTES}`);
    const id = `NamedQuery${pascal(b.name)}`;
    if (id in resources) throw new Error(`${at}: "${b.name}" makes the logical id ${id} of another query`);
    const description = `${DOC}, ${b.headings.map((h) => `"${h}"`).join(' > ')}`.slice(0, MAX_DESCRIPTION);
    resources[id] = {
      Type: 'AWS::Athena::NamedQuery',
      Properties: {
        Name: b.name,
        Description: description,
        Database: { Ref: 'GlueDatabase' },
        WorkGroup: { Ref: 'AthenaWorkGroup' },
        QueryString: b.sql,
      },
    };
  }
  if (Object.keys(resources).length === 0) throw new Error(`${where}: no sql block`);
  return resources;
}

module.exports = () => namedQueryResources(readFileSync(join(__dirname, '..', DOC), 'utf8'));
module.exports.sqlBlocks = sqlBlocks;
module.exports.namedQueryResources = namedQueryResources;
