import type { MockReply, ResolvedUsage } from '../behaviour.js';
import { bearerToken, header, joinTexts, type AuthFailure, type ChatView, type Dialect, type Frame } from '../dialect.js';
import { WireRequestError } from '../errors.js';
import { arr, rec, str, type JsonRecord } from '../json-access.js';
import { encodeEventStreamMessage } from './aws-event-stream.js';

const J = JSON.stringify;
const SIGV4 = /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/\d{8}\/[^/\s]+\/bedrock\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=[0-9a-f]{64}$/;
const ROUTE = /^\/model\/([^/]+)\/(converse|converse-stream)$/;

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
 * AWS Bedrock Converse / ConverseStream (binary event-stream). Requests must carry a
 * well-formed SigV4 `Authorization` (the signature itself is not verified) or a Bedrock API key.
 */
export function bedrockDialect(): Dialect {
  return {
    provider: 'bedrock',
    apiRoot: '',
    streamsByDefault: false,
    requestIdHeader: 'x-amzn-requestid',
    route(method, path) {
      const m = method === 'POST' ? ROUTE.exec(path) : null;
      if (!m) return undefined;
      return { operation: 'chat', pathModel: decodeURIComponent(m[1] as string), pathStream: m[2] === 'converse-stream' };
    },
    checkAuth(ctx, apiKey, requireAuth) {
      if (!requireAuth && apiKey === undefined) return undefined;
      return checkAuth(header(ctx.headers, 'authorization'), header(ctx.headers, 'x-amz-date'), bearerToken(ctx.headers), apiKey);
    },
    chatRequest(body, ctx) {
      return chatView(body, ctx.match.pathModel ?? '', ctx.match.pathStream === true);
    },
    chatJson,
    chatStream(reply) {
      return { contentType: 'application/vnd.amazon.eventstream', frames: chatStream(reply) };
    },
    error(status, message) {
      return {
        headers: { 'x-amzn-errortype': `${exceptionFor(status)}:http://internal.amazon.com/coral/com.amazon.bedrock/` },
        body: J({ message }),
      };
    },
  };
}
