import type { ZodError } from 'zod';
import type {
  AssistantMessage,
  ChatRequest,
  ChatResponse,
  FinishReason,
  ImagePart,
  Message,
  ReasoningEffort,
  ReasoningPart,
  ResponseFormat,
  TextPart,
  ToolCall,
  ToolMessage,
  Usage,
  UserContentPart,
} from '../canonical/chat.js';
import { portableDocument } from '../canonical/documents.js';
import { opaqueRefusal, unreadMembers, unreadNestedTexts, withUnreadMembers } from '../canonical/extra.js';
import { unsupportedContent } from '../inbound/unsupported-content.js';
import { jsonModeInstruction, meetsOpenAIStrictRules, offeredTools, splitSystem } from '../canonical/helpers.js';
import { effortFromBudget } from '../openai/openai-chat.codec.js';
import { NO_CLAUDE_TRAITS, type ClaudeTraits } from './claude-models.js';
import { mergeUsage, type StreamEvent, type UsageUpdate } from '../canonical/stream-event.js';
import type { PassthroughMessage, StreamCutter } from '../adapters/adapter.js';
import { InboundRequestError, type ProviderErrorCode } from '../errors.js';
import { invalidResponse } from '../wire/error-mapping.js';
import { arr, formatIssues, num, parseArguments, rec, str, type JsonRecord } from '../wire/json.js';
import { formatSse } from '../wire/sse.js';
import { claudeStructuredOutputFor } from './structured-outputs.js';
import {
  AnthropicCountTokensWire,
  AnthropicRequestWire,
  type AnthropicBlockWire,
  type AnthropicCountTokensWire as CountTokensWire,
} from './anthropic.wire.js';

/** `max_tokens` is mandatory on Anthropic; used when the inbound request (OpenAI) has none. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;
/**
 * Thinking budgets for OpenAI-style effort levels (Anthropic's minimum budget is 1024); `none`
 * turns thinking off. `max` stays within the 64,000 output tokens of Claude 4.5 with the default
 * `max_tokens` added (the encoder raises `max_tokens` above the budget).
 */
export const ANTHROPIC_EFFORT_BUDGETS: Readonly<Record<Exclude<ReasoningEffort, 'none'>, number>> = { minimal: 1024, low: 2048, medium: 8192, high: 24576, xhigh: 32768, max: 49152 };

// ---------------------------------------------------------------------------------------------
// Inbound: Anthropic request -> canonical

type ContentBlock = Extract<AnthropicBlockWire, { type: 'text' | 'image' | 'document' }>;

function decodeContentBlock(b: ContentBlock): UserContentPart {
  if (b.type === 'document') return { type: 'opaque', api: 'anthropic-messages', kind: 'document', value: { ...b } };
  if (b.type === 'text') return b.cache_control ? { type: 'text', text: b.text, cacheControl: b.cache_control } : { type: 'text', text: b.text };
  const source =
    b.source.type === 'base64'
      ? { type: 'base64' as const, mediaType: b.source.media_type, data: b.source.data }
      : { type: 'url' as const, url: b.source.url };
  const part: ImagePart = { type: 'image', source };
  if (b.cache_control) part.cacheControl = b.cache_control;
  return part;
}

function decodeMessages(wire: CountTokensWire): Message[] {
  const messages: Message[] = [];
  if (wire.system !== undefined) {
    const content: TextPart[] =
      typeof wire.system === 'string'
        ? [{ type: 'text', text: wire.system }]
        : wire.system.map((b) => (b.cache_control ? { type: 'text', text: b.text, cacheControl: b.cache_control } : { type: 'text', text: b.text }));
    messages.push({ role: 'system', content });
  }
  const toolNames = new Map<string, string>();
  wire.messages.forEach((m, mi) => {
    if (typeof m.content === 'string') {
      messages.push(m.role === 'user' ? { role: 'user', content: [{ type: 'text', text: m.content }] } : { role: 'assistant', content: [{ type: 'text', text: m.content }] });
      return;
    }
    if (m.role === 'assistant') {
      const msg: AssistantMessage = { role: 'assistant', content: [] };
      const calls: ToolCall[] = [];
      for (const b of m.content) {
        if (b.type === 'text') msg.content.push(b.cache_control ? { type: 'text', text: b.text, cacheControl: b.cache_control } : { type: 'text', text: b.text });
        else if (b.type === 'thinking') msg.content.push({ type: 'reasoning', text: b.thinking, ...(b.signature !== undefined ? { signature: b.signature } : {}) });
        else if (b.type === 'redacted_thinking') msg.content.push({ type: 'reasoning', text: '', redactedData: b.data });
        else if (b.type === 'tool_use') {
          toolNames.set(b.id, b.name);
          const call: ToolCall = { id: b.id, name: b.name, arguments: JSON.stringify(b.input ?? {}) };
          if (b.cache_control) call.cacheControl = b.cache_control;
          calls.push(call);
        } else throw new InboundRequestError(`assistant messages cannot contain ${b.type} blocks`, `messages.${mi}.content`);
      }
      if (calls.length > 0) msg.toolCalls = calls;
      messages.push(msg);
      return;
    }
    // A user turn: tool results first (Anthropic requires them first), then the rest.
    const rest: UserContentPart[] = [];
    for (const b of m.content) {
      if (b.type === 'tool_result') {
        const content: UserContentPart[] =
          b.content === undefined ? [] : typeof b.content === 'string' ? [{ type: 'text', text: b.content }] : b.content.map(decodeContentBlock);
        const tool: ToolMessage = { role: 'tool', toolCallId: b.tool_use_id, content };
        const name = toolNames.get(b.tool_use_id);
        if (name) tool.name = name;
        if (b.is_error) tool.isError = true;
        if (b.cache_control) tool.cacheControl = b.cache_control;
        messages.push(tool);
      } else if (b.type === 'text' || b.type === 'image' || b.type === 'document') rest.push(decodeContentBlock(b));
      else throw new InboundRequestError(`user messages cannot contain ${b.type} blocks`, `messages.${mi}.content`);
    }
    if (rest.length > 0) messages.push({ role: 'user', content: rest });
  });
  return messages;
}

