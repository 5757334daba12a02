import { InboundRequestError, ProviderConfigError, ProviderError, UnsupportedFeatureError } from '../errors.js';
import type { JsonRecord } from '../wire/json.js';

/** An error answer for an inbound API: status plus the body in that API's own shape. */
export interface InboundErrorResponse {
  status: number;
  body: JsonRecord;
  /** `Retry-After` seconds, when the upstream gave a delay. */
  retryAfterSeconds?: number;
}

interface Shape {
  status: number;
  /** OpenAI `error.type` */
  openaiType: string;
  /** OpenAI `error.code` */
  openaiCode: string | null;
  /** Anthropic `error.type` */
  anthropicType: string;
  message: string;
  param: string | null;
  retryAfterMs?: number | undefined;
}

function shapeOf(err: unknown): Shape {
  if (err instanceof InboundRequestError) {
    return { status: 400, openaiType: 'invalid_request_error', openaiCode: null, anthropicType: 'invalid_request_error', message: err.message, param: err.param ?? null };
  }
  if (err instanceof UnsupportedFeatureError) {
    return { status: 400, openaiType: 'invalid_request_error', openaiCode: 'unsupported_feature', anthropicType: 'invalid_request_error', message: err.message, param: null };
  }
  if (err instanceof ProviderConfigError) {
    return { status: 503, openaiType: 'server_error', openaiCode: 'provider_not_configured', anthropicType: 'api_error', message: err.message, param: null };
  }
  if (err instanceof ProviderError) {
    const base = { message: `${err.provider}: ${err.message}`, param: null, retryAfterMs: err.retryAfterMs };
    switch (err.code) {
      case 'TOTRA_PROVIDER_RATE_LIMITED':
        return { ...base, status: 429, openaiType: 'rate_limit_error', openaiCode: 'rate_limit_exceeded', anthropicType: 'rate_limit_error' };
      case 'TOTRA_PROVIDER_QUOTA_EXCEEDED':
        return { ...base, status: 429, openaiType: 'insufficient_quota', openaiCode: 'insufficient_quota', anthropicType: 'rate_limit_error' };
      case 'TOTRA_PROVIDER_CONTEXT_LENGTH':
        return { ...base, status: 400, openaiType: 'invalid_request_error', openaiCode: 'context_length_exceeded', anthropicType: 'invalid_request_error' };
      case 'TOTRA_PROVIDER_CONTENT_FILTER':
        return { ...base, status: 400, openaiType: 'invalid_request_error', openaiCode: 'content_filter', anthropicType: 'invalid_request_error' };
      case 'TOTRA_PROVIDER_BAD_REQUEST':
        return { ...base, status: 400, openaiType: 'invalid_request_error', openaiCode: null, anthropicType: 'invalid_request_error' };
      case 'TOTRA_PROVIDER_TIMEOUT':
        return { ...base, status: 504, openaiType: 'server_error', openaiCode: 'timeout', anthropicType: 'api_error' };
      case 'TOTRA_PROVIDER_UNAVAILABLE':
        return { ...base, status: 503, openaiType: 'server_error', openaiCode: 'provider_unavailable', anthropicType: 'overloaded_error' };
      // The upstream refused the gateway's own credentials or model id: not the client's fault.
      case 'TOTRA_PROVIDER_AUTH':
      case 'TOTRA_PROVIDER_NOT_FOUND':
      case 'TOTRA_PROVIDER_INVALID_RESPONSE':
        return { ...base, status: 502, openaiType: 'server_error', openaiCode: 'bad_gateway', anthropicType: 'api_error' };
    }
  }
  return { status: 500, openaiType: 'server_error', openaiCode: null, anthropicType: 'api_error', message: 'internal error', param: null };
}

function withRetry(shape: Shape, response: InboundErrorResponse): InboundErrorResponse {
  if (shape.retryAfterMs !== undefined) response.retryAfterSeconds = Math.max(1, Math.ceil(shape.retryAfterMs / 1000));
  return response;
}

/** Any error -> OpenAI-shaped answer (`{error:{message,type,code,param}}`). Unknown errors say only "internal error". */
export function toOpenAIErrorResponse(err: unknown): InboundErrorResponse {
  const s = shapeOf(err);
  return withRetry(s, { status: s.status, body: { error: { message: s.message, type: s.openaiType, code: s.openaiCode, param: s.param } } });
}

/** Any error -> Anthropic-shaped answer (`{type:"error",error:{type,message}}`). */
export function toAnthropicErrorResponse(err: unknown): InboundErrorResponse {
  const s = shapeOf(err);
  return withRetry(s, { status: s.status, body: { type: 'error', error: { type: s.anthropicType, message: s.message } } });
}
