import { PriceRemoved, PriceSet } from '@totra/events';

export { MicroUsdPerMTok } from '@totra/events';

/**
 * Data of a `PriceSet` event (defined with the other events in @totra/events): a negotiated or
 * custom price for one model, for one deployment or (without `deployment`) for every deployment
 * of that provider, from `effectiveFrom` on. It replaces the catalog price (long-context tiers
 * included) for matching requests. Omitted optional rates follow the fallbacks of `PriceRates`
 * (cache reads and writes at the input rate, reasoning at the output rate).
 */
export const PriceSetData = PriceSet.data;
export type PriceSetData = typeof PriceSetData._output;

/**
 * Data of a `PriceRemoved` event: the price set for a model (one deployment, or provider-wide)
 * stops applying from `effectiveFrom` on; the next price down applies again.
 */
export const PriceRemovedData = PriceRemoved.data;
export type PriceRemovedData = typeof PriceRemovedData._output;
