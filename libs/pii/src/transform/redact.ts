import { replaceSpans, type SpanLike } from './spans.js';

/** Replaces every span with its type label, e.g. `[EMAIL]`, `[CN_RESIDENT_ID]`. Pure. */
export function redact(text: string, spans: readonly SpanLike[]): string {
  return replaceSpans(text, spans, (s) => `[${s.type}]`);
}
