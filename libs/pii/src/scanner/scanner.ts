import { z } from 'zod';
import { CHAIN_DETECTORS } from '../detectors/registry.js';
import { InvalidScannerOptionsError } from '../errors.js';
import { PII_TYPE_INFO, PII_TYPES, PiiGroupSchema, PiiTypeSchema, type PiiGroup, type PiiSpan, type PiiType } from '../types.js';
import { isValidIban, IBAN_LENGTHS } from '../validators/universal.js';
import { CandidateView, Chain, type ChainDetector, ContextProbe, MAX_ATOMS, MAX_CANDIDATE } from './candidate.js';
import {
  A_DIGIT,
  A_LATIN_EXT,
  A_LOWER,
  ATOM_BITS,
  classOf,
  NORM,
  C_DASH,
  C_LPAREN,
  C_RPAREN,
  C_SPACE,
  isGapClass,
  normalizeGap,
} from './char-class.js';
import { type ContextWords, sharedTrie } from './context-words.js';
import { type WordTrie } from './word-trie.js';
import { matchEmail } from './email.js';
import { isAnchorChar, isAnchorWord, mayBeAnchorWord, NameFinder } from './names.js';
import { mayOpenSecret, probeSecret, type SecretProbe } from './secrets.js';

/** Options of {@link createScanner}. */
export interface ScannerOptions {
  /** Groups to scan for (default: all). */
  readonly groups?: readonly PiiGroup[];
  /** Restrict to these types (default: every type of the selected groups). */
  readonly types?: readonly PiiType[];
  /** Drop detections below this confidence (default 0.5). */
  readonly minConfidence?: number;
  /** Copy the matched text into each span. Off by default so spans are safe to log. */
  readonly includeText?: boolean;
}

/** A configured, reusable PII scanner. Not re-entrant: one scan at a time per instance. */
export interface PiiScanner {
  /** The types this scanner reports. */
  readonly types: readonly PiiType[];
  /** Detections in `text`, sorted by start, never overlapping. */
  scan(text: string): PiiSpan[];
}

const OptionsSchema = z.object({
  groups: z.array(PiiGroupSchema).optional(),
  types: z.array(PiiTypeSchema).optional(),
  minConfidence: z.number().min(0).max(1).optional(),
  includeText: z.boolean().optional(),
});

interface RawSpan {
  start: number;
  end: number;
  type: PiiType;
  confidence: number;
}

const EMAIL_CONFIDENCE = 0.97;
const IBAN_CONFIDENCE = 0.98;
/** Credentials have vendor-specific shapes; they win over an email that contains one (https://token@host). */
const SECRET_CONFIDENCE = 0.99;

const NEVER = Number.MAX_SAFE_INTEGER;
/** Word flags (see Scanner.wordFlags). W_CONTEXT must be 1: the tokenizer adds it as a count. */
const W_CONTEXT = 1;
const W_SECRET = 2;
const W_ANCHOR = 4;
/** A context word may start there, depending on the third code unit. */
const W_CONTEXT3 = 8;
/** Largest code-unit buffer a scanner keeps between scans (in UTF-16 code units). */
const KEEP_UNITS = 1 << 18;

/** Better candidate first: higher confidence, then longer, then earlier. */
const better = (a: RawSpan, b: RawSpan): number =>
  b.confidence - a.confidence || b.end - b.start - (a.end - a.start) || a.start - b.start;

/** Two-character gaps may only combine a parenthesis with a space or dash: "(0)20", "415) 555". */
function gapCode(text: string, from: number, to: number): number {
  const k1 = classOf(text.charCodeAt(from));
  if (!isGapClass(k1)) return 0;
  if (to - from === 1) return normalizeGap(k1);
  const k2 = classOf(text.charCodeAt(from + 1));
  const paren1 = k1 === C_LPAREN || k1 === C_RPAREN;
  const paren2 = k2 === C_LPAREN || k2 === C_RPAREN;
  if (paren1 === paren2) return 0;
  const other = paren1 ? k2 : k1;
  if (other !== C_SPACE && other !== C_DASH) return 0;
  return normalizeGap(paren1 ? k1 : k2);
}

