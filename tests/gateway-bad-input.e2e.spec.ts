import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Envelope } from '@totra/events';
import { ALIAS, startHarness, type Harness } from './support/gateway-harness.js';

// Malformed and refused requests sent to a running gateway (real NATS, Redis, projector): each
// gets the right status and an error body in the shape of the API it was sent to, never a 500 or
// a stack trace, and each leaves exactly one terminal event that names it by x-request-id.

/** Small enough to cross quickly, large enough for every other request in the table. */
const BODY_LIMIT = 64 * 1024;
/** Put in the request bodies (prompts, stray fields): no event may contain it. */
const MARKER = 'bodytext-canary-7f3e1c';

type Auth = 'valid' | 'none' | 'revoked' | 'unknown' | { header: string; value: string };

interface BadCase {
  name: string;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  auth?: Auth;
  contentType?: string | null;
  /** A string is sent as is; anything else is JSON-encoded. */
  body?: unknown;
  status: number;
  shape: 'openai' | 'anthropic';
  /** OpenAI `error.type` / Anthropic `error.type`. */
  type: string;
  /** OpenAI `error.code` (OpenAI shape only). */
  code?: string;
  /** OpenAI `error.param` (OpenAI shape only); `null` when none is expected. */
  param?: string | null;
  message: RegExp;
  /** The `RequestRejected` event's reason and code. */
  event: [reason: string, code: string];
}

const user = (content: unknown = `hello ${MARKER}`) => [{ role: 'user', content }];
const chat = (extra: Record<string, unknown> = {}) => ({ model: ALIAS.openai, messages: user(), ...extra });
const anthropicChat = (extra: Record<string, unknown> = {}) => ({ model: ALIAS.anthropic, max_tokens: 64, messages: user(), ...extra });

const CHAT = '/v1/chat/completions';
const MESSAGES = '/v1/messages';

