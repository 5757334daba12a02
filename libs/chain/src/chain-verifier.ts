import { ChainOpened, Envelope, GENESIS_PREV, type HashHex } from '@totra/events';
import { isEnvelopeFast } from './envelope-check.js';
import { CanonicalJsonError, VerifierOptionsError, VerifierStateError } from './errors.js';
import { leafHashHexOfText, leafHashHexOfTextWithout } from './hash.js';
import { canonicalJson, canonicalizeTrusted } from './jcs.js';

/** Stable codes of what a `ChainVerifier` finds. Consumers branch on these, never on messages. */
export const ChainFindingCode = {
  /** Not JSON, not a JSON object, or holding a value JCS cannot canonicalise. */
  Malformed: 'TOTRA_CHAIN_MALFORMED',
  /** JSON, but not a valid envelope (a missing, extra or ill-typed field). */
  InvalidEnvelope: 'TOTRA_CHAIN_INVALID_ENVELOPE',
  /** The stored `hash` is not the hash of the event's content: the event was modified. */
  HashMismatch: 'TOTRA_CHAIN_HASH_MISMATCH',
  /** Seq 1 is not a `ChainOpened` with the genesis `prev`, or the chain's first events are missing. */
  BadGenesis: 'TOTRA_CHAIN_BAD_GENESIS',
  /** Seqs missing from the chain (deleted events); named at the event after the gap. */
  SeqGap: 'TOTRA_CHAIN_SEQ_GAP',
  /** An event read after a later event of its chain (reordered events). */
  OutOfOrder: 'TOTRA_CHAIN_OUT_OF_ORDER',
  /** `prev` is not the hash of the chain's previous event (an inserted or altered event). */
  PrevMismatch: 'TOTRA_CHAIN_PREV_MISMATCH',
  /** A second, different event at a chain position already taken. */
  Fork: 'TOTRA_CHAIN_FORK',
  /** The same event (same hash) at the same chain position again. */
  Duplicate: 'TOTRA_CHAIN_DUPLICATE',
  /** A position behind the head and outside the window: a duplicate, a fork or a late event, no telling which. */
  SeqReused: 'TOTRA_CHAIN_SEQ_REUSED',
  /** More chains than `maxChains`: the events of the chains beyond it get per-event checks only. */
  TooManyChains: 'TOTRA_CHAIN_TOO_MANY_CHAINS',
} as const;
export type ChainFindingCode = (typeof ChainFindingCode)[keyof typeof ChainFindingCode];

/** Where an event was read: a line number, a stream sequence, or any label the reader chooses. */
export type EventLocation = number | string;

/** One problem found in the log. */
export interface ChainFinding {
  readonly code: ChainFindingCode;
  /** The chain the event claims, when it could be read. */
  readonly chain: string | null;
  /** The seq the event claims, when it could be read. */
  readonly seq: number | null;
  /** Where the event named by `chain`/`seq` was read. */
  readonly location: EventLocation;
  readonly message: string;
}

/** The last event of a chain, as read. */
export interface ChainHead {
  readonly chain: string;
  readonly seq: number;
  readonly hash: HashHex;
  /** Events of this chain read in this run. */
  readonly events: number;
}

/** A chain position verified earlier (e.g. up to the last checkpoint) to continue from. */
export interface KnownChainHead {
  readonly chain: string;
  readonly seq: number;
  readonly hash: string;
}

export interface VerifyReport {
  /** True when nothing was found. */
  readonly ok: boolean;
  /** Items pushed (blank lines excluded). */
  readonly events: number;
  /** Chains seen. */
  readonly chains: number;
  /** Events that parsed, matched the envelope schema and their hash, and fitted their chain when read. */
  readonly valid: number;
  /** One head per chain, by chain id. */
  readonly heads: readonly ChainHead[];
  /** The first `maxFindings` findings, in the order they were found. */
  readonly findings: readonly ChainFinding[];
  /** All findings, including those left out of `findings`. */
  readonly findingsTotal: number;
  readonly findingsOmitted: number;
  readonly findingsByCode: Readonly<Partial<Record<ChainFindingCode, number>>>;
}

