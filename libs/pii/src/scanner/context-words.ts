import { Elem, foldLegacy, type Phrase, WordTrie } from './word-trie.js';

/** Scripts a context list may accept instead of a word: any kana, Hangul or Arabic character. */
export const SCRIPT_KANA = 1;
export const SCRIPT_HANGUL = 2;
export const SCRIPT_ARABIC = 4;

/**
 * A list of context words (and optionally scripts) that detectors look for around a candidate.
 * Every list goes into one shared trie, so one walk over a window answers for all of them.
 */
export interface ContextWords {
  readonly id: number;
  readonly scripts: number;
}

const lists: (readonly string[])[] = [];
let trie: WordTrie | null = null;

/**
 * A case-insensitive context word list, with the semantics of a regex alternation under the `i`
 * flag: words that start with an ASCII letter or digit must start at a word boundary (so "dl"
 * does not match "handle"), short ASCII ones (<= 4 letters) must end at one too; a space in a word matches any run (possibly empty) of
 * spaces, dots, dashes or underscores; an apostrophe is optional and may be typographic.
 */
export function contextWords(words: readonly string[], scripts = 0): ContextWords {
  // The tokenizer proposes phrase starts at words and at non-ASCII characters only.
  const bad = words.find((w) => /^[ -/:-@[-`{-~]/.test(w));
  if (bad !== undefined) throw new Error(`context word may not start with ASCII punctuation: ${bad}`);
  lists.push(words);
  trie = null;
  return { id: lists.length - 1, scripts };
}

function phraseOf(word: string, id: number): Phrase {
  const lower = word.toLowerCase();
  const elems: number[] = [];
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charCodeAt(i);
    elems.push(c === 32 ? Elem.SepStar : c === 39 ? Elem.AposOpt : foldLegacy(c));
  }
  const ascii = /^[ -~]+$/.test(word);
  // Words that start with an ASCII letter or digit start at a word boundary, accented ones too
  // ("tél" is not the end of "hôtél").
  const alnumFirst = /^[a-z0-9\u00c0-\u024f]/i.test(word);
  return { elems, startBoundary: ascii || alnumFirst, endBoundary: ascii && word.replace(/[^a-z]/gi, '').length <= 4, payload: id };
}

/** How many context lists exist (list ids are below this). */
export function contextListCount(): number {
  return lists.length;
}

/** The trie of every context list registered so far. */
export function sharedTrie(): WordTrie {
  trie ??= new WordTrie(
    lists.flatMap((words, id) => words.map((w) => phraseOf(w, id))),
    foldLegacy,
  );
  return trie;
}

function scriptOf(c: number): number {
  if (c <= 0x06ff) return c >= 0x0600 ? SCRIPT_ARABIC : 0;
  if (c >= 0x3040 && c <= 0x30ff) return SCRIPT_KANA;
  return c >= 0xac00 && c <= 0xd7af ? SCRIPT_HANGUL : 0;
}

/**
 * The context words of one text, found lazily. The tokenizer proposes the positions where a word
 * may start ({@link addStart}, or written straight into {@link startBuffer}) as it passes them; a
 * question about a window walks the trie only from the proposed positions inside it that no
 * earlier question covered, so each position is looked at once however many candidates ask about
 * the windows around it.
 */
export class ContextHits {
  private text = '';
  private trie: WordTrie = sharedTrie();
  /** Proposed starts, in text order, and how many of them were consumed. */
  private starts = new Int32Array(64);
  private startCount = 0;
  private nextStart = 0;
  /** The tokenizer has proposed every start before this position. */
  private proposedTo = 0;
  /** Every phrase starting before this position is in the hits. */
  private walkedTo = 0;
  private count = 0;
  /** Where {@link markAround} starts looking for hits. */
  private markCursor = 0;
  private hStart = new Int32Array(64);
  private hEnd = new Int32Array(64);
  private hList = new Int32Array(64);
  private readonly record = (list: number, start: number, end: number): void => {
    if (this.count === this.hStart.length) this.grow();
    const k = this.count++;
    this.hStart[k] = start;
    this.hEnd[k] = end;
    this.hList[k] = list;
  };

  begin(text: string): void {
    this.text = text;
    this.trie = sharedTrie();
    this.startCount = 0;
    this.nextStart = 0;
    this.proposedTo = 0;
    this.walkedTo = 0;
    this.count = 0;
    this.markCursor = 0;
  }

  /** The tokenizer passed the start of a word (or a non-ASCII character that starts a phrase) at `p`. */
  addStart(p: number): void {
    if (this.startCount === this.starts.length) {
      const b = new Int32Array(this.starts.length * 2);
      b.set(this.starts);
      this.starts = b;
    }
    this.starts[this.startCount++] = p;
  }

  /**
   * For a tokenizer that writes the starts itself: the buffer, with room for `capacity` starts
   * (one per position of the text does). It tells how many it wrote with {@link setStartCount}
   * before any question about a window.
   */
  startBuffer(capacity: number): Int32Array {
    if (this.starts.length < capacity) this.starts = new Int32Array(capacity);
    return this.starts;
  }

  /** Drops a start buffer longer than `max` (grown for a huge text), so a cached scanner does not keep it alive. */
  trim(max: number): void {
    if (this.starts.length > max) this.starts = new Int32Array(64);
  }

  /** How many starts the tokenizer wrote into {@link startBuffer}. */
  setStartCount(count: number): void {
    this.startCount = count;
  }

  /** The tokenizer has passed every position before `p`. */
  proposed(p: number): void {
    if (p > this.proposedTo) this.proposedTo = p;
  }

  /** Declares that no later question is about text before `pos`, so it need not be read. */
  skipTo(pos: number): void {
    if (this.walkedTo < pos) this.walkedTo = pos;
  }

  /** True when a word of `cw` lies inside [lo, hi) (or a character of one of its scripts does). */
  has(cw: ContextWords, lo: number, hi: number): boolean {
    if (lo >= hi) return false;
    if (this.walkedTo < hi) this.walkTo(hi);
    // First hit starting at or after lo.
    let a = 0;
    let b = this.count;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (this.hStart[m]! < lo) a = m + 1;
      else b = m;
    }
    const id = cw.id;
    for (let k = a; k < this.count && this.hStart[k]! < hi; k++) {
      if (this.hList[k] === id && this.hEnd[k]! <= hi) return true;
    }
    if (cw.scripts !== 0) {
      for (let p = lo; p < hi; p++) {
        const c = this.text.charCodeAt(p);
        if (c >= 0x0600 && (scriptOf(c) & cw.scripts) !== 0) return true;
      }
    }
    return false;
  }

  /**
   * For every list with a word inside [lo, before) sets bit 1 of `marks[list]`, and bit 2 for a
   * word inside [after, hi) (scripts aside); `gen[list] !== g` means the list's mark is stale and
   * counts as 0. Calls come in text order (`lo` never decreases within a text).
   */
  markAround(lo: number, before: number, after: number, hi: number, marks: Uint8Array, gen: Int32Array, g: number): void {
    if (lo >= hi) return;
    if (this.walkedTo < hi) this.walkTo(hi);
    // First hit starting at or after lo: a cursor, since lo only grows.
    let k = this.markCursor;
    if (k > this.count || (k > 0 && this.hStart[k - 1]! >= lo)) k = 0;
    while (k < this.count && this.hStart[k]! < lo) k++;
    this.markCursor = k;
    for (; k < this.count && this.hStart[k]! < hi; k++) {
      const s = this.hStart[k]!;
      const e = this.hEnd[k]!;
      let bit: number;
      if (s < before) {
        if (e > before) continue;
        bit = 1;
      } else if (s >= after) {
        if (e > hi) continue;
        bit = 2;
      } else continue;
      const list = this.hList[k]!;
      if (gen[list] !== g) {
        gen[list] = g;
        marks[list] = 0;
      }
      marks[list]! |= bit;
    }
  }

  private walkTo(hi: number): void {
    const t = this.trie;
    const text = this.text;
    const starts = this.starts;
    const count = this.startCount;
    const walkedTo = this.walkedTo;
    let k = this.nextStart;
    for (; k < count && starts[k]! < hi; k++) {
      const p = starts[k]!;
      if (p >= walkedTo && t.mayStartWord(text, p)) t.walkStart(text, p, this.record);
    }
    this.nextStart = k;
    // The window reaches past what the tokenizer has read (the text after a candidate): look there directly.
    if (hi > this.proposedTo) t.scan(text, Math.max(this.walkedTo, this.proposedTo), hi, this.record);
    this.walkedTo = hi;
  }

  private grow(): void {
    const size = this.hStart.length * 2;
    const grow = (a: Int32Array): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(size);
      b.set(a);
      return b;
    };
    this.hStart = grow(this.hStart);
    this.hEnd = grow(this.hEnd);
    this.hList = grow(this.hList);
  }
}