function decodeTooling(wire: CountTokensWire, req: ChatRequest): void {
  const custom: Extract<NonNullable<CountTokensWire['tools']>[number], { input_schema: unknown }>[] = [];
  const client: string[] = [];
  for (const t of wire.tools ?? []) {
    if ('input_schema' in t) custom.push(t);
    else client.push(t.type);
  }
  // Anthropic's client tools go in the client's own body only, to Claude (ADR 0040).
  if (client.length > 0) req.localTools = [...new Set(client)];
  if (custom.length > 0) {
    req.tools = custom.map((t) => ({
      type: 'function',
      name: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      parameters: t.input_schema,
      // Strict tool use is constrained decoding, like OpenAI's strict functions: kept where the
      // schema meets OpenAI's stricter rules too (else OpenAI would refuse it as strict).
      ...(t.strict === true && meetsOpenAIStrictRules(t.input_schema) ? { strict: true } : {}),
      ...(t.cache_control ? { cacheControl: t.cache_control } : {}),
    }));
  }
  const tc = wire.tool_choice;
  if (tc) {
    if (tc.type === 'tool') {
      if (!tc.name) throw new InboundRequestError('tool_choice.name is required when type is "tool"', 'tool_choice.name');
      req.toolChoice = { type: 'tool', name: tc.name };
    } else req.toolChoice = { type: tc.type === 'any' ? 'required' : tc.type };
    if (tc.disable_parallel_tool_use !== undefined) req.parallelToolCalls = !tc.disable_parallel_tool_use;
  }
  const thinking = wire.thinking;
  if (thinking?.type === 'enabled') req.reasoning = { budgetTokens: thinking.budget_tokens };
  else if (thinking?.type === 'adaptive' || thinking?.type === 'between_tools') req.reasoning = { adaptive: true };
}

function invalid(error: ZodError, body: unknown): InboundRequestError {
  const notCarried = unsupportedContent(body, 'anthropic-messages');
  if (notCarried) return notCarried;
  const { message, param, issues } = formatIssues(error);
  return new InboundRequestError(message, param, issues, { cause: error });
}

/** Parses an Anthropic `/v1/messages` body into the canonical request. Throws {@link InboundRequestError}. */
export function decodeAnthropicRequest(body: unknown): ChatRequest {
  const parsed = AnthropicRequestWire.safeParse(body);
  if (!parsed.success) throw invalid(parsed.error, body);
  const w = parsed.data;
  const req: ChatRequest = { model: w.model, messages: decodeMessages(w), stream: w.stream === true, maxTokens: w.max_tokens };
  decodeTooling(w, req);
  if (w.temperature !== undefined) req.temperature = w.temperature;
  if (w.top_p !== undefined) req.topP = w.top_p;
  if (w.top_k !== undefined) req.topK = w.top_k;
  if (w.stop_sequences && w.stop_sequences.length > 0) req.stop = w.stop_sequences;
  if (w.metadata?.user_id) req.user = w.metadata.user_id;
  const extra = unreadMembers(body, MESSAGES_MEMBERS, 'anthropic-messages');
  if (extra) {
    const output = readOutputConfig(extra.members['output_config']);
    if (output) {
      if (output.format) req.responseFormat = output.format;
      extra.translated = ['output_config'];
    }
    req.extra = extra;
  }
  const unreadTexts = unreadNestedTexts(body, w);
  if (unreadTexts) req.unreadTexts = unreadTexts;
  return req;
}

/**
 * Anthropic's structured outputs (`output_config: { format: { type: 'json_schema', schema } }`)
 * as the canonical response format, when that is all `output_config` asks for (ADR 0033). The
 * schema is Claude's: constrained decoding, so `strict` wherever OpenAI's stricter rules hold too.
 * An `output_config` whose members are all `null` asks for nothing (no format). Anything else in
 * it (`effort`, a format of another type) leaves it unread: undefined.
 */
function readOutputConfig(config: unknown): { format?: ResponseFormat } | undefined {
  const c = rec(config);
  if (!c) return undefined;
  if (Object.values(c).every((v) => v === null)) return {};
  if (Object.keys(c).some((k) => k !== 'format')) return undefined;
  const f = rec(c['format']);
  const schema = rec(f?.['schema']);
  if (!f || f['type'] !== 'json_schema' || !schema || Object.keys(f).some((k) => k !== 'type' && k !== 'schema')) return undefined;
  return { format: { type: 'json_schema', name: 'response', schema, ...(meetsOpenAIStrictRules(schema) ? { strict: true } : {}) } };
}

/**
 * A client's Messages body with a lower output limit (`max_tokens`), for a pass-through that takes
 * one (ADR 0040): a thinking budget at or above the limit is lowered below it, or left out where
 * the limit leaves no room for Claude's least budget (1,024 tokens).
 */
