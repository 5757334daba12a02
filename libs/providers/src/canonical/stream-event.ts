import { z } from 'zod';
import {
  FinishReason,
  Usage,
  type ChatResponse,
  type ReasoningPart,
  type ToolCall,
} from './chat.js';

/** Partial usage: fields present replace earlier values (providers report usage in pieces). */
export const UsageUpdate = Usage.partial();
export type UsageUpdate = z.infer<typeof UsageUpdate>;

/**
 * The canonical stream: every provider stream parser emits these, every inbound stream encoder
 * consumes them. Order: `message_start` first; then deltas; `finish` once; `usage` may come
 * before or after `finish` and more than once (merge them); `error` ends a failed stream.
 * Tool calls are numbered by `index` (0, 1, ... in order of appearance).
 */
export const StreamEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message_start'), id: z.string(), model: z.string(), created: z.number().int() }),
  z.object({ type: z.literal('text_delta'), text: z.string() }),
  z.object({ type: z.literal('reasoning_delta'), text: z.string(), signature: z.string().optional() }),
  z.object({
    type: z.literal('tool_call_start'),
    index: z.number().int().nonnegative(),
    id: z.string(),
    name: z.string(),
    signature: z.string().optional(),
  }),
  z.object({ type: z.literal('tool_call_delta'), index: z.number().int().nonnegative(), argumentsDelta: z.string() }),
  z.object({ type: z.literal('usage'), usage: UsageUpdate }),
  z.object({
    type: z.literal('finish'),
    finishReason: FinishReason,
    stopSequence: z.string().optional(),
    providerFinishReason: z.string().optional(),
  }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
]);
export type StreamEvent = z.infer<typeof StreamEvent>;

/** Merges a usage update into the usage seen so far (fields present win; total recomputed if absent). */
/**
 * Whether every count of a provider's usage is a token count: a safe, non-negative integer. A
 * provider that reports `-5` or `1e308` tokens reports nothing the gateway can bill or record; the
 * caller then counts the request as if no usage had come (estimated).
 */
export function isCountedUsage(usage: UsageUpdate): boolean {
  for (const key in usage) {
    const value = usage[key as keyof UsageUpdate];
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) return false;
  }
  return true;
}

export function mergeUsage(current: Usage | undefined, update: UsageUpdate): Usage {
  const inputTokens = update.inputTokens ?? current?.inputTokens ?? 0;
  const outputTokens = update.outputTokens ?? current?.outputTokens ?? 0;
  const merged: Usage = {
    inputTokens,
    outputTokens,
    totalTokens:
      update.totalTokens ??
      (update.inputTokens !== undefined || update.outputTokens !== undefined ? inputTokens + outputTokens : undefined) ??
      current?.totalTokens ??
      inputTokens + outputTokens,
  };
  const cached = update.cachedInputTokens ?? current?.cachedInputTokens;
  if (cached !== undefined) merged.cachedInputTokens = cached;
  const cacheWrite = update.cacheWriteInputTokens ?? current?.cacheWriteInputTokens;
  if (cacheWrite !== undefined) merged.cacheWriteInputTokens = cacheWrite;
  const reasoning = update.reasoningTokens ?? current?.reasoningTokens;
  if (reasoning !== undefined) merged.reasoningTokens = reasoning;
  return merged;
}

/** Folds a canonical stream into the equivalent non-streaming response. */
export interface StreamAccumulator {
  push(event: StreamEvent): void;
  pushAll(events: readonly StreamEvent[]): void;
  /** Text so far (joined lazily; deltas are kept as pieces, not re-concatenated per chunk). */
  text(): string;
  usage(): Usage | undefined;
  /** The response so far; `finishReason` is `error` if the stream failed, `stop` if it never said. */
  result(): ChatResponse;
  /** The error event, if the stream carried one. */
  error(): { code: string; message: string } | undefined;
}

interface ToolCallBuilder {
  id: string;
  name: string;
  args: string[];
  signature?: string;
}

