import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { unwrapKey, wrapKey } from './key-wrap.js';
import { LocalKms } from './kms.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const rnd = (n: number) => new Uint8Array(randomBytes(n));

describe('AES key wrap (RFC 3394)', () => {
  it('matches the RFC 3394 section 4.6 vector (256-bit key data, 256-bit KEK)', () => {
    const kek = hex('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F');
    const key = hex('00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F');
    const wrapped = wrapKey(kek, key);
    expect(Buffer.from(wrapped).toString('hex').toUpperCase()).toBe('28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21');
    expect(unwrapKey(kek, wrapped)).toEqual(key);
  });

  it('refuses to unwrap under another KEK', () => {
    const wrapped = wrapKey(rnd(32), rnd(32));
    expect(() => unwrapKey(rnd(32), wrapped)).toThrow(expect.objectContaining({ code: 'TOTRA_CRYPTO_UNWRAP_FAILED' }));
  });
});

describe('LocalKms', () => {
  it('wraps with the current KEK and, after rotation, still unwraps keys wrapped with the old one', async () => {
    const kms = new LocalKms({ k1: rnd(32) }, 'k1');
    const dek = rnd(32);
    const old = await kms.wrap(dek);
    expect(old.kekId).toBe('k1');
    kms.rotate('k2', rnd(32));
    const fresh = await kms.wrap(dek);
    expect(fresh.kekId).toBe('k2');
    expect(Buffer.from(fresh.wrapped).equals(Buffer.from(old.wrapped))).toBe(false);
    expect(await kms.unwrap(old)).toEqual(dek);
    expect(await kms.unwrap(fresh)).toEqual(dek);
    kms.retire('k1');
    await expect(kms.unwrap(old)).rejects.toMatchObject({ code: 'TOTRA_CRYPTO_UNKNOWN_KEK' });
    expect(() => kms.retire('k2')).toThrow(/current/);
  });

  it('rejects KEKs of the wrong size and an unknown current id', () => {
    expect(() => new LocalKms({ k1: rnd(16) }, 'k1')).toThrow(/16 bytes/);
    expect(() => new LocalKms({ k1: rnd(32) }, 'k2')).toThrow(expect.objectContaining({ code: 'TOTRA_CRYPTO_UNKNOWN_KEK' }));
  });
});
