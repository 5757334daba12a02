import type { IncomingHttpHeaders } from 'node:http';
import type { ProviderKind } from '@totra/providers';
import type { MockBehaviour, MockChatRequest, MockReply } from './behaviour.js';
import type { JsonRecord } from './json-access.js';
import type { MockOperation } from './request-recorder.js';

/** Which endpoint a request hit, with what its path says. */
export interface RouteMatch {
  operation: MockOperation;
  /** Model named by the path (Gemini, Bedrock, Azure deployment, `/v1/models/{id}`). */
  pathModel?: string;
  /** Streaming decided by the path (Gemini `streamGenerateContent`, Bedrock `converse-stream`). */
  pathStream?: boolean;
  /** Dialect detail (Gemini embed method, Gemini `alt=sse`). */
  variant?: string;
}

export interface RequestContext {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  match: RouteMatch;
}

/** The chat request as a dialect reads it. */
export interface ChatView extends MockChatRequest {
  /** OpenAI `stream_options.include_usage`. */
  includeUsage: boolean;
  /** Stream framing variant from the route (Gemini `json-array` without `alt=sse`). */
  variant?: string;
}

/** One piece of a streamed answer, written as one `write()`. */
export interface Frame {
  data: string | Uint8Array;
  /** The answer text it carries, for `afterFrame`. */
  text?: string;
}

export interface StreamBody {
  contentType: string;
  frames: Frame[];
}

export interface ErrorReply {
  headers?: Record<string, string>;
  body: string;
}

export interface AuthFailure {
  status: number;
  message: string;
}

/** Everything that differs between providers: routes, auth, request reading, answer encoding. */
export interface Dialect {
  readonly provider: ProviderKind;
  /** Path prefix clients put in their base URL (`/v1`, `/v1beta`, or ''). */
  readonly apiRoot: string;
  /** Chat streams unless the body says `"stream": false` (Ollama). */
  readonly streamsByDefault: boolean;
  /** The response header in which the provider names its request (OpenAI `x-request-id` ...), when it documents one. */
  readonly requestIdHeader?: string;
  route(method: string, path: string, query: URLSearchParams): RouteMatch | undefined;
  /** `apiKey`: the key the mock was told to expect; undefined: any key (where one is required). */
  checkAuth(ctx: RequestContext, apiKey: string | undefined, requireAuth: boolean): AuthFailure | undefined;
  /** Protocol checks beyond auth (Azure `api-version`, Anthropic `anthropic-version`). Throws WireRequestError. */
  checkRequest?(ctx: RequestContext): void;
  /** Throws WireRequestError for a body the real API would refuse. */
  chatRequest(body: JsonRecord, ctx: RequestContext): ChatView;
  chatJson(reply: MockReply, request: ChatView): string;
  chatStream(reply: MockReply, request: ChatView): StreamBody;
  embeddings?(body: JsonRecord, ctx: RequestContext, behaviour: MockBehaviour): string;
  models?(ids: readonly string[], ctx: RequestContext): string;
  countTokens?(inputTokens: number): string;
  error(status: number, message: string, retryAfter: string | undefined): ErrorReply;
}

export const JSON_TYPE = 'application/json';
export const SSE_TYPE = 'text/event-stream; charset=utf-8';

/** One server-sent event. */
export function sse(data: string, event?: string): string {
  return event === undefined ? `data: ${data}\n\n` : `event: ${event}\ndata: ${data}\n\n`;
}

/** `Authorization: Bearer <token>` -> token. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.authorization;
  if (!value || !value.startsWith('Bearer ')) return undefined;
  const token = value.slice(7).trim();
  return token.length > 0 ? token : undefined;
}

/** First value of a header. */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Standard key check: a key must be present (when required) and equal `apiKey` (when given). */
export function checkKey(key: string | undefined, apiKey: string | undefined, requireAuth: boolean, missing: string, wrong: string, status = 401): AuthFailure | undefined {
  if (key === undefined) return requireAuth || apiKey !== undefined ? { status, message: missing } : undefined;
  if (apiKey !== undefined && key !== apiKey) return { status, message: wrong };
  return undefined;
}

/** Joins prompt texts with `\n`, skipping empty ones. */
export function joinTexts(texts: readonly string[]): string {
  return texts.filter((t) => t.length > 0).join('\n');
}
