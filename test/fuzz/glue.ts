import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CollectionTag, parse, type ScalarTag } from 'yaml';

/**
 * The Glue tables of infra/glue.yml, read from the template itself (not from src/), so that the fuzz suite
 * checks normalized rows against what Athena will actually be told. (A shared `assertConformsToGlue` helper
 * is being written elsewhere; this small one is the fuzz suite's own, to be deduplicated later.)
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

export interface GlueColumn {
  name: string;
  type: string;
}

export interface GlueTable {
  name: string;
  /** Data columns and partition keys: every key a JSON row may carry. */
  columns: ReadonlyMap<string, string>;
  partitionKeys: readonly string[];
  /** `projection.<key>.values` of enum-projected partition keys. */
  enums: ReadonlyMap<string, readonly string[]>;
}

interface CfnTableResource {
  Type?: string;
  Properties?: {
    TableInput?: {
      Name?: string;
      Parameters?: Record<string, unknown>;
      PartitionKeys?: Array<{ Name: string; Type: string }>;
      StorageDescriptor?: { Columns?: Array<{ Name: string; Type: string }> };
    };
  };
}

let cached: Map<string, GlueTable> | undefined;

/** The Glue tables declared in infra/glue.yml, by table name (`messaging_events`, `messaging_events_archive`). */
export function glueTables(): ReadonlyMap<string, GlueTable> {
  if (cached !== undefined) return cached;
  const text = readFileSync(join(__dirname, '..', '..', 'infra', 'glue.yml'), 'utf8');
  const doc = parse(text, { customTags: cfnTags }) as { Resources: Record<string, CfnTableResource> };
  const tables = new Map<string, GlueTable>();
  for (const resource of Object.values(doc.Resources)) {
    if (resource.Type !== 'AWS::Glue::Table') continue;
    const input = resource.Properties?.TableInput;
    if (input?.Name === undefined) continue;
    const columns = new Map<string, string>();
    for (const c of input.StorageDescriptor?.Columns ?? []) columns.set(c.Name, c.Type);
    const partitionKeys = (input.PartitionKeys ?? []).map((k) => k.Name);
    for (const k of input.PartitionKeys ?? []) columns.set(k.Name, k.Type);
    const enums = new Map<string, string[]>();
    for (const [key, value] of Object.entries(input.Parameters ?? {})) {
      const m = /^projection\.([^.]+)\.values$/.exec(key);
      if (m !== null && typeof value === 'string') enums.set(m[1] as string, value.split(','));
    }
    tables.set(input.Name, { name: input.Name, columns, partitionKeys, enums });
  }
  if (!tables.has('messaging_events') || !tables.has('messaging_events_archive')) {
    throw new Error('infra/glue.yml: expected the tables messaging_events and messaging_events_archive');
  }
  cached = tables;
  return tables;
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Why `value` does not fit the Glue/Hive type, or undefined when it does. */
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
      return typeof value === 'number' && Number.isSafeInteger(value)
        ? undefined
        : `${shown()} is not a safe integer`;
    case 'double':
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
 * Every way one parsed JSON row breaks the table: keys that are not columns, values that do not fit their
 * column's type, and `null` (the schema omits absent fields, it never writes null).
 */
export function glueViolations(row: unknown, table: GlueTable): string[] {
  if (!isPlainObject(row)) return [`row ${show(row)} is not a JSON object`];
  const out: string[] = [];
  for (const key of Object.keys(row)) {
    const type = table.columns.get(key);
    const value = row[key];
    if (type === undefined) {
      out.push(`key ${JSON.stringify(clip(key, 80))} is not a column of ${table.name}`);
      continue;
    }
    if (value === null) {
      out.push(`${key} is null (absent fields must be omitted)`);
      continue;
    }
    const v = typeViolation(type, value);
    if (v !== undefined) out.push(`${key} (${type}): ${v}`);
  }
  return out;
}

/** Throws a readable error when the row does not conform to the table. */
export function assertConformsToGlue(row: unknown, table: GlueTable): void {
  const v = glueViolations(row, table);
  if (v.length > 0) throw new Error(`row does not conform to Glue table ${table.name}:\n  ${v.join('\n  ')}`);
}

export function clip(s: string, max = 120): string {
  return s.length <= max ? s : `${s.slice(0, max)}…(${s.length} chars)`;
}

export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(clip(value, 80));
  if (typeof value === 'number') return String(value);
  try {
    return clip(JSON.stringify(value) ?? String(value), 80);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
