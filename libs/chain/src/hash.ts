import { hash as nativeHash } from 'node:crypto';
import { bytesToHex as nobleBytesToHex, hexToBytes as nobleHexToBytes } from '@noble/hashes/utils.js';
import { type Envelope, type HashHex, type UnhashedEnvelope } from '@totra/events';
import { canonicalJson } from './jcs.js';
import { InvalidHexError } from './errors.js';

/** Size in bytes of every hash here (SHA-256). */
export const HASH_SIZE = 32;

/** RFC 6962 domain separation: leaf hashes and interior node hashes can never collide. */
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

const utf8 = new TextEncoder();
// Scratch buffer for `0x00 || UTF-8(text)`; hashing is synchronous, so one buffer is enough.
let scratch = new Uint8Array(4096);

/**
 * One-shot SHA-256 by the runtime's native implementation (OpenSSL in Node.js): about 2.5 times
 * faster than the JS one on ~400-byte events, and the verifier's hot path is one hash an event.
 */
function sha256Once(data: Uint8Array): Uint8Array {
  const b = nativeHash('sha256', data, 'buffer');
  // A plain Uint8Array over the same bytes: Buffer's `slice` shares memory, Uint8Array's copies.
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** One-shot SHA-256 as lowercase hex: the digest never becomes a Buffer (a Buffer per call costs more than hashing a 65-byte input). */
function sha256Hex(data: Uint8Array): string {
  return nativeHash('sha256', data, 'hex');
}

/** Lowercase hex of `bytes`. */
export function bytesToHex(bytes: Uint8Array): string {
  return nobleBytesToHex(bytes);
}

/** Bytes of an even-length hex string (either case). Throws `InvalidHexError` otherwise. */
export function hexToBytes(hex: string): Uint8Array {
  try {
    return nobleHexToBytes(hex);
  } catch (cause) {
    throw new InvalidHexError(`not a hex byte string: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** RFC 6962 leaf hash: SHA-256(0x00 || data). */
export function leafHash(data: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + data.length);
  input[0] = LEAF_PREFIX;
  input.set(data, 1);
  return sha256Once(input);
}

/** RFC 6962 interior node hash: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return sha256Once(input);
}

// `0x01 || left || right` of two 32-byte hashes, reused: hashing is synchronous.
const nodeInput = new Uint8Array(1 + 2 * HASH_SIZE);
nodeInput[0] = NODE_PREFIX;

/**
 * `nodeHash` of the 32-byte hashes at `left[leftAt..]` and `right[rightAt..]`, written to
 * `out[outAt..]`: no allocation but the digest's short-lived string. Input and output may overlap.
 * @internal
 */
export function nodeHashInto(left: Uint8Array, leftAt: number, right: Uint8Array, rightAt: number, out: Uint8Array, outAt: number): void {
  for (let i = 0; i < HASH_SIZE; i++) {
    nodeInput[1 + i] = left[leftAt + i]!;
    nodeInput[1 + HASH_SIZE + i] = right[rightAt + i]!;
  }
  // 'binary' (latin1): one char per digest byte, the cheapest output to read back.
  const digest = nativeHash('sha256', nodeInput, 'binary');
  for (let i = 0; i < HASH_SIZE; i++) out[outAt + i] = digest.charCodeAt(i);
}

const HEX_VALUES = (() => {
  const values = new Int8Array(128).fill(-1);
  for (let i = 0; i < 16; i++) {
    values['0123456789abcdef'.charCodeAt(i)] = i;
    values['0123456789ABCDEF'.charCodeAt(i)] = i;
  }
  return values;
})();

/**
 * Decodes the 64-digit hex hash `hex` (either case) into `out[outAt..outAt+32]`, without an
 * intermediate array. Throws `InvalidHexError` when `hex` is not 64 hex digits.
 * @internal
 */
export function hexHashInto(hex: string, out: Uint8Array, outAt: number): void {
  if (hex.length !== 2 * HASH_SIZE) throw new InvalidHexError(`a hash must be ${2 * HASH_SIZE} hex digits, got ${hex.length} characters`);
  for (let i = 0; i < HASH_SIZE; i++) {
    const hi = HEX_VALUES[hex.charCodeAt(2 * i)] ?? -1;
    const lo = HEX_VALUES[hex.charCodeAt(2 * i + 1)] ?? -1;
    if (hi < 0 || lo < 0) throw new InvalidHexError(`not a hex digit at position ${hi < 0 ? 2 * i : 2 * i + 1}`);
    out[outAt + i] = (hi << 4) | lo;
  }
}

/**
 * Leaf hash (lowercase hex) of a text's UTF-8 bytes, without allocating the byte string:
 * SHA-256(0x00 || UTF-8(text)).
 * @internal
 */
export function leafHashHexOfText(text: string): string {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  const needed = 1 + text.length * 3;
  if (scratch.length < needed) scratch = new Uint8Array(Math.max(needed, scratch.length * 2));
  scratch[0] = LEAF_PREFIX;
  const { written } = utf8.encodeInto(text, scratch.subarray(1));
  return sha256Hex(scratch.subarray(0, 1 + written));
}

/**
 * Leaf hash (lowercase hex) of `text` with the code units `from..to` cut out, encoded straight
 * into the scratch buffer (no intermediate string).
 * @internal
 */
export function leafHashHexOfTextWithout(text: string, from: number, to: number): string {
  const needed = 1 + text.length * 3;
  if (scratch.length < needed) scratch = new Uint8Array(Math.max(needed, scratch.length * 2));
  scratch[0] = LEAF_PREFIX;
  const head = utf8.encodeInto(text.slice(0, from), scratch.subarray(1)).written;
  const tail = utf8.encodeInto(text.slice(to), scratch.subarray(1 + head)).written;
  return sha256Hex(scratch.subarray(0, 1 + head + tail));
}

/**
 * The stored form of an event: the canonical JSON of the whole envelope, `hash` included. A
 * verifier hashes such a line as it is (minus the `hash` member) without re-serialising it,
 * which is several times faster than canonicalising a line written in any other form.
 */
export function serializeEvent(envelope: Envelope): string {
  return canonicalJson(envelope);
}

/** The envelope as hashed: every field but `hash`. */
export function unhashed(envelope: UnhashedEnvelope | Envelope): UnhashedEnvelope {
  if (!('hash' in envelope)) return envelope;
  const { hash: _hash, ...rest } = envelope;
  return rest;
}

/**
 * The hash of an event: lowercase hex of SHA-256(0x00 || JCS(envelope without `hash`)), the
 * RFC 6962 leaf hash of its RFC 8785 canonical bytes. The stored `hash` field, if any, is ignored.
 * Throws `CanonicalJsonError` if the envelope holds a value JSON cannot carry.
 */
export function hashEvent(envelope: UnhashedEnvelope | Envelope): HashHex {
  return leafHashHexOfText(canonicalJson(unhashed(envelope)));
}

/** The envelope with its `hash` set (any `hash` it had is recomputed). */
export function sealEnvelope(envelope: UnhashedEnvelope): Envelope {
  const rest = unhashed(envelope);
  return { ...rest, hash: hashEvent(rest) };
}

/**
 * Hashes an event and returns its stored form (`serializeEvent` of the sealed envelope) in
 * one pass: the canonical JSON is computed once and the `hash` member is spliced in where
 * JCS puts it. `hash` sorts right before `id`, which every envelope has, and a raw `,"id":"`
 * can only be structure (quotes inside strings are escaped), and no member after `id`
 * (prev, sealed, seq, subject, tenant, time, type, v) has an `id` key: so the last such
 * occurrence is the top-level one.
 */
export function hashAndSerialize(envelope: UnhashedEnvelope): { hash: HashHex; line: string } {
  const canonical = canonicalJson(unhashed(envelope));
  const hash = leafHashHexOfText(canonical);
  const at = canonical.lastIndexOf(',"id":"');
  return { hash, line: `${canonical.slice(0, at)},"hash":"${hash}"${canonical.slice(at)}` };
}
