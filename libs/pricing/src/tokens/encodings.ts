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

/** What this file uses of a gpt-tokenizer encoding module. */
interface GptEncoding {
  countTokens(text: string, options: typeof PLAIN_TEXT): number;
  decode(tokens: Iterable<number>): string;
  encode(text: string, options: typeof PLAIN_TEXT): number[];
}

/** The encodings' modules, imported on first use. */
const modules: Record<TokenEncodingName, () => Promise<GptEncoding>> = {
  o200k_base: () => import('gpt-tokenizer/encoding/o200k_base'),
  cl100k_base: () => import('gpt-tokenizer/encoding/cl100k_base'),
};

/** `load` run once per encoding and its promise shared; a failed load is retried next time. */
function oncePerEncoding<T>(load: (name: TokenEncodingName) => Promise<T>): (name: TokenEncodingName) => Promise<T> {
  const loaded = new Map<TokenEncodingName, Promise<T>>();
  return (name) => {
    let pending = loaded.get(name);
    if (!pending) {
      pending = load(name);
      loaded.set(name, pending);
      pending.catch(() => loaded.delete(name));
    }
    return pending;
  };
}

/**
 * Loads an encoding's counter on first use (about 250 ms and 30 MB of heap for o200k_base, so
 * nothing is loaded at import time) and shares it afterwards. A failed load is retried next time.
 */
export const loadEncoding: (name: TokenEncodingName) => Promise<TextTokenCounter> = oncePerEncoding(async (name) => {
  const encoding = await modules[name]();
  return memoizeCounter((text) => encoding.countTokens(text, PLAIN_TEXT));
});

/**
 * Token ids to text and back in one encoding (structurally the `TokenTextCodec` that the providers'
 * embeddings decoder takes): for clients that send token arrays instead of texts (ADR 0032).
 */
export interface TokenCodec {
  readonly encoding: TokenEncodingName;
  /** The text of a token array, or the index of its first id that is not a token of the encoding. */
  decode(tokens: readonly number[]): string | { readonly invalidAt: number };
  /** The token ids of a text, special-token text such as `<|endoftext|>` read as plain text. */
  encode(text: string): number[];
}

function codecOf(name: TokenEncodingName, encoding: GptEncoding): TokenCodec {
  return {
    encoding: name,
    decode(tokens) {
      try {
        return encoding.decode(tokens);
      } catch {
        // Not every integer is a token (gaps, ids past the vocabulary): find the first that is not.
        const at = tokens.findIndex((t) => {
          try {
            encoding.decode([t]);
            return false;
          } catch {
            return true;
          }
        });
        return { invalidAt: Math.max(at, 0) };
      }
    },
    encode: (text) => encoding.encode(text, PLAIN_TEXT),
  };
}

/** Loads an encoding's codec on first use (the module {@link loadEncoding} shares) and keeps it. */
export const loadTokenCodec: (name: TokenEncodingName) => Promise<TokenCodec> = oncePerEncoding(async (name) => codecOf(name, await modules[name]()));
