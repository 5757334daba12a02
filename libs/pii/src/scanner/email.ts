import { C_DIGIT, C_LATIN_EXT, C_LOWER, C_UPPER, classOf } from './char-class.js';

const LOCAL_EXTRA = "._%+-'";

/** Letters and digits, including full-width forms typed with a Japanese or Chinese input method. */
const isWordChar = (c: number): boolean => {
  const k = classOf(c);
  return k === C_DIGIT || k === C_UPPER || k === C_LOWER || k === C_LATIN_EXT;
};
const isLocal = (c: number): boolean => isWordChar(c) || (c < 128 && LOCAL_EXTRA.includes(String.fromCharCode(c)));
const isDomain = (c: number): boolean => isWordChar(c) || c === 45 || c === 46;
const isLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** Span of an email address around the `@` at `at` (RFC 5321 limits: local <= 64, domain <= 255), or null. */
export function matchEmail(text: string, at: number): { start: number; end: number } | null {
  let s = at;
  while (s > 0 && at - s < 65 && isLocal(text.charCodeAt(s - 1))) s--;
  if (at - s > 64 || s === at) return null;
  while (s < at && (text.charCodeAt(s) === 46 || text.charCodeAt(s) === 39)) s++;
  if (s === at || text.charCodeAt(at - 1) === 46) return null;
  // "https://user@host" is URL userinfo, not an address.
  if (s > 0 && text.charCodeAt(s - 1) === 47) return null;

  let e = at + 1;
  while (e < text.length && e - at <= 256 && isDomain(text.charCodeAt(e))) e++;
  if (e - at > 256) return null;
  while (e > at + 1 && (text.charCodeAt(e - 1) === 46 || text.charCodeAt(e - 1) === 45)) e--;
  // Labels: non-empty, <= 63, no leading/trailing hyphen; at least two; the TLD letters only.
  let labels = 0;
  let labelStart = at + 1;
  for (let p = at + 1; p <= e; p++) {
    if (p < e && text.charCodeAt(p) !== 46) continue;
    const len = p - labelStart;
    if (len === 0 || len > 63) return null;
    if (text.charCodeAt(labelStart) === 45 || text.charCodeAt(p - 1) === 45) return null;
    labels++;
    if (p === e) {
      if (len < 2) return null;
      for (let q = labelStart; q < p; q++) if (!isLetter(text.charCodeAt(q))) return null;
    }
    labelStart = p + 1;
  }
  return labels >= 2 ? { start: s, end: e } : null;
}
