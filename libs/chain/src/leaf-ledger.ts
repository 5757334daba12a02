import { compareChainIds, type CheckpointHead } from './checkpoint.js';

/** One leaf of the checkpoint tree: an event hash at its chain position. */
export interface LedgerLeaf {
  readonly chain: string;
  readonly seq: number;
  readonly hash: string;
}

/** Why the leaves a checkpoint claims cannot be gathered from the log. */
export interface LedgerProblem {
  readonly kind: 'chain-missing' | 'chain-truncated' | 'event-missing' | 'head-mismatch' | 'head-regressed';
  readonly chain: string;
  readonly seq: number;
  readonly message: string;
}

interface ChainEntry {
  /** Seq of the last anchored event (0: none). */
  anchoredSeq: number;
  anchoredHash: string | null;
  /** Hashes of events seen and not anchored yet, by seq. */
  readonly pending: Map<number, string>;
  /** Highest seq seen. */
  maxSeen: number;
}

/**
 * Which events the checkpoint tree holds so far, and the hashes of those it does not hold
 * yet. Shared by the notary (which chooses the next heads) and the verifier (which recomputes
 * the leaves a checkpoint claims): the leaves a checkpoint adds are, for each chain in chain
 * id order, the events after the previous head of that chain up to the new head, in seq order.
 * Memory holds only the events not anchored yet.
 */
export class LeafLedger {
  readonly #chains = new Map<string, ChainEntry>();

  /** Records an event seen in the log. */
  record(chain: string, seq: number, hash: string): void {
    let e = this.#chains.get(chain);
    if (!e) {
      e = { anchoredSeq: 0, anchoredHash: null, pending: new Map(), maxSeen: 0 };
      this.#chains.set(chain, e);
    }
    if (seq <= e.anchoredSeq) return;
    e.pending.set(seq, hash);
    if (seq > e.maxSeen) e.maxSeen = seq;
  }

