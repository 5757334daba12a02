import { describe, expect, it } from 'vitest';
import { ContextHits, contextWords, SCRIPT_KANA } from './context-words.js';
import { Elem, foldLegacy, WordTrie } from './word-trie.js';

const DL = contextWords(["driver's license", 'dl', 'lic no']);
const PHONE = contextWords(['tél', '电话', 'phone']);
const KANA_ONLY = contextWords([], SCRIPT_KANA);

/** Answers as the scanner does: every word start proposed, then one question about [lo, hi). */
function has(text: string, cw: Parameters<ContextHits['has']>[0], lo = 0, hi = text.length): boolean {
  const hits = new ContextHits();
  hits.begin(text);
  hits.proposed(text.length);
  for (let i = 0; i < text.length; i++) {
    const prev = i > 0 ? text.charCodeAt(i - 1) : 32;
    if (!/[\p{L}\p{N}]/u.test(String.fromCharCode(prev)) || text.charCodeAt(i) >= 0x3000) hits.addStart(i);
  }
  return hits.has(cw, lo, hi);
}

describe('context words', () => {
  it('match case-insensitively at word boundaries', () => {
    expect(has('Your DL: 12345', DL)).toBe(true);
    expect(has('handle 12345', DL)).toBe(false);
    expect(has('dlx 12345', DL)).toBe(false);
  });

  it('let a space stand for any run of separators and make apostrophes optional', () => {
    expect(has('drivers_license 1234', DL)).toBe(true);
    expect(has('DRIVER’S-LICENSE 1234', DL)).toBe(true);
    expect(has('lic.no 1234', DL)).toBe(true);
    expect(has('licno 1234', DL)).toBe(true);
  });

  it('need words that start with a letter to start a word, accented ones too', () => {
    expect(has('Tél : 01 23', PHONE)).toBe(true);
    expect(has('hôtél 01 23', PHONE)).toBe(false);
    expect(has('我的电话是', PHONE)).toBe(true);
  });

  it('only count words wholly inside the asked window', () => {
    const text = 'phone 1234';
    expect(has(text, PHONE, 0, 5)).toBe(true);
    expect(has(text, PHONE, 0, 4)).toBe(false);
    expect(has(text, PHONE, 1, 10)).toBe(false);
  });

  it('accept a script instead of a word', () => {
    expect(has('電話は 03-1234-5678 です', KANA_ONLY)).toBe(true);
    expect(has('call 03-1234-5678', KANA_ONLY)).toBe(false);
  });

  it('refuse words a tokenizer could not propose', () => {
    expect(() => contextWords(['#tag'])).toThrow(/punctuation/);
  });
});

describe('WordTrie', () => {
  it('reports every phrase matching at a start, with its end', () => {
    const phrase = (w: string, payload: number): { elems: number[]; startBoundary: boolean; endBoundary: boolean; payload: number } => ({
      elems: [...w].map((ch) => (ch === ' ' ? Elem.WsPlus : foldLegacy(ch.charCodeAt(0)))),
      startBoundary: false,
      endBoundary: false,
      payload,
    });
    const trie = new WordTrie([phrase('my name is', 0), phrase('name', 1)], foldLegacy);
    const found: [number, number, number][] = [];
    const text = 'MY   NAME IS Ann';
    expect(trie.matchAt(text, 0, (p, s, e) => found.push([p, s, e]))).toBe(true);
    expect(found).toEqual([[0, 0, 12]]);
    expect(trie.matchAt(text, 1, () => undefined)).toBe(false);
  });
});
