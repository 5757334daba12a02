import { LOCAL_TOOL_OF_ITEM, LocalToolItem, type ChatResponse, type FinishReason, type ToolCall } from '../canonical/chat.js';
import { mergeUsage, type StreamEvent, type UsageUpdate } from '../canonical/stream-event.js';
import type { PassthroughStreamParser } from '../adapters/adapter.js';
import { invalidResponse } from '../wire/error-mapping.js';
import { arr, num, readJson, rec, str, type JsonRecord } from '../wire/json.js';
import { createSsePassthroughParser, parseEventJson } from '../wire/stream-parser.js';

/**
 * OpenAI Responses API answers, read into the canonical model: what the gateway needs of an
 * answer passed through to a Responses client (usage, finish, text and calls for the PII stage and
 * the records), and what it translates when the answer must be restored (ADR 0029).
 */

/** Responses `usage` (and the response's `service_tier`) -> canonical usage update. */
function usageFromResponses(value: unknown, serviceTier: unknown): UsageUpdate | undefined {
  const u = rec(value);
  if (!u) return undefined;
  const update: UsageUpdate = {};
  const tier = str(serviceTier);
  if (tier) update.serviceTier = tier;
  const input = num(u['input_tokens']);
  const output = num(u['output_tokens']);
  const total = num(u['total_tokens']);
  if (input !== undefined) update.inputTokens = input;
  if (output !== undefined) update.outputTokens = output;
  if (total !== undefined) update.totalTokens = total;
  const cached = num(rec(u['input_tokens_details'])?.['cached_tokens']);
  if (cached !== undefined) update.cachedInputTokens = cached;
  const reasoning = num(rec(u['output_tokens_details'])?.['reasoning_tokens']);
  if (reasoning !== undefined) update.reasoningTokens = reasoning;
  return update;
}

/** The finish of a response object: its status, why it is incomplete, whether it called tools. */
function finishOf(response: JsonRecord, calledTools: boolean): { finishReason: FinishReason; providerFinishReason: string } {
  const status = str(response['status']) ?? 'completed';
  const reason = str(rec(response['incomplete_details'])?.['reason']);
  if (status === 'incomplete') return { finishReason: reason === 'content_filter' ? 'content_filter' : 'length', providerFinishReason: reason ?? status };
  if (status === 'failed' || status === 'cancelled') return { finishReason: 'error', providerFinishReason: status };
  return { finishReason: calledTools ? 'tool_calls' : 'stop', providerFinishReason: status };
}

/** The members of a local tool's call item (ADR 0038) that make its canonical call's arguments. */
const ITEM_OWN = new Set(['type', 'id', 'call_id', 'status']);

/** A local tool's call item -> canonical call; undefined for any other item. */
function localCall(item: JsonRecord): (ToolCall & { item: LocalToolItem }) | undefined {
  const kind = LocalToolItem.safeParse(item['type']);
  if (!kind.success) return undefined;
  const payload = Object.fromEntries(Object.entries(item).filter(([k]) => !ITEM_OWN.has(k)));
  return { id: str(item['call_id']) ?? str(item['id']) ?? '', name: LOCAL_TOOL_OF_ITEM[kind.data], arguments: JSON.stringify(payload), item: kind.data };
}

/** A response object (the body, or `response` of a stream's last event) -> canonical answer. */
function responseOf(root: JsonRecord): ChatResponse {
  let text = '';
  let refusal: string | undefined;
  const toolCalls: ToolCall[] = [];
  for (const raw of arr(root['output']) ?? []) {
    const item = rec(raw);
    if (item?.['type'] === 'message') {
      for (const part of arr(item['content']) ?? []) {
        const p = rec(part);
        if (p?.['type'] === 'output_text') text += str(p['text']) ?? '';
        else if (p?.['type'] === 'refusal') refusal = (refusal ?? '') + (str(p['refusal']) ?? '');
      }
    } else if (item?.['type'] === 'function_call') {
      toolCalls.push({ id: str(item['call_id']) ?? str(item['id']) ?? '', name: str(item['name']) ?? '', arguments: str(item['arguments']) ?? '' });
    } else if (item?.['type'] === 'custom_tool_call') {
      toolCalls.push({ id: str(item['call_id']) ?? str(item['id']) ?? '', name: str(item['name']) ?? '', arguments: str(item['input']) ?? '', custom: true });
    } else if (item) {
      const call = localCall(item);
      if (call) toolCalls.push(call);
    }
  }
  const res: ChatResponse = {
    id: str(root['id']) ?? '',
    model: str(root['model']) ?? '',
    created: num(root['created_at']) ?? 0,
    text,
    toolCalls,
    ...finishOf(root, toolCalls.length > 0),
  };
  if (refusal !== undefined) res.refusal = refusal;
  const usage = usageFromResponses(root['usage'], root['service_tier']);
  if (usage) res.usage = mergeUsage(undefined, usage);
  return res;
}

