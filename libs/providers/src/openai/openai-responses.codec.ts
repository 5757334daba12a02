import { z } from 'zod';
import { ImageDetail, LOCAL_TOOL_ITEMS, ReasoningEffort, type LocalToolItem, type ToolCall, type AssistantMessage, type ChatRequest, type ToolChoice, type ChatResponse, type Message, type OpaquePart, type UserContentPart } from '../canonical/chat.js';
import { portableDocument } from '../canonical/documents.js';
import { unreadMembers, unreadNestedTexts } from '../canonical/extra.js';
import { unsupportedContent } from '../inbound/unsupported-content.js';
import { mergeUsage, type StreamEvent } from '../canonical/stream-event.js';
import { InboundRequestError } from '../errors.js';
import { allowedTools, openAIServiceTier } from './openai-chat.codec.js';
import { formatIssues, parseDataUrl, type JsonRecord } from '../wire/json.js';
import { formatSse } from '../wire/sse.js';

/** Zod schema of the OpenAI Responses API request (stateless; function, custom and local tools). */
const InputText = z.object({ type: z.literal('input_text'), text: z.string() });
const OutputText = z.object({ type: z.literal('output_text'), text: z.string() });
const Refusal = z.object({ type: z.literal('refusal'), refusal: z.string() });
const InputImage = z.object({
  type: z.literal('input_image'),
  image_url: z.string().optional(),
  file_id: z.string().nullish(),
  detail: ImageDetail.optional(),
});
/** A file: the gateway takes a PDF given inline (`file_data`), as a portable document (ADR 0027). */
const InputFile = z.object({
  type: z.literal('input_file'),
  file_data: z.string().optional(),
  filename: z.string().optional(),
  file_id: z.string().nullish(),
  file_url: z.string().optional(),
});
const MessageItem = z.object({
  type: z.literal('message').optional(),
  role: z.enum(['user', 'system', 'developer', 'assistant']),
  content: z.union([z.string(), z.array(z.discriminatedUnion('type', [InputText, OutputText, Refusal, InputImage, InputFile]))]),
});
const call = { call_id: z.string(), name: z.string(), id: z.string().optional() };
const callOutput = { call_id: z.string(), output: z.union([z.string(), z.array(z.discriminatedUnion('type', [InputText, InputImage]))]) };
const FunctionCallItem = z.object({ type: z.literal('function_call'), ...call, arguments: z.string() });
const FunctionCallOutputItem = z.object({ type: z.literal('function_call_output'), ...callOutput });
/** A call of a custom tool, and its output (ADR 0036): the input is free text. */
const CustomToolCallItem = z.object({ type: z.literal('custom_tool_call'), ...call, input: z.string() });
const CustomToolCallOutputItem = z.object({ type: z.literal('custom_tool_call_output'), ...callOutput });
const ReasoningItem = z.object({ type: z.literal('reasoning') });
/**
 * A compaction item: OpenAI's encrypted summary of the conversation so far, which the client
 * sends back instead of the turns it replaces. Only OpenAI reads it: such a request goes in the
 * client's own body only (`ChatRequest.compacted`).
 */
const CompactionItem = z.object({ type: z.literal('compaction') });
/** A reference to an item OpenAI stored: refused, as the gateway stores nothing. */
const ItemReference = z.object({ type: z.literal('item_reference') });
/**
 * OpenAI's local tools (ADR 0038): tools the application runs, declared by type alone. The
 * `shell` tool is one only without a hosted container (`environment` absent or `local`).
 * Computer use is one too: the application acts on its screen and sends a screenshot back.
 */
const LOCAL_TOOLS = ['shell', 'local_shell', 'apply_patch', 'computer', 'computer_use_preview'] as const;
type LocalTool = (typeof LOCAL_TOOLS)[number];
const LOCAL_ITEM_TYPES = Object.keys(LOCAL_TOOL_ITEMS) as [keyof typeof LOCAL_TOOL_ITEMS, ...(keyof typeof LOCAL_TOOL_ITEMS)[]];
/**
 * A call of a local tool or its output in the history: read for its type only. Its members
 * (commands, patches, what the commands printed) reach the provider in the client's own body, and
 * their texts are scanned as unread texts (ADR 0030).
 */