/**
 * A detector as the dispatch loop sees it. Detectors are object literals and class instances of
 * many shapes; wrapping them in one class keeps the loop's property loads monomorphic.
 */
class Slot {
  /** The detector's method, called with the detector as receiver (cheaper than a bound function). */
  readonly detect: ChainDetector['detect'];
  readonly type: PiiType;
  /** Most atoms a candidate with letters may span. */
  readonly mixedAtoms: number;
  /** Context without which the detector never matches, or null. */
  readonly requires: ContextWords | null;
  constructor(readonly detector: ChainDetector) {
    // Called as `detect.call(detector, ...)`.
    this.detect = detector.detect;
    this.type = detector.type;
    this.mixedAtoms = detector.mixedAtoms ?? MAX_ATOMS;
    this.requires = detector.requires ?? null;
  }
}

class Scanner implements PiiScanner {
  readonly types: readonly PiiType[];
  private readonly enabled: ReadonlySet<PiiType>;
  private readonly digitTable: Slot[][] = [];
  private readonly mixedTable: Slot[][] = [];
  /** Same as mixedTable for candidates with letters over two atoms, and over three or more. */
  private readonly mixed2Table: Slot[][] = [];
  private readonly mixed3Table: Slot[][] = [];
  private readonly letterOnly: Slot[] = [];
  private readonly chains: boolean;
  private readonly email: boolean;
  private readonly iban: boolean;
  private readonly names: boolean;
  private readonly secrets: boolean;
  private readonly chain = new Chain();
  private readonly view = new CandidateView();
  private readonly ctx = new ContextProbe();
  private readonly probe: SecretProbe = { type: null, start: 0, end: 0, scannedTo: 0 };
  private readonly nameFinder = new NameFinder();
  private readonly emitName = (start: number, end: number, confidence: number): void => this.emit(start, end, 'PERSON_NAME', confidence);
  private out: RawSpan[] = [];
  private flags = new Uint8Array(0);
  private flagsTrie: WordTrie | null = null;
  private text = '';
  private unitBytes = Buffer.alloc(0);
  private units = new Uint16Array(0);

  constructor(
    types: readonly PiiType[],
    private readonly minConfidence: number,
    private readonly includeText: boolean,
  ) {
    this.types = types;
    this.enabled = new Set(types);
    for (let len = 0; len <= MAX_CANDIDATE; len++) {
      this.digitTable.push([]);
      this.mixedTable.push([]);
      this.mixed2Table.push([]);
      this.mixed3Table.push([]);
    }
    for (const d of CHAIN_DETECTORS) {
      if (!this.enabled.has(d.type)) continue;
      const slot = new Slot(d);
      for (let len = d.minLength; len <= Math.min(d.maxLength, MAX_CANDIDATE); len++) {
        if (d.shape !== 'mixed') this.digitTable[len]!.push(slot);
        if (d.shape !== 'digits') this.mixedTable[len]!.push(slot);
        if (d.shape !== 'digits' && slot.mixedAtoms >= 2) this.mixed2Table[len]!.push(slot);
        if (d.shape !== 'digits' && slot.mixedAtoms >= 3) this.mixed3Table[len]!.push(slot);
      }
      if (d.type === 'SWIFT_BIC') this.letterOnly.push(slot);
    }
    this.email = this.enabled.has('EMAIL');
    this.iban = this.enabled.has('IBAN');
    // Without a chain detector (or IBAN) there is nothing to chain, and no context to look up.
    this.chains = this.iban || CHAIN_DETECTORS.some((d) => this.enabled.has(d.type));
    this.names = this.enabled.has('PERSON_NAME');
    this.secrets = types.some((t) => PII_TYPE_INFO[t].group === 'secrets');
  }

