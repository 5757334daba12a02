import type { ProviderKind } from '@totra/providers';
import { MockProviderError } from './errors.js';
import { rec } from './json-access.js';
import type { RecordedRequest } from './request-recorder.js';

/** A tool call the mock answers with when the request offers tools. */
export interface MockToolCall {
  name: string;
  /** A JSON object as text (stored compacted: `{"a": 1}` becomes `{"a":1}`); a custom tool's input text as it is. */
  arguments: string;
  /** A call of an OpenAI custom tool: `arguments` is free text, sent as `custom.input` (OpenAI's APIs only). */
  custom?: boolean;
  /**
   * A call of one of OpenAI's local tools, as the Responses item of this type (OpenAI's Responses
   * API only): `arguments` is the JSON object of its members (`{"action":{...}}`), `name` the tool.
   */
  local?: 'shell_call' | 'local_shell_call' | 'apply_patch_call' | 'computer_call';
  /** The toolset the tool belongs to (Anthropic's `toolset_name`: `computer`, `browser`). */
  toolset?: string;
  /** Wire id. Default: a per-provider deterministic id. Gemini and Ollama send it only when given. */
  id?: string;
}

/**
 * Token usage in canonical semantics: `inputTokens` counts cached and cache-write tokens too,
 * `outputTokens` counts reasoning tokens too. Each provider mock converts to its own fields.
 */
export interface MockUsage {
  inputTokens?: number;
  outputTokens?: number;
  cachedInputTokens?: number;
  cacheWriteInputTokens?: number;
  /** The part of `cacheWriteInputTokens` written for an hour (Anthropic's `cache_creation`). */
  cacheWrite1hInputTokens?: number;
  reasoningTokens?: number;
}

/** A failure the mock produces instead of a normal answer. `times`: for the next N requests (default: always). */
export type MockFault =
  | {
      type: 'status';
      /** 400, 401, 429, 500, 503 ...: answered with the provider's error body for that status. */
      status: number;
      times?: number;
      /** `retry-after` header: seconds, a raw value (HTTP date), or null for none. Default: `1` on 429 and 503. */
      retryAfter?: number | string | null;
      message?: string;
    }
  /** Accept the request and never answer (until the client gives up or the mock closes). */
  | { type: 'timeout'; times?: number }
  /** Send the status line, headers and the first `afterFrames` stream frames (default: half), then destroy the socket. */
  | { type: 'drop'; times?: number; afterFrames?: number }
  /**
   * Answer with exactly these bytes, whatever the request (a malformed or unexpected answer: cut
   * JSON, another API's body, a broken stream). `status` default 200; `contentType` default JSON.
   */
  | { type: 'raw'; times?: number; status?: number; contentType?: string; body: string | Uint8Array };

/** What a reply function sees of a chat request (Chat Completions, Responses, Messages, ...). */
export interface MockChatRequest {
  provider: ProviderKind;
  /** `completions`: the legacy Completions API (a prompt; OpenAI, Azure OpenAI, OpenAI-compatible). */
  operation: 'chat' | 'responses' | 'completions';
  /** Model from the body, or from the path (Gemini, Bedrock, Azure deployment). */
  model: string;
  stream: boolean;
  /** Text of the last user message (tool results included). */
  lastUserText: string;
  /** Every text of the prompt (system, messages, tool results) joined by `\n`: the default input-token basis. */
  promptText: string;
  /** The request offers at least one tool. */
  hasTools: boolean;
  /** The parsed request body. */
  body: Record<string, unknown>;
}

/** One frame of a streamed answer, after it was written. */
export interface MockFrameInfo {
  /** 0-based position of the frame in the stream. */
  index: number;
  /** Number of frames of this stream. */
  count: number;
  /** The answer text this frame carries, if it carries some. */
  text: string | undefined;
  request: RecordedRequest;
}

/**
 * How a mock provider answers. Every field is optional; `setBehaviour(patch)` merges a patch
 * over the current behaviour (pass `undefined` to clear a field).
 */
