import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CollectionTag, parse, type ScalarTag } from 'yaml';
import { clip, show } from './show';

/**
 * The Glue tables of infra/glue.yml, read from the template CloudFormation deploys (not from src/), and the
 * check that a normalized record reads in Athena against them: the unit tests and the fuzz suite hold every
 * record to what Athena will actually be told.
 */

/** CloudFormation's short-form intrinsic functions: tolerated, and read as their plain YAML value. */
const CFN_FUNCTIONS = [
  'Ref',
  'Sub',
  'GetAtt',
  'If',
  'Join',
  'Split',
  'Select',
  'Equals',
  'Not',
  'And',
  'Or',
  'FindInMap',
  'Base64',
  'Cidr',
  'ImportValue',
  'GetAZs',
  'Condition',
  'Transform',
];

const cfnTags: Array<ScalarTag | CollectionTag> = CFN_FUNCTIONS.flatMap((name) => [
  { tag: `!${name}`, resolve: (value: string) => ({ [name]: value }) } satisfies ScalarTag,
  { tag: `!${name}`, collection: 'seq' } satisfies CollectionTag,
  { tag: `!${name}`, collection: 'map' } satisfies CollectionTag,
]);

/** One column of a Glue table, as infra/glue.yml declares it. */
export interface GlueColumn {
  Name: string;
  Type: string;
}

/**
 * The table names infra/glue.yml declares: the Firehose path's output, the Kinesis path's archive, and the rate
 * rollups of both (src/rates/rollups.ts's RollupRow), and the analytics rows of every batch (src/analytics/).
 */
export type GlueTableName = 'messaging_events' | 'messaging_events_archive' | 'rollups' | 'analytics';

export interface GlueTable {
  name: string;
  /** The data columns, in order. */
  columns: readonly GlueColumn[];
  /** The partition keys, in order. */
  partitions: readonly GlueColumn[];
  /** Data columns and partition keys by name: every key a JSON row may carry, with its type. */
  types: ReadonlyMap<string, string>;
  /** `projection.<key>.values` of enum-projected partition keys. */
  enums: ReadonlyMap<string, readonly string[]>;
}

interface CfnTableResource {
  Type?: string;
  Properties?: {
    TableInput?: {
      Name?: string;
      Parameters?: Record<string, unknown>;
      PartitionKeys?: GlueColumn[];
      StorageDescriptor?: { Columns?: GlueColumn[] };
    };
  };
}

let cached: Map<string, GlueTable> | undefined;

/** The Glue tables declared in infra/glue.yml, by table name. */
export function glueTables(): ReadonlyMap<string, GlueTable> {
  if (cached !== undefined) return cached;
  const text = readFileSync(join(__dirname, '..', '..', 'infra', 'glue.yml'), 'utf8');
  const doc = parse(text, { customTags: cfnTags }) as { Resources: Record<string, CfnTableResource> };
  const tables = new Map<string, GlueTable>();
  for (const resource of Object.values(doc.Resources)) {
    if (resource.Type !== 'AWS::Glue::Table') continue;
    const input = resource.Properties?.TableInput;
    if (input?.Name === undefined) continue;
    const columns = input.StorageDescriptor?.Columns ?? [];
    const partitions = input.PartitionKeys ?? [];
    const types = new Map<string, string>();
    for (const c of [...columns, ...partitions]) types.set(c.Name, c.Type);
    const enums = new Map<string, string[]>();
    for (const [key, value] of Object.entries(input.Parameters ?? {})) {
      const m = /^projection\.([^.]+)\.values$/.exec(key);
      if (m !== null && typeof value === 'string') enums.set(m[1] as string, value.split(','));
    }
    tables.set(input.Name, { name: input.Name, columns, partitions, types, enums });
  }
  cached = tables;
  return tables;
}