  scan(text: string): PiiSpan[] {
    const u = this.codeUnits(text);
    this.text = text;
    this.out = [];
    const chain = this.chain;
    chain.reset();
    /** Where the tokenizer dispatches the complete chain it holds ({@link NEVER} when none waits). */
    let flushAt = NEVER;
    const email = this.email;
    this.ctx.begin(text);
    const hits = this.ctx.hits;
    const trie = sharedTrie();
    const firstOther = trie.firstOther;
    const wordFlags = this.wordFlags(trie);
    // Imported tables read through local constants: an imported binding is re-read (with a
    // hole check) at every use in the loop.
    const atomBits = ATOM_BITS;
    const normOf = NORM;
    this.nameFinder.reset();
    const names = this.names;
    const chains = this.chains;
    const n = text.length;
    let lastEnd = -1;
    let secretSkip = -1;
    // Starts of context words, written here without a call per word (see ContextHits.startBuffer);
    // the count is handed over before every dispatch, the only time the hits are read.
    const starts = hits.startBuffer(n + 1);
    let startCount = 0;
    let i = 0;
    while (i < n) {
      // Fast path, a loop without calls but one small look-up (so the compiler can keep the tables
      // in registers): ASCII separators and words that are neither part of a chain nor may open a
      // secret or a name. Anything else leaves it at its first character, for the general path.
      while (i < n && i < flushAt) {
        const c = u[i]!;
        if (atomBits[c] === 0) {
          if (c >= 128 || c === 64) break;
          i++;
          continue;
        }
        const c1 = i + 1 < n ? u[i + 1]! : 128;
        const f = (c | c1) < 128 ? wordFlags[(c << 7) | c1]! : chains ? W_CONTEXT : 0;
        if ((f & (W_SECRET | W_ANCHOR)) !== 0) break;
        let j = i + 1;
        let mask = atomBits[c]!;
        for (; j < n; j++) {
          const bits = atomBits[u[j]!]!;
          if (bits === 0) break;
          mask |= bits;
        }
        const len = j - i;
        if (
          chains &&
          (mask & A_LATIN_EXT) === 0 &&
          len <= MAX_CANDIDATE &&
          ((mask & A_DIGIT) !== 0 || ((mask & A_LOWER) === 0 && (len <= 4 || len === 8 || len === 11)))
        ) {
          break;
        }
        starts[startCount] = i;
        startCount += (f & W_CONTEXT3) === 0 ? f & W_CONTEXT : trie.thirdMayStart(c, c1, i + 2 < n ? u[i + 2]! : -1);
        i = j;
        if (chain.count > 0 && flushAt === NEVER) flushAt = lastEnd + ContextProbe.AFTER;
      }
      if (i >= n) break;
      if (i >= flushAt) {
        this.flushWith(startCount, i);
        flushAt = NEVER;
      }
      const c = u[i]!;
      if (atomBits[c] !== 0) {
        // What the first two code units say the word may be: one look-up for every ASCII pair.
        const c1 = i + 1 < n ? u[i + 1]! : 128;
        const f = (c | c1) < 128 ? wordFlags[(c << 7) | c1]! : chains ? W_CONTEXT : 0;
        // Whether a word may start a context word is a coin toss for the branch predictor: write
        // the start always, count it only when it may (W_CONTEXT is 1). The third code unit
        // rules out most of the rest before the trie is asked (WordTrie.mayStartWord).
        starts[startCount] = i;
        startCount += (f & W_CONTEXT3) === 0 ? f & W_CONTEXT : trie.thirdMayStart(c, c1, i + 2 < n ? u[i + 2]! : -1);
        if ((f & W_SECRET) !== 0 && i >= secretSkip) {
          const p = probeSecret(text, i, this.enabled, this.probe);
          if (p.type !== null) {
            if (chain.count > 0) this.flushWith(startCount, i);
            flushAt = NEVER;
            this.emit(p.start, p.end, p.type, SECRET_CONFIDENCE);
            i = p.end;
            continue;
          }
          secretSkip = p.scannedTo;
        }
        const start = i;
        // The run of atom characters: OR their class bits, one branch per character.
        let mask = 0;
        for (; i < n; i++) {
          const bits = atomBits[u[i]!]!;
          if (bits === 0) break;
          mask |= bits;
        }
        const len = i - start;
        if ((f & W_ANCHOR) !== 0 && (mask & A_DIGIT) === 0 && isAnchorWord(u, start, i)) {
          this.nameFinder.anchorAt(text, start, this.emitName, true);
        }
        const chainable =
          chains &&
          (mask & A_LATIN_EXT) === 0 &&
          len <= MAX_CANDIDATE &&
          ((mask & A_DIGIT) !== 0 || ((mask & A_LOWER) === 0 && (len <= 4 || len === 8 || len === 11)));
        if (!chainable) {
          // The chain is complete; dispatch it once the tokenizer has read the text its
          // candidates' context windows reach into (no atom can join it across this one).
          if (chain.count > 0 && flushAt === NEVER) flushAt = lastEnd + ContextProbe.AFTER;
          continue;
        }
        let gap = 0;
        let gapLen = 0;
        if (chain.count > 0) {
          gapLen = start - lastEnd;
          gap = gapLen <= 2 ? gapCode(text, lastEnd, start) : 0;
          if (gap === 0) {
            this.flushWith(startCount, i);
            flushAt = NEVER;
            gapLen = 0;
          }
        }
        chain.beginAtom(start, gap, gapLen);
        const norm = chain.reserve(len);
        let w = chain.normLen;
        let digits = 0;
        let lowers = 0;
        for (let p = start; p < i; p++) {
          const cc = u[p]!;
          const bits = atomBits[cc]!;
          digits += (bits >> 1) & 1;
          lowers += bits & 1;
          norm[w++] = normOf[cc]!;
        }
        chain.normLen = w;
        chain.endAtom(i, digits, lowers);
        lastEnd = i;
        continue;
      }
      if (c >= 128) {
        if (chains && firstOther[c] === 1) starts[startCount++] = i;
        if (names && c >= 0x0600 && isAnchorChar(text, i, c)) this.nameFinder.anchorAt(text, i, this.emitName);
      }
      if (c === 64 || c === 0xff20) {
        if (email) {
          const m = matchEmail(text, i);
          if (m !== null) {
            if (chain.count > 0) this.flushWith(startCount, i);
            flushAt = NEVER;
            this.emit(m.start, m.end, 'EMAIL', EMAIL_CONFIDENCE);
            i = m.end;
            continue;
          }
        }
      }
      i++;
    }
    if (chain.count > 0) this.flushWith(startCount, i);
    const result = this.resolve(this.out);
    this.out = [];
    this.text = '';
    if (this.units.length > KEEP_UNITS) this.codeUnits('');
    hits.trim(KEEP_UNITS);
    return result;
  }

