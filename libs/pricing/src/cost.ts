import { CostOverflowError, InvalidUsageError } from './errors.js';
import { assertValidPrice, effectiveRates, type ModelPrice, ratesForPrompt } from './price.js';
import { billableTokens, type TokenUsage } from './usage.js';

const PER_MTOK = 1_000_000n;

/**
 * THE rounding rule, used by every cost in this package: the exact cost of a request is
 * `sum(tokens_b x pricePerMTokMicroUsd_b) / 1_000_000` micro-USD over its token buckets `b`;
 * it is computed in BigInt and rounded UP once, on the sum, to a whole micro-USD
 * (a request never costs less than what it used; at most 1 micro-USD is added).
 */
export function ceilMicroUsd(tokenRateProduct: bigint): number {
  const micro = (tokenRateProduct + PER_MTOK - 1n) / PER_MTOK;
  if (micro > BigInt(Number.MAX_SAFE_INTEGER)) throw new CostOverflowError(micro);
  return Number(micro);
}

/**
 * The cost in integer micro-USD of a request's usage at `price`, rounded up once (see
 * {@link ceilMicroUsd}). The long-context tier is chosen by the prompt size of this request.
 * Throws `TOTRA_PRICE_INVALID_USAGE` for counts that contradict the usage convention.
 */
export function costOf(usage: TokenUsage, price: ModelPrice): number {
  assertValidPrice(price);
  const tokens = billableTokens(usage);
  const r = effectiveRates(ratesForPrompt(price, tokens.promptTokens));
  const sum =
    BigInt(tokens.uncachedInput) * r.input +
    BigInt(tokens.cachedInput) * r.cachedInput +
    BigInt(tokens.cacheWrite5m) * r.cacheWrite +
    BigInt(tokens.cacheWrite1h) * r.cacheWrite1h +
    BigInt(tokens.output) * r.output +
    BigInt(tokens.reasoning) * r.reasoning;
  return ceilMicroUsd(sum);
}

/** What admission control knows before the request is sent. */
export interface MaxCostInput {
  /** Estimated or counted prompt tokens (see `estimateChatInputTokens`). */
  readonly inputTokens: number;
  /** The request's max output tokens (max_tokens / max_completion_tokens, or the model limit). */
  readonly maxOutputTokens: number;
}

function nonNegative(value: number, field: string): bigint {
  if (!Number.isSafeInteger(value) || value < 0) throw new InvalidUsageError(`${field} must be a non-negative integer, got ${String(value)}`);
  return BigInt(value);
}

/**
 * Upper estimate for budget reservation: every input token at the uncached input rate plus
 * every possible output token at the higher of the output and reasoning rates, with the tier
 * chosen by `inputTokens`; rounded up like {@link costOf}. Prompt-cache writes (Anthropic
 * bills them at 1.25x or 2x input) are not assumed: callers that set `cache_control` and
 * want a strict bound can reserve `costOf({inputTokens: 0, cacheWriteTokens: n, ...})`.
 */
export function estimateMaxCost(input: MaxCostInput, price: ModelPrice): number {
  assertValidPrice(price);
  const inputTokens = nonNegative(input.inputTokens, 'inputTokens');
  const outputTokens = nonNegative(input.maxOutputTokens, 'maxOutputTokens');
  const r = effectiveRates(ratesForPrompt(price, input.inputTokens));
  const outputRate = r.output > r.reasoning ? r.output : r.reasoning;
  return ceilMicroUsd(inputTokens * r.input + outputTokens * outputRate);
}

/**
 * The largest number of output tokens a request with `inputTokens` prompt tokens can produce
 * without its {@link estimateMaxCost} exceeding `budgetMicroUsd` (0 when the prompt alone
 * exceeds it). `Number.MAX_SAFE_INTEGER` when output is free. Used to cut a stream at its cap.
 */
export function affordableOutputTokens(budgetMicroUsd: number, inputTokens: number, price: ModelPrice): number {
  assertValidPrice(price);
  const budget = nonNegative(budgetMicroUsd, 'budgetMicroUsd') * PER_MTOK;
  const prompt = nonNegative(inputTokens, 'inputTokens');
  const r = effectiveRates(ratesForPrompt(price, inputTokens));
  const outputRate = r.output > r.reasoning ? r.output : r.reasoning;
  const left = budget - prompt * r.input;
  if (left < 0n) return 0;
  if (outputRate === 0n) return Number.MAX_SAFE_INTEGER;
  const tokens = left / outputRate;
  return tokens > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(tokens);
}
