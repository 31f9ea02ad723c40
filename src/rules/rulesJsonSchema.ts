import { z } from 'zod';
import { BOUNCE_CLASSES, CHANNELS, FAMILIES, OUTCOMES, SOURCES } from '../schema';
import { DEFAULT_RATE_RULES, DEFAULT_RULES } from './defaultRules';
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
 * - `match` and `match.attributes` are not empty (`minProperties`), on event and rate rules alike;
 * - (rendered by zod, from the schema's own `regex`) a value of a key that takes no globs — every key but
 *   `event_type` and `attributes` — holds no `*` or `?` (`pattern`);
 * - `source`, `family`, `channel`, `outcome` and `bounce_type` values are in their vocabularies, in any case
 *   (a case-insensitive `pattern`, the values as `examples` for completion);
 * - a rate rule lists each outcome and group_by field once (`uniqueItems`);
 * - `disable` names a shipped default rule, event or rate (`enum`).
 *
 * A rule is one of two shapes (`oneOf`): an event rule (`kind` absent or `event`) or a rate rule
 * (`kind: rate`). Not expressible, and checked by the validator only: rule names are unique within the file;
 * a rate rule's denominator is not the very same outcomes as its numerator.
 */
export function rulesJsonSchema(): JsonSchema {
  const generated = z.toJSONSchema(rulesFileSchema, { target: 'draft-2020-12', io: 'input' }) as JsonSchema;
  const properties = at(generated, 'properties');
  const [rule, rateRule] = ruleShapes(at(at(properties, 'rules'), 'items'));
  const rateProperties = at(rateRule, 'properties');

  at(at(properties, 'disable'), 'items').enum = [...DEFAULT_RULES, ...DEFAULT_RATE_RULES].map((r) => r.name);
  const defs: JsonSchema = {};
  for (const shape of [rule, rateRule]) {
    const match = at(at(shape, 'properties'), 'match');
    const matchProperties = at(match, 'properties');
    match.minProperties = 1;
    at(matchProperties, 'attributes').minProperties = 1;
    for (const [key, values] of Object.entries(VOCABULARIES)) {
      // Keys a rate rule's match leaves out are `{ not: {} }` there: nothing to describe.
      if (at(matchProperties, key).not !== undefined) continue;
      const { description } = at(matchProperties, key);
      const listed = values.map((v) => (key === 'channel' ? v : v.toLowerCase()));
      defs[key] = {
        type: 'string',
        pattern: `^(?:${values.map(caseInsensitive).join('|')})$`,
        examples: listed,
      };
      matchProperties[key] = {
        description: `${description ?? key}: ${listed.join(', ')} (case is ignored)`,
        anyOf: [
          { $ref: `#/$defs/${key}` },
          { type: 'array', minItems: 1, items: { $ref: `#/$defs/${key}` } },
        ],
      };
    }
  }
  for (const key of ['numerator', 'denominator', 'group_by']) at(rateProperties, key).uniqueItems = true;
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
    $comment: `Generated from src/rules/ruleSchema.ts by \`npm run schema\`: do not edit. Not expressible here, checked by the validator: rule names are unique within the file; a rate rule's denominator is not the same outcomes as its numerator.`,
    ...rest,
    $defs: defs,
  };
}

/** The event rule and rate rule shapes of the generated `oneOf`, told apart by their `kind`. */
function ruleShapes(items: JsonSchema): [JsonSchema, JsonSchema] {
  const shapes = items.oneOf;
  if (!Array.isArray(shapes) || shapes.length !== 2) {
    throw new Error('rules JSON Schema: expected a oneOf of two rule shapes in the schema zod generated');
  }
  const kind = (shape: JsonSchema) => at(at(shape, 'properties'), 'kind').const;
  const event = shapes.find((s: JsonSchema) => kind(s) === 'event') as JsonSchema | undefined;
  const rate = shapes.find((s: JsonSchema) => kind(s) === 'rate') as JsonSchema | undefined;
  if (event === undefined || rate === undefined) {
    throw new Error("rules JSON Schema: expected the rule shapes of kind 'event' and 'rate'");
  }
  return [event, rate];
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
