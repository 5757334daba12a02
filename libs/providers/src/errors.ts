/** Base class of every error thrown by @totra/providers. Check errors by `code`, not by class. */
export class ProvidersError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Stable codes of upstream provider failures. */
export const PROVIDER_ERROR_CODES = [
  'TOTRA_PROVIDER_RATE_LIMITED',
  'TOTRA_PROVIDER_QUOTA_EXCEEDED',
  'TOTRA_PROVIDER_UNAVAILABLE',
  'TOTRA_PROVIDER_TIMEOUT',
  'TOTRA_PROVIDER_BAD_REQUEST',
  'TOTRA_PROVIDER_CONTEXT_LENGTH',
  'TOTRA_PROVIDER_CONTENT_FILTER',
  'TOTRA_PROVIDER_AUTH',
  'TOTRA_PROVIDER_NOT_FOUND',
  'TOTRA_PROVIDER_INVALID_RESPONSE',
] as const;
export type ProviderErrorCode = (typeof PROVIDER_ERROR_CODES)[number];

export interface ProviderErrorInit {
  code: ProviderErrorCode;
  message: string;
  /** Which adapter produced it (`openai`, `anthropic`, ...). */
  provider: string;
  /** Upstream HTTP status; 0 when the failure arrived inside a 200 stream. */
  status: number;
  /** The same request may succeed later (after `retryAfterMs` when given). */
  retryable: boolean;
  /** Another deployment (other key, region or provider) may succeed. */
  fallbackable: boolean;
  retryAfterMs?: number;
  /** The provider's own error type or code (`rate_limit_error`, `ThrottlingException`, ...). */
  providerCode?: string;
  cause?: unknown;
}

/**
 * A provider answered with an error (or with something that cannot be understood). The gateway
 * decides retries and fallback from `retryable` / `fallbackable` and maps `code` to its own status.
 */
export class ProviderError extends ProvidersError {
  declare readonly code: ProviderErrorCode;
  readonly provider: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly fallbackable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly providerCode: string | undefined;
  /** The provider's id of the request that failed (from its answer's headers), when known. */
  upstreamRequestId: string | undefined;
  constructor(init: ProviderErrorInit) {
    super(init.code, init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.provider = init.provider;
    this.status = init.status;
    this.retryable = init.retryable;
    this.fallbackable = init.fallbackable;
    this.retryAfterMs = init.retryAfterMs;
    this.providerCode = init.providerCode;
  }
}

/** An inbound request body that does not match the API it was sent to. Answer 400. */
export class InboundRequestError extends ProvidersError {
  constructor(
    message: string,
    /** Dotted path of the offending field (`messages.0.content`), when known. */
    readonly param: string | undefined,
    readonly issues: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super('TOTRA_INBOUND_INVALID_REQUEST', message, options);
  }
}

/** The request uses a feature the target provider cannot express (e.g. image URLs on Bedrock). Answer 400. */
export class UnsupportedFeatureError extends ProvidersError {
  constructor(
    readonly provider: string,
    readonly feature: string,
    message?: string,
  ) {
    super('TOTRA_PROVIDER_UNSUPPORTED', message ?? `${provider} does not support ${feature}`);
  }
}

/** A deployment lacks what its adapter needs (API key, region, base URL). A configuration bug. */
export class ProviderConfigError extends ProvidersError {
  constructor(
    readonly provider: string,
    message: string,
  ) {
    super('TOTRA_PROVIDER_CONFIG', message);
  }
}