  /**
   * Flags of a word by its first two code units `c0 << 7 | c1` (both ASCII) for this scanner:
   * {@link W_CONTEXT} when a context word may start there ({@link W_CONTEXT3}: depending on the
   * third code unit), {@link W_SECRET} when a secret may, {@link W_ANCHOR} when a name anchor word
   * may. One look-up per word instead of three; rebuilt when the context-word trie changes.
   */
  private wordFlags(trie: WordTrie): Uint8Array {
    if (this.flagsTrie !== trie) {
      const pairs = trie.wordStartPairs();
      const t = new Uint8Array(128 * 128);
      for (let c0 = 0; c0 < 128; c0++) {
        for (let c1 = 0; c1 < 128; c1++) {
          const k = (c0 << 7) | c1;
          t[k] =
            (this.chains && pairs[k] === 1 ? W_CONTEXT : 0) |
            (this.chains && pairs[k] === 2 ? W_CONTEXT3 : 0) |
            (this.secrets && mayOpenSecret(c0, c1) ? W_SECRET : 0) |
            (this.names && mayBeAnchorWord(c0, c1) ? W_ANCHOR : 0);
        }
      }
      this.flags = t;
      this.flagsTrie = trie;
    }
    return this.flags;
  }

  /** The code units of `text` in a buffer reused across scans (typed-array reads are cheaper than charCodeAt). */
  private codeUnits(text: string): Uint16Array {
    if (text.length === 0 && this.units.length > KEEP_UNITS) {
      // Do not keep the buffer of a huge text alive in a cached scanner.
      this.unitBytes = Buffer.alloc(0);
      this.units = new Uint16Array(0);
    }
    if (text.length > this.units.length) {
      const bytes = Buffer.allocUnsafeSlow(2 * Math.max(text.length, 2 * this.units.length));
      this.unitBytes = bytes;
      this.units = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1);
    }
    this.unitBytes.write(text, 0, 'utf16le');
    return this.units;
  }

  private emit(start: number, end: number, type: PiiType, confidence: number): void {
    if (confidence >= this.minConfidence && confidence > 0) this.out.push({ start, end, type, confidence });
  }

  /** {@link flush} once the context hits know the `startCount` starts the tokenizer wrote. */
  private flushWith(startCount: number, at: number): void {
    this.ctx.hits.setStartCount(startCount);
    this.flush(at);
  }

  /** Dispatches every clean sub-chain (not glued to more of the same number on either side) to the detectors. */
  private flush(at: number): void {
    this.ctx.proposed(at);
    const ch = this.chain;
    const m = ch.count;
    if (ch.digitAtoms === 0 && this.letterOnly.length === 0) {
      ch.reset();
      return;
    }
    for (let a = 0; a < m; a++) {
      if (a > 0 && ch.glued[a] === 1) continue;
      if (this.iban) this.tryIban(a);
      const ns = ch.aNormStart[a]!;
      let digits = 0;
      let lowers = 0;
      for (let b = a; b < m && b - a < MAX_ATOMS; b++) {
        const len = ch.aNormEnd[b]! - ns;
        if (len > MAX_CANDIDATE) break;
        digits += ch.aDigits[b]!;
        lowers += ch.aLower[b]!;
        if (b + 1 < m && ch.glued[b + 1] === 1) continue;
        const list =
          digits === len
            ? this.digitTable[len]
            : digits === 0
              ? len === 8 || len === 11
                ? this.letterOnly
                : undefined
              : b === a
                ? this.mixedTable[len]
                : b === a + 1
                  ? this.mixed2Table[len]
                  : this.mixed3Table[len];
        if (list !== undefined && list.length > 0) this.dispatch(list, a, b, len, digits, lowers);
      }
    }
    ch.reset();
  }

  private dispatch(list: Slot[], a: number, b: number, len: number, digits: number, lowers: number): void {
    const ch = this.chain;
    const v = this.view;
    v.text = this.text;
    v.start = ch.aStart[a]!;
    v.end = ch.aEnd[b]!;
    v.digits = digits;
    v.lowers = lowers;
    v.set(ch, a, b, ch.aNormStart[a]!, len);
    const ctx = this.ctx;
    ctx.reset(v.start, v.end);
    const atoms = b - a + 1;
    const mixed = digits < len;
    for (let j = 0; j < list.length; j++) {
      const d = list[j]!;
      // Most detectors take letters only in one unbroken token ("A 1 A 1" chains are not ids).
      if (mixed && atoms > d.mixedAtoms) continue;
      if (d.requires !== null && !ctx.mayHave(d.requires)) continue;
      v.outStart = -1;
      v.outEnd = -1;
      const conf = d.detect.call(d.detector, v, ctx);
      if (conf > 0) this.emit(v.outStart >= 0 ? v.outStart : v.start, v.outEnd >= 0 ? v.outEnd : v.end, d.type, conf);
    }
  }

  /** IBANs are matched greedily by the registry length of their country, across space-separated groups. */
  private tryIban(a: number): void {
    const ch = this.chain;
    const ns = ch.aNormStart[a]!;
    if (ch.aNormEnd[a]! - ns < 4 || ch.aLower[a]! > 0) return;
    const n = ch.norm;
    const c0 = n[ns]!;
    const c1 = n[ns + 1]!;
    const c2 = n[ns + 2]!;
    const c3 = n[ns + 3]!;
    if (c0 < 65 || c0 > 90 || c1 < 65 || c1 > 90 || c2 < 48 || c2 > 57 || c3 < 48 || c3 > 57) return;
    const want = IBAN_LENGTHS[String.fromCharCode(c0, c1)];
    if (want === undefined) return;
    for (let b = a; b < ch.count; b++) {
      if (b > a && (ch.gapLen[b] !== 1 || (ch.gap[b] !== 32 && ch.gap[b] !== 45))) return;
      if (ch.aLower[b]! > 0) return;
      const len = ch.aNormEnd[b]! - ns;
      if (len < want) continue;
      if (len > want) return;
      const value = String.fromCharCode.apply(null, n.subarray(ns, ns + len) as unknown as number[]);
      if (isValidIban(value)) this.emit(ch.aStart[a]!, ch.aEnd[b]!, 'IBAN', IBAN_CONFIDENCE);
      return;
    }
  }

  /** Keeps the best of overlapping detections (confidence, then length), cluster by cluster. */
  private resolve(spans: RawSpan[]): PiiSpan[] {
    spans.sort((x, y) => x.start - y.start || y.end - x.end);
    const kept: RawSpan[] = [];
    let cluster: RawSpan[] = [];
    let clusterEnd = -1;
    for (const s of spans) {
      if (cluster.length > 0 && s.start >= clusterEnd) {
        pickFromCluster(cluster, kept);
        cluster = [];
      }
      cluster.push(s);
      clusterEnd = cluster.length === 1 ? s.end : Math.max(clusterEnd, s.end);
    }
    if (cluster.length > 0) pickFromCluster(cluster, kept);
    return kept.map((s) => {
      const span: PiiSpan = {
        start: s.start,
        end: s.end,
        type: s.type,
        group: PII_TYPE_INFO[s.type].group,
        confidence: s.confidence,
      };
      return this.includeText ? { ...span, text: this.text.slice(s.start, s.end) } : span;
    });
  }
}

