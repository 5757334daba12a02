import {
  ChainVerifier,
  type AcceptedEvent,
  type ChainFinding,
  type ChainFindingCode,
  type ChainVerifierOptions,
  type EventLocation,
  type VerifyReport,
} from './chain-verifier.js';
import { checkpointTextHash, parseCheckpoint, type Checkpoint } from './checkpoint.js';
import { NoteFormatError, NoteKeyError, VerifierOptionsError } from './errors.js';
import { bytesToHex } from './hash.js';
import { LeafLedger, type LedgerLeaf, type LedgerProblem } from './leaf-ledger.js';
import { CompactMerkleTree, MerkleTree } from './merkle.js';
import {
  formatSignedNote,
  parseSignedNote,
  signatureIsFrom,
  verifyCosignature,
  verifyNoteSignature,
  type NoteVerifier,
  type SignedNote,
} from './signed-note.js';

/** Event types the audit layer reads. */
export const CHECKPOINT_SIGNED = 'CheckpointSigned';
export const CHECKPOINT_WITNESSED = 'CheckpointWitnessed';

/** Stable codes of what the checkpoint checks find (in addition to `ChainFindingCode`). */
export const AuditFindingCode = {
  /** A checkpoint event whose note or data cannot be read, or do not agree. */
  CheckpointMalformed: 'TOTRA_AUDIT_CHECKPOINT_MALFORMED',
  /** A checkpoint signed by a pinned key whose signature does not verify: forged or altered. */
  CheckpointBadSignature: 'TOTRA_AUDIT_CHECKPOINT_BAD_SIGNATURE',
  /** A checkpoint with no signature by any pinned key. */
  CheckpointUntrustedKey: 'TOTRA_AUDIT_CHECKPOINT_UNTRUSTED_KEY',
  /** A checkpoint of another origin than the log's. */
  CheckpointForeignOrigin: 'TOTRA_AUDIT_CHECKPOINT_FOREIGN_ORIGIN',
  /** `totra-prev` is not the hash of the previous checkpoint: a checkpoint was removed or reordered. */
  CheckpointPrevMismatch: 'TOTRA_AUDIT_CHECKPOINT_PREV_MISMATCH',
  /** The recomputed Merkle root differs from the signed one. */
  CheckpointRootMismatch: 'TOTRA_AUDIT_CHECKPOINT_ROOT_MISMATCH',
  /** The signed size is not the number of leaves the heads add. */
  CheckpointSizeMismatch: 'TOTRA_AUDIT_CHECKPOINT_SIZE_MISMATCH',
  /** Two signed checkpoints (or a cosigned one) of the same size with different roots. */
  SplitView: 'TOTRA_AUDIT_SPLIT_VIEW',
  /** A chain a checkpoint lists is not in the log at all. */
  ChainMissing: 'TOTRA_AUDIT_CHAIN_MISSING',
  /** A chain ends before the seq a checkpoint anchors. */
  ChainTruncated: 'TOTRA_AUDIT_CHAIN_TRUNCATED',
  /** Events a checkpoint anchors are missing or failed verification. */
  AnchoredEventMissing: 'TOTRA_AUDIT_ANCHORED_EVENT_MISSING',
  /** A checkpoint's head hash is not the hash of that event in the log, or goes backwards. */
  HeadMismatch: 'TOTRA_AUDIT_HEAD_MISMATCH',
  /** Keys are pinned but the log holds no valid checkpoint. */
  NoCheckpoint: 'TOTRA_AUDIT_NO_CHECKPOINT',
  /** The log's tree at the saved checkpoint's size has another root: history was rewritten. */
  LastTrustedMismatch: 'TOTRA_AUDIT_LAST_TRUSTED_MISMATCH',
  /** The log is smaller than the saved checkpoint: history was cut. */
  LastTrustedAhead: 'TOTRA_AUDIT_LAST_TRUSTED_AHEAD',
  /** Checkpoints without a valid cosignature by a pinned witness. */
  Unwitnessed: 'TOTRA_AUDIT_UNWITNESSED',
  /** A cosignature line by a pinned witness that does not verify. */
  BadCosignature: 'TOTRA_AUDIT_BAD_COSIGNATURE',
} as const;
export type AuditFindingCode = (typeof AuditFindingCode)[keyof typeof AuditFindingCode];