export function limitMessagesBody(parsed: Record<string, unknown>, limit: number): Record<string, unknown> {
  const body: Record<string, unknown> = { ...parsed, max_tokens: limit };
  const thinking = rec(parsed['thinking']);
  const budget = thinking?.['type'] === 'enabled' && typeof thinking['budget_tokens'] === 'number' ? thinking['budget_tokens'] : undefined;
  if (budget !== undefined && budget >= limit) {
    if (limit > 1024) body['thinking'] = { ...thinking, budget_tokens: limit - 1 };
    else delete body['thinking'];
  }
  return body;
}

/** The request members the decoder reads; the others travel as `ChatRequest.extra`. */
export const MESSAGES_MEMBERS: ReadonlySet<string> = new Set(Object.keys(AnthropicRequestWire.shape));

/** Parses an Anthropic `/v1/messages/count_tokens` body (prompt only; `stream` false, no `maxTokens`). */
export function decodeAnthropicCountTokensRequest(body: unknown): ChatRequest {
  const parsed = AnthropicCountTokensWire.safeParse(body);
  if (!parsed.success) throw invalid(parsed.error, body);
  const req: ChatRequest = { model: parsed.data.model, messages: decodeMessages(parsed.data), stream: false };
  decodeTooling(parsed.data, req);
  return req;
}

/** The `/v1/messages/count_tokens` response body. */
export function encodeAnthropicCountTokensResponse(inputTokens: number): JsonRecord {
  return { input_tokens: inputTokens };
}

/** One model in the Models API's format (`/v1/models/{model_id}`, and each entry of the list). */
export function encodeAnthropicModel(m: { id: string; created?: number }): JsonRecord {
  return { type: 'model', id: m.id, display_name: m.id, created_at: new Date((m.created ?? 0) * 1000).toISOString().replace('.000Z', 'Z') };
}

/** Where a page of the Models API list starts and how long it is (its query parameters). */
export interface AnthropicModelPageQuery {
  /** 1 to 1000 (the API's default is 20). */
  limit: number;
  /** The page holds the models after this id... */
  afterId?: string;
  /** ...or the models before this one. */
  beforeId?: string;
}

/**
 * A page of the Models API list (`GET /v1/models` with `anthropic-version`) over `models` in their
 * order: `data`, `has_more` (more in the direction of paging), `first_id` and `last_id`. A cursor
 * that is no longer in the list pages from where it would sort.
 */
export function encodeAnthropicModelPage(models: readonly { id: string; created?: number }[], q: AnthropicModelPageQuery): JsonRecord {
  let page: (typeof models)[number][];
  let hasMore: boolean;
  if (q.beforeId !== undefined) {
    const before = q.beforeId;
    const end = models.findIndex((m) => m.id >= before);
    const upTo = end === -1 ? models.length : end;
    page = models.slice(Math.max(0, upTo - q.limit), upTo);
    hasMore = upTo > q.limit;
  } else {
    const after = q.afterId;
    const start = after === undefined ? 0 : models.findIndex((m) => m.id > after);
    const from = start === -1 ? models.length : start;
    page = models.slice(from, from + q.limit);
    hasMore = from + q.limit < models.length;
  }
  return { data: page.map(encodeAnthropicModel), has_more: hasMore, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null };
}

// ---------------------------------------------------------------------------------------------
// Outbound: canonical -> Anthropic request

function encodeTextPart(p: TextPart): JsonRecord {
  return p.cacheControl ? { type: 'text', text: p.text, cache_control: p.cacheControl } : { type: 'text', text: p.text };
}

function encodeUserPart(p: UserContentPart): JsonRecord | undefined {
  if (p.type === 'text') return p.text.length > 0 ? encodeTextPart(p) : undefined;
  if (p.type === 'opaque') {
    if (p.api === 'anthropic-messages') return { ...p.value };
    const doc = portableDocument(p);
    if (!doc) throw opaqueRefusal('anthropic', p);
    const block: JsonRecord = { type: 'document', source: { type: 'base64', media_type: doc.mediaType, data: doc.data } };
    if (doc.name) block['title'] = doc.name;
    if (doc.cacheControl) block['cache_control'] = doc.cacheControl;
    return block;
  }
  const source =
    p.source.type === 'base64'
      ? { type: 'base64', media_type: p.source.mediaType, data: p.source.data }
      : { type: 'url', url: p.source.url };
  return p.cacheControl ? { type: 'image', source, cache_control: p.cacheControl } : { type: 'image', source };
}

function encodeReasoning(p: ReasoningPart): JsonRecord | undefined {
  if (p.redactedData !== undefined) return { type: 'redacted_thinking', data: p.redactedData };
  // Anthropic rejects thinking blocks without its signature (e.g. reasoning text from another provider).
  return p.signature !== undefined ? { type: 'thinking', thinking: p.text, signature: p.signature } : undefined;
}

/** Anthropic-compatible thinking budget for the canonical reasoning config, if any. */
export function thinkingBudget(req: ChatRequest): number | undefined {
  if (!req.reasoning) return undefined;
  if (req.reasoning.budgetTokens !== undefined) return Math.max(1024, req.reasoning.budgetTokens);
  const effort = req.reasoning.effort;
  return effort && effort !== 'none' ? ANTHROPIC_EFFORT_BUDGETS[effort] : undefined;
}

