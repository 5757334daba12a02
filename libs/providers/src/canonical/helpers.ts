import type { ChatRequest, Message, ResponseFormat, TextPart } from './chat.js';

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

/** Schema members that hold data (values of the described JSON), not schemas. */
const SCHEMA_DATA_MEMBERS = new Set(['enum', 'const', 'default', 'examples']);

/**
 * Whether a JSON Schema meets OpenAI's rules for `strict: true` structured outputs, as far as
 * shape goes: an object at the root, and every object closed (`additionalProperties: false`)
 * with all its properties required. A schema that does not is sent without `strict`.
 */
export function meetsOpenAIStrictRules(schema: Readonly<Record<string, unknown>>): boolean {
  if (schema['type'] !== 'object') return false;
  const ok = (node: unknown): boolean => {
    if (Array.isArray(node)) return node.every(ok);
    if (node === null || typeof node !== 'object') return true;
    const n = node as Record<string, unknown>;
    const props = n['properties'];
    const isObject = n['type'] === 'object' || (Array.isArray(n['type']) && n['type'].includes('object')) || (props !== null && typeof props === 'object');
    if (isObject) {
      if (n['additionalProperties'] !== false) return false;
      const required = Array.isArray(n['required']) ? n['required'] : [];
      const names = props !== null && typeof props === 'object' ? Object.keys(props) : [];
      if (!names.every((k) => required.includes(k))) return false;
    }
    return Object.entries(n).every(([k, v]) => SCHEMA_DATA_MEMBERS.has(k) || ok(v));
  };
  return ok(schema);
}

/**
 * Where a piece of text sits in a request, for scanners (PII) that treat them differently.
 * `definition`: a tool's description or a string in its parameters' JSON Schema (descriptions,
 * enum values, defaults, examples), or the same in a response format's schema.
 * `field`: a string the provider receives outside the conversation: the end-user id (`user`),
 * a `metadata` value, a stop sequence, or any string inside the members the decoder did not read
 * (`extra` at the top level, `unreadTexts` inside messages, parts and tools).
 * Names (of tools, functions, schema properties and message authors) are not texts: providers
 * restrict them to identifier characters, which no rewritten value keeps.
 */
export type TextLocation = 'system' | 'user' | 'assistant' | 'tool_result' | 'tool_arguments' | 'definition' | 'field';

/**
 * Rewrites every string inside a JSON value (not object keys); unchanged values keep their
 * identity. The strings and string lists of members named in `keep` are left alone.
 */
function mapJsonStrings(value: unknown, fn: (text: string) => string, keep?: ReadonlySet<string>): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((v, i) => {
      const next = mapJsonStrings(v, fn, keep);
      if (next !== v) (out ??= value.slice())[i] = next;
    });
    return out ?? value;
  }
  if (value !== null && typeof value === 'object') {
    let out: Record<string, unknown> | undefined;
    for (const key in value) {
      const v = (value as Record<string, unknown>)[key];
      if (keep?.has(key) && (typeof v === 'string' || Array.isArray(v))) continue;
      const next = mapJsonStrings(v, fn, keep);
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

/**
 * Returns a copy of the request with every text rewritten by `fn`: message text, tool results and
 * tool call arguments, then the tools' and the response format's definitions, then the strings
 * sent outside the conversation (`user`, `metadata` values, stop sequences, every string in
 * `extra`, then `unreadTexts`; see {@link TextLocation}). Unchanged parts keep their identity, so a no-op pass
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
  // Copied only when a definition changed: a request with tools allocates nothing on a no-op pass.
  let tools = req.tools;
  req.tools?.forEach((t, i, all) => {
    const next = mapDefinition(t, 'parameters', definition);
    if (next === t) return;
    const copy = tools === all ? all.slice() : (tools ?? all.slice());
    copy[i] = next;
    tools = copy;
  });
  const responseFormat = req.responseFormat?.type === 'json_schema' ? mapDefinition(req.responseFormat, 'schema', definition) : req.responseFormat;
  const field = (text: string) => fn(text, 'field');
  const user = req.user === undefined ? undefined : field(req.user);
  const metadata = req.metadata === undefined ? undefined : (mapJsonStrings(req.metadata, field) as Record<string, string>);
  const stop = req.stop === undefined ? undefined : (mapJsonStrings(req.stop, field) as string[]);
  const members = req.extra === undefined ? undefined : (mapJsonStrings(req.extra.members, field) as Record<string, unknown>);
  const unreadTexts = req.unreadTexts === undefined ? undefined : (mapJsonStrings(req.unreadTexts, field) as string[]);
  const toolsChanged = tools !== req.tools;
  if (
    !changed &&
    !toolsChanged &&
    responseFormat === req.responseFormat &&
    user === req.user &&
    metadata === req.metadata &&
    stop === req.stop &&
    members === req.extra?.members &&
    unreadTexts === req.unreadTexts
  ) {
    return req;
  }
  const out: ChatRequest = { ...req, messages: changed ? messages : req.messages };
  if (toolsChanged && tools) out.tools = tools;
  if (responseFormat !== undefined) out.responseFormat = responseFormat;
  if (user !== undefined) out.user = user;
  if (metadata !== undefined) out.metadata = metadata;
  if (stop !== undefined) out.stop = stop;
  if (members !== undefined && req.extra) out.extra = { ...req.extra, members };
  if (unreadTexts !== undefined) out.unreadTexts = unreadTexts;
  return out;
}

/**
 * A definition (a tool, a response format) with its description, then its schema's strings,
 * rewritten by `fn`; the same object when nothing changed.
 */
function mapDefinition<T extends { description?: string | undefined }>(def: T, schema: 'parameters' | 'schema', fn: (text: string) => string): T {
  const description = def.description === undefined ? undefined : fn(def.description);
  const before = (def as Record<string, unknown>)[schema];
  const after = mapJsonStrings(before, fn, SCHEMA_WORDS);
  if (description === def.description && after === before) return def;
  return { ...def, [schema]: after, ...(description !== undefined ? { description } : {}) };
}

/** Calls `fn` on every text of the request (same coverage as {@link mapRequestText}). */
export function forEachRequestText(req: ChatRequest, fn: (text: string, where: TextLocation) => void): void {
  mapRequestText(req, (text, where) => {
    fn(text, where);
    return text;
  });
}

/**
 * The request as an API that cannot name a subset of its tools is to get it: a tool choice of
 * `allowed` (OpenAI's `allowed_tools`) becomes the allowed tools alone with `auto` or `required`.
 * The same object when there is nothing to change. Every encoder writes from it.
 */
export function offeredTools<R extends Pick<ChatRequest, 'tools' | 'toolChoice'>>(req: R): R {
  const choice = req.toolChoice;
  if (choice?.type !== 'allowed') return req;
  const names = new Set(choice.names);
  return { ...req, tools: req.tools?.filter((t) => names.has(t.name)), toolChoice: { type: choice.mode } };
}
