/*
 * RFC 9562 UUIDv7 with a monotonic counter (section 6.2, method 1): 48-bit Unix milliseconds,
 * version 7, a 32-bit counter across rand_a and the top of rand_b (seeded with 31 random bits at
 * each new millisecond, incremented within one, the timestamp moved on when it wraps), then 42
 * random bits. The same layout as the `uuid` package's v7, but the random bytes come from a
 * pool filled by one `crypto.getRandomValues` call per 409 ids instead of a `getRandomValues` call per id,
 * and the text is built from a byte-to-hex table: a request creates two ids.
 */

const POOL_SIZE = 4096;
/** Random bytes one id takes: 4 for a new counter seed, 6 for the random tail (42 bits used). */
const BYTES_PER_ID = 10;
const pool = new Uint8Array(POOL_SIZE);
let poolAt = POOL_SIZE;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

let lastMs = -Infinity;
let seq = 0;

/** A new UUIDv7 event id (time-ordered, random tail): ids of one process sort in creation order. */
export function newEventId(): string {
  if (poolAt + BYTES_PER_ID > POOL_SIZE) {
    globalThis.crypto.getRandomValues(pool);
    poolAt = 0;
  }
  const r = poolAt;
  poolAt += BYTES_PER_ID;
  const now = Date.now();
  if (now > lastMs) {
    seq = ((pool[r]! & 0x7f) << 24) | (pool[r + 1]! << 16) | (pool[r + 2]! << 8) | pool[r + 3]!;
    lastMs = now;
  } else {
    seq = (seq + 1) | 0;
    if (seq === 0) lastMs++;
  }
  const ms = lastMs;
  return (
    HEX[(ms / 0x10000000000) & 0xff]! +
    HEX[(ms / 0x100000000) & 0xff]! +
    HEX[(ms / 0x1000000) & 0xff]! +
    HEX[(ms / 0x10000) & 0xff]! +
    '-' +
    HEX[(ms / 0x100) & 0xff]! +
    HEX[ms & 0xff]! +
    '-' +
    HEX[0x70 | ((seq >>> 28) & 0x0f)]! +
    HEX[(seq >>> 20) & 0xff]! +
    '-' +
    HEX[0x80 | ((seq >>> 14) & 0x3f)]! +
    HEX[(seq >>> 6) & 0xff]! +
    '-' +
    HEX[((seq << 2) & 0xff) | (pool[r + 4]! & 0x03)]! +
    HEX[pool[r + 5]!]! +
    HEX[pool[r + 6]!]! +
    HEX[pool[r + 7]!]! +
    HEX[pool[r + 8]!]! +
    HEX[pool[r + 9]!]!
  );
}