/** Claude's effort levels (`output_config.effort`). */
export type ClaudeEffort = 'low' | 'medium' | 'high' | 'xhigh' | 'max';

/** How a canonical request's reasoning, output limit and sampling are written for a Claude model. */
export interface ClaudeSampling {
  thinking?: { type: 'enabled'; budget_tokens: number } | { type: 'adaptive' };
  effort?: ClaudeEffort;
  /** `max_tokens`: the client's, or the default, raised above the thinking budget. */
  maxTokens: number;
  temperature?: number;
  topP?: number;
  topK?: number;
}

/**
 * A canonical request's reasoning and sampling as the Claude model takes them (ADR 0037). Before
 * 4.6, reasoning is a thinking budget; from 4.6, adaptive thinking at the effort level nearest the
 * one asked for (a budget is read as OpenAI's level for it; `xhigh` is `high` before 4.7). With
 * thinking, `temperature` and `top_k` are not sent (Claude thinks with its own), nor a `top_p`
 * below 0.95, the least it takes then; from 4.5, `temperature` or `top_p`, not both (the
 * temperature wins); from 4.7, none of the three: the model refuses them, and sets its own. The
 * output limit keeps room for thinking either way: a `max_tokens` at or below the thinking budget
 * of the level is raised by that budget.
 */
export function claudeSampling(req: ChatRequest, traits: ClaudeTraits): ClaudeSampling {
  const budget = thinkingBudget(req);
  let maxTokens = req.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS;
  if (budget !== undefined && budget >= maxTokens) maxTokens += budget;
  const out: ClaudeSampling = { maxTokens };
  const reasoning = req.reasoning;
  if (reasoning && reasoning.effort !== 'none') {
    if (traits.adaptiveThinking) {
      out.thinking = { type: 'adaptive' };
      const level = reasoning.effort ?? (reasoning.budgetTokens !== undefined ? effortFromBudget(reasoning.budgetTokens) : undefined);
      if (level) out.effort = level === 'minimal' ? 'low' : level === 'xhigh' && !traits.xhighEffort ? 'high' : level;
    } else if (budget !== undefined) out.thinking = { type: 'enabled', budget_tokens: budget };
    else if (reasoning.adaptive) out.thinking = { type: 'adaptive' };
  }
  if (traits.noSampling) return out;
  // Anthropic's temperature range is 0..1 (OpenAI's is 0..2).
  if (req.temperature !== undefined && !out.thinking) out.temperature = Math.min(1, req.temperature);
  if (req.topK !== undefined && !out.thinking) out.topK = req.topK;
  // With thinking, Claude takes a top_p of 0.95 to 1 only.
  const topP = req.topP !== undefined && !(out.thinking && req.topP < 0.95) ? req.topP : undefined;
  if (topP !== undefined && !(traits.oneSampler && out.temperature !== undefined)) out.topP = topP;
  return out;
}

