import { z } from 'zod';

/** Integer micro-USD per 1,000,000 tokens ($2.50 / 1M tokens = 2_500_000). */
export const MicroUsdPerMTok = z.int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * Data of a `PriceSet` event: a negotiated or custom price for one model, for one deployment
 * or (without `deployment`) for every deployment of that provider, from `effectiveFrom` on.
 * It replaces the catalog price (long-context tiers included) for matching requests.
 * Omitted optional rates follow the fallbacks of `PriceRates` (cache reads and writes at
 * the input rate, reasoning at the output rate).
 */
export const PriceSetData = z
  .object({
    /** Gateway deployment id; absent = every deployment of `provider` serving `model`. */
    deployment: z.string().min(1).max(200).optional(),
    /** Model id as routed; catalog aliases and date suffixes resolve to the same model. */
    model: z.string().min(1).max(200),
    provider: z.string().min(1).max(64),
    inputPerMTokMicroUsd: MicroUsdPerMTok,
    outputPerMTokMicroUsd: MicroUsdPerMTok,
    cachedInputPerMTokMicroUsd: MicroUsdPerMTok.optional(),
    cacheWritePerMTokMicroUsd: MicroUsdPerMTok.optional(),
    reasoningPerMTokMicroUsd: MicroUsdPerMTok.optional(),
    /** RFC 3339 date-time from which the price applies (inclusive). */
    effectiveFrom: z.iso.datetime({ offset: true }),
  })
  .strict();
export type PriceSetData = z.infer<typeof PriceSetData>;
