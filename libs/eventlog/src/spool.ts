import { closeSync, existsSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SpoolError } from './errors.js';

const SUFFIX = '.spool';

/** The spool file of a chain inside a spool folder. */
export function spoolPath(dir: string, chainId: string): string {
  return join(dir, `${chainId}${SUFFIX}`);
}

/** Chain ids that have a spool file in the folder. */
export function listSpools(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(SUFFIX))
    .map((f) => f.slice(0, -SUFFIX.length))
    .sort();
}

/**
 * A local append-only file of events (one JSON envelope per line) that could not reach
 * JetStream yet. Every append is flushed to disk before it returns, so an event that is in
 * the spool survives a crash. A torn last line (crash mid-write) is cut off on open.
 */
export class Spool {
  readonly path: string;
  #fd: number | undefined;
  #size = 0;

  constructor(path: string) {
    this.path = path;
  }

  /** Bytes of complete lines in the file (opens it, creating it if missing). */
  get size(): number {
    this.#open();
    return this.#size;
  }

  exists(): boolean {
    return this.#fd !== undefined || existsSync(this.path);
  }

  #open(): number {
    if (this.#fd !== undefined) return this.#fd;
    try {
      mkdirSync(join(this.path, '..'), { recursive: true });
      const fd = openSync(this.path, 'a+');
      const size = fstatSync(fd).size;
      const keep = completeLength(fd, size);
      if (keep !== size) ftruncateSync(fd, keep);
      this.#fd = fd;
      this.#size = keep;
      return fd;
    } catch (err) {
      throw new SpoolError(`cannot open spool file ${this.path}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Appends lines durably (written and fdatasync'ed). */
  append(lines: readonly string[]): void {
    if (!lines.length) return;
    const fd = this.#open();
    const buf = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fdatasyncSync(fd);
      this.#size += buf.length;
    } catch (err) {
      throw new SpoolError(`cannot write spool file ${this.path}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Reads whole lines from `offset`, at most about `maxBytes`. */
  read(offset: number, maxBytes: number): { lines: string[]; next: number } {
    const fd = this.#open();
    const end = Math.min(this.#size, offset + maxBytes);
    if (offset >= this.#size) return { lines: [], next: offset };
    const buf = Buffer.allocUnsafe(end - offset);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    let last = buf.lastIndexOf(0x0a, got - 1);
    if (last < 0) {
      // One line longer than maxBytes: read it whole.
      return this.read(offset, maxBytes * 2);
    }
    last += 1;
    const text = buf.toString('utf8', 0, last - 1);
    return { lines: text.split('\n'), next: offset + last };
  }

  /** Deletes the file once everything in it is in the stream. */
  remove(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    this.#size = 0;
    if (existsSync(this.path)) unlinkSync(this.path);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/** Length of the file up to and including its last newline. */
function completeLength(fd: number, size: number): number {
  if (size === 0) return 0;
  const chunk = Buffer.allocUnsafe(Math.min(size, 64 * 1024));
  let pos = size;
  while (pos > 0) {
    const len = Math.min(chunk.length, pos);
    pos -= len;
    readSync(fd, chunk, 0, len, pos);
    const i = chunk.lastIndexOf(0x0a, len - 1);
    if (i >= 0) return pos + i + 1;
  }
  return 0;
}
