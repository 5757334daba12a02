import { InvalidPriceError } from './errors.js';

/**
 * Per-token-class rates of one model, each an integer number of micro-USD per 1,000,000 tokens
 * (that is, "USD per 1M tokens" x 1e6: $2.50 / 1M tokens is `2_500_000`). Every rate a provider
 * publishes today has at most six decimals in USD per 1M tokens, so it stays an integer here.
 *
 * Optional rates fall back as follows (a provider that does not publish a rate bills that
 * token class at the fallback):
 * - `cachedInputPerMTokMicroUsd` (prompt-cache read / hit) -> `inputPerMTokMicroUsd`
 * - `cacheWritePerMTokMicroUsd` (prompt-cache write, Anthropic 5-minute TTL) -> `inputPerMTokMicroUsd`
 * - `cacheWrite1hPerMTokMicroUsd` (Anthropic 1-hour TTL writes) -> `cacheWritePerMTokMicroUsd`
 * - `reasoningPerMTokMicroUsd` (thinking tokens) -> `outputPerMTokMicroUsd`; every current
 *   provider bills reasoning at the output rate, the field exists for negotiated prices.
 */
export interface PriceRates {
  readonly inputPerMTokMicroUsd: number;
  readonly outputPerMTokMicroUsd: number;
  readonly cachedInputPerMTokMicroUsd?: number;
  readonly cacheWritePerMTokMicroUsd?: number;
  readonly cacheWrite1hPerMTokMicroUsd?: number;
  readonly reasoningPerMTokMicroUsd?: number;
}

/**
 * A long-context tier: when a request's prompt (all input tokens, cached reads and cache writes
 * included) is strictly greater than `aboveInputTokens`, every token of that request, output
 * included, is billed at this tier's rates (Gemini 2.5 Pro above 200k, GPT-5.4 above 272k,
 * Claude Haiku 5.5 above 100k).
 */
export interface PriceTier extends PriceRates {
  readonly aboveInputTokens: number;
}

/**
 * The processing tiers a provider prices apart from its standard one (OpenAI's `service_tier`):
 * `priority` (faster, dearer: 2x to 2.5x) and `flex` (slower, cheaper: half).
 */
export type ServiceTier = 'priority' | 'flex';

/** The price of one model: base rates plus optional long-context tiers. */
export interface ModelPrice extends PriceRates {
  readonly tiers?: readonly PriceTier[];
  /** The model's price at processing tiers its provider prices apart (see {@link ServiceTier}). */
  readonly serviceTiers?: Readonly<Partial<Record<ServiceTier, ModelPrice>>>;
}

/**
 * The price a request served at `tier` (as the provider reported it: OpenAI's `default`,
 * `priority`, `flex`; Anthropic's `standard`, `priority`) costs: the tier's own price where the
 * model has one, else the standard price. `tier` is the tier priced apart, `priced` whether the
 * price has its rates (false: a tier priced apart that this price does not know).
 */
export function priceAtServiceTier(price: ModelPrice, reported: string | undefined): { price: ModelPrice; tier?: ServiceTier; priced: boolean } {
  if (reported !== 'priority' && reported !== 'flex') return { price, priced: true };
  const own = price.serviceTiers?.[reported];
  return own ? { price: own, tier: reported, priced: true } : { price, tier: reported, priced: false };
}

/** A zero price (local models, the demo provider). */
export const ZERO_PRICE: ModelPrice = Object.freeze({ inputPerMTokMicroUsd: 0, outputPerMTokMicroUsd: 0 });

const RATE_FIELDS = [
  'inputPerMTokMicroUsd',
  'outputPerMTokMicroUsd',
  'cachedInputPerMTokMicroUsd',
  'cacheWritePerMTokMicroUsd',
  'cacheWrite1hPerMTokMicroUsd',
  'reasoningPerMTokMicroUsd',
] as const satisfies readonly (keyof PriceRates)[];

/**
 * Converts a decimal USD-per-1M-tokens string as printed on a pricing page ("2.50", "0.0375")
 * to integer micro-USD per 1M tokens, exactly (no floating point involved).
 */
export function usdPerMTok(usd: string): number {
  const match = /^(\d+)(?:\.(\d{1,6}))?$/.exec(usd);
  if (!match) throw new InvalidPriceError(`"${usd}" is not a USD amount with at most 6 decimals`);
  const whole = match[1] ?? '0';
  const fraction = (match[2] ?? '').padEnd(6, '0');
  const micro = BigInt(whole) * 1_000_000n + BigInt(fraction);
  if (micro > BigInt(Number.MAX_SAFE_INTEGER)) throw new InvalidPriceError(`"${usd}" is too large`);
  return Number(micro);
}

/** Throws `TOTRA_PRICE_INVALID` unless every rate (and every tier) is a non-negative safe integer. */
export function assertValidPrice(price: ModelPrice, label = 'price'): void {
  checkRates(price, label);
  for (const [name, tierPrice] of Object.entries(price.serviceTiers ?? {})) {
    if (tierPrice) assertValidPrice(tierPrice, `${label} at ${name}`);
  }
  let previous = -1;
  for (const tier of price.tiers ?? []) {
    if (!Number.isSafeInteger(tier.aboveInputTokens) || tier.aboveInputTokens < 0) {
      throw new InvalidPriceError(`${label}: tier threshold must be a non-negative integer`);
    }
    if (tier.aboveInputTokens <= previous) {
      throw new InvalidPriceError(`${label}: tiers must be sorted by strictly increasing threshold`);
    }
    previous = tier.aboveInputTokens;
    checkRates(tier, `${label} tier >${tier.aboveInputTokens}`);
  }
}

function checkRates(rates: PriceRates, label: string): void {
  for (const field of RATE_FIELDS) {
    const value = rates[field];
    if (value === undefined && field !== 'inputPerMTokMicroUsd' && field !== 'outputPerMTokMicroUsd') continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new InvalidPriceError(`${label}: ${field} must be a non-negative safe integer, got ${String(value)}`);
    }
  }
}

/** The rates that apply to a request whose prompt has `promptTokens` tokens (tier selection). */
export function ratesForPrompt(price: ModelPrice, promptTokens: number): PriceRates {
  let selected: PriceRates = price;
  for (const tier of price.tiers ?? []) {
    if (promptTokens > tier.aboveInputTokens) selected = tier;
  }
  return selected;
}

/** Rates with every fallback filled in, as bigint for exact arithmetic. */
export interface EffectiveRates {
  readonly input: bigint;
  readonly cachedInput: bigint;
  readonly cacheWrite: bigint;
  readonly cacheWrite1h: bigint;
  readonly output: bigint;
  readonly reasoning: bigint;
}

export function effectiveRates(rates: PriceRates): EffectiveRates {
  const input = BigInt(rates.inputPerMTokMicroUsd);
  const output = BigInt(rates.outputPerMTokMicroUsd);
  const cacheWrite = BigInt(rates.cacheWritePerMTokMicroUsd ?? rates.inputPerMTokMicroUsd);
  return {
    input,
    cachedInput: BigInt(rates.cachedInputPerMTokMicroUsd ?? rates.inputPerMTokMicroUsd),
    cacheWrite,
    cacheWrite1h: rates.cacheWrite1hPerMTokMicroUsd === undefined ? cacheWrite : BigInt(rates.cacheWrite1hPerMTokMicroUsd),
    output,
    reasoning: BigInt(rates.reasoningPerMTokMicroUsd ?? rates.outputPerMTokMicroUsd),
  };
}
