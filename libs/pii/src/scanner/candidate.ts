import { type PiiType } from '../types.js';

/** Longest normalised candidate the scanner ever dispatches (an IBAN has at most 34 characters). */
export const MAX_CANDIDATE = 34;

/** Most atoms a candidate may span: a French NIR has 7 groups, a printed IBAN 9. */
export const MAX_ATOMS = 9;

/**
 * The atoms (runs of letters/digits) of one chain, joined by single separators, as parallel typed
 * arrays reused across scans. Letters are stored upper-cased and digits as ASCII.
 */
export class Chain {
  norm = new Uint16Array(256);
  normLen = 0;
  count = 0;
  digitAtoms = 0;
  aStart = new Int32Array(32);
  aEnd = new Int32Array(32);
  aNormStart = new Int32Array(32);
  aNormEnd = new Int32Array(32);
  aDigits = new Int32Array(32);
  aLower = new Int32Array(32);
  /**
   * 1 when atom k is glued to atom k-1 as part of one longer number: both hold digits and they are
   * not merely two words separated by a space (as in "ICD-11 5A11" or "DE89 WEST").
   */
  glued = new Uint8Array(32);
  /** ASCII code of the separator before atom k (0 for the first atom). */
  gap = new Uint16Array(32);
  gapLen = new Uint8Array(32);

  reset(): void {
    this.count = 0;
    this.normLen = 0;
    this.digitAtoms = 0;
  }

  private growAtoms(): void {
    const size = this.aStart.length * 2;
    const grow32 = (a: Int32Array): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(size);
      b.set(a);
      return b;
    };
    this.aStart = grow32(this.aStart);
    this.aEnd = grow32(this.aEnd);
    this.aNormStart = grow32(this.aNormStart);
    this.aNormEnd = grow32(this.aNormEnd);
    this.aDigits = grow32(this.aDigits);
    this.aLower = grow32(this.aLower);
    const gd = new Uint8Array(size);
    gd.set(this.glued);
    this.glued = gd;
    const g = new Uint16Array(size);
    g.set(this.gap);
    this.gap = g;
    const gl = new Uint8Array(size);
    gl.set(this.gapLen);
    this.gapLen = gl;
  }

  /** Appends an atom whose normalised characters the caller writes with {@link pushChar}. */
  beginAtom(start: number, gapCode: number, gapLen: number): void {
    if (this.count === this.aStart.length) this.growAtoms();
    const k = this.count;
    this.aStart[k] = start;
    this.aNormStart[k] = this.normLen;
    this.gap[k] = gapCode;
    this.gapLen[k] = gapLen;
  }

  pushChar(code: number): void {
    if (this.normLen === this.norm.length) {
      const b = new Uint16Array(this.norm.length * 2);
      b.set(this.norm);
      this.norm = b;
    }
    this.norm[this.normLen++] = code;
  }

  /** Atom k is "DE89"-like: what follows it is the rest of an account number, not a new value. */
  private ibanHead(k: number): boolean {
    const ns = this.aNormStart[k]!;
    if (this.aNormEnd[k]! - ns !== 4 || this.aDigits[k] !== 2) return false;
    const a = this.norm[ns]!;
    const b = this.norm[ns + 1]!;
    return a >= 65 && a <= 90 && b >= 65 && b <= 90;
  }

  endAtom(end: number, digits: number, lowers: number): void {
    const k = this.count++;
    this.aEnd[k] = end;
    this.aNormEnd[k] = this.normLen;
    this.aDigits[k] = digits;
    this.aLower[k] = lowers;
    if (digits > 0) this.digitAtoms++;
    let glued = 0;
    if (k > 0 && digits > 0 && this.aDigits[k - 1]! > 0) {
      const letters = this.aNormEnd[k]! - this.aNormStart[k]! - digits;
      const prevLetters = this.aNormEnd[k - 1]! - this.aNormStart[k - 1]! - this.aDigits[k - 1]!;
      glued = this.gap[k] === 32 && (letters > 0 || prevLetters > 0) && !this.ibanHead(k - 1) ? 0 : 1;
    }
    this.glued[k] = glued;
  }
}

/**
 * A view of the atoms `first..last` of the current chain, handed to detectors. One instance is
 * reused for every candidate, so detectors must not keep it.
 */
export class CandidateView {
  text = '';
  chain: Chain = new Chain();
  first = 0;
  last = 0;
  /** Normalised value: digits in ASCII, letters upper-cased, separators removed. */
  value = '';
  start = 0;
  end = 0;
  digits = 0;
  /** Lower-case letters in the original (the value is upper-cased). */
  lowers = 0;
  /** Detectors may widen the reported span (phones include a leading `+` or `(`). */
  outStart = -1;
  outEnd = -1;

  get atoms(): number {
    return this.last - this.first + 1;
  }

  /** Normalised length of the k-th atom of the candidate. */
  atomLen(k: number): number {
    const i = this.first + k;
    return (this.chain.aNormEnd[i] ?? 0) - (this.chain.aNormStart[i] ?? 0);
  }

