import { hash } from 'node:crypto';
import { v7 } from 'uuid';
import { RandomSourceError } from './errors.js';

/**
 * A source of cryptographically secure random bytes, e.g. `(n) => crypto.randomBytes(n)`.
 * Passed in so that this library stays pure (and tests are deterministic).
 */
export type RandomBytes = (length: number) => Uint8Array;

/** Every ToTra gateway key starts with this. */
export const API_KEY_PREFIX = 'tt-';
/** Number of base62 characters after the prefix (40 x log2(62) = 238 bits of entropy). */
export const API_KEY_BODY_LENGTH = 40;
/** Length of the display prefix: `tt-` and five characters. */
export const DISPLAY_PREFIX_LENGTH = 8;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Largest multiple of 62 that fits a byte: bytes at or above it are drawn again (no modulo bias). */
const UNBIASED_LIMIT = 248;
const KEY_PATTERN = /^tt-[0-9A-Za-z]{40}$/;
const KEY_ID_PATTERN = /^key_[0-9a-f]{32}$/;

function draw(randomBytes: RandomBytes, length: number): Uint8Array {
  const bytes = randomBytes(length);
  if (bytes.length < length) throw new RandomSourceError(`the random source gave ${bytes.length} bytes, ${length} were asked for`);
  return bytes;
}

/** A new API key: `tt-` + 40 base62 characters drawn from `randomBytes` without bias. */
export function generateApiKey(randomBytes: RandomBytes): string {
  let body = '';
  while (body.length < API_KEY_BODY_LENGTH) {
    for (const b of draw(randomBytes, API_KEY_BODY_LENGTH)) {
      if (b >= UNBIASED_LIMIT) continue;
      body += BASE62[b % 62];
      if (body.length === API_KEY_BODY_LENGTH) break;
    }
  }
  return API_KEY_PREFIX + body;
}

/** Whether a string has the shape of a ToTra key (says nothing about whether it was issued). */
export function isApiKeyFormat(candidate: string): boolean {
  return KEY_PATTERN.test(candidate);
}

/** SHA-256 (lowercase hex) of the full key: the only form in which keys are stored. */
export function hashApiKey(key: string): string {
  // The runtime's native SHA-256: every request hashes its key to look it up.
  return hash('sha256', key, 'hex');
}

/** The first 8 characters of a key (`tt-` + 5): safe to show and log, to recognise a key. */
export function keyDisplayPrefix(key: string): string {
  return key.slice(0, DISPLAY_PREFIX_LENGTH);
}

/** A new key id: `key_` + a UUIDv7 (time-ordered) without dashes, from the given time and randomness. */
export function newKeyId(at: Date, randomBytes: RandomBytes): string {
  return `key_${v7({ msecs: at.getTime(), random: draw(randomBytes, 16) }).replaceAll('-', '')}`;
}

/** Whether a string is a key id (`key_` + 32 lowercase hex characters). */
export function isKeyId(candidate: string): boolean {
  return KEY_ID_PATTERN.test(candidate);
}

/** A freshly minted key: the secret (shown once), and what is recorded about it. */
export interface MintedApiKey {
  /** The secret: give it to its owner once, never store or log it. */
  key: string;
  keyId: string;
  keyHash: string;
  prefix: string;
}

/** Mints a key with its id, hash and display prefix. */
export function mintApiKey(at: Date, randomBytes: RandomBytes): MintedApiKey {
  const key = generateApiKey(randomBytes);
  return { key, keyId: newKeyId(at, randomBytes), keyHash: hashApiKey(key), prefix: keyDisplayPrefix(key) };
}
