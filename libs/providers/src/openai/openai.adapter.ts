import type { ChatRequest } from '../canonical/chat.js';
import type { EmbeddingsResponse } from '../canonical/embeddings.js';
import type { StreamEvent } from '../canonical/stream-event.js';
import { ProviderConfigError, UnsupportedFeatureError, type ProviderError, type ProviderErrorCode } from '../errors.js';
import {
  extraMembersFor,
  joinUrl,
  type Deployment,
  type EmbeddingsAdapter,
  type PassthroughInput,
  type PassthroughSupport,
  type ProviderAdapter,
  type ProviderHttpRequest,
  type ProviderKind,
  type StreamCutter,
} from '../adapters/adapter.js';
import { invalidResponse, looksLikeContextLength, providerError } from '../wire/error-mapping.js';
import type { HeadersLike } from '../wire/headers.js';
import { arr, bodyText, isRecord, num, readJson, rec, str } from '../wire/json.js';
import type { SseMessage } from '../wire/sse.js';
import { createSsePassthroughParser, createSseStreamParser, parseEventJson } from '../wire/stream-parser.js';
import { createOpenAIChatStreamEncoder, decodeOpenAIChatResponse, encodeOpenAIChatRequest, OpenAIChunkDecoder, type EncodeOpenAIRequestOptions } from './openai-chat.codec.js';
import { createOpenAIResponsesPassthroughParser, decodeOpenAIResponsesResponse } from './openai-responses.decode.js';
import {
  createOpenAICompletionsStreamEncoder,
  decodeOpenAICompletionsResponse,
  isOpenAICompletionModel,
  OpenAICompletionsChunkDecoder,
} from './openai-completions.codec.js';

/** Default Azure OpenAI data-plane API version (GA). */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';
const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** OpenAI-family error code/type strings -> canonical code. */
export function codeFromOpenAIError(status: number, code: string | undefined, message: string): ProviderErrorCode | undefined {
  switch (code) {
    case 'insufficient_quota':
    case 'billing_hard_limit_reached':
      return 'TOTRA_PROVIDER_QUOTA_EXCEEDED';
    case 'context_length_exceeded':
    case 'string_above_max_length':
      return 'TOTRA_PROVIDER_CONTEXT_LENGTH';
    case 'content_filter':
    case 'content_policy_violation':
    case 'ResponsibleAIPolicyViolation':
      return 'TOTRA_PROVIDER_CONTENT_FILTER';
    case 'invalid_api_key':
    case 'authentication_error':
    case 'permission_error':
      return 'TOTRA_PROVIDER_AUTH';
    case 'model_not_found':
    case 'DeploymentNotFound':
      return 'TOTRA_PROVIDER_NOT_FOUND';
    case 'rate_limit_exceeded':
    case 'rate_limit_error':
      return 'TOTRA_PROVIDER_RATE_LIMITED';
    case 'server_error':
    case 'service_unavailable':
      return 'TOTRA_PROVIDER_UNAVAILABLE';
    default:
      if (status === 400 && looksLikeContextLength(message)) return 'TOTRA_PROVIDER_CONTEXT_LENGTH';
      return undefined;
  }
}

/** Maps an OpenAI-shaped error body (`{error:{message,type,code}}`, Mistral's and plain text too). */
export function mapOpenAIStyleError(
  provider: string,
  status: number,
  body: unknown,
  headers?: HeadersLike,
  nowMs?: number,
): ProviderError {
  const json = readJson(body);
  const root = rec(json);
  const err = rec(root?.['error']) ?? root;
  const rawMessage = err?.['message'] ?? root?.['detail'];
  const message =
    typeof rawMessage === 'string' ? rawMessage : rawMessage !== undefined ? JSON.stringify(rawMessage) : bodyText(body).slice(0, 500);
  const codeValue = err?.['code'];
  const providerCode = (typeof codeValue === 'string' ? codeValue : undefined) ?? str(err?.['type']);
  const innerCode = str(rec(err?.['innererror'])?.['code']);
  const code =
    codeFromOpenAIError(status, innerCode, message) ??
    codeFromOpenAIError(status, typeof codeValue === 'string' ? codeValue : undefined, message) ??
    codeFromOpenAIError(status, str(err?.['type']), message);
  return providerError({ provider, status, message, providerCode, code, headers, nowMs });
}

