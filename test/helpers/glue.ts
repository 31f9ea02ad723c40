import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** One column of a Glue table, as infra/glue.yml declares it. */
export interface GlueColumn {
  Name: string;
  Type: string;
}

/** The columns and partition keys of a table of infra/glue.yml. */
export interface GlueTable {
  columns: GlueColumn[];
  partitions: GlueColumn[];
}

/** The Glue tables the stack declares, by resource id. */
export type GlueTableId = 'ArchiveEventsTable' | 'FirehoseEventsTable';

/**
 * Reads a table's columns from infra/glue.yml, the file CloudFormation deploys: the types Athena's JSON SerDe
 * will hold every normalized record to. CloudFormation's short tags (`!Ref`, `!Sub`…) are read as plain values.
 */
export function glueTable(id: GlueTableId = 'ArchiveEventsTable'): GlueTable {
  const text = readFileSync(join(__dirname, '..', '..', 'infra', 'glue.yml'), 'utf8');
  const doc = parseYaml(text, { logLevel: 'silent' }) as {
    Resources: Record<
      string,
      {
        Properties: {
          TableInput: { PartitionKeys: GlueColumn[]; StorageDescriptor: { Columns: GlueColumn[] } };
        };
      }
    >;
  };
  const input = doc.Resources[id]?.Properties.TableInput;
  if (input === undefined) throw new Error(`infra/glue.yml has no table ${id}`);
  return { columns: input.StorageDescriptor.Columns, partitions: input.PartitionKeys };
}

/** `YYYY-MM-DDTHH:MM:SS.mmmZ`, as `Date.prototype.toISOString` writes it: what every `*_time` field holds. */
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const INT_MIN = -2_147_483_648;
const INT_MAX = 2_147_483_647;

/** Why `value` does not fit a Glue column of `type` once written as JSON, or undefined when it does. */
function misfit(type: string, value: unknown): string | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? undefined : 'not a string';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'not a boolean';
    case 'int':
      return Number.isInteger(value) && (value as number) >= INT_MIN && (value as number) <= INT_MAX
        ? undefined
        : 'not a 32-bit integer';
    case 'bigint':
      // Past 2^53 a double is no longer an exact integer, and JSON writes 1e21 and above with an exponent.
      return Number.isSafeInteger(value) ? undefined : 'not a safe integer';
    case 'double':
      // JSON has no NaN or Infinity: JSON.stringify writes them as null.
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'not a finite number';
    case 'array<string>':
      return Array.isArray(value) && value.every((v) => typeof v === 'string')
        ? undefined
        : 'not an array of strings';
    default: {
      const map = /^map<string,(\w+)>$/.exec(type);
      if (map === null) return `no check for the Glue type ${type}`;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not an object';
      for (const [k, v] of Object.entries(value)) {
        const why = misfit(map[1] as string, v);
        if (why !== undefined) return `value of key ${JSON.stringify(k)} ${why}`;
      }
      return undefined;
    }
  }
}

/**
 * Asserts that a normalized record (the object, or its JSON line) reads in Athena: every key is a column or a
 * partition key of the table, every value fits its column's Glue type as JSON carries it (`int` a 32-bit
 * integer, `bigint` a safe integer, `double` a finite number, maps and arrays element by element), no value
 * is `null` (absent fields are omitted), and every `*_time` field is ISO-8601 UTC with milliseconds.
 * One value outside its type makes Athena's JSON SerDe fail every query over the partition that holds it.
 *
 * Throws an Error that names every offending field.
 */
export function assertConformsToGlue(record: unknown, table: GlueTable | readonly GlueColumn[]): void {
  const { columns, partitions } = Array.isArray(table)
    ? { columns: table as readonly GlueColumn[], partitions: [] as GlueColumn[] }
    : (table as GlueTable);
  // What Athena reads is the JSON text: check the values as they come back from it.
  const text = typeof record === 'string' ? record : JSON.stringify(record);
  const parsed: unknown = JSON.parse(text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`not a JSON object: ${text.slice(0, 200)}`);
  }
  const types = new Map<string, string>();
  for (const c of [...partitions, ...columns]) types.set(c.Name, c.Type);
  const problems: string[] = [];
  for (const [key, value] of Object.entries(parsed)) {
    const type = types.get(key);
    if (type === undefined) {
      problems.push(`${key}: no such column`);
      continue;
    }
    if (value === null) {
      problems.push(`${key}: null (absent fields are omitted)`);
      continue;
    }
    const why = misfit(type, value);
    if (why !== undefined) problems.push(`${key}: ${JSON.stringify(value)} is ${why} (${type})`);
    else if (key.endsWith('_time') && !(ISO_MS.test(value as string) && isRealInstant(value as string))) {
      problems.push(`${key}: ${JSON.stringify(value)} is not ISO-8601 UTC with milliseconds`);
    }
  }
  if (problems.length > 0)
    throw new Error(`record does not conform to its Glue table:\n  ${problems.join('\n  ')}`);
}

/** `2025-02-30T…` matches the pattern but is no instant: the text must be what Date writes back. */
function isRealInstant(iso: string): boolean {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) && new Date(ms).toISOString() === iso;
}
