// A small case-insensitive phrase trie with the few pattern elements the context words and the
// name triggers need (optional separators, required whitespace, apostrophes, a label colon). It
// replaces alternations of dozens of words that used to run as one regex per detector: one walk
// from a start position follows every phrase at once, and most positions stop at the root.

/** Pattern elements besides literal characters (negative, so they never collide with a code unit). */
export const Elem = {
  /** `[\s._-]*`: any run (possibly empty) of whitespace, dots, underscores and dashes. */
  SepStar: -1,
  /** `\s+`. */
  WsPlus: -2,
  /** `\s*`. */
  WsStar: -3,
  /** `['’]?`. */
  AposOpt: -4,
  /** `['’]`. */
  Apos: -5,
  /** `[:：]`. */
  Colon: -6,
} as const;

/** Whitespace as the regex class `\s` has it (WhiteSpace and LineTerminator). */
export function isRegexSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f ||
    c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

const isSep = (c: number): boolean => c === 46 || c === 95 || c === 45 || isRegexSpace(c);
const isApos = (c: number): boolean => c === 39 || c === 0x2019;
const isColon = (c: number): boolean => c === 58 || c === 0xff1a;

/**
 * Longest whitespace run a `\s+` / `\s*` element follows. Phrases are short and a run of more
 * spaces than this inside one is not a phrase; the bound keeps every walk constant-time.
 */
export const MAX_WS_RUN = 24;
/** Longest separator run a `[\s._-]*` element follows (context windows are shorter anyway). */
const MAX_SEP_RUN = 48;

const TRI_SIZE = 1 << 14;
/** Layout of a node record in {@link WordTrie}'s node table. */
const NODE = 4;
const TERM = 0;
const ELEM = 1;
const KID = 2;
const triHash = (a: number, b: number, c: number): number => ((a * 131 + b) * 131 + c) & (TRI_SIZE - 1);

/** Receives each match: the phrase payload and its [start, end) in the text. */
export type OnMatch = (payload: number, start: number, end: number) => void;

/** Case folding of one UTF-16 code unit, consistent between phrases and text. */
export type Fold = (c: number) => number;

/** ASCII letters to lower case, other ASCII unchanged (the fast path of every fold). */
const ASCII_LOWER = new Uint16Array(128);
const ALNUM = new Uint8Array(128);
for (let c = 48; c <= 57; c++) ALNUM[c] = 1;
for (let c = 65; c <= 90; c++) ALNUM[c] = ALNUM[c + 32] = 1;
for (let c = 0; c < 128; c++) ASCII_LOWER[c] = c >= 65 && c <= 90 ? c + 32 : c;

function lazyFold(compute: (c: number) => number): Fold {
  // 0 means "not computed yet" (code unit 0 folds to itself and is simply recomputed).
  let cache: Uint16Array | null = null;
  return (c) => {
    if (c < 128) return ASCII_LOWER[c]!;
    cache ??= new Uint16Array(0x10000);
    const f = cache[c]!;
    if (f !== 0) return f;
    const r = compute(c);
    cache[c] = r;
    return r;
  };
}

/**
 * Case-insensitive matching of a regex with the `i` flag and without `u`: two characters match
 * when their `toUpperCase()` is the same single unit; non-ASCII never matches ASCII.
 */
export const foldLegacy: Fold = lazyFold((c) => {
  const u = String.fromCharCode(c).toUpperCase();
  if (u.length !== 1) return c;
  const cu = u.charCodeAt(0);
  return cu < 128 ? c : cu;
});

/**
 * Case-insensitive matching of a regex with the `i` and `u` flags (Unicode simple case folding).
 * `toLowerCase()` gives the same classes for every letter the phrases use; long s and the Kelvin
 * sign fold to ASCII as in CaseFolding.txt.
 */
export const foldUnicode: Fold = lazyFold((c) => {
  if (c === 0x17f) return 115;
  const l = String.fromCharCode(c).toLowerCase();
  return l.length === 1 ? l.charCodeAt(0) : c;
});