export interface MockBehaviour {
  /** Answer text. Default: the last user message, echoed. Fast mode: a fixed text unless this is a string. */
  reply?: string | ((request: MockChatRequest) => string);
  /**
   * Tool calls to answer with when the request offers tools (finish reason `tool_calls`). The
   * answer then has no text unless `reply` is set.
   */
  toolCalls?: readonly MockToolCall[];
  /** Usage to report. Missing input/output: `mockTokenCount` of the prompt / answer text (at least 1). */
  usage?: MockUsage;
  /** Model name to report. Default: the requested one. */
  model?: string;
  /** Finish reason when no tool call is made. Default `stop`. */
  finishReason?: 'stop' | 'length';
  /** Delay before the first byte of every answer (errors included). */
  latencyMs?: number;
  /** Delay before each stream frame after the first. */
  chunkDelayMs?: number;
  /** Number of pieces the text (and each tool call's arguments, where streamed) is cut into. Default 3. */
  chunks?: number;
  fault?: MockFault;
  /**
   * Throughput mode for chat: the body is not parsed or recorded (only counted and its headers
   * kept), the answer is built once per (operation, stream, path model) and its bytes reused.
   * Text: `reply` when a string, else `Hello from the mock provider.`; tool calls are ignored;
   * usage: `usage` or 16 input tokens; streams are written in one go (`latencyMs` still applies).
   */
  fast?: boolean;
  /** Awaited after each stream frame is written: lets a test hold the stream (see `createStreamGate`). */
  afterFrame?: (frame: MockFrameInfo) => void | Promise<void>;
  /** Embedding size when the request does not ask for one. Default 8. */
  embeddingDimensions?: number;
}

/** Token count the mock uses by default: one token per 4 UTF-16 code units, rounded up. */
export function mockTokenCount(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Reply text of fast mode when `reply` is not a string. */
export const MOCK_FAST_REPLY = 'Hello from the mock provider.';
/** `created` (Unix seconds) of every mock answer: answers are deterministic. */
export const MOCK_CREATED = 1_700_000_000;

const DEFAULT_CHUNKS = 3;
const DEFAULT_DIMENSIONS = 8;

function fnv1a(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * The deterministic embedding the mock returns for a text. Values are multiples of 1/1024 in
 * [-0.977, 0.977], exact in float32, so base64 float32 encoding round-trips them unchanged.
 */
export function mockEmbedding(text: string, dimensions = DEFAULT_DIMENSIONS): number[] {
  const out = new Array<number>(dimensions);
  for (let i = 0; i < dimensions; i++) out[i] = ((fnv1a(text, i) % 2001) - 1000) / 1024;
  return out;
}

function nonNegativeInt(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
    throw new MockProviderError(`mock behaviour: ${name} must be a non-negative integer, got ${value}`);
  }
}

/** Checks a behaviour patch and compacts tool-call arguments. Throws {@link MockProviderError}. */
export function normaliseBehaviour(b: MockBehaviour): MockBehaviour {
  nonNegativeInt('latencyMs', b.latencyMs);
  nonNegativeInt('chunkDelayMs', b.chunkDelayMs);
  nonNegativeInt('embeddingDimensions', b.embeddingDimensions);
  if (b.chunks !== undefined && (!Number.isInteger(b.chunks) || b.chunks < 1)) {
    throw new MockProviderError(`mock behaviour: chunks must be a positive integer, got ${b.chunks}`);
  }
  if (b.usage) for (const [k, v] of Object.entries(b.usage)) nonNegativeInt(`usage.${k}`, v as number | undefined);
  if (b.fault) {
    nonNegativeInt('fault.times', b.fault.times);
    if (b.fault.type === 'status' && (!Number.isInteger(b.fault.status) || b.fault.status < 400 || b.fault.status > 599)) {
      throw new MockProviderError(`mock behaviour: fault.status must be 4xx or 5xx, got ${b.fault.status}`);
    }
    if (b.fault.type === 'drop') nonNegativeInt('fault.afterFrames', b.fault.afterFrames);
    if (b.fault.type === 'raw' && b.fault.status !== undefined && (!Number.isInteger(b.fault.status) || b.fault.status < 100 || b.fault.status > 599)) {
      throw new MockProviderError(`mock behaviour: fault.status must be an HTTP status, got ${b.fault.status}`);
    }
  }
  if (!b.toolCalls) return b;
  const toolCalls = b.toolCalls.map((call) => {
    if (call.custom) return call;
    let parsed: unknown;
    try {
      parsed = JSON.parse(call.arguments);
    } catch (err) {
      throw new MockProviderError(`mock behaviour: arguments of tool call "${call.name}" are not JSON`, { cause: err });
    }
    if (!rec(parsed)) throw new MockProviderError(`mock behaviour: arguments of tool call "${call.name}" must be a JSON object`);
    return { ...call, arguments: JSON.stringify(parsed) };
  });
  return { ...b, toolCalls };
}

/** Usage of one answer, every field resolved (canonical semantics). */
export interface ResolvedUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cachedInputTokens: number;
  cacheWriteInputTokens: number;
  cacheWrite1hInputTokens: number;
  reasoningTokens: number;
}

export interface ReplyToolCall {
  id: string | undefined;
  name: string;
  arguments: string;
  argumentChunks: string[];
  custom?: boolean;
  local?: MockToolCall['local'];
  toolset?: string;
}

