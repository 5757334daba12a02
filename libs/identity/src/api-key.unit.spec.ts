import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  API_KEY_BODY_LENGTH,
  generateApiKey,
  hashApiKey,
  isApiKeyFormat,
  isKeyId,
  keyDisplayPrefix,
  mintApiKey,
  newKeyId,
  type RandomBytes,
} from './api-key.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const csprng: RandomBytes = (n) => randomBytes(n);

/** A random source that hands out the given chunks in turn. */
function scripted(...chunks: number[][]): RandomBytes & { calls: number } {
  const source = Object.assign(
    (n: number) => {
      const chunk = chunks[source.calls++] ?? [];
      return Uint8Array.from({ length: n }, (_, i) => chunk[i % Math.max(chunk.length, 1)] ?? 0);
    },
    { calls: 0 },
  );
  return source;
}

describe('API keys', () => {
  it('are tt- and 40 base62 characters, different every time', () => {
    const keys = Array.from({ length: 2000 }, () => generateApiKey(csprng));
    for (const k of keys) expect(k).toMatch(/^tt-[0-9A-Za-z]{40}$/);
    expect(new Set(keys).size).toBe(keys.length);
    // Every base62 character shows up: the whole alphabet is used.
    expect(new Set(keys.join('').slice(3).replaceAll('tt-', '')).size).toBe(62);
  });

  it('map each random byte below 248 to base62 (byte mod 62)', () => {
    const bytes = Array.from({ length: API_KEY_BODY_LENGTH }, (_, i) => i * 6); // 0..234
    const key = generateApiKey(scripted(bytes));
    expect(key).toBe(`tt-${bytes.map((b) => BASE62[b % 62]).join('')}`);
  });

  it('draw again instead of folding bytes 248..255 (no modulo bias)', () => {
    const source = scripted([255, 248, 250], [61]);
    expect(generateApiKey(source)).toBe(`tt-${'z'.repeat(40)}`);
    expect(source.calls).toBe(2);
  });

  it('refuse a random source that gives too few bytes', () => {
    expect(() => generateApiKey(() => new Uint8Array(3))).toThrow(expect.objectContaining({ code: 'TOTRA_KEY_RANDOM_SOURCE' }));
  });

  it('are recognised by shape only', () => {
    const key = generateApiKey(csprng);
    expect(isApiKeyFormat(key)).toBe(true);
    expect(isApiKeyFormat(key.slice(0, -1))).toBe(false);
    expect(isApiKeyFormat(`${key}x`)).toBe(false);
    expect(isApiKeyFormat(`sk-${key.slice(3)}`)).toBe(false);
    expect(isApiKeyFormat(`${key.slice(0, -1)}-`)).toBe(false);
    expect(isApiKeyFormat('')).toBe(false);
  });

  it('hash to the SHA-256 hex of the whole key', () => {
    // FIPS 180-2 test vector.
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const key = generateApiKey(csprng);
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(key)).not.toBe(hashApiKey(`${key.slice(0, -1)}${key.endsWith('a') ? 'b' : 'a'}`));
  });

  it('show only their first 8 characters', () => {
    expect(keyDisplayPrefix('tt-abcdefghijklmnopqrstuvwxyz0123456789ABCD')).toBe('tt-abcde');
  });
});

describe('key ids', () => {
  it('are key_ + a UUIDv7 without dashes, carrying the time of issue', () => {
    const at = new Date('2026-12-04T10:00:00.000Z');
    const id = newKeyId(at, csprng);
    expect(isKeyId(id)).toBe(true);
    expect(id.slice(4, 16)).toBe(at.getTime().toString(16).padStart(12, '0'));
    expect(id[16]).toBe('7'); // version nibble
    expect(['8', '9', 'a', 'b']).toContain(id[20]); // RFC 9562 variant
  });

  it('sort by time of issue', () => {
    const a = newKeyId(new Date('2026-01-01T00:00:00.000Z'), csprng);
    const b = newKeyId(new Date('2026-01-01T00:00:00.001Z'), csprng);
    expect(a < b).toBe(true);
  });

  it('reject other shapes', () => {
    expect(isKeyId('key_0193b5a07c3e7abc8def0123456789ab')).toBe(true);
    expect(isKeyId('key_0193B5A07C3E7ABC8DEF0123456789AB')).toBe(false);
    expect(isKeyId('key_0193b5a0-7c3e-7abc-8def-0123456789ab')).toBe(false);
    expect(isKeyId('0193b5a07c3e7abc8def0123456789ab')).toBe(false);
  });
});

describe('mintApiKey', () => {
  it('gives the secret with the id, hash and prefix that are recorded instead of it', () => {
    const minted = mintApiKey(new Date('2026-12-04T10:00:00.000Z'), csprng);
    expect(isApiKeyFormat(minted.key)).toBe(true);
    expect(minted.keyHash).toBe(hashApiKey(minted.key));
    expect(minted.prefix).toBe(minted.key.slice(0, 8));
    expect(isKeyId(minted.keyId)).toBe(true);
    expect(minted.keyId).not.toContain(minted.key.slice(3, 11));
  });
});
