import type { ChatRequest, ChatResponse, FinishReason, ToolCall, UserContentPart } from '../canonical/chat.js';
import { opaqueRefusal } from '../canonical/extra.js';
import { mergeUsage, type StreamEvent, type UsageUpdate } from '../canonical/stream-event.js';
import { ProviderConfigError, UnsupportedFeatureError, type ProviderError, type ProviderErrorCode } from '../errors.js';
import { joinUrl, type Deployment, type ProviderAdapter, type ProviderHttpRequest } from '../adapters/adapter.js';
import { invalidResponse, providerError } from '../wire/error-mapping.js';
import type { HeadersLike } from '../wire/headers.js';
import { arr, bodyText, num, readJson, rec, str, toDataUrl, type JsonRecord } from '../wire/json.js';
import { createSseStreamParser, parseEventJson } from '../wire/stream-parser.js';
import { offeredTools } from '../canonical/helpers.js';

const COHERE_BASE_URL = 'https://api.cohere.com';

function encodeContent(parts: readonly UserContentPart[]): string | JsonRecord[] {
  if (parts.every((p) => p.type === 'text')) return parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
  return parts.map((p) => {
    if (p.type === 'text') return { type: 'text', text: p.text };
    if (p.type === 'opaque') throw opaqueRefusal('cohere', p);
    return { type: 'image_url', image_url: { url: p.source.type === 'url' ? p.source.url : toDataUrl(p.source.mediaType, p.source.data) } };
  });
}

/** Canonical request -> Cohere v2 `/v2/chat` body. */
export function encodeCohereRequest(request: ChatRequest, model: string): JsonRecord {
  const req = offeredTools(request);
  const messages: JsonRecord[] = [];
  for (const m of req.messages) {
    switch (m.role) {
      case 'system':
      case 'developer':
        messages.push({ role: 'system', content: m.content.map((p) => p.text).join('\n') });
        break;
      case 'user':
        messages.push({ role: 'user', content: encodeContent(m.content) });
        break;
      case 'assistant': {
        const text = m.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
        const msg: JsonRecord = { role: 'assistant' };
        if (text.length > 0) msg['content'] = text;
        if (m.toolCalls && m.toolCalls.length > 0) {
          msg['tool_calls'] = m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
        }
        messages.push(msg);
        break;
      }
      case 'tool': {
        if (m.content.some((p) => p.type === 'image')) throw new UnsupportedFeatureError('cohere', 'images in tool results');
        messages.push({ role: 'tool', tool_call_id: m.toolCallId, content: encodeContent(m.content) });
        break;
      }
    }
  }
  const body: JsonRecord = { model, messages };
  let tools = req.tools;
  if (req.toolChoice?.type === 'tool') {
    // Cohere cannot name one tool: offer only that tool and require a call.
    const name = req.toolChoice.name;
    tools = tools?.filter((t) => t.name === name);
  }
  if (tools && tools.length > 0) {
    body['tools'] = tools.map((t) => ({
      type: 'function',
      function: { name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), parameters: t.parameters },
    }));
    const tc = req.toolChoice?.type;
    if (tc === 'required' || tc === 'tool') body['tool_choice'] = 'REQUIRED';
    else if (tc === 'none') body['tool_choice'] = 'NONE';
  }
  if (req.maxTokens !== undefined) body['max_tokens'] = req.maxTokens;
  if (req.temperature !== undefined) body['temperature'] = req.temperature;
  if (req.topP !== undefined) body['p'] = req.topP;
  if (req.topK !== undefined) body['k'] = req.topK;
  if (req.stop && req.stop.length > 0) body['stop_sequences'] = req.stop;
  if (req.seed !== undefined) body['seed'] = req.seed;
  if (req.frequencyPenalty !== undefined) body['frequency_penalty'] = req.frequencyPenalty;
  if (req.presencePenalty !== undefined) body['presence_penalty'] = req.presencePenalty;
  if (req.responseFormat && req.responseFormat.type !== 'text') {
    body['response_format'] =
      req.responseFormat.type === 'json_schema' ? { type: 'json_object', json_schema: req.responseFormat.schema } : { type: 'json_object' };
  }
  if (req.stream) body['stream'] = true;
  return body;
}

