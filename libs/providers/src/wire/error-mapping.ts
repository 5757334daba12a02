import { ProviderError, type ProviderErrorCode } from '../errors.js';
import { retryAfterMs, type HeadersLike } from './headers.js';

const CONTEXT_LENGTH_PATTERN =
  /context[ _-]?(length|window)|maximum context|prompt is too long|input is too long|too many (input )?tokens|exceeds the (maximum|context)|input token count|maximum number of tokens|reduce the length/i;

/** True when an error message says the prompt does not fit the model's context window. */
export function looksLikeContextLength(message: string): boolean {
  return CONTEXT_LENGTH_PATTERN.test(message);
}

const POLICY: Record<ProviderErrorCode, { retryable: boolean; fallbackable: boolean }> = {
  TOTRA_PROVIDER_RATE_LIMITED: { retryable: true, fallbackable: true },
  TOTRA_PROVIDER_QUOTA_EXCEEDED: { retryable: false, fallbackable: true },
  TOTRA_PROVIDER_UNAVAILABLE: { retryable: true, fallbackable: true },
  TOTRA_PROVIDER_TIMEOUT: { retryable: true, fallbackable: true },
  TOTRA_PROVIDER_BAD_REQUEST: { retryable: false, fallbackable: false },
  TOTRA_PROVIDER_CONTEXT_LENGTH: { retryable: false, fallbackable: true },
  TOTRA_PROVIDER_CONTENT_FILTER: { retryable: false, fallbackable: false },
  TOTRA_PROVIDER_AUTH: { retryable: false, fallbackable: true },
  TOTRA_PROVIDER_NOT_FOUND: { retryable: false, fallbackable: true },
  TOTRA_PROVIDER_INVALID_RESPONSE: { retryable: true, fallbackable: true },
};

/** The default code for an HTTP status, before provider-specific refinements. */
export function codeForStatus(status: number): ProviderErrorCode {
  if (status === 429) return 'TOTRA_PROVIDER_RATE_LIMITED';
  if (status === 401 || status === 403) return 'TOTRA_PROVIDER_AUTH';
  if (status === 404) return 'TOTRA_PROVIDER_NOT_FOUND';
  if (status === 408 || status === 504) return 'TOTRA_PROVIDER_TIMEOUT';
  if (status === 413) return 'TOTRA_PROVIDER_CONTEXT_LENGTH';
  if (status >= 500 || status === 0) return 'TOTRA_PROVIDER_UNAVAILABLE';
  if (status >= 400) return 'TOTRA_PROVIDER_BAD_REQUEST';
  return 'TOTRA_PROVIDER_INVALID_RESPONSE';
}

export interface ErrorFacts {
  provider: string;
  status: number;
  message: string;
  providerCode?: string | undefined;
  /** Overrides the status-derived code. */
  code?: ProviderErrorCode | undefined;
  headers?: HeadersLike | undefined;
  nowMs?: number | undefined;
  /** A delay the body gave (Gemini `RetryInfo`), used when headers give none. */
  bodyRetryAfterMs?: number | undefined;
}

/** Builds a {@link ProviderError} with the retry policy of its code. */
export function providerError(facts: ErrorFacts): ProviderError {
  let code = facts.code ?? codeForStatus(facts.status);
  if (code === 'TOTRA_PROVIDER_BAD_REQUEST' && looksLikeContextLength(facts.message)) code = 'TOTRA_PROVIDER_CONTEXT_LENGTH';
  const policy = POLICY[code];
  const retryAfter =
    code === 'TOTRA_PROVIDER_RATE_LIMITED' || code === 'TOTRA_PROVIDER_UNAVAILABLE'
      ? (retryAfterMs(facts.headers, facts.nowMs) ?? facts.bodyRetryAfterMs)
      : undefined;
  return new ProviderError({
    code,
    message: facts.message.length > 0 ? facts.message : `provider returned HTTP ${facts.status}`,
    provider: facts.provider,
    status: facts.status,
    retryable: policy.retryable,
    fallbackable: policy.fallbackable,
    ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
    ...(facts.providerCode !== undefined ? { providerCode: facts.providerCode } : {}),
  });
}

/** An upstream 2xx body that cannot be understood. */
export function invalidResponse(provider: string, status: number, detail: string, cause?: unknown): ProviderError {
  return new ProviderError({
    code: 'TOTRA_PROVIDER_INVALID_RESPONSE',
    message: `${provider} returned a response that could not be parsed: ${detail}`,
    provider,
    status,
    ...POLICY.TOTRA_PROVIDER_INVALID_RESPONSE,
    cause,
  });
}