/** Canonical request -> Anthropic Messages request body. */
export function encodeAnthropicRequest(
  request: ChatRequest,
  o: {
    model: string;
    stream?: boolean;
    /** Members of the client's Anthropic body the decoder did not read, sent as they came (ADR 0025). */
    unread?: Readonly<Record<string, unknown>>;
    /**
     * The request rules of the model (`claudeTraits`, ADR 0037): with structured outputs a strict
     * JSON schema goes as `output_config` (ADR 0035); reasoning and sampling are written as the
     * model's version takes them (`claudeSampling`).
     */
    claude?: ClaudeTraits;
  },
): JsonRecord {
  const req = offeredTools(request);
  const { system, conversation } = splitSystem(req.messages);
  const systemBlocks = system.filter((p) => p.text.length > 0).map(encodeTextPart);
  // The client's own `output_config` (ADR 0033) goes as it came: Claude constrains its output,
  // no instruction is needed. Another API's strict schema goes as one where the model and the
  // schema allow it (ADR 0035); anything else is asked for with an instruction.
  const clientConfig = o.unread?.['output_config'] !== undefined;
  const traits = o.claude ?? NO_CLAUDE_TRAITS;
  const outputSchema = !clientConfig && traits.structuredOutputs ? claudeStructuredOutputFor(req) : undefined;
  const jsonHint = clientConfig || outputSchema ? undefined : jsonModeInstruction(req.responseFormat);
  if (jsonHint) systemBlocks.push({ type: 'text', text: jsonHint });

  const turns: { role: 'user' | 'assistant'; content: JsonRecord[] }[] = [];
  const turn = (role: 'user' | 'assistant'): JsonRecord[] => {
    const last = turns[turns.length - 1];
    if (last && last.role === role) return last.content;
    const created = { role, content: [] as JsonRecord[] };
    turns.push(created);
    return created.content;
  };
  for (const m of conversation) {
    if (m.role === 'user') {
      const content = turn('user');
      for (const p of m.content) {
        const block = encodeUserPart(p);
        if (block) content.push(block);
      }
    } else if (m.role === 'tool') {
      const blocks: JsonRecord[] = [];
      for (const p of m.content) {
        const block = encodeUserPart(p);
        if (block) blocks.push(block);
      }
      const only = blocks.length === 1 ? blocks[0] : undefined;
      const content = only && only['type'] === 'text' && only['cache_control'] === undefined ? only['text'] : blocks;
      const result: JsonRecord = { type: 'tool_result', tool_use_id: m.toolCallId, content };
      if (m.isError) result['is_error'] = true;
      if (m.cacheControl) result['cache_control'] = m.cacheControl;
      turn('user').push(result);
    } else if (m.role === 'assistant') {
      const content = turn('assistant');
      for (const p of m.content) {
        const block = p.type === 'reasoning' ? encodeReasoning(p) : p.text.length > 0 ? encodeTextPart(p) : undefined;
        if (block) content.push(block);
      }
      for (const c of m.toolCalls ?? []) {
        const block: JsonRecord = { type: 'tool_use', id: c.id, name: c.name, input: parseArguments(c.arguments) };
        if (c.cacheControl) block['cache_control'] = c.cacheControl;
        content.push(block);
      }
    }
  }
  const messages = turns.filter((t) => t.content.length > 0);

  const sampling = claudeSampling(req, traits);
  const body: JsonRecord = { model: o.model, max_tokens: sampling.maxTokens, messages };
  if (systemBlocks.length > 0) {
    const only = systemBlocks.length === 1 ? systemBlocks[0] : undefined;
    body['system'] = only && only['cache_control'] === undefined ? only['text'] : systemBlocks;
  }
  if (req.tools && req.tools.length > 0) {
    body['tools'] = req.tools.map((t) => {
      const tool: JsonRecord = { name: t.name };
      if (t.description !== undefined) tool['description'] = t.description;
      tool['input_schema'] = t.parameters;
      if (t.cacheControl) tool['cache_control'] = t.cacheControl;
      return tool;
    });
    const choice: JsonRecord =
      req.toolChoice === undefined || req.toolChoice.type === 'auto'
        ? { type: 'auto' }
        : req.toolChoice.type === 'required'
          ? { type: 'any' }
          : req.toolChoice.type === 'tool'
            ? { type: 'tool', name: req.toolChoice.name }
            : { type: 'none' };
    if (req.parallelToolCalls === false && choice['type'] !== 'none') choice['disable_parallel_tool_use'] = true;
    if (req.toolChoice !== undefined || req.parallelToolCalls === false) body['tool_choice'] = choice;
  }
  if (sampling.thinking) body['thinking'] = sampling.thinking;
  if (sampling.temperature !== undefined) body['temperature'] = sampling.temperature;
  if (sampling.topK !== undefined) body['top_k'] = sampling.topK;
  if (sampling.topP !== undefined) body['top_p'] = sampling.topP;
  if (req.stop && req.stop.length > 0) body['stop_sequences'] = req.stop;
  if (req.user !== undefined) body['metadata'] = { user_id: req.user };
  if (outputSchema || sampling.effort) {
    body['output_config'] = { ...(outputSchema ? { format: { type: 'json_schema', schema: outputSchema } } : {}), ...(sampling.effort ? { effort: sampling.effort } : {}) };
  }
  if (o.stream ?? req.stream) body['stream'] = true;
  return withUnreadMembers(body, o.unread);
}

// ---------------------------------------------------------------------------------------------
// Responses

export function finishFromAnthropic(reason: string | undefined): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

export function finishToAnthropic(reason: FinishReason, stopSequence: string | undefined): string {
  switch (reason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return stopSequence !== undefined ? 'stop_sequence' : 'end_turn';
  }
}

/**
 * Anthropic usage -> canonical. Anthropic's `input_tokens` excludes cache reads and writes;
 * canonical `inputTokens` includes them.
 */
export function usageFromAnthropic(value: unknown): UsageUpdate | undefined {
  const u = rec(value);
  if (!u) return undefined;
  const update: UsageUpdate = {};
  const input = num(u['input_tokens']);
  const read = num(u['cache_read_input_tokens']);
  const write = num(u['cache_creation_input_tokens']);
  if (input !== undefined) update.inputTokens = input + (read ?? 0) + (write ?? 0);
  if (read !== undefined) update.cachedInputTokens = read;
  if (write !== undefined) update.cacheWriteInputTokens = write;
  // The writes by lifetime (`cache_creation`): one-hour writes cost more than five-minute ones.
  const hour = num(rec(u['cache_creation'])?.['ephemeral_1h_input_tokens']);
  if (hour !== undefined) update.cacheWrite1hInputTokens = hour;
  const output = num(u['output_tokens']);
  if (output !== undefined) update.outputTokens = output;
  const tier = str(u['service_tier']);
  if (tier) update.serviceTier = tier;
  return update;
}

/** Canonical usage -> Anthropic `usage` (uncached input only in `input_tokens`). */
export function usageToAnthropic(u: Usage): JsonRecord {
  const read = u.cachedInputTokens ?? 0;
  const write = u.cacheWriteInputTokens ?? 0;
  const hour = u.cacheWrite1hInputTokens;
  return {
    input_tokens: Math.max(0, u.inputTokens - read - write),
    cache_creation_input_tokens: write,
    cache_read_input_tokens: read,
    ...(hour !== undefined ? { cache_creation: { ephemeral_5m_input_tokens: Math.max(0, write - hour), ephemeral_1h_input_tokens: hour } } : {}),
    output_tokens: u.outputTokens,
  };
}