/** One answer, provider-neutral: the dialects encode it. */
export interface MockReply {
  /** Request number: ids derive from it. */
  seq: number;
  model: string;
  created: number;
  text: string;
  textChunks: string[];
  toolCalls: ReplyToolCall[];
  usage: ResolvedUsage;
  finishReason: 'stop' | 'length' | 'tool_calls';
  latencyMs: number;
}

/**
 * The answers to a request for `n` choices or candidates: the reply, then the same reply
 * numbered (`" (2)"` after its text) for each further one, so that every one is told apart. The
 * usage counts the prompt once and every answer's output.
 */
export function numberedReplies(reply: MockReply, n: number): { replies: MockReply[]; usage: ResolvedUsage } {
  const replies = Array.from({ length: n }, (_, i) => {
    if (i === 0 || reply.text.length === 0) return reply;
    const suffix = ` (${i + 1})`;
    return { ...reply, text: reply.text + suffix, textChunks: [...reply.textChunks, suffix] };
  });
  const outputTokens = reply.usage.outputTokens * n;
  return { replies, usage: { ...reply.usage, outputTokens, totalTokens: reply.usage.inputTokens + outputTokens } };
}

/** Cuts text into at most `pieces` parts of near-equal length, never inside a code point. */
export function splitText(text: string, pieces: number): string[] {
  if (text.length === 0) return [];
  const points = Array.from(text);
  const n = Math.min(pieces, points.length);
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const end = Math.round(((i + 1) * points.length) / n);
    out.push(points.slice(at, end).join(''));
    at = end;
  }
  return out;
}

function resolveUsage(u: MockUsage | undefined, promptTokens: number, answerTokens: number): ResolvedUsage {
  const cachedInputTokens = u?.cachedInputTokens ?? 0;
  const cacheWriteInputTokens = u?.cacheWriteInputTokens ?? 0;
  const cacheWrite1hInputTokens = u?.cacheWrite1hInputTokens ?? 0;
  const reasoningTokens = u?.reasoningTokens ?? 0;
  const inputTokens = u?.inputTokens ?? Math.max(1, promptTokens, cachedInputTokens + cacheWriteInputTokens);
  const outputTokens = u?.outputTokens ?? Math.max(1, answerTokens, reasoningTokens);
  return { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens, cachedInputTokens, cacheWriteInputTokens, cacheWrite1hInputTokens, reasoningTokens };
}

/** Builds the answer to a chat request under a behaviour. */
export function buildReply(seq: number, request: MockChatRequest, b: MockBehaviour): MockReply {
  const chunks = b.chunks ?? DEFAULT_CHUNKS;
  const useTools = request.hasTools && (b.toolCalls?.length ?? 0) > 0;
  let text: string;
  if (typeof b.reply === 'string') text = b.reply;
  else if (b.reply) text = b.reply(request);
  else text = useTools ? '' : request.lastUserText.length > 0 ? request.lastUserText : 'ok';
  const toolCalls: ReplyToolCall[] = useTools
    ? (b.toolCalls ?? []).map((c) => ({ id: c.id, name: c.name, arguments: c.arguments, argumentChunks: splitText(c.arguments, chunks), ...(c.custom ? { custom: true } : {}), ...(c.local ? { local: c.local } : {}), ...(c.toolset ? { toolset: c.toolset } : {}) }))
    : [];
  let answerTokens = mockTokenCount(text);
  for (const c of toolCalls) answerTokens += mockTokenCount(c.arguments);
  return {
    seq,
    model: b.model ?? request.model,
    created: MOCK_CREATED,
    text,
    textChunks: splitText(text, chunks),
    toolCalls,
    usage: resolveUsage(b.usage, mockTokenCount(request.promptText), answerTokens),
    finishReason: toolCalls.length > 0 ? 'tool_calls' : (b.finishReason ?? 'stop'),
    latencyMs: b.latencyMs ?? 0,
  };
}

/** The fixed answer of fast mode (no request content involved). */
export function buildFastReply(request: MockChatRequest, b: MockBehaviour): MockReply {
  const text = typeof b.reply === 'string' ? b.reply : MOCK_FAST_REPLY;
  return {
    seq: 0,
    model: b.model ?? request.model,
    created: MOCK_CREATED,
    text,
    textChunks: splitText(text, b.chunks ?? DEFAULT_CHUNKS),
    toolCalls: [],
    usage: resolveUsage(b.usage, 16, mockTokenCount(text)),
    finishReason: b.finishReason ?? 'stop',
    latencyMs: b.latencyMs ?? 0,
  };
}

/** Embedding size for a request. */
export function embeddingSize(requested: number | undefined, b: MockBehaviour): number {
  return requested ?? b.embeddingDimensions ?? DEFAULT_DIMENSIONS;
}
