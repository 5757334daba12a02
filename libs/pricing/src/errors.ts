/** Base class of every error thrown by @totra/pricing. Check errors by `code`, not by class. */
export class PricingError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Neither the catalog nor any price override knows this provider/model pair. */
export class UnknownModelPriceError extends PricingError {
  constructor(
    readonly provider: string,
    readonly model: string,
  ) {
    super('TOTRA_PRICE_UNKNOWN_MODEL', `no price known for model "${model}" of provider "${provider}"`);
  }
}

/** A usage record that cannot be priced: negative, fractional or inconsistent token counts. */
export class InvalidUsageError extends PricingError {
  constructor(message: string) {
    super('TOTRA_PRICE_INVALID_USAGE', message);
  }
}

/** A price that is not a non-negative safe integer of micro-USD per 1M tokens, or a malformed PriceSet. */
export class InvalidPriceError extends PricingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOTRA_PRICE_INVALID', message, options);
  }
}

/** A cost that does not fit in a JavaScript safe integer of micro-USD (over ~9 billion USD). */
export class CostOverflowError extends PricingError {
  constructor(readonly microUsd: bigint) {
    super('TOTRA_PRICE_OVERFLOW', `cost of ${microUsd.toString()} micro-USD exceeds Number.MAX_SAFE_INTEGER`);
  }
}
