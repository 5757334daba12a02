import { geminiChecksSignatures, geminiThinkingLevels, geminiVersion } from '@totra/providers';
import { embeddingSize, mockEmbedding, numberedReplies, type MockReply, type ResolvedUsage } from '../behaviour.js';
import { bearerToken, header, joinTexts, JSON_TYPE, SSE_TYPE, type ChatView, type Dialect, type Frame } from '../dialect.js';
import { WireRequestError } from '../errors.js';
import { arr, num, rec, str, type JsonRecord } from '../json-access.js';

const J = JSON.stringify;
const API_KEY_INVALID = 'API key not valid. Please pass a valid API key.';

function rpcStatus(status: number): string {
  switch (status) {
    case 400:
      return 'INVALID_ARGUMENT';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'ABORTED';
    case 429:
      return 'RESOURCE_EXHAUSTED';
    case 499:
      return 'CANCELLED';
    case 503:
      return 'UNAVAILABLE';
    case 504:
      return 'DEADLINE_EXCEEDED';
    default:
      return status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION';
  }
}

/** Gemini counts thoughts apart from candidates; `promptTokenCount` includes cached content. */
function usageMetadata(u: ResolvedUsage): JsonRecord {
  const out: JsonRecord = {
    promptTokenCount: u.inputTokens,
    candidatesTokenCount: u.outputTokens - u.reasoningTokens,
    totalTokenCount: u.totalTokens,
  };
  if (u.cachedInputTokens > 0) out['cachedContentTokenCount'] = u.cachedInputTokens;
  if (u.reasoningTokens > 0) out['thoughtsTokenCount'] = u.reasoningTokens;
  out['promptTokensDetails'] = [{ modality: 'TEXT', tokenCount: u.inputTokens }];
  return out;
}

function partText(part: JsonRecord): string {
  const text = str(part['text']);
  if (text !== undefined) return text;
  const response = rec(part['functionResponse'])?.['response'];
  return response === undefined ? '' : J(response);
}

/** Gemini 3 and later sign their function calls, and check the signatures they come back with. */
const signs = (model: string) => geminiChecksSignatures(model);

function functionCallParts(reply: MockReply, model: string): JsonRecord[] {
  return reply.toolCalls.map((c, i) => {
    const call: JsonRecord = { name: c.name, args: JSON.parse(c.arguments) as unknown };
    if (c.id !== undefined) call['id'] = c.id;
    return signs(model) ? { functionCall: call, thoughtSignature: Buffer.from(`mock-signature-${reply.seq}-${i}`).toString('base64') } : { functionCall: call };
  });
}

/**
 * Gemini 3's rule: every function call of the current turn (the model's turns since the last
 * user turn that is not only function responses) comes back with its thought signature.
 */
function checkSignatures(contents: readonly unknown[]): void {
  const userTurn = (c: JsonRecord | undefined) => (str(c?.['role']) ?? 'user') === 'user' && (arr(c?.['parts']) ?? []).some((p) => rec(p)?.['functionResponse'] === undefined);
  let start = 0;
  contents.forEach((c, i) => {
    if (userTurn(rec(c))) start = i + 1;
  });
  for (const c of contents.slice(start)) {
    (arr(rec(c)?.['parts']) ?? []).forEach((raw, position) => {
      const part = rec(raw);
      const call = rec(part?.['functionCall']);
      if (call && !str(part?.['thoughtSignature'])) {
        throw new WireRequestError(
          400,
          `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${str(call['name']) ?? ''}\`, position ${position}.`,
        );
      }
    });
  }
}

/**
 * Gemini's thinking rules: a level or a budget, not both; levels from Gemini 3 on, each model its
 * own; a Pro model always thinks (no budget of 0).
 */
function checkThinking(config: JsonRecord | undefined, model: string): void {
  if (!config) return;
  const level = str(config['thinkingLevel']);
  const budget = num(config['thinkingBudget']);
  if (level !== undefined && budget !== undefined) throw new WireRequestError(400, 'thinking_budget and thinking_level are not supported together.');
  if (level !== undefined) {
    const levels = geminiThinkingLevels(model);
    if (!levels) throw new WireRequestError(400, 'Thinking level is not supported for this model.');
    if (!(levels as readonly string[]).includes(level.toLowerCase())) throw new WireRequestError(400, `Thinking level ${level.toUpperCase()} is not supported for this model.`);
  }
  if (budget === 0 && geminiVersion(model)?.line === 'pro') throw new WireRequestError(400, 'Budget 0 is invalid. This model only works in thinking mode.');
}

