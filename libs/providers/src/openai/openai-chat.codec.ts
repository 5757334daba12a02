import type {
  ChatChoice,
  AssistantMessage,
  CacheControl,
  ChatRequest,
  ChatResponse,
  FinishReason,
  ImageDetail,
  Message,
  TextPart,
  ToolCall,
  ToolChoice,
  ToolMessage,
  Usage,
  UserContentPart,
} from '../canonical/chat.js';
import { documentFileName, portableDocument } from '../canonical/documents.js';
import { describeOpaque, opaqueRefusal, unreadMembers, unreadNestedTexts, withUnreadMembers } from '../canonical/extra.js';
import { unsupportedContent } from '../inbound/unsupported-content.js';
import { mergeUsage, type StreamEvent, type UsageUpdate } from '../canonical/stream-event.js';
import { InboundRequestError, UnsupportedFeatureError } from '../errors.js';
import { invalidResponse } from '../wire/error-mapping.js';
import {
  arr,
  formatIssues,
  isRecord,
  num,
  parseDataUrl,
  rec,
  str,
  toDataUrl,
  type JsonRecord,
} from '../wire/json.js';
import { OpenAIChatRequestWire, type OpenAIChatMessageWire } from './openai-chat.wire.js';
import { offeredTools } from '../canonical/helpers.js';

// ---------------------------------------------------------------------------------------------
// Requests

function imagePart(url: string, detail: ImageDetail | undefined): UserContentPart {
  const inline = parseDataUrl(url);
  const source = inline ? { type: 'base64' as const, ...inline } : { type: 'url' as const, url };
  return detail ? { type: 'image', source, detail } : { type: 'image', source };
}

/** A text part, with the prompt-cache marker an OpenAI-format client of Anthropic models may set. */
function textPart(p: { text: string; cache_control?: CacheControl | null | undefined }): TextPart {
  return p.cache_control ? { type: 'text', text: p.text, cacheControl: p.cache_control } : { type: 'text', text: p.text };
}

/**
 * What decoding a request's messages keeps from one to the next: the function name of every call
 * id, and the calls of OpenAI's deprecated function calling that no `function` message answered
 * yet, by function name (such a call has no id: it is given `call_fn_<message index>`, and the
 * next result of that function answers it).
 */
interface MessageContext {
  toolNames: Map<string, string>;
  functionCalls: Map<string, string[]>;
}

function decodeMessage(m: OpenAIChatMessageWire, index: number, ctx: MessageContext): Message {
  const { toolNames } = ctx;
  switch (m.role) {
    case 'system':
    case 'developer':
      return {
        role: m.role,
        content: typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content.map(textPart),
      };
    case 'user': {
      const content: UserContentPart[] =
        typeof m.content === 'string'
          ? [{ type: 'text', text: m.content }]
          : m.content.map((p): UserContentPart => {
              if (p.type === 'text') return textPart(p);
              if (p.type === 'file' || p.type === 'input_audio') return { type: 'opaque', api: 'openai-chat', kind: p.type, value: { ...p } };
              const image = typeof p.image_url === 'string' ? imagePart(p.image_url, undefined) : imagePart(p.image_url.url, p.image_url.detail);
              if (p.cache_control && image.type === 'image') image.cacheControl = p.cache_control;
              return image;
            });
      return m.name ? { role: 'user', content, name: m.name } : { role: 'user', content };
    }
    case 'assistant': {
      const msg: AssistantMessage = { role: 'assistant', content: [] };
      if (m.reasoning_content) msg.content.push({ type: 'reasoning', text: m.reasoning_content });
      if (typeof m.content === 'string') {
        if (m.content.length > 0) msg.content.push({ type: 'text', text: m.content });
      } else if (m.content) {
        for (const p of m.content) msg.content.push(p.type === 'text' ? textPart(p) : { type: 'text', text: p.refusal });
      }
      if (m.tool_calls && m.tool_calls.length > 0) {
        msg.toolCalls = m.tool_calls.map((c): ToolCall => {
          if (c.type === 'custom') {
            toolNames.set(c.id, c.custom.name);
            return { id: c.id, name: c.custom.name, arguments: c.custom.input, custom: true };
          }
          toolNames.set(c.id, c.function.name);
          return { id: c.id, name: c.function.name, arguments: c.function.arguments };
        });
      }
      if (m.function_call) {
        const id = `call_fn_${index}`;
        const { name } = m.function_call;
        toolNames.set(id, name);
        const open = ctx.functionCalls.get(name);
        if (open) open.push(id);
        else ctx.functionCalls.set(name, [id]);
        (msg.toolCalls ??= []).push({ id, name, arguments: m.function_call.arguments });
      }
      if (m.name) msg.name = m.name;
      return msg;
    }
    case 'function':
      // A result of the deprecated function calling answers the earliest open call of its function.
      return {
        role: 'tool',
        toolCallId: ctx.functionCalls.get(m.name)?.shift() ?? `call_fn_${index}`,
        name: m.name,
        content: [{ type: 'text', text: m.content ?? '' }],
      };
    case 'tool': {
      const tool: ToolMessage = {
        role: 'tool',
        toolCallId: m.tool_call_id,
        content: typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content.map(textPart),
      };
      const name = toolNames.get(m.tool_call_id);
      if (name) tool.name = name;
      return tool;
    }
  }
}

