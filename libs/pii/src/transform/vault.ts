import { type PiiType } from '../types.js';

/**
 * Placeholder <-> value table of one request (or conversation). The same type and value always
 * get the same placeholder (`<EMAIL_1>`), different values get numbered ones. Keep one vault per
 * scope: placeholders of one vault mean nothing in another.
 */
export class PiiVault {
  private readonly placeholders = new Map<string, string>();
  private readonly values = new Map<string, string>();
  private readonly counters = new Map<PiiType, number>();

  /** The placeholder of `value`, allocating `<TYPE_n>` the first time. */
  placeholderFor(type: PiiType, value: string): string {
    const key = `${type}\u0000${value}`;
    const known = this.placeholders.get(key);
    if (known !== undefined) return known;
    const n = (this.counters.get(type) ?? 0) + 1;
    this.counters.set(type, n);
    const placeholder = `<${type}_${n}>`;
    this.placeholders.set(key, placeholder);
    this.values.set(placeholder, value);
    return placeholder;
  }

  /** The original value behind a placeholder, if this vault issued it. */
  valueOf(placeholder: string): string | undefined {
    return this.values.get(placeholder);
  }

  /** Number of distinct values stored. */
  get size(): number {
    return this.values.size;
  }
}

/** A new, empty vault. */
export function createVault(): PiiVault {
  return new PiiVault();
}

/** Longest placeholder text: `<`, a type name, `_`, a counter, `>`. */
export const MAX_PLACEHOLDER_LENGTH = 48;

const isPlaceholderChar = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;

/**
 * Length of the placeholder starting with the `<` at `at` (`<[A-Z0-9_]+>`), 0 if none, or -1
 * when the text ends while it could still become one.
 */
export function placeholderLength(text: string, at: number): number {
  let i = at + 1;
  const limit = Math.min(text.length, at + MAX_PLACEHOLDER_LENGTH);
  while (i < limit && isPlaceholderChar(text.charCodeAt(i))) i++;
  if (i === text.length && i - at < MAX_PLACEHOLDER_LENGTH) return -1;
  return text.charCodeAt(i) === 62 && i > at + 1 ? i + 1 - at : 0;
}