export function finishFromCohere(reason: string | undefined): FinishReason {
  switch (reason) {
    case 'MAX_TOKENS':
      return 'length';
    case 'TOOL_CALL':
      return 'tool_calls';
    case 'ERROR':
    case 'TIMEOUT':
      return 'error';
    default:
      return 'stop'; // COMPLETE, STOP_SEQUENCE
  }
}

/** Cohere `usage` (`tokens` preferred over `billed_units`) -> canonical. */
export function usageFromCohere(value: unknown): UsageUpdate | undefined {
  const u = rec(value);
  if (!u) return undefined;
  const counts = rec(u['tokens']) ?? rec(u['billed_units']);
  if (!counts) return undefined;
  const update: UsageUpdate = {};
  const input = num(counts['input_tokens']);
  const output = num(counts['output_tokens']);
  if (input !== undefined) update.inputTokens = input;
  if (output !== undefined) update.outputTokens = output;
  const cached = num(u['cached_tokens']);
  if (cached !== undefined) update.cachedInputTokens = cached;
  return update;
}

/** Cohere v2 chat response JSON -> canonical. */
export function decodeCohereResponse(json: unknown, status = 200): ChatResponse {
  const root = rec(json);
  const message = rec(root?.['message']);
  if (!root || !message) throw invalidResponse('cohere', status, 'no message');
  let text = '';
  let thinking = '';
  for (const raw of arr(message['content']) ?? []) {
    const c = rec(raw);
    if (str(c?.['type']) === 'thinking') thinking += str(c?.['thinking']) ?? '';
    else text += str(c?.['text']) ?? '';
  }
  const toolCalls: ToolCall[] = [];
  for (const raw of arr(message['tool_calls']) ?? []) {
    const c = rec(raw);
    const fn = rec(c?.['function']);
    toolCalls.push({ id: str(c?.['id']) ?? `call_${toolCalls.length}`, name: str(fn?.['name']) ?? '', arguments: str(fn?.['arguments']) ?? '{}' });
  }
  const plan = str(message['tool_plan']);
  if (plan) thinking = thinking ? `${thinking}\n${plan}` : plan;
  const reason = str(root['finish_reason']);
  const response: ChatResponse = { id: str(root['id']) ?? '', model: '', created: 0, text, toolCalls, finishReason: finishFromCohere(reason) };
  if (reason !== undefined) response.providerFinishReason = reason;
  if (thinking) response.reasoning = [{ type: 'reasoning', text: thinking }];
  const usage = usageFromCohere(root['usage']);
  if (usage) response.usage = mergeUsage(undefined, usage);
  return response;
}

/** Stateful decoder of Cohere v2 stream events (`message-start`, `content-delta`, `tool-call-start`, ...). */
export class CohereEventDecoder {
  private readonly toolIndex = new Map<number, number>();
  private readonly thinkingBlocks = new Set<number>();

  decode(value: unknown, out: StreamEvent[]): void {
    const e = rec(value);
    if (!e) return;
    const message = rec(rec(e['delta'])?.['message']);
    const index = num(e['index']) ?? 0;
    switch (str(e['type'])) {
      case 'message-start':
        out.push({ type: 'message_start', id: str(e['id']) ?? '', model: '', created: 0 });
        return;
      case 'content-start':
        if (str(rec(message?.['content'])?.['type']) === 'thinking') this.thinkingBlocks.add(index);
        return;
      case 'content-delta': {
        const content = rec(message?.['content']);
        const thinking = str(content?.['thinking']);
        if (thinking || this.thinkingBlocks.has(index)) {
          const t = thinking ?? str(content?.['text']);
          if (t) out.push({ type: 'reasoning_delta', text: t });
          return;
        }
        const text = str(content?.['text']);
        if (text) out.push({ type: 'text_delta', text });
        return;
      }
      case 'tool-plan-delta': {
        const plan = str(message?.['tool_plan']);
        if (plan) out.push({ type: 'reasoning_delta', text: plan });
        return;
      }
      case 'tool-call-start': {
        const call = rec(message?.['tool_calls']);
        const fn = rec(call?.['function']);
        const toolIndex = this.toolIndex.size;
        this.toolIndex.set(index, toolIndex);
        out.push({ type: 'tool_call_start', index: toolIndex, id: str(call?.['id']) ?? `call_${toolIndex}`, name: str(fn?.['name']) ?? '' });
        const args = str(fn?.['arguments']);
        if (args) out.push({ type: 'tool_call_delta', index: toolIndex, argumentsDelta: args });
        return;
      }
      case 'tool-call-delta': {
        const args = str(rec(rec(message?.['tool_calls'])?.['function'])?.['arguments']);
        const toolIndex = this.toolIndex.get(index);
        if (args && toolIndex !== undefined) out.push({ type: 'tool_call_delta', index: toolIndex, argumentsDelta: args });
        return;
      }
      case 'message-end': {
        const delta = rec(e['delta']);
        const reason = str(delta?.['finish_reason']);
        if (reason) out.push({ type: 'finish', finishReason: finishFromCohere(reason), providerFinishReason: reason });
        const usage = usageFromCohere(delta?.['usage']);
        if (usage) out.push({ type: 'usage', usage });
        const error = str(delta?.['error']);
        if (error) out.push({ type: 'error', code: 'TOTRA_PROVIDER_UNAVAILABLE', message: error });
        return;
      }
      default:
        return; // content-end, tool-call-end, citation-start/end, debug
    }
  }
}

