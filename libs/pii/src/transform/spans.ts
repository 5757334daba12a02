import { InvalidSpanError } from '../errors.js';
import { type PiiType } from '../types.js';

/** The part of a span the transformations need. */
export interface SpanLike {
  readonly start: number;
  readonly end: number;
  readonly type: PiiType;
}

/**
 * Spans sorted by start with overlaps merged into the earlier span (the union is replaced, so
 * nothing of either leaks). Throws {@link InvalidSpanError} for spans outside the text.
 */
export function orderedSpans(text: string, spans: readonly SpanLike[]): SpanLike[] {
  for (const s of spans) {
    if (!Number.isInteger(s.start) || !Number.isInteger(s.end) || s.start < 0 || s.end < s.start || s.end > text.length) {
      throw new InvalidSpanError(`span [${s.start}, ${s.end}) does not fit a text of length ${text.length}`);
    }
  }
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: SpanLike[] = [];
  for (const s of sorted) {
    if (s.end === s.start) continue;
    const last = out[out.length - 1];
    if (last !== undefined && s.start < last.end) {
      if (s.end > last.end) out[out.length - 1] = { start: last.start, end: s.end, type: last.type };
      continue;
    }
    out.push(s);
  }
  return out;
}

/** Rebuilds `text` with each span replaced by `replace(span)`. */
export function replaceSpans(text: string, spans: readonly SpanLike[], replace: (s: SpanLike) => string): string {
  const ordered = orderedSpans(text, spans);
  if (ordered.length === 0) return text;
  const parts: string[] = [];
  let at = 0;
  for (const s of ordered) {
    parts.push(text.slice(at, s.start), replace(s));
    at = s.end;
  }
  parts.push(text.slice(at));
  return parts.join('');
}