const LocalToolItemWire = z.object({ type: z.enum(LOCAL_ITEM_TYPES) });
function isLocalItem(item: { type?: string | undefined }): item is z.infer<typeof LocalToolItemWire> {
  return (LOCAL_ITEM_TYPES as readonly (string | undefined)[]).includes(item.type);
}
const InputItem = z.union([FunctionCallItem, FunctionCallOutputItem, CustomToolCallItem, CustomToolCallOutputItem, ReasoningItem, CompactionItem, ItemReference, LocalToolItemWire, MessageItem]);
/** A tool named by a tool choice: a function or a custom tool. */
const NamedTool = z.object({ type: z.enum(['function', 'custom']), name: z.string() });
/** A local tool named by a tool choice (`{ type: 'shell' }`). */
const LocalToolRef = z.object({ type: z.enum(LOCAL_TOOLS) });

const ResponsesRequestWire = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(InputItem).min(1)]),
  instructions: z.string().nullish(),
  tools: z
    .array(
      z.discriminatedUnion('type', [
        z.object({
          type: z.literal('function'),
          name: z.string(),
          description: z.string().nullish(),
          parameters: z.record(z.string(), z.unknown()).nullish(),
          strict: z.boolean().nullish(),
        }),
        z.object({ type: z.literal('custom'), name: z.string(), description: z.string().nullish(), format: z.record(z.string(), z.unknown()).nullish() }),
        z.object({ type: z.literal('shell'), environment: z.object({ type: z.string() }).nullish() }),
        z.object({ type: z.literal('local_shell') }),
        z.object({ type: z.literal('apply_patch') }),
        z.object({ type: z.literal('computer') }),
        z.object({ type: z.literal('computer_use_preview') }),
      ]),
    )
    .optional(),
  tool_choice: z
    .union([
      z.enum(['none', 'auto', 'required']),
      NamedTool,
      LocalToolRef,
      z.object({ type: z.literal('allowed_tools'), mode: z.enum(['auto', 'required']), tools: z.array(z.union([NamedTool, LocalToolRef])).min(1) }),
    ])
    .optional(),
  parallel_tool_calls: z.boolean().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  stream: z.boolean().nullish(),
  text: z
    .object({
      format: z
        .discriminatedUnion('type', [
          z.object({ type: z.literal('text') }),
          z.object({ type: z.literal('json_object') }),
          z.object({
            type: z.literal('json_schema'),
            name: z.string(),
            schema: z.record(z.string(), z.unknown()),
            description: z.string().optional(),
            strict: z.boolean().nullish(),
          }),
        ])
        .optional(),
    })
    .nullish(),
  reasoning: z.object({ effort: ReasoningEffort.nullish() }).nullish(),
  previous_response_id: z.string().nullish(),
  /** State kept at OpenAI: refused (the gateway stores nothing, and serves no later retrieval). */
  conversation: z.unknown().optional(),
  background: z.boolean().nullish(),
  user: z.string().optional(),
  metadata: z.record(z.string(), z.string()).nullish(),
});

function imagePart(p: z.infer<typeof InputImage>, param: string): UserContentPart {
  if (!p.image_url) throw new InboundRequestError('input_image needs image_url (file ids are not supported)', param);
  const inline = parseDataUrl(p.image_url);
  const part: UserContentPart = { type: 'image', source: inline ? { type: 'base64', ...inline } : { type: 'url', url: p.image_url } };
  if (p.detail) part.detail = p.detail;
  return part;
}

const FILE_FORM =
  'the gateway takes a file as a PDF given inline, `file_data` a data: URL (`data:application/pdf;base64,...`) with an optional `filename`';