function candidate(parts: JsonRecord[], finishReason: string | undefined, index = 0): JsonRecord {
  const c: JsonRecord = { content: { parts, role: 'model' } };
  if (finishReason) c['finishReason'] = finishReason;
  c['index'] = index;
  return c;
}

/** The answers to a request for `candidateCount` candidates (1 to 8, checked by `chatView`). */
function candidatesOf(reply: MockReply, request: ChatView): { replies: MockReply[]; usage: ResolvedUsage } {
  const source = rec(request.body['generateContentRequest']) ?? request.body;
  return numberedReplies(reply, num(rec(source['generationConfig'])?.['candidateCount']) ?? 1);
}

const finish = (reply: MockReply) => (reply.finishReason === 'length' ? 'MAX_TOKENS' : 'STOP');

function chatView(body: JsonRecord, model: string, stream: boolean, variant: string | undefined): ChatView {
  const source = rec(body['generateContentRequest']) ?? body;
  const contents = arr(source['contents']);
  if (!contents || contents.length === 0) throw new WireRequestError(400, '* GenerateContentRequest.contents: contents is not specified');
  const count = rec(source['generationConfig'])?.['candidateCount'];
  if (count !== undefined && !(Number.isInteger(count) && (count as number) >= 1 && (count as number) <= 8)) {
    throw new WireRequestError(400, `* GenerateContentRequest.generation_config.candidate_count: must be between 1 and 8, got ${J(count)}`);
  }
  if (signs(model)) checkSignatures(contents);
  checkThinking(rec(rec(source['generationConfig'])?.['thinkingConfig']), model);
  const texts: string[] = [];
  for (const p of arr(rec(source['systemInstruction'])?.['parts']) ?? []) texts.push(partText(rec(p) ?? {}));
  let lastUserText = '';
  for (const raw of contents) {
    const c = rec(raw);
    const text = (arr(c?.['parts']) ?? []).map((p) => partText(rec(p) ?? {})).join('');
    texts.push(text);
    if ((str(c?.['role']) ?? 'user') === 'user') lastUserText = text;
  }
  const hasTools = (arr(source['tools']) ?? []).some((t) => (arr(rec(t)?.['functionDeclarations'])?.length ?? 0) > 0);
  const view: ChatView = { provider: 'gemini', operation: 'chat', model, stream, lastUserText, promptText: joinTexts(texts), hasTools, body, includeUsage: stream };
  if (variant !== undefined) view.variant = variant;
  return view;
}

function chatJson(reply: MockReply, request: ChatView): string {
  const { replies, usage } = candidatesOf(reply, request);
  return J({
    candidates: replies.map((r, index) => {
      const parts: JsonRecord[] = [];
      if (r.text.length > 0 || r.toolCalls.length === 0) parts.push({ text: r.text });
      parts.push(...functionCallParts(r, request.model));
      return candidate(parts, finish(r), index);
    }),
    usageMetadata: usageMetadata(usage),
    modelVersion: reply.model,
    responseId: `mock${reply.seq}`,
  });
}

/** A streamed answer; with several candidates, each chunk carries the next piece of each (as far as it has one). */
function chatChunks(reply: MockReply, request: ChatView): { json: string; text?: string }[] {
  const { replies, usage } = candidatesOf(reply, request);
  const chunks: { json: string; text?: string }[] = [];
  const meta = { modelVersion: reply.model, responseId: `mock${reply.seq}` };
  const pieces = Math.max(...replies.map((r) => r.textChunks.length));
  for (let i = 0; i < pieces; i++) {
    const step = replies.flatMap((r, index) => (i < r.textChunks.length ? [{ index, text: r.textChunks[i] as string }] : []));
    const text = step.map((s) => s.text).join('');
    chunks.push({ json: J({ candidates: step.map((s) => candidate([{ text: s.text }], undefined, s.index)), ...meta }), text });
  }
  const last = replies.map((r, index) => candidate(r.toolCalls.length > 0 ? functionCallParts(r, request.model) : [{ text: '' }], finish(r), index));
  chunks.push({ json: J({ candidates: last, usageMetadata: usageMetadata(usage), ...meta }) });
  return chunks;
}

const MODEL_PATH = /^\/v1beta\/((?:models|tunedModels)\/[^/:]+):([A-Za-z]+)$/;

const shortName = (name: string) => (name.startsWith('models/') ? name.slice(7) : name);

function modelEntry(id: string): JsonRecord {
  return {
    name: `models/${id}`,
    version: '001',
    displayName: id,
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 8192,
    supportedGenerationMethods: ['generateContent', 'countTokens', 'embedContent', 'batchEmbedContents'],
  };
}

