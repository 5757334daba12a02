import { sha256 } from '@noble/hashes/sha2.js';
import { HASH_SIZE, hexHashInto, hexToBytes, leafHash, nodeHash, nodeHashInto } from './hash.js';
import { MerkleProofError, MerkleRangeError } from './errors.js';

/*
 * RFC 6962 section 2.1 Merkle Tree Hash (MTH), audit paths (inclusion proofs) and consistency
 * proofs, verified with the algorithms of RFC 9162 sections 2.1.3.2 and 2.1.4.2.
 *
 * Sizes and indices are JavaScript numbers: exact up to 2^53, so no 32-bit bit operations.
 */

/** MTH of the empty tree: SHA-256 of the empty string. */
export function emptyRoot(): Uint8Array {
  return sha256(new Uint8Array(0));
}

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** The largest power of two strictly below `n` (n >= 2): RFC 6962's split point `k`. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  return splitPoint(n + 1) === n;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function asHash(hash: Uint8Array | string, what: string): Uint8Array {
  const bytes = typeof hash === 'string' ? hexToBytes(hash) : hash;
  if (bytes.length !== HASH_SIZE) throw new MerkleRangeError(`${what} must be ${HASH_SIZE} bytes, got ${bytes.length}`);
  return bytes;
}

/** Writes a leaf hash (bytes, or 64 hex digits) to `out[at..at+32]`, decoding hex in place. */
function writeLeaf(hash: Uint8Array | string, out: Uint8Array, at: number): void {
  if (typeof hash === 'string' && hash.length === 2 * HASH_SIZE) hexHashInto(hash, out, at);
  else out.set(asHash(hash, 'a leaf hash'), at);
}

/**
 * MTH over leaf hashes, streaming: O(n) time, O(log n) memory (a compact range of perfect
 * subtrees, merged as leaves arrive). Use `MerkleTree` when proofs are needed too.
 */
export function merkleRoot(leafHashes: Iterable<Uint8Array | string>): Uint8Array {
  const tree = new CompactMerkleTree();
  for (const leaf of leafHashes) tree.append(leaf);
  return tree.root();
}

/** MTH over raw leaf data (each leaf hashed as SHA-256(0x00 || data)). */
export function merkleRootOfLeaves(leaves: Iterable<Uint8Array>): Uint8Array {
  const hashes: Uint8Array[] = [];
  for (const leaf of leaves) hashes.push(leafHash(leaf));
  return merkleRoot(hashes);
}

/**
 * Where a `MerkleTree` keeps its perfect subtree hashes: node (level k, index i) is the MTH of
 * leaves [i * 2^k, (i + 1) * 2^k). Each level holds its nodes 0..count-1 and only grows at its
 * end. Memory by default (`MemoryNodeStore`); `@totra/eventlog` keeps the notary's in files.
 */
export interface MerkleNodeStore {
  /** Nodes held at `level`. */
  count(level: number): number;
  /** Copies node (`level`, `index`), index below `count(level)`, to `out[at..at+32]`. */
  read(level: number, index: number, out: Uint8Array, at: number): void;
  /** Adds node (`level`, `count(level)`) from `src[at..at+32]`. */
  append(level: number, src: Uint8Array, at: number): void;
}

/** Every node in memory: one flat buffer per level, about 64 bytes per leaf in all. */
export class MemoryNodeStore implements MerkleNodeStore {
  readonly #levels: Uint8Array[] = [];
  readonly #counts: number[] = [];

  count(level: number): number {
    return this.#counts[level] ?? 0;
  }

  read(level: number, index: number, out: Uint8Array, at: number): void {
    const buffer = this.#levels[level]!;
    const offset = index * HASH_SIZE;
    // A byte loop: no subarray object per node (the verifier appends millions).
    for (let i = 0; i < HASH_SIZE; i++) out[at + i] = buffer[offset + i]!;
  }

