// Character classes of the one-pass tokenizer. ASCII goes through a table; the few non-ASCII
// characters that matter (other digit systems, full-width forms, dashes, spaces) through a switch.

export const C_OTHER = 0;
export const C_DIGIT = 1;
export const C_UPPER = 2;
export const C_LOWER = 3;
/** A Latin letter outside ASCII (é, ß, ł): part of a word, never of an identifier. */
export const C_LATIN_EXT = 4;
export const C_SPACE = 5;
export const C_DASH = 6;
export const C_DOT = 7;
export const C_SLASH = 8;
export const C_LPAREN = 9;
export const C_RPAREN = 10;
export const C_PLUS = 11;
export const C_AT = 12;

/** Classes that make up an atom (a run of letters and digits). */
export const isAtomClass = (k: number): boolean => k >= C_DIGIT && k <= C_LATIN_EXT;
/** Classes allowed between two atoms of one chain. */
export const isGapClass = (k: number): boolean => k >= C_SPACE && k <= C_PLUS;

/** Class of each ASCII code unit (exported for the scanner's inner loop). */
export const ASCII = new Uint8Array(128);
for (let c = 48; c <= 57; c++) ASCII[c] = C_DIGIT;
for (let c = 65; c <= 90; c++) ASCII[c] = C_UPPER;
for (let c = 97; c <= 122; c++) ASCII[c] = C_LOWER;
ASCII[32] = C_SPACE;
ASCII[45] = C_DASH;
ASCII[46] = C_DOT;
ASCII[47] = C_SLASH;
ASCII[40] = C_LPAREN;
ASCII[41] = C_RPAREN;
ASCII[43] = C_PLUS;
ASCII[64] = C_AT;

/** Class of a UTF-16 code unit. */
export function classOf(c: number): number {
  if (c < 128) return ASCII[c]!;
  // Full-width digits, Arabic-Indic and Extended Arabic-Indic (Persian/Urdu) digits.
  if ((c >= 0xff10 && c <= 0xff19) || (c >= 0x0660 && c <= 0x0669) || (c >= 0x06f0 && c <= 0x06f9)) return C_DIGIT;
  if (c >= 0xff21 && c <= 0xff3a) return C_UPPER;
  if (c >= 0xff41 && c <= 0xff5a) return C_LOWER;
  if (c >= 0xc0 && c <= 0x24f) return c === 0xd7 || c === 0xf7 ? C_OTHER : C_LATIN_EXT;
  switch (c) {
    case 0x00a0: // no-break space
    case 0x2007: // figure space
    case 0x2009: // thin space
    case 0x202f: // narrow no-break space
    case 0x3000: // ideographic space
    case 0x200e: // left-to-right mark (around numbers in right-to-left text)
    case 0x200f: // right-to-left mark
    case 0x061c: // Arabic letter mark
      return C_SPACE;
    case 0x2010:
    case 0x2011:
    case 0x2012:
    case 0x2013:
    case 0x2212: // minus sign
    case 0xff0d: // full-width hyphen-minus
    case 0x30fc: // katakana prolonged sound mark, typed as a dash in Japanese numbers
      return C_DASH;
    case 0xff0e:
      return C_DOT;
    case 0xff0f:
      return C_SLASH;
    case 0xff08:
      return C_LPAREN;
    case 0xff09:
      return C_RPAREN;
    case 0xff0b:
      return C_PLUS;
    case 0xff20:
      return C_AT;
    default:
      return C_OTHER;
  }
}

/** ASCII equivalent of a digit or full-width letter code unit (identity for ASCII). */
export function normalizeCode(c: number): number {
  if (c < 128) return c;
  if (c >= 0xff10 && c <= 0xff19) return c - 0xff10 + 48;
  if (c >= 0x0660 && c <= 0x0669) return c - 0x0660 + 48;
  if (c >= 0x06f0 && c <= 0x06f9) return c - 0x06f0 + 48;
  if (c >= 0xff21 && c <= 0xff3a) return c - 0xff21 + 65;
  if (c >= 0xff41 && c <= 0xff5a) return c - 0xff41 + 97;
  return c;
}

/** ASCII equivalent of a gap character: ' ', '-', '.', '/', '(', ')', '+'. */
export function normalizeGap(k: number): number {
  switch (k) {
    case C_SPACE:
      return 32;
    case C_DASH:
      return 45;
    case C_DOT:
      return 46;
    case C_SLASH:
      return 47;
    case C_LPAREN:
      return 40;
    case C_RPAREN:
      return 41;
    case C_PLUS:
      return 43;
    default:
      return 0;
  }
}

/** Bits of {@link ATOM_BITS}: what kind of atom character a code unit is (0: none). */
export const A_LOWER = 1;
export const A_DIGIT = 2;
export const A_UPPER = 4;
export const A_LATIN_EXT = 8;

/** {@link classOf} of every UTF-16 code unit, for the tokenizer's inner loops. */
export const CLASS = new Uint8Array(0x10000);
/**
 * One bit per atom class of every UTF-16 code unit: the tokenizer ORs them over a run of atom
 * characters with a single (exit) branch per character.
 */
export const ATOM_BITS = new Uint8Array(0x10000);
/** What an atom character is stored as in a chain: ASCII digits and upper-case letters ({@link normalizeCode}, upper-cased). */
export const NORM = new Uint16Array(0x10000);
for (let c = 0; c < 0x10000; c++) {
  const k = classOf(c);
  CLASS[c] = k;
  ATOM_BITS[c] = k === C_LOWER ? A_LOWER : k === C_DIGIT ? A_DIGIT : k === C_UPPER ? A_UPPER : k === C_LATIN_EXT ? A_LATIN_EXT : 0;
  const n = normalizeCode(c);
  NORM[c] = n >= 97 && n <= 122 ? n - 32 : n;
}