function filePart(p: z.infer<typeof InputFile>, param: string): UserContentPart {
  if (p.file_id != null || p.file_url !== undefined) {
    throw new InboundRequestError(`${param}: a file given by ${p.file_id != null ? '`file_id`' : '`file_url`'} is not supported: ${FILE_FORM}`, param);
  }
  const value: Record<string, unknown> = { type: 'input_file' };
  if (p.file_data !== undefined) value['file_data'] = p.file_data;
  if (p.filename !== undefined) value['filename'] = p.filename;
  const part: OpaquePart = { type: 'opaque', api: 'openai-responses', kind: 'input_file', value };
  if (!portableDocument(part)) throw new InboundRequestError(`${param}: this file is not supported: ${FILE_FORM}`, param);
  return part;
}

type MessagePart = z.infer<typeof InputText> | z.infer<typeof OutputText> | z.infer<typeof Refusal> | z.infer<typeof InputImage> | z.infer<typeof InputFile>;

/** A user content part of a Responses message. */
function userPart(p: MessagePart, param: string, filePath: string): UserContentPart {
  if (p.type === 'input_image') return imagePart(p, param);
  if (p.type === 'input_file') return filePart(p, filePath);
  return { type: 'text', text: p.type === 'refusal' ? p.refusal : p.text };
}

/**
 * Parses an OpenAI `/v1/responses` request into the canonical request. Stateless only:
 * `previous_response_id` and the tools a provider runs are refused with {@link InboundRequestError}.
 * OpenAI's local tools are noted in `localTools`, their items left to the client's body (ADR 0038).
 */
