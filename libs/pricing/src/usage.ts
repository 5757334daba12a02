import { InvalidUsageError } from './errors.js';

/**
 * How the counts of a {@link TokenUsage} relate to each other. Providers disagree:
 *
 * - `openai` (the default; also Mistral, Cohere, Azure OpenAI, Ollama and OpenAI-compatible
 *   servers): `inputTokens` is `prompt_tokens` and already *includes* the cached tokens
 *   (`prompt_tokens_details.cached_tokens`) and any cache writes; `outputTokens` is
 *   `completion_tokens` and already *includes* `completion_tokens_details.reasoning_tokens`.
 * - `anthropic` (Anthropic Messages API and Bedrock Converse): `inputTokens` is `input_tokens`,
 *   which *excludes* `cache_read_input_tokens` and `cache_creation_input_tokens`; those are
 *   added on top. `output_tokens` includes thinking tokens.
 * - `gemini`: `promptTokenCount` *includes* `cachedContentTokenCount` (like OpenAI), but
 *   `candidatesTokenCount` *excludes* `thoughtsTokenCount`, which is billed on top at the
 *   output rate.
 */
export type UsageConvention = 'openai' | 'anthropic' | 'gemini';

/** Token counts of one request as a provider reported them (see {@link UsageConvention}). */
export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Prompt-cache reads (hits). */
  readonly cachedInputTokens?: number;
  /** Prompt-cache writes, all TTLs together. */
  readonly cacheWriteTokens?: number;
  /** The part of `cacheWriteTokens` written with Anthropic's 1-hour TTL. */
  readonly cacheWrite1hTokens?: number;
  /** Reasoning / thinking tokens. */
  readonly reasoningTokens?: number;
  /** Defaults to `openai`. */
  readonly convention?: UsageConvention;
}

/** Usage split into disjoint billable buckets. */
export interface BillableTokens {
  readonly uncachedInput: number;
  readonly cachedInput: number;
  readonly cacheWrite5m: number;
  readonly cacheWrite1h: number;
  /** Output tokens that are not reasoning tokens. */
  readonly output: number;
  readonly reasoning: number;
  /** Every prompt token: uncached + cache reads + cache writes (selects long-context tiers). */
  readonly promptTokens: number;
}

function count(value: number | undefined, field: string): number {
  if (value === undefined) return 0;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidUsageError(`${field} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

/** Splits a usage record into disjoint buckets according to its convention. */
export function billableTokens(usage: TokenUsage): BillableTokens {
  const input = count(usage.inputTokens, 'inputTokens');
  const output = count(usage.outputTokens, 'outputTokens');
  const cached = count(usage.cachedInputTokens, 'cachedInputTokens');
  const writes = count(usage.cacheWriteTokens, 'cacheWriteTokens');
  const writes1h = count(usage.cacheWrite1hTokens, 'cacheWrite1hTokens');
  const reasoning = count(usage.reasoningTokens, 'reasoningTokens');
  const convention = usage.convention ?? 'openai';

  if (writes1h > writes) throw new InvalidUsageError('cacheWrite1hTokens is part of cacheWriteTokens and cannot exceed it');

  let uncachedInput: number;
  if (convention === 'anthropic') {
    uncachedInput = input;
  } else {
    if (cached + writes > input) {
      throw new InvalidUsageError(
        `with the ${convention} convention cached (${cached}) and cache-write (${writes}) tokens are part of inputTokens (${input})`,
      );
    }
    uncachedInput = input - cached - writes;
  }

  let visibleOutput: number;
  if (convention === 'gemini') {
    visibleOutput = output;
  } else {
    if (reasoning > output) {
      throw new InvalidUsageError(`with the ${convention} convention reasoningTokens (${reasoning}) are part of outputTokens (${output})`);
    }
    visibleOutput = output - reasoning;
  }

  const promptTokens = uncachedInput + cached + writes;
  if (!Number.isSafeInteger(promptTokens)) throw new InvalidUsageError('prompt token total is not a safe integer');
  return {
    uncachedInput,
    cachedInput: cached,
    cacheWrite5m: writes - writes1h,
    cacheWrite1h: writes1h,
    output: visibleOutput,
    reasoning,
    promptTokens,
  };
}