/** Google Gemini API (`generateContent`, `streamGenerateContent` with `alt=sse` or as a JSON array, embeddings). */
export function geminiDialect(): Dialect {
  return {
    provider: 'gemini',
    apiRoot: '/v1beta',
    streamsByDefault: false,
    route(method, path, query) {
      if (method === 'GET') {
        if (path === '/v1beta/models') return { operation: 'models' };
        if (path.startsWith('/v1beta/models/') && path.length > 15) return { operation: 'models', pathModel: decodeURIComponent(path.slice(15)) };
        return undefined;
      }
      const m = method === 'POST' ? MODEL_PATH.exec(decodeURIComponent(path)) : null;
      if (!m) return undefined;
      const pathModel = shortName(m[1] as string);
      switch (m[2]) {
        case 'generateContent':
          return { operation: 'chat', pathModel, pathStream: false };
        case 'streamGenerateContent':
          return { operation: 'chat', pathModel, pathStream: true, variant: query.get('alt') === 'sse' ? 'sse' : 'json-array' };
        case 'embedContent':
          return { operation: 'embeddings', pathModel, variant: 'single' };
        case 'batchEmbedContents':
          return { operation: 'embeddings', pathModel, variant: 'batch' };
        case 'countTokens':
          return { operation: 'count-tokens', pathModel };
        default:
          return undefined;
      }
    },
    checkAuth(ctx, apiKey, requireAuth) {
      const key = header(ctx.headers, 'x-goog-api-key') ?? ctx.query.get('key') ?? bearerToken(ctx.headers);
      if (key === undefined) {
        return requireAuth || apiKey !== undefined
          ? {
              status: 403,
              message:
                "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
            }
          : undefined;
      }
      // Like the real API: a wrong key is a 400 INVALID_ARGUMENT (reason API_KEY_INVALID).
      if (apiKey !== undefined && key !== apiKey) return { status: 400, message: API_KEY_INVALID };
      return undefined;
    },
    chatRequest(body, ctx) {
      return chatView(body, ctx.match.pathModel ?? '', ctx.match.pathStream === true, ctx.match.variant);
    },
    chatJson,
    chatStream(reply, request) {
      const chunks = chatChunks(reply, request);
      if (request.variant === 'json-array') {
        // Without alt=sse the answer is one JSON array, written element by element.
        const frames = chunks.map((c, i): Frame => {
          const frame: Frame = { data: `${i === 0 ? '[' : ',\r\n'}${c.json}` };
          if (c.text !== undefined) frame.text = c.text;
          return frame;
        });
        frames.push({ data: ']' });
        return { contentType: JSON_TYPE, frames };
      }
      const frames = chunks.map((c): Frame => {
        const frame: Frame = { data: `data: ${c.json}\r\n\r\n` };
        if (c.text !== undefined) frame.text = c.text;
        return frame;
      });
      return { contentType: SSE_TYPE, frames };
    },
    embeddings(body, ctx, behaviour) {
      const vectorOf = (request: JsonRecord | undefined, at: string): { values: number[] } => {
        const parts = arr(rec(request?.['content'])?.['parts']);
        if (!parts) throw new WireRequestError(400, `* ${at}.content: content is not specified`);
        const text = parts.map((p) => str(rec(p)?.['text']) ?? '').join('');
        return { values: mockEmbedding(text, embeddingSize(num(request?.['outputDimensionality']), behaviour)) };
      };
      if (ctx.match.variant === 'single') return J({ embedding: vectorOf(body, 'EmbedContentRequest') });
      const requests = arr(body['requests']);
      if (!requests || requests.length === 0) throw new WireRequestError(400, '* BatchEmbedContentsRequest.requests: requests is not specified');
      return J({ embeddings: requests.map((r, i) => vectorOf(rec(r), `BatchEmbedContentsRequest.requests[${i}]`)) });
    },
    models(ids, ctx) {
      const one = ctx.match.pathModel;
      if (one === undefined) return J({ models: ids.map(modelEntry) });
      if (!ids.includes(one)) throw new WireRequestError(404, `models/${one} is not found for API version v1beta`);
      return J(modelEntry(one));
    },
    countTokens(inputTokens) {
      return J({ totalTokens: inputTokens, promptTokensDetails: [{ modality: 'TEXT', tokenCount: inputTokens }] });
    },
    error(status, message, retryAfter) {
      const error: JsonRecord = { code: status, message, status: rpcStatus(status) };
      if (message === API_KEY_INVALID) {
        error['details'] = [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }];
      } else if (status === 429 && retryAfter !== undefined && /^\d+$/.test(retryAfter)) {
        error['details'] = [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfter}s` }];
      }
      return { body: J({ error }) };
    },
  };
}
