import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MerkleTree, bytesToHex, leafHash, verifyConsistency, verifyInclusion } from '@totra/chain';
import { FileNodeStore } from './tree-files.js';

const leaf = (i: number): Uint8Array => leafHash(new TextEncoder().encode(`event ${i}`));
const hex = (bs: readonly Uint8Array[]): string[] => bs.map(bytesToHex);

describe('FileNodeStore: a Merkle tree in level files (real files)', () => {
  const dirs: string[] = [];
  const newDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'tree-files-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('gives the same roots and proofs as the tree in memory, before and after reopening, for every size to 70', () => {
    const dir = newDir();
    const store = FileNodeStore.open(dir);
    const onDisk = new MerkleTree(store);
    const inMemory = new MerkleTree();
    for (let i = 0; i < 70; i++) {
      onDisk.append(leaf(i));
      inMemory.append(leaf(i));
      if (i % 9 === 0) store.flush(); // some nodes written, some still in memory
    }
    const check = (tree: MerkleTree): void => {
      for (let size = 1; size <= 70; size++) {
        expect(bytesToHex(tree.root(size))).toBe(bytesToHex(inMemory.root(size)));
        for (const index of [0, size >> 1, size - 1]) {
          const proof = tree.inclusionProof(index, size);
          expect(hex(proof)).toEqual(hex(inMemory.inclusionProof(index, size)));
          expect(verifyInclusion(index, size, leaf(index), proof, tree.root(size))).toBe(true);
        }
        for (const from of [1, size >> 1, size - 1].filter((f) => f > 0)) {
          const proof = tree.consistencyProof(from, size);
          expect(hex(proof)).toEqual(hex(inMemory.consistencyProof(from, size)));
          expect(verifyConsistency(from, size, tree.root(from), tree.root(size), proof)).toBe(true);
        }
      }
    };
    check(onDisk);
    store.flush();
    store.close();

    // 70 leaves: 70 + 35 + 17 + 8 + 4 + 2 + 1 nodes, 32 bytes each, one file per level.
    expect(readdirSync(dir).sort()).toEqual(['level-00.bin', 'level-01.bin', 'level-02.bin', 'level-03.bin', 'level-04.bin', 'level-05.bin', 'level-06.bin']);
    expect([0, 1, 2, 3, 4, 5, 6].map((l) => statSync(join(dir, `level-0${l}.bin`)).size / 32)).toEqual([70, 35, 17, 8, 4, 2, 1]);
    const reopened = FileNodeStore.open(dir);
    const again = new MerkleTree(reopened);
    expect(again.size).toBe(70);
    check(again);
    // It grows on from where it was.
    again.append(leaf(70));
    inMemory.append(leaf(70));
    expect(bytesToHex(again.root())).toBe(bytesToHex(inMemory.root()));
    reopened.close();
  });

  it('cuts back to a smaller size, and refuses files that hold fewer nodes than asked or disagree', () => {
    const dir = newDir();
    const store = FileNodeStore.open(dir);
    const tree = new MerkleTree(store);
    for (let i = 0; i < 40; i++) tree.append(leaf(i));
    const root25 = bytesToHex(tree.root(25));
    store.flush();
    expect(store.truncate(41)).toBe(false);
    expect(store.truncate(25)).toBe(true);
    store.close();
    const cut = FileNodeStore.open(dir);
    const tree25 = new MerkleTree(cut);
    expect(tree25.size).toBe(25);
    expect(bytesToHex(tree25.root())).toBe(root25);
    cut.close();

    // A crash that wrote the leaves but not all their parents: the files disagree.
    truncateSync(join(dir, 'level-01.bin'), 5 * 32);
    const torn = FileNodeStore.open(dir);
    expect(() => new MerkleTree(torn)).toThrow(/holds 5 nodes at level 1 for 25 leaves, not 12/);
    // ...and cannot be cut to a size whose nodes are missing, but can to one they hold.
    expect(torn.truncate(25)).toBe(false);
    expect(torn.truncate(10)).toBe(true);
    expect(new MerkleTree(torn).size).toBe(10);
    torn.close();
  });
});
