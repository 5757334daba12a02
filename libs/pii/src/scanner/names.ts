/**
 * Person names, only where a phrase makes them unambiguous: "my name is X", "je m'appelle X",
 * "我叫X", "私の名前はX", "제 이름은 X", "اسمي X", or a form label such as "Name: X" at the start
 * of a line or field. A bare capitalised word is never reported.
 */

import { Elem, foldUnicode, MAX_WS_RUN, WordTrie } from './word-trie.js';

type Script = 'latin' | 'zh' | 'ja' | 'ko' | 'ar';

interface Trigger {
  readonly phrase: string;
  readonly script: Script;
  /** Labels ("Name:") count only at the start of a line or field. */
  readonly label?: boolean;
}

const SENTENCES: Readonly<Record<Script, readonly string[]>> = {
  latin: [
    'my name is', "my name's", 'my full name is', "i'm called", 'i am called',
    'ich heiße', 'ich heisse', 'mein name ist', 'mein vollständiger name ist',
    "je m'appelle", 'je me nomme', 'mon nom est', 'me llamo', 'mi nombre es', 'mi chiamo', 'il mio nome è',
    'ik heet', 'mijn naam is', 'nazywam się', 'mam na imię', 'jag heter', 'mitt namn är', 'meu nome é', 'o meu nome é',
    'chamo-me', 'eu me chamo', 'jeg hedder', 'jeg heter', 'mit navn er', 'mitt navn er', 'minun nimeni on', 'nimeni on',
  ],
  zh: ['我叫', '我的名字是', '我的名字叫', '我名叫', '本人叫', '本人姓名是'],
  ja: ['私の名前は', 'わたしの名前は', '僕の名前は', '名前は'],
  ko: ['제 이름은', '내 이름은', '저의 이름은', '이름은'],
  ar: ['اسمي', 'إسمي', 'أنا اسمي'],
};

const LABELS: Readonly<Record<Script, readonly string[]>> = {
  latin: [
    'full name', 'patient name', 'customer name', 'client name', 'employee name', 'account holder', 'cardholder name',
    'name', 'first name', 'last name', 'surname', 'vorname', 'nachname', 'nom complet', 'nom', 'prénom', 'nombre completo',
    'nombre', 'apellidos', 'nome', 'cognome', 'naam', 'imię i nazwisko', 'nazwisko', 'namn', 'navn', 'nimi',
  ],
  zh: ['姓名', '名字'],
  ja: ['氏名', '名前', 'お名前'],
  ko: ['이름', '성명'],
  ar: ['الاسم', 'الإسم', 'اسم المريض'],
};

const TRIGGERS: readonly Trigger[] = [
  ...(Object.keys(SENTENCES) as Script[]).flatMap((script) => SENTENCES[script].map((phrase) => ({ phrase, script }))),
  ...(Object.keys(LABELS) as Script[]).flatMap((script) => LABELS[script].map((phrase) => ({ phrase, script, label: true }))),
];

/** Triggers longest first; a regex alternation in this order picks the first that matches at a position. */
const ORDERED = [...TRIGGERS].sort((a, b) => b.phrase.length - a.phrase.length);

/**
 * All triggers in one trie (case-insensitive as a regex with the `i` and `u` flags): a space in a
 * phrase is `\s+`, an apostrophe `['’]`, and a label ends in `\s*[:：]`.
 */
const TRIGGER_TRIE = new WordTrie(
  ORDERED.map((t, index) => {
    const elems: number[] = [];
    for (let i = 0; i < t.phrase.length; i++) {
      const c = t.phrase.charCodeAt(i);
      elems.push(c === 32 ? Elem.WsPlus : c === 39 ? Elem.Apos : foldUnicode(c));
    }
    if (t.label === true) elems.push(Elem.WsStar, Elem.Colon);
    return { elems, startBoundary: false, endBoundary: false, payload: index };
  }),
  foldUnicode,
);

const isWordChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 0xc0 && c <= 0x24f);

/** A label counts at the start of the text, a line, a sentence or a field (after . ! ? | ; , ( [ " • * > -). */
function labelStartsField(text: string, at: number): boolean {
  let p = at - 1;
  while (p >= 0 && (text.charCodeAt(p) === 32 || text.charCodeAt(p) === 9)) p--;
  if (p < 0) return true;
  return '\n\r.!?。|;,([{"•*>-'.includes(text.charAt(p));
}