export interface ChainVerifierOptions {
  /** Findings kept in the report (the rest are only counted). Default 1000. */
  readonly maxFindings?: number;
  /**
   * Recent positions remembered per chain, to tell duplicates from forks and to check the
   * links of late events. Default 1024.
   */
  readonly window?: number;
  /** Gaps held open (in case the missing events arrive late) before being reported at once. Default 10000. */
  readonly maxPendingGaps?: number;
  /**
   * Chains tracked (a chain is one writer process start, so real logs hold few). Bounds memory
   * against a log stuffed with forged chains. Default 100000.
   */
  readonly maxChains?: number;
  /** Heads verified before: their chains continue from there instead of from genesis. */
  readonly initialHeads?: Iterable<KnownChainHead>;
  /**
   * Told of each event that passed every per-event check and took its place in its chain (at
   * the head, or late into a gap), with the parsed object. Not told of forks and duplicates.
   */
  readonly onEvent?: (event: AcceptedEvent, value: Readonly<Record<string, unknown>>) => void;
}

/** An event a `ChainVerifier` accepted at its chain position. */
export interface AcceptedEvent {
  readonly chain: string;
  readonly seq: number;
  readonly hash: string;
  readonly type: string;
  readonly location: EventLocation;
}

interface Slot {
  seq: number;
  /** The stored hash, then any other hash claimed for this position (recomputed, forks). */
  hash: string;
  alt: string[] | null;
  prev: string;
  location: EventLocation;
}

interface Gap {
  from: number;
  to: number;
  /** The event read right after the gap opened. */
  nextSeq: number;
  location: EventLocation;
  /** That event's prev is the hash of the event before the gap: seqs were skipped, not events deleted. */
  linked: boolean;
}

interface ChainState {
  readonly chain: string;
  maxSeq: number;
  head: string;
  events: number;
  /** Continues a known head, so no genesis is expected. */
  readonly anchored: boolean;
  readonly ring: (Slot | undefined)[];
  gaps: Gap[] | null;
}

/** What one pushed item claims about its position; `trusted` when it passed every per-event check. */
interface Claim {
  chain: string;
  seq: number;
  hash: string;
  alt: string | null;
  prev: string;
  type: string;
  location: EventLocation;
  trusted: boolean;
}

const HEX64 = /^[0-9a-f]{64}$/;
const BLANK = /^\s*$/;

