import { type ChatTokenBreakdown, type ChatTokenInput, countChatInput } from './chat-tokens.js';
import { loadEncoding, type TextTokenCounter, type TokenEncodingName } from './encodings.js';
import { applySafetyFactor, type TokenProfile, tokenProfileFor } from './token-profile.js';

/** An input-token estimate for a chat request. */
export interface ChatTokenEstimate {
  /** Estimated prompt tokens, safety factor included for non-OpenAI models. */
  readonly inputTokens: number;
  readonly encoding: TokenEncodingName;
  /** True when o200k_base stood in for the model's own tokenizer (non-OpenAI models). */
  readonly approximate: boolean;
  readonly breakdown: ChatTokenBreakdown;
}

/** A loaded tokenizer for one model: synchronous counting once loaded. */
export class Tokenizer {
  constructor(
    readonly model: string,
    readonly profile: TokenProfile,
    private readonly counter: TextTokenCounter,
  ) {}

  /** Tokens of a text; for non-OpenAI models the o200k count times the safety factor, rounded up. */
  count(text: string): number {
    return applySafetyFactor(this.counter(text), this.profile);
  }

  /** Prompt tokens of a chat request by OpenAI's per-message rule (see `ChatCountingRule`). */
  estimateChatInput(input: ChatTokenInput): ChatTokenEstimate {
    const breakdown = countChatInput(input, this.counter, this.profile.rule);
    const raw = breakdown.messages + breakdown.images + breakdown.tools + breakdown.counted;
    return {
      inputTokens: applySafetyFactor(raw, this.profile),
      encoding: this.profile.encoding,
      approximate: !this.profile.exact,
      breakdown,
    };
  }
}

/** Loads (once per encoding, lazily) the tokenizer that counts for `model`. */
export async function loadTokenizer(model: string): Promise<Tokenizer> {
  const profile = tokenProfileFor(model);
  return new Tokenizer(model, profile, await loadEncoding(profile.encoding));
}

/** Loads encodings ahead of the first request (service start-up), so no request pays the load. */
export async function preloadTokenizers(encodings: readonly TokenEncodingName[] = ['o200k_base', 'cl100k_base']): Promise<void> {
  await Promise.all(encodings.map((name) => loadEncoding(name)));
}

/** Tokens of `text` for `model` (see {@link Tokenizer.count}). */
export async function countTokens(text: string, model: string): Promise<number> {
  return (await loadTokenizer(model)).count(text);
}

/** Prompt-token estimate of a chat request for `model`, where the provider reports none. */
export async function estimateChatInputTokens(input: ChatTokenInput, model: string): Promise<ChatTokenEstimate> {
  return (await loadTokenizer(model)).estimateChatInput(input);
}
