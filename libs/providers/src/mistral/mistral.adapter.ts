import { ProviderConfigError } from '../errors.js';
import { extraMembersFor, joinUrl, type Deployment, type ProviderAdapter, type ProviderHttpRequest } from '../adapters/adapter.js';
import { invalidResponse } from '../wire/error-mapping.js';
import { readJson } from '../wire/json.js';
import { decodeOpenAIChatResponse, encodeOpenAIChatRequest } from '../openai/openai-chat.codec.js';
import { createOpenAIStreamParser, decodeOpenAIEmbeddingsResponse, mapOpenAIStyleError } from '../openai/openai.adapter.js';

const MISTRAL_BASE_URL = 'https://api.mistral.ai/v1';
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function fnv1a(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Mistral accepts only tool call ids of 9 alphanumerics. Ids from other providers (`call_...`,
 * `toolu_...`) are mapped deterministically, so a call and its result still match.
 */
export function mistralToolCallId(id: string): string {
  if (/^[a-zA-Z0-9]{9}$/.test(id)) return id;
  let a = fnv1a(id, 0x811c9dc5);
  let b = fnv1a(id, 0x01234567);
  let out = '';
  for (let i = 0; i < 9; i++) {
    const source = i < 5 ? a : b;
    out += ALPHABET[source % 62];
    if (i < 5) a = Math.floor(a / 62);
    else b = Math.floor(b / 62);
  }
  return out;
}

function httpRequest(deployment: Deployment, path: string, body: string, stream: boolean): ProviderHttpRequest {
  if (!deployment.apiKey) throw new ProviderConfigError('mistral', `mistral deployment "${deployment.model}" has no API key`);
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${deployment.apiKey}` };
  if (stream) headers['accept'] = 'text/event-stream';
  if (deployment.headers) Object.assign(headers, deployment.headers);
  return { method: 'POST', url: joinUrl(deployment.baseUrl ?? MISTRAL_BASE_URL, path), headers, body };
}

/**
 * Mistral chat completions: OpenAI-like, with `max_tokens`, `random_seed`, `tool_choice: "any"`,
 * 9-character tool call ids, image URLs as plain strings, no `stream_options` (usage always comes
 * in the last chunk) and no `user` field.
 */
export const mistralAdapter: ProviderAdapter = {
  provider: 'mistral',
  wireFormat: 'openai-chat',
  // Mistral writes `n` choices like OpenAI (its input tokens counted once).
  choices: true,
  // Mistral's own members, which clients of the OpenAI SDK send through it (`extra_body`).
  foreignMembers: { 'openai-chat': new Set(['safe_prompt', 'random_seed', 'prompt_mode']) },
  buildRequest(request, deployment) {
    const unread = extraMembersFor(request, mistralAdapter);
    const body = encodeOpenAIChatRequest(request, {
      ...(unread ? { unread } : {}),
      model: deployment.model,
      maxTokensField: 'max_tokens',
      seedField: 'random_seed',
      streamUsage: false,
      mapToolCallId: mistralToolCallId,
      imageUrlAsString: true,
      provider: 'mistral',
    });
    if (body['tool_choice'] === 'required') body['tool_choice'] = 'any';
    delete body['user'];
    delete body['reasoning_effort'];
    return httpRequest(deployment, 'chat/completions', JSON.stringify(body), request.stream);
  },
  parseResponse(status, body) {
    if (status < 200 || status >= 300) throw mapOpenAIStyleError('mistral', status, body);
    const json = readJson(body);
    if (json === undefined) throw invalidResponse('mistral', status, 'body is not JSON');
    return decodeOpenAIChatResponse(json, 'mistral', status);
  },
  createStreamParser: createOpenAIStreamParser,
  mapError: (status, body, headers, nowMs) => mapOpenAIStyleError('mistral', status, body, headers, nowMs),
  embeddings: {
    buildRequest(req, deployment) {
      const body: Record<string, unknown> = { model: deployment.model, input: req.input };
      if (req.dimensions !== undefined) body['output_dimension'] = req.dimensions;
      return httpRequest(deployment, 'embeddings', JSON.stringify(body), false);
    },
    parseResponse(status, body) {
      if (status < 200 || status >= 300) throw mapOpenAIStyleError('mistral', status, body);
      return decodeOpenAIEmbeddingsResponse(readJson(body), 'mistral', status);
    },
  },
};