function count(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new VerifierOptionsError(`${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 200 ? `${message.slice(0, 200)}...` : message;
}

/**
 * Verifies hash chains from a stream of events, one at a time, in stream order (the events of
 * many chains interleaved; within a chain, stream order is chain order). Pure and synchronous:
 * the caller reads the stream or file and pushes each event or raw JSON line.
 *
 * Per event: it parses, matches the `Envelope` schema and its own hash. Per chain: seq 1 is a
 * `ChainOpened` with the genesis `prev`; seq grows by exactly 1; `prev` is the previous event's
 * hash. Every problem becomes a finding with a stable code, the chain, the seq and where it was
 * read. Memory is bounded by the number of chains (times `window`) and by `maxFindings`, not by
 * the number of events.
 */
export class ChainVerifier {
  readonly #maxFindings: number;
  readonly #window: number;
  readonly #maxPendingGaps: number;
  readonly #maxChains: number;
  readonly #chains = new Map<string, ChainState>();
  readonly #findings: ChainFinding[] = [];
  readonly #byCode: Partial<Record<ChainFindingCode, number>> = {};
  readonly #initialHeads = new Map<string, KnownChainHead>();
  readonly #onEvent: ChainVerifierOptions['onEvent'];
  #placed = false;
  #findingsTotal = 0;
  #events = 0;
  #valid = 0;
  #pendingGaps = 0;
  #flagged = false;
  #finished = false;
  #tooManyChains = false;

  constructor(options: ChainVerifierOptions = {}) {
    this.#maxFindings = count('maxFindings', options.maxFindings ?? 1000, 0);
    this.#window = count('window', options.window ?? 1024, 1);
    this.#maxPendingGaps = count('maxPendingGaps', options.maxPendingGaps ?? 10_000, 0);
    this.#maxChains = count('maxChains', options.maxChains ?? 100_000, 1);
    this.#onEvent = options.onEvent;
    for (const head of options.initialHeads ?? []) {
      if (!Number.isSafeInteger(head.seq) || head.seq < 1 || !HEX64.test(head.hash)) {
        throw new VerifierOptionsError(`initial head of ${head.chain}: seq must be a positive integer and hash 64 lowercase hex digits`);
      }
      this.#initialHeads.set(head.chain, head);
    }
  }

  /** Events pushed and findings so far, e.g. for a progress line. */
  progress(): { events: number; findings: number } {
    return { events: this.#events, findings: this.#findingsTotal };
  }

  /**
   * Verifies the next event of the stream: a parsed envelope, or a raw JSON line (a line that is
   * not valid JSON is reported, not thrown; a blank line is skipped). `location` defaults to
   * the 1-based count of events pushed.
   */
  push(item: unknown, location?: EventLocation): void {
    if (this.#finished) throw new VerifierStateError('push() after finish()');
    let value = item;
    const fromText = typeof item === 'string';
    if (fromText) {
      // Only a line starting with whitespace can be blank; skip the regex for the others.
      if (item.length === 0 || (item.charCodeAt(0) <= 32 && BLANK.test(item))) return;
    }
    this.#events++;
    const loc = location ?? this.#events;
    this.#flagged = false;
    if (fromText) {
      try {
        value = JSON.parse(item as string);
      } catch (error) {
        this.#report(ChainFindingCode.Malformed, null, null, loc, `not valid JSON: ${describeError(error)}`);
        return;
      }
    }
    if (!isObject(value)) {
      this.#report(ChainFindingCode.Malformed, null, null, loc, 'not a JSON object');
      return;
    }
    const claim = this.#check(value, fromText ? (item as string) : null, loc);
    this.#placed = false;
    if (claim) this.#place(claim);
    if (this.#placed && claim?.trusted && this.#onEvent) this.#onEvent(claim, value);
    if (!this.#flagged) this.#valid++;
  }

  /** Ends the stream: reports the gaps still open and returns the report. Call once. */
  finish(): VerifyReport {
    if (this.#finished) throw new VerifierStateError('finish() called twice');
    this.#finished = true;
    const chains = [...this.#chains.values()].sort((a, b) => (a.chain < b.chain ? -1 : a.chain > b.chain ? 1 : 0));
    for (const state of chains) {
      for (const gap of state.gaps ?? []) this.#reportGap(state, gap);
    }
    return {
      ok: this.#findingsTotal === 0,
      events: this.#events,
      chains: chains.length,
      valid: this.#valid,
      heads: chains.map((s) => ({ chain: s.chain, seq: s.maxSeq, hash: s.head, events: s.events })),
      findings: this.#findings,
      findingsTotal: this.#findingsTotal,
      findingsOmitted: this.#findingsTotal - this.#findings.length,
      findingsByCode: { ...this.#byCode },
    };
  }

  /** Per-event checks: schema and hash. Returns the position the event claims, if readable. */
  #check(value: Record<string, unknown>, line: string | null, loc: EventLocation): Claim | null {
    if (line !== null) {
      const claim = this.#checkCanonicalLine(value, line, loc);
      if (claim !== undefined) return claim;
    }
    const parsed = isEnvelopeFast(value) ? { success: true as const, data: value } : Envelope.safeParse(value);
    if (!parsed.success) {
      const claim = readClaim(value, loc);
      const issues = parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
        .join('; ');
      this.#report(ChainFindingCode.InvalidEnvelope, claim?.chain ?? stringOrNull(value['chain']), claim?.seq ?? seqOrNull(value['seq']), loc, `not a valid envelope: ${issues}`);
      return claim;
    }
    const env = parsed.data;
    const { hash: _stored, ...content } = value;
    let computed: string;
    try {
      // Hash the object as read, not the schema's copy of it: what is stored is what is hashed.
      computed = leafHashHexOfText(line !== null ? canonicalizeTrusted(content) : canonicalJson(content));
    } catch (error) {
      if (!(error instanceof CanonicalJsonError)) throw error;
      this.#report(ChainFindingCode.Malformed, env.chain, env.seq, loc, `cannot be canonicalised: ${error.message}`);
      return claimOf(env, loc, null, false);
    }
    return computed === env.hash ? claimOf(env, loc, null, true) : this.#hashMismatch(env, loc, computed);
  }

  /**
   * The fast path for a line stored in canonical form (`serializeEvent`, as every writer stores
   * events): once the line is shown to be exactly the RFC 8785 form of what it parsed to,
   * the line minus its top-level `,"hash":"<hex>"` member is the canonical form of the content,
   * so hashing those characters as they are gives the event hash by its definition, with no
   * re-serialisation. Undefined when the line is not canonical, or not certainly a valid
   * envelope: the caller then takes the general path (zod, canonicalisation), which decides.
   */
  #checkCanonicalLine(value: Record<string, unknown>, line: string, loc: EventLocation): Claim | undefined {
    const stored = value['hash'];
    if (typeof stored !== 'string' || !isCanonicalLine(line, value)) return undefined;
    // In a canonical valid envelope the top-level `hash` is the last such member: every member
    // after it (id, prev, sealed, seq, subject, tenant, time, type, v) holds strings and numbers
    // (sealed only kid/alg/iv/ct), and a raw `"` inside a string is always escaped.
    const at = line.lastIndexOf(HASH_MEMBER);
    if (at < 0) return undefined;
    const computed = leafHashHexOfTextWithout(line, at, at + HASH_MEMBER.length + stored.length + 1);
    // A valid envelope's hash is 64 hex digits, so the cut above was the whole member; a
    // computed digest equal to it proves the stored hash well-formed already, and a `prev`
    // equal to its chain's head (heads only ever hold verified hashes) proves `prev` so.
    const chain = value['chain'];
    const prev = value['prev'];
    const prevIsHead = typeof chain === 'string' && typeof prev === 'string' && this.#chains.get(chain)?.head === prev;
    if (!isEnvelopeFast(value, computed === stored, prevIsHead)) return undefined;
    return computed === stored ? claimOf(value, loc, null, true) : this.#hashMismatch(value, loc, computed);
  }

  #hashMismatch(env: Envelope, loc: EventLocation, computed: string): Claim {
    this.#report(ChainFindingCode.HashMismatch, env.chain, env.seq, loc, `stored hash ${env.hash} but the content hashes to ${computed}: the event was modified`);
    return claimOf(env, loc, computed, false);
  }

  /** Per-chain checks: genesis, seq continuity, prev links, forks and duplicates. */
  #place(claim: Claim): void {
    const { chain, seq, location } = claim;
    let state = this.#chains.get(chain);
    if (!claim.trusted) {
      // A modified event cannot be trusted about its position: it only takes the next seq (so
      // its successor still links to it), never opens gaps, forks or chains.
      if (!state && seq === 1 && !this.#initialHeads.has(chain)) state = this.#open(claim);
      if (!state || seq !== state.maxSeq + 1) return;
      this.#append(state, claim);
      return;
    }
    state ??= this.#open(claim);
    if (!state) return;
    if (seq > state.maxSeq) {
      if (seq === state.maxSeq + 1) {
        if (seq === 1 && !state.anchored) this.#checkGenesis(claim);
        else this.#checkLink(state, claim);
      } else {
        const linked = state.maxSeq > 0 && claim.prev === state.head;
        this.#openGap(state, { from: state.maxSeq + 1, to: seq - 1, nextSeq: seq, location, linked });
      }
      this.#append(state, claim);
      return;
    }
    if (this.#closeGap(state, seq)) {
      this.#report(ChainFindingCode.OutOfOrder, chain, seq, location, `seq ${seq} was read after seq ${state.maxSeq} of its chain: events were reordered`);
      if (seq === 1 && !state.anchored) this.#checkGenesis(claim);
      else this.#checkLink(state, claim);
      const next = this.#slot(state, seq + 1);
      if (next && next.prev !== claim.hash && next.prev !== claim.alt) {
        this.#report(
          ChainFindingCode.PrevMismatch,
          chain,
          seq + 1,
          next.location,
          `prev ${next.prev} is not the hash of seq ${seq} (${claim.hash}, read at ${String(location)})`,
        );
      }
      this.#remember(state, claim);
      state.events++;
      this.#placed = true;
      return;
    }
    state.events++;
    const taken = this.#slot(state, seq);
    if (!taken) {
      this.#report(
        ChainFindingCode.SeqReused,
        chain,
        seq,
        location,
        `seq ${seq} is behind the chain head (seq ${state.maxSeq}) and too far back to compare: a duplicate, a fork or a late event`,
      );
      return;
    }
    if (taken.hash === claim.hash || taken.alt?.includes(claim.hash)) {
      this.#report(ChainFindingCode.Duplicate, chain, seq, location, `the same event as seq ${seq} read at ${String(taken.location)}`);
      return;
    }
    this.#report(
      ChainFindingCode.Fork,
      chain,
      seq,
      location,
      `a second event at seq ${seq} (hash ${claim.hash}); the first (hash ${taken.hash}) was read at ${String(taken.location)}`,
    );
    // Later events may extend either branch without raising more findings.
    (taken.alt ??= []).push(claim.hash);
  }

  #open(claim: Claim): ChainState | undefined {
    const { chain } = claim;
    if (this.#chains.size >= this.#maxChains) {
      if (!this.#tooManyChains) {
        this.#tooManyChains = true;
        this.#report(
          ChainFindingCode.TooManyChains,
          chain,
          claim.seq,
          claim.location,
          `more than ${this.#maxChains} chains; the chains from here on get per-event checks only`,
        );
      }
      return undefined;
    }
    const known = this.#initialHeads.get(chain);
    const state: ChainState = {
      chain,
      maxSeq: known?.seq ?? 0,
      head: known?.hash ?? GENESIS_PREV,
      events: 0,
      anchored: known !== undefined,
      ring: [],
      gaps: null,
    };
    if (known) this.#remember(state, { seq: known.seq, hash: known.hash, alt: null, prev: '', location: 'initial head' });
    this.#chains.set(chain, state);
    return state;
  }

  #append(state: ChainState, claim: Claim): void {
    this.#placed = true;
    state.maxSeq = claim.seq;
    state.head = claim.hash;
    state.events++;
    this.#remember(state, claim);
  }

  #checkGenesis(claim: Claim): void {
    const problems: string[] = [];
    if (claim.type !== ChainOpened.type) problems.push(`type is ${claim.type}, not ${ChainOpened.type}`);
    if (claim.prev !== GENESIS_PREV) problems.push(`prev is ${claim.prev}, not the genesis prev (64 zeros)`);
    if (problems.length > 0) {
      this.#report(ChainFindingCode.BadGenesis, claim.chain, claim.seq, claim.location, `seq 1 ${problems.join(' and ')}`);
    }
  }

  #checkLink(state: ChainState, claim: Claim): void {
    const before = this.#slot(state, claim.seq - 1);
    if (!before || claim.prev === before.hash || before.alt?.includes(claim.prev)) return;
    this.#report(
      ChainFindingCode.PrevMismatch,
      claim.chain,
      claim.seq,
      claim.location,
      `prev ${claim.prev} is not the hash of seq ${claim.seq - 1} (${before.hash}, read at ${String(before.location)}): an event was inserted, replaced or altered`,
    );
  }

  #slot(state: ChainState, seq: number): Slot | undefined {
    const slot = state.ring[seq % this.#window];
    return slot?.seq === seq ? slot : undefined;
  }

  #remember(state: ChainState, claim: Pick<Claim, 'seq' | 'hash' | 'alt' | 'prev' | 'location'>): void {
    // A late event must not evict a newer position from the ring.
    if (claim.seq <= state.maxSeq - this.#window) return;
    const index = claim.seq % this.#window;
    const slot = state.ring[index];
    const alt = claim.alt === null ? null : [claim.alt];
    if (slot) {
      slot.seq = claim.seq;
      slot.hash = claim.hash;
      slot.alt = alt;
      slot.prev = claim.prev;
      slot.location = claim.location;
    } else {
      state.ring[index] = { seq: claim.seq, hash: claim.hash, alt, prev: claim.prev, location: claim.location };
    }
  }

  #openGap(state: ChainState, gap: Gap): void {
    if (this.#pendingGaps >= this.#maxPendingGaps) {
      this.#reportGap(state, gap);
      return;
    }
    (state.gaps ??= []).push(gap);
    this.#pendingGaps++;
  }

  /** Takes `seq` out of an open gap; false when it was in none. */
  #closeGap(state: ChainState, seq: number): boolean {
    const gaps = state.gaps;
    if (!gaps) return false;
    const i = gaps.findIndex((g) => g.from <= seq && seq <= g.to);
    if (i < 0) return false;
    const gap = gaps[i]!;
    if (gap.from === gap.to) {
      gaps.splice(i, 1);
      this.#pendingGaps--;
    } else if (seq === gap.from) {
      gap.from++;
    } else if (seq === gap.to) {
      gap.to--;
    } else {
      gaps.splice(i + 1, 0, { ...gap, from: seq + 1 });
      gap.to = seq - 1;
      this.#pendingGaps++;
    }
    return true;
  }

  #reportGap(state: ChainState, gap: Gap): void {
    const missing = gap.from === gap.to ? `seq ${gap.from} is` : `seqs ${gap.from}..${gap.to} (${gap.to - gap.from + 1} events) are`;
    if (gap.from === 1 && !state.anchored) {
      this.#report(ChainFindingCode.BadGenesis, state.chain, gap.nextSeq, gap.location, `the chain has no genesis: ${missing} missing before seq ${gap.nextSeq}`);
    } else {
      const why = gap.linked
        ? `yet its prev is the hash of seq ${gap.from - 1}: the writer skipped seq numbers`
        : 'events were deleted';
      this.#report(ChainFindingCode.SeqGap, state.chain, gap.nextSeq, gap.location, `${missing} missing before seq ${gap.nextSeq}, ${why}`);
    }
  }

  #report(code: ChainFindingCode, chain: string | null, seq: number | null, location: EventLocation, message: string): void {
    this.#flagged = true;
    this.#findingsTotal++;
    this.#byCode[code] = (this.#byCode[code] ?? 0) + 1;
    if (this.#findings.length < this.#maxFindings) this.#findings.push({ code, chain, seq, location, message });
  }
}