/** Anthropic Messages response JSON -> canonical response. */
export function decodeAnthropicResponse(json: unknown, provider = 'anthropic', status = 200): ChatResponse {
  const root = rec(json);
  const content = arr(root?.['content']);
  if (!root || !content) throw invalidResponse(provider, status, 'no content[]');
  let text = '';
  const toolCalls: ToolCall[] = [];
  const reasoning: ReasoningPart[] = [];
  for (const raw of content) {
    const b = rec(raw);
    switch (str(b?.['type'])) {
      case 'text':
        text += str(b?.['text']) ?? '';
        break;
      case 'tool_use':
        toolCalls.push(toolUseCall(b ?? {}));
        break;
      case 'thinking': {
        const part: ReasoningPart = { type: 'reasoning', text: str(b?.['thinking']) ?? '' };
        const sig = str(b?.['signature']);
        if (sig !== undefined) part.signature = sig;
        reasoning.push(part);
        break;
      }
      case 'redacted_thinking':
        reasoning.push({ type: 'reasoning', text: '', redactedData: str(b?.['data']) ?? '' });
        break;
      default:
        break;
    }
  }
  const stopReason = str(root['stop_reason']);
  const response: ChatResponse = {
    id: str(root['id']) ?? '',
    model: str(root['model']) ?? '',
    created: 0,
    text,
    toolCalls,
    finishReason: finishFromAnthropic(stopReason),
  };
  if (stopReason !== undefined) response.providerFinishReason = stopReason;
  const stopSequence = str(root['stop_sequence']);
  if (stopSequence !== undefined) response.stopSequence = stopSequence;
  if (reasoning.length > 0) response.reasoning = reasoning;
  const usage = usageFromAnthropic(root['usage']);
  if (usage) response.usage = mergeUsage(undefined, usage);
  return response;
}

/** The members of a `tool_use` block that the canonical call reads. */
const TOOL_USE_READ = new Set(['type', 'id', 'name', 'input', 'cache_control']);

/** An answer's `tool_use` block -> canonical call, its other members (`caller`, `toolset_name`) kept. */
function toolUseCall(b: JsonRecord): ToolCall {
  const call: ToolCall = { id: str(b['id']) ?? '', name: str(b['name']) ?? '', arguments: JSON.stringify(b['input'] ?? {}) };
  const members = Object.entries(b).filter(([k]) => !TOOL_USE_READ.has(k));
  if (members.length > 0) call.members = Object.fromEntries(members);
  return call;
}

/**
 * A `tool_use` block of an answer to an Anthropic client: the members Anthropic wrote, kept; a call
 * of another provider is a direct call (`caller`, which Anthropic's answers always name).
 */
function toolUseBlock(c: Pick<ToolCall, 'id' | 'name' | 'members'>, input: unknown): JsonRecord {
  return { type: 'tool_use', id: c.id, name: c.name, input, caller: { type: 'direct' }, ...c.members };
}

/** Canonical response -> Anthropic Messages JSON body. */
export function encodeAnthropicResponse(res: ChatResponse, o: { model?: string } = {}): JsonRecord {
  const content: JsonRecord[] = [];
  for (const r of res.reasoning ?? []) {
    if (r.redactedData !== undefined) content.push({ type: 'redacted_thinking', data: r.redactedData });
    else content.push({ type: 'thinking', thinking: r.text, signature: r.signature ?? '' });
  }
  if (res.text.length > 0 || (res.toolCalls.length === 0 && content.length === 0)) content.push({ type: 'text', text: res.text });
  for (const c of res.toolCalls) content.push(toolUseBlock(c, parseArguments(c.arguments)));
  return {
    id: res.id,
    type: 'message',
    role: 'assistant',
    model: o.model ?? res.model,
    content,
    stop_reason: finishToAnthropic(res.finishReason, res.stopSequence),
    stop_sequence: res.stopSequence ?? null,
    usage: usageToAnthropic(res.usage ?? { inputTokens: 0, outputTokens: 0, totalTokens: 0 }),
  };
}

// ---------------------------------------------------------------------------------------------
// Streams: Anthropic SSE events -> canonical

/** Anthropic error `type` -> canonical code. */
export function codeFromAnthropicErrorType(type: string | undefined): ProviderErrorCode | undefined {
  switch (type) {
    case 'rate_limit_error':
      return 'TOTRA_PROVIDER_RATE_LIMITED';
    case 'overloaded_error':
    case 'api_error':
      return 'TOTRA_PROVIDER_UNAVAILABLE';
    case 'authentication_error':
    case 'permission_error':
      return 'TOTRA_PROVIDER_AUTH';
    case 'not_found_error':
      return 'TOTRA_PROVIDER_NOT_FOUND';
    case 'billing_error':
      return 'TOTRA_PROVIDER_QUOTA_EXCEEDED';
    case 'timeout_error':
      return 'TOTRA_PROVIDER_TIMEOUT';
    case 'invalid_request_error':
    case 'request_too_large':
      return 'TOTRA_PROVIDER_BAD_REQUEST';
    default:
      return undefined;
  }
}

/** Stateful decoder of parsed Anthropic stream events into canonical events. */
export class AnthropicEventDecoder {
  /** content block index -> canonical tool index */
  private readonly blockTool = new Map<number, number>();