/** A finding of the chain checks or of the checkpoint checks. */
export interface AuditFinding extends Omit<ChainFinding, 'code'> {
  readonly code: ChainFindingCode | AuditFindingCode;
}

/** A checkpoint that verified (signature when keys are pinned, prev link, heads, root). */
export interface AcceptedCheckpoint {
  readonly checkpoint: Checkpoint;
  /** The note as the notary wrote it (text and signature lines). */
  readonly note: string;
  readonly location: EventLocation;
  /** Valid cosignature lines by pinned witnesses (filled by `finish`). */
  cosignatures: string[];
}

export interface AuditVerifierOptions extends Omit<ChainVerifierOptions, 'onEvent'> {
  /** Pinned notary keys; without any, signatures are not checked (and the report says so). */
  readonly trustedKeys?: readonly NoteVerifier[];
  /** Pinned witness (cosigner) keys: each checkpoint must carry a valid cosignature by each. */
  readonly witnessKeys?: readonly NoteVerifier[];
  /** Checkpoints at the end allowed to lack cosignatures (the notary cosigns after signing). Default 1. */
  readonly unwitnessedTail?: number;
  /** A checkpoint note saved earlier (e.g. by an auditor): the log must extend it. */
  readonly lastTrusted?: string;
  /** The log's origin; by default the origin of the first checkpoint read. */
  readonly origin?: string;
  /** Keep the whole tree (64 bytes a leaf) so that `tree()` can give inclusion proofs. */
  readonly keepTree?: boolean;
  /** With `keepTree`: the empty tree to build (e.g. over nodes kept in files); a new one in memory by default. */
  readonly tree?: MerkleTree;
  /** Told of each leaf as it enters the tree. */
  readonly onLeaf?: (leaf: LedgerLeaf, index: number) => void;
  /** Told of each event accepted by the chain checks. */
  readonly onEvent?: (event: AcceptedEvent, value: Readonly<Record<string, unknown>>) => void;
}

export interface AuditReport extends Omit<VerifyReport, 'findings' | 'findingsByCode'> {
  readonly findings: readonly AuditFinding[];
  readonly findingsByCode: Readonly<Partial<Record<ChainFindingCode | AuditFindingCode, number>>>;
  readonly checkpoints: {
    readonly origin: string | null;
    /** Checkpoints accepted. */
    readonly accepted: number;
    /** Whether signatures were checked against pinned keys. */
    readonly signaturesChecked: boolean;
    /** Whether every accepted checkpoint's root was recomputed from the events. */
    readonly rootsRecomputed: boolean;
    readonly latest: { readonly size: number; readonly root: string; readonly time: string } | null;
    /** Accepted checkpoints with a valid cosignature by every pinned witness. */
    readonly witnessed: number;
    readonly lastTrusted: 'not-given' | 'consistent' | 'inconsistent' | 'not-reached';
  };
  /** Events after the last checkpoint: no checkpoint vouches for them yet. */
  readonly unanchored: { readonly events: number; readonly chains: readonly { chain: string; events: number; fromSeq: number; toSeq: number }[] };
}