const HONORIFICS = new Set([
  'mr', 'mrs', 'ms', 'miss', 'dr', 'prof', 'herr', 'frau', 'mme', 'mlle', 'm', 'sr', 'sra', 'srta', 'sig', 'sig.ra', 'dott',
]);
const PARTICLES = new Set([
  'van', 'von', 'de', 'der', 'den', 'da', 'di', 'del', 'della', 'la', 'le', 'du', 'dos', 'das', 'ter', 'ten', 'zu', 'bin',
  'al', 'ibn', 'y', 'e', 'af', 'av',
]);

const UPPER = /\p{Lu}/u;
const LETTER = /\p{L}/u;

/** Letter test with an ASCII fast path (names are mostly ASCII). */
function isLetterAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return true;
  return c >= 0xc0 && LETTER.test(text.charAt(i));
}

/** End of a run of letters (with inner apostrophes/hyphens) starting at `i`. */
function wordEnd(text: string, i: number): number {
  let j = i;
  for (;;) {
    while (j < text.length && isLetterAt(text, j)) j++;
    const c = text.charCodeAt(j);
    if ((c === 39 || c === 0x2019 || c === 45) && isLetterAt(text, j + 1)) j += 1;
    else return j;
  }
}

/** Latin-script name after a trigger: 1-4 capitalised words, particles and initials in between. */
function latinName(text: string, from: number): [number, number] | null {
  let i = from;
  let start = -1;
  let end = -1;
  let words = 0;
  while (words < 4 && i < text.length) {
    const w = wordEnd(text, i);
    if (w === i) break;
    const word = text.slice(i, w);
    const lower = word.toLowerCase();
    const dot = text.charAt(w) === '.';
    if (start < 0 && HONORIFICS.has(lower) && (dot || text.charAt(w) === ' ')) {
      i = w + (dot ? 1 : 0);
      while (text.charAt(i) === ' ') i++;
      continue;
    }
    if (UPPER.test(word.charAt(0))) {
      if (word.length === 1 && !dot) break;
      if (start < 0) start = i;
      end = word.length === 1 ? w + 1 : w;
      words++;
      i = end;
    } else if (start >= 0 && PARTICLES.has(word) && text.charAt(w) === ' ' && UPPER.test(text.charAt(w + 1))) {
      i = w;
    } else break;
    if (text.charAt(i) !== ' ' || !isLetterAt(text, i + 1)) break;
    i++;
  }
  if (start < 0 || end - start < 2) return null;
  return [start, end];
}

const isHan = (c: number): boolean => (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf);
const isKatakana = (c: number): boolean => c >= 0x30a0 && c <= 0x30ff && c !== 0x30fb;
const isHangul = (c: number): boolean => c >= 0xac00 && c <= 0xd7af;
const isArabicLetter = (c: number): boolean => (c >= 0x0621 && c <= 0x064a) || (c >= 0x0671 && c <= 0x06d3);
const isArabicMark = (c: number): boolean => c >= 0x064b && c <= 0x065f;

const ZH_STOP = new Set([...'是的了在和与及今我你他她它们从来去住叫也想要需请现目，。、！？；：']);
const ZH_COMPOUND = new Set([
  '欧阳', '太史', '端木', '上官', '司马', '东方', '独孤', '南宫', '夏侯', '诸葛', '尉迟', '皇甫', '慕容', '长孙', '宇文', '司徒',
  '司空', '令狐', '公孙', '钟离',
]);

/** Chinese name: 2-3 Han characters (4 after a compound surname), stopping at particles. */
function zhName(text: string, from: number): [number, number] | null {
  let i = from;
  while (i < text.length && i - from < 4 && isHan(text.charCodeAt(i)) && !ZH_STOP.has(text.charAt(i))) i++;
  let len = i - from;
  if (len === 4 && !ZH_COMPOUND.has(text.slice(from, from + 2))) len = 3;
  return len >= 2 ? [from, from + len] : null;
}

/** Japanese name: kanji/katakana, optionally split by one space or "・", up to the first kana particle. */
function jaName(text: string, from: number): [number, number] | null {
  let i = from;
  let end = from;
  while (i < text.length && i - from < 12) {
    const c = text.charCodeAt(i);
    if (isHan(c) || isKatakana(c)) {
      i++;
      end = i;
    } else if ((c === 32 || c === 0x3000 || c === 0x30fb) && i > from) {
      const n = text.charCodeAt(i + 1);
      if (!(isHan(n) || isKatakana(n))) break;
      i++;
    } else break;
  }
  return end - from >= 2 ? [from, end] : null;
}

const KO_SUFFIXES = ['이라고 합니다', '라고 합니다', '입니다', '이에요', '예요', '이고요', '이고', '이며', '이라고', '라고', '이야', '야', '씨'];