export function decodeOpenAIResponsesRequest(body: unknown): ChatRequest {
  const parsed = ResponsesRequestWire.safeParse(body);
  if (!parsed.success) {
    const notCarried = unsupportedContent(body, 'openai-responses');
    if (notCarried) throw notCarried;
    const { message, param, issues } = formatIssues(parsed.error);
    throw new InboundRequestError(message, param, issues, { cause: parsed.error });
  }
  const w = parsed.data;
  if (w.previous_response_id) {
    throw new InboundRequestError('previous_response_id is not supported: the gateway stores no responses; send the full input', 'previous_response_id');
  }
  if (w.conversation !== undefined && w.conversation !== null) {
    throw new InboundRequestError(
      'conversation is not supported: a conversation kept at the provider holds texts the gateway cannot scan, and placeholders it could no longer restore; send the full input',
      'conversation',
    );
  }
  if (w.background === true) {
    throw new InboundRequestError(
      'background is not supported: the gateway answers a response in the request that asks for it and keeps none to retrieve later, so it could neither give you the answer nor account for it; leave background out (stream a long response instead)',
      'background',
    );
  }
  const messages: Message[] = [];
  if (w.instructions) messages.push({ role: 'system', content: [{ type: 'text', text: w.instructions }] });
  const toolNames = new Map<string, string>();
  const localTools = new Set<LocalTool>();
  let compacted = false;
  if (typeof w.input === 'string') {
    messages.push({ role: 'user', content: [{ type: 'text', text: w.input }] });
  } else {
    w.input.forEach((item, i) => {
      const param = `input.${i}`;
      if (item.type === 'reasoning') return;
      if (item.type === 'compaction') {
        compacted = true;
        return;
      }
      if (item.type === 'item_reference') {
        throw new InboundRequestError(`${param}: an item_reference is not supported: the gateway stores no responses, so it has no items to refer to; send the item itself`, param);
      }
      if (isLocalItem(item)) {
        localTools.add(LOCAL_TOOL_ITEMS[item.type]);
        return;
      }
      if (item.type === 'function_call' || item.type === 'custom_tool_call') {
        toolNames.set(item.call_id, item.name);
        const last = messages[messages.length - 1];
        const call: ToolCall = item.type === 'custom_tool_call' ? { id: item.call_id, name: item.name, arguments: item.input, custom: true } : { id: item.call_id, name: item.name, arguments: item.arguments };
        if (last?.role === 'assistant') (last.toolCalls ??= []).push(call);
        else messages.push({ role: 'assistant', content: [], toolCalls: [call] });
        return;
      }
      if (item.type === 'function_call_output' || item.type === 'custom_tool_call_output') {
        const content: UserContentPart[] =
          typeof item.output === 'string'
            ? [{ type: 'text', text: item.output }]
            : item.output.map((p) => (p.type === 'input_text' ? { type: 'text', text: p.text } : imagePart(p, param)));
        const name = toolNames.get(item.call_id);
        messages.push({ role: 'tool', toolCallId: item.call_id, content, ...(name ? { name } : {}) });
        return;
      }
      const parts =
        typeof item.content === 'string'
          ? [{ type: 'input_text' as const, text: item.content }]
          : item.content;
      if (item.role === 'assistant') {
        const msg: AssistantMessage = { role: 'assistant', content: [] };
        for (const p of parts) {
          if (p.type === 'input_image') throw new InboundRequestError('assistant messages cannot contain images', param);
          if (p.type === 'input_file') throw new InboundRequestError('assistant messages cannot contain files', param);
          msg.content.push({ type: 'text', text: p.type === 'refusal' ? p.refusal : p.text });
        }
        messages.push(msg);
      } else if (item.role === 'user') {
        messages.push({
          role: 'user',
          content: parts.map((p, j) => userPart(p, param, `${param}.content.${j}`)),
        });
      } else {
        messages.push({
          role: item.role,
          content: parts.map((p) => {
            if (p.type === 'input_image') throw new InboundRequestError('system messages cannot contain images', param);
            if (p.type === 'input_file') throw new InboundRequestError('system messages cannot contain files', param);
            return { type: 'text', text: p.type === 'refusal' ? p.refusal : p.text };
          }),
        });
      }
    });
  }
  const req: ChatRequest = { model: w.model, messages, stream: w.stream === true };
  const functions: FunctionToolWire[] = [];
  w.tools?.forEach((t, i) => {
    if (t.type === 'shell' && t.environment && t.environment.type !== 'local') {
      throw new InboundRequestError(
        `tools.${i}: the built-in tool \`shell\` with a hosted container (\`environment.type\` ${JSON.stringify(t.environment.type)}) is not supported: the gateway serves function tools, custom tools and the local tools, which your application runs; a tool the provider runs brings content into the conversation that the gateway cannot scan for personal data. Leave \`environment\` out, or give \`{ "type": "local" }\`, to run the commands yourself`,
        `tools.${i}.environment`,
      );
    }
    if (t.type === 'function' || t.type === 'custom') functions.push(t);
    else localTools.add(t.type);
  });
  if (functions.length > 0) {
    req.tools = functions.map((t) =>
      t.type === 'custom'
        ? { type: 'function', name: t.name, ...(t.description ? { description: t.description } : {}), parameters: {}, custom: t.format ? { format: t.format } : {} }
        : {
            type: 'function',
            name: t.name,
            ...(t.description ? { description: t.description } : {}),
            parameters: t.parameters ?? { type: 'object', properties: {} },
            ...(t.strict != null ? { strict: t.strict } : {}),
          },
    );
  }
  const tc = w.tool_choice;
  if (tc !== undefined) {
    const choice = toolChoiceOf(tc, req.tools, localTools);
    if (choice) req.toolChoice = choice;
  }
  if (w.parallel_tool_calls != null) req.parallelToolCalls = w.parallel_tool_calls;
  if (w.temperature != null) req.temperature = w.temperature;
  if (w.top_p != null) req.topP = w.top_p;
  if (w.max_output_tokens != null) req.maxTokens = w.max_output_tokens;
  const format = w.text?.format;
  if (format) {
    req.responseFormat =
      format.type === 'json_schema'
        ? {
            type: 'json_schema',
            name: format.name,
            schema: format.schema,
            ...(format.description !== undefined ? { description: format.description } : {}),
            ...(format.strict != null ? { strict: format.strict } : {}),
          }
        : { type: format.type };
  }
  if (w.reasoning?.effort) req.reasoning = { effort: w.reasoning.effort };
  if (w.user !== undefined) req.user = w.user;
  if (w.metadata) req.metadata = w.metadata;
  const extra = unreadMembers(body, RESPONSES_MEMBERS, 'openai-responses');
  if (extra) req.extra = extra;
  const unreadTexts = unreadNestedTexts(body, w);
  if (unreadTexts) req.unreadTexts = unreadTexts;
  if (localTools.size > 0) req.localTools = [...localTools];
  if (compacted) req.compacted = true;
  return req;
}

