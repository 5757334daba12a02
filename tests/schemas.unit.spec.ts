import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventRegistry, buildJsonSchemas, formatJsonSchema } from '@totra/events';

// Auditors read schemas/, not TypeScript: the checked-in files must be exactly what the zod
// schemas generate. Regenerate with `npm run schemas`.
describe('schemas/', () => {
  const dir = join(import.meta.dirname, '..', 'schemas');
  const generated = buildJsonSchemas(new EventRegistry());

  it('holds one file per event type plus the envelope, and nothing else', () => {
    const onDisk = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
    expect(onDisk).toEqual([...generated.keys()].sort());
  });

  it.each([...generated.keys()])('%s matches the zod schema', (file) => {
    const onDisk = readFileSync(join(dir, file), 'utf8');
    expect(onDisk, `schemas/${file} is stale: run npm run schemas`).toBe(formatJsonSchema(generated.get(file)));
  });
});