  /** ASCII code of the separator after the k-th atom ('(' or ')' for two-character gaps). */
  gapAfter(k: number): number {
    return this.chain.gap[this.first + k + 1] ?? 0;
  }

  /** True when the atoms have exactly these lengths. */
  grouped(...lengths: number[]): boolean {
    if (lengths.length !== this.atoms) return false;
    for (let k = 0; k < lengths.length; k++) if (this.atomLen(k) !== lengths[k]) return false;
    return true;
  }

  /** True when every separator inside the candidate is one of `codes` (vacuously true for one atom). */
  gapsIn(codes: string): boolean {
    for (let k = this.first + 1; k <= this.last; k++) {
      if (this.chain.gapLen[k] !== 1 || !codes.includes(String.fromCharCode(this.chain.gap[k] ?? 0))) return false;
    }
    return true;
  }

  /** True when all separators are the same single character (or there is none). */
  uniformGaps(): boolean {
    const g = this.chain.gap[this.first + 1];
    for (let k = this.first + 1; k <= this.last; k++) {
      if (this.chain.gapLen[k] !== 1 || this.chain.gap[k] !== g) return false;
    }
    return true;
  }

  /** The code unit `n` positions before the candidate, or -1. */
  before(n = 1): number {
    const p = this.start - n;
    return p >= 0 ? this.text.charCodeAt(p) : -1;
  }
}

/** ASCII, full-width and Arabic-Indic digits. */
function isDigitCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 0xff10 && c <= 0xff19) || (c >= 0x0660 && c <= 0x0669) || (c >= 0x06f0 && c <= 0x06f9);
}

const isSentenceEnd = (c: number): boolean => c === 46 || c === 33 || c === 63 || c === 59 || c === 10 || c === 0x3002;
const isSpaceCode = (c: number): boolean => c === 32 || c === 10 || c === 9 || c === 13;

/** Context words around the current candidate, looked up lazily (most candidates never need it). */
export class ContextProbe {
  static readonly BEFORE = 48;
  static readonly AFTER = 24;
  text = '';
  start = 0;
  end = 0;
  private beforeText: string | undefined;
  private afterText: string | undefined;

  reset(text: string, start: number, end: number): void {
    this.text = text;
    this.start = start;
    this.end = end;
    this.beforeText = undefined;
    this.afterText = undefined;
  }

  /**
   * Text in the window before the candidate, cut after the nearest other number (3+ digits), so
   * a keyword that introduced the previous value does not vouch for this one.
   */
  windowBefore(): string {
    if (this.beforeText === undefined) {
      const lo = Math.max(0, this.start - ContextProbe.BEFORE);
      let from = lo;
      let run = 0;
      for (let p = this.start - 1; p >= lo; p--) {
        if (isDigitCode(this.text.charCodeAt(p))) {
          if (++run === 3) {
            from = p + 3;
            while (from < this.start && isDigitCode(this.text.charCodeAt(from))) from++;
            break;
          }
        } else run = 0;
      }
      this.beforeText = this.text.slice(from, this.start);
    }
    return this.beforeText;
  }

  /** Text in the window after the candidate, up to the end of its sentence or the next number (3+ digits). */
  windowAfter(): string {
    if (this.afterText === undefined) {
      const hi = Math.min(this.text.length, this.end + ContextProbe.AFTER);
      let to = hi;
      let run = 0;
      for (let p = this.end; p < hi; p++) {
        const c = this.text.charCodeAt(p);
        if (isSentenceEnd(c) && (p + 1 >= this.text.length || isSpaceCode(this.text.charCodeAt(p + 1)) || c > 127)) {
          to = p;
          break;
        }
        if (isDigitCode(c)) {
          if (++run === 3) {
            to = p - 2;
            break;
          }
        } else run = 0;
      }
      this.afterText = this.text.slice(this.end, to);
    }
    return this.afterText;
  }

  /** Where `re` (non-global) matches: 2 before the candidate, 1 only after it, 0 nowhere. */
  where(re: RegExp): number {
    if (re.test(this.windowBefore())) return 2;
    return re.test(this.windowAfter()) ? 1 : 0;
  }

  /** True when `re` matches in the window before or after the candidate. */
  has(re: RegExp): boolean {
    return this.where(re) > 0;
  }

  /** True when `re` matches shortly before the candidate (the last `n` characters). */
  hasJustBefore(re: RegExp, n: number): boolean {
    const w = this.windowBefore();
    return re.test(w.length > n ? w.slice(w.length - n) : w);
  }
}

/** A detector over chain candidates: checks shape, validator and context, returns a confidence. */
export interface ChainDetector {
  readonly type: PiiType;
  /** Inclusive range of normalised lengths this detector can match. */
  readonly minLength: number;
  readonly maxLength: number;
  /** `digits`: all-digit candidates only; `mixed`: candidates with letters only; `any`: both. */
  readonly shape: 'digits' | 'mixed' | 'any';
  /** Confidence in (0, 1], or 0 when the candidate is not this type. */
  detect(v: CandidateView, x: ContextProbe): number;
}