/** One phrase: its elements (folded code units or {@link Elem} values) and a payload. */
export interface Phrase {
  readonly elems: readonly number[];
  /** The phrase may only start where the previous character is not an ASCII letter or digit. */
  readonly startBoundary: boolean;
  /** The phrase may only end where the next character is not an ASCII letter. */
  readonly endBoundary: boolean;
  /** What a match reports (a list id, a trigger index). */
  readonly payload: number;
}

interface BuildNode {
  readonly kids: Map<number, number>;
  readonly terms: Phrase[];
}

/** The phrases of one trie, flattened into typed arrays. */
export class WordTrie {
  readonly fold: Fold;
  private readonly rootAscii = new Int32Array(128);
  private readonly rootOther = new Map<number, number>();
  /**
   * Prefilter on the first two (folded) characters, so most positions never start a walk. Bit 1:
   * a phrase that needs a word boundary before it starts so; bit 2: one that does not.
   */
  private readonly pairAscii = new Uint8Array(128 * 128);
  /** Same, for an ASCII first character followed by a non-ASCII one (or nothing). */
  private readonly pairAsciiOther = new Uint8Array(128);
  /** Non-ASCII first characters of phrases (the tokenizer reads it directly). */
  readonly firstOther = new Uint8Array(0x10000);
  /**
   * Third-character filter for ASCII pairs (hashed); pairs with bit 4 in {@link pairAscii} have a
   * phrase whose third element is not an ASCII letter (or that is shorter) and skip it.
   */
  private readonly triAscii = new Uint8Array(TRI_SIZE);
  /** Bits of the phrases starting with each ASCII code unit (either case). */
  private readonly firstAscii = new Uint8Array(128);
  /**
   * Per node n, at `NODE * n`: where its phrases ({@link TERM}), element children ({@link ELEM})
   * and literal children ({@link KID}) begin; they end where those of node n + 1 begin. One record
   * per node keeps a walk step on one or two cache lines (the walk is memory-bound otherwise).
   */
  private readonly nodes: Int32Array;
  /** Literal children: key and child node, interleaved (pair i at `2 * i`). */
  private readonly kids: Int32Array;
  /** Element children ({@link Elem}) of the nodes. */
  private readonly elemKind: Int32Array;
  private readonly elemNode: Int32Array;
  /** Phrases ending at each node. */
  private readonly termPayload: Int32Array;
  private readonly termFlags: Uint8Array;

  // State of the current walk (one walk at a time; the scanner is not re-entrant either).
  private hi = 0;
  private startOk = false;
  private matched = false;
  private start = 0;
  private onMatch: OnMatch = () => undefined;