function streamErrorCode(message: string, type: string | undefined): ProviderErrorCode {
  return codeFromOpenAIError(0, type, message) ?? 'TOTRA_PROVIDER_UNAVAILABLE';
}

/** Stream parser for OpenAI-format SSE (`data: {chunk}` ... `data: [DONE]`). */
export function createOpenAIStreamParser() {
  const decoder = new OpenAIChunkDecoder(streamErrorCode);
  return createSseStreamParser((m, out) => {
    if (m.data === '[DONE]') return;
    const value = parseEventJson(m.data, out);
    if (value !== undefined) decoder.decode(value, out);
  });
}

function createOpenAIPassthroughParser(options?: { stripUsageChunk?: boolean }) {
  return chunkPassthroughParser(new OpenAIChunkDecoder(streamErrorCode), options);
}

/**
 * An OpenAI-style stream (`data: {chunk}` ... `data: [DONE]`), forwarded message by message while
 * `decoder` reads it; with `stripUsageChunk`, the usage-only chunk the gateway asked for (and the
 * client did not) is not forwarded.
 */
function chunkPassthroughParser(decoder: { decode(value: unknown, out: StreamEvent[]): void }, options?: { stripUsageChunk?: boolean }) {
  const strip = options?.stripUsageChunk === true;
  return createSsePassthroughParser((m: SseMessage, out: StreamEvent[]) => {
    if (m.data === '[DONE]') return true;
    const value = parseEventJson(m.data, out);
    if (value === undefined) return true;
    decoder.decode(value, out);
    if (!strip) return true;
    const chunk = rec(value);
    const choices = arr(chunk?.['choices']);
    return !(choices && choices.length === 0 && isRecord(chunk?.['usage']));
  });
}

interface Variant {
  provider: ProviderKind;
  url(deployment: Deployment, path: ApiPath): string;
  headers(deployment: Deployment): Record<string, string>;
  encode: Omit<EncodeOpenAIRequestOptions, 'model'>;
  /** Whether the body names the model (Azure takes it from the URL). */
  modelInBody: boolean;
  /** The provider serves the Responses API, which takes a Responses client's body (ADR 0029). */
  responses?: boolean;
  /** It takes OpenAI's custom tools (`ProviderAdapter.customTools`, ADR 0036). */
  customTools?: boolean;
  /** The response header naming the provider's request (`ProviderAdapter.requestIdHeader`). */
  requestIdHeader?: string;
  /** Its embedding models take `cl100k_base` token arrays as input (`EmbeddingsAdapter.takesTokens`). */
  embeddingTokens?: string;
  /** The deployments whose model the provider serves through its Completions API (ADR 0045). */
  completions(deployment: Deployment): boolean;
}

type ApiPath = 'chat/completions' | 'embeddings' | 'responses' | 'completions';

/**
 * OpenAI's completion models answer the Completions API only: a chat or Responses request for one
 * is refused before it is sent (a 400 that names the API to use), not sent to fail at OpenAI.
 */
function refuseCompletionModel(variant: Variant, deployment: Deployment): void {
  const model = deployment.baseModel ?? deployment.model;
  if (variant.provider === 'openai-compatible' || !isOpenAICompletionModel(model)) return;
  throw new UnsupportedFeatureError(
    variant.provider,
    'model',
    `model: ${model} is one of OpenAI's completion models, which answer the Completions API only: send a prompt to POST /v1/completions`,
  );
}

function requireKey(provider: string, deployment: Deployment): string {
  if (!deployment.apiKey) throw new ProviderConfigError(provider, `${provider} deployment "${deployment.model}" has no API key`);
  return deployment.apiKey;
}

const openaiVariant: Variant = {
  provider: 'openai',
  url: (d, path) => joinUrl(d.baseUrl ?? OPENAI_BASE_URL, path),
  headers: (d) => {
    const h: Record<string, string> = { authorization: `Bearer ${requireKey('openai', d)}` };
    if (d.organization) h['openai-organization'] = d.organization;
    if (d.project) h['openai-project'] = d.project;
    return h;
  },
  encode: { maxTokensField: 'max_completion_tokens', provider: 'openai', documents: true },
  modelInBody: true,
  responses: true,
  customTools: true,
  requestIdHeader: 'x-request-id',
  embeddingTokens: 'cl100k_base',
  // OpenAI's chat models refuse the Completions API: only its completion models are sent there.
  completions: (d) => isOpenAICompletionModel(d.baseModel ?? d.model),
};