type FunctionToolWire = Extract<NonNullable<z.infer<typeof ResponsesRequestWire>['tools']>[number], { type: 'function' | 'custom' }>;

/**
 * The canonical tool choice; undefined when it names a local tool (noted in `localTools`), which
 * only the client's own body carries to the provider (ADR 0038).
 */
function toolChoiceOf(tc: NonNullable<z.infer<typeof ResponsesRequestWire>['tool_choice']>, tools: ChatRequest['tools'], localTools: Set<LocalTool>): ToolChoice | undefined {
  if (typeof tc === 'string') return { type: tc };
  if (tc.type === 'allowed_tools') {
    const named: string[] = [];
    const params: number[] = [];
    tc.tools.forEach((t, i) => {
      if ('name' in t) {
        named.push(t.name);
        params.push(i);
      } else localTools.add(t.type);
    });
    const choice = named.length > 0 ? allowedTools(tc.mode, named, tools, (i) => `tool_choice.tools.${params[i] ?? i}`) : undefined;
    return named.length === tc.tools.length ? choice : undefined;
  }
  if ('name' in tc) return { type: 'tool', name: tc.name };
  localTools.add(tc.type);
  return undefined;
}

/** The request members the decoder reads; the others travel as `ChatRequest.extra`. */
const RESPONSES_MEMBERS: ReadonlySet<string> = new Set(Object.keys(ResponsesRequestWire.shape));

function responseId(id: string): string {
  return id.startsWith('resp_') ? id : `resp_${id}`;
}

function usageOut(res: { usage?: ChatResponse['usage'] }): JsonRecord | null {
  const u = res.usage;
  if (!u) return null;
  return {
    input_tokens: u.inputTokens,
    input_tokens_details: { cached_tokens: u.cachedInputTokens ?? 0 },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens ?? 0 },
    total_tokens: u.totalTokens,
  };
}

function statusOf(res: Pick<ChatResponse, 'finishReason'>): { status: string; incomplete: JsonRecord | null } {
  if (res.finishReason === 'length') return { status: 'incomplete', incomplete: { reason: 'max_output_tokens' } };
  if (res.finishReason === 'content_filter') return { status: 'incomplete', incomplete: { reason: 'content_filter' } };
  if (res.finishReason === 'error') return { status: 'failed', incomplete: null };
  return { status: 'completed', incomplete: null };
}

function messageItem(id: string, text: string, status: string): JsonRecord {
  return { type: 'message', id, status, role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] };
}

/** The id prefix of the items the gateway writes for each local tool's calls. */
const LOCAL_ITEM_PREFIX: Readonly<Record<LocalToolItem, string>> = { shell_call: 'sh', local_shell_call: 'lsh', apply_patch_call: 'apc', computer_call: 'cu' };

/** A local tool's call item (ADR 0038): the canonical call's arguments are its members. */
function localCallItem(item: LocalToolItem, id: string, args: string, status: string): JsonRecord {
  let members: unknown;
  try {
    members = JSON.parse(args);
  } catch {
    members = undefined;
  }
  return { type: item, id: `${LOCAL_ITEM_PREFIX[item]}_${id}`, call_id: id, ...(members !== null && typeof members === 'object' ? members : {}), status };
}

function functionCallItem(call: { id: string; name: string; arguments: string; custom?: true | undefined; item?: LocalToolItem | undefined }, status: string): JsonRecord {
  if (call.item) return localCallItem(call.item, call.id, call.arguments, status);
  // A custom tool's call carries its input text (ADR 0036).
  if (call.custom) return { type: 'custom_tool_call', id: `ctc_${call.id}`, call_id: call.id, name: call.name, input: call.arguments, status };
  return { type: 'function_call', id: `fc_${call.id}`, call_id: call.id, name: call.name, arguments: call.arguments, status };
}

