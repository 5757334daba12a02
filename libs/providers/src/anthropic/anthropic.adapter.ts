import type { StreamEvent } from '../canonical/stream-event.js';
import { ProviderConfigError, type ProviderError } from '../errors.js';
import { extraMembersFor, joinUrl, type Deployment, type PassthroughMessage, type PassthroughStreamParser, type ProviderAdapter, type ProviderHttpRequest } from '../adapters/adapter.js';
import { invalidResponse, providerError } from '../wire/error-mapping.js';
import type { HeadersLike } from '../wire/headers.js';
import { bodyText, num, readJson, rec, str } from '../wire/json.js';
import { createSsePassthroughParser, createSseStreamParser, parseEventJson, type MessageFramer } from '../wire/stream-parser.js';
import { claudeTraits } from './claude-models.js';
import { AnthropicEventDecoder, codeFromAnthropicErrorType, createAnthropicStreamCutter, decodeAnthropicResponse, encodeAnthropicRequest, limitMessagesBody } from './anthropic.codec.js';

export const ANTHROPIC_DEFAULT_VERSION = '2023-06-01';
const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';

/** Maps an Anthropic error body (`{type:"error",error:{type,message}}`). */
export function mapAnthropicError(provider: string, status: number, body: unknown, headers?: HeadersLike, nowMs?: number): ProviderError {
  const root = rec(readJson(body));
  const err = rec(root?.['error']);
  const type = str(err?.['type']);
  const message = str(err?.['message']) ?? str(root?.['message']) ?? bodyText(body).slice(0, 500);
  return providerError({ provider, status, message, providerCode: type, code: codeFromAnthropicErrorType(type), headers, nowMs });
}

function httpRequest(deployment: Deployment, body: string | Uint8Array, stream: boolean, betas: readonly string[] | undefined): ProviderHttpRequest {
  if (!deployment.apiKey) throw new ProviderConfigError('anthropic', `anthropic deployment "${deployment.model}" has no API key`);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-api-key': deployment.apiKey,
    'anthropic-version': deployment.apiVersion ?? ANTHROPIC_DEFAULT_VERSION,
  };
  if (stream) headers['accept'] = 'text/event-stream';
  if (deployment.headers) Object.assign(headers, deployment.headers);
  // The client's betas, with those the deployment switches on for every request.
  if (betas?.length) headers['anthropic-beta'] = [...new Set([...(headers['anthropic-beta']?.split(',').map((b) => b.trim()) ?? []), ...betas])].filter(Boolean).join(',');
  // `baseUrl` is the API root without `/v1`, like the Anthropic SDK's baseURL.
  return { method: 'POST', url: joinUrl(deployment.baseUrl ?? ANTHROPIC_BASE_URL, 'v1/messages'), headers, body };
}

/** Notes the content block an Anthropic stream event opens or closes (for a stream cutter). */
function noteBlock(value: unknown, entry: PassthroughMessage): void {
  const e = rec(value);
  const type = e?.['type'];
  if (type !== 'content_block_start' && type !== 'content_block_stop') return;
  const index = num(e?.['index']);
  if (index === undefined) return;
  entry.block = type === 'content_block_stop' ? { index, stop: true } : { index, start: str(rec(e?.['content_block'])?.['type']) ?? 'unknown' };
}

/**
 * A pass-through parser of Anthropic Messages stream events: as SSE from Anthropic, or read from
 * another framing by `framer` (Bedrock's event stream of the same events).
 */
export function createAnthropicPassthroughParser(framer?: MessageFramer): PassthroughStreamParser {
  const decoder = new AnthropicEventDecoder();
  return createSsePassthroughParser(
    (m, out, entry) => {
      const value = parseEventJson(m.data, out);
      if (value === undefined) return true;
      decoder.decode(value, out);
      if (entry) noteBlock(value, entry);
      return true;
    },
    undefined,
    framer,
  );
}

function createDecoderHandler() {
  const decoder = new AnthropicEventDecoder();
  return (data: string, out: StreamEvent[]) => {
    const value = parseEventJson(data, out);
    if (value !== undefined) decoder.decode(value, out);
  };
}

/** Anthropic Messages API: `x-api-key`, `anthropic-version`, SSE streaming. */
export const anthropicAdapter: ProviderAdapter = {
  provider: 'anthropic',
  wireFormat: 'anthropic-messages',
  documents: true,
  requestIdHeader: 'request-id',
  buildRequest(request, deployment) {
    const unread = extraMembersFor(request, anthropicAdapter);
    const body = encodeAnthropicRequest(request, { model: deployment.model, claude: claudeTraits(deployment.model), ...(unread ? { unread } : {}) });
    return httpRequest(deployment, JSON.stringify(body), request.stream, request.betas);
  },
  parseResponse(status, body) {
    if (status < 200 || status >= 300) throw mapAnthropicError('anthropic', status, body);
    const json = readJson(body);
    if (json === undefined) throw invalidResponse('anthropic', status, 'body is not JSON');
    return decodeAnthropicResponse(json, 'anthropic', status);
  },
  createStreamParser() {
    const handle = createDecoderHandler();
    return createSseStreamParser((m, out) => handle(m.data, out));
  },
  mapError: (status, body, headers, nowMs) => mapAnthropicError('anthropic', status, body, headers, nowMs),
  passthrough: {
    inbound: 'anthropic-messages',
    takesOutputLimit: true,
    buildRequest(input, deployment) {
      const stream = input.parsed['stream'] === true;
      const parsed = input.maxOutputTokens === undefined ? input.parsed : limitMessagesBody(input.parsed, input.maxOutputTokens);
      const body = parsed === input.parsed && parsed['model'] === deployment.model ? input.raw : JSON.stringify({ ...parsed, model: deployment.model });
      return httpRequest(deployment, body, stream, input.betas);
    },
    createStreamParser: () => createAnthropicPassthroughParser(),
    createStreamCutter: () => createAnthropicStreamCutter(),
  },
};