const azureVariant: Variant = {
  provider: 'azure-openai',
  url: (d, path) => {
    if (!d.baseUrl) throw new ProviderConfigError('azure-openai', `azure-openai deployment "${d.model}" needs baseUrl (https://<resource>.openai.azure.com)`);
    // The Responses API is Azure's v1 API: OpenAI's path under /openai/v1, the deployment named
    // by the body's `model`, no api-version.
    if (path === 'responses') return joinUrl(d.baseUrl, 'openai/v1/responses');
    const version = encodeURIComponent(d.apiVersion ?? AZURE_DEFAULT_API_VERSION);
    return joinUrl(d.baseUrl, `openai/deployments/${encodeURIComponent(d.model)}/${path}?api-version=${version}`);
  },
  headers: (d) => ({ 'api-key': requireKey('azure-openai', d) }),
  encode: { maxTokensField: 'max_completion_tokens', provider: 'azure-openai', documents: true },
  modelInBody: false,
  responses: true,
  customTools: true,
  requestIdHeader: 'apim-request-id',
  embeddingTokens: 'cl100k_base',
  completions: (d) => isOpenAICompletionModel(d.baseModel ?? d.model),
};

const compatibleVariant: Variant = {
  provider: 'openai-compatible',
  url: (d, path) => {
    if (!d.baseUrl) throw new ProviderConfigError('openai-compatible', `openai-compatible deployment "${d.model}" needs baseUrl`);
    return joinUrl(d.baseUrl, path);
  },
  // Local servers (vLLM, llama.cpp) often run without a key.
  headers: (d): Record<string, string> => (d.apiKey ? { authorization: `Bearer ${d.apiKey}` } : {}),
  encode: { maxTokensField: 'max_tokens', allowTopK: true, provider: 'openai-compatible' },
  modelInBody: true,
  // vLLM, llama.cpp, Together ... serve every model through it: a base model's prompt stays raw,
  // where a chat request would wrap it in the model's chat template.
  completions: () => true,
};

function httpRequest(variant: Variant, deployment: Deployment, path: ApiPath, body: string | Uint8Array, stream: boolean): ProviderHttpRequest {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...variant.headers(deployment) };
  if (stream) headers['accept'] = 'text/event-stream';
  if (deployment.headers) Object.assign(headers, deployment.headers);
  return { method: 'POST', url: variant.url(deployment, path), headers, body };
}

function embeddingsAdapter(variant: Variant): EmbeddingsAdapter {
  const takesTokens = variant.embeddingTokens;
  return {
    ...(takesTokens ? { takesTokens } : {}),
    buildRequest(req, deployment) {
      const body: Record<string, unknown> = {};
      if (variant.modelInBody) body['model'] = deployment.model;
      // The client's token ids go as they came where the provider reads them in their encoding: the
      // vectors are those the client would have had without the gateway (ADR 0032).
      body['input'] = req.tokens && req.tokens.encoding === takesTokens ? req.tokens.arrays : req.input;
      body['encoding_format'] = 'float';
      if (req.dimensions !== undefined) body['dimensions'] = req.dimensions;
      if (req.user !== undefined) body['user'] = req.user;
      return httpRequest(variant, deployment, 'embeddings', JSON.stringify(body), false);
    },
    parseResponse(status, body) {
      if (status < 200 || status >= 300) throw mapOpenAIStyleError(variant.provider, status, body);
      return decodeOpenAIEmbeddingsResponse(readJson(body), variant.provider, status);
    },
  };
}