function responseObject(res: ChatResponse, model: string, output: JsonRecord[]): JsonRecord {
  const { status, incomplete } = statusOf(res);
  return {
    id: responseId(res.id),
    object: 'response',
    created_at: res.created,
    status,
    error: status === 'failed' ? { code: 'server_error', message: 'the provider failed' } : null,
    incomplete_details: incomplete,
    model,
    output,
    usage: usageOut(res),
    ...(openAIServiceTier(res.usage) ? { service_tier: openAIServiceTier(res.usage) } : {}),
  };
}

/** Canonical response -> OpenAI Responses API JSON body. */
export function encodeOpenAIResponsesResponse(res: ChatResponse, o: { model?: string } = {}): JsonRecord {
  const output: JsonRecord[] = [];
  if (res.text.length > 0 || res.toolCalls.length === 0) output.push(messageItem(`msg_${res.id}`, res.text, 'completed'));
  for (const c of res.toolCalls) output.push(functionCallItem(c, 'completed'));
  return responseObject(res, o.model ?? res.model, output);
}

export interface OpenAIResponsesStreamEncoder {
  push(event: StreamEvent): string;
  /** Closes open items and writes `response.completed` (or `.incomplete` / `.failed`). */
  end(): string;
}

/**
 * Encodes canonical events as OpenAI Responses API SSE: `response.created`, `response.in_progress`,
 * `response.output_item.added`, `response.content_part.added`, `response.output_text.delta`,
 * `response.output_text.done`, `response.function_call_arguments.delta|done`,
 * `response.output_item.done`, then `response.completed`.
 */