/** One table of infra/glue.yml. */
export function glueTable(name: GlueTableName): GlueTable {
  const table = glueTables().get(name);
  if (table === undefined) throw new Error(`infra/glue.yml has no table ${name}`);
  return table;
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Why `value` does not fit the Glue/Hive type once written as JSON, or undefined when it does. */
export function typeViolation(type: string, value: unknown): string | undefined {
  const shown = () => show(value);
  switch (type) {
    case 'string':
      return typeof value === 'string' ? undefined : `${shown()} is not a string`;
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) && value >= INT_MIN && value <= INT_MAX
        ? undefined
        : `${shown()} is not a 32-bit integer`;
    case 'bigint':
      // Past 2^53 a double is no longer an exact integer, and JSON writes 1e21 and above with an exponent.
      return typeof value === 'number' && Number.isSafeInteger(value)
        ? undefined
        : `${shown()} is not a safe integer`;
    case 'double':
      // JSON has no NaN or Infinity: JSON.stringify writes them as null.
      return typeof value === 'number' && Number.isFinite(value)
        ? undefined
        : `${shown()} is not a finite number`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${shown()} is not a boolean`;
  }
  const array = /^array<(.+)>$/.exec(type);
  if (array !== null) {
    if (!Array.isArray(value)) return `${shown()} is not an array`;
    for (let i = 0; i < value.length; i++) {
      const v = typeViolation(array[1] as string, value[i]);
      if (v !== undefined) return `[${i}]: ${v}`;
    }
    return undefined;
  }
  const map = /^map<string,(.+)>$/.exec(type);
  if (map !== null) {
    if (!isPlainObject(value)) return `${shown()} is not an object`;
    for (const key of Object.keys(value)) {
      const v = typeViolation(map[1] as string, value[key]);
      if (v !== undefined) return `[${JSON.stringify(clip(key, 60))}]: ${v}`;
    }
    return undefined;
  }
  return `unknown Glue type ${type}`;
}

/**
 * Every way one parsed JSON row breaks the table: keys that are no column (`no such column`), values that do
 * not fit their column's type, and `null` (the schema omits absent fields, it never writes null).
 */
export function glueViolations(row: unknown, table: GlueTable): string[] {
  if (!isPlainObject(row)) return [`row ${show(row)} is not a JSON object`];
  const out: string[] = [];
  for (const key of Object.keys(row)) {
    const type = table.types.get(key);
    const value = row[key];
    if (type === undefined) {
      out.push(`${JSON.stringify(clip(key, 80))}: no such column in ${table.name}`);
      continue;
    }
    if (value === null) {
      out.push(`${key}: null (absent fields are omitted)`);
      continue;
    }
    const v = typeViolation(type, value);
    if (v !== undefined) out.push(`${key} (${type}): ${v}`);
  }
  return out;
}

/** `YYYY-MM-DDTHH:MM:SS.mmmZ`, as `Date.prototype.toISOString` writes it: what every `*_time` field holds. */
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Asserts that a normalized record (the object, or its JSON line) reads in Athena: {@link glueViolations}
 * finds nothing, and every `*_time` field is ISO-8601 UTC with milliseconds, an instant that exists. One value
 * outside its type makes Athena's JSON SerDe fail every query over the partition that holds it.
 *
 * Throws an Error that names every offending field.
 */
export function assertConformsToGlue(record: unknown, table: GlueTable): void {
  // What Athena reads is the JSON text: check the values as they come back from it.
  const row: unknown = JSON.parse(typeof record === 'string' ? record : JSON.stringify(record));
  const problems = glueViolations(row, table);
  if (isPlainObject(row)) {
    for (const [key, value] of Object.entries(row)) {
      if (!key.endsWith('_time') || typeof value !== 'string') continue;
      const ms = Date.parse(value);
      if (!ISO_MS.test(value) || !Number.isFinite(ms) || new Date(ms).toISOString() !== value) {
        problems.push(`${key}: ${show(value)} is not ISO-8601 UTC with milliseconds`);
      }
    }
  }
  if (problems.length > 0) {
    throw new Error(`record does not conform to Glue table ${table.name}:\n  ${problems.join('\n  ')}`);
  }
}