/** Creates an accumulator that turns canonical stream events into a {@link ChatResponse}. */
export function createStreamAccumulator(): StreamAccumulator {
  let id = '';
  let model = '';
  let created = 0;
  const textPieces: string[] = [];
  const reasoningPieces: string[] = [];
  let reasoningSignature: string | undefined;
  const tools: ToolCallBuilder[] = [];
  let usage: Usage | undefined;
  let finish: Extract<StreamEvent, { type: 'finish' }> | undefined;
  let failure: { code: string; message: string } | undefined;

  const push = (event: StreamEvent): void => {
    switch (event.type) {
      case 'message_start':
        id = event.id;
        model = event.model;
        created = event.created;
        break;
      case 'text_delta':
        textPieces.push(event.text);
        break;
      case 'reasoning_delta':
        reasoningPieces.push(event.text);
        if (event.signature !== undefined) reasoningSignature = event.signature;
        break;
      case 'tool_call_start': {
        const builder: ToolCallBuilder = { id: event.id, name: event.name, args: [] };
        if (event.signature !== undefined) builder.signature = event.signature;
        tools[event.index] = builder;
        break;
      }
      case 'tool_call_delta':
        tools[event.index]?.args.push(event.argumentsDelta);
        break;
      case 'usage':
        usage = mergeUsage(usage, event.usage);
        break;
      case 'finish':
        finish = event;
        break;
      case 'error':
        failure = { code: event.code, message: event.message };
        break;
    }
  };

  return {
    push,
    pushAll(events) {
      for (const e of events) push(e);
    },
    text: () => textPieces.join(''),
    usage: () => usage,
    error: () => failure,
    result(): ChatResponse {
      const toolCalls: ToolCall[] = [];
      for (const t of tools) {
        if (!t) continue;
        const call: ToolCall = { id: t.id, name: t.name, arguments: t.args.join('') };
        if (t.signature !== undefined) call.signature = t.signature;
        toolCalls.push(call);
      }
      const response: ChatResponse = {
        id,
        model,
        created,
        text: textPieces.join(''),
        toolCalls,
        finishReason: failure ? 'error' : (finish?.finishReason ?? 'stop'),
      };
      if (reasoningPieces.length > 0 || reasoningSignature !== undefined) {
        const part: ReasoningPart = { type: 'reasoning', text: reasoningPieces.join('') };
        if (reasoningSignature !== undefined) part.signature = reasoningSignature;
        response.reasoning = [part];
      }
      if (finish?.stopSequence !== undefined) response.stopSequence = finish.stopSequence;
      if (finish?.providerFinishReason !== undefined) response.providerFinishReason = finish.providerFinishReason;
      if (usage) response.usage = usage;
      return response;
    },
  };
}

/** Replays a complete response as canonical stream events (used to stream a cached or buffered answer). */
export function responseToStreamEvents(response: ChatResponse): StreamEvent[] {
  const events: StreamEvent[] = [
    { type: 'message_start', id: response.id, model: response.model, created: response.created },
  ];
  for (const r of response.reasoning ?? []) {
    const e: StreamEvent = { type: 'reasoning_delta', text: r.text };
    if (r.signature !== undefined) e.signature = r.signature;
    events.push(e);
  }
  if (response.text.length > 0) events.push({ type: 'text_delta', text: response.text });
  response.toolCalls.forEach((call, index) => {
    const start: StreamEvent = { type: 'tool_call_start', index, id: call.id, name: call.name };
    if (call.signature !== undefined) start.signature = call.signature;
    events.push(start);
    if (call.arguments.length > 0) events.push({ type: 'tool_call_delta', index, argumentsDelta: call.arguments });
  });
  const finish: StreamEvent = { type: 'finish', finishReason: response.finishReason };
  if (response.stopSequence !== undefined) finish.stopSequence = response.stopSequence;
  events.push(finish);
  if (response.usage) events.push({ type: 'usage', usage: response.usage });
  return events;
}