/** Korean name: 2-4 syllables once a copula such as 입니다 is stripped. */
function koName(text: string, from: number): [number, number] | null {
  let i = from;
  while (i < text.length && i - from < 10 && isHangul(text.charCodeAt(i))) i++;
  let end = i;
  const run = text.slice(from, end);
  for (const s of KO_SUFFIXES) {
    if (run.length > s.length && run.endsWith(s)) {
      end -= s.length;
      break;
    }
  }
  const len = end - from;
  return len >= 2 && len <= 4 ? [from, end] : null;
}

const AR_STOP = new Set([
  'و', 'وأنا', 'ولدي', 'وعمري', 'وأعمل', 'وأسكن', 'من', 'في', 'أنا', 'عمري', 'أعمل', 'أسكن', 'هو', 'هي', 'رقم', 'ورقم', 'عندي',
  'لدي', 'إلى', 'الى', 'على', 'عن', 'مع', 'وهاتفي', 'هاتفي', 'وبريدي', 'بريدي', 'ورقمي', 'رقمي', 'أريد', 'وأريد', 'مواليد',
]);

/** Arabic name: 1-3 words of Arabic letters, stopping at common function words. */
function arName(text: string, from: number): [number, number] | null {
  let i = from;
  if (text.startsWith('هو ', i)) i += 3;
  const start = i;
  let end = -1;
  for (let words = 0; words < 3; words++) {
    let j = i;
    while (j < text.length && (isArabicLetter(text.charCodeAt(j)) || isArabicMark(text.charCodeAt(j)))) j++;
    if (j - i < 2 || AR_STOP.has(text.slice(i, j))) break;
    end = j;
    if (text.charCodeAt(j) !== 32) break;
    i = j + 1;
  }
  return end > start ? [start, end] : null;
}

/**
 * Every trigger contains an anchor: a word such as "name", "heiße", "appelle", "llamo", or one of
 * the characters 叫 名 이름 성명 سم. The tokenizer reports anchors as it passes them (so prose costs a
 * table lookup per word), and only around an anchor is the long trigger expression run, on a
 * small window.
 */
const ANCHOR_WORDS = new Set([
  'name', 'namn', 'naam', 'navn', 'nazywam', 'nazwisko', 'nachname', 'nom', 'nombre', 'nome', 'nomme', 'nimeni', 'nimi',
  'heiße', 'heisse', 'heet', 'heter', 'hedder', 'holder', 'appelle', 'apellidos', 'llamo', 'chiamo', 'chamo', 'called',
  'cardholder', 'cognome', 'imię', 'vorname', 'surname', 'prénom',
]);
/** The anchor words by their first two letters (`a * 128 + b`), so most words are ruled out by one lookup. */
const ANCHORS_BY_PREFIX = new Map<number, string[]>();
for (const w of ANCHOR_WORDS) {
  const key = w.charCodeAt(0) * 128 + w.charCodeAt(1);
  ANCHORS_BY_PREFIX.set(key, [...(ANCHORS_BY_PREFIX.get(key) ?? []), w]);
}
const ANCHOR_PREFIX = new Uint8Array(128 * 128);
for (const key of ANCHORS_BY_PREFIX.keys()) ANCHOR_PREFIX[key] = 1;

/** True when a word whose first two code units (ASCII) are `a`, `b` may be an anchor word (see {@link isAnchorWord}). */
export function mayBeAnchorWord(a: number, b: number): boolean {
  return ANCHOR_PREFIX[(a | 0x20) * 128 + (b | 0x20)] === 1;
}

const lowerCode = (c: number): number => (c < 128 ? (c >= 65 && c <= 90 ? c + 32 : c) : String.fromCharCode(c).toLowerCase().charCodeAt(0));

/** True when the letters in [start, end) of the code units `u` form an anchor word (case-insensitive). */
export function isAnchorWord(u: Uint16Array, start: number, end: number): boolean {
  const len = end - start;
  if (len < 3 || len > 10) return false;
  const a = u[start]! | 0x20;
  const b = u[start + 1]! | 0x20;
  if (a >= 128 || b >= 128 || ANCHOR_PREFIX[a * 128 + b] !== 1) return false;
  for (const w of ANCHORS_BY_PREFIX.get(a * 128 + b)!) {
    if (w.length !== len) continue;
    let k = 2;
    while (k < len && lowerCode(u[start + k]!) === w.charCodeAt(k)) k++;
    if (k === len) return true;
  }
  return false;
}