  constructor(phrases: readonly Phrase[], fold: Fold) {
    this.fold = fold;
    const nodes: BuildNode[] = [{ kids: new Map(), terms: [] }];
    for (const p of phrases) {
      let n = 0;
      for (const e of p.elems) {
        const kids = nodes[n]!.kids;
        let next = kids.get(e);
        if (next === undefined) {
          next = nodes.length;
          nodes.push({ kids: new Map(), terms: [] });
          kids.set(e, next);
        }
        n = next;
      }
      nodes[n]!.terms.push(p);
      const e0 = p.elems[0]!;
      const e1 = p.elems.length > 1 ? p.elems[1]! : -1;
      const bit = p.startBoundary ? 1 : 2;
      if (e0 < 128) {
        this.firstAscii[e0]! |= bit;
        if (e0 >= 97 && e0 <= 122) this.firstAscii[e0 - 32]! |= bit;
      }
      if (e0 >= 128) this.firstOther[e0] = 1;
      else if (e1 >= 128) this.pairAsciiOther[e0]! |= bit;
      else if (e1 >= 0) {
        const e2 = p.elems.length > 2 ? p.elems[2]! : -1;
        this.pairAscii[e0 * 128 + e1]! |= bit | (e2 >= 0 && e2 < 128 ? 0 : 4);
        if (e2 >= 0 && e2 < 128) this.triAscii[triHash(e0, e1, e2)] = 1;
      }
      else {
        // A pattern element or nothing comes second: let every pair through.
        for (let c = 0; c < 128; c++) this.pairAscii[e0 * 128 + c]! |= bit | 4;
        this.pairAsciiOther[e0]! |= bit;
      }
    }
    const count = nodes.length;
    const nodeRecords = new Int32Array(NODE * (count + 1));
    const kids: number[] = [];
    const elemKind: number[] = [];
    const elemNode: number[] = [];
    const termPayload: number[] = [];
    const termFlags: number[] = [];
    for (let n = 0; n < count; n++) {
      nodeRecords[NODE * n + KID] = kids.length >> 1;
      nodeRecords[NODE * n + ELEM] = elemKind.length;
      nodeRecords[NODE * n + TERM] = termPayload.length;
      for (const [k, child] of nodes[n]!.kids) {
        if (k < 0) {
          elemKind.push(k);
          elemNode.push(child);
        } else if (n === 0) {
          if (k < 128) this.rootAscii[k] = child;
          else this.rootOther.set(k, child);
        } else {
          kids.push(k, child);
        }
      }
      for (const t of nodes[n]!.terms) {
        termPayload.push(t.payload);
        termFlags.push((t.startBoundary ? 1 : 0) | (t.endBoundary ? 2 : 0));
      }
    }
    nodeRecords[NODE * count + KID] = kids.length >> 1;
    nodeRecords[NODE * count + ELEM] = elemKind.length;
    nodeRecords[NODE * count + TERM] = termPayload.length;
    this.nodes = nodeRecords;
    this.kids = Int32Array.from(kids);
    this.elemKind = Int32Array.from(elemKind);
    this.elemNode = Int32Array.from(elemNode);
    this.termPayload = Int32Array.from(termPayload);
    this.termFlags = Uint8Array.from(termFlags);
    if (nodeRecords[NODE + ELEM] !== 0) throw new Error('a phrase may not start with a pattern element');
  }

  /**
   * Calls `onMatch(payload, start, end)` for every phrase that starts in [from, to) of `text`.
   * Boundaries are those of the whole text, so a word cut by a window edge is not a word.
   */
  scan(text: string, from: number, to: number, onMatch: OnMatch): void {
    const n = text.length;
    const firstAscii = this.firstAscii;
    const pairAscii = this.pairAscii;
    let prevAlnum = from > 0 && isAsciiAlnum(text.charCodeAt(from - 1));
    for (let p = from; p < to; p++) {
      const c = text.charCodeAt(p);
      if (c < 128) {
        // Every phrase that starts with an ASCII letter or digit needs a word boundary before it.
        const startOk = !prevAlnum;
        prevAlnum = ALNUM[c] === 1;
        const bits = firstAscii[c]!;
        if (bits === 0 || (!startOk && (bits & 2) === 0)) continue;
        const allowed = startOk ? 3 : 2;
        const c1 = p + 1 < n ? text.charCodeAt(p + 1) : -1;
        const ok =
          c1 < 0
            ? (this.pairAsciiOther[ASCII_LOWER[c]!]! & allowed) !== 0
            : c1 < 128
              ? (pairAscii[ASCII_LOWER[c]! * 128 + ASCII_LOWER[c1]!]! & allowed) !== 0
              : this.mayStart(text, p, n, c, startOk);
        if (ok) this.walkAt(text, n, p, startOk, onMatch);
      } else if (c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7) {
        // An accented Latin letter is part of a word, as for the tokenizer.
        const startOk = !prevAlnum;
        prevAlnum = true;
        if (startOk && this.mayStart(text, p, n, c, true)) this.walkAt(text, n, p, true, onMatch);
      } else {
        prevAlnum = false;
        if (this.mayStartOther(c)) this.walkAt(text, n, p, true, onMatch);
      }
    }
  }

