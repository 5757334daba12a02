import { z } from 'zod';
import { type EventDefinition } from './define-event.js';

/**
 * Field names that hold personal data. An event may carry them only in its sealed part
 * (`sealedFields`), never in clear `data`: the registry test walks every event schema for them.
 * Compared case-insensitively.
 */
export const PERSONAL_FIELDS: readonly string[] = [
  'email',
  'name',
  'firstName',
  'lastName',
  'displayName',
  'fullName',
  'phone',
  'address',
  'ip',
  'clientIp',
  'ipAddress',
  'userAgent',
  'prompt',
  'response',
  'content',
  'messages',
  'completion',
];

/**
 * Clear fields whose name is on the list but whose value is not personal, with the reason.
 * Keep this short and justified.
 */
export const PERSONAL_FIELD_EXCEPTIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  ApiKeyIssued: { name: "an admin's label for the key (e.g. \"billing batch job\"), not a person's name" },
};

const personal = new Set(PERSONAL_FIELDS.map((f) => f.toLowerCase()));

function walk(node: unknown, path: string, out: string[]): void {
  if (Array.isArray(node)) {
    node.forEach((n) => walk(n, path, out));
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      for (const [prop, sub] of Object.entries(value)) {
        const at = path ? `${path}.${prop}` : prop;
        if (personal.has(prop.toLowerCase())) out.push(at);
        walk(sub, at, out);
      }
    } else {
      walk(value, path, out);
    }
  }
}

/**
 * Paths (e.g. `email`, `user.name`) of personal fields in the clear `data` schema of an event
 * type, less its justified exceptions. Empty for a compliant event type.
 */
export function personalFieldsInClear(def: Pick<EventDefinition, 'type' | 'data'>): string[] {
  const found: string[] = [];
  walk(z.toJSONSchema(def.data, { unrepresentable: 'any' }), '', found);
  const allowed = PERSONAL_FIELD_EXCEPTIONS[def.type] ?? {};
  return [...new Set(found)].filter((p) => !(p in allowed));
}
