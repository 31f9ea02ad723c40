/**
 * Writes the JSON Schema of rules files (schemas/rules.schema.json) from the zod schema the validator uses.
 * Run after changing src/rules/ruleSchema.ts, the default rules or the vocabularies of src/schema.ts; a test
 * (test/unit/rules/rulesJsonSchema.test.ts) fails while the committed file is not current.
 *
 *   npm run schema
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RULES_SCHEMA_PATH, rulesJsonSchema } from '../src/rules/rulesJsonSchema';

const file = join(__dirname, '..', RULES_SCHEMA_PATH);
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(rulesJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${RULES_SCHEMA_PATH}\n`);