export function createOpenAIResponsesStreamEncoder(o: { model?: string; id?: string; created?: number } = {}): OpenAIResponsesStreamEncoder {
  let seq = 0;
  let id = o.id ?? '';
  let model = o.model ?? '';
  let created = o.created ?? 0;
  let started = false;
  const output: JsonRecord[] = [];
  let openText: { itemId: string; outputIndex: number; pieces: string[] } | undefined;
  const tools = new Map<
    number,
    { itemId: string; outputIndex: number; callId: string; name: string; pieces: string[]; done: boolean; custom?: true; item?: LocalToolItem; announced?: true }
  >();
  let finishReason: ChatResponse['finishReason'] = 'stop';
  let usage: ChatResponse['usage'];
  let failed = false;
  let ended = false;

  const emit = (type: string, payload: JsonRecord): string =>
    formatSse(JSON.stringify({ type, sequence_number: seq++, ...payload }), type);
  const snapshot = (status: string): JsonRecord => ({
    ...responseObject({ id, model, created, text: '', toolCalls: [], finishReason, ...(usage ? { usage } : {}) }, model, output),
    status,
  });
  const start = (): string => {
    if (started) return '';
    started = true;
    return emit('response.created', { response: snapshot('in_progress') }) + emit('response.in_progress', { response: snapshot('in_progress') });
  };
  const closeText = (): string => {
    if (!openText) return '';
    const t = openText;
    openText = undefined;
    const text = t.pieces.join('');
    const part = { type: 'output_text', text, annotations: [] };
    const item = messageItem(t.itemId, text, 'completed');
    output[t.outputIndex] = item;
    return (
      emit('response.output_text.done', { item_id: t.itemId, output_index: t.outputIndex, content_index: 0, text, logprobs: [] }) +
      emit('response.content_part.done', { item_id: t.itemId, output_index: t.outputIndex, content_index: 0, part }) +
      emit('response.output_item.done', { output_index: t.outputIndex, item })
    );
  };
  const closeTools = (): string => {
    let out = '';
    for (const t of tools.values()) {
      if (t.done) continue;
      t.done = true;
      const args = t.pieces.join('');
      const item = functionCallItem({ id: t.callId, name: t.name, arguments: args, custom: t.custom, item: t.item }, 'completed');
      output[t.outputIndex] = item;
      if (t.item) {
        // A local tool's call: announced with its members, which came whole; no deltas.
        if (!t.announced) out += emit('response.output_item.added', { output_index: t.outputIndex, item: { ...item, status: 'in_progress' } });
        out += emit('response.output_item.done', { output_index: t.outputIndex, item });
        continue;
      }
      out +=
        (t.custom
          ? emit('response.custom_tool_call_input.done', { item_id: t.itemId, output_index: t.outputIndex, input: args })
          : emit('response.function_call_arguments.done', { item_id: t.itemId, output_index: t.outputIndex, arguments: args })) +
        emit('response.output_item.done', { output_index: t.outputIndex, item });
    }
    return out;
  };

  return {
    push(e) {
      if (failed || ended) return '';
      switch (e.type) {
        case 'message_start':
          id = o.id ?? e.id;
          model = o.model ?? e.model;
          created = o.created ?? e.created;
          return start();
        case 'text_delta': {
          if (e.text.length === 0) return '';
          let out = start();
          if (!openText) {
            out += closeTools();
            const itemId = `msg_${id}${output.length > 0 ? `_${output.length}` : ''}`;
            openText = { itemId, outputIndex: output.length, pieces: [] };
            output.push(messageItem(itemId, '', 'in_progress'));
            out +=
              emit('response.output_item.added', { output_index: openText.outputIndex, item: { type: 'message', id: itemId, status: 'in_progress', role: 'assistant', content: [] } }) +
              emit('response.content_part.added', { item_id: itemId, output_index: openText.outputIndex, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
          }
          openText.pieces.push(e.text);
          return out + emit('response.output_text.delta', { item_id: openText.itemId, output_index: openText.outputIndex, content_index: 0, delta: e.text, logprobs: [] });
        }
        case 'tool_call_start': {
          let out = start() + closeText();
          const t = {
            itemId: `${e.item ? LOCAL_ITEM_PREFIX[e.item] : e.custom ? 'ctc' : 'fc'}_${e.id}`,
            outputIndex: output.length,
            callId: e.id,
            name: e.name,
            pieces: [] as string[],
            done: false,
            ...(e.custom ? { custom: true as const } : {}),
            ...(e.item ? { item: e.item } : {}),
          };
          tools.set(e.index, t);
          const item = functionCallItem({ id: e.id, name: e.name, arguments: '', custom: e.custom, item: e.item }, 'in_progress');
          output.push(item);
          // A local tool's call is announced once its members are in (its one delta).
          if (!e.item) out += emit('response.output_item.added', { output_index: t.outputIndex, item });
          return out;
        }
        case 'tool_call_delta': {
          const t = tools.get(e.index);
          if (!t || e.argumentsDelta.length === 0) return '';
          t.pieces.push(e.argumentsDelta);
          if (t.item) {
            if (t.announced) return '';
            t.announced = true;
            const item = functionCallItem({ id: t.callId, name: t.name, arguments: t.pieces.join(''), item: t.item }, 'in_progress');
            output[t.outputIndex] = item;
            return emit('response.output_item.added', { output_index: t.outputIndex, item });
          }
          return emit(t.custom ? 'response.custom_tool_call_input.delta' : 'response.function_call_arguments.delta', { item_id: t.itemId, output_index: t.outputIndex, delta: e.argumentsDelta });
        }
        case 'usage':
          usage = mergeUsage(usage, e.usage);
          return '';
        case 'finish':
          finishReason = e.finishReason;
          return '';
        case 'reasoning_delta':
          return '';
        case 'error':
          failed = true;
          finishReason = 'error';
          return start() + emit('error', { code: e.code, message: e.message, param: null });
      }
    },
    end() {
      if (ended) return '';
      ended = true;
      let out = start();
      if (failed) return out + emit('response.failed', { response: snapshot('failed') });
      out += closeText() + closeTools();
      const status = statusOf({ finishReason }).status;
      const type = status === 'completed' ? 'response.completed' : status === 'incomplete' ? 'response.incomplete' : 'response.failed';
      return out + emit(type, { response: snapshot(status) });
    },
  };
}
