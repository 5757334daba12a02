import { z } from 'zod';
import {
  FinishReason,
  LocalToolItem,
  Usage,
  type ChatChoice,
  type ChatResponse,
  type ReasoningPart,
  type ToolCall,
} from './chat.js';

/** Partial usage: fields present replace earlier values (providers report usage in pieces). */
export const UsageUpdate = Usage.partial();
export type UsageUpdate = z.infer<typeof UsageUpdate>;

/** The choice an event belongs to, when the request asked for several (`ChatRequest.choices`): absent for choice 0. */
const choice = z.number().int().positive().optional();

/**
 * The canonical stream: every provider stream parser emits these, every inbound stream encoder
 * consumes them. Order: `message_start` first; then deltas; `finish` once per choice; `usage` may
 * come before or after `finish` and more than once (merge them), and counts every choice; `error`
 * ends a failed stream. Tool calls are numbered by `index` (0, 1, ... in order of appearance),
 * within their choice. A request for several choices gets events of each, interleaved as the
 * provider sent them, those of choice 1 and later naming their `choice`.
 */
export const StreamEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message_start'), id: z.string(), model: z.string(), created: z.number().int() }),
  z.object({ type: z.literal('text_delta'), text: z.string(), choice }),
  z.object({ type: z.literal('reasoning_delta'), text: z.string(), signature: z.string().optional(), choice }),
  z.object({
    type: z.literal('tool_call_start'),
    index: z.number().int().nonnegative(),
    id: z.string(),
    name: z.string(),
    signature: z.string().optional(),
    /** A call of a custom tool: its deltas are input text, not JSON. */
    custom: z.literal(true).optional(),
    /** A call of one of OpenAI's local tools (`ToolCall.item`). */
    item: LocalToolItem.optional(),
    /** The call's members the canonical call does not read (`ToolCall.members`). */
    members: z.record(z.string(), z.unknown()).optional(),
    choice,
  }),
  z.object({ type: z.literal('tool_call_delta'), index: z.number().int().nonnegative(), argumentsDelta: z.string(), choice }),
  z.object({ type: z.literal('usage'), usage: UsageUpdate }),
  z.object({
    type: z.literal('finish'),
    finishReason: FinishReason,
    stopSequence: z.string().optional(),
    providerFinishReason: z.string().optional(),
    choice,
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
    // The tier is a name, not a count.
    if (key === 'serviceTier') continue;
    const value = usage[key as keyof UsageUpdate];
    if (value !== undefined && !(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) return false;
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
  const cacheWrite1h = update.cacheWrite1hInputTokens ?? current?.cacheWrite1hInputTokens;
  if (cacheWrite1h !== undefined) merged.cacheWrite1hInputTokens = cacheWrite1h;
  const serviceTier = update.serviceTier ?? current?.serviceTier;
  if (serviceTier !== undefined) merged.serviceTier = serviceTier;
  const reasoning = update.reasoningTokens ?? current?.reasoningTokens;
  if (reasoning !== undefined) merged.reasoningTokens = reasoning;
  return merged;
}

/** Folds a canonical stream into the equivalent non-streaming response. */
export interface StreamAccumulator {
  push(event: StreamEvent): void;
  pushAll(events: readonly StreamEvent[]): void;
  /** Text of the first choice so far (joined lazily; deltas are kept as pieces, not re-concatenated per chunk). */
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
  custom?: true;
  item?: LocalToolItem;
  members?: Record<string, unknown>;
}

/** What the stream said so far of one choice. */
interface ChoiceBuilder {
  text: string[];
  reasoning: string[];
  reasoningSignature?: string;
  tools: ToolCallBuilder[];
  finish?: Extract<StreamEvent, { type: 'finish' }>;
}

const newChoice = (): ChoiceBuilder => ({ text: [], reasoning: [], tools: [] });

/** Creates an accumulator that turns canonical stream events into a {@link ChatResponse}. */
export function createStreamAccumulator(): StreamAccumulator {
  let id = '';
  let model = '';
  let created = 0;
  // By choice number (a provider names them; a Map, not an array, whatever numbers it gives).
  const choices = new Map<number, ChoiceBuilder>([[0, newChoice()]]);
  let usage: Usage | undefined;
  let failure: { code: string; message: string } | undefined;
  const of = (n = 0): ChoiceBuilder => {
    let c = choices.get(n);
    if (!c) {
      c = newChoice();
      choices.set(n, c);
    }
    return c;
  };

  const push = (event: StreamEvent): void => {
    switch (event.type) {
      case 'message_start':
        id = event.id;
        model = event.model;
        created = event.created;
        break;
      case 'text_delta':
        of(event.choice).text.push(event.text);
        break;
      case 'reasoning_delta': {
        const c = of(event.choice);
        c.reasoning.push(event.text);
        if (event.signature !== undefined) c.reasoningSignature = event.signature;
        break;
      }
      case 'tool_call_start': {
        const builder: ToolCallBuilder = { id: event.id, name: event.name, args: [] };
        if (event.signature !== undefined) builder.signature = event.signature;
        if (event.custom) builder.custom = true;
        if (event.item) builder.item = event.item;
        if (event.members) builder.members = event.members;
        of(event.choice).tools[event.index] = builder;
        break;
      }
      case 'tool_call_delta':
        of(event.choice).tools[event.index]?.args.push(event.argumentsDelta);
        break;
      case 'usage':
        usage = mergeUsage(usage, event.usage);
        break;
      case 'finish':
        of(event.choice).finish = event;
        break;
      case 'error':
        failure = { code: event.code, message: event.message };
        break;
    }
  };

  const choiceOf = (c: ChoiceBuilder): ChatChoice => {
    const toolCalls: ToolCall[] = [];
    for (const t of c.tools) {
      if (!t) continue;
      const call: ToolCall = { id: t.id, name: t.name, arguments: t.args.join('') };
      if (t.signature !== undefined) call.signature = t.signature;
      if (t.custom) call.custom = true;
      if (t.item) call.item = t.item;
      if (t.members) call.members = t.members;
      toolCalls.push(call);
    }
    const choice: ChatChoice = { text: c.text.join(''), toolCalls, finishReason: failure ? 'error' : (c.finish?.finishReason ?? 'stop') };
    if (c.reasoning.length > 0 || c.reasoningSignature !== undefined) {
      const part: ReasoningPart = { type: 'reasoning', text: c.reasoning.join('') };
      if (c.reasoningSignature !== undefined) part.signature = c.reasoningSignature;
      choice.reasoning = [part];
    }
    if (c.finish?.stopSequence !== undefined) choice.stopSequence = c.finish.stopSequence;
    if (c.finish?.providerFinishReason !== undefined) choice.providerFinishReason = c.finish.providerFinishReason;
    return choice;
  };

  return {
    push,
    pushAll(events) {
      for (const e of events) push(e);
    },
    text: () => of(0).text.join(''),
    usage: () => usage,
    error: () => failure,
    result(): ChatResponse {
      const response: ChatResponse = { id, model, created, ...choiceOf(of(0)) };
      // The others in the order of their numbers.
      const more = [...choices.keys()].filter((n) => n !== 0).sort((a, b) => a - b);
      if (more.length > 0) response.moreChoices = more.map((n) => choiceOf(of(n)));
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
  [response, ...(response.moreChoices ?? [])].forEach((c, n) => {
    const choice = n > 0 ? { choice: n } : {};
    for (const r of c.reasoning ?? []) {
      const e: StreamEvent = { type: 'reasoning_delta', text: r.text, ...choice };
      if (r.signature !== undefined) e.signature = r.signature;
      events.push(e);
    }
    if (c.text.length > 0) events.push({ type: 'text_delta', text: c.text, ...choice });
    c.toolCalls.forEach((call, index) => {
      const start: StreamEvent = { type: 'tool_call_start', index, id: call.id, name: call.name, ...choice };
      if (call.signature !== undefined) start.signature = call.signature;
      if (call.custom) start.custom = true;
      if (call.item) start.item = call.item;
      if (call.members) start.members = call.members;
      events.push(start);
      if (call.arguments.length > 0) events.push({ type: 'tool_call_delta', index, argumentsDelta: call.arguments, ...choice });
    });
    const finish: StreamEvent = { type: 'finish', finishReason: c.finishReason, ...choice };
    if (c.stopSequence !== undefined) finish.stopSequence = c.stopSequence;
    if (c.providerFinishReason !== undefined) finish.providerFinishReason = c.providerFinishReason;
    events.push(finish);
  });
  if (response.usage) events.push({ type: 'usage', usage: response.usage });
  return events;
}
