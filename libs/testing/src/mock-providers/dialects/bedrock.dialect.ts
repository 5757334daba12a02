import type { MockReply, ResolvedUsage } from '../behaviour.js';
import { bearerToken, header, joinTexts, type AuthFailure, type ChatView, type Dialect, type Frame, type RequestContext, type RouteMatch } from '../dialect.js';
import { WireRequestError } from '../errors.js';
import { arr, rec, str, type JsonRecord } from '../json-access.js';
import { anthropicDialect } from './anthropic.dialect.js';
import { encodeEventStreamMessage } from './aws-event-stream.js';

const J = JSON.stringify;
const SIGV4 = /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/\d{8}\/[^/\s]+\/bedrock\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=[0-9a-f]{64}$/;
const ROUTE = /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream)$/;

/** The `anthropic_version` InvokeModel requires of a Claude body. */
const ANTHROPIC_VERSION = 'bedrock-2023-05-31';

function exceptionFor(status: number): string {
  switch (status) {
    case 400:
      return 'ValidationException';
    case 403:
      return 'AccessDeniedException';
    case 404:
      return 'ResourceNotFoundException';
    case 408:
      return 'ModelTimeoutException';
    case 424:
      return 'ModelErrorException';
    case 429:
      return 'ThrottlingException';
    case 503:
      return 'ServiceUnavailableException';
    default:
      return status >= 500 ? 'InternalServerException' : 'ValidationException';
  }
}

/** Bedrock's `inputTokens` excludes cache reads and writes; `totalTokens` includes them. */
function usageJson(u: ResolvedUsage): JsonRecord {
  const out: JsonRecord = {
    inputTokens: Math.max(0, u.inputTokens - u.cachedInputTokens - u.cacheWriteInputTokens),
    outputTokens: u.outputTokens,
    totalTokens: u.totalTokens,
  };
  if (u.cachedInputTokens > 0) out['cacheReadInputTokens'] = u.cachedInputTokens;
  if (u.cacheWriteInputTokens > 0) out['cacheWriteInputTokens'] = u.cacheWriteInputTokens;
  return out;
}

const stopReason = (reply: MockReply) =>
  reply.finishReason === 'tool_calls' ? 'tool_use' : reply.finishReason === 'length' ? 'max_tokens' : 'end_turn';

const toolId = (reply: MockReply, i: number) => reply.toolCalls[i]?.id ?? `tooluse_mock_${i}`;

function blockText(block: JsonRecord): string {
  const text = str(block['text']);
  if (text !== undefined) return text;
  const result = rec(block['toolResult']);
  if (!result) return '';
  return (arr(result['content']) ?? [])
    .map((c) => {
      const part = rec(c);
      return str(part?.['text']) ?? (part?.['json'] !== undefined ? J(part['json']) : '');
    })
    .join('');
}

function chatView(body: JsonRecord, model: string, stream: boolean): ChatView {
  const messages = arr(body['messages']);
  if (!messages || messages.length === 0) {
    throw new WireRequestError(400, "1 validation error detected: Value null at 'messages' failed to satisfy constraint: Member must not be null");
  }
  const texts = (arr(body['system']) ?? []).map((b) => blockText(rec(b) ?? {}));
  let lastUserText = '';
  for (const raw of messages) {
    const m = rec(raw);
    const text = (arr(m?.['content']) ?? []).map((b) => blockText(rec(b) ?? {})).join('');
    texts.push(text);
    if (str(m?.['role']) === 'user') lastUserText = text;
  }
  return {
    provider: 'bedrock',
    operation: 'chat',
    model,
    stream,
    lastUserText,
    promptText: joinTexts(texts),
    hasTools: (arr(rec(body['toolConfig'])?.['tools'])?.length ?? 0) > 0,
    body,
    includeUsage: stream,
  };
}

function chatJson(reply: MockReply): string {
  const content: JsonRecord[] = [];
  if (reply.text.length > 0 || reply.toolCalls.length === 0) content.push({ text: reply.text });
  reply.toolCalls.forEach((c, i) => content.push({ toolUse: { toolUseId: toolId(reply, i), name: c.name, input: JSON.parse(c.arguments) as unknown } }));
  return J({
    output: { message: { role: 'assistant', content } },
    stopReason: stopReason(reply),
    usage: usageJson(reply.usage),
    metrics: { latencyMs: reply.latencyMs },
  });
}

const utf8 = (text: string) => Buffer.from(text, 'utf8');

function event(eventType: string, payload: JsonRecord, text?: string): Frame {
  const data = encodeEventStreamMessage(
    { ':event-type': eventType, ':content-type': 'application/json', ':message-type': 'event' },
    utf8(J(payload)),
  );
  return text === undefined ? { data } : { data, text };
}

function chatStream(reply: MockReply): Frame[] {
  const frames: Frame[] = [event('messageStart', { role: 'assistant' })];
  let index = 0;
  if (reply.text.length > 0 || reply.toolCalls.length === 0) {
    for (const text of reply.textChunks) frames.push(event('contentBlockDelta', { contentBlockIndex: index, delta: { text } }, text));
    frames.push(event('contentBlockStop', { contentBlockIndex: index }));
    index++;
  }
  reply.toolCalls.forEach((call, i) => {
    frames.push(event('contentBlockStart', { contentBlockIndex: index, start: { toolUse: { toolUseId: toolId(reply, i), name: call.name } } }));
    for (const input of call.argumentChunks) frames.push(event('contentBlockDelta', { contentBlockIndex: index, delta: { toolUse: { input } } }));
    frames.push(event('contentBlockStop', { contentBlockIndex: index }));
    index++;
  });
  frames.push(event('messageStop', { stopReason: stopReason(reply) }));
  frames.push(event('metadata', { usage: usageJson(reply.usage), metrics: { latencyMs: reply.latencyMs } }));
  return frames;
}

