/**
 * Claude's structured outputs (`output_config.format`, constrained decoding) for the JSON schemas
 * of other APIs' clients (ADR 0035): which models take them, and a strict schema in the subset
 * they take.
 */

import type { ChatRequest } from '../canonical/chat.js';

/**
 * The schema a request asks Claude for as structured outputs, rewritten (`claudeOutputSchema`),
 * or undefined when it must be asked for with an instruction: no JSON schema, one not marked
 * strict, one they cannot take, or a conversation that ends with the assistant's words (a
 * prefill, which they do not take). Only for a model that has them (`ClaudeTraits.structuredOutputs`).
 */
export function claudeStructuredOutputFor(req: ChatRequest): Record<string, unknown> | undefined {
  const rf = req.responseFormat;
  if (rf?.type !== 'json_schema' || rf.strict !== true) return undefined;
  const last = req.messages.findLast((m) => m.role !== 'system' && m.role !== 'developer');
  return last?.role === 'assistant' ? undefined : claudeOutputSchema(rf.schema);
}

/** Keywords that hold schemas, by how: one schema, a list of them, or a map of them. */
const ONE = new Set(['items', 'additionalProperties', 'not']);
const LIST = new Set(['anyOf', 'allOf', 'prefixItems']);
const MAP = new Set(['properties', '$defs', 'definitions']);
/** Keywords whose values are data (of the described JSON) or annotations, copied as they are. */
const DATA = new Set(['type', 'enum', 'const', 'default', 'examples', 'description', 'title', 'required', '$ref', '$schema', '$id', '$comment']);
/** The string formats Claude's structured outputs take. */
const FORMATS = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'uri', 'ipv4', 'ipv6', 'uuid']);
/**
 * Constraints Claude's structured outputs do not take: they are moved into the description, where
 * they still guide the model (as Anthropic's SDKs do).
 */
const MOVED = new Set([
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf',
  'minLength', 'maxLength', 'pattern',
  'maxItems', 'uniqueItems', 'minContains', 'maxContains',
  'minProperties', 'maxProperties',
]);
/** The most properties whose type is a union (`anyOf`, or a list of types) a schema may have. */
const MAX_UNION_PROPERTIES = 16;

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A strict JSON schema (OpenAI's strict rules: every object closed, all its properties required)
 * rewritten for Claude's structured outputs, or undefined when they cannot take it and the schema
 * must reach Claude as an instruction instead: a recursive schema, a reference outside the
 * schema, keywords they have no equivalent for (`oneOf`, `if`, `patternProperties` ...), an enum
 * of objects or arrays, or more than 16 properties of a union type. Numeric, string and array
 * constraints are moved into the description of their schema; so are string formats they do not
 * know, and `minItems` above 1.
 */
export function claudeOutputSchema(schema: Readonly<Record<string, unknown>>): Record<string, unknown> | undefined {
  if (referencesLoop(schema)) return undefined;
  let unions = 0;
  const rewrite = (node: unknown): unknown => {
    if (typeof node === 'boolean') return node;
    if (!isNode(node)) throw new Unsupported();
    const out: Node = {};
    const moved: Node = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === 'enum') {
        if (!Array.isArray(value) || value.some((v) => v !== null && typeof v === 'object')) throw new Unsupported();
        out[key] = value;
      } else if (key === '$ref') {
        // A definition of the schema's own; the root itself (`#`) is a loop, found before.
        if (typeof value !== 'string' || !/^#\/(?:\$defs|definitions)\/[^/]+$/.test(value)) throw new Unsupported();
        out[key] = value;
      } else if (DATA.has(key)) out[key] = value;
      else if (MOVED.has(key)) moved[key] = value;
      else if (key === 'format') {
        if (typeof value === 'string' && FORMATS.has(value)) out[key] = value;
        else moved[key] = value;
      } else if (key === 'minItems') {
        if (value === 0 || value === 1) out[key] = value;
        else moved[key] = value;
      } else if (ONE.has(key)) {
        if (key === 'additionalProperties' && value !== false) throw new Unsupported();
        out[key] = rewrite(value);
      } else if (LIST.has(key)) {
        if (!Array.isArray(value)) throw new Unsupported();
        out[key] = value.map(rewrite);
      } else if (MAP.has(key)) {
        if (!isNode(value)) throw new Unsupported();
        const entries = Object.entries(value);
        if (key === 'properties') unions += entries.filter(([, s]) => isNode(s) && (Array.isArray(s['type']) || s['anyOf'] !== undefined)).length;
        out[key] = Object.fromEntries(entries.map(([name, s]) => [name, rewrite(s)]));
      } else throw new Unsupported();
    }
    const isObject = out['type'] === 'object' || out['properties'] !== undefined;
    if (isObject && out['additionalProperties'] === undefined) out['additionalProperties'] = false;
    if (Object.keys(moved).length > 0) {
      const said = typeof out['description'] === 'string' && out['description'].length > 0 ? `${out['description']}\n` : '';
      out['description'] = `${said}${JSON.stringify(moved)}`;
    }
    return out;
  };
  try {
    const out = rewrite(schema) as Node;
    return unions > MAX_UNION_PROPERTIES ? undefined : out;
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
}

class Unsupported extends Error {}

/**
 * Whether following the schema's local references (`#`, `#/$defs/x`, `#/definitions/x`) can come
 * back to where it started: a recursive schema.
 */
function referencesLoop(schema: Readonly<Record<string, unknown>>): boolean {
  const defs: Record<string, unknown> = { ...(isNode(schema['definitions']) ? prefixed('#/definitions/', schema['definitions']) : {}), ...(isNode(schema['$defs']) ? prefixed('#/$defs/', schema['$defs']) : {}) };
  const refsIn = (node: unknown, into: Set<string>, top: boolean): Set<string> => {
    if (Array.isArray(node)) for (const v of node) refsIn(v, into, false);
    else if (isNode(node)) {
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string') into.add(value);
        // The root's definitions are reached through references only.
        else if (!(top && (key === '$defs' || key === 'definitions')) && !DATA.has(key)) refsIn(value, into, false);
      }
    }
    return into;
  };
  const visiting = new Set<string>();
  const done = new Set<string>();
  const loops = (ref: string): boolean => {
    if (ref === '#') return true;
    if (visiting.has(ref)) return true;
    if (done.has(ref)) return false;
    visiting.add(ref);
    const target = defs[ref];
    const found = [...refsIn(target, new Set(), false)].some(loops);
    visiting.delete(ref);
    done.add(ref);
    return found;
  };
  return [...refsIn(schema, new Set(), true)].some(loops);
}

function prefixed(prefix: string, map: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [prefix + k, v]));
}