/**
 * A custom tool's format as the canonical model keeps it, as the Responses API writes it:
 * `{ type: 'grammar', syntax, definition }`. Chat Completions nests the grammar
 * (`{ type: 'grammar', grammar: { syntax, definition } }`).
 */
function flatFormat(format: Record<string, unknown>): Record<string, unknown> {
  const grammar = format['type'] === 'grammar' ? rec(format['grammar']) : undefined;
  if (!grammar) return format;
  const { grammar: _nested, ...rest } = format;
  return { ...rest, ...grammar };
}

/** A canonical custom tool format as Chat Completions takes it (see {@link flatFormat}). */
function nestedFormat(format: Record<string, unknown>): Record<string, unknown> {
  if (format['type'] !== 'grammar' || format['grammar'] !== undefined) return format;
  const { type, syntax, definition, ...rest } = format;
  return { ...rest, type, grammar: { syntax, definition } };
}

/** The name of a tool named by a tool choice, a function or a custom tool. */
const namedTool = (t: { type: 'function'; function: { name: string } } | { type: 'custom'; custom: { name: string } }): string =>
  t.type === 'custom' ? t.custom.name : t.function.name;

/**
 * OpenAI's `allowed_tools` tool choice (Chat Completions and Responses) as the canonical choice.
 * Every tool it names must be one of the request's function tools: a 400 naming the entry otherwise
 * (OpenAI refuses it too, and another provider would be offered a tool that does not exist).
 */
export function allowedTools(mode: 'auto' | 'required', names: readonly string[], tools: ChatRequest['tools'], param: (i: number) => string): ToolChoice {
  const declared = new Set(tools?.map((t) => t.name));
  names.forEach((name, i) => {
    if (!declared.has(name)) throw new InboundRequestError(`allowed_tools names ${JSON.stringify(name)}, which is not one of the request's tools`, param(i));
  });
  return { type: 'allowed', mode, names: [...new Set(names)] };
}

/**
 * Parses an OpenAI `/v1/chat/completions` request body into the canonical request.
 * Throws {@link InboundRequestError} (answer 400) when it does not match the API.
 */
export function decodeOpenAIChatRequest(body: unknown): ChatRequest {
  const parsed = OpenAIChatRequestWire.safeParse(body);
  if (!parsed.success) {
    const notCarried = unsupportedContent(body, 'openai-chat');
    if (notCarried) throw notCarried;
    const { message, param, issues } = formatIssues(parsed.error);
    throw new InboundRequestError(message, param, issues, { cause: parsed.error });
  }
  const w = parsed.data;
  const ctx: MessageContext = { toolNames: new Map(), functionCalls: new Map() };
  const req: ChatRequest = {
    model: w.model,
    messages: w.messages.map((m, i) => decodeMessage(m, i, ctx)),
    stream: w.stream === true,
  };
  if (w.tools && w.tools.length > 0) {
    req.tools = w.tools.map((t) =>
      t.type === 'custom'
        ? {
            type: 'function',
            name: t.custom.name,
            ...(t.custom.description !== undefined ? { description: t.custom.description } : {}),
            parameters: {},
            custom: t.custom.format !== undefined ? { format: flatFormat(t.custom.format) } : {},
            ...(t.cache_control ? { cacheControl: t.cache_control } : {}),
          }
        : {
            type: 'function',
            name: t.function.name,
            ...(t.function.description !== undefined ? { description: t.function.description } : {}),
            parameters: t.function.parameters ?? { type: 'object', properties: {} },
            ...(t.function.strict !== undefined && t.function.strict !== null ? { strict: t.function.strict } : {}),
            ...(t.cache_control ? { cacheControl: t.cache_control } : {}),
          },
    );
  }
  if (w.tool_choice !== undefined) {
    const tc = w.tool_choice;
    req.toolChoice =
      typeof tc === 'string'
        ? { type: tc }
        : tc.type === 'allowed_tools'
          ? allowedTools(tc.allowed_tools.mode, tc.allowed_tools.tools.map(namedTool), req.tools, (i) => `tool_choice.allowed_tools.tools.${i}`)
          : { type: 'tool', name: namedTool(tc) };
  }
  if (w.parallel_tool_calls !== undefined) req.parallelToolCalls = w.parallel_tool_calls;
  decodeFunctions(w, req);
  if (w.temperature != null) req.temperature = w.temperature;
  if (w.top_p != null) req.topP = w.top_p;
  if (w.top_k != null) req.topK = w.top_k;
  const maxTokens = w.max_completion_tokens ?? w.max_tokens;
  if (maxTokens != null) req.maxTokens = maxTokens;
  if (w.n != null && w.n > 1) req.choices = w.n;
  if (w.stop != null) req.stop = typeof w.stop === 'string' ? [w.stop] : w.stop;
  if (w.seed != null) req.seed = w.seed;
  if (w.frequency_penalty != null) req.frequencyPenalty = w.frequency_penalty;
  if (w.presence_penalty != null) req.presencePenalty = w.presence_penalty;
  if (w.response_format) {
    const rf = w.response_format;
    req.responseFormat =
      rf.type === 'json_schema'
        ? {
            type: 'json_schema',
            name: rf.json_schema.name,
            schema: rf.json_schema.schema ?? {},
            ...(rf.json_schema.description !== undefined ? { description: rf.json_schema.description } : {}),
            ...(rf.json_schema.strict != null ? { strict: rf.json_schema.strict } : {}),
          }
        : { type: rf.type };
  }
  if (w.reasoning_effort != null) req.reasoning = { effort: w.reasoning_effort };
  if (w.user !== undefined) req.user = w.user;
  if (w.metadata != null) req.metadata = w.metadata;
  if (req.stream && w.stream_options?.include_usage === true) req.includeUsage = true;
  const extra = unreadMembers(body, CHAT_MEMBERS, 'openai-chat');
  if (extra) {
    refuseAudioOutput(extra.members);
    req.extra = extra;
  }
  const unreadTexts = unreadNestedTexts(body, w);
  if (unreadTexts) req.unreadTexts = unreadTexts;
  return req;
}