  /**
   * Cheap test for the tokenizer: can a phrase start at `p`, the start of a run of letters and
   * digits (so at a word boundary)?
   */
  mayStartWord(text: string, p: number): boolean {
    const c = text.charCodeAt(p);
    if (c >= 128) return this.mayStart(text, p, text.length, c, true);
    if (this.firstAscii[c] === 0) return false;
    const c1 = p + 1 < text.length ? text.charCodeAt(p + 1) : -1;
    if (c1 < 0) return this.pairAsciiOther[ASCII_LOWER[c]!] !== 0;
    if (c1 >= 128) return this.mayStart(text, p, text.length, c, true);
    const k = ASCII_LOWER[c]!;
    const k1 = ASCII_LOWER[c1]!;
    const bits = this.pairAscii[k * 128 + k1]!;
    if (bits === 0) return false;
    if ((bits & 4) !== 0) return true;
    const c2 = p + 2 < text.length ? text.charCodeAt(p + 2) : -1;
    return c2 >= 128 || (c2 >= 0 && this.triAscii[triHash(k, k1, ASCII_LOWER[c2]!)] === 1);
  }

  private wordPairs: Uint8Array | null = null;

  /**
   * For the tokenizer, by the first two code units `c0 * 128 + c1` (both ASCII) of a run of
   * letters and digits: 0 when no phrase starts there ({@link mayStartWord} is false), 1 when
   * {@link mayStartWord} is true, 2 when it depends on the third code unit ({@link thirdMayStart}).
   */
  wordStartPairs(): Uint8Array {
    if (this.wordPairs === null) {
      const t = new Uint8Array(128 * 128);
      for (let c0 = 0; c0 < 128; c0++) {
        if (this.firstAscii[c0] === 0) continue;
        for (let c1 = 0; c1 < 128; c1++) {
          const bits = this.pairAscii[ASCII_LOWER[c0]! * 128 + ASCII_LOWER[c1]!]!;
          t[c0 * 128 + c1] = bits === 0 ? 0 : (bits & 4) !== 0 ? 1 : 2;
        }
      }
      this.wordPairs = t;
    }
    return this.wordPairs;
  }

  /**
   * {@link mayStartWord} at a word whose first two code units `c0`, `c1` (ASCII) have kind 2 in
   * {@link wordStartPairs}, followed by `c2` (-1 at the end of the text): 1 or 0.
   */
  thirdMayStart(c0: number, c1: number, c2: number): number {
    if (c2 >= 128) return 1;
    if (c2 < 0) return 0;
    return this.triAscii[triHash(ASCII_LOWER[c0]!, ASCII_LOWER[c1]!, ASCII_LOWER[c2]!)]!;
  }

  /** Cheap test for the tokenizer: can a phrase start with the non-ASCII, non-letter unit `c`? */
  mayStartOther(c: number): boolean {
    return this.firstOther[c] === 1 || (c < 0x3000 && this.firstOther[this.fold(c)] === 1);
  }

  /** Walks the phrases starting at `start` (a position that passed a prefilter). */
  walkStart(text: string, start: number, onMatch: OnMatch): void {
    this.walkAt(text, text.length, start, start === 0 || !isAsciiAlnum(text.charCodeAt(start - 1)), onMatch);
  }

  /** Calls `onMatch` for every phrase that starts at `start` (as in {@link scan}); returns whether any did. */
  matchAt(text: string, start: number, onMatch: OnMatch): boolean {
    const startOk = start === 0 || !isAsciiAlnum(text.charCodeAt(start - 1));
    if (!this.mayStart(text, start, text.length, text.charCodeAt(start), startOk)) return false;
    this.matched = false;
    this.walkAt(text, text.length, start, startOk, onMatch);
    return this.matched;
  }