  /** The anchored heads, sorted by chain id. */
  heads(): CheckpointHead[] {
    const out: CheckpointHead[] = [];
    for (const [chain, e] of this.#chains) if (e.anchoredSeq > 0 && e.anchoredHash) out.push({ chain, seq: e.anchoredSeq, hash: e.anchoredHash });
    return out.sort((a, b) => compareChainIds(a.chain, b.chain));
  }

  /**
   * The heads a notary would anchor now: the chains with events seen without a gap after their
   * anchored head, each moved up to the last of them (ADR 0023: a checkpoint lists the chains
   * that moved, not every chain ever anchored). Null when nothing new is anchorable.
   */
  nextHeads(): { heads: CheckpointHead[]; added: number } | null {
    const heads: CheckpointHead[] = [];
    let added = 0;
    for (const [chain, e] of this.#chains) {
      let seq = e.anchoredSeq;
      let hash = e.anchoredHash;
      for (let h = e.pending.get(seq + 1); h !== undefined; h = e.pending.get(seq + 1)) {
        seq++;
        hash = h;
      }
      if (seq === e.anchoredSeq || !hash) continue;
      added += seq - e.anchoredSeq;
      heads.push({ chain, seq, hash });
    }
    return added === 0 ? null : { heads: heads.sort((a, b) => compareChainIds(a.chain, b.chain)), added };
  }

  /**
   * The leaves from the anchored heads to `heads`, or the problems that prevent gathering them.
   * A chain a checkpoint does not list adds nothing; one it lists at its anchored head (as
   * checkpoints before ADR 0023 list every chain) adds nothing either.
   */
  collect(heads: readonly CheckpointHead[]): { leaves: LedgerLeaf[]; problems: LedgerProblem[] } {
    const leaves: LedgerLeaf[] = [];
    const problems: LedgerProblem[] = [];
    for (const head of [...heads].sort((a, b) => compareChainIds(a.chain, b.chain))) {
      const e = this.#chains.get(head.chain);
      if (!e) {
        problems.push({ kind: 'chain-missing', chain: head.chain, seq: head.seq, message: `chain ${head.chain} (head seq ${head.seq}) is not in the log: the whole chain was removed` });
        continue;
      }
      if (head.seq < e.anchoredSeq) {
        problems.push({ kind: 'head-regressed', chain: head.chain, seq: head.seq, message: `head seq ${head.seq} is below seq ${e.anchoredSeq}, anchored by an earlier checkpoint` });
        continue;
      }
      if (head.seq === e.anchoredSeq) {
        if (head.hash !== e.anchoredHash) problems.push({ kind: 'head-mismatch', chain: head.chain, seq: head.seq, message: `head hash ${head.hash} differs from the anchored hash ${e.anchoredHash ?? '?'}` });
        continue;
      }
      if (e.maxSeen < head.seq) {
        problems.push({
          kind: 'chain-truncated',
          chain: head.chain,
          seq: head.seq,
          message: `the chain ends at seq ${e.maxSeen} but a checkpoint covers it up to seq ${head.seq}: its tail (${head.seq - e.maxSeen} events) was cut`,
        });
        continue;
      }
      let missing = 0;
      let firstMissing = 0;
      for (let seq = e.anchoredSeq + 1; seq <= head.seq; seq++) {
        const hash = e.pending.get(seq);
        if (hash === undefined) {
          if (missing++ === 0) firstMissing = seq;
          continue;
        }
        leaves.push({ chain: head.chain, seq, hash });
      }
      if (missing > 0) {
        problems.push({ kind: 'event-missing', chain: head.chain, seq: firstMissing, message: `${missing} event(s) the checkpoint covers are missing or failed verification, from seq ${firstMissing}` });
        continue;
      }
      const at = e.pending.get(head.seq);
      if (at !== head.hash) problems.push({ kind: 'head-mismatch', chain: head.chain, seq: head.seq, message: `the checkpoint's head hash ${head.hash} is not the hash of seq ${head.seq} in the log (${at ?? '?'})` });
    }
    return { leaves, problems };
  }

  /** Moves the anchored heads to `heads` (after `collect` found no problem) and forgets the anchored hashes. */
  commit(heads: readonly CheckpointHead[]): void {
    for (const head of heads) {
      let e = this.#chains.get(head.chain);
      if (!e) {
        e = { anchoredSeq: 0, anchoredHash: null, pending: new Map(), maxSeen: 0 };
        this.#chains.set(head.chain, e);
      }
      for (let seq = e.anchoredSeq + 1; seq <= head.seq; seq++) e.pending.delete(seq);
      e.anchoredSeq = Math.max(e.anchoredSeq, head.seq);
      e.anchoredHash = head.hash;
      if (e.maxSeen < head.seq) e.maxSeen = head.seq;
    }
  }

  /** Every event seen and not anchored, by chain id then seq (what a resuming notary records again). */
  pending(): LedgerLeaf[] {
    const out: LedgerLeaf[] = [];
    for (const chain of [...this.#chains.keys()].sort(compareChainIds)) {
      const e = this.#chains.get(chain)!;
      for (const seq of [...e.pending.keys()].sort((a, b) => a - b)) out.push({ chain, seq, hash: e.pending.get(seq)! });
    }
    return out;
  }

  /** Events seen and not anchored, per chain (chains with none left out). */
  unanchored(): { chain: string; events: number; fromSeq: number; toSeq: number }[] {
    const out: { chain: string; events: number; fromSeq: number; toSeq: number }[] = [];
    for (const [chain, e] of this.#chains) {
      if (e.pending.size === 0) continue;
      let from = Infinity;
      let to = 0;
      for (const seq of e.pending.keys()) {
        if (seq < from) from = seq;
        if (seq > to) to = seq;
      }
      out.push({ chain, events: e.pending.size, fromSeq: from, toSeq: to });
    }
    return out.sort((a, b) => compareChainIds(a.chain, b.chain));
  }
}