/**
 * OpenAI's deprecated function calling (ADR 0043): `functions` become function tools and
 * `function_call` the tool choice; the model may call one function at a time, as OpenAI answers
 * such a request. A request that mixes it with `tools` or `tool_choice`, or has a `function_call`
 * without functions (OpenAI refuses that too), or names a function it does not declare, is a 400.
 */
function decodeFunctions(w: OpenAIChatRequestWire, req: ChatRequest): void {
  const functions = w.functions ?? [];
  if (functions.length === 0) {
    if (w.function_call !== undefined) throw new InboundRequestError("Invalid value for 'function_call': 'function_call' is only allowed when 'functions' are specified.", 'function_call');
    return;
  }
  if (w.tools && w.tools.length > 0) {
    throw new InboundRequestError('functions and tools cannot be combined: functions is the deprecated form of tools; declare every function in tools', 'functions');
  }
  if (w.tool_choice !== undefined) {
    throw new InboundRequestError('tool_choice goes with tools: a request that declares functions chooses one with function_call', 'tool_choice');
  }
  req.tools = functions.map((f) => ({
    type: 'function',
    name: f.name,
    ...(f.description !== undefined ? { description: f.description } : {}),
    parameters: f.parameters ?? { type: 'object', properties: {} },
  }));
  const choice = w.function_call;
  if (choice !== undefined) {
    if (typeof choice === 'string') req.toolChoice = { type: choice };
    else if (functions.some((f) => f.name === choice.name)) req.toolChoice = { type: 'tool', name: choice.name };
    else throw new InboundRequestError(`function_call names ${JSON.stringify(choice.name)}, which is not one of the request's functions`, 'function_call.name');
  }
  req.parallelToolCalls = false;
  req.legacyFunctions = true;
}

/**
 * Spoken answers (`modalities: ["audio"]`, `audio`) are refused: the gateway can neither scan
 * what the model says in speech nor put the caller's values back into it (a pseudonymized
 * e-mail address would be read out as its placeholder), and an answer it restores is written
 * from text, where the audio would be lost.
 */
function refuseAudioOutput(members: Readonly<Record<string, unknown>>): void {
  const modalities = members['modalities'];
  const spoken = Array.isArray(modalities) && modalities.includes('audio');
  if (!spoken && (members['audio'] === undefined || members['audio'] === null)) return;
  throw new InboundRequestError(
    `${spoken ? 'modalities' : 'audio'}: spoken answers are not supported: the gateway cannot scan what a model says in speech, nor put your values back into it; ask for text and turn it into speech yourself`,
    spoken ? 'modalities' : 'audio',
  );
}

/** The request members the decoder reads; the others travel as `ChatRequest.extra`. */
const CHAT_MEMBERS: ReadonlySet<string> = new Set(Object.keys(OpenAIChatRequestWire.shape));

export interface EncodeOpenAIRequestOptions {
  /** `model` field value; omitted when undefined (Azure puts the deployment in the URL). */
  model?: string;
  /** OpenAI proper wants `max_completion_tokens`; older compatible servers only know `max_tokens`. */
  maxTokensField?: 'max_completion_tokens' | 'max_tokens';
  /** Send `top_k` (vLLM, Together and other compatible servers accept it). */
  allowTopK?: boolean;
  /** Ask for the final usage chunk when streaming (default true). */
  streamUsage?: boolean;
  /** Send OpenAI chat content the canonical model does not translate (files, audio) as it came (ADR 0026). */
  sendOpaque?: boolean;
  /** Write a PDF given in another API's terms as a `file` part (ADR 0027). */
  documents?: boolean;
  /** Send the request's `metadata` (OpenAI takes it with `store: true` only; Mistral never). */
  sendMetadata?: boolean;
  /** Members of the client's OpenAI chat body the decoder did not read, sent as they came (ADR 0025). */
  unread?: Readonly<Record<string, unknown>>;
  /** Re-map tool call ids (Mistral accepts only 9 alphanumerics). */
  mapToolCallId?: (id: string) => string;
  /** Image part encoder override (Mistral takes a plain URL string). */
  imageUrlAsString?: boolean;
  /** Seed field name (Mistral: `random_seed`). */
  seedField?: string;
  provider?: string;
}