  decode(value: unknown, out: StreamEvent[]): void {
    const e = rec(value);
    if (!e) return;
    switch (str(e['type'])) {
      case 'message_start': {
        const m = rec(e['message']);
        out.push({ type: 'message_start', id: str(m?.['id']) ?? '', model: str(m?.['model']) ?? '', created: 0 });
        const usage = usageFromAnthropic(m?.['usage']);
        if (usage) out.push({ type: 'usage', usage });
        return;
      }
      case 'content_block_start': {
        const block = rec(e['content_block']);
        const index = num(e['index']) ?? 0;
        const kind = str(block?.['type']);
        if (kind === 'tool_use' || kind === 'server_tool_use') {
          const toolIndex = this.blockTool.size;
          this.blockTool.set(index, toolIndex);
          const start: StreamEvent = { type: 'tool_call_start', index: toolIndex, id: str(block?.['id']) ?? '', name: str(block?.['name']) ?? '' };
          const members = kind === 'tool_use' ? toolUseCall(block ?? {}).members : undefined;
          if (members) start.members = members;
          out.push(start);
        } else if (kind === 'text') {
          const text = str(block?.['text']);
          if (text) out.push({ type: 'text_delta', text });
        }
        return;
      }
      case 'content_block_delta': {
        const d = rec(e['delta']);
        switch (str(d?.['type'])) {
          case 'text_delta': {
            const text = str(d?.['text']);
            if (text) out.push({ type: 'text_delta', text });
            return;
          }
          case 'input_json_delta': {
            const partial = str(d?.['partial_json']);
            const tool = this.blockTool.get(num(e['index']) ?? -1);
            if (partial && tool !== undefined) out.push({ type: 'tool_call_delta', index: tool, argumentsDelta: partial });
            return;
          }
          case 'thinking_delta': {
            const text = str(d?.['thinking']);
            if (text) out.push({ type: 'reasoning_delta', text });
            return;
          }
          case 'signature_delta': {
            const signature = str(d?.['signature']);
            if (signature) out.push({ type: 'reasoning_delta', text: '', signature });
            return;
          }
          default:
            return;
        }
      }
      case 'message_delta': {
        const d = rec(e['delta']);
        const stop = str(d?.['stop_reason']);
        if (stop) {
          const finish: StreamEvent = { type: 'finish', finishReason: finishFromAnthropic(stop), providerFinishReason: stop };
          const seq = str(d?.['stop_sequence']);
          if (seq) finish.stopSequence = seq;
          out.push(finish);
        }
        const usage = usageFromAnthropic(e['usage']);
        if (usage) out.push({ type: 'usage', usage });
        return;
      }
      case 'error': {
        const err = rec(e['error']);
        const message = str(err?.['message']) ?? 'stream error';
        out.push({ type: 'error', code: codeFromAnthropicErrorType(str(err?.['type'])) ?? 'TOTRA_PROVIDER_UNAVAILABLE', message });
        return;
      }
      default:
        return; // ping, content_block_stop, message_stop
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Streams: canonical events -> Anthropic SSE

export interface AnthropicStreamEncoder {
  push(event: StreamEvent): string;
  /** Closes the open block and writes `message_delta` (stop reason, usage) and `message_stop`. */
  end(): string;
}

function errorTypeForCode(code: string): string {
  switch (code) {
    case 'TOTRA_PROVIDER_RATE_LIMITED':
      return 'rate_limit_error';
    case 'TOTRA_PROVIDER_UNAVAILABLE':
      return 'overloaded_error';
    case 'TOTRA_PROVIDER_AUTH':
      return 'authentication_error';
    case 'TOTRA_PROVIDER_BAD_REQUEST':
    case 'TOTRA_PROVIDER_CONTEXT_LENGTH':
      return 'invalid_request_error';
    default:
      return 'api_error';
  }
}

/** One Anthropic stream event: its SSE `event:` name is its `type`. */
function sseEvent(name: string, payload: JsonRecord): string {
  return formatSse(JSON.stringify({ type: name, ...payload }), name);
}

/**
 * Encodes canonical events as Anthropic SSE. `message_start` is held back until the first content
 * event so that usage reported with it (input tokens) is included.
 */
export function createAnthropicStreamEncoder(o: { model?: string; id?: string } = {}): AnthropicStreamEncoder {
  let pendingStart: { id: string; model: string } | undefined;
  let started = false;
  let nextBlock = 0;
  let open: { kind: 'text' | 'thinking' | 'tool'; index: number; tool?: number } | undefined;
  const toolBlocks = new Map<number, number>();
  let usage: Usage | undefined;
  let finish: Extract<StreamEvent, { type: 'finish' }> | undefined;
  let failed = false;
  let ended = false;

  const flushStart = (): string => {
    if (started) return '';
    started = true;
    const s = pendingStart ?? { id: o.id ?? '', model: o.model ?? '' };
    const u = usage ? usageToAnthropic(usage) : { input_tokens: 0, output_tokens: 0 };
    return sseEvent('message_start', {
      message: {
        id: s.id,
        type: 'message',
        role: 'assistant',
        model: s.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...u, output_tokens: usage?.outputTokens ?? 0 },
      },
    });
  };
  const close = (): string => {
    if (!open) return '';
    const out = sseEvent('content_block_stop', { index: open.index });
    open = undefined;
    return out;
  };
  const openBlock = (kind: 'text' | 'thinking', block: JsonRecord): string => {
    if (open?.kind === kind) return '';
    const out = close();
    open = { kind, index: nextBlock++ };
    return out + sseEvent('content_block_start', { index: open.index, content_block: block });
  };

  return {
    push(e) {
      if (failed || ended) return '';
      switch (e.type) {
        case 'message_start':
          pendingStart = { id: o.id ?? e.id, model: o.model ?? e.model };
          return '';
        case 'usage':
          usage = mergeUsage(usage, e.usage);
          return '';
        case 'finish':
          finish = e;
          return '';
        case 'text_delta': {
          if (e.text.length === 0) return '';
          const head = flushStart() + openBlock('text', { type: 'text', text: '' });
          return head + sseEvent('content_block_delta', { index: (open as { index: number }).index, delta: { type: 'text_delta', text: e.text } });
        }
        case 'reasoning_delta': {
          let out = flushStart() + openBlock('thinking', { type: 'thinking', thinking: '' });
          const index = (open as { index: number }).index;
          if (e.text.length > 0) out += sseEvent('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: e.text } });
          if (e.signature !== undefined) out += sseEvent('content_block_delta', { index, delta: { type: 'signature_delta', signature: e.signature } });
          return out;
        }
        case 'tool_call_start': {
          let out = flushStart() + close();
          open = { kind: 'tool', index: nextBlock++, tool: e.index };
          toolBlocks.set(e.index, open.index);
          out += sseEvent('content_block_start', { index: open.index, content_block: toolUseBlock(e, {}) });
          return out;
        }
        case 'tool_call_delta': {
          const index = toolBlocks.get(e.index);
          if (index === undefined || e.argumentsDelta.length === 0) return '';
          return sseEvent('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: e.argumentsDelta } });
        }
        case 'error': {
          failed = true;
          return flushStart() + sseEvent('error', { error: { type: errorTypeForCode(e.code), message: e.message } });
        }
      }
    },
    end() {
      if (failed || ended) return '';
      ended = true;
      let out = flushStart() + close();
      const u = usage ?? { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
      out += sseEvent('message_delta', {
        delta: {
          stop_reason: finishToAnthropic(finish?.finishReason ?? 'stop', finish?.stopSequence),
          stop_sequence: finish?.stopSequence ?? null,
        },
        usage: usageToAnthropic(u),
      });
      return out + sseEvent('message_stop', {});
    },
  };
}

/**
 * Ends a metered Anthropic stream passed through to an Anthropic client where the gateway cuts it
 * (ADR 0020): it follows the content blocks of the forwarded messages, so that the cut message's
 * admitted delta goes to the block the provider had open (or opens the next one), and then closes
 * that block and writes `message_delta` (stop reason `max_tokens`, usage) and `message_stop`.
 * The provider's `message_start` was forwarded: the message keeps the provider's id and model.
 */
export function createAnthropicStreamCutter(): StreamCutter {
  let open: { index: number; type: string } | undefined;
  let nextIndex = 0;
  let usage: Usage | undefined;
  const close = (): string => {
    if (!open) return '';
    const out = sseEvent('content_block_stop', { index: open.index });
    open = undefined;
    return out;
  };
  /** The open block when it has one of `types`, else a new block of `block.type` after the provider's last. */
  const blockFor = (types: readonly string[], block: JsonRecord): { index: number; head: string } => {
    if (open && types.includes(open.type)) return { index: open.index, head: '' };
    const head = close();
    open = { index: nextIndex++, type: String(block['type']) };
    return { index: open.index, head: head + sseEvent('content_block_start', { index: open.index, content_block: block }) };
  };
  return {
    forwarded(m: PassthroughMessage) {
      for (const e of m.events) if (e.type === 'usage') usage = mergeUsage(usage, e.usage);
      const b = m.block;
      if (!b) return;
      if (b.stop) {
        if (open?.index === b.index) open = undefined;
        return;
      }
      open = { index: b.index, type: b.start ?? 'text' };
      nextIndex = Math.max(nextIndex, b.index + 1);
    },
    cut(events) {
      let out = '';
      let finish: Extract<StreamEvent, { type: 'finish' }> | undefined;
      for (const e of events) {
        switch (e.type) {
          case 'usage':
            usage = mergeUsage(usage, e.usage);
            break;
          case 'finish':
            finish = e;
            break;
          case 'text_delta': {
            if (e.text.length === 0) break;
            const { index, head } = blockFor(['text'], { type: 'text', text: '' });
            out += head + sseEvent('content_block_delta', { index, delta: { type: 'text_delta', text: e.text } });
            break;
          }
          case 'reasoning_delta': {
            const { index, head } = blockFor(['thinking'], { type: 'thinking', thinking: '' });
            out += head;
            if (e.text.length > 0) out += sseEvent('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: e.text } });
            if (e.signature !== undefined) out += sseEvent('content_block_delta', { index, delta: { type: 'signature_delta', signature: e.signature } });
            break;
          }
          case 'tool_call_start': {
            out += close();
            open = { index: nextIndex++, type: 'tool_use' };
            out += sseEvent('content_block_start', { index: open.index, content_block: toolUseBlock(e, {}) });
            break;
          }
          case 'tool_call_delta': {
            // The arguments of the tool block the provider has open; a delta of no open tool block is dropped.
            if (e.argumentsDelta.length === 0 || (open?.type !== 'tool_use' && open?.type !== 'server_tool_use')) break;
            out += sseEvent('content_block_delta', { index: open.index, delta: { type: 'input_json_delta', partial_json: e.argumentsDelta } });
            break;
          }
          default:
            break; // message_start went out with the forwarded messages; errors do not reach a cut
        }
      }
      out += close();
      out += sseEvent('message_delta', {
        delta: { stop_reason: finishToAnthropic(finish?.finishReason ?? 'length', finish?.stopSequence), stop_sequence: finish?.stopSequence ?? null },
        usage: usageToAnthropic(usage ?? { inputTokens: 0, outputTokens: 0, totalTokens: 0 }),
      });
      return out + sseEvent('message_stop', {});
    },
  };
}