/**
 * InvokeModel of a Claude model: the Anthropic Messages body with `anthropic_version`, and
 * neither `model` nor `stream` (the path says both), as Bedrock refuses them.
 */
function invokeView(anthropic: Dialect, body: JsonRecord, ctx: RequestContext): ChatView {
  for (const key of ['model', 'stream']) {
    if (key in body) throw new WireRequestError(400, `Malformed input request: #: extraneous key [${key}] is not permitted, please reformat your input and try again.`);
  }
  if (body['anthropic_version'] !== ANTHROPIC_VERSION) {
    throw new WireRequestError(400, `Malformed input request: #/anthropic_version: ${ANTHROPIC_VERSION} is the only version supported, please reformat your input and try again.`);
  }
  const stream = ctx.match.pathStream === true;
  const view = anthropic.chatRequest({ ...body, model: ctx.match.pathModel ?? '', stream }, ctx);
  return { ...view, provider: 'bedrock', body, stream, variant: 'invoke' };
}

/**
 * InvokeModelWithResponseStream of a Claude model: each Anthropic stream event in a `chunk`, its
 * JSON base64-encoded in `bytes`; the last one carries Bedrock's invocation metrics.
 */
function invokeStream(anthropicFrames: readonly Frame[], reply: MockReply): Frame[] {
  return anthropicFrames.map((frame) => {
    const line = String(frame.data)
      .split('\n')
      .find((l) => l.startsWith('data: '));
    const payload = JSON.parse(line?.slice(6) ?? '{}') as JsonRecord;
    if (payload['type'] === 'message_stop') {
      payload['amazon-bedrock-invocationMetrics'] = {
        inputTokenCount: reply.usage.inputTokens,
        outputTokenCount: reply.usage.outputTokens,
        invocationLatency: reply.latencyMs,
        firstByteLatency: reply.latencyMs,
      };
    }
    return event('chunk', { bytes: Buffer.from(J(payload), 'utf8').toString('base64') }, frame.text);
  });
}

function checkAuth(authorization: string | undefined, amzDate: string | undefined, token: string | undefined, apiKey: string | undefined): AuthFailure | undefined {
  if (token !== undefined) {
    return apiKey !== undefined && token !== apiKey ? { status: 403, message: 'The security token included in the request is invalid.' } : undefined;
  }
  if (authorization === undefined) return { status: 403, message: 'Missing Authentication Token' };
  const m = SIGV4.exec(authorization);
  const signed = m?.[2]?.split(';') ?? [];
  if (!m || !amzDate || !signed.includes('host') || !signed.includes('x-amz-date')) {
    return { status: 403, message: 'Authorization header requires a SigV4 Credential, SignedHeaders (host;x-amz-date) and Signature, and X-Amz-Date must be set.' };
  }
  if (apiKey !== undefined && m[1] !== apiKey) return { status: 403, message: 'The security token included in the request is invalid.' };
  return undefined;
}

/**
 * AWS Bedrock Converse / ConverseStream (binary event-stream), and InvokeModel /
 * InvokeModelWithResponseStream in the Anthropic Messages format of Claude models. Requests must carry a
 * well-formed SigV4 `Authorization` (the signature itself is not verified) or a Bedrock API key.
 */
export function bedrockDialect(): Dialect {
  const anthropic = anthropicDialect();
  return {
    provider: 'bedrock',
    apiRoot: '',
    streamsByDefault: false,
    requestIdHeader: 'x-amzn-requestid',
    route(method, path) {
      const m = method === 'POST' ? ROUTE.exec(path) : null;
      if (!m) return undefined;
      const action = m[2] as string;
      const match: RouteMatch = { operation: 'chat', pathModel: decodeURIComponent(m[1] as string), pathStream: action.endsWith('-stream') };
      if (action.startsWith('invoke')) match.variant = 'invoke';
      return match;
    },
    checkAuth(ctx, apiKey, requireAuth) {
      if (!requireAuth && apiKey === undefined) return undefined;
      return checkAuth(header(ctx.headers, 'authorization'), header(ctx.headers, 'x-amz-date'), bearerToken(ctx.headers), apiKey);
    },
    chatRequest(body, ctx) {
      if (ctx.match.variant === 'invoke') return invokeView(anthropic, body, ctx);
      return chatView(body, ctx.match.pathModel ?? '', ctx.match.pathStream === true);
    },
    chatJson(reply, request) {
      return request.variant === 'invoke' ? anthropic.chatJson(reply, request) : chatJson(reply);
    },
    chatStream(reply, request) {
      const frames = request.variant === 'invoke' ? invokeStream(anthropic.chatStream(reply, request).frames, reply) : chatStream(reply);
      return { contentType: 'application/vnd.amazon.eventstream', frames };
    },
    error(status, message) {
      return {
        headers: { 'x-amzn-errortype': `${exceptionFor(status)}:http://internal.amazon.com/coral/com.amazon.bedrock/` },
        body: J({ message }),
      };
    },
  };
}