function textOf(parts: readonly { type: string; text?: string }[], separator = ''): string {
  if (parts.length === 1 && parts[0]?.type === 'text') return parts[0].text ?? '';
  const texts: string[] = [];
  for (const p of parts) if (p.type === 'text') texts.push(p.text ?? '');
  return texts.join(separator);
}

function encodeUserContent(parts: readonly UserContentPart[], o: EncodeOpenAIRequestOptions): string | JsonRecord[] {
  if (parts.length === 1 && parts[0]?.type === 'text') return parts[0].text;
  return parts.map((p) => {
    if (p.type === 'text') return { type: 'text', text: p.text };
    if (p.type === 'opaque') {
      if (o.sendOpaque && p.api === 'openai-chat') return { ...p.value };
      const doc = o.documents ? portableDocument(p) : undefined;
      if (!doc) throw opaqueRefusal(o.provider ?? 'openai', p);
      return { type: 'file', file: { filename: documentFileName(doc), file_data: toDataUrl(doc.mediaType, doc.data) } };
    }
    const url = p.source.type === 'url' ? p.source.url : toDataUrl(p.source.mediaType, p.source.data);
    if (o.imageUrlAsString) return { type: 'image_url', image_url: url };
    return { type: 'image_url', image_url: p.detail ? { url, detail: p.detail } : { url } };
  });
}

/** Maps a thinking budget onto OpenAI's coarse effort levels. */
export function effortFromBudget(budget: number): 'low' | 'medium' | 'high' {
  return budget <= 2048 ? 'low' : budget <= 8192 ? 'medium' : 'high';
}

/** Canonical request -> OpenAI Chat Completions request body (used by OpenAI, Azure, compatible and Mistral). */
export function encodeOpenAIChatRequest(request: ChatRequest, o: EncodeOpenAIRequestOptions = {}): JsonRecord {
  const req = offeredTools(request);
  const mapId = o.mapToolCallId ?? ((id: string) => id);
  const messages: JsonRecord[] = [];
  for (const m of req.messages) {
    switch (m.role) {
      case 'system':
      case 'developer':
        // Separate system blocks (Anthropic) stay separate paragraphs.
        messages.push({ role: m.role, content: textOf(m.content, '\n\n') });
        break;
      case 'user': {
        const msg: JsonRecord = { role: 'user', content: encodeUserContent(m.content, o) };
        if (m.name) msg['name'] = m.name;
        messages.push(msg);
        break;
      }
      case 'assistant': {
        const text = textOf(m.content);
        const msg: JsonRecord = { role: 'assistant', content: text.length > 0 || !m.toolCalls?.length ? text : null };
        if (m.toolCalls && m.toolCalls.length > 0) {
          msg['tool_calls'] = m.toolCalls.map((c) =>
            c.custom
              ? { id: mapId(c.id), type: 'custom', custom: { name: c.name, input: c.arguments } }
              : { id: mapId(c.id), type: 'function', function: { name: c.name, arguments: c.arguments } },
          );
        }
        if (m.name) msg['name'] = m.name;
        messages.push(msg);
        break;
      }
      case 'tool': {
        if (m.content.some((p) => p.type === 'image')) {
          throw new UnsupportedFeatureError(o.provider ?? 'openai', 'images in tool results');
        }
        const opaque = m.content.find((p) => p.type === 'opaque');
        if (opaque) throw new UnsupportedFeatureError(o.provider ?? 'openai', `${describeOpaque(opaque)} in tool results`);
        const msg: JsonRecord = { role: 'tool', tool_call_id: mapId(m.toolCallId), content: textOf(m.content) };
        if (o.mapToolCallId && m.name) msg['name'] = m.name;
        messages.push(msg);
        break;
      }
    }
  }
  const body: JsonRecord = {};
  if (o.model !== undefined) body['model'] = o.model;
  body['messages'] = messages;
  if (req.tools && req.tools.length > 0) {
    body['tools'] = req.tools.map((t) => {
      if (t.custom) {
        const custom: JsonRecord = { name: t.name };
        if (t.description !== undefined) custom['description'] = t.description;
        if (t.custom.format !== undefined) custom['format'] = nestedFormat(t.custom.format);
        return { type: 'custom', custom };
      }
      const fn: JsonRecord = { name: t.name };
      if (t.description !== undefined) fn['description'] = t.description;
      fn['parameters'] = t.parameters;
      if (t.strict !== undefined) fn['strict'] = t.strict;
      return { type: 'function', function: fn };
    });
  }
  const choice = req.toolChoice;
  if (choice) {
    const custom = choice.type === 'tool' && req.tools?.some((t) => t.name === choice.name && t.custom);
    body['tool_choice'] =
      choice.type === 'tool' ? (custom ? { type: 'custom', custom: { name: choice.name } } : { type: 'function', function: { name: choice.name } }) : choice.type;
  }
  if (req.parallelToolCalls !== undefined && req.tools?.length) body['parallel_tool_calls'] = req.parallelToolCalls;
  if (req.temperature !== undefined) body['temperature'] = req.temperature;
  if (req.topP !== undefined) body['top_p'] = req.topP;
  if (req.topK !== undefined && o.allowTopK) body['top_k'] = req.topK;
  if (req.maxTokens !== undefined) body[o.maxTokensField ?? 'max_completion_tokens'] = req.maxTokens;
  if (req.choices !== undefined) body['n'] = req.choices;
  if (req.stop && req.stop.length > 0) body['stop'] = req.stop;
  if (req.seed !== undefined) body[o.seedField ?? 'seed'] = req.seed;
  if (req.frequencyPenalty !== undefined) body['frequency_penalty'] = req.frequencyPenalty;
  if (req.presencePenalty !== undefined) body['presence_penalty'] = req.presencePenalty;
  if (req.responseFormat) {
    const rf = req.responseFormat;
    body['response_format'] =
      rf.type === 'json_schema'
        ? {
            type: 'json_schema',
            json_schema: {
              name: rf.name,
              ...(rf.description !== undefined ? { description: rf.description } : {}),
              schema: rf.schema,
              ...(rf.strict !== undefined ? { strict: rf.strict } : {}),
            },
          }
        : { type: rf.type };
  }
  if (req.reasoning) {
    const effort =
      req.reasoning.effort ?? (req.reasoning.budgetTokens !== undefined ? effortFromBudget(req.reasoning.budgetTokens) : undefined);
    if (effort) body['reasoning_effort'] = effort;
  }
  if (req.user !== undefined) body['user'] = req.user;
  if (o.sendMetadata && req.metadata !== undefined) body['metadata'] = req.metadata;
  if (req.stream) {
    body['stream'] = true;
    if (o.streamUsage !== false) body['stream_options'] = { include_usage: true };
  }
  return withUnreadMembers(body, o.unread);
}

