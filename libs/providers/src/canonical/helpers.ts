import type { ChatRequest, Message, ResponseFormat, TextPart, ToolDefinition } from './chat.js';

/** Splits system/developer messages (wherever they stand) from the conversation. */
export function splitSystem(messages: readonly Message[]): { system: TextPart[]; conversation: Message[] } {
  const system: TextPart[] = [];
  const conversation: Message[] = [];
  for (const m of messages) {
    if (m.role === 'system' || m.role === 'developer') system.push(...m.content);
    else conversation.push(m);
  }
  return { system, conversation };
}

/**
 * An instruction standing in for JSON mode on providers that have none (Anthropic, Bedrock):
 * the request asked for JSON, so the model is told so, with the schema when there is one.
 */
export function jsonModeInstruction(format: ResponseFormat | undefined): string | undefined {
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') return 'Respond only with a single valid JSON object, and nothing else.';
  return `Respond only with a single valid JSON value that conforms to this JSON Schema (named "${format.name}"), and nothing else:\n${JSON.stringify(format.schema)}`;
}

/**
 * Where a piece of text sits in a request, for scanners (PII) that treat them differently.
 * `definition`: a tool's description or a string in its parameters' JSON Schema (descriptions,
 * enum values, defaults, examples), or the same in a response format's schema.
 * `field`: a string the provider receives outside the conversation: the end-user id (`user`),
 * a `metadata` value, a stop sequence, or any string inside the members the decoder did not read
 * (`extra`).
 * Names (of tools, functions, schema properties and message authors) are not texts: providers
 * restrict them to identifier characters, which no rewritten value keeps.
 */
export type TextLocation = 'system' | 'user' | 'assistant' | 'tool_result' | 'tool_arguments' | 'definition' | 'field';

/** Rewrites every string inside a JSON value (not object keys); unchanged values keep their identity. */
function mapJsonStrings(value: unknown, fn: (text: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((v, i) => {
      const next = mapJsonStrings(v, fn);
      if (next !== v) (out ??= value.slice())[i] = next;
    });
    return out ?? value;
  }
  if (value !== null && typeof value === 'object') {
    let out: Record<string, unknown> | undefined;
    for (const key in value) {
      const v = (value as Record<string, unknown>)[key];
      const next = mapJsonStrings(v, fn);
      if (next !== v) (out ??= { ...(value as Record<string, unknown>) })[key] = next;
    }
    return out ?? value;
  }
  return value;
}

/**
 * JSON Schema keywords whose strings are the schema's own words (types, property names, formats,
 * patterns, references), not texts: a rewritten one would break the schema.
 */
const SCHEMA_WORDS: ReadonlySet<string> = new Set(['type', 'required', 'format', 'pattern', '$ref', '$schema', '$id', '$anchor', '$dynamicRef', '$dynamicAnchor', 'contentEncoding', 'contentMediaType', 'propertyNames']);

/** {@link mapJsonStrings} for a JSON Schema: the strings of {@link SCHEMA_WORDS} are left alone. */
function mapSchemaStrings(value: unknown, fn: (text: string) => string): unknown {
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((v, i) => {
      const next = mapSchemaStrings(v, fn);
      if (next !== v) (out ??= value.slice())[i] = next;
    });
    return out ?? value;
  }
  if (value !== null && typeof value === 'object') {
    let out: Record<string, unknown> | undefined;
    for (const key in value) {
      const v = (value as Record<string, unknown>)[key];
      if (SCHEMA_WORDS.has(key) && (typeof v === 'string' || Array.isArray(v))) continue;
      const next = mapSchemaStrings(v, fn);
      if (next !== v) (out ??= { ...(value as Record<string, unknown>) })[key] = next;
    }
    return out ?? value;
  }
  return typeof value === 'string' ? fn(value) : value;
}

/**
 * Returns a copy of the request with every text rewritten by `fn`: message text, tool results and
 * tool call arguments, then the tools' and the response format's definitions, then the strings
 * sent outside the conversation (`user`, `metadata` values, stop sequences and every string in
 * `extra`; see {@link TextLocation}). Unchanged parts keep their identity, so a no-op pass
 * allocates little.
 */
