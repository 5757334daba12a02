import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sealed } from '@totra/events';
import { fromBase64Url } from './bytes.js';
import { associatedData, openSealed, sealFields, type DataKey } from './seal.js';

const rnd = (n: number) => new Uint8Array(randomBytes(n));
const dk: DataKey = { kid: 'dk_test_1', key: rnd(32) };
const ctx = { eventId: '0193b5a0-7c3e-7abc-8def-0123456789ab', subject: 'subj_4821' };
const fields = { email: 'alice@example.com', name: 'Alice Ämelie Smith' };

describe('sealFields / openSealed (AES-256-GCM)', () => {
  it('seals into a valid envelope part and opens back to the same fields', () => {
    const sealed = sealFields(dk, ctx, fields, rnd);
    expect(Sealed.parse(sealed)).toEqual(sealed);
    expect(sealed).toMatchObject({ kid: 'dk_test_1', alg: 'A256GCM' });
    expect(fromBase64Url(sealed.iv)).toHaveLength(12);
    expect(JSON.stringify(sealed)).not.toContain('alice');
    expect(openSealed(dk.key, ctx, sealed)).toEqual(fields);
  });

  it('produces the same bytes as OpenSSL AES-256-GCM with associated data event id || subject || kid', () => {
    const iv = rnd(12);
    const sealed = sealFields(dk, ctx, fields, () => iv);
    const c = createCipheriv('aes-256-gcm', dk.key, iv);
    c.setAAD(associatedData({ ...ctx, kid: dk.kid }));
    const expected = Buffer.concat([c.update(JSON.stringify(fields), 'utf8'), c.final(), c.getAuthTag()]);
    expect(sealed.ct).toBe(expected.toString('base64url'));
  });

  it('uses the IV source given: a fresh IV each time gives a different ciphertext', () => {
    const a = sealFields(dk, ctx, fields, rnd);
    const b = sealFields(dk, ctx, fields, rnd);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ct).not.toBe(b.ct);
  });

  it('refuses to open under another key, event, subject or key id, or when the ciphertext changed', () => {
    const sealed = sealFields(dk, ctx, fields, rnd);
    const code = (fn: () => unknown) => {
      try {
        fn();
        return 'opened';
      } catch (err) {
        return (err as { code?: string }).code;
      }
    };
    expect(code(() => openSealed(rnd(32), ctx, sealed))).toBe('TOTRA_CRYPTO_OPEN_FAILED');
    expect(code(() => openSealed(dk.key, { ...ctx, eventId: '0193b5a0-7c3e-7abc-8def-0123456789ac' }, sealed))).toBe('TOTRA_CRYPTO_OPEN_FAILED');
    expect(code(() => openSealed(dk.key, { ...ctx, subject: 'subj_4822' }, sealed))).toBe('TOTRA_CRYPTO_OPEN_FAILED');
    expect(code(() => openSealed(dk.key, ctx, { ...sealed, kid: 'dk_test_2' }))).toBe('TOTRA_CRYPTO_OPEN_FAILED');
    const ct = fromBase64Url(sealed.ct);
    ct[0] = (ct[0] ?? 0) ^ 1;
    expect(code(() => openSealed(dk.key, ctx, { ...sealed, ct: Buffer.from(ct).toString('base64url') }))).toBe('TOTRA_CRYPTO_OPEN_FAILED');
  });

  it('keeps parts of the associated data from sliding into each other', () => {
    const a = associatedData({ eventId: 'ab', subject: 'c', kid: 'k' });
    const b = associatedData({ eventId: 'a', subject: 'bc', kid: 'k' });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('rejects keys and IVs of the wrong size', () => {
    expect(() => sealFields({ kid: 'k', key: rnd(16) }, ctx, fields, rnd)).toThrow(/32 bytes/);
    expect(() => sealFields(dk, ctx, fields, () => rnd(8))).toThrow(/12 bytes/);
  });
});
