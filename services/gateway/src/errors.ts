import { type RejectionReason } from '@totra/events';
import { type z } from 'zod';

type Reason = z.infer<typeof RejectionReason>;

/**
 * A request the gateway refuses or cannot serve. The HTTP status is decided here, at the edge;
 * the body shape (OpenAI or Anthropic) by the route. `reason` is what `RequestRejected` records.
 */
export class GatewayError extends Error {
  readonly code: string;
  readonly status: number;
  readonly reason: Reason | undefined;
  readonly param: string | null;
  readonly retryAfterSeconds: number | undefined;
  constructor(
    init: { code: string; status: number; message: string; reason?: Reason; param?: string | null; retryAfterSeconds?: number },
    options?: { cause?: unknown },
  ) {
    super(init.message, options);
    this.name = 'GatewayError';
    this.code = init.code;
    this.status = init.status;
    this.reason = init.reason;
    this.param = init.param ?? null;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

/** OpenAI `error.type` for a status. */
export function openaiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** Anthropic `error.type` for a status. */
export function anthropicErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 529 || status === 503) return 'overloaded_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/** OpenAI `error.code` for a gateway code (the stable TOTRA_ code is kept in the message). */
export function openaiErrorCode(code: string): string {
  switch (code) {
    case 'TOTRA_UNKNOWN_MODEL':
      return 'model_not_found';
    case 'TOTRA_AUTH_MISSING_KEY':
    case 'TOTRA_AUTH_INVALID_KEY':
      return 'invalid_api_key';
    case 'TOTRA_QUOTA_EXCEEDED':
      return 'insufficient_quota';
    case 'TOTRA_RATE_LIMITED':
      return 'rate_limit_exceeded';
    default:
      return code.toLowerCase().replace(/^totra_/, '');
  }
}

/**
 * Whether a path is one of the APIs the gateway serves (OpenAI's and Anthropic's under `/v1/`,
 * Azure OpenAI's under `/openai/`): requests there are counted, named by `x-request-id`, and each
 * ends in one terminal event, whichever way it is answered.
 */
export function isApiPath(url: string): boolean {
  return url.startsWith('/v1/') || url.startsWith('/openai/');
}

/**
 * Endpoints of OpenAI's and Anthropic's APIs the gateway does not serve, with why and what to
 * use instead: a client pointed at the gateway learns that, not only that there is no route.
 * Matched on the path after `/v1` (or `/openai/v1`), first match wins.
 */
const NOT_SERVED: readonly (readonly [RegExp, string])[] = [
  [/^\/responses\/[^/]+/, 'the gateway stores no responses (retrieving, cancelling or listing the input of one is not served): send the whole conversation as `input`'],
  [/^\/messages\/batches/, 'message batches are not served: send each request to POST /v1/messages'],
  [/^\/batches/, 'batch jobs are not served: send each request to its endpoint'],
  [/^\/(files|uploads)/, 'file storage is not served: send a PDF inline (`file_data` as a data: URL, or a base64 `document` block)'],
  [/^\/(audio|images|moderations|realtime|videos)/, 'only text chat (with images and PDFs as input) and embeddings are served'],
  [/^\/(assistants|threads|vector_stores|fine_tuning|evals|containers|conversations)/, 'stateful and training APIs are not served: the gateway stores nothing for a client; use chat or the Responses API with the whole conversation'],
];

/** Why the gateway does not serve an API path it knows, or undefined. */
export function notServed(url: string): string | undefined {
  const path = url.split('?')[0] ?? '';
  const rest = path.startsWith('/openai/v1/') ? path.slice('/openai/v1'.length) : path.startsWith('/v1/') ? path.slice('/v1'.length) : undefined;
  if (rest === undefined) return undefined;
  return NOT_SERVED.find(([pattern]) => pattern.test(rest))?.[1];
}

/**
 * Whether a request speaks Anthropic's API: the Messages routes, and the models routes when the
 * client sends `anthropic-version` (as the Anthropic SDKs do): its answers and errors then take
 * Anthropic's shape.
 */
export function speaksAnthropic(request: { url: string; headers: Record<string, string | string[] | undefined> }): boolean {
  return request.url.startsWith('/v1/messages') || (request.url.startsWith('/v1/models') && request.headers['anthropic-version'] !== undefined);
}

/** The client-facing body of a gateway error in the given API's shape. */
export function errorBody(err: GatewayError, shape: 'openai' | 'anthropic'): Record<string, unknown> {
  if (shape === 'anthropic') return { type: 'error', error: { type: anthropicErrorType(err.status), message: err.message } };
  return { error: { message: err.message, type: openaiErrorType(err.status), code: openaiErrorCode(err.code), param: err.param } };
}