  append(level: number, src: Uint8Array, at: number): void {
    while (level >= this.#levels.length) {
      this.#levels.push(new Uint8Array(HASH_SIZE * 64));
      this.#counts.push(0);
    }
    const index = this.#counts[level]!;
    let buffer = this.#levels[level]!;
    if ((index + 1) * HASH_SIZE > buffer.length) {
      const grown = new Uint8Array(buffer.length * 2);
      grown.set(buffer);
      buffer = grown;
      this.#levels[level] = grown;
    }
    const offset = index * HASH_SIZE;
    for (let i = 0; i < HASH_SIZE; i++) buffer[offset + i] = src[at + i]!;
    this.#counts[level] = index + 1;
  }
}

/**
 * An append-only RFC 6962 Merkle tree that keeps every perfect subtree hash (level `k` holds
 * the hashes of the aligned subtrees of 2^k leaves) in a `MerkleNodeStore`. Appending is
 * amortised O(1); the root and proofs for any past size are O(log n) node reads.
 *
 * Leaves are leaf hashes. For ToTra events they are the event hashes, which already are RFC
 * 6962 leaf hashes (SHA-256(0x00 || JCS(envelope))), so they go in as they are.
 */
export class MerkleTree {
  readonly #store: MerkleNodeStore;
  /** [0..32): the node being carried up while appending; [32..64): its left sibling. */
  readonly #scratch = new Uint8Array(2 * HASH_SIZE);
  #size: number;