/** OpenAI embeddings response JSON -> canonical (vectors ordered by `index`). */
export function decodeOpenAIEmbeddingsResponse(json: unknown, provider = 'openai', status = 200): EmbeddingsResponse {
  const root = rec(json);
  const data = arr(root?.['data']);
  if (!root || !data) throw invalidResponse(provider, status, 'no data[]');
  const embeddings: number[][] = [];
  data.forEach((item, position) => {
    const r = rec(item);
    const vector = arr(r?.['embedding']);
    if (!vector) throw invalidResponse(provider, status, `data[${position}].embedding is not a float array`);
    embeddings[num(r?.['index']) ?? position] = vector as number[];
  });
  const response: EmbeddingsResponse = { model: str(root['model']) ?? '', embeddings };
  const usage = rec(root['usage']);
  const input = num(usage?.['prompt_tokens']);
  if (input !== undefined) response.usage = { inputTokens: input };
  return response;
}

/**
 * A client's body of OpenAI's chat or Completions API as the provider gets it: as it came, but
 * for the deployment's model id (where the body names it), the usage of a stream (which the
 * gateway needs), and the members of `set` (a budget's lower output limit); re-serialised only
 * when one of these changes it.
 */
function clientBody(variant: Variant, input: PassthroughInput, deployment: Deployment, set?: Record<string, unknown>): string | Uint8Array {
  const parsed = input.parsed;
  const needsModel = variant.modelInBody && parsed['model'] !== deployment.model;
  const options = rec(parsed['stream_options']);
  const needsUsage = parsed['stream'] === true && options?.['include_usage'] !== true;
  if (!needsModel && !needsUsage && !set) return input.raw;
  const patched: Record<string, unknown> = { ...parsed, ...set };
  if (needsModel) patched['model'] = deployment.model;
  if (needsUsage) patched['stream_options'] = { ...options, include_usage: true };
  return JSON.stringify(patched);
}

function passthrough(variant: Variant): PassthroughSupport {
  return {
    inbound: 'openai-chat',
    buildRequest(input, deployment) {
      refuseCompletionModel(variant, deployment);
      return httpRequest(variant, deployment, 'chat/completions', clientBody(variant, input, deployment), input.parsed['stream'] === true);
    },
    createStreamParser: createOpenAIPassthroughParser,
    createStreamCutter: ({ includeUsage, legacyFunctions }) => createOpenAIChatStreamCutter(includeUsage, legacyFunctions === true),
  };
}

/**
 * A Responses API client's body, to the provider's Responses API as it came (ADR 0029): the model
 * id is replaced by the deployment's (on Azure too: its v1 API names the deployment in the body),
 * and a body that does not say `store` (or says `null`) gets `store: false`: the Responses API keeps what it is not
 * told to forget, where Chat Completions keeps nothing unasked, and the gateway serves no stored
 * response. A stream's usage comes in its last event, unasked.
 */
function responsesPassthrough(variant: Variant): PassthroughSupport {
  return {
    inbound: 'openai-responses',
    takesOutputLimit: true,
    buildRequest(input, deployment) {
      refuseCompletionModel(variant, deployment);
      const parsed = input.parsed;
      const needsModel = parsed['model'] !== deployment.model;
      const needsStore = parsed['store'] === undefined || parsed['store'] === null;
      const limit = input.maxOutputTokens !== undefined ? { max_output_tokens: input.maxOutputTokens } : {};
      const body =
        needsModel || needsStore || input.maxOutputTokens !== undefined
          ? JSON.stringify({ ...parsed, model: deployment.model, ...(needsStore ? { store: false } : {}), ...limit })
          : input.raw;
      return httpRequest(variant, deployment, 'responses', body, parsed['stream'] === true);
    },
    createStreamParser: () => createOpenAIResponsesPassthroughParser(streamErrorCode),
    parseResponse(status, body) {
      if (status < 200 || status >= 300) throw mapOpenAIStyleError(variant.provider, status, body);
      return decodeOpenAIResponsesResponse(body, variant.provider, status);
    },
  };
}

/**
 * A Completions client's body, to the provider's Completions API as it came (ADR 0045), for the
 * deployments whose model that API serves: the model id is the deployment's, a stream asks for
 * its usage, and a budget's lower output limit is written into `max_tokens`.
 */