/** True when the non-Latin character at `i` completes an anchor: 叫, 名, 이름, 성명, سم. */
export function isAnchorChar(text: string, i: number, c: number): boolean {
  switch (c) {
    case 0x53eb: // 叫
    case 0x540d: // 名
      return true;
    case 0xb984: // 름 of 이름
      return text.charCodeAt(i - 1) === 0xc774;
    case 0xba85: // 명 of 성명
      return text.charCodeAt(i - 1) === 0xc131;
    case 0x0645: // م of سم
      return text.charCodeAt(i - 1) === 0x0633;
    default:
      return false;
  }
}

/** Longest stretch of a trigger before its anchor. */
const MAX_BEFORE = 32;

/** The characters {@link isAnchorChar} reports. */
const ANCHOR_CHARS = [0x53eb, 0x540d, 0xb984, 0xba85, 0x0645];
/**
 * Longest stretch before each anchor character of a trigger that contains it (a space in a
 * trigger stretches to a run of MAX_WS_RUN), at most MAX_BEFORE: a trigger that starts further
 * back and reaches the anchor would contain it.
 */
const BEFORE_CHAR = new Map<number, number>(
  ANCHOR_CHARS.map((c) => {
    let most = 0;
    for (const t of TRIGGERS) {
      for (let j = t.phrase.indexOf(String.fromCharCode(c)); j >= 0; j = t.phrase.indexOf(String.fromCharCode(c), j + 1)) {
        const spaces = t.phrase.slice(0, j).split(' ').length - 1;
        most = Math.max(most, j + spaces * (MAX_WS_RUN - 1));
      }
    }
    return [c, Math.min(most, MAX_BEFORE)];
  }),
);

type Emit = (start: number, end: number, confidence: number) => void;

/**
 * Matches triggers around anchors, in text order. Each position is tried at most once per text
 * (a trigger containing an anchor starts at most MAX_BEFORE characters before it), so the cost is
 * linear whatever the number of anchors.
 */
export class NameFinder {
  /** Positions before this one were tried already. */
  private nextStart = 0;
  private best = -1;
  private bestEnd = 0;
  private readonly onMatch = (payload: number, _start: number, end: number): void => {
    if (this.best < 0 || payload < this.best) {
      this.best = payload;
      this.bestEnd = end;
    }
  };

  reset(): void {
    this.nextStart = 0;
  }

  /**
   * Looks for triggers that contain the anchor at `index`. A Latin anchor word (`latin`) is only
   * part of Latin triggers, which must start a word ({@link onTrigger} drops the others), so only
   * word starts are tried before it; before a CJK, Hangul or Arabic anchor character every
   * position back to the longest stretch a trigger has before that character is.
   */
  anchorAt(text: string, index: number, emit: Emit, latin = false): void {
    const before = latin ? MAX_BEFORE : (BEFORE_CHAR.get(text.charCodeAt(index)) ?? MAX_BEFORE);
    let p = Math.max(0, index - before, this.nextStart);
    while (p <= index) {
      if (latin && p > 0 && (isWordChar(text.charCodeAt(p - 1)) || !isWordChar(text.charCodeAt(p)))) {
        p++;
        continue;
      }
      this.best = -1;
      if (TRIGGER_TRIE.matchAt(text, p, this.onMatch) && this.best >= 0) {
        const trigger = ORDERED[this.best]!;
        const end = this.bestEnd;
        onTrigger(text, p, end, trigger, emit);
        // As a global regex does: the next trigger starts after this one.
        p = Math.max(end, p + 1);
      } else p++;
    }
    if (p > this.nextStart) this.nextStart = p;
  }
}

function onTrigger(text: string, at: number, end: number, trigger: Trigger, emit: Emit): void {
  // Latin triggers must stand alone ("rename is" is not "name is").
  if (trigger.script === 'latin' && at > 0 && isWordChar(text.charCodeAt(at - 1))) return;
  if (trigger.label === true && !labelStartsField(text, at)) return;
  let p = end;
  while (p < text.length && (text.charCodeAt(p) === 32 || text.charCodeAt(p) === 0x3000 || text.charCodeAt(p) === 9)) p++;
  const c = text.charCodeAt(p);
  let span: [number, number] | null = null;
  if (isHan(c)) span = trigger.script === 'ja' ? jaName(text, p) : trigger.script === 'zh' ? zhName(text, p) : null;
  else if (isKatakana(c)) span = trigger.script === 'ja' ? jaName(text, p) : null;
  else if (isHangul(c)) span = trigger.script === 'ko' ? koName(text, p) : null;
  else if (isArabicLetter(c)) span = trigger.script === 'ar' ? arName(text, p) : null;
  else if (trigger.script === 'latin') span = latinName(text, p);
  if (span !== null) emit(span[0], span[1], trigger.label === true ? 0.8 : 0.85);
}
