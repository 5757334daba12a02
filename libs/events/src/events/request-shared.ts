import { z } from 'zod';

/** Inbound API a request came through. */
export const InboundApi = z.enum(['openai.chat', 'openai.responses', 'openai.completions', 'openai.embeddings', 'openai.models', 'anthropic.messages', 'anthropic.count_tokens', 'anthropic.models']);

/** Token counts of one request (cached and reasoning tokens are included in input / output). */
export const TokenCounts = z
  .object({
    input: z.number().int().min(0),
    output: z.number().int().min(0),
    cachedInput: z.number().int().min(0),
    reasoning: z.number().int().min(0),
    /** True when the provider gave no usage and the gateway counted with a tokenizer. */
    estimated: z.boolean(),
  })
  .strict();

/** Who sent the request: pseudonymous ids only (no email, no name, no address). */
export const Caller = {
  keyId: z.string().min(1).max(100),
  userId: z.string().min(1).max(128),
  teamId: z.string().min(1).max(128),
};

/** Time spent in the gateway itself and waiting on the provider, in microseconds. */
export const Latency = z
  .object({
    overheadUs: z.number().int().min(0),
    upstreamUs: z.number().int().min(0),
    totalUs: z.number().int().min(0),
    /** Time to the first byte sent to the client (streams), or to the response. */
    firstByteUs: z.number().int().min(0).optional(),
  })
  .strict();

/**
 * Personal data of a request's terminal event, sealed under the subject's identity key when the
 * gateway runs with a key store: the client's address (after trusted proxies) and its user agent.
 */
export const REQUEST_SEALED_FIELDS = ['clientIp', 'userAgent'] as const;

/**
 * Parts of the request that went to the provider unscanned, under a PII policy that allows
 * content the scanner cannot read (documents, files, audio; ADR 0026). Absent when there were none.
 */
export const UnscannedParts = z.number().int().min(1).max(10_000);

/**
 * The provider's id of the request (OpenAI's `x-request-id`, Anthropic's `request-id`, Azure's
 * `apim-request-id`, Bedrock's `x-amzn-requestid`): what its support, logs and usage records
 * know the request by. Absent when the provider names none. Not personal data.
 */
export const UpstreamRequestId = z.string().min(1).max(200);
