import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CompactMerkleTree,
  InvalidHexError,
  MerkleProofError,
  MerkleRangeError,
  MerkleTree,
  assertConsistency,
  assertInclusion,
  bytesToHex,
  emptyRoot,
  hexToBytes,
  leafHash,
  merkleRoot,
  merkleRootOfLeaves,
  nodeHash,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from './index.js';
import { prng } from '@totra/testing/prng';

/*
 * Known-answer vectors: github.com/transparency-dev/merkle, proof/verify_test.go (the RFC 6962
 * reference vectors also used by certificate-transparency-go): the leaves, the roots of the
 * trees of sizes 1..8, and the inclusion and consistency proofs. The corruption probes follow
 * the same file's corruptInclusionProof / corruptConsistencyProof.
 */
const h = hexToBytes;
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(h);
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
/** Leaf numbers are 1-based, as in the Go file. */
const INCLUSION: { leaf: number; size: number; proof: string[] }[] = [
  { leaf: 1, size: 1, proof: [] },
  {
    leaf: 1,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    leaf: 6,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { leaf: 3, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    leaf: 2,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];
const CONSISTENCY: { size1: number; size2: number; proof: string[] }[] = [
  { size1: 1, size2: 1, proof: [] },
  {
    size1: 1,
    size2: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    size1: 6,
    size2: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    size1: 2,
    size2: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    size1: 6,
    size2: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];
const SOME_HASH = h('abacaba000000000000000000000000000000000000000000060061e00123456');
const EMPTY_TREE_HASH = h('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
const utf8 = new TextEncoder();

const hex = (bytes: Uint8Array): string => bytesToHex(bytes);
const hexes = (list: readonly Uint8Array[]): string[] => list.map(hex);
const root = (size: number): Uint8Array => h(ROOTS[size - 1]!);

function flipped(proof: readonly Uint8Array[], i: number, mask: number): Uint8Array[] {
  return proof.map((p, j) => {
    if (j !== i) return p;
    const copy = p.slice();
    copy[0] = copy[0]! ^ mask;
    return copy;
  });
}

/** transparency-dev corruptInclusionProof: every probe must fail. */
function corruptInclusion(index: number, size: number, proof: Uint8Array[], rootHash: Uint8Array, leaf: Uint8Array) {
  const probes: [string, number, number, Uint8Array, Uint8Array, Uint8Array[]][] = [
    ['leafIndex - 1', index - 1, size, rootHash, leaf, proof],
    ['leafIndex + 1', index + 1, size, rootHash, leaf, proof],
    ['leafIndex ^ 2', index ^ 2, size, rootHash, leaf, proof],
    ['treeSize * 2', index, size * 2, rootHash, leaf, proof],
    ['treeSize / 2', index, Math.floor(size / 2), rootHash, leaf, proof],
    ['wrong leaf', index, size, rootHash, utf8.encode('WrongLeaf'), proof],
    ['empty root', index, size, EMPTY_TREE_HASH, leaf, proof],
    ['random root', index, size, SOME_HASH, leaf, proof],
    ['trailing garbage', index, size, rootHash, leaf, [...proof, new Uint8Array(0)]],
    ['trailing root', index, size, rootHash, leaf, [...proof, rootHash]],
    ['preceding garbage', index, size, rootHash, leaf, [new Uint8Array(0), ...proof]],
    ['preceding root', index, size, rootHash, leaf, [rootHash, ...proof]],
  ];
  proof.forEach((_, i) => probes.push([`modified proof[${i}] bit 3`, index, size, rootHash, leaf, flipped(proof, i, 8)]));
  if (proof.length > 0) probes.push(['removed component', index, size, rootHash, leaf, proof.slice(0, -1)]);
  if (proof.length > 1) probes.push(['inserted component', index, size, rootHash, leaf, [proof[0]!, SOME_HASH, ...proof.slice(1)]]);
  return probes;
}

/** transparency-dev corruptConsistencyProof: every probe must fail. */
function corruptConsistency(size1: number, size2: number, root1: Uint8Array, root2: Uint8Array, proof: Uint8Array[]) {
  const wrong = utf8.encode('WrongRoot');
  const probes: [string, number, number, Uint8Array, Uint8Array, Uint8Array[]][] = [
    ['size1 - 1', size1 - 1, size2, root1, root2, proof],
    ['size1 + 1', size1 + 1, size2, root1, root2, proof],
    ['size1 ^ 2', size1 ^ 2, size2, root1, root2, proof],
    ['size2 * 2', size1, size2 * 2, root1, root2, proof],
    ['size2 / 2', size1, Math.floor(size2 / 2), root1, root2, proof],
    ['wrong root1', size1, size2, wrong, root2, proof],
    ['wrong root2', size1, size2, root1, wrong, proof],
    ['swapped roots', size1, size2, root2, root1, proof],
    ['empty proof', size1, size2, root1, root2, []],
    ['trailing garbage', size1, size2, root1, root2, [...proof, new Uint8Array(0)]],
    ['trailing root1', size1, size2, root1, root2, [...proof, root1]],
    ['trailing root2', size1, size2, root1, root2, [...proof, root2]],
    ['preceding garbage', size1, size2, root1, root2, [new Uint8Array(0), ...proof]],
    ['preceding root1', size1, size2, root1, root2, [root1, ...proof]],
    ['preceding root2', size1, size2, root1, root2, [root2, ...proof]],
    ['preceding proof[0]', size1, size2, root1, root2, [proof[0]!, ...proof]],
  ];
  if (proof.length > 0) probes.push(['truncated proof', size1, size2, root1, root2, proof.slice(0, -1)]);
  proof.forEach((_, i) => probes.push([`modified proof[${i}] bit 4`, size1, size2, root1, root2, flipped(proof, i, 16)]));
  return probes;
}

/** RFC 6962 section 2.1, transcribed literally (recursive, slow): the reference for generation. */
const ref = {
  split(n: number): number {
    let k = 1;
    while (k * 2 < n) k *= 2;
    return k;
  },
  mth(d: Uint8Array[]): Uint8Array {
    if (d.length === 0) return emptyRoot();
    if (d.length === 1) return d[0]!;
    const k = ref.split(d.length);
    return nodeHash(ref.mth(d.slice(0, k)), ref.mth(d.slice(k)));
  },
  path(m: number, d: Uint8Array[]): Uint8Array[] {
    if (d.length === 1) return [];
    const k = ref.split(d.length);
    return m < k ? [...ref.path(m, d.slice(0, k)), ref.mth(d.slice(k))] : [...ref.path(m - k, d.slice(k)), ref.mth(d.slice(0, k))];
  },
  subproof(m: number, d: Uint8Array[], b: boolean): Uint8Array[] {
    if (m === d.length) return b ? [] : [ref.mth(d)];
    const k = ref.split(d.length);
    return m <= k
      ? [...ref.subproof(m, d.slice(0, k), b), ref.mth(d.slice(k))]
      : [...ref.subproof(m - k, d.slice(k), false), ref.mth(d.slice(0, k))];
  },
};


function leafHashes(n: number, seed = 1): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) out.push(leafHash(utf8.encode(`leaf ${seed}:${i}`)));
  return out;
}

describe('Merkle tree hash: RFC 6962 vectors', () => {
  const tree = MerkleTree.fromLeaves(LEAVES);

  it('has the known root for every size 1..8', () => {
    for (let size = 1; size <= 8; size++) {
      expect(hex(tree.root(size))).toBe(ROOTS[size - 1]);
      expect(hex(merkleRootOfLeaves(LEAVES.slice(0, size)))).toBe(ROOTS[size - 1]);
      expect(hex(MerkleTree.fromLeaves(LEAVES.slice(0, size)).root())).toBe(ROOTS[size - 1]);
    }
  });

  it('hashes the empty tree as SHA-256 of nothing', () => {
    expect(hex(new MerkleTree().root())).toBe(hex(EMPTY_TREE_HASH));
    expect(hex(merkleRoot([]))).toBe(hex(EMPTY_TREE_HASH));
    expect(hex(emptyRoot())).toBe(hex(EMPTY_TREE_HASH));
  });

  it.each(INCLUSION)('generates the known inclusion proof of leaf $leaf in size $size', ({ leaf, size, proof }) => {
    expect(hexes(tree.inclusionProof(leaf - 1, size))).toEqual(proof);
  });

  it.each(INCLUSION)('verifies the known inclusion proof of leaf $leaf in size $size, and no corruption of it', ({ leaf, size, proof }) => {
    const leafH = leafHash(LEAVES[leaf - 1]!);
    const p = proof.map(h);
    expect(hex(rootFromInclusionProof(leaf - 1, size, leafH, p))).toBe(ROOTS[size - 1]);
    expect(verifyInclusion(leaf - 1, size, leafH, p, root(size))).toBe(true);
    expect(() => assertInclusion(leaf - 1, size, leafH, p, root(size))).not.toThrow();
    const accepted = corruptInclusion(leaf - 1, size, p, root(size), leafH)
      .filter(([, i, s, r, l, pp]) => verifyInclusion(i, s, l, pp, r))
      .map(([desc]) => desc);
    expect(accepted).toEqual([]);
  });

  it.each(CONSISTENCY)('generates the known consistency proof $size1 -> $size2', ({ size1, size2, proof }) => {
    expect(hexes(tree.consistencyProof(size1, size2))).toEqual(proof);
  });

  it.each(CONSISTENCY)('verifies the known consistency proof $size1 -> $size2, and no corruption of it', ({ size1, size2, proof }) => {
    const p = proof.map(h);
    expect(verifyConsistency(size1, size2, root(size1), root(size2), p)).toBe(true);
    expect(() => assertConsistency(size1, size2, root(size1), root(size2), p)).not.toThrow();
    if (p.length === 0) return; // as in the Go test: corruptions only of non-trivial proofs
    const accepted = corruptConsistency(size1, size2, root(size1), root(size2), p)
      .filter(([, s1, s2, r1, r2, pp]) => verifyConsistency(s1, s2, r1, r2, pp))
      .map(([desc]) => desc);
    expect(accepted).toEqual([]);
  });
});

describe('CompactMerkleTree (the verifier\'s tree): RFC 6962 vectors', () => {
  it('has the known root after each of the 8 reference leaves, given as bytes or as hex', () => {
    const asBytes = new CompactMerkleTree();
    const asHex = new CompactMerkleTree();
    expect(hex(asBytes.root())).toBe(hex(EMPTY_TREE_HASH));
    LEAVES.forEach((leaf, i) => {
      expect(asBytes.append(leafHash(leaf))).toBe(i);
      expect(asHex.append(hex(leafHash(leaf)))).toBe(i);
      expect(hex(asBytes.root())).toBe(ROOTS[i]);
      expect(hex(asHex.root())).toBe(ROOTS[i]);
      expect(asBytes.size).toBe(i + 1);
    });
  });

  it('hashes leaves with the 0x00 prefix and nodes with the 0x01 prefix', () => {
    // Size 2: SHA-256(0x01 || SHA-256(0x00 || "") || SHA-256(0x00 || 0x00)), spelled out.
    const sha = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(createHash('sha256').update(Buffer.concat(parts)).digest());
    const l0 = sha(Uint8Array.of(0x00));
    const l1 = sha(Uint8Array.of(0x00, 0x00));
    expect(hex(l0)).toBe(ROOTS[0]);
    expect(hex(sha(Uint8Array.of(0x01), l0, l1))).toBe(ROOTS[1]);
    const tree = new CompactMerkleTree();
    tree.append(l0);
    tree.append(l1);
    expect(hex(tree.root())).toBe(ROOTS[1]);
  });

  it('gives the same roots as MerkleTree for every size up to 300, and leaves its returned root to the caller', () => {
    const leaves = leafHashes(300, 11);
    const full = MerkleTree.fromLeafHashes(leaves);
    const compact = new CompactMerkleTree();
    for (let size = 1; size <= 300; size++) {
      compact.append(leaves[size - 1]!);
      expect(hex(compact.root()), `size ${size}`).toBe(hex(full.root(size)));
    }
    compact.root().fill(0);
    expect(hex(compact.root())).toBe(hex(full.root()));
  });

  it('rejects a leaf that is not a 32-byte hash, and stays usable', () => {
    const tree = new CompactMerkleTree();
    tree.append(leafHash(LEAVES[0]!));
    expect(() => tree.append(new Uint8Array(31))).toThrow(MerkleRangeError);
    expect(() => tree.append('zz'.repeat(32))).toThrow(InvalidHexError);
    expect(() => tree.append('ab')).toThrow(MerkleRangeError);
    expect(() => new MerkleTree().append('g'.repeat(64))).toThrow(InvalidHexError);
    expect(tree.size).toBe(1);
    tree.append(leafHash(LEAVES[1]!));
    expect(hex(tree.root())).toBe(ROOTS[1]);
  });
});

describe('Merkle proof verification: edge cases (transparency-dev TestVerifyInclusion*, TestVerifyConsistency)', () => {
  it('a one-leaf tree: the root is the leaf hash and the proof is empty', () => {
    const hash = leafHash(utf8.encode('data'));
    const empty = new Uint8Array(0);
    expect(verifyInclusion(0, 1, hash, [], hash)).toBe(true);
    expect(verifyInclusion(0, 1, empty, [], hash)).toBe(false);
    expect(verifyInclusion(0, 1, hash, [], empty)).toBe(false);
    expect(verifyInclusion(0, 1, empty, [], empty)).toBe(false);
  });

  it.each([
    [0, 0],
    [0, 1],
    [1, 0],
    [2, 1],
  ])('rejects index %i in size %i with an empty proof and unrelated hashes', (index, size) => {
    expect(verifyInclusion(index, size, SOME_HASH, [], new Uint8Array(0))).toBe(false);
    expect(verifyInclusion(index, size, new Uint8Array(0), [], EMPTY_TREE_HASH)).toBe(false);
    expect(verifyInclusion(index, size, SOME_HASH, [], EMPTY_TREE_HASH)).toBe(false);
  });

  const root1 = utf8.encode("don't care 1");
  const root2 = utf8.encode("don't care 2");
  it.each([
    ['0,0 different roots', 0, 0, root1, root2, [], false],
    ['1,1 different roots', 1, 1, root1, root2, [], false],
    ['0,0 same root', 0, 0, root1, root1, [], true],
    ['0,1 (the empty tree is a prefix of all)', 0, 1, root1, root2, [], true],
    ['1,1 same root', 1, 1, root2, root2, [], true],
    ['1,0 (time travel)', 1, 0, root1, root2, [], false],
    ['2,1 (time travel)', 2, 1, root1, root2, [], false],
    ['1,2 empty proof', 1, 2, root1, root2, [], false],
    ['0,0 roots differ', 0, 0, EMPTY_TREE_HASH, root2, [], false],
    ['1,1 roots differ', 1, 1, EMPTY_TREE_HASH, root2, [], false],
    ['0,0 non-empty proof', 0, 0, EMPTY_TREE_HASH, EMPTY_TREE_HASH, [EMPTY_TREE_HASH], false],
    ['0,1 non-empty proof', 0, 1, EMPTY_TREE_HASH, EMPTY_TREE_HASH, [EMPTY_TREE_HASH], false],
    ['1,1 non-empty proof', 1, 1, EMPTY_TREE_HASH, EMPTY_TREE_HASH, [EMPTY_TREE_HASH], false],
  ] as const)('consistency %s', (_desc, size1, size2, r1, r2, proof, ok) => {
    expect(verifyConsistency(size1, size2, r1, r2, [...proof])).toBe(ok);
  });

  it('rejects non-integer and negative sizes instead of looping or throwing', () => {
    const leaf = leafHash(LEAVES[0]!);
    expect(verifyInclusion(0.5, 8, leaf, [], root(8))).toBe(false);
    expect(verifyInclusion(-1, 8, leaf, [], root(8))).toBe(false);
    expect(verifyConsistency(1.5, 8, root(1), root(8), [SOME_HASH])).toBe(false);
    expect(verifyConsistency(Number.NaN, 8, root(1), root(8), [SOME_HASH])).toBe(false);
  });

  it('says which check failed, with a coded error', () => {
    const leaf = leafHash(LEAVES[0]!);
    const proof = INCLUSION[1]!.proof.map(h);
    const errorOf = (fn: () => void): MerkleProofError => {
      try {
        fn();
      } catch (error) {
        return error as MerkleProofError;
      }
      throw new Error('expected a MerkleProofError');
    };
    const tooShort = errorOf(() => assertInclusion(0, 8, leaf, proof.slice(0, 2), root(8)));
    expect(tooShort).toBeInstanceOf(MerkleProofError);
    expect(tooShort.code).toBe('TOTRA_CHAIN_MERKLE_PROOF_INVALID');
    expect(tooShort.reason).toBe('the proof is too short');
    expect(errorOf(() => assertInclusion(0, 8, leaf, [...proof, SOME_HASH], root(8))).reason).toBe('the proof is too long');
    expect(errorOf(() => assertInclusion(0, 8, leaf, proof, SOME_HASH)).reason).toBe('the proof leads to a different root');
    expect(errorOf(() => assertConsistency(6, 8, root(6), SOME_HASH, CONSISTENCY[2]!.proof.map(h))).reason).toBe(
      'the proof does not lead to the second root',
    );
  });
});

describe('MerkleTree: generation matches RFC 6962 section 2.1 transcribed literally', () => {
  it('roots, audit paths and consistency proofs for every size up to 40', () => {
    const leaves = leafHashes(40, 7);
    const tree = MerkleTree.fromLeafHashes(leaves);
    for (let n = 1; n <= 40; n++) {
      const d = leaves.slice(0, n);
      expect(hex(tree.root(n))).toBe(hex(ref.mth(d)));
      for (let m = 0; m < n; m++) expect(hexes(tree.inclusionProof(m, n))).toEqual(hexes(ref.path(m, d)));
      for (let m = 1; m < n; m++) expect(hexes(tree.consistencyProof(m, n))).toEqual(hexes(ref.subproof(m, d, true)));
    }
  });
});

describe('MerkleTree: properties over random sizes 1..300', () => {
  const random = prng(20260131);
  const sizes = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 300];
  for (let i = 0; i < 12; i++) sizes.push(1 + Math.floor(random() * 300));
  const all = leafHashes(300, 3);
  const tree = MerkleTree.fromLeafHashes(all);
  const roots = [emptyRoot(), ...Array.from({ length: 300 }, (_, i) => tree.root(i + 1))];

  it.each(sizes)('size %i: every inclusion proof verifies, and tampering fails', (n) => {
    const rootN = roots[n]!;
    expect(hex(rootN)).toBe(hex(merkleRoot(all.slice(0, n))));
    for (let m = 0; m < n; m++) {
      const proof = tree.inclusionProof(m, n);
      expect(verifyInclusion(m, n, all[m]!, proof, rootN)).toBe(true);
      // The other leaf at the same position, another position, another size with its own root.
      expect(verifyInclusion(m, n, all[(m + 1) % 300]!, proof, rootN)).toBe(false);
      if (m + 1 < n) expect(verifyInclusion(m + 1, n, all[m]!, proof, rootN)).toBe(false);
      if (m > 0) expect(verifyInclusion(m - 1, n, all[m]!, proof, rootN)).toBe(false);
      if (n < 300) expect(verifyInclusion(m, n + 1, all[m]!, proof, roots[n + 1]!)).toBe(false);
      if (m < n - 1) expect(verifyInclusion(m, n - 1, all[m]!, proof, roots[n - 1]!)).toBe(false);
      if (proof.length > 0) {
        const k = Math.floor(random() * proof.length);
        expect(verifyInclusion(m, n, all[m]!, flipped(proof, k, 1 << Math.floor(random() * 8)), rootN)).toBe(false);
        expect(verifyInclusion(m, n, all[m]!, proof.slice(0, -1), rootN)).toBe(false);
        expect(verifyInclusion(m, n, all[m]!, [...proof, proof[0]!], rootN)).toBe(false);
      }
    }
  });

  it.each(sizes)('size %i: every consistency proof from a smaller size verifies, and tampering fails', (n) => {
    for (let m = 0; m <= n; m++) {
      const proof = tree.consistencyProof(m, n);
      expect(verifyConsistency(m, n, roots[m]!, roots[n]!, proof)).toBe(true);
      if (m === 0 || m === n) {
        expect(proof).toEqual([]);
        continue;
      }
      expect(verifyConsistency(m, n, roots[m]!, roots[n - 1]!, proof)).toBe(false);
      expect(verifyConsistency(m - 1, n, roots[m - 1]!, roots[n]!, proof)).toBe(false);
      if (m + 1 < n) expect(verifyConsistency(m + 1, n, roots[m + 1]!, roots[n]!, proof)).toBe(false);
      if (n < 300) expect(verifyConsistency(m, n + 1, roots[m]!, roots[n + 1]!, proof)).toBe(false);
      const k = Math.floor(random() * proof.length);
      expect(verifyConsistency(m, n, roots[m]!, roots[n]!, flipped(proof, k, 1 << Math.floor(random() * 8)))).toBe(false);
      expect(verifyConsistency(m, n, roots[m]!, roots[n]!, proof.slice(0, -1))).toBe(false);
      expect(verifyConsistency(m, n, roots[m]!, roots[n]!, [...proof, roots[n]!])).toBe(false);
    }
  });
});

describe('MerkleTree: API', () => {
  it('appends one leaf at a time and keeps every past root', () => {
    const leaves = leafHashes(70, 9);
    const tree = new MerkleTree();
    const rootsSoFar: string[] = [];
    for (const leaf of leaves) {
      expect(tree.append(leaf)).toBe(rootsSoFar.length);
      rootsSoFar.push(hex(tree.root()));
    }
    expect(tree.size).toBe(70);
    rootsSoFar.forEach((r, i) => expect(hex(tree.root(i + 1))).toBe(r));
    expect(hex(tree.leafHash(69))).toBe(hex(leaves[69]!));
  });

  it('takes event hashes as hex leaf hashes', () => {
    const leaves = leafHashes(5, 2);
    expect(hex(MerkleTree.fromLeafHashes(leaves.map(hex)).root())).toBe(hex(merkleRoot(leaves)));
    expect(hex(merkleRoot(leaves.map(hex)))).toBe(hex(merkleRoot(leaves)));
  });

  it('returns copies, so a caller cannot corrupt the stored tree', () => {
    const tree = MerkleTree.fromLeafHashes(leafHashes(4));
    const before = hex(tree.root());
    tree.root().fill(0);
    tree.inclusionProof(0)[0]!.fill(0);
    tree.leafHash(0).fill(0);
    expect(hex(tree.root())).toBe(before);
  });

  it('builds a large tree whose root matches the streaming computation', () => {
    const n = 70_001;
    const leaves = leafHashes(n, 5);
    const tree = MerkleTree.fromLeafHashes(leaves);
    const rootN = tree.root();
    expect(hex(rootN)).toBe(hex(merkleRoot(leaves)));
    for (const m of [0, 1, 65_535, 65_536, n - 1]) {
      expect(verifyInclusion(m, n, leaves[m]!, tree.inclusionProof(m), rootN)).toBe(true);
    }
    expect(verifyConsistency(65_536, n, tree.root(65_536), rootN, tree.consistencyProof(65_536))).toBe(true);
    expect(tree.inclusionProof(n - 1).length).toBeLessThanOrEqual(17);
  });

  it('rejects impossible arguments with a coded error', () => {
    const tree = MerkleTree.fromLeafHashes(leafHashes(4));
    const codeOf = (fn: () => unknown): string => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(MerkleRangeError);
        return (error as MerkleRangeError).code;
      }
      return 'no error';
    };
    expect(codeOf(() => tree.inclusionProof(4))).toBe('TOTRA_CHAIN_MERKLE_RANGE');
    expect(codeOf(() => tree.inclusionProof(0, 5))).toBe('TOTRA_CHAIN_MERKLE_RANGE');
    expect(codeOf(() => tree.consistencyProof(3, 2))).toBe('TOTRA_CHAIN_MERKLE_RANGE');
    expect(codeOf(() => tree.root(5))).toBe('TOTRA_CHAIN_MERKLE_RANGE');
    expect(codeOf(() => tree.leafHash(-1))).toBe('TOTRA_CHAIN_MERKLE_RANGE');
    expect(codeOf(() => tree.append(new Uint8Array(31)))).toBe('TOTRA_CHAIN_MERKLE_RANGE');
    expect(codeOf(() => merkleRoot([new Uint8Array(33)]))).toBe('TOTRA_CHAIN_MERKLE_RANGE');
  });
});