function completionsPassthrough(variant: Variant): PassthroughSupport {
  return {
    inbound: 'openai-completions',
    accepts: variant.completions,
    takesOutputLimit: true,
    buildRequest(input, deployment) {
      const limit = input.maxOutputTokens !== undefined ? { max_tokens: input.maxOutputTokens } : undefined;
      return httpRequest(variant, deployment, 'completions', clientBody(variant, input, deployment, limit), input.parsed['stream'] === true);
    },
    createStreamParser: (options) => chunkPassthroughParser(new OpenAICompletionsChunkDecoder(streamErrorCode), options),
    createStreamCutter: ({ includeUsage }) => encoderCutter(createOpenAICompletionsStreamEncoder({ includeUsage })),
    parseResponse(status, body) {
      if (status < 200 || status >= 300) throw mapOpenAIStyleError(variant.provider, status, body);
      const json = readJson(body);
      if (json === undefined) throw invalidResponse(variant.provider, status, 'body is not JSON');
      return decodeOpenAICompletionsResponse(json, variant.provider, status);
    },
  };
}

/**
 * Ends a metered OpenAI chat stream at its cut (ADR 0020): the chat encoder is shown the events
 * of the forwarded chunks (it learns the provider's chunk id, model and creation time, and the
 * usage so far), then writes the cut chunk, the finish (`length`), the usage chunk when the client
 * asked for it, and `[DONE]`.
 */
function createOpenAIChatStreamCutter(includeUsage: boolean, legacyFunctions: boolean): StreamCutter {
  return encoderCutter(createOpenAIChatStreamEncoder({ includeUsage, legacyFunctions }));
}

/** A cutter that writes the end of a stream with the encoder of its format, shown the forwarded messages first. */
function encoderCutter(encoder: { push(event: StreamEvent): string; end(): string }): StreamCutter {
  return {
    forwarded(m) {
      for (const e of m.events) encoder.push(e);
    },
    cut(events) {
      let out = '';
      for (const e of events) out += encoder.push(e);
      return out + encoder.end();
    },
  };
}

function createAdapter(variant: Variant): ProviderAdapter {
  const mapError = (status: number, body: unknown, headers?: HeadersLike, nowMs?: number) =>
    mapOpenAIStyleError(variant.provider, status, body, headers, nowMs);
  const adapter: ProviderAdapter = {
    provider: variant.provider,
    wireFormat: 'openai-chat',
    buildRequest(request: ChatRequest, deployment: Deployment) {
      refuseCompletionModel(variant, deployment);
      const unread = extraMembersFor(request, adapter);
      const body = encodeOpenAIChatRequest(request, {
        ...variant.encode,
        ...(variant.modelInBody ? { model: deployment.model } : {}),
        // OpenAI takes `metadata` only with `store: true` (stored completions): sent with it.
        sendMetadata: unread?.['store'] === true,
        sendOpaque: true,
        ...(unread ? { unread } : {}),
      });
      return httpRequest(variant, deployment, 'chat/completions', JSON.stringify(body), request.stream);
    },
    parseResponse(status, body) {
      if (status < 200 || status >= 300) throw mapError(status, body);
      const json = readJson(body);
      if (json === undefined) throw invalidResponse(variant.provider, status, 'body is not JSON');
      return decodeOpenAIChatResponse(json, variant.provider, status);
    },
    createStreamParser: createOpenAIStreamParser,
    mapError,
    embeddings: embeddingsAdapter(variant),
    passthrough: passthrough(variant),
    passthroughs: [...(variant.responses ? [responsesPassthrough(variant)] : []), completionsPassthrough(variant)],
    documents: variant.encode.documents === true,
    choices: true,
    ...(variant.customTools ? { customTools: true } : {}),
    ...(variant.requestIdHeader ? { requestIdHeader: variant.requestIdHeader } : {}),
  };
  return adapter;
}

/** OpenAI (api.openai.com or a proxy given as `baseUrl`). Bearer key, `max_completion_tokens`. */
export const openaiAdapter: ProviderAdapter = createAdapter(openaiVariant);
/** Azure OpenAI: `/openai/deployments/{model}/...?api-version=`, `api-key` header. */
export const azureOpenAIAdapter: ProviderAdapter = createAdapter(azureVariant);
/** Any OpenAI-compatible server (vLLM, Together, Groq, llama.cpp ...): `baseUrl` required, key optional. */
export const openaiCompatibleAdapter: ProviderAdapter = createAdapter(compatibleVariant);
