import { z } from 'zod';
import { defineEvent } from '../define-event.js';

/** Integer micro-USD per 1,000,000 tokens ($2.50 / 1M tokens = 2_500_000). */
export const MicroUsdPerMTok = z.int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * A negotiated or custom price for one model, for one deployment or (without `deployment`) for
 * every deployment of that provider serving it, from `effectiveFrom` on. It replaces the shipped
 * catalog's price (long-context tiers included) for the requests it matches; a later PriceSet of
 * the same provider, model and deployment from the same date replaces it.
 */
export const PriceSet = defineEvent({
  type: 'PriceSet',
  v: 1,
  description:
    'A price was set for a model (one deployment, or every deployment of a provider serving it) from a date on, in integer micro-USD per million tokens: input, output, and optionally cached input, cache writes and reasoning (which otherwise follow the input and output rates).',
  data: z
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
    .strict(),
});

/**
 * A price set earlier stops applying from `effectiveFrom` on, for one deployment or (without
 * `deployment`) provider-wide: from then the next price down applies (a deployment's falls back
 * to the provider-wide price set, a provider-wide one to the shipped catalog's). Requests before
 * that date keep the price they were charged.
 */
export const PriceRemoved = defineEvent({
  type: 'PriceRemoved',
  v: 1,
  description:
    'A price set for a model (one deployment, or every deployment of a provider serving it) stopped applying from a date on: the provider-wide price set, or else the shipped catalog price, applies again.',
  data: z
    .object({
      deployment: z.string().min(1).max(200).optional(),
      model: z.string().min(1).max(200),
      provider: z.string().min(1).max(64),
      /** RFC 3339 date-time from which the price no longer applies (inclusive). */
      effectiveFrom: z.iso.datetime({ offset: true }),
    })
    .strict(),
});
