import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GlueColumn } from './glue';

/** The columns and partition keys of a `CREATE EXTERNAL TABLE` in a page of docs/, as Glue columns. */
export interface DocumentedTable {
  columns: GlueColumn[];
  partitions: GlueColumn[];
}

/**
 * The `CREATE EXTERNAL TABLE <table> (…) PARTITIONED BY (…)` statement of `docs/<page>`, read as its columns and
 * partition keys, in order (a `map<string,string>` type holds a comma: commas inside `<…>` do not split).
 */
export function documentedTable(page: string, table: string): DocumentedTable {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', page), 'utf8');
  const m = new RegExp(
    `CREATE EXTERNAL TABLE ${table} \\(([\\s\\S]*?)\\n\\)\\nPARTITIONED BY \\((.*?)\\)`,
  ).exec(doc);
  if (m === null) throw new Error(`no CREATE EXTERNAL TABLE ${table} in docs/${page}`);
  const split = (text: string): GlueColumn[] =>
    text
      .split(/,(?![^<]*>)/)
      .map((c) => c.trim().split(/\s+/))
      .map(([name, type]) => ({ Name: name as string, Type: type as string }));
  return { columns: split(m[1] as string), partitions: split(m[2] as string) };
}
