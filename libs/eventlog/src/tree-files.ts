import { closeSync, constants, fsyncSync, ftruncateSync, fstatSync, mkdirSync, openSync, readSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { HASH_SIZE, type MerkleNodeStore } from '@totra/chain';
import { NotaryError } from './errors.js';

const LEVEL_FILE = /^level-(\d{2})\.bin$/;
const levelFile = (level: number): string => `level-${String(level).padStart(2, '0')}.bin`;
/** Unwritten nodes kept in memory before `append` writes them out by itself. */
const PENDING_LIMIT_BYTES = 4 * 1024 * 1024;

interface Level {
  readonly fd: number;
  /** Nodes in the file. */
  written: number;
  /** Nodes appended after those, not written yet. */
  pending: Uint8Array;
  pendingCount: number;
}

/**
 * A Merkle tree's nodes in files, one per level (`level-00.bin` holds the leaf hashes, 32 bytes
 * each, in order; `level-01.bin` their parents; ...): about 64 bytes of disk per leaf and next to
 * no memory, whatever the size of the log. Appends are buffered and written by `flush()` (or by
 * themselves past a few megabytes); reads of written nodes are positioned reads. Used by the
 * notary (ADR 0022); the files are a cache of what the stream holds, rebuilt from it when lost.
 */
export class FileNodeStore implements MerkleNodeStore {
  readonly dir: string;
  readonly #levels: Level[] = [];
  #pendingBytes = 0;
  #closed = false;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Opens (creating the folder if needed) the level files in `dir`, as they are. */
  static open(dir: string): FileNodeStore {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const store = new FileNodeStore(dir);
    const levels = readdirSync(dir)
      .map((name) => LEVEL_FILE.exec(name)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number);
    const top = levels.length ? Math.max(...levels) : -1;
    for (let level = 0; level <= top; level++) store.#level(level);
    return store;
  }

  count(level: number): number {
    const l = this.#levels[level];
    return l ? l.written + l.pendingCount : 0;
  }

  read(level: number, index: number, out: Uint8Array, at: number): void {
    const l = this.#levels[level];
    if (!l || index >= l.written + l.pendingCount) throw new NotaryError(`tree files: no node ${index} at level ${level}`);
    if (index >= l.written) {
      const offset = (index - l.written) * HASH_SIZE;
      out.set(l.pending.subarray(offset, offset + HASH_SIZE), at);
      return;
    }
    const n = readSync(l.fd, out, at, HASH_SIZE, index * HASH_SIZE);
    if (n !== HASH_SIZE) throw new NotaryError(`tree files: ${levelFile(level)} ends inside node ${index}`);
  }

  append(level: number, src: Uint8Array, at: number): void {
    const l = this.#level(level);
    if ((l.pendingCount + 1) * HASH_SIZE > l.pending.length) {
      const grown = new Uint8Array(Math.max(l.pending.length * 2, 64 * HASH_SIZE));
      grown.set(l.pending.subarray(0, l.pendingCount * HASH_SIZE));
      l.pending = grown;
    }
    l.pending.set(src.subarray(at, at + HASH_SIZE), l.pendingCount * HASH_SIZE);
    l.pendingCount++;
    this.#pendingBytes += HASH_SIZE;
    if (this.#pendingBytes >= PENDING_LIMIT_BYTES) this.flush({ sync: false });
  }

  /** Writes the appended nodes to their files; with `sync` (default), to the disk too. */
  flush(o: { sync?: boolean } = {}): void {
    for (const l of this.#levels) {
      if (l.pendingCount > 0) {
        const bytes = l.pendingCount * HASH_SIZE;
        let done = 0;
        while (done < bytes) done += writeSync(l.fd, l.pending, done, bytes - done, l.written * HASH_SIZE + done);
        l.written += l.pendingCount;
        l.pendingCount = 0;
        if (l.pending.length > 1024 * HASH_SIZE) l.pending = new Uint8Array(64 * HASH_SIZE);
      }
      if (o.sync !== false) fsyncSync(l.fd);
    }
    this.#pendingBytes = 0;
  }

  /**
   * Keeps the nodes of the first `leaves` leaves only (what a crash may have written past the
   * notary's state goes). False, with nothing changed, when the files do not hold all of them.
   */
  truncate(leaves: number): boolean {
    this.flush({ sync: false });
    for (let level = 0, n = leaves; level < this.#levels.length; level++, n = Math.floor(n / 2)) {
      if (this.#levels[level]!.written < n) return false;
    }
    if (leaves > 0 && this.#levels.length === 0) return false;
    for (let level = 0, n = leaves; level < this.#levels.length; level++, n = Math.floor(n / 2)) {
      const l = this.#levels[level]!;
      if (l.written > n) {
        ftruncateSync(l.fd, n * HASH_SIZE);
        l.written = n;
      }
      fsyncSync(l.fd);
    }
    return true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const l of this.#levels) closeSync(l.fd);
  }

  #level(level: number): Level {
    while (level >= this.#levels.length) {
      // Read-write, created if absent, and not O_APPEND (which would ignore the write positions).
      const fd = openSync(join(this.dir, levelFile(this.#levels.length)), constants.O_RDWR | constants.O_CREAT, 0o600);
      this.#levels.push({ fd, written: Math.floor(fstatSync(fd).size / HASH_SIZE), pending: new Uint8Array(0), pendingCount: 0 });
    }
    return this.#levels[level]!;
  }
}
