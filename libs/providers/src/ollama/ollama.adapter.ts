import type { ChatRequest, ChatResponse, FinishReason, ToolCall } from '../canonical/chat.js';
import { opaqueRefusal } from '../canonical/extra.js';
import { mergeUsage, type StreamEvent, type UsageUpdate } from '../canonical/stream-event.js';
import { UnsupportedFeatureError, type ProviderError } from '../errors.js';
import { joinUrl, type Deployment, type ProviderAdapter, type ProviderHttpRequest } from '../adapters/adapter.js';
import { invalidResponse, providerError } from '../wire/error-mapping.js';
import type { HeadersLike } from '../wire/headers.js';
import { arr, bodyText, isRecord, num, parseArguments, readJson, rec, str, type JsonRecord } from '../wire/json.js';
import { createNdjsonStreamParser } from '../wire/stream-parser.js';
import { offeredTools } from '../canonical/helpers.js';

const OLLAMA_BASE_URL = 'http://localhost:11434';

/** Canonical request -> Ollama `/api/chat` body. */
export function encodeOllamaRequest(request: ChatRequest, model: string): JsonRecord {
  const req = offeredTools(request);
  const messages: JsonRecord[] = [];
  const toolNames = new Map<string, string>();
  for (const m of req.messages) {
    if (m.role === 'system' || m.role === 'developer') {
      messages.push({ role: 'system', content: m.content.map((p) => p.text).join('\n') });
      continue;
    }
    if (m.role === 'assistant') {
      const msg: JsonRecord = { role: 'assistant', content: m.content.map((p) => (p.type === 'text' ? p.text : '')).join('') };
      if (m.toolCalls && m.toolCalls.length > 0) {
        msg['tool_calls'] = m.toolCalls.map((c) => {
          toolNames.set(c.id, c.name);
          return { function: { name: c.name, arguments: parseArguments(c.arguments) } };
        });
      }
      messages.push(msg);
      continue;
    }
    let text = '';
    const images: string[] = [];
    for (const p of m.content) {
      if (p.type === 'text') text += p.text;
      else if (p.type === 'opaque') throw opaqueRefusal('ollama', p);
      else if (p.source.type === 'base64') images.push(p.source.data);
      else throw new UnsupportedFeatureError('ollama', 'image URLs', 'ollama accepts images as base64 data only');
    }
    const msg: JsonRecord = { role: m.role, content: text };
    if (images.length > 0) msg['images'] = images;
    if (m.role === 'tool') {
      const name = m.name ?? toolNames.get(m.toolCallId);
      if (name) msg['tool_name'] = name;
    }
    messages.push(msg);
  }
  // Ollama streams unless told otherwise.
  const body: JsonRecord = { model, messages, stream: req.stream };
  if (req.tools && req.tools.length > 0 && req.toolChoice?.type !== 'none') {
    const tools = req.toolChoice?.type === 'tool' ? req.tools.filter((t) => t.name === (req.toolChoice as { name: string }).name) : req.tools;
    body['tools'] = tools.map((t) => ({
      type: 'function',
      function: { name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), parameters: t.parameters },
    }));
  }
  if (req.responseFormat?.type === 'json_object') body['format'] = 'json';
  else if (req.responseFormat?.type === 'json_schema') body['format'] = req.responseFormat.schema;
  if (req.reasoning) body['think'] = req.reasoning.effort !== 'none';
  const options: JsonRecord = {};
  if (req.temperature !== undefined) options['temperature'] = req.temperature;
  if (req.topP !== undefined) options['top_p'] = req.topP;
  if (req.topK !== undefined) options['top_k'] = req.topK;
  if (req.maxTokens !== undefined) options['num_predict'] = req.maxTokens;
  if (req.stop && req.stop.length > 0) options['stop'] = req.stop;
  if (req.seed !== undefined) options['seed'] = req.seed;
  if (req.frequencyPenalty !== undefined) options['frequency_penalty'] = req.frequencyPenalty;
  if (req.presencePenalty !== undefined) options['presence_penalty'] = req.presencePenalty;
  if (Object.keys(options).length > 0) body['options'] = options;
  return body;
}

function finishFromOllama(reason: string | undefined, sawToolCall: boolean): FinishReason {
  if (reason === 'length') return 'length';
  return sawToolCall ? 'tool_calls' : 'stop';
}

function usageFromOllama(root: JsonRecord): UsageUpdate | undefined {
  const input = num(root['prompt_eval_count']);
  const output = num(root['eval_count']);
  if (input === undefined && output === undefined) return undefined;
  return { inputTokens: input ?? 0, outputTokens: output ?? 0 };
}

function createdSeconds(root: JsonRecord): number {
  const at = str(root['created_at']);
  const ms = at ? Date.parse(at) : Number.NaN;
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

function toolCallsOf(message: JsonRecord | undefined, offset: number): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const raw of arr(message?.['tool_calls']) ?? []) {
    const c = rec(raw);
    const fn = rec(c?.['function']);
    if (!fn) continue;
    const args = fn['arguments'];
    calls.push({
      id: str(c?.['id']) ?? `call_${offset + calls.length}`,
      name: str(fn['name']) ?? '',
      arguments: typeof args === 'string' ? args : JSON.stringify(isRecord(args) ? args : {}),
    });
  }
  return calls;
}

