import { ANALYTICS_FIELDS } from '../../src/analytics/analyticsRow';
import { FIELD_POLICY } from '../../src/pii/fieldPolicy';
import { ROLLUP_FIELDS } from '../../src/rates/rollups';
import { type GlueType, NORMALIZED_FIELDS } from '../../src/schema';
import { documentedTable } from '../helpers/athenaDdl';
import { type GlueColumn, type GlueTableName, glueTable } from '../helpers/glue';

/**
 * One list per row type is the source of every table's columns: NORMALIZED_FIELDS (src/schema.ts), ROLLUP_FIELDS
 * (src/rates/rollups.ts), ANALYTICS_FIELDS (src/analytics/analyticsRow.ts). Each is checked against its row type
 * when it compiles; here every Glue table of infra/glue.yml and every DDL of docs/ is held to it: the fields in
 * order, but the table's partition keys (strings, read from the object's path). A failure shows the columns the
 * list asks for, ready to copy into infra/glue.yml or the page.
 */

/** The columns a table of `fields` has when it is partitioned by `partitions`, in order. */
function columnsOf(fields: Readonly<Record<string, GlueType>>, partitions: readonly string[]): GlueColumn[] {
  return Object.entries(fields)
    .filter(([name]) => !partitions.includes(name))
    .map(([Name, Type]) => ({ Name, Type }));
}

const typesOf = (fields: Readonly<Record<string, { readonly type: GlueType }>>) =>
  Object.fromEntries(Object.entries(fields).map(([name, { type }]) => [name, type]));

const TABLES: ReadonlyArray<{
  table: GlueTableName;
  page: string;
  fields: Readonly<Record<string, GlueType>>;
  partitions: readonly string[];
}> = [
  {
    table: 'messaging_events',
    page: 'schema.md',
    fields: typesOf(NORMALIZED_FIELDS),
    partitions: ['source', 'family', 'dt', 'hour'],
  },
  {
    table: 'messaging_events_archive',
    page: 'schema.md',
    fields: typesOf(NORMALIZED_FIELDS),
    partitions: ['dt', 'hour'],
  },
  { table: 'rollups', page: 'rates.md', fields: ROLLUP_FIELDS, partitions: ['dt', 'hour'] },
  { table: 'analytics', page: 'analytics.md', fields: ANALYTICS_FIELDS, partitions: ['dt', 'hour'] },
];

describe.each(TABLES)('the $table table', ({ table, page, fields, partitions }) => {
  const columns = columnsOf(fields, partitions);
  const partitionKeys = partitions.map((Name) => ({ Name, Type: 'string' }));

  it('has the fields of its row as columns, in order and of their types, in infra/glue.yml', () => {
    expect(glueTable(table).columns).toEqual(columns);
    expect(glueTable(table).partitions).toEqual(partitionKeys);
  });

  it(`has the same columns in the DDL of docs/${page}`, () => {
    expect(documentedTable(page, table)).toEqual({ columns, partitions: partitionKeys });
  });
});

describe('NORMALIZED_FIELDS', () => {
  it('is partitioned by fields that are strings', () => {
    for (const name of ['source', 'family', 'dt', 'hour'] as const) {
      expect({ name, type: NORMALIZED_FIELDS[name].type }).toEqual({ name, type: 'string' });
    }
  });

  it("is the PII protector's policy, field by field, in the schema's order", () => {
    expect(Object.entries(FIELD_POLICY)).toEqual(
      Object.entries(NORMALIZED_FIELDS).map(([name, { pii }]) => [name, pii]),
    );
  });
});
