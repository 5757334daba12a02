/** The BPE encodings this package can load (both from `gpt-tokenizer`). */
export type TokenEncodingName = 'o200k_base' | 'cl100k_base';

/** Counts the tokens of a text, treating special-token text such as `<|endoftext|>` as plain text. */
export type TextTokenCounter = (text: string) => number;

// Special-token strings in user text must be counted as ordinary text, never rejected.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

const loaders: Record<TokenEncodingName, () => Promise<TextTokenCounter>> = {
  o200k_base: async () => {
    const encoding = await import('gpt-tokenizer/encoding/o200k_base');
    return (text) => encoding.countTokens(text, PLAIN_TEXT);
  },
  cl100k_base: async () => {
    const encoding = await import('gpt-tokenizer/encoding/cl100k_base');
    return (text) => encoding.countTokens(text, PLAIN_TEXT);
  },
};

const loaded = new Map<TokenEncodingName, Promise<TextTokenCounter>>();

/**
 * Loads an encoding on first use (about 250 ms and 30 MB of heap for o200k_base, so nothing
 * is loaded at import time) and shares it afterwards. A failed load is retried next time.
 */
export function loadEncoding(name: TokenEncodingName): Promise<TextTokenCounter> {
  let pending = loaded.get(name);
  if (!pending) {
    pending = loaders[name]();
    loaded.set(name, pending);
    pending.catch(() => loaded.delete(name));
  }
  return pending;
}