  private mayStart(text: string, p: number, hi: number, c: number, startOk: boolean): boolean {
    const k = c < 128 ? ASCII_LOWER[c]! : this.fold(c);
    if (k >= 128) return this.firstOther[k] === 1;
    const allowed = startOk ? 3 : 2;
    if (p + 1 >= hi) return (this.pairAsciiOther[k]! & allowed) !== 0;
    const c1 = text.charCodeAt(p + 1);
    const k1 = c1 < 128 ? ASCII_LOWER[c1]! : this.fold(c1);
    return ((k1 < 128 ? this.pairAscii[k * 128 + k1]! : this.pairAsciiOther[k]!) & allowed) !== 0;
  }

  private walkAt(text: string, hi: number, start: number, startOk: boolean, onMatch: OnMatch): void {
    const c = text.charCodeAt(start);
    const k = c < 128 ? ASCII_LOWER[c]! : this.fold(c);
    const node = k < 128 ? this.rootAscii[k]! : (this.rootOther.get(k) ?? 0);
    if (node === 0) return;
    // Only store what changed: rewriting the callback field on every walk is measurably slow.
    if (this.onMatch !== onMatch) this.onMatch = onMatch;
    this.hi = hi;
    this.startOk = startOk;
    this.start = start;
    this.walk(text, node, start + 1);
  }

  private walk(text: string, start: number, from: number): void {
    const hi = this.hi;
    const nodes = this.nodes;
    const kids = this.kids;
    let node = start;
    // Literal characters are followed in a loop; only pattern elements branch (recursively).
    for (let q = from; ; q++) {
      const r = NODE * node;
      const t0 = nodes[r + TERM]!;
      const te = nodes[r + NODE + TERM]!;
      for (let t = t0; t < te; t++) {
        const f = this.termFlags[t]!;
        if ((f & 1) !== 0 && !this.startOk) continue;
        if ((f & 2) !== 0 && q < hi && isAsciiLetter(text.charCodeAt(q))) continue;
        this.matched = true;
        this.onMatch(this.termPayload[t]!, this.start, q);
      }
      const e0 = nodes[r + ELEM]!;
      const ee = nodes[r + NODE + ELEM]!;
      if (e0 !== ee) this.walkElems(text, e0, ee, q);
      const from = nodes[r + KID]!;
      const to = nodes[r + NODE + KID]!;
      if (from === to || q >= hi) return;
      const c = text.charCodeAt(q);
      const k = c < 128 ? ASCII_LOWER[c]! : this.fold(c);
      let next = 0;
      for (let i = from; i < to; i++) {
        if (kids[2 * i] === k) {
          next = kids[2 * i + 1]!;
          break;
        }
      }
      if (next === 0) return;
      node = next;
    }
  }

  private walkElems(text: string, e0: number, ee: number, q: number): void {
    const hi = this.hi;
    for (let e = e0; e < ee; e++) {
      const child = this.elemNode[e]!;
      const kind = this.elemKind[e];
      if (kind === Elem.SepStar) {
        this.walk(text, child, q);
        const max = Math.min(hi, q + MAX_SEP_RUN);
        for (let r = q; r < max && isSep(text.charCodeAt(r)); ) this.walk(text, child, ++r);
      } else if (kind === Elem.WsStar || kind === Elem.WsPlus) {
        if (kind === Elem.WsStar) this.walk(text, child, q);
        const max = Math.min(hi, q + MAX_WS_RUN);
        for (let r = q; r < max && isRegexSpace(text.charCodeAt(r)); ) this.walk(text, child, ++r);
      } else if (kind === Elem.AposOpt) {
        this.walk(text, child, q);
        if (q < hi && isApos(text.charCodeAt(q))) this.walk(text, child, q + 1);
      } else if (kind === Elem.Apos) {
        if (q < hi && isApos(text.charCodeAt(q))) this.walk(text, child, q + 1);
      } else if (kind === Elem.Colon) {
        if (q < hi && isColon(text.charCodeAt(q))) this.walk(text, child, q + 1);
      }
    }
  }
}

function isAsciiAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || isAsciiLetter(c);
}

function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
