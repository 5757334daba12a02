import { z } from 'zod';
import { type EventDefinition } from './define-event.js';
import { Envelope } from './envelope.js';
import { type EventRegistry } from './registry.js';

const SCHEMA_BASE = 'https://totra.dev/schemas/';

/**
 * JSON Schema (draft 2020-12) of the envelope and of every registered event type at its
 * current version, keyed by file name. `schemas/` in the repository holds exactly this output.
 */
export function buildJsonSchemas(registry: EventRegistry): Map<string, unknown> {
  const out = new Map<string, unknown>();
  out.set('envelope.schema.json', {
    $id: `${SCHEMA_BASE}envelope.schema.json`,
    title: 'ToTra event envelope',
    description:
      'Every event in the TOTRA stream. hash = SHA-256(0x00 || JCS(envelope without hash)); prev links the events of one chain.',
    ...z.toJSONSchema(Envelope, { target: 'draft-2020-12' }),
  });
  for (const def of registry.list()) {
    out.set(fileNameOf(def), eventSchema(def));
  }
  return new Map([...out.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

export function fileNameOf(def: Pick<EventDefinition, 'type'>): string {
  return `${def.type
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()}.schema.json`;
}

function eventSchema(def: EventDefinition): unknown {
  const schema = Envelope.extend({
    type: z.literal(def.type),
    v: z.literal(def.v),
    data: def.data,
    ...(def.requiresSubject ? { subject: z.string().min(1).max(128) } : {}),
  });
  return {
    $id: `${SCHEMA_BASE}${fileNameOf(def)}`,
    title: `${def.type} v${def.v}`,
    description: def.description,
    'x-totra-sealed-fields': def.sealedFields,
    ...z.toJSONSchema(schema, { target: 'draft-2020-12' }),
  };
}

/** Serialises a schema the way it is checked in: two-space JSON and a final newline. */
export function formatJsonSchema(schema: unknown): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