/** OpenAI Responses API JSON body -> canonical response. */
export function decodeOpenAIResponsesResponse(body: unknown, provider = 'openai', status = 200): ChatResponse {
  const root = rec(readJson(body));
  if (!root || !Array.isArray(root['output'])) throw invalidResponse(provider, status, 'no output[]');
  return responseOf(root);
}

/**
 * Turns the events of a Responses stream into canonical ones: `response.created` starts the
 * message, text and function-call argument deltas follow (calls numbered in order of their
 * output items), and the final `response.completed` / `.incomplete` / `.failed` gives usage and
 * finish; an `error` event ends the stream.
 */
class ResponsesEventDecoder {
  private started = false;
  /** Output index of a function call item -> its canonical tool index. */
  private readonly calls = new Map<number, number>();

  constructor(private readonly errorCode: (message: string, type: string | undefined) => string) {}

  decode(value: unknown, out: StreamEvent[]): void {
    const event = rec(value);
    const type = str(event?.['type']);
    if (!event || !type) return;
    if (type === 'error') {
      const message = str(event['message']) ?? 'stream error';
      out.push({ type: 'error', code: this.errorCode(message, str(event['code'])), message });
      return;
    }
    const response = rec(event['response']);
    if (!this.started && response) {
      this.started = true;
      out.push({ type: 'message_start', id: str(response['id']) ?? '', model: str(response['model']) ?? '', created: num(response['created_at']) ?? 0 });
    }
    switch (type) {
      case 'response.output_text.delta': {
        const delta = str(event['delta']);
        if (delta) out.push({ type: 'text_delta', text: delta });
        return;
      }
      case 'response.output_item.added': {
        const item = rec(event['item']);
        const at = num(event['output_index']);
        if (!item || at === undefined) return;
        const custom = item['type'] === 'custom_tool_call';
        const local = localCall(item);
        if (item['type'] !== 'function_call' && !custom && !local) return;
        const index = this.calls.size;
        this.calls.set(at, index);
        if (local) {
          // Its members come whole with the finished item (`response.output_item.done`).
          out.push({ type: 'tool_call_start', index, id: local.id, name: local.name, item: local.item });
          return;
        }
        out.push({ type: 'tool_call_start', index, id: str(item['call_id']) ?? str(item['id']) ?? '', name: str(item['name']) ?? '', ...(custom ? { custom: true as const } : {}) });
        return;
      }
      case 'response.output_item.done': {
        const item = rec(event['item']);
        const index = this.calls.get(num(event['output_index']) ?? -1);
        const local = item ? localCall(item) : undefined;
        if (local && index !== undefined) out.push({ type: 'tool_call_delta', index, argumentsDelta: local.arguments });
        return;
      }
      case 'response.custom_tool_call_input.delta':
      case 'response.function_call_arguments.delta': {
        const index = this.calls.get(num(event['output_index']) ?? -1);
        const delta = str(event['delta']);
        if (index !== undefined && delta) out.push({ type: 'tool_call_delta', index, argumentsDelta: delta });
        return;
      }
      case 'response.completed':
      case 'response.incomplete':
      case 'response.failed': {
        if (!response) return;
        const usage = usageFromResponses(response['usage'], response['service_tier']);
        if (usage) out.push({ type: 'usage', usage });
        if (type === 'response.failed') {
          const error = rec(response['error']);
          const message = str(error?.['message']) ?? 'the response failed';
          out.push({ type: 'error', code: this.errorCode(message, str(error?.['code'])), message });
          return;
        }
        out.push({ type: 'finish', ...finishOf(response, this.calls.size > 0) });
        return;
      }
      default:
        return;
    }
  }
}

/** A pass-through parser of a Responses stream: every message forwarded as it came, read for events. */
export function createOpenAIResponsesPassthroughParser(errorCode: (message: string, type: string | undefined) => string): PassthroughStreamParser {
  const decoder = new ResponsesEventDecoder(errorCode);
  return createSsePassthroughParser((m, out) => {
    const value = parseEventJson(m.data, out);
    if (value !== undefined) decoder.decode(value, out);
    return true;
  });
}
