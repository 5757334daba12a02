import { embeddingSize, mockEmbedding, mockTokenCount, type MockReply, type ResolvedUsage } from '../behaviour.js';
import { bearerToken, checkKey, joinTexts, sse, SSE_TYPE, type ChatView, type Dialect, type Frame } from '../dialect.js';
import { WireRequestError } from '../errors.js';
import { arr, messageTexts, num, str, type JsonRecord } from '../json-access.js';

const J = JSON.stringify;

function usageJson(u: ResolvedUsage): JsonRecord {
  const out: JsonRecord = {
    billed_units: { input_tokens: u.inputTokens - u.cachedInputTokens, output_tokens: u.outputTokens },
    tokens: { input_tokens: u.inputTokens, output_tokens: u.outputTokens },
  };
  if (u.cachedInputTokens > 0) out['cached_tokens'] = u.cachedInputTokens;
  return out;
}

const finishReason = (reply: MockReply) =>
  reply.finishReason === 'tool_calls' ? 'TOOL_CALL' : reply.finishReason === 'length' ? 'MAX_TOKENS' : 'COMPLETE';

const toolId = (reply: MockReply, i: number) => {
  const call = reply.toolCalls[i];
  return call?.id ?? `${call?.name ?? 'tool'}_mock${i}`;
};

function chatView(body: JsonRecord): ChatView {
  const model = str(body['model']);
  if (!model) throw new WireRequestError(400, 'invalid request: model must be specified');
  const messages = arr(body['messages']);
  if (!messages || messages.length === 0) throw new WireRequestError(400, 'invalid request: messages must not be empty');
  const { texts, lastUserText } = messageTexts(messages);
  const stream = body['stream'] === true;
  return {
    provider: 'cohere',
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
  const message: JsonRecord = { role: 'assistant' };
  if (reply.text.length > 0 || reply.toolCalls.length === 0) message['content'] = [{ type: 'text', text: reply.text }];
  if (reply.toolCalls.length > 0) {
    message['tool_calls'] = reply.toolCalls.map((c, i) => ({ id: toolId(reply, i), type: 'function', function: { name: c.name, arguments: c.arguments } }));
  }
  return J({ id: `mock-${reply.seq}`, finish_reason: finishReason(reply), message, usage: usageJson(reply.usage) });
}

function chatStream(reply: MockReply): Frame[] {
  const frames: Frame[] = [];
  const emit = (type: string, fields: JsonRecord, text?: string) => {
    const frame: Frame = { data: sse(J({ type, ...fields }), type) };
    if (text !== undefined) frame.text = text;
    frames.push(frame);
  };
  emit('message-start', {
    id: `mock-${reply.seq}`,
    delta: { message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] } },
  });
  if (reply.text.length > 0 || reply.toolCalls.length === 0) {
    emit('content-start', { index: 0, delta: { message: { content: { type: 'text', text: '' } } } });
    for (const text of reply.textChunks) emit('content-delta', { index: 0, delta: { message: { content: { text } } } }, text);
    emit('content-end', { index: 0 });
  }
  reply.toolCalls.forEach((call, index) => {
    emit('tool-call-start', {
      index,
      delta: { message: { tool_calls: { id: toolId(reply, index), type: 'function', function: { name: call.name, arguments: '' } } } },
    });
    for (const args of call.argumentChunks) {
      emit('tool-call-delta', { index, delta: { message: { tool_calls: { function: { arguments: args } } } } });
    }
    emit('tool-call-end', { index });
  });
  emit('message-end', { delta: { finish_reason: finishReason(reply), usage: usageJson(reply.usage) } });
  return frames;
}

/** Cohere v2 (`/v2/chat` JSON and SSE events, `/v2/embed`, `/v1/models`). */
export function cohereDialect(): Dialect {
  return {
    provider: 'cohere',
    apiRoot: '',
    streamsByDefault: false,
    route(method, path) {
      if (method === 'POST' && path === '/v2/chat') return { operation: 'chat' };
      if (method === 'POST' && path === '/v2/embed') return { operation: 'embeddings' };
      if (method === 'GET' && path === '/v1/models') return { operation: 'models' };
      return undefined;
    },
    checkAuth(ctx, apiKey, requireAuth) {
      return checkKey(bearerToken(ctx.headers), apiKey, requireAuth, 'no api key supplied', 'invalid api token');
    },
    chatRequest: chatView,
    chatJson,
    chatStream(reply) {
      return { contentType: SSE_TYPE, frames: chatStream(reply) };
    },
    embeddings(body, _ctx, behaviour) {
      const model = str(body['model']);
      if (!model) throw new WireRequestError(400, 'invalid request: model must be specified');
      const texts = arr(body['texts'])?.map((t) => str(t) ?? '') ?? [];
      if (texts.length === 0) throw new WireRequestError(400, 'invalid request: texts must not be empty');
      if (!str(body['input_type'])) throw new WireRequestError(400, 'invalid request: valid input_type must be provided with the provided model');
      const size = embeddingSize(num(body['output_dimension']), behaviour);
      const vectors = texts.map((t) => mockEmbedding(t, size));
      const embeddings: JsonRecord = {};
      for (const type of arr(body['embedding_types'])?.map((t) => str(t) ?? 'float') ?? ['float']) {
        embeddings[type] = type === 'float' ? vectors : vectors.map((v) => v.map((x) => Math.round(x * 127)));
      }
      const tokens = texts.reduce((n, t) => n + mockTokenCount(t), 0);
      return J({
        id: 'mock-embed',
        embeddings,
        texts,
        meta: { api_version: { version: '2' }, billed_units: { input_tokens: tokens } },
        response_type: 'embeddings_by_type',
      });
    },
    models(ids) {
      return J({
        models: ids.map((name) => ({ name, endpoints: ['chat', 'embed'], finetuned: false, context_length: 128_000, features: ['tools'] })),
        next_page_token: null,
      });
    },
    error(status, message) {
      return { body: J({ id: 'mock-error', message }) };
    },
  };
}