// ---------------------------------------------------------------------------------------------
// Responses

/** OpenAI-style finish reason string -> canonical. */
export function finishFromOpenAI(reason: string | undefined | null): FinishReason {
  switch (reason) {
    case 'length':
    case 'model_length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    case 'error':
      return 'error';
    default:
      return 'stop';
  }
}

/** Canonical finish reason -> OpenAI (`error` has no OpenAI equivalent; it becomes `stop`). */
export function finishToOpenAI(reason: FinishReason): string {
  return reason === 'error' ? 'stop' : reason;
}

/** OpenAI `usage` object -> canonical usage update (undefined when absent). */
export function usageFromOpenAI(value: unknown): UsageUpdate | undefined {
  const u = rec(value);
  if (!u) return undefined;
  const update: UsageUpdate = {};
  const input = num(u['prompt_tokens']);
  const output = num(u['completion_tokens']);
  const total = num(u['total_tokens']);
  if (input !== undefined) update.inputTokens = input;
  if (output !== undefined) update.outputTokens = output;
  if (total !== undefined) update.totalTokens = total;
  const cached = num(rec(u['prompt_tokens_details'])?.['cached_tokens']);
  if (cached !== undefined) update.cachedInputTokens = cached;
  const reasoning = num(rec(u['completion_tokens_details'])?.['reasoning_tokens']);
  if (reasoning !== undefined) update.reasoningTokens = reasoning;
  return update;
}

function completeUsage(u: UsageUpdate): Usage {
  const inputTokens = u.inputTokens ?? 0;
  const outputTokens = u.outputTokens ?? 0;
  return { ...u, inputTokens, outputTokens, totalTokens: u.totalTokens ?? inputTokens + outputTokens };
}

/** Canonical usage -> OpenAI `usage`. */
export function usageToOpenAI(u: Usage): JsonRecord {
  const out: JsonRecord = { prompt_tokens: u.inputTokens, completion_tokens: u.outputTokens, total_tokens: u.totalTokens };
  out['prompt_tokens_details'] = { cached_tokens: u.cachedInputTokens ?? 0 };
  out['completion_tokens_details'] = { reasoning_tokens: u.reasoningTokens ?? 0 };
  return out;
}