/** Ollama `/api/chat` non-streaming response -> canonical. */
export function decodeOllamaResponse(json: unknown, status = 200): ChatResponse {
  const root = rec(json);
  const message = rec(root?.['message']);
  if (!root || !message) throw invalidResponse('ollama', status, 'no message');
  const toolCalls = toolCallsOf(message, 0);
  const reason = str(root['done_reason']);
  const response: ChatResponse = {
    id: '',
    model: str(root['model']) ?? '',
    created: createdSeconds(root),
    text: str(message['content']) ?? '',
    toolCalls,
    finishReason: finishFromOllama(reason, toolCalls.length > 0),
  };
  if (reason !== undefined) response.providerFinishReason = reason;
  const thinking = str(message['thinking']);
  if (thinking) response.reasoning = [{ type: 'reasoning', text: thinking }];
  const usage = usageFromOllama(root);
  if (usage) response.usage = mergeUsage(undefined, usage);
  return response;
}

/** Maps an Ollama error (`{"error":"..."}`). */
export function mapOllamaError(status: number, body: unknown, headers?: HeadersLike, nowMs?: number): ProviderError {
  const root = rec(readJson(body));
  const message = str(root?.['error']) ?? bodyText(body).slice(0, 500);
  return providerError({ provider: 'ollama', status, message, headers, nowMs });
}

function httpRequest(deployment: Deployment, path: string, body: string, stream: boolean): ProviderHttpRequest {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (stream) headers['accept'] = 'application/x-ndjson';
  if (deployment.apiKey) headers['authorization'] = `Bearer ${deployment.apiKey}`;
  if (deployment.headers) Object.assign(headers, deployment.headers);
  return { method: 'POST', url: joinUrl(deployment.baseUrl ?? OLLAMA_BASE_URL, path), headers, body };
}

/** Ollama native API: `/api/chat` (NDJSON streaming) and `/api/embed`. */
export const ollamaAdapter: ProviderAdapter = {
  provider: 'ollama',
  wireFormat: 'ollama',
  buildRequest(request, deployment) {
    return httpRequest(deployment, 'api/chat', JSON.stringify(encodeOllamaRequest(request, deployment.model)), request.stream);
  },
  parseResponse(status, body) {
    if (status < 200 || status >= 300) throw mapOllamaError(status, body);
    const json = readJson(body);
    if (json === undefined) throw invalidResponse('ollama', status, 'body is not JSON');
    return decodeOllamaResponse(json, status);
  },
  createStreamParser() {
    let started = false;
    let tools = 0;
    return createNdjsonStreamParser((value, out: StreamEvent[]) => {
      const root = rec(value);
      if (!root) return;
      const error = str(root['error']);
      if (error !== undefined) {
        out.push({ type: 'error', code: 'TOTRA_PROVIDER_UNAVAILABLE', message: error });
        return;
      }
      if (!started) {
        started = true;
        out.push({ type: 'message_start', id: '', model: str(root['model']) ?? '', created: createdSeconds(root) });
      }
      const message = rec(root['message']);
      const thinking = str(message?.['thinking']);
      if (thinking) out.push({ type: 'reasoning_delta', text: thinking });
      const content = str(message?.['content']);
      if (content) out.push({ type: 'text_delta', text: content });
      for (const call of toolCallsOf(message, tools)) {
        const index = tools++;
        out.push({ type: 'tool_call_start', index, id: call.id, name: call.name }, { type: 'tool_call_delta', index, argumentsDelta: call.arguments });
      }
      if (root['done'] === true) {
        const reason = str(root['done_reason']);
        out.push({ type: 'finish', finishReason: finishFromOllama(reason, tools > 0), ...(reason !== undefined ? { providerFinishReason: reason } : {}) });
        const usage = usageFromOllama(root);
        if (usage) out.push({ type: 'usage', usage });
      }
    });
  },
  mapError: mapOllamaError,
  embeddings: {
    buildRequest(req, deployment) {
      const body: JsonRecord = { model: deployment.model, input: req.input };
      if (req.dimensions !== undefined) body['dimensions'] = req.dimensions;
      return httpRequest(deployment, 'api/embed', JSON.stringify(body), false);
    },
    parseResponse(status, body) {
      if (status < 200 || status >= 300) throw mapOllamaError(status, body);
      const root = rec(readJson(body));
      const list = arr(root?.['embeddings']);
      if (!root || !list) throw invalidResponse('ollama', status, 'no embeddings[]');
      const tokens = num(root['prompt_eval_count']);
      return { model: str(root['model']) ?? '', embeddings: list as number[][], ...(tokens !== undefined ? { usage: { inputTokens: tokens } } : {}) };
    },
  },
};