export function mapRequestText(req: ChatRequest, fn: (text: string, where: TextLocation) => string): ChatRequest {
  let changed = false;
  const mapText = <P extends { type: string }>(parts: P[], where: TextLocation): P[] => {
    let out: P[] | undefined;
    parts.forEach((p, i) => {
      if (p.type !== 'text') return;
      const text = (p as P & { text: string }).text;
      const next = fn(text, where);
      if (next !== text) {
        out ??= parts.slice();
        out[i] = { ...p, text: next };
      }
    });
    if (out) changed = true;
    return out ?? parts;
  };
  const messages = req.messages.map((m): Message => {
    switch (m.role) {
      case 'system':
      case 'developer': {
        const content = mapText(m.content, 'system');
        return content === m.content ? m : { ...m, content };
      }
      case 'user': {
        const content = mapText(m.content, 'user');
        return content === m.content ? m : { ...m, content };
      }
      case 'tool': {
        const content = mapText(m.content, 'tool_result');
        return content === m.content ? m : { ...m, content };
      }
      case 'assistant': {
        const content = mapText(m.content, 'assistant');
        let toolCalls = m.toolCalls;
        m.toolCalls?.forEach((c, i) => {
          const args = fn(c.arguments, 'tool_arguments');
          if (args !== c.arguments) {
            toolCalls = toolCalls === m.toolCalls ? [...(m.toolCalls ?? [])] : toolCalls;
            (toolCalls as NonNullable<typeof toolCalls>)[i] = { ...c, arguments: args };
            changed = true;
          }
        });
        return content === m.content && toolCalls === m.toolCalls ? m : { ...m, content, ...(toolCalls ? { toolCalls } : {}) };
      }
    }
  });
  const definition = (text: string) => fn(text, 'definition');
  const tools = req.tools === undefined ? undefined : (mapSchemaStrings(req.tools.map(toolTexts), definition) as ToolTexts[]);
  const format = req.responseFormat?.type === 'json_schema' ? req.responseFormat : undefined;
  const formatTexts = format && (mapSchemaStrings(formatTextsOf(format), definition) as FormatTexts);
  const field = (text: string) => fn(text, 'field');
  const user = req.user === undefined ? undefined : field(req.user);
  const metadata = req.metadata === undefined ? undefined : (mapJsonStrings(req.metadata, field) as Record<string, string>);
  const stop = req.stop === undefined ? undefined : (mapJsonStrings(req.stop, field) as string[]);
  const members = req.extra === undefined ? undefined : (mapJsonStrings(req.extra.members, field) as Record<string, unknown>);
  const toolsChanged = tools !== undefined && tools.some((t, i) => !sameToolTexts(t, req.tools?.[i] as ToolDefinition));
  const formatChanged = format !== undefined && formatTexts !== undefined && (formatTexts.description !== format.description || formatTexts.schema !== format.schema);
  if (!changed && !toolsChanged && !formatChanged && user === req.user && metadata === req.metadata && stop === req.stop && members === req.extra?.members) return req;
  const out: ChatRequest = { ...req, messages: changed ? messages : req.messages };
  if (toolsChanged && tools && req.tools) out.tools = req.tools.map((t, i) => withToolTexts(t, tools[i] as ToolTexts));
  if (formatChanged && format && formatTexts) out.responseFormat = withFormatTexts(format, formatTexts);
  if (user !== undefined) out.user = user;
  if (metadata !== undefined) out.metadata = metadata;
  if (stop !== undefined) out.stop = stop;
  if (members !== undefined && req.extra) out.extra = { format: req.extra.format, members };
  return out;
}

/** The texts of a tool definition, in visiting order: its description, then its schema's strings. */
interface ToolTexts {
  description?: string;
  parameters: Record<string, unknown>;
}

function toolTexts(t: ToolDefinition): ToolTexts {
  return t.description === undefined ? { parameters: t.parameters } : { description: t.description, parameters: t.parameters };
}

function sameToolTexts(texts: ToolTexts, t: ToolDefinition): boolean {
  return texts.description === t.description && texts.parameters === t.parameters;
}

function withToolTexts(t: ToolDefinition, texts: ToolTexts): ToolDefinition {
  if (sameToolTexts(texts, t)) return t;
  const out: ToolDefinition = { ...t, parameters: texts.parameters };
  if (texts.description !== undefined) out.description = texts.description;
  return out;
}

type JsonSchemaFormat = Extract<ResponseFormat, { type: 'json_schema' }>;

/** The texts of a response format's schema: its description, then the schema's strings. */
interface FormatTexts {
  description?: string;
  schema: Record<string, unknown>;
}

function formatTextsOf(f: JsonSchemaFormat): FormatTexts {
  return f.description === undefined ? { schema: f.schema } : { description: f.description, schema: f.schema };
}

function withFormatTexts(f: JsonSchemaFormat, texts: FormatTexts): JsonSchemaFormat {
  const out: JsonSchemaFormat = { ...f, schema: texts.schema };
  if (texts.description !== undefined) out.description = texts.description;
  return out;
}

/** Calls `fn` on every text of the request (same coverage as {@link mapRequestText}). */
export function forEachRequestText(req: ChatRequest, fn: (text: string, where: TextLocation) => void): void {
  mapRequestText(req, (text, where) => {
    fn(text, where);
    return text;
  });
}