/** One choice of an OpenAI Chat Completions response, undefined when it has no `message`. */
function decodeChoice(value: unknown): (ChatChoice & { index: number | undefined }) | undefined {
  const choice = rec(value);
  const message = rec(choice?.['message']);
  if (!choice || !message) return undefined;
  const toolCalls: ToolCall[] = [];
  for (const raw of arr(message['tool_calls']) ?? []) {
    const c = rec(raw);
    const custom = rec(c?.['custom']);
    if (c && custom && c['type'] === 'custom') {
      // A call of a custom tool: its input is free text (ADR 0036).
      const name = str(custom['name']);
      if (name !== undefined) toolCalls.push({ id: str(c['id']) ?? `call_${toolCalls.length}`, name, arguments: str(custom['input']) ?? '', custom: true });
      continue;
    }
    const fn = rec(c?.['function']);
    const name = str(fn?.['name']);
    if (!c || !fn || name === undefined) continue;
    const args = fn['arguments'];
    toolCalls.push({
      id: str(c['id']) ?? `call_${toolCalls.length}`,
      name,
      arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}),
    });
  }
  // The answer to a request with the deprecated `functions`: one call, without an id.
  const legacy = rec(message['function_call']);
  const legacyName = str(legacy?.['name']);
  if (legacy && legacyName !== undefined && toolCalls.length === 0) {
    toolCalls.push({ id: 'call_fn_0', name: legacyName, arguments: str(legacy['arguments']) ?? '' });
  }
  const content = message['content'];
  let text = '';
  if (typeof content === 'string') text = content;
  else if (Array.isArray(content)) for (const p of content) text += str(rec(p)?.['text']) ?? '';
  const providerFinish = str(choice['finish_reason']);
  const out: ChatChoice & { index: number | undefined } = { index: num(choice['index']), text, toolCalls, finishReason: finishFromOpenAI(providerFinish) };
  if (providerFinish !== undefined) out.providerFinishReason = providerFinish;
  const refusal = str(message['refusal']);
  if (refusal) out.refusal = refusal;
  const reasoning = str(message['reasoning_content']) ?? str(message['reasoning']);
  if (reasoning) out.reasoning = [{ type: 'reasoning', text: reasoning }];
  return out;
}

/**
 * OpenAI Chat Completions response JSON -> canonical response. Several choices (a request with
 * `n`) are read in the order of their `index`: the first is the response's own, the rest
 * `moreChoices`.
 */
export function decodeOpenAIChatResponse(json: unknown, provider = 'openai', status = 200): ChatResponse {
  const root = rec(json);
  const all = (arr(root?.['choices']) ?? []).map(decodeChoice);
  if (!root || !all[0]) throw invalidResponse(provider, status, 'no choices[0].message');
  // An entry without a message holds no answer; the others are ordered by their index.
  const read = all.filter((c) => c !== undefined);
  if (read.length > 1) read.sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  const [first, ...rest] = read.map(({ index: _index, ...choice }) => choice) as [ChatChoice, ...ChatChoice[]];
  const response: ChatResponse = {
    id: str(root['id']) ?? '',
    model: str(root['model']) ?? '',
    created: num(root['created']) ?? 0,
    ...first,
  };
  if (rest.length > 0) response.moreChoices = rest;
  const usage = usageFromOpenAI(root['usage']);
  const tier = str(root['service_tier']);
  if (usage) response.usage = completeUsage(tier ? { ...usage, serviceTier: tier } : usage);
  return response;
}

export interface EncodeOpenAIResponseOptions {
  /** Model name shown to the client (default: the response's model). */
  model?: string;
  /**
   * The request used the deprecated function calling (`ChatRequest.legacyFunctions`): the call is
   * written as the message's `function_call` (the first, the only one such a client can take) and
   * the finish reason `tool_calls` as `function_call`.
   */
  legacyFunctions?: boolean;
}

/** The finish reason of a choice, as OpenAI writes it for a client of the deprecated function calling when it asked so. */
const finishFor = (reason: FinishReason, legacyFunctions: boolean | undefined): string =>
  legacyFunctions && reason === 'tool_calls' ? 'function_call' : finishToOpenAI(reason);

function encodeChoice(c: ChatChoice, index: number, legacyFunctions: boolean | undefined): JsonRecord {
  const message: JsonRecord = {
    role: 'assistant',
    content: c.text.length > 0 || c.toolCalls.length === 0 ? c.text : null,
    refusal: c.refusal ?? null,
  };
  const [first] = c.toolCalls;
  if (legacyFunctions && first) {
    message['function_call'] = { name: first.name, arguments: first.arguments };
  } else if (c.toolCalls.length > 0) {
    message['tool_calls'] = c.toolCalls.map((call) =>
      call.custom
        ? { id: call.id, type: 'custom', custom: { name: call.name, input: call.arguments } }
        : { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } },
    );
  }
  return { index, message, logprobs: null, finish_reason: finishFor(c.finishReason, legacyFunctions) };
}

/** Canonical response -> OpenAI Chat Completions JSON body (one entry of `choices` per choice). */
export function encodeOpenAIChatResponse(res: ChatResponse, o: EncodeOpenAIResponseOptions = {}): JsonRecord {
  const body: JsonRecord = {
    id: res.id,
    object: 'chat.completion',
    created: res.created,
    model: o.model ?? res.model,
    choices: [encodeChoice(res, 0, o.legacyFunctions), ...(res.moreChoices ?? []).map((c, i) => encodeChoice(c, i + 1, o.legacyFunctions))],
  };
  if (res.usage) body['usage'] = usageToOpenAI(res.usage);
  const tier = openAIServiceTier(res.usage);
  if (tier) body['service_tier'] = tier;
  return body;
}

/** The tier an OpenAI model served a request at, as OpenAI names tiers (another provider's names are not written). */
export function openAIServiceTier(usage: Pick<Usage, 'serviceTier'> | undefined): string | undefined {
  const tier = usage?.serviceTier;
  return tier === 'default' || tier === 'priority' || tier === 'flex' || tier === 'scale' ? tier : undefined;
}

