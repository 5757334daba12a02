import { type TokenEncodingName } from './encodings.js';

/**
 * Overheads of OpenAI's documented counting rule (the "How to count tokens with tiktoken"
 * cookbook): every message costs 3 tokens plus its role and content, a `name` adds 1, every
 * reply is primed with 3 tokens; function definitions cost `funcInit` each, `propInit` when
 * they have properties, `propKey` per property, `enumInit` + `enumItem` per enum value, and
 * `funcEnd` once for the whole tool list.
 */
export interface ChatCountingRule {
  readonly tokensPerMessage: number;
  readonly tokensPerName: number;
  readonly replyPriming: number;
  readonly funcInit: number;
  readonly propInit: number;
  readonly propKey: number;
  readonly enumInit: number;
  readonly enumItem: number;
  readonly funcEnd: number;
}

/** How tokens of a model are counted. */
export interface TokenProfile {
  readonly encoding: TokenEncodingName;
  /**
   * False for non-OpenAI models: their tokenizers are not public as JavaScript, so o200k_base
   * stands in and every count is multiplied by `safetyFactor` and rounded up.
   */
  readonly exact: boolean;
  /** Multiplier applied to approximate counts, as an exact fraction. */
  readonly safetyFactor: { readonly numerator: number; readonly denominator: number };
  readonly rule: ChatCountingRule;
}

const O200K_RULE: ChatCountingRule = {
  tokensPerMessage: 3,
  tokensPerName: 1,
  replyPriming: 3,
  funcInit: 7,
  propInit: 3,
  propKey: 3,
  enumInit: -3,
  enumItem: 3,
  funcEnd: 12,
};
const CL100K_RULE: ChatCountingRule = { ...O200K_RULE, funcInit: 10 };

const EXACT = { numerator: 1, denominator: 1 } as const;
/**
 * Safety factor for non-OpenAI models: 1.25. Claude's and Gemini's tokenizers produce up to
 * roughly a fifth more tokens than o200k_base on English prose and code; over-estimating only
 * makes a budget reservation a little larger, under-estimating lets a request overspend.
 */
export const APPROXIMATION_SAFETY_FACTOR = { numerator: 5, denominator: 4 } as const;

const CL100K_MODELS = /^(?:gpt-3\.5|gpt-4(?:$|-)|text-embedding-3|text-embedding-ada)/;
const O200K_MODELS = /^(?:gpt-4o|gpt-4\.\d|gpt-[5-9]|o\d|chatgpt-|gpt-oss|codex-)/;
const OPENAI_PREFIX = /^(?:openai|azure-openai|azure)\//;

/** The encoding and counting rule for a model id (OpenAI and Azure OpenAI ids count exactly). */
export function tokenProfileFor(model: string): TokenProfile {
  const id = model.trim().toLowerCase().replace(OPENAI_PREFIX, '');
  if (CL100K_MODELS.test(id)) return { encoding: 'cl100k_base', exact: true, safetyFactor: EXACT, rule: CL100K_RULE };
  if (O200K_MODELS.test(id)) return { encoding: 'o200k_base', exact: true, safetyFactor: EXACT, rule: O200K_RULE };
  return { encoding: 'o200k_base', exact: false, safetyFactor: APPROXIMATION_SAFETY_FACTOR, rule: O200K_RULE };
}

/** Applies the profile's safety factor, rounding up. */
export function applySafetyFactor(tokens: number, profile: TokenProfile): number {
  const { numerator, denominator } = profile.safetyFactor;
  return Math.ceil((tokens * numerator) / denominator);
}