/** Maps a Cohere error body (`{message}`; 402 = billing, 498 = invalid token). */
export function mapCohereError(status: number, body: unknown, headers?: HeadersLike, nowMs?: number): ProviderError {
  const root = rec(readJson(body));
  const message = str(root?.['message']) ?? bodyText(body).slice(0, 500);
  let code: ProviderErrorCode | undefined;
  if (status === 402) code = 'TOTRA_PROVIDER_QUOTA_EXCEEDED';
  else if (status === 498) code = 'TOTRA_PROVIDER_AUTH';
  else if (status === 499) code = 'TOTRA_PROVIDER_UNAVAILABLE';
  return providerError({ provider: 'cohere', status, message, code, headers, nowMs });
}

function httpRequest(deployment: Deployment, path: string, body: string, stream: boolean): ProviderHttpRequest {
  if (!deployment.apiKey) throw new ProviderConfigError('cohere', `cohere deployment "${deployment.model}" has no API key`);
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${deployment.apiKey}` };
  if (stream) headers['accept'] = 'text/event-stream';
  if (deployment.headers) Object.assign(headers, deployment.headers);
  return { method: 'POST', url: joinUrl(deployment.baseUrl ?? COHERE_BASE_URL, path), headers, body };
}

/** Cohere v2 chat (`/v2/chat`) and embed (`/v2/embed`). */
export const cohereAdapter: ProviderAdapter = {
  provider: 'cohere',
  wireFormat: 'cohere-v2',
  buildRequest(request, deployment) {
    return httpRequest(deployment, 'v2/chat', JSON.stringify(encodeCohereRequest(request, deployment.model)), request.stream);
  },
  parseResponse(status, body) {
    if (status < 200 || status >= 300) throw mapCohereError(status, body);
    const json = readJson(body);
    if (json === undefined) throw invalidResponse('cohere', status, 'body is not JSON');
    return decodeCohereResponse(json, status);
  },
  createStreamParser() {
    const decoder = new CohereEventDecoder();
    return createSseStreamParser((m, out) => {
      const value = parseEventJson(m.data, out);
      if (value !== undefined) decoder.decode(value, out);
    });
  },
  mapError: mapCohereError,
  embeddings: {
    buildRequest(req, deployment) {
      const body: JsonRecord = {
        model: deployment.model,
        texts: req.input,
        input_type: req.inputType ?? 'search_document',
        embedding_types: ['float'],
      };
      if (req.dimensions !== undefined) body['output_dimension'] = req.dimensions;
      return httpRequest(deployment, 'v2/embed', JSON.stringify(body), false);
    },
    parseResponse(status, body) {
      if (status < 200 || status >= 300) throw mapCohereError(status, body);
      const root = rec(readJson(body));
      const floats = arr(rec(root?.['embeddings'])?.['float']);
      if (!root || !floats) throw invalidResponse('cohere', status, 'no embeddings.float');
      const tokens = num(rec(rec(root['meta'])?.['billed_units'])?.['input_tokens']);
      return {
        model: '',
        embeddings: floats as number[][],
        ...(tokens !== undefined ? { usage: { inputTokens: tokens } } : {}),
      };
    },
  },
};