const PROBLEM_CODES: Record<LedgerProblem['kind'], AuditFindingCode> = {
  'chain-missing': AuditFindingCode.ChainMissing,
  'chain-truncated': AuditFindingCode.ChainTruncated,
  'event-missing': AuditFindingCode.AnchoredEventMissing,
  'head-mismatch': AuditFindingCode.HeadMismatch,
  'head-regressed': AuditFindingCode.HeadMismatch,
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The full audit of a log: every check of `ChainVerifier`, plus the checkpoints found in it
 * (`CheckpointSigned` events): signatures against pinned keys, the prev link between
 * checkpoints, the chain heads each lists (a cut tail or a removed chain), the Merkle root
 * recomputed from the events, split views, the saved last-trusted checkpoint and witness
 * cosignatures. Since the tree is recomputed from the events and grows by appending only, a
 * root that matches at every checkpoint proves each checkpoint consistent with the previous.
 */
export class AuditVerifier {
  readonly #chain: ChainVerifier;
  readonly #ledger = new LeafLedger();
  readonly #tree: MerkleTree | CompactMerkleTree;
  readonly #trusted: readonly NoteVerifier[];
  readonly #witnesses: readonly NoteVerifier[];
  readonly #tail: number;
  readonly #maxFindings: number;
  readonly #onLeaf: AuditVerifierOptions['onLeaf'];
  readonly #onEvent: AuditVerifierOptions['onEvent'];
  readonly #findings: AuditFinding[] = [];
  readonly #byCode: Partial<Record<AuditFindingCode, number>> = {};
  readonly #accepted: AcceptedCheckpoint[] = [];
  /** Root (hex) of every accepted checkpoint, by size. */
  readonly #roots = new Map<number, string>();
  readonly #cosigned: { note: SignedNote; location: EventLocation }[] = [];
  readonly #lastTrusted: Checkpoint | null;
  #lastTrustedState: AuditReport['checkpoints']['lastTrusted'];
  #origin: string | null;
  #total = 0;
  #broken = false;

  constructor(options: AuditVerifierOptions = {}) {
    const { trustedKeys, witnessKeys, unwitnessedTail, lastTrusted, origin, keepTree, tree, onLeaf, onEvent, ...chainOptions } = options;
    this.#trusted = trustedKeys ?? [];
    this.#witnesses = witnessKeys ?? [];
    this.#tail = unwitnessedTail ?? 1;
    this.#maxFindings = chainOptions.maxFindings ?? 1000;
    this.#origin = origin ?? null;
    this.#onLeaf = onLeaf;
    this.#onEvent = onEvent;
    if (tree && tree.size !== 0) throw new VerifierOptionsError(`the tree to build must be empty, not of ${tree.size} leaves`);
    this.#tree = keepTree ? (tree ?? new MerkleTree()) : new CompactMerkleTree();
    this.#lastTrusted = lastTrusted === undefined ? null : this.#readLastTrusted(lastTrusted);
    this.#lastTrustedState = this.#lastTrusted ? 'not-reached' : 'not-given';
    if (this.#lastTrusted?.size === 0) this.#lastTrustedState = 'consistent';
    this.#chain = new ChainVerifier({ ...chainOptions, onEvent: (e, v) => this.#accept(e, v) });
  }

  /** Verifies the next event (a parsed envelope or a raw JSON line), as `ChainVerifier.push`. */
  push(item: unknown, location?: EventLocation): void {
    this.#chain.push(item, location);
  }

  progress(): { events: number; findings: number } {
    const p = this.#chain.progress();
    return { events: p.events, findings: p.findings + this.#total };
  }

  /** The tree over every anchored event (only with `keepTree`). */
  tree(): MerkleTree | null {
    return this.#tree instanceof MerkleTree ? this.#tree : null;
  }

  /** The ledger of anchored heads and unanchored event hashes (for a notary resuming). */
  ledger(): LeafLedger {
    return this.#ledger;
  }

  /** The checkpoints accepted so far, oldest first. */
  checkpoints(): readonly AcceptedCheckpoint[] {
    return this.#accepted;
  }

  finish(): AuditReport {
    const chain = this.#chain.finish();
    this.#checkWitnesses();
    if (this.#trusted.length > 0 && this.#accepted.length === 0) {
      // A notary chain in the log narrows it down: the notary ran, but no checkpoint of it is left.
      const notary = chain.heads.find((h) => h.chain.startsWith('notary.'));
      this.#report(
        AuditFindingCode.NoCheckpoint,
        null,
        null,
        'end of log',
        notary
          ? `a notary key is pinned but the log holds no valid checkpoint, though notary chain ${notary.chain} is in it: either the log is new and its notary has not signed yet (it does within seconds of the first events: verify again) or its checkpoints were removed`
          : 'a notary key is pinned but the log holds no valid checkpoint: the notary chain was removed or never ran',
      );
    }
    if (this.#lastTrusted && this.#lastTrustedState === 'not-reached') {
      this.#report(
        AuditFindingCode.LastTrustedAhead,
        null,
        null,
        'end of log',
        `the saved checkpoint covers ${this.#lastTrusted.size} events but the log's checkpoints reach only ${this.#tree.size}${this.#broken ? ' verifiable' : ''}: history was cut or withheld`,
      );
    }
    const unanchored = this.#ledger.unanchored();
    const latest = this.#accepted[this.#accepted.length - 1]?.checkpoint;
    const byCode = { ...chain.findingsByCode, ...this.#byCode };
    const room = Math.max(0, this.#maxFindings - chain.findings.length);
    const findings: AuditFinding[] = [...chain.findings, ...this.#findings.slice(0, room)];
    const total = chain.findingsTotal + this.#total;
    return {
      ...chain,
      ok: total === 0,
      findings,
      findingsTotal: total,
      findingsOmitted: total - findings.length,
      findingsByCode: byCode,
      checkpoints: {
        origin: this.#origin,
        accepted: this.#accepted.length,
        signaturesChecked: this.#trusted.length > 0,
        rootsRecomputed: !this.#broken,
        latest: latest ? { size: latest.size, root: latest.root, time: latest.time } : null,
        witnessed: this.#witnesses.length === 0 ? 0 : this.#accepted.filter((a) => this.#witnesses.every((w) => a.cosignatures.some((l) => l.startsWith(`\u2014 ${w.name} `)))).length,
        lastTrusted: this.#lastTrustedState,
      },
      unanchored: { events: unanchored.reduce((n, c) => n + c.events, 0), chains: unanchored },
    };
  }

  #readLastTrusted(note: string): Checkpoint {
    let parsed: SignedNote;
    let cp: Checkpoint;
    try {
      parsed = parseSignedNote(note);
      cp = parseCheckpoint(parsed.text);
    } catch (cause) {
      throw new NoteKeyError(`the last-trusted checkpoint cannot be read: ${(cause as Error).message}`, { cause });
    }
    if (this.#trusted.length > 0 && !parsed.signatures.some((s) => this.#trusted.some((k) => verifyNoteSignature(parsed.text, s, k)))) {
      throw new NoteKeyError('the last-trusted checkpoint is not signed by a pinned key');
    }
    return cp;
  }

  #accept(event: AcceptedEvent, value: Readonly<Record<string, unknown>>): void {
    this.#ledger.record(event.chain, event.seq, event.hash);
    this.#onEvent?.(event, value);
    if (event.type === CHECKPOINT_SIGNED) this.#checkpoint(event, value['data']);
    else if (event.type === CHECKPOINT_WITNESSED) this.#witnessed(event, value['data']);
  }

  #witnessed(event: AcceptedEvent, data: unknown): void {
    if (!isRecord(data) || typeof data['note'] !== 'string') {
      this.#report(AuditFindingCode.CheckpointMalformed, event.chain, event.seq, event.location, 'a CheckpointWitnessed event without a note');
      return;
    }
    try {
      this.#cosigned.push({ note: parseSignedNote(data['note']), location: event.location });
    } catch (error) {
      this.#report(AuditFindingCode.CheckpointMalformed, event.chain, event.seq, event.location, `a cosigned note cannot be read: ${(error as Error).message}`);
    }
  }

  #checkpoint(event: AcceptedEvent, data: unknown): void {
    const { chain, seq, location } = event;
    const bad = (code: AuditFindingCode, message: string) => this.#report(code, chain, seq, location, message);
    if (!isRecord(data) || typeof data['note'] !== 'string') return bad(AuditFindingCode.CheckpointMalformed, 'a CheckpointSigned event without a note');
    let note: SignedNote;
    let cp: Checkpoint;
    try {
      note = parseSignedNote(data['note']);
      cp = parseCheckpoint(note.text);
    } catch (error) {
      if (!(error instanceof NoteFormatError)) throw error;
      return bad(AuditFindingCode.CheckpointMalformed, `the checkpoint note cannot be read: ${error.message}`);
    }
    if (data['size'] !== cp.size || data['root'] !== cp.root || data['origin'] !== cp.origin) {
      return bad(AuditFindingCode.CheckpointMalformed, `the event's origin/size/root do not match its signed note (size ${cp.size}, root ${cp.root})`);
    }
    const label = `checkpoint ${cp.origin} size ${cp.size}`;
    if (this.#trusted.length > 0) {
      const fromPinned = note.signatures.filter((s) => this.#trusted.some((k) => signatureIsFrom(s, k)));
      if (fromPinned.length === 0) {
        return bad(AuditFindingCode.CheckpointUntrustedKey, `${label} is signed only by ${note.signatures.map((s) => s.name).join(', ')}, no pinned notary key: forged or signed with a wrong key`);
      }
      if (!fromPinned.some((s) => this.#trusted.some((k) => verifyNoteSignature(note.text, s, k)))) {
        return bad(AuditFindingCode.CheckpointBadSignature, `${label}: the signature by ${fromPinned[0]!.name} does not verify: the checkpoint was forged or altered`);
      }
    }
    this.#origin ??= cp.origin;
    if (cp.origin !== this.#origin) return bad(AuditFindingCode.CheckpointForeignOrigin, `${label} is of origin ${cp.origin}, not the log's origin ${this.#origin}`);
    const known = this.#roots.get(cp.size);
    const last = this.#accepted[this.#accepted.length - 1];
    if (known !== undefined || (last && cp.size <= last.checkpoint.size)) {
      if (known !== undefined && known !== cp.root) {
        return bad(AuditFindingCode.SplitView, `${label} has root ${cp.root}, but another signed checkpoint of the same size has root ${known}: a split view`);
      }
      if (known === undefined) {
        return bad(AuditFindingCode.CheckpointPrevMismatch, `${label} is older than the checkpoint before it (size ${last!.checkpoint.size}): checkpoints out of order`);
      }
      if (last && cp.text === last.checkpoint.text) return; // the same checkpoint again
    }
    const prevHash = last ? checkpointTextHash(last.checkpoint.text) : null;
    if (cp.prev !== prevHash) {
      bad(
        AuditFindingCode.CheckpointPrevMismatch,
        `${label} names previous checkpoint ${cp.prev ?? '(none)'} but the previous one in the log is ${prevHash ?? '(none)'}: a checkpoint was removed, reordered or forged`,
      );
    }
    const { leaves, problems } = this.#ledger.collect(cp.heads);
    for (const p of problems) this.#report(PROBLEM_CODES[p.kind], p.chain, p.seq, location, `${label}: ${p.message}`);
    if (problems.length > 0 || this.#broken) {
      this.#broken = true;
    } else if (this.#tree.size + leaves.length !== cp.size) {
      bad(AuditFindingCode.CheckpointSizeMismatch, `${label}: its heads add ${leaves.length} events to a tree of ${this.#tree.size}, which makes ${this.#tree.size + leaves.length}, not ${cp.size}`);
      this.#broken = true;
    } else {
      for (const leaf of leaves) {
        const index = this.#tree.append(leaf.hash);
        this.#onLeaf?.(leaf, index);
        if (this.#lastTrusted && this.#tree.size === this.#lastTrusted.size) this.#compareLastTrusted(location);
      }
      const root = bytesToHex(this.#tree.root());
      if (root !== cp.root) {
        bad(AuditFindingCode.CheckpointRootMismatch, `${label} signs root ${cp.root} but the events it covers hash to ${root}`);
        this.#broken = true;
      }
    }
    this.#ledger.commit(cp.heads);
    this.#roots.set(cp.size, cp.root);
    this.#accepted.push({ checkpoint: cp, note: data['note'], location, cosignatures: [] });
  }

  #compareLastTrusted(location: EventLocation): void {
    const lt = this.#lastTrusted!;
    const root = bytesToHex(this.#tree.root());
    if (root === lt.root) {
      this.#lastTrustedState = 'consistent';
      return;
    }
    this.#lastTrustedState = 'inconsistent';
    this.#report(
      AuditFindingCode.LastTrustedMismatch,
      null,
      null,
      location,
      `the saved checkpoint of size ${lt.size} has root ${lt.root}, but the log's first ${lt.size} events hash to ${root}: history was rewritten`,
    );
  }

  #checkWitnesses(): void {
    const bySize = new Map<number, AcceptedCheckpoint>();
    for (const a of this.#accepted) bySize.set(a.checkpoint.size, a);
    for (const { note, location } of this.#cosigned) {
      let cp: Checkpoint;
      try {
        cp = parseCheckpoint(note.text);
      } catch {
        continue;
      }
      const ours = bySize.get(cp.size);
      for (const sig of note.signatures) {
        const key = this.#witnesses.find((w) => signatureIsFrom(sig, w));
        if (!key) continue;
        if (verifyCosignature(note.text, sig, key) === null) {
          this.#report(AuditFindingCode.BadCosignature, null, null, location, `the cosignature by witness ${key.name} on checkpoint size ${cp.size} does not verify (the checkpoint it was given was rewritten)`);
          continue;
        }
        if (ours && ours.checkpoint.root !== cp.root) {
          this.#report(AuditFindingCode.SplitView, null, null, location, `witness ${key.name} cosigned root ${cp.root} at size ${cp.size}, but the log's checkpoint of that size has root ${ours.checkpoint.root}: a split view`);
          continue;
        }
        if (ours && ours.checkpoint.text === note.text && !ours.cosignatures.includes(sig.line)) ours.cosignatures.push(sig.line);
      }
    }
    const checked = this.#accepted.slice(0, Math.max(0, this.#accepted.length - this.#tail));
    for (const w of this.#witnesses) {
      const missing = checked.filter((a) => !a.cosignatures.some((l) => l.startsWith(`\u2014 ${w.name} `)));
      if (missing.length === 0) continue;
      const sizes = missing.map((a) => a.checkpoint.size);
      this.#report(
        AuditFindingCode.Unwitnessed,
        null,
        null,
        missing[0]!.location,
        `${missing.length} checkpoint(s) (sizes ${sizes.slice(0, 5).join(', ')}${sizes.length > 5 ? ', ...' : ''}) carry no valid cosignature by witness ${w.name}: the witness never saw them as they are`,
      );
    }
  }

  #report(code: AuditFindingCode, chain: string | null, seq: number | null, location: EventLocation, message: string): void {
    this.#total++;
    this.#byCode[code] = (this.#byCode[code] ?? 0) + 1;
    if (this.#findings.length < this.#maxFindings) this.#findings.push({ code, chain, seq, location, message });
  }
}

/** The note of an accepted checkpoint with the cosignatures gathered for it. */
export function cosignedNote(a: AcceptedCheckpoint): string {
  const parsed = parseSignedNote(a.note);
  return formatSignedNote(parsed.text, [...parsed.signatures.map((s) => s.line), ...a.cosignatures]);
}
