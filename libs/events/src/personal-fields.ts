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

function walk(node: unknown, path: string, out: string[], names: ReadonlySet<string>): void {
  if (Array.isArray(node)) {
    node.forEach((n) => walk(n, path, out, names));
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      for (const [prop, sub] of Object.entries(value)) {
        const at = path ? `${path}.${prop}` : prop;
        if (names.has(prop.toLowerCase())) out.push(at);
        walk(sub, at, out, names);
      }
    } else {
      walk(value, path, out, names);
    }
  }
}

/**
 * Paths (e.g. `email`, `user.name`) of personal fields in the clear `data` schema of an event
 * type, less its justified exceptions: the fields of {@link PERSONAL_FIELDS}, and the event's
 * own `sealedFields` (a field it declares personal, e.g. a free-text `reason`, must not also be
 * in clear). Empty for a compliant event type.
 */
export function personalFieldsInClear(def: Pick<EventDefinition, 'type' | 'data'> & { sealedFields?: readonly string[] }): string[] {
  const found: string[] = [];
  const own = new Set([...personal, ...(def.sealedFields ?? []).map((f) => f.toLowerCase())]);
  walk(z.toJSONSchema(def.data, { unrepresentable: 'any' }), '', found, own);
  const allowed = PERSONAL_FIELD_EXCEPTIONS[def.type] ?? {};
  return [...new Set(found)].filter((p) => !(p in allowed));
}