const CASES: BadCase[] = [
  // --- body framing
  { name: 'invalid JSON', path: CHAT, body: `{"model":"gpt-4o","messages":[{"role":"user","content":"${MARKER}"`, status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_json', param: null, message: /not valid JSON/, event: ['invalid_request', 'TOTRA_INVALID_JSON'] },
  { name: 'empty body', path: CHAT, body: '', status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_json', param: null, message: /body is empty/, event: ['invalid_request', 'TOTRA_INVALID_JSON'] },
  { name: 'body nested thousands of levels deep', path: CHAT, body: `{"model":"gpt-4o","messages":[{"role":"user","content":"${MARKER}","x":${'['.repeat(20_000)}${']'.repeat(20_000)}}]}`, status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_json', param: null, message: /nests arrays and objects deeper than 128 levels/, event: ['invalid_request', 'TOTRA_INVALID_JSON'] },
  { name: 'body is a JSON array', path: CHAT, body: [chat()], status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: null, message: /must be a JSON object/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'body is a JSON string', path: CHAT, body: JSON.stringify(MARKER), status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: null, message: /must be a JSON object/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'body is JSON null', path: CHAT, body: 'null', status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: null, message: /must be a JSON object/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'body over the limit', path: CHAT, body: chat({ messages: user(`${MARKER} ${'x'.repeat(BODY_LIMIT)}`) }), status: 413, shape: 'openai', type: 'invalid_request_error', code: 'body_too_large', param: null, message: new RegExp(`larger than the limit of ${BODY_LIMIT} bytes`), event: ['body_too_large', 'TOTRA_BODY_TOO_LARGE'] },
  { name: 'wrong content type', path: CHAT, contentType: 'text/plain', body: JSON.stringify(chat()), status: 415, shape: 'openai', type: 'invalid_request_error', code: 'unsupported_media_type', param: null, message: /unsupported content type text\/plain.*application\/json/, event: ['invalid_request', 'TOTRA_UNSUPPORTED_MEDIA_TYPE'] },
  { name: 'no content type', path: CHAT, contentType: null, body: JSON.stringify(chat()), status: 415, shape: 'openai', type: 'invalid_request_error', code: 'unsupported_media_type', param: null, message: /unsupported content type/, event: ['invalid_request', 'TOTRA_UNSUPPORTED_MEDIA_TYPE'] },
  // --- OpenAI chat fields
  { name: 'missing model', path: CHAT, body: { messages: user() }, status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'model', message: /model/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'empty model', path: CHAT, body: chat({ model: '' }), status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'model', message: /model/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'missing messages', path: CHAT, body: { model: ALIAS.openai, note: MARKER }, status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'messages', message: /messages/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'messages not an array', path: CHAT, body: chat({ messages: MARKER }), status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'messages', message: /messages/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'message with an unknown role', path: CHAT, body: chat({ messages: [{ role: 'wizard', content: MARKER }] }), status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'messages.0.role', message: /messages\.0/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'content of a wrong type', path: CHAT, body: chat({ messages: user(42) }), status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'messages.0.content', message: /messages\.0/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'temperature out of range', path: CHAT, body: chat({ temperature: 7 }), status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'temperature', message: /temperature/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'temperature a string', path: CHAT, body: chat({ temperature: 'hot' }), status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'temperature', message: /temperature/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'max_tokens negative', path: CHAT, body: chat({ max_tokens: -5 }), status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'max_tokens', message: /max_tokens/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'stream not a boolean', path: CHAT, body: chat({ stream: 'yes' }), status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'stream', message: /stream/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'n above 128', path: CHAT, body: chat({ n: 129 }), status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'n', message: /^n: .*128/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'n above 1 to a provider that writes one choice', path: CHAT, body: chat({ model: ALIAS.anthropic, n: 2 }), status: 400, shape: 'openai', type: 'invalid_request_error', code: 'unsupported_feature', param: null, message: /^n: anthropic writes one choice per request, and this one asks for 2; no deployment of claude-sonnet-4-5 takes this request$/, event: ['invalid_request', 'TOTRA_UNSUPPORTED_FEATURE'] },
  // --- models
  { name: 'unknown model', path: CHAT, body: chat({ model: 'no-such-model-xyz' }), status: 404, shape: 'openai', type: 'not_found_error', code: 'model_not_found', param: 'model', message: /no-such-model-xyz.*GET \/v1\/models/, event: ['unknown_model', 'TOTRA_UNKNOWN_MODEL'] },
  { name: 'model whose provider is not configured', path: CHAT, body: chat({ model: ALIAS.gemini }), status: 400, shape: 'openai', type: 'invalid_request_error', code: 'provider_not_configured', param: 'model', message: /gemini-2\.5-flash.*not configured: set GEMINI_API_KEY/, event: ['provider_not_configured', 'TOTRA_PROVIDER_NOT_CONFIGURED'] },
  // --- keys
  { name: 'missing key', path: CHAT, auth: 'none', body: chat(), status: 401, shape: 'openai', type: 'authentication_error', code: 'invalid_api_key', param: null, message: /no API key/, event: ['unauthenticated', 'TOTRA_AUTH_MISSING_KEY'] },
  { name: 'malformed Authorization header', path: CHAT, auth: { header: 'authorization', value: 'Basic dXNlcjpwYXNz' }, body: chat(), status: 401, shape: 'openai', type: 'authentication_error', code: 'invalid_api_key', param: null, message: /no API key/, event: ['unauthenticated', 'TOTRA_AUTH_MISSING_KEY'] },
  { name: 'Bearer without a key', path: CHAT, auth: { header: 'authorization', value: 'Bearer ' }, body: chat(), status: 401, shape: 'openai', type: 'authentication_error', code: 'invalid_api_key', param: null, message: /no API key/, event: ['unauthenticated', 'TOTRA_AUTH_MISSING_KEY'] },
  { name: 'unknown tt- key', path: CHAT, auth: 'unknown', body: chat(), status: 401, shape: 'openai', type: 'authentication_error', code: 'invalid_api_key', param: null, message: /^invalid API key tt-/, event: ['unauthenticated', 'TOTRA_AUTH_INVALID_KEY'] },
  { name: 'key that is not a tt- key', path: CHAT, auth: { header: 'authorization', value: 'Bearer sk-not-a-totra-key' }, body: chat(), status: 401, shape: 'openai', type: 'authentication_error', code: 'invalid_api_key', param: null, message: /^invalid API key$/, event: ['unauthenticated', 'TOTRA_AUTH_INVALID_KEY'] },
  { name: 'revoked key', path: CHAT, auth: 'revoked', body: chat(), status: 401, shape: 'openai', type: 'authentication_error', code: 'invalid_api_key', param: null, message: /was revoked/, event: ['unauthenticated', 'TOTRA_AUTH_REVOKED_KEY'] },
  // --- routes
  { name: 'unknown route under /v1', path: '/v1/nothing-here', body: chat(), status: 404, shape: 'openai', type: 'not_found_error', code: 'not_found', param: null, message: /no route for POST \/v1\/nothing-here/, event: ['not_found', 'TOTRA_NOT_FOUND'] },
  { name: 'retrieving a stored response', method: 'GET', path: '/v1/responses/resp_abc123', status: 404, shape: 'openai', type: 'not_found_error', code: 'not_found', param: null, message: /^no route for GET \/v1\/responses\/resp_abc123: the gateway stores no responses/, event: ['not_found', 'TOTRA_NOT_FOUND'] },
  { name: 'a Completions prompt of token ids', path: '/v1/completions', body: { model: ALIAS.openai, prompt: [1212, 318], user: MARKER }, status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'prompt', message: /^prompt: token ids are not taken here.*send the prompt as text$/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'a Completions echo to a chat model', path: '/v1/completions', body: { model: ALIAS.anthropic, prompt: MARKER, echo: true }, status: 400, shape: 'openai', type: 'invalid_request_error', code: 'unsupported_feature', param: null, message: /^`echo` \(of the OpenAI Completions request\) cannot be sent to anthropic: the gateway does not translate it into another API; no deployment of claude-sonnet-4-5 takes this request$/, event: ['invalid_request', 'TOTRA_UNSUPPORTED_FEATURE'] },
  { name: 'uploading a file', path: '/v1/files', body: { purpose: MARKER }, status: 404, shape: 'openai', type: 'not_found_error', code: 'not_found', param: null, message: /file storage is not served: send a PDF inline/, event: ['not_found', 'TOTRA_NOT_FOUND'] },
  { name: 'anthropic: message batches', path: '/v1/messages/batches', body: { requests: [] }, status: 404, shape: 'anthropic', type: 'not_found_error', message: /message batches are not served: send each request to POST \/v1\/messages/, event: ['not_found', 'TOTRA_NOT_FOUND'] },
  { name: 'GET on a POST route', method: 'GET', path: CHAT, status: 404, shape: 'openai', type: 'not_found_error', code: 'not_found', param: null, message: /no route for GET \/v1\/chat\/completions/, event: ['not_found', 'TOTRA_NOT_FOUND'] },
  { name: 'DELETE on a POST route', method: 'DELETE', path: '/v1/embeddings', status: 404, shape: 'openai', type: 'not_found_error', code: 'not_found', param: null, message: /no route for DELETE/, event: ['not_found', 'TOTRA_NOT_FOUND'] },
  { name: 'DELETE with a JSON content type and no body', method: 'DELETE', path: '/v1/embeddings', body: '', status: 404, shape: 'openai', type: 'not_found_error', code: 'not_found', param: null, message: /no route for DELETE/, event: ['not_found', 'TOTRA_NOT_FOUND'] },
  // --- Responses API
  { name: 'a spoken answer (chat)', path: CHAT, body: chat({ modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'wav' } }), status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'modalities', message: /^modalities: spoken answers are not supported: the gateway cannot scan what a model says in speech/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'a conversation kept at OpenAI (Responses)', path: '/v1/responses', body: { model: ALIAS.openai, input: MARKER, conversation: 'conv_abc123' }, status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'conversation', message: /^conversation is not supported: a conversation kept at the provider holds texts the gateway cannot scan/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'a background response (Responses)', path: '/v1/responses', body: { model: ALIAS.openai, input: MARKER, background: true }, status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'background', message: /^background is not supported: the gateway answers a response in the request that asks for it/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'responses without input', path: '/v1/responses', body: { model: ALIAS.openai, note: MARKER }, status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'input', message: /input/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  // --- embeddings
  { name: 'embeddings without input', path: '/v1/embeddings', body: { model: 'text-embedding-3-small', note: MARKER }, status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'input', message: /input/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'embeddings input of the wrong type', path: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: { text: MARKER } }, status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'input', message: /input/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'embeddings with an empty input', path: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: [], note: MARKER }, status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'input', message: /send at least one text/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'embeddings with an id that is not a token', path: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: [[9906, 1917], [9906, 100256]], note: MARKER }, status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'input', message: /^input\[1\]\[1\]: 100256 is not a token id of cl100k_base/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'embeddings with texts and token arrays mixed', path: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: [MARKER, [9906]] }, status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'input', message: /send texts or token ids, not both \(input\[0\] is a text, input\[1\] an array\)/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'embeddings with a fractional token id', path: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: [9906, 0.5], note: MARKER }, status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'input.1', message: /a token id is a whole number/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'embeddings with an unknown model', path: '/v1/embeddings', body: { model: 'no-such-embedder', input: MARKER }, status: 404, shape: 'openai', type: 'not_found_error', code: 'model_not_found', param: 'model', message: /GET \/v1\/models/, event: ['unknown_model', 'TOTRA_UNKNOWN_MODEL'] },
  // --- Anthropic Messages
  { name: 'anthropic: invalid JSON', path: MESSAGES, body: `{"model": "${MARKER}`, status: 400, shape: 'anthropic', type: 'invalid_request_error', message: /not valid JSON/, event: ['invalid_request', 'TOTRA_INVALID_JSON'] },
  { name: 'anthropic: body is an array', path: MESSAGES, body: [anthropicChat()], status: 400, shape: 'anthropic', type: 'invalid_request_error', message: /must be a JSON object/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'anthropic: without max_tokens', path: MESSAGES, body: { model: ALIAS.anthropic, messages: user() }, status: 400, shape: 'anthropic', type: 'invalid_request_error', message: /max_tokens/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'anthropic: bad messages entry', path: MESSAGES, body: anthropicChat({ messages: [{ role: 'system', content: MARKER }] }), status: 400, shape: 'anthropic', type: 'invalid_request_error', message: /messages\.0/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'anthropic: messages entry not an object', path: MESSAGES, body: anthropicChat({ messages: [MARKER] }), status: 400, shape: 'anthropic', type: 'invalid_request_error', message: /messages\.0/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'anthropic: unknown model', path: MESSAGES, body: anthropicChat({ model: 'claude-nonexistent' }), status: 404, shape: 'anthropic', type: 'not_found_error', message: /claude-nonexistent.*GET \/v1\/models/, event: ['unknown_model', 'TOTRA_UNKNOWN_MODEL'] },
  { name: 'anthropic: missing key', path: MESSAGES, auth: 'none', body: anthropicChat(), status: 401, shape: 'anthropic', type: 'authentication_error', message: /no API key/, event: ['unauthenticated', 'TOTRA_AUTH_MISSING_KEY'] },
  { name: 'anthropic: unknown x-api-key', path: MESSAGES, auth: { header: 'x-api-key', value: 'tt-0000000000000000000000000000000000000000' }, body: anthropicChat(), status: 401, shape: 'anthropic', type: 'authentication_error', message: /^invalid API key tt-00000/, event: ['unauthenticated', 'TOTRA_AUTH_INVALID_KEY'] },
  { name: 'anthropic: body over the limit', path: MESSAGES, body: anthropicChat({ messages: user(`${MARKER} ${'y'.repeat(BODY_LIMIT)}`) }), status: 413, shape: 'anthropic', type: 'request_too_large', message: /larger than the limit/, event: ['body_too_large', 'TOTRA_BODY_TOO_LARGE'] },
  { name: 'anthropic: wrong content type', path: MESSAGES, contentType: 'application/x-www-form-urlencoded', body: `model=x&content=${MARKER}`, status: 415, shape: 'anthropic', type: 'invalid_request_error', message: /unsupported content type/, event: ['invalid_request', 'TOTRA_UNSUPPORTED_MEDIA_TYPE'] },
  { name: 'count_tokens: bad body', path: '/v1/messages/count_tokens', body: { model: ALIAS.anthropic, messages: MARKER }, status: 400, shape: 'anthropic', type: 'invalid_request_error', message: /messages/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'count_tokens: missing key', path: '/v1/messages/count_tokens', auth: 'none', body: { model: ALIAS.anthropic, messages: user() }, status: 401, shape: 'anthropic', type: 'authentication_error', message: /no API key/, event: ['unauthenticated', 'TOTRA_AUTH_MISSING_KEY'] },
  // --- a request the provider's format cannot express: refused, the provider never asked
  { name: 'image URL to a provider that takes base64 images only', path: CHAT, body: chat({ model: ALIAS.bedrock, messages: [{ role: 'user', content: [{ type: 'text', text: MARKER }, { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }] }), status: 400, shape: 'openai', type: 'invalid_request_error', code: 'unsupported_feature', param: null, message: /bedrock accepts images as base64 data.*no deployment of nova-pro takes this request/, event: ['invalid_request', 'TOTRA_UNSUPPORTED_FEATURE'] },
  // --- content the gateway does not carry: refused by name, with what to send instead
  { name: 'a search result (Anthropic)', path: MESSAGES, body: anthropicChat({ messages: [{ role: 'user', content: [{ type: 'search_result', source: 'https://intranet.example/a', title: 'a', content: [{ type: 'text', text: MARKER }] }, { type: 'text', text: MARKER }] }] }), status: 400, shape: 'anthropic', type: 'invalid_request_error', message: /^messages\.0\.content\.0: a search result \(`search_result` content\) is not supported: .*Send its text as text content instead$/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'a file by id (Responses)', path: '/v1/responses', body: { model: ALIAS.openai, input: [{ role: 'user', content: [{ type: 'input_text', text: MARKER }, { type: 'input_file', file_id: 'file-abc' }] }] }, status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'input.0.content.1', message: /^input\.0\.content\.1: a file given by `file_id` is not supported: the gateway takes a file as a PDF given inline/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  // --- tools the provider runs, by a member of their own: refused like its server tools
  { name: "Anthropic's MCP connector", path: MESSAGES, body: anthropicChat({ mcp_servers: [{ type: 'url', url: 'https://mcp.example/sse', name: MARKER }] }), status: 400, shape: 'anthropic', type: 'invalid_request_error', message: /^mcp_servers: Anthropic's MCP connector \(`mcp_servers`\) is not supported: the gateway serves custom tools and Anthropic's client tools \(bash, the text editor, computer use, memory, and the computer and browser toolsets\), which your application runs/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: "OpenAI's web search in chat", path: CHAT, body: chat({ web_search_options: { search_context_size: 'low' } }), status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: 'web_search_options', message: /^web_search_options: OpenAI's web search \(`web_search_options`\) is not supported: the gateway serves function and custom tools/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  // --- content the scanner cannot read: refused unless a PII policy allows it (none does here)
  { name: 'a PDF document (Anthropic)', path: MESSAGES, body: anthropicChat({ messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' } }, { type: 'text', text: MARKER }] }] }), status: 422, shape: 'anthropic', type: 'invalid_request_error', message: /^the request carries content the gateway cannot scan for personal data \(a document \(Anthropic Messages `document` content\)\), and no PII policy allows sending it unscanned/, event: ['pii_blocked', 'TOTRA_PII_UNSCANNABLE'] },
  { name: 'a file (OpenAI chat)', path: CHAT, body: chat({ messages: [{ role: 'user', content: [{ type: 'text', text: MARKER }, { type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0xLjQK' } }] }] }), status: 422, shape: 'openai', type: 'invalid_request_error', code: 'pii_unscannable', param: null, message: /cannot scan for personal data \(a file \(OpenAI Chat Completions `file` content\)\).*--allow-unscannable/, event: ['pii_blocked', 'TOTRA_PII_UNSCANNABLE'] },
  // --- Azure OpenAI paths: the deployment in the path is the model
  { name: 'azure path: unknown deployment', path: '/openai/deployments/no-such-deployment/chat/completions?api-version=2024-10-21', body: { messages: user() }, status: 404, shape: 'openai', type: 'not_found_error', code: 'model_not_found', param: 'model', message: /`no-such-deployment` does not exist/, event: ['unknown_model', 'TOTRA_UNKNOWN_MODEL'] },
  { name: 'azure path: no key', path: '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21', auth: 'none', body: { messages: user() }, status: 401, shape: 'openai', type: 'authentication_error', code: 'invalid_api_key', param: null, message: /no API key: send `Authorization: Bearer <key>`, an `x-api-key` or an `api-key` header/, event: ['unauthenticated', 'TOTRA_AUTH_MISSING_KEY'] },
  // --- models (OpenAI's format, or Anthropic's Models API when the client sends anthropic-version)
  { name: 'path with a malformed escape', path: '/v1/chat/%zz', body: chat(), status: 400, shape: 'openai', type: 'invalid_request_error', code: 'invalid_request', param: null, message: /the request path \/v1\/chat\/%zz is not valid/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'chat with an embeddings model', path: CHAT, body: chat({ model: 'text-embedding-3-small' }), status: 400, shape: 'openai', type: 'invalid_request_error', code: 'wrong_model_kind', param: 'model', message: /`text-embedding-3-small` is an embeddings model: send it to POST \/v1\/embeddings/, event: ['invalid_request', 'TOTRA_WRONG_MODEL_KIND'] },
  { name: 'embeddings with a chat model', path: '/v1/embeddings', body: { model: ALIAS.openai, input: MARKER }, status: 400, shape: 'openai', type: 'invalid_request_error', code: 'wrong_model_kind', param: 'model', message: /`gpt-4o` is a chat model: POST \/v1\/embeddings takes embeddings models/, event: ['invalid_request', 'TOTRA_WRONG_MODEL_KIND'] },
  { name: 'count_tokens: unknown model', path: '/v1/messages/count_tokens', body: { model: 'claude-nonexistent', messages: user() }, status: 404, shape: 'anthropic', type: 'not_found_error', message: /claude-nonexistent.*GET \/v1\/models/, event: ['unknown_model', 'TOTRA_UNKNOWN_MODEL'] },
  { name: 'count_tokens: an embeddings model', path: '/v1/messages/count_tokens', body: { model: 'text-embedding-3-small', messages: user() }, status: 400, shape: 'anthropic', type: 'invalid_request_error', message: /is an embeddings model/, event: ['invalid_request', 'TOTRA_WRONG_MODEL_KIND'] },
  { name: 'models: retrieve an unknown model', method: 'GET', path: '/v1/models/no-such-model-xyz', status: 404, shape: 'openai', type: 'not_found_error', code: 'model_not_found', param: 'model', message: /no-such-model-xyz.*GET \/v1\/models/, event: ['unknown_model', 'TOTRA_UNKNOWN_MODEL'] },
  { name: 'anthropic models: limit out of range', method: 'GET', path: '/v1/models?limit=0', status: 400, shape: 'anthropic', type: 'invalid_request_error', message: /limit must be a whole number from 1 to 1000/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'anthropic models: both cursors', method: 'GET', path: '/v1/models?after_id=a&before_id=b', status: 400, shape: 'anthropic', type: 'invalid_request_error', message: /after_id or before_id, not both/, event: ['invalid_request', 'TOTRA_INVALID_REQUEST'] },
  { name: 'anthropic models: missing key', method: 'GET', path: '/v1/models', auth: 'none', status: 401, shape: 'anthropic', type: 'authentication_error', message: /no API key/, event: ['unauthenticated', 'TOTRA_AUTH_MISSING_KEY'] },
];

const API_OF: Record<string, string> = {
  'POST /v1/chat/completions': 'openai.chat',
  'POST /v1/responses': 'openai.responses',
  'POST /v1/completions': 'openai.completions',
  'POST /v1/embeddings': 'openai.embeddings',
  'POST /v1/messages': 'anthropic.messages',
  'POST /v1/messages/count_tokens': 'anthropic.count_tokens',
  'POST /openai/deployments/no-such-deployment/chat/completions': 'openai.chat',
  'POST /openai/deployments/gpt-4o/chat/completions': 'openai.chat',
};
/**
 * The inbound API an event names: none for a request that matched no route; the models routes
 * name the API of the client (Anthropic's when it sends anthropic-version).
 */
const apiOf = (c: BadCase): string | null => {
  const path = c.path.split('?')[0] ?? c.path;
  if ((c.method ?? 'POST') === 'GET' && path.startsWith('/v1/models')) return c.shape === 'anthropic' ? 'anthropic.models' : 'openai.models';
  return API_OF[`${c.method ?? 'POST'} ${path}`] ?? null;
};

/** A stack frame line or a source path: never in a client-facing error. */
const STACK = /(^|\\n|\n)\s*at [\w.<>]+ \(|\.[cm]?[jt]s:\d+|node_modules|file:\/\//;

interface Sent {
  c: BadCase;
  status: number;
  requestId: string | null;
  text: string;
}

describe('gateway refuses bad input cleanly', () => {
  let h: Harness;
  let revokedKey: string;
  let unknownKey: string;
  const sent: Sent[] = [];

  beforeAll(async () => {
    // Gemini is left unconfigured (its key blank) so a well-known alias needs a variable set.
    h = await startHarness({ env: { TOTRA_GATEWAY_BODY_LIMIT: String(BODY_LIMIT), GEMINI_API_KEY: '' } });
    const issued = await h.cli('keys', 'issue', '--user', 'u-bob', '--team', 't-research', '--tenant', 'acme', '--name', 'to-revoke', '--json', ...h.cliArgs);
    expect(issued.code, issued.err).toBe(0);
    const second = JSON.parse(issued.out) as { key: string; keyId: string };
    revokedKey = second.key;
    const revoked = await h.cli('keys', 'revoke', second.keyId, '--reason', 'test', ...h.cliArgs);
    expect(revoked.code, revoked.err).toBe(0);
    await h.projector.quotaHot.caughtUp();
    // The gateway learns of the revocation through its key cache: wait (bounded) until it refuses.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const res = await fetch(`${h.url}/v1/models`, { headers: { authorization: `Bearer ${revokedKey}` } });
      await res.arrayBuffer();
      if (res.status === 401) break;
      if (Date.now() > deadline) throw new Error(`the gateway still accepts the revoked key (status ${res.status})`);
      await h.projector.quotaHot.caughtUp();
    }
    // A well-formed key that was never issued: the real one with its body changed.
    unknownKey = `tt-${[...h.key.slice(3)].reverse().join('')}`;
    expect(unknownKey).not.toBe(h.key);
  });
  afterAll(async () => {
    await h?.close();
  });

  function headersFor(c: BadCase): Record<string, string> {
    const headers: Record<string, string> = {};
    const auth = c.auth ?? 'valid';
    if (auth === 'valid') headers['authorization'] = `Bearer ${h.key}`;
    else if (auth === 'revoked') headers['authorization'] = `Bearer ${revokedKey}`;
    else if (auth === 'unknown') headers['authorization'] = `Bearer ${unknownKey}`;
    else if (auth !== 'none') headers[auth.header] = auth.value;
    if (c.shape === 'anthropic') headers['anthropic-version'] = '2023-06-01';
    if (c.body !== undefined && c.contentType !== null) headers['content-type'] = c.contentType ?? 'application/json';
    return headers;
  }

  it('has a table of at least 24 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(24);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES)('$name -> $status', async (c) => {
    const body = c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
    const res = await fetch(`${h.url}${c.path}`, { method: c.method ?? 'POST', headers: headersFor(c), ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    sent.push({ c, status: res.status, requestId: res.headers.get('x-request-id'), text });

    expect(res.status, text).toBe(c.status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('x-request-id')).toMatch(/^\S{8,100}$/);
    expect(text).not.toMatch(STACK);
    // The key that was sent is never echoed (only a display prefix of a well-formed one).
    for (const k of [h.key, revokedKey, unknownKey]) expect(text).not.toContain(k.slice(8));
    const json = JSON.parse(text) as Record<string, unknown>;
    if (c.shape === 'openai') {
      expect(Object.keys(json)).toEqual(['error']);
      const error = json['error'] as Record<string, unknown>;
      expect(Object.keys(error).sort()).toEqual(['code', 'message', 'param', 'type']);
      expect(error['type']).toBe(c.type);
      expect(error['code']).toBe(c.code);
      expect(error['param']).toBe(c.param ?? null);
      expect(error['message']).toMatch(c.message);
    } else {
      expect(Object.keys(json).sort()).toEqual(['error', 'type']);
      expect(json['type']).toBe('error');
      const error = json['error'] as Record<string, unknown>;
      expect(Object.keys(error).sort()).toEqual(['message', 'type']);
      expect(error['type']).toBe(c.type);
      expect(error['message']).toMatch(c.message);
    }
    if (c.status === 401) expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('leaves exactly one terminal event per request, named by its x-request-id, with its status', async () => {
    expect(sent.length).toBe(CASES.length);
    const events: Envelope[] = await h.events();
    const terminal = events.filter((e) => e.type === 'RequestRejected' || e.type === 'RequestFailed' || e.type === 'RequestCompleted');
    const byRequest = new Map<string, Envelope[]>();
    for (const e of terminal) {
      const id = (e.data as { requestId: string }).requestId;
      byRequest.set(id, [...(byRequest.get(id) ?? []), e]);
    }
    for (const s of sent) {
      expect(s.requestId, s.c.name).not.toBeNull();
      const mine = byRequest.get(s.requestId ?? '') ?? [];
      expect(mine.length, `${s.c.name}: terminal events`).toBe(1);
      const [e] = mine as [Envelope];
      expect(e.type, s.c.name).toBe('RequestRejected');
      const data = e.data as { status: number; reason: string; code: string; api: string | null; keyId: string | null };
      expect(data.status, s.c.name).toBe(s.status);
      expect([data.reason, data.code], s.c.name).toEqual(s.c.event);
      expect(data.api, s.c.name).toBe(apiOf(s.c));
      // The caller is named (pseudonymously) exactly when its key was accepted.
      expect(data.keyId, s.c.name).toBe(s.status === 401 ? null : data.api === null ? null : h.keyId);
    }
    // Refused requests only: nothing else produced a terminal event (the revocation probe did).
    const ours = new Set(sent.map((s) => s.requestId));
    const others = terminal.filter((e) => !ours.has((e.data as { requestId: string }).requestId));
    expect(others.every((e) => e.type === 'RequestRejected' && (e.data as { status: number }).status === 401)).toBe(true);

    const log = JSON.stringify(events);
    expect(log).not.toContain(MARKER);
    for (const k of [h.key, revokedKey, unknownKey]) expect(log).not.toContain(k);
    expect(log).not.toContain('sk-not-a-totra-key');
  });

  it('keeps the chain intact', async () => {
    const report = await h.verify();
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
