import { type PiiType } from '../types.js';
import { contextListCount, ContextHits, type ContextWords } from './context-words.js';

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

  /** Appends an atom whose normalised characters the caller writes after {@link reserve}. */
  beginAtom(start: number, gapCode: number, gapLen: number): void {
    if (this.count === this.aStart.length) this.growAtoms();
    const k = this.count;
    this.aStart[k] = start;
    this.aNormStart[k] = this.normLen;
    this.gap[k] = gapCode;
    this.gapLen[k] = gapLen;
  }

  /** The normalised buffer, with room for `n` more characters after {@link normLen}. */
  reserve(n: number): Uint16Array {
    if (this.normLen + n > this.norm.length) {
      const b = new Uint16Array(Math.max(this.norm.length * 2, this.normLen + n));
      b.set(this.norm);
      this.norm = b;
    }
    return this.norm;
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

/** A reusable array of each candidate length, for {@link CandidateView.value}. */
const CODE_ARRAYS: number[][] = Array.from({ length: MAX_CANDIDATE + 1 }, (_, len) => new Array<number>(len).fill(0));

/**
 * A view of the atoms `first..last` of the current chain, handed to detectors. One instance is
 * reused for every candidate, so detectors must not keep it.
 */
export class CandidateView {
  text = '';
  chain: Chain = new Chain();
  first = 0;
  last = 0;
  /** Normalised start and length of the candidate in the chain, for {@link value}. */
  normStart = 0;
  normLen = 0;
  private cached: string | null = null;
  start = 0;
  end = 0;
  digits = 0;
  /** Lower-case letters in the original (the value is upper-cased). */
  lowers = 0;
  /** Detectors may widen the reported span (phones include a leading `+` or `(`). */
  outStart = -1;
  outEnd = -1;

  /** Changes with every candidate, so detectors can cache what they computed for the current one. */
  generation = 0;

  /** Points the view at atoms `first..last` of `chain`. */
  set(chain: Chain, first: number, last: number, normStart: number, normLen: number): void {
    this.generation = (this.generation + 1) | 0;
    // Storing an object costs a write barrier; the chain is always the same one.
    if (this.chain !== chain) this.chain = chain;
    this.first = first;
    this.last = last;
    this.normStart = normStart;
    this.normLen = normLen;
    this.cached = null;
  }

  /** Normalised value: digits in ASCII, letters upper-cased, separators removed (built on first use). */
  get value(): string {
    if (this.cached === null) {
      // One call over a reused array of the candidate's length, not one string per character.
      const n = this.chain.norm;
      const codes = CODE_ARRAYS[this.normLen];
      if (codes === undefined) {
        this.cached = String.fromCharCode.apply(null, Array.from(n.subarray(this.normStart, this.normStart + this.normLen)));
      } else {
        for (let i = 0, from = this.normStart; i < codes.length; i++) codes[i] = n[from + i]!;
        this.cached = String.fromCharCode.apply(null, codes);
      }
    }
    return this.cached;
  }

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
      if (this.chain.gapLen[k] !== 1) return false;
      const g = this.chain.gap[k]!;
      let found = false;
      for (let j = 0; j < codes.length && !found; j++) found = codes.charCodeAt(j) === g;
      if (!found) return false;
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
  /** Window bounds, -1 until computed. */
  private beforeFrom = -1;
  private afterTo = -1;
  /** Context words of the current text; the tokenizer proposes where they may start. */
  readonly hits = new ContextHits();

  /** The tokenizer has read every position before `p`. */
  proposed(p: number): void {
    this.hits.proposed(p);
  }

  /** Starts a new text. */
  begin(text: string): void {
    this.text = text;
    this.hits.begin(text);
  }

  /** Lists with a word in the widest window before (bit 1) / after (bit 2) the candidate. */
  private marks = new Uint8Array(0);
  private markGen = new Int32Array(0);
  private gen = 0;
  private marked = false;

  reset(start: number, end: number): void {
    this.marked = false;
    this.start = start;
    this.end = end;
    this.beforeFrom = -1;
    this.afterTo = -1;
    // Candidates come in text order and look at most BEFORE characters back.
    this.hits.skipTo(start - ContextProbe.BEFORE);
  }

  /**
   * Start of the window before the candidate, cut after the nearest other number (3+ digits), so
   * a keyword that introduced the previous value does not vouch for this one.
   */
  private windowBeforeFrom(): number {
    if (this.beforeFrom < 0) {
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
      this.beforeFrom = from;
    }
    return this.beforeFrom;
  }

  /** End of the window after the candidate: the end of its sentence or the next number (3+ digits). */
  private windowAfterTo(): number {
    if (this.afterTo < 0) {
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
      this.afterTo = to;
    }
    return this.afterTo;
  }

  /**
   * Where a word of `cw` occurs: 2 before the candidate, 1 only after it, 0 nowhere. The widest
   * window is tried first, so the exact bounds are only computed when a word is near.
   */
  where(cw: ContextWords): number {
    const h = this.hits;
    const wideLo = Math.max(0, this.start - ContextProbe.BEFORE);
    const wideHi = Math.min(this.text.length, this.end + ContextProbe.AFTER);
    if (!this.marked) this.mark(wideLo, wideHi);
    const m = this.markGen[cw.id] === this.gen ? this.marks[cw.id]! : 0;
    if (((m & 1) !== 0 || cw.scripts !== 0) && h.has(cw, wideLo, this.start) && h.has(cw, this.windowBeforeFrom(), this.start)) {
      return 2;
    }
    if (((m & 2) !== 0 || cw.scripts !== 0) && h.has(cw, this.end, wideHi) && h.has(cw, this.end, this.windowAfterTo())) {
      return 1;
    }
    return 0;
  }

  /** One look at the words around the candidate answers every detector that asks. */
  private mark(wideLo: number, wideHi: number): void {
    const lists = contextListCount();
    if (this.marks.length < lists) {
      this.marks = new Uint8Array(lists);
      this.markGen = new Int32Array(lists);
    }
    if (++this.gen === 0x7fffffff) {
      this.markGen.fill(0);
      this.gen = 1;
    }
    this.hits.markAround(wideLo, this.start, this.end, wideHi, this.marks, this.markGen, this.gen);
    this.marked = true;
  }

  /** False only when {@link where} is sure to return 0 for `cw` (no word of it in the widest windows). */
  mayHave(cw: ContextWords): boolean {
    if (cw.scripts !== 0) return true;
    if (!this.marked) this.mark(Math.max(0, this.start - ContextProbe.BEFORE), Math.min(this.text.length, this.end + ContextProbe.AFTER));
    return this.markGen[cw.id] === this.gen && this.marks[cw.id] !== 0;
  }

  /** True when a word of `cw` occurs in the window before or after the candidate. */
  has(cw: ContextWords): boolean {
    return this.where(cw) > 0;
  }

  /** True when a word of `cw` occurs shortly before the candidate (within its last `n` characters). */
  hasJustBefore(cw: ContextWords, n: number): boolean {
    const h = this.hits;
    const lo = Math.max(0, this.start - n);
    return h.has(cw, lo, this.start) && h.has(cw, Math.max(lo, this.windowBeforeFrom()), this.start);
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
  /** Most atoms a candidate with letters may span (default: no limit beyond MAX_ATOMS). */
  readonly mixedAtoms?: number;
  /**
   * Context the detector never matches without (it returns 0 when `where(requires)` is 0): the
   * scanner does not call it for candidates with no word of this list nearby.
   */
  readonly requires?: ContextWords;
  /** Confidence in (0, 1], or 0 when the candidate is not this type. */
  detect(v: CandidateView, x: ContextProbe): number;
}