  /**
   * A tree over the nodes `store` holds (empty by default). A store that holds nodes must hold
   * every node of its leaves: level k has floor(leaves / 2^k) of them.
   */
  constructor(store: MerkleNodeStore = new MemoryNodeStore()) {
    this.#store = store;
    this.#size = store.count(0);
    for (let level = 1, n = Math.floor(this.#size / 2); n > 0; level++, n = Math.floor(n / 2)) {
      if (store.count(level) !== n) throw new MerkleRangeError(`the node store holds ${store.count(level)} nodes at level ${level} for ${this.#size} leaves, not ${n}`);
    }
  }

  /** A tree over leaf hashes (bytes or hex), e.g. event hashes in (chain, seq) order. */
  static fromLeafHashes(hashes: Iterable<Uint8Array | string>): MerkleTree {
    const tree = new MerkleTree();
    for (const hash of hashes) tree.append(hash);
    return tree;
  }

  /** A tree over raw leaf data, each leaf hashed as SHA-256(0x00 || data). */
  static fromLeaves(leaves: Iterable<Uint8Array>): MerkleTree {
    const tree = new MerkleTree();
    for (const leaf of leaves) tree.append(leafHash(leaf));
    return tree;
  }

  /** Number of leaves. */
  get size(): number {
    return this.#size;
  }

  /** Appends a leaf hash; returns its index. */
  append(hash: Uint8Array | string): number {
    const index = this.#size;
    const scratch = this.#scratch;
    writeLeaf(hash, scratch, 0);
    this.#store.append(0, scratch, 0);
    // Each odd index closes a pair, whose parent may close a pair one level up, and so on.
    let level = 0;
    let i = index;
    while (i % 2 === 1) {
      this.#store.read(level, i - 1, scratch, HASH_SIZE);
      nodeHashInto(scratch, HASH_SIZE, scratch, 0, scratch, 0);
      level++;
      i = (i - 1) / 2;
      this.#store.append(level, scratch, 0);
    }
    this.#size = index + 1;
    return index;
  }

  /** The leaf hash at `index`. */
  leafHash(index: number): Uint8Array {
    if (!isCount(index) || index >= this.#size) throw new MerkleRangeError(`no leaf ${index} in a tree of ${this.#size}`);
    return this.#node(0, index);
  }

  /** MTH of the first `size` leaves (by default the whole tree). */
  root(size: number = this.#size): Uint8Array {
    this.#checkSize(size);
    if (size === 0) return emptyRoot();
    return this.#mth(0, size);
  }

  /**
   * RFC 6962 audit path of leaf `index` in the tree of the first `size` leaves, ordered from
   * the leaf up (the order `verifyInclusion` consumes).
   */
  inclusionProof(index: number, size: number = this.#size): Uint8Array[] {
    this.#checkSize(size);
    if (!isCount(index) || index >= size) throw new MerkleRangeError(`no leaf ${index} in a tree of ${size}`);
    const path: Uint8Array[] = [];
    let start = 0;
    let end = size;
    let m = index;
    // RFC 6962 PATH(m, D[n]), unrolled from the root down; the result lists it leaf first.
    while (end - start > 1) {
      const k = splitPoint(end - start);
      if (m < k) {
        path.push(this.#mth(start + k, end));
        end = start + k;
      } else {
        path.push(this.#mth(start, start + k));
        start += k;
        m -= k;
      }
    }
    return path.reverse();
  }

  /**
   * RFC 6962 consistency proof that the tree of the first `size1` leaves is a prefix of the
   * tree of the first `size2` leaves. Empty when `size1` is 0 or equals `size2`.
   */
  consistencyProof(size1: number, size2: number = this.#size): Uint8Array[] {
    this.#checkSize(size2);
    if (!isCount(size1) || size1 > size2) throw new MerkleRangeError(`size1 ${size1} is not within 0..${size2}`);
    if (size1 === 0 || size1 === size2) return [];
    const proof: Uint8Array[] = [];
    let start = 0;
    let end = size2;
    let m = size1;
    let complete = true;
    // RFC 6962 SUBPROOF(m, D[n], b), unrolled from the root down.
    for (;;) {
      const n = end - start;
      if (m === n) {
        if (!complete) proof.push(this.#mth(start, end));
        break;
      }
      const k = splitPoint(n);
      if (m <= k) {
        proof.push(this.#mth(start + k, end));
        end = start + k;
      } else {
        proof.push(this.#mth(start, start + k));
        start += k;
        m -= k;
        complete = false;
      }
    }
    return proof.reverse();
  }

  #checkSize(size: number): void {
    if (!isCount(size) || size > this.#size) throw new MerkleRangeError(`size ${size} is not within 0..${this.#size}`);
  }

  /** MTH(D[start:end]), a new array; `start` is always aligned to the split, as RFC 6962's recursion makes it. */
  #mth(start: number, end: number): Uint8Array {
    const n = end - start;
    if (isPowerOfTwo(n) && start % n === 0) {
      let level = 0;
      for (let w = n; w > 1; w /= 2) level++;
      return this.#node(level, start / n);
    }
    const k = splitPoint(n);
    return nodeHash(this.#mth(start, start + k), this.#mth(start + k, end));
  }

  #node(level: number, index: number): Uint8Array {
    const out = new Uint8Array(HASH_SIZE);
    this.#store.read(level, index, out, 0);
    return out;
  }
}

/** Why an inclusion proof fails, or the root it leads to. */
function inclusionRoot(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array | string {
  if (!isCount(index) || !isCount(size)) return 'the index and the size must be non-negative safe integers';
  if (index >= size) return `leaf index ${index} is not below the tree size ${size}`;
  if (leaf.length !== HASH_SIZE) return `the leaf hash is ${leaf.length} bytes, not ${HASH_SIZE}`;
  // RFC 9162 section 2.1.3.2.
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (p.length !== HASH_SIZE) return `a proof element is ${p.length} bytes, not ${HASH_SIZE}`;
    if (sn === 0) return 'the proof is too long';
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return 'the proof is too short';
  return r;
}

/**
 * The root an inclusion proof leads to (RFC 9162 section 2.1.3.2). Throws `MerkleProofError`
 * when the proof cannot fit the index and size (too short, too long, bad element size).
 */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  const r = inclusionRoot(index, size, leafHash, proof);
  if (typeof r === 'string') throw new MerkleProofError(r);
  return r;
}

/** Throws `MerkleProofError` (with the failed check as `reason`) unless the inclusion proof holds. */
export function assertInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  const r = rootFromInclusionProof(index, size, leafHash, proof);
  if (!bytesEqual(r, root)) throw new MerkleProofError('the proof leads to a different root');
}

/** Whether `proof` proves leaf `index` (with hash `leafHash`) is in the tree of `size` with `root`. */
export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  const r = inclusionRoot(index, size, leafHash, proof);
  return typeof r !== 'string' && bytesEqual(r, root);
}

/** Why a consistency proof fails, or null when it holds. */
function consistencyFailure(
  size1: number,
  size2: number,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): string | null {
  if (!isCount(size1) || !isCount(size2)) return 'the sizes must be non-negative safe integers';
  if (size2 < size1) return `size2 ${size2} is below size1 ${size1}`;
  if (size1 === size2) {
    if (proof.length > 0) return 'equal sizes take an empty proof';
    return bytesEqual(root1, root2) ? null : 'equal sizes but different roots';
  }
  // The empty tree is a prefix of every tree.
  if (size1 === 0) return proof.length > 0 ? 'an empty first tree takes an empty proof' : null;
  if (proof.length === 0) return 'the proof is empty';
  // RFC 9162 section 2.1.4.2.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : proof;
  for (const c of path) if (c.length !== HASH_SIZE) return `a proof element is ${c.length} bytes, not ${HASH_SIZE}`;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) return 'the proof is too long';
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return 'the proof is too short';
  if (!bytesEqual(fr, root1)) return 'the proof does not lead to the first root';
  if (!bytesEqual(sr, root2)) return 'the proof does not lead to the second root';
  return null;
}

/** Throws `MerkleProofError` (with the failed check as `reason`) unless the consistency proof holds. */
export function assertConsistency(
  size1: number,
  size2: number,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): void {
  const failure = consistencyFailure(size1, size2, root1, root2, proof);
  if (failure !== null) throw new MerkleProofError(failure);
}

/** Whether `proof` proves the tree of `size1` with `root1` is a prefix of the tree of `size2` with `root2`. */
export function verifyConsistency(
  size1: number,
  size2: number,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  return consistencyFailure(size1, size2, root1, root2, proof) === null;
}

/**
 * An append-only RFC 6962 tree that keeps only its compact range (one hash per set bit of
 * the size): O(log n) memory, for recomputing roots over a log too large to hold.
 */
export class CompactMerkleTree {
  /** The compact range, largest subtree first: one hash per slot (a size below 2^53 needs at most 53, plus one being merged). */
  readonly #stack = new Uint8Array(64 * HASH_SIZE);
  /** Leaves under each slot's hash. */
  readonly #sizes: number[] = [];
  #depth = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Appends a leaf hash; returns its index. */
  append(hash: Uint8Array | string): number {
    const stack = this.#stack;
    let top = this.#depth;
    writeLeaf(hash, stack, top * HASH_SIZE);
    let size = 1;
    while (top > 0 && this.#sizes[top - 1] === size) {
      top--;
      nodeHashInto(stack, top * HASH_SIZE, stack, (top + 1) * HASH_SIZE, stack, top * HASH_SIZE);
      size *= 2;
    }
    this.#sizes[top] = size;
    this.#depth = top + 1;
    return this.#size++;
  }

  /** MTH of the leaves appended so far. */
  root(): Uint8Array {
    if (this.#depth === 0) return emptyRoot();
    // Fold from the right, which is exactly RFC 6962's recursive split at the largest power of two.
    const root = this.#stack.slice((this.#depth - 1) * HASH_SIZE, this.#depth * HASH_SIZE);
    for (let i = this.#depth - 2; i >= 0; i--) nodeHashInto(this.#stack, i * HASH_SIZE, root, 0, root, 0);
    return root;
  }
}
