import { embeddingSize, mockEmbedding, mockTokenCount, type MockReply } from '../behaviour.js';
import { bearerToken, checkKey, joinTexts, type ChatView, type Dialect, type Frame } from '../dialect.js';
import { WireRequestError } from '../errors.js';
import { arr, messageTexts, num, str, type JsonRecord } from '../json-access.js';

const J = JSON.stringify;
const CREATED_AT = '2023-11-14T22:13:20Z';

function chatView(body: JsonRecord): ChatView {
  const model = str(body['model']);
  if (!model) throw new WireRequestError(400, 'model is required');
  const messages = arr(body['messages']);
  if (!messages) throw new WireRequestError(400, 'messages is required');
  const { texts, lastUserText } = messageTexts(messages);
  // Ollama streams unless told otherwise.
  const stream = body['stream'] !== false;
  return {
    provider: 'ollama',
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

function toolCalls(reply: MockReply): JsonRecord[] {
  return reply.toolCalls.map((c) => {
    const call: JsonRecord = { function: { name: c.name, arguments: JSON.parse(c.arguments) as unknown } };
    if (c.id !== undefined) call['id'] = c.id;
    return call;
  });
}

/** The closing fields: counts and durations (nanoseconds) of the final object. */
function doneFields(reply: MockReply): JsonRecord {
  const latencyNs = reply.latencyMs * 1_000_000;
  return {
    done_reason: reply.finishReason === 'length' ? 'length' : 'stop',
    done: true,
    total_duration: latencyNs,
    load_duration: 0,
    prompt_eval_count: reply.usage.inputTokens,
    prompt_eval_duration: 0,
    eval_count: reply.usage.outputTokens,
    eval_duration: latencyNs,
  };
}

function chatJson(reply: MockReply): string {
  const message: JsonRecord = { role: 'assistant', content: reply.text };
  if (reply.toolCalls.length > 0) message['tool_calls'] = toolCalls(reply);
  return J({ model: reply.model, created_at: CREATED_AT, message, ...doneFields(reply) });
}

function chatStream(reply: MockReply): Frame[] {
  const line = (message: JsonRecord, done: boolean) =>
    `${J(done ? { model: reply.model, created_at: CREATED_AT, message, ...doneFields(reply) } : { model: reply.model, created_at: CREATED_AT, message, done: false })}\n`;
  const frames: Frame[] = reply.textChunks.map((text) => ({ data: line({ role: 'assistant', content: text }, false), text }));
  // Ollama sends each tool call whole, in one object.
  if (reply.toolCalls.length > 0) frames.push({ data: line({ role: 'assistant', content: '', tool_calls: toolCalls(reply) }, false) });
  frames.push({ data: line({ role: 'assistant', content: '' }, true) });
  return frames;
}

/** Ollama native API (`/api/chat` NDJSON stream or JSON, `/api/embed`, `/api/tags`). */
export function ollamaDialect(): Dialect {
  return {
    provider: 'ollama',
    apiRoot: '',
    streamsByDefault: true,
    route(method, path) {
      if (method === 'POST' && path === '/api/chat') return { operation: 'chat' };
      if (method === 'POST' && path === '/api/embed') return { operation: 'embeddings' };
      if (method === 'GET' && path === '/api/tags') return { operation: 'models' };
      return undefined;
    },
    checkAuth(ctx, apiKey) {
      // A bare Ollama has no auth; a key is checked only when the mock was given one (a proxy in front).
      return checkKey(bearerToken(ctx.headers), apiKey, false, 'unauthorized', 'unauthorized');
    },
    chatRequest: chatView,
    chatJson,
    chatStream(reply) {
      return { contentType: 'application/x-ndjson', frames: chatStream(reply) };
    },
    embeddings(body, _ctx, behaviour) {
      const model = str(body['model']);
      if (!model) throw new WireRequestError(400, 'model is required');
      const input = body['input'];
      const texts = typeof input === 'string' ? [input] : (arr(input)?.map((t) => str(t) ?? '') ?? []);
      const size = embeddingSize(num(body['dimensions']), behaviour);
      return J({
        model,
        embeddings: texts.map((t) => mockEmbedding(t, size)),
        total_duration: 0,
        load_duration: 0,
        prompt_eval_count: texts.reduce((n, t) => n + mockTokenCount(t), 0),
      });
    },
    models(ids) {
      return J({
        models: ids.map((name) => ({
          name,
          model: name,
          modified_at: CREATED_AT,
          size: 0,
          digest: 'sha256:mock',
          details: { format: 'gguf', family: 'mock', parameter_size: '0B', quantization_level: 'Q4_0' },
        })),
      });
    },
    error(status, message) {
      return { body: J({ error: message }) };
    },
  };
}
