export {
  type ModelPrice,
  type PriceRates,
  type PriceTier,
  type ServiceTier,
  ZERO_PRICE,
  assertValidPrice,
  priceAtServiceTier,
  ratesForPrompt,
  usdPerMTok,
} from './price.js';
export { type BillableTokens, type TokenUsage, type UsageConvention, billableTokens } from './usage.js';
export { type MaxCostInput, affordableOutputTokens, ceilMicroUsd, costOf, estimateMaxCost } from './cost.js';
export {
  type CatalogEntry,
  type CatalogMatch,
  type KnownProvider,
  type PriceCatalog,
  type PriceVerification,
  CatalogIndex,
  PROVIDERS,
  PROVIDER_ALIASES,
  normalizeProvider,
} from './catalog/catalog.js';
export { CATALOG_2026_12 } from './catalog/2026-12.catalog.js';
export { MicroUsdPerMTok, PriceRemovedData, PriceSetData } from './price-set.schema.js';
export {
  DEFAULT_CATALOG,
  PRICE_EVENT_TYPES,
  PriceBook,
  type PriceOverride,
  type PriceQuery,
  type PriceSetMeta,
  type ResolvedPrice,
} from './price-book.js';
export { loadTokenCodec, type TokenCodec, type TokenEncodingName } from './tokens/encodings.js';
export {
  APPROXIMATION_SAFETY_FACTOR,
  type ChatCountingRule,
  type TokenProfile,
  tokenProfileFor,
} from './tokens/token-profile.js';
export { type ImagePart, imageTokens } from './tokens/image-tokens.js';
export {
  type ChatContentPart,
  type ChatMessageInput,
  type ChatTokenBreakdown,
  type ChatTokenInput,
  type CountedPart,
  type TextPart,
  type ToolCallInput,
  type ToolDefinitionInput,
} from './tokens/chat-tokens.js';
export {
  type ChatTokenEstimate,
  Tokenizer,
  countTokens,
  estimateChatInputTokens,
  loadTokenizer,
  preloadTokenizers,
} from './tokens/tokenizer.js';
export {
  CostOverflowError,
  InvalidPriceError,
  InvalidUsageError,
  PricingError,
  UnknownModelPriceError,
} from './errors.js';
