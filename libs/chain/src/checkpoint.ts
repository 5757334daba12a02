import { sha256 } from '@noble/hashes/sha2.js';
import { NoteFormatError } from './errors.js';
import { bytesToHex } from './hash.js';
import { fromBase64, toBase64 } from './signed-note.js';

/*
 * The checkpoint text (C2SP tlog-checkpoint): origin, tree size, base64 root hash, then ToTra's
 * extension lines (docs/adr/0003-checkpoints.md):
 *
 *   totra-time <ISO-8601 UTC>
 *   totra-prev <hex SHA-256 of the previous checkpoint's text, or "-" for the first>
 *   totra-head <chain id> <seq> <hex event hash>     one per chain that moved, sorted by chain id
 *
 * The heads say exactly which leaves the checkpoint adds: for each chain in chain id order,
 * the events after the previous checkpoint's head of that chain, up to this head, in seq order.
 * A checkpoint lists the chains that moved since the previous one (ADR 0023); checkpoints
 * written before listed every chain anchored so far, which adds the same leaves.
 */

/** The head of one chain as a checkpoint records it. */
export interface CheckpointHead {
  readonly chain: string;
  readonly seq: number;
  readonly hash: string;
}

/** A parsed checkpoint text. */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  /** Root hash, lowercase hex. */
  readonly root: string;
  readonly time: string;
  /** Hex SHA-256 of the previous checkpoint's text, or null for the first checkpoint of the origin. */
  readonly prev: string | null;
  /** Heads of the chains that moved since the previous checkpoint (before ADR 0023: of every chain), sorted by chain id. */
  readonly heads: readonly CheckpointHead[];
  /** The text exactly as signed. */
  readonly text: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
const CHAIN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** Byte-order comparison of chain ids (ASCII only, so code unit order is byte order). */
export function compareChainIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Builds the checkpoint text; heads are sorted by chain id. */
export function formatCheckpoint(c: Omit<Checkpoint, 'text'>): string {
  if (!c.origin || /\s/.test(c.origin)) throw new NoteFormatError('the origin must be non-empty with no whitespace');
  if (!Number.isSafeInteger(c.size) || c.size < 0) throw new NoteFormatError('the size must be a non-negative integer');
  if (!HEX64.test(c.root)) throw new NoteFormatError('the root must be 64 lowercase hex digits');
  if (c.prev !== null && !HEX64.test(c.prev)) throw new NoteFormatError('prev must be 64 lowercase hex digits');
  const lines = [c.origin, String(c.size), toBase64(hexBytes(c.root)), `totra-time ${c.time}`, `totra-prev ${c.prev ?? '-'}`];
  for (const h of [...c.heads].sort((a, b) => compareChainIds(a.chain, b.chain))) {
    if (!CHAIN.test(h.chain) || !Number.isSafeInteger(h.seq) || h.seq < 1 || !HEX64.test(h.hash)) throw new NoteFormatError(`bad head for chain ${h.chain}`);
    lines.push(`totra-head ${h.chain} ${h.seq} ${h.hash}`);
  }
  return `${lines.join('\n')}\n`;
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Parses a checkpoint text (the note text, without signatures). Throws `NoteFormatError`. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new NoteFormatError('checkpoint text must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new NoteFormatError('a checkpoint has at least 3 lines');
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (!origin || /\s/.test(origin)) throw new NoteFormatError('bad origin line');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw new NoteFormatError(`bad tree size "${sizeText}"`);
  const rootBytes = fromBase64(rootText);
  if (rootBytes.length !== 32) throw new NoteFormatError('the root hash is not 32 bytes');
  let time: string | undefined;
  let prev: string | null | undefined;
  const heads: CheckpointHead[] = [];
  for (const line of lines.slice(3)) {
    const parts = line.split(' ');
    if (parts[0] === 'totra-time' && parts.length === 2 && time === undefined) time = parts[1]!;
    else if (parts[0] === 'totra-prev' && parts.length === 2 && prev === undefined) {
      if (parts[1] !== '-' && !HEX64.test(parts[1]!)) throw new NoteFormatError('bad totra-prev line');
      prev = parts[1] === '-' ? null : parts[1]!;
    } else if (parts[0] === 'totra-head' && parts.length === 4) {
      const [, chain, seqText, hash] = parts as [string, string, string, string];
      const seq = Number(seqText);
      if (!CHAIN.test(chain) || !/^[1-9][0-9]*$/.test(seqText) || !Number.isSafeInteger(seq) || !HEX64.test(hash)) throw new NoteFormatError(`bad totra-head line "${line}"`);
      const last = heads[heads.length - 1];
      if (last && compareChainIds(last.chain, chain) >= 0) throw new NoteFormatError('totra-head lines are not sorted by chain id, or repeat a chain');
      heads.push({ chain, seq, hash });
    } else if (line.length === 0) throw new NoteFormatError('empty extension line');
    // Other extension lines are allowed by C2SP and ignored.
  }
  if (time === undefined || prev === undefined) throw new NoteFormatError('missing totra-time or totra-prev line');
  return { origin, size: Number(sizeText), root: bytesToHex(rootBytes), time, prev, heads, text };
}

/** Hex SHA-256 of a checkpoint text: what the next checkpoint's `totra-prev` names. */
export function checkpointTextHash(text: string): string {
  return bytesToHex(sha256(new TextEncoder().encode(text)));
}