/** Greedy choice inside a cluster of overlapping spans; `chosen` stays sorted and disjoint. */
function pickFromCluster(cluster: RawSpan[], out: RawSpan[]): void {
  if (cluster.length === 1) {
    out.push(cluster[0]!);
    return;
  }
  cluster.sort(better);
  const chosen: RawSpan[] = [];
  for (const s of cluster) {
    // First chosen span ending after s.start: the only one that can overlap s.
    let lo = 0;
    let hi = chosen.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (chosen[mid]!.end <= s.start) lo = mid + 1;
      else hi = mid;
    }
    const next = chosen[lo];
    if (next !== undefined && next.start < s.end) continue;
    chosen.splice(lo, 0, s);
  }
  for (const s of chosen) out.push(s);
}

/**
 * Builds a scanner for the given groups/types. Throws {@link InvalidScannerOptionsError} for an
 * unknown group or type name or a confidence outside [0, 1] (options often come from policy files).
 */
export function createScanner(options: ScannerOptions = {}): PiiScanner {
  const parsed = OptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new InvalidScannerOptionsError(`invalid scanner options: ${parsed.error.issues.map((i) => i.message).join('; ')}`, {
      cause: parsed.error,
    });
  }
  const { groups, types, minConfidence = 0.5, includeText = false } = parsed.data;
  const groupSet = groups === undefined ? null : new Set<PiiGroup>(groups);
  const typeSet = types === undefined ? null : new Set<PiiType>(types);
  const selected = PII_TYPES.filter(
    (t) => (groupSet === null || groupSet.has(PII_TYPE_INFO[t].group)) && (typeSet === null || typeSet.has(t)),
  );
  return new Scanner(selected, minConfidence, includeText);
}