// ---------------------------------------------------------------------------------------------
// Streams: provider chunks -> canonical events

/**
 * Stateful decoder of OpenAI `chat.completion.chunk` objects (already JSON-parsed) into canonical
 * events. Handles Azure's leading filter-only chunk, tool call deltas keyed by index, the
 * trailing usage-only chunk and Groq's `x_groq.usage`.
 */
export class OpenAIChunkDecoder {
  private started = false;
  /** Per choice: the provider's tool call index -> the canonical one, and the last call seen. */
  private readonly tools = new Map<number, { index: Map<number, number>; last: number }>();

  constructor(private readonly errorCode: (message: string, type: string | undefined) => string = () => 'TOTRA_PROVIDER_UNAVAILABLE') {}

  decode(value: unknown, out: StreamEvent[]): void {
    const chunk = rec(value);
    if (!chunk) return;
    const err = rec(chunk['error']);
    if (err) {
      const message = str(err['message']) ?? 'stream error';
      out.push({ type: 'error', code: this.errorCode(message, str(err['type']) ?? str(err['code'])), message });
      return;
    }
    const choices = arr(chunk['choices']);
    const usageValue = chunk['usage'] ?? rec(chunk['x_groq'])?.['usage'];
    if (!this.started && ((choices && choices.length > 0) || isRecord(usageValue))) {
      this.started = true;
      out.push({
        type: 'message_start',
        id: str(chunk['id']) ?? '',
        model: str(chunk['model']) ?? '',
        created: num(chunk['created']) ?? 0,
      });
    }
    // One entry per choice the chunk carries: one, but for a request with `n` (each names its index).
    for (let i = 0; i < (choices?.length ?? 0); i++) {
      const choice = rec(choices?.[i]);
      if (!choice) continue;
      const n = num(choice['index']) ?? i;
      const which = n > 0 && Number.isSafeInteger(n) ? { choice: n } : {};
      this.content(choice, n, which, out);
      const finish = str(choice['finish_reason']);
      if (finish) out.push({ type: 'finish', finishReason: finishFromOpenAI(finish), providerFinishReason: finish, ...which });
    }
    const usage = usageFromOpenAI(usageValue);
    if (!usage) return;
    // The tier the request was served at comes on every chunk; read with the usage only.
    const tier = str(chunk['service_tier']);
    out.push({ type: 'usage', usage: tier ? { ...usage, serviceTier: tier } : usage });
  }

  /** What one choice of a chunk carries before its finish reason: a chat chunk's `delta` (the Completions decoder reads `text`). */
  protected content(choice: JsonRecord, n: number, which: { choice?: number }, out: StreamEvent[]): void {
    const delta = rec(choice['delta']);
    if (delta) this.delta(delta, n, which, out);
  }

