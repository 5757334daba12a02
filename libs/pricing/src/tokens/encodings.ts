import { hash } from 'node:crypto';

/** The BPE encodings this package can load (both from `gpt-tokenizer`). */
export type TokenEncodingName = 'o200k_base' | 'cl100k_base';

/** Counts the tokens of a text, treating special-token text such as `<|endoftext|>` as plain text. */
export type TextTokenCounter = (text: string) => number;

// Special-token strings in user text must be counted as ordinary text, never rejected.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** Texts shorter than this are counted every time: encoding them costs about what hashing does. */
const MEMO_MIN_LENGTH = 16;
/** Message roles of the chat formats, counted once per encoding. */
const ROLE_NAMES = ['system', 'user', 'assistant', 'tool', 'developer', 'function', 'model'];
/** Counts one generation of the memo holds; two generations are kept (the older one read-only). */
const MEMO_GENERATION = 4096;

/**
 * The counter with its results remembered, keyed by the SHA-256 of the text: system prompts and
 * conversation histories come back with every request, and encoding is the costly part of
 * admission. The count of a text never changes, so a remembered one is exact; the key is a
 * digest, so no request text stays in memory, and a collision would need one in SHA-256.
 */
export function memoizeCounter(count: TextTokenCounter): TextTokenCounter {
  let young = new Map<string, number>();
  let old = new Map<string, number>();
  // Every message names its role: those few words are counted once.
  const roles = new Map(ROLE_NAMES.map((r) => [r, count(r)]));
  return (text) => {
    if (text.length < MEMO_MIN_LENGTH) return roles.get(text) ?? count(text);
    const key = hash('sha256', text, 'base64');
    let n = young.get(key);
    if (n !== undefined) return n;
    n = old.get(key) ?? count(text);
    if (young.size >= MEMO_GENERATION) {
      old = young;
      young = new Map();
    }
    young.set(key, n);
    return n;
  };
}

const loaders: Record<TokenEncodingName, () => Promise<TextTokenCounter>> = {
  o200k_base: async () => {
    const encoding = await import('gpt-tokenizer/encoding/o200k_base');
    return memoizeCounter((text) => encoding.countTokens(text, PLAIN_TEXT));
  },
  cl100k_base: async () => {
    const encoding = await import('gpt-tokenizer/encoding/cl100k_base');
    return memoizeCounter((text) => encoding.countTokens(text, PLAIN_TEXT));
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
