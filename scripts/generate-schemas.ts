// Writes the JSON Schema of the envelope and of every event type into schemas/.
// Run with `npm run schemas` after changing an event; tests/schemas.unit.spec.ts fails until you do.
import { mkdirSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventRegistry, buildJsonSchemas, formatJsonSchema } from '@totra/events';

const dir = join(import.meta.dirname, '..', 'schemas');
mkdirSync(dir, { recursive: true });
const schemas = buildJsonSchemas(new EventRegistry());
for (const file of readdirSync(dir)) {
  if (file.endsWith('.schema.json') && !schemas.has(file)) unlinkSync(join(dir, file));
}
for (const [file, schema] of schemas) writeFileSync(join(dir, file), formatJsonSchema(schema));
console.log(`wrote ${schemas.size} schemas to schemas/`);
