import { z } from 'zod';
import { BOUNCE_CLASSES, CHANNELS, FAMILIES, OUTCOMES, SOURCES } from '../schema';
import { DEFAULT_RULES } from './defaultRules';
import { rulesFileSchema } from './ruleSchema';

type JsonSchema = { [key: string]: unknown };

/** Where the committed schema lives (`npm run schema` writes it; a test checks it is current). */
export const RULES_SCHEMA_PATH = 'schemas/rules.schema.json';

/**
 * Match keys whose values come from a closed vocabulary, compared without regard to case (compileRules
 * checks them when a rules file is loaded). The same lists the compiler reads from src/schema.ts.
 */
const VOCABULARIES: Record<string, readonly string[]> = {
  source: SOURCES,
  family: FAMILIES,
  channel: CHANNELS,
  outcome: OUTCOMES,
  bounce_type: BOUNCE_CLASSES,
};

/**
 * The JSON Schema (draft 2020-12) of a rules file, for editors (`# yaml-language-server: $schema=…`) and
 * other tools. Generated from the zod schema the validator uses (src/rules/ruleSchema.ts) by
 * `z.toJSONSchema`, which renders types, keys, lengths and patterns but drops every refinement; what the
 * refinements and the rule compiler check is added here where JSON Schema can say it:
 *
 * - an alert rule needs `severity`, and only alert rules have one; a tag rule needs at least one tag, and only
 *   tag rules have tags (`if`/`then`/`else` on `action`);
 * - `match` and `match.attributes` are not empty (`minProperties`);
 * - `source`, `family`, `channel`, `outcome` and `bounce_type` values are in their vocabularies, in any case
 *   (a case-insensitive `pattern`, the values as `examples` for completion);
 * - `disable` names a shipped default rule (`enum`).
 *
 * Not expressible, and checked by the validator only: rule names are unique within the file.
 */
export function rulesJsonSchema(): JsonSchema {
  const generated = z.toJSONSchema(rulesFileSchema, { target: 'draft-2020-12', io: 'input' }) as JsonSchema;
  const properties = at(generated, 'properties');
  const rule = at(at(properties, 'rules'), 'items');
  const ruleProperties = at(rule, 'properties');
  const match = at(ruleProperties, 'match');
  const matchProperties = at(match, 'properties');

  at(at(properties, 'disable'), 'items').enum = DEFAULT_RULES.map((r) => r.name);
  match.minProperties = 1;
  at(matchProperties, 'attributes').minProperties = 1;
  const defs: JsonSchema = {};
  for (const [key, values] of Object.entries(VOCABULARIES)) {
    const { description } = at(matchProperties, key);
    const listed = values.map((v) => (key === 'channel' ? v : v.toLowerCase()));
    defs[key] = {
      type: 'string',
      pattern: `^(?:${values.map(caseInsensitive).join('|')})$`,
      examples: listed,
    };
    matchProperties[key] = {
      description: `${description ?? key}: ${listed.join(', ')} (case is ignored)`,
      anyOf: [{ $ref: `#/$defs/${key}` }, { type: 'array', minItems: 1, items: { $ref: `#/$defs/${key}` } }],
    };
  }
  rule.allOf = [
    {
      if: { properties: { action: { const: 'alert' } }, required: ['action'] },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else, not a promise
      then: { required: ['severity'] },
      else: { not: { required: ['severity'] } },
    },
    {
      if: { properties: { action: { const: 'tag' } }, required: ['action'] },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else, not a promise
      then: { required: ['tags'], properties: { tags: { type: 'array', minItems: 1 } } },
      else: { not: { required: ['tags'] } },
    },
  ];

  const { $schema, ...rest } = generated;
  return {
    $schema,
    title: 'pinpoint-stream-processor routing rules',
    description:
      'Routing rules file (RULES_FILE, or the rulesFile deploy parameter). Validate with `pinpoint-stream rules check`.',
    $comment: `Generated from src/rules/ruleSchema.ts by \`npm run schema\`: do not edit. Not expressible here, checked by the validator: rule names are unique within the file.`,
    ...rest,
    $defs: defs,
  };
}

/** The member of a generated schema at `key`, which must be an object: the generator's shape is asserted. */
function at(schema: JsonSchema, key: string): JsonSchema {
  const value = schema[key];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`rules JSON Schema: expected an object at '${key}' in the schema zod generated`);
  }
  return value as JsonSchema;
}

/** `bounce_type` → `[bB][oO][uU][nN][cC][eE]_[tT][yY][pP][eE]`: a regex matching the value in any case. */
function caseInsensitive(value: string): string {
  return [...value]
    .map((c) => {
      const lower = c.toLowerCase();
      const upper = c.toUpperCase();
      if (lower !== upper) return `[${lower}${upper}]`;
      return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    })
    .join('');
}
