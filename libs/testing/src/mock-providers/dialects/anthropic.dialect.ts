import { claudeTraits } from '@totra/providers';
import type { MockReply, ResolvedUsage } from '../behaviour.js';
import {
  bearerToken,
  checkKey,
  header,
  joinTexts,
  sse,
  SSE_TYPE,
  type ChatView,
  type Dialect,
  type Frame,
} from '../dialect.js';
import { WireRequestError } from '../errors.js';
import { arr, contentText, messageTexts, rec, str, type JsonRecord } from '../json-access.js';

const J = JSON.stringify;
const CREATED_AT = '2023-11-14T22:13:20Z';

function errorType(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    case 504:
      return 'timeout_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

function stopReason(reply: MockReply): string {
  return reply.finishReason === 'tool_calls' ? 'tool_use' : reply.finishReason === 'length' ? 'max_tokens' : 'end_turn';
}

/** Anthropic's `input_tokens` excludes cache reads and writes. */
function usageJson(u: ResolvedUsage, outputTokens: number): JsonRecord {
  return {
    input_tokens: Math.max(0, u.inputTokens - u.cachedInputTokens - u.cacheWriteInputTokens),
    cache_creation_input_tokens: u.cacheWriteInputTokens,
    cache_read_input_tokens: u.cachedInputTokens,
    // The writes by lifetime, as Anthropic reports them.
    cache_creation: { ephemeral_5m_input_tokens: u.cacheWriteInputTokens - u.cacheWrite1hInputTokens, ephemeral_1h_input_tokens: u.cacheWrite1hInputTokens },
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

const toolId = (reply: MockReply, i: number) => reply.toolCalls[i]?.id ?? `toolu_mock_${i}`;

/** A call's `caller` (Anthropic names it on every call: a direct one) and, for a toolset's tool, its `toolset_name`. */
const callMembers = (c: { toolset?: string | undefined }): JsonRecord => ({ caller: { type: 'direct' }, ...(c.toolset ? { toolset_name: c.toolset } : {}) });

/**
 * What Claude refuses by its version (Anthropic's migration guides): from 4.5, `temperature` and
 * `top_p` together; from 4.7, any of `temperature`, `top_p`, `top_k`, and a thinking budget.
 */
function checkSampling(model: string, body: JsonRecord): void {
  const traits = claudeTraits(model);
  if (traits.noSampling) {
    const sampler = ['temperature', 'top_p', 'top_k'].find((p) => body[p] !== undefined);
    if (sampler) throw new WireRequestError(400, `\`${sampler}\` is deprecated for this model.`);
    const thinking = body['thinking'];
    if (thinking !== null && typeof thinking === 'object' && (thinking as JsonRecord)['type'] === 'enabled') {
      throw new WireRequestError(400, '"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.');
    }
  } else if (traits.oneSampler && body['temperature'] !== undefined && body['top_p'] !== undefined) {
    throw new WireRequestError(400, '`temperature` and `top_p` cannot both be specified for this model. Please use only one.');
  }
}

/** The name each of Anthropic's client tools must be declared with, by its type. */
function clientToolName(type: string): string | undefined {
  if (/^bash_\d{8}$/.test(type)) return 'bash';
  if (type === 'text_editor_20241022' || type === 'text_editor_20250124') return 'str_replace_editor';
  if (/^text_editor_\d{8}$/.test(type)) return 'str_replace_based_edit_tool';
  if (/^computer_\d{8}$/.test(type)) return 'computer';
  if (/^memory_\d{8}$/.test(type)) return 'memory';
  return undefined;
}

/** As Anthropic: a custom tool has an input schema; a client tool its fixed name. */
function checkTools(body: JsonRecord): void {
  (arr(body['tools']) ?? []).forEach((raw, i) => {
    const tool = rec(raw) ?? {};
    const type = str(tool['type']);
    if (type === undefined || type === 'custom') {
      if (rec(tool['input_schema']) === undefined) throw new WireRequestError(400, `tools.${i}.custom.input_schema: Field required`);
      return;
    }
    const name = clientToolName(type);
    if (name !== undefined && tool['name'] !== name) throw new WireRequestError(400, `tools.${i}.${type}.name: Input should be '${name}'`);
  });
}

function chatView(body: JsonRecord, counting: boolean): ChatView {
  const model = str(body['model']);
  if (!model) throw new WireRequestError(400, 'model: Field required');
  if (!counting && typeof body['max_tokens'] !== 'number') throw new WireRequestError(400, 'max_tokens: Field required');
  const messages = arr(body['messages']);
  if (!messages || messages.length === 0) throw new WireRequestError(400, 'messages: at least one message is required');
  if (!counting) checkSampling(model, body);
  checkTools(body);
  const { texts, lastUserText } = messageTexts(messages, [contentText(body['system'])]);
  const stream = body['stream'] === true;
  return {
    provider: 'anthropic',
    operation: 'chat',
    model,
    stream,
    lastUserText,
    promptText: joinTexts(texts),
    hasTools: (arr(body['tools'])?.length ?? 0) > 0,
    body,
    includeUsage: stream,
  };
}

function chatJson(reply: MockReply): string {
  const content: JsonRecord[] = [];
  if (reply.text.length > 0 || reply.toolCalls.length === 0) content.push({ type: 'text', text: reply.text });
  reply.toolCalls.forEach((c, i) => content.push({ type: 'tool_use', id: toolId(reply, i), name: c.name, input: JSON.parse(c.arguments) as unknown, ...callMembers(c) }));
  return J({
    id: `msg_mock${reply.seq}`,
    type: 'message',
    role: 'assistant',
    model: reply.model,
    content,
    stop_reason: stopReason(reply),
    stop_sequence: null,
    usage: usageJson(reply.usage, reply.usage.outputTokens),
  });
}

function chatStream(reply: MockReply): Frame[] {
  const frames: Frame[] = [];
  const emit = (type: string, fields: JsonRecord, text?: string) => {
    const frame: Frame = { data: sse(J({ type, ...fields }), type) };
    if (text !== undefined) frame.text = text;
    frames.push(frame);
  };
  emit('message_start', {
    message: {
      id: `msg_mock${reply.seq}`,
      type: 'message',
      role: 'assistant',
      model: reply.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: usageJson(reply.usage, 1),
    },
  });
  let index = 0;
  if (reply.text.length > 0 || reply.toolCalls.length === 0) {
    emit('content_block_start', { index, content_block: { type: 'text', text: '' } });
    emit('ping', {});
    for (const text of reply.textChunks) emit('content_block_delta', { index, delta: { type: 'text_delta', text } }, text);
    emit('content_block_stop', { index });
    index++;
  }
  reply.toolCalls.forEach((call, i) => {
    emit('content_block_start', { index, content_block: { type: 'tool_use', id: toolId(reply, i), name: call.name, input: {}, ...callMembers(call) } });
    emit('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: '' } });
    for (const partial_json of call.argumentChunks) emit('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } });
    emit('content_block_stop', { index });
    index++;
  });
  emit('message_delta', { delta: { stop_reason: stopReason(reply), stop_sequence: null }, usage: { output_tokens: reply.usage.outputTokens } });
  emit('message_stop', {});
  return frames;
}

const modelEntry = (id: string) => ({ type: 'model', id, display_name: id, created_at: CREATED_AT });

/** Anthropic Messages API (`/v1/messages`, SSE events, `count_tokens`, `/v1/models`). */
export function anthropicDialect(): Dialect {
  return {
    provider: 'anthropic',
    apiRoot: '',
    streamsByDefault: false,
    requestIdHeader: 'request-id',
    route(method, path) {
      if (method === 'POST') {
        if (path === '/v1/messages') return { operation: 'chat' };
        if (path === '/v1/messages/count_tokens') return { operation: 'count-tokens' };
        return undefined;
      }
      if (method === 'GET') {
        if (path === '/v1/models') return { operation: 'models' };
        if (path.startsWith('/v1/models/') && path.length > 11) return { operation: 'models', pathModel: decodeURIComponent(path.slice(11)) };
      }
      return undefined;
    },
    checkAuth(ctx, apiKey, requireAuth) {
      return checkKey(header(ctx.headers, 'x-api-key') ?? bearerToken(ctx.headers), apiKey, requireAuth, 'x-api-key header is required', 'invalid x-api-key');
    },
    checkRequest(ctx) {
      if (!header(ctx.headers, 'anthropic-version')) throw new WireRequestError(400, 'anthropic-version: header is required');
    },
    chatRequest(body, ctx) {
      return chatView(body, ctx.match.operation === 'count-tokens');
    },
    chatJson,
    chatStream(reply) {
      return { contentType: SSE_TYPE, frames: chatStream(reply) };
    },
    models(ids, ctx) {
      const one = ctx.match.pathModel;
      if (one === undefined) {
        return J({ data: ids.map(modelEntry), has_more: false, first_id: ids[0] ?? null, last_id: ids[ids.length - 1] ?? null });
      }
      if (!ids.includes(one)) throw new WireRequestError(404, `model: ${one}`);
      return J(modelEntry(one));
    },
    countTokens(inputTokens) {
      return J({ input_tokens: inputTokens });
    },
    error(status, message) {
      return { body: J({ type: 'error', error: { type: errorType(status), message }, request_id: 'req_mock' }) };
    },
  };
}