/** The top-level `hash` member as canonical JSON writes it (never the first member: `chain` sorts before it). */
const HASH_MEMBER = ',"hash":"';
/** Nesting beyond which the fast path stands aside (the general path still decides). */
const MAX_FAST_DEPTH = 64;
/**
 * Whether `line` is exactly `canonicalJson(value)`, where `value` is what the line parsed to.
 * `JSON.stringify` writes strings and numbers as RFC 8785 does (RFC 8785 specifies exactly its
 * serialisation) and members in the object's own order, which `JSON.parse` took from the line;
 * so a line equal to it whose members are sorted by UTF-16 code units at every level is
 * canonical. Any other spelling (whitespace, another member order, a duplicate member, another
 * number or escape spelling) differs from it. A lone surrogate, which `JSON.stringify` escapes
 * as `\udXXX` but `canonicalJson` rejects, is left to the general path, as is deep nesting.
 * (Comparing piece by piece, or scanning the line in JS, measured slower than this.)
 */
function isCanonicalLine(line: string, value: Record<string, unknown>): boolean {
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    return false; // nesting too deep for the serialiser
  }
  return text === line && !line.includes('\\ud') && membersSorted(value, 0);
}

/** Whether every object's members, in their own order, are strictly increasing by UTF-16 code units. */
function membersSorted(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (depth > MAX_FAST_DEPTH) return false;
  if (Array.isArray(value)) {
    for (const element of value) if (!membersSorted(element, depth + 1)) return false;
    return true;
  }
  let previous: string | null = null;
  for (const key in value) {
    if (previous !== null && !(previous < key)) return false;
    previous = key;
    if (!membersSorted((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

function claimOf(env: Envelope, location: EventLocation, alt: string | null, trusted: boolean): Claim {
  return { chain: env.chain, seq: env.seq, hash: env.hash, alt, prev: env.prev, type: env.type, location, trusted };
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function seqOrNull(value: unknown): number | null {
  return Number.isSafeInteger(value) && (value as number) >= 1 ? (value as number) : null;
}

/** The position fields of an event that failed the schema, when they are still readable. */
function readClaim(value: Record<string, unknown>, location: EventLocation): Claim | null {
  const chain = stringOrNull(value['chain']);
  const seq = seqOrNull(value['seq']);
  const hash = value['hash'];
  if (chain === null || seq === null || typeof hash !== 'string' || !HEX64.test(hash)) return null;
  const prev = value['prev'];
  const type = value['type'];
  return {
    chain,
    seq,
    hash,
    alt: null,
    prev: typeof prev === 'string' ? prev : '',
    type: typeof type === 'string' ? type : '',
    location,
    trusted: false,
  };
}