  private delta(delta: JsonRecord, n: number, which: { choice?: number }, out: StreamEvent[]): void {
    const reasoning = str(delta['reasoning_content']) ?? str(delta['reasoning']);
    if (reasoning) out.push({ type: 'reasoning_delta', text: reasoning, ...which });
    const content = delta['content'];
    if (typeof content === 'string' && content.length > 0) out.push({ type: 'text_delta', text: content, ...which });
    const legacy = rec(delta['function_call']);
    // The deprecated function calling streams one call: its name first, then its arguments.
    const calls = arr(delta['tool_calls']) ?? (legacy ? [{ index: 0, function: legacy, ...(this.tools.has(n) ? {} : { id: 'call_fn_0' }) }] : undefined);
    if (!calls) return;
    let tools = this.tools.get(n);
    if (!tools) {
      tools = { index: new Map(), last: -1 };
      this.tools.set(n, tools);
    }
    for (let i = 0; i < calls.length; i++) {
      const call = rec(calls[i]);
      if (!call) continue;
      // A custom tool's call streams its input text under `custom` (ADR 0036).
      const custom = rec(call['custom']);
      const fn = custom ?? rec(call['function']);
      const id = str(call['id']);
      const providerIndex = num(call['index']) ?? (id !== undefined ? tools.index.size : tools.last);
      let index = tools.index.get(providerIndex);
      if (index === undefined) {
        index = tools.index.size;
        tools.index.set(providerIndex, index);
        const start: StreamEvent = { type: 'tool_call_start', index, id: id ?? `call_${index}`, name: str(fn?.['name']) ?? '', ...which };
        if (custom || call['type'] === 'custom') start.custom = true;
        out.push(start);
      }
      tools.last = providerIndex;
      const args = custom ? custom['input'] : fn?.['arguments'];
      const text = typeof args === 'string' ? args : isRecord(args) ? JSON.stringify(args) : undefined;
      if (text) out.push({ type: 'tool_call_delta', index, argumentsDelta: text, ...which });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Streams: canonical events -> OpenAI SSE

export interface OpenAIStreamEncoderOptions {
  /** Client sent `stream_options.include_usage`: every chunk carries `usage: null`, and a usage chunk ends the stream. */
  includeUsage?: boolean;
  /** Model name shown to the client (default: the one in `message_start`). */
  model?: string;
  /** Chunk id (default: the one in `message_start`; providers without ids give ''). */
  id?: string;
  /** Unix seconds (default: the one in `message_start`; 0 when the provider gives none). */
  created?: number;
  /**
   * The request used the deprecated function calling: the first call streams as `function_call`
   * (its name, then its arguments), later calls are not written (such a client takes one), and
   * the finish reason `tool_calls` is `function_call`.
   */
  legacyFunctions?: boolean;
}

/** Stateful encoder of canonical events into OpenAI `chat.completion.chunk` SSE text. */
export interface OpenAIChatStreamEncoder {
  /** SSE text for this event ('' when the event produces no chunk yet). */
  push(event: StreamEvent): string;
  /** The closing text: the usage chunk (when asked) and `data: [DONE]`. */
  end(): string;
}

export function createOpenAIChatStreamEncoder(o: OpenAIStreamEncoderOptions = {}): OpenAIChatStreamEncoder {
  let prefix: string | undefined; // `{"id":..,"object":..,"created":..,"model":..,`
  let usage: Usage | undefined;
  /** The choices whose first chunk (with the role) went out, and those that finished. */
  const opened = new Set<number>();
  const finished = new Set<number>();
  /** Calls of custom tools, by choice and index (`choice:index`): their deltas are `custom.input`. */
  const customCalls = new Set<string>();
  let ended = false;
  const suffix = o.includeUsage ? ',"usage":null}' : '}';

  const ensurePrefix = (id = '', model = '', created = 0): string => {
    prefix ??=
      `{"id":${JSON.stringify(o.id ?? id)},"object":"chat.completion.chunk","created":${o.created ?? created},` +
      `"model":${JSON.stringify(o.model ?? model)},`;
    return prefix;
  };
  const frame = (index: number, delta: string, finish: string | null) =>
    `data: ${ensurePrefix()}"choices":[{"index":${index},"delta":${delta},"logprobs":null,"finish_reason":${finish === null ? 'null' : JSON.stringify(finish)}}]${suffix}\n\n`;
  const ROLE = '{"role":"assistant","content":""}';
  /** A chunk of choice `index`; a choice's first (after choice 0's, written at the start) opens it with the role. */
  const chunk = (index: number, delta: string, finish: string | null = null): string => {
    if (opened.has(index)) return frame(index, delta, finish);
    opened.add(index);
    return frame(index, ROLE, null) + frame(index, delta, finish);
  };

  return {
    push(event) {
      switch (event.type) {
        case 'message_start':
          ensurePrefix(event.id, event.model, event.created);
          if (opened.has(0)) return '';
          opened.add(0);
          return frame(0, ROLE, null);
        case 'text_delta':
          return event.text.length > 0 ? chunk(event.choice ?? 0, `{"content":${JSON.stringify(event.text)}}`) : '';
        case 'reasoning_delta':
          return ''; // OpenAI's chat API does not stream reasoning text
        case 'tool_call_start':
          if (o.legacyFunctions) {
            return event.index === 0 ? chunk(event.choice ?? 0, `{"function_call":{"name":${JSON.stringify(event.name)},"arguments":""}}`) : '';
          }
          if (event.custom) {
            customCalls.add(`${event.choice ?? 0}:${event.index}`);
            return chunk(
              event.choice ?? 0,
              `{"tool_calls":[{"index":${event.index},"id":${JSON.stringify(event.id)},"type":"custom","custom":{"name":${JSON.stringify(event.name)},"input":""}}]}`,
            );
          }
          return chunk(
            event.choice ?? 0,
            `{"tool_calls":[{"index":${event.index},"id":${JSON.stringify(event.id)},"type":"function","function":{"name":${JSON.stringify(event.name)},"arguments":""}}]}`,
          );
        case 'tool_call_delta':
          if (o.legacyFunctions) {
            return event.index === 0 ? chunk(event.choice ?? 0, `{"function_call":{"arguments":${JSON.stringify(event.argumentsDelta)}}}`) : '';
          }
          if (customCalls.has(`${event.choice ?? 0}:${event.index}`)) {
            return chunk(event.choice ?? 0, `{"tool_calls":[{"index":${event.index},"custom":{"input":${JSON.stringify(event.argumentsDelta)}}}]}`);
          }
          return chunk(event.choice ?? 0, `{"tool_calls":[{"index":${event.index},"function":{"arguments":${JSON.stringify(event.argumentsDelta)}}}]}`);
        case 'usage':
          usage = mergeUsage(usage, event.usage);
          return '';
        case 'finish': {
          const index = event.choice ?? 0;
          if (finished.has(index)) return '';
          finished.add(index);
          return chunk(index, '{}', finishFor(event.finishReason, o.legacyFunctions));
        }
        case 'error':
          return `data: ${JSON.stringify({ error: { message: event.message, type: 'server_error', code: event.code, param: null } })}\n\n`;
      }
    },
    end() {
      if (ended) return '';
      ended = true;
      let out = '';
      if (o.includeUsage && usage) {
        out += `data: ${ensurePrefix()}"choices":[],"usage":${JSON.stringify(usageToOpenAI(usage))}}\n\n`;
      }
      return `${out}data: [DONE]\n\n`;
    },
  };
}
