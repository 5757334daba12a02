import { StreamClosedError } from '../errors.js';
import { replaceSpans, type SpanLike } from './spans.js';
import { placeholderLength, type PiiVault } from './vault.js';

/**
 * Replaces every span with a stable placeholder from `vault` (`<EMAIL_1>`): the same value maps
 * to the same placeholder, so the model can still tell entities apart. Records the values in the
 * vault for {@link restore}. Pure apart from the vault it is given.
 */
export function pseudonymize(text: string, spans: readonly SpanLike[], vault: PiiVault): string {
  return replaceSpans(text, spans, (s) => vault.placeholderFor(s.type, text.slice(s.start, s.end)));
}

/** Puts the original values back for every placeholder this vault issued; other text is untouched. */
export function restore(text: string, vault: PiiVault): string {
  let at = text.indexOf('<');
  if (at < 0) return text;
  const parts: string[] = [];
  let copied = 0;
  while (at >= 0) {
    const len = placeholderLength(text, at);
    if (len > 0) {
      const value = vault.valueOf(text.slice(at, at + len));
      if (value !== undefined) {
        parts.push(text.slice(copied, at), value);
        copied = at + len;
        at = text.indexOf('<', copied);
        continue;
      }
    }
    at = text.indexOf('<', at + 1);
  }
  if (copied === 0) return text;
  parts.push(text.slice(copied));
  return parts.join('');
}

/** Restores placeholders in a stream of text chunks (see {@link createStreamRestorer}). */
export interface StreamRestorer {
  /** Restored text that is safe to emit now; may hold back a possible partial placeholder. */
  push(chunk: string): string;
  /** Everything still held back, restored. The restorer cannot be used afterwards. */
  flush(): string;
}

/**
 * A restorer for streamed model output: placeholders split across chunks (`<EMA` + `IL_1>`) are
 * restored once complete. Only a trailing `<` plus placeholder characters is held back, at most
 * one placeholder's length, so output is delayed by a few characters at most.
 */
export function createStreamRestorer(vault: PiiVault): StreamRestorer {
  let pending = '';
  let closed = false;
  return {
    push(chunk: string): string {
      if (closed) throw new StreamClosedError();
      const text = pending + chunk;
      const lt = text.lastIndexOf('<');
      if (lt >= 0 && placeholderLength(text, lt) === -1) {
        pending = text.slice(lt);
        return restore(text.slice(0, lt), vault);
      }
      pending = '';
      return restore(text, vault);
    },
    flush(): string {
      if (closed) throw new StreamClosedError();
      closed = true;
      const rest = restore(pending, vault);
      pending = '';
      return rest;
    },
  };
}
