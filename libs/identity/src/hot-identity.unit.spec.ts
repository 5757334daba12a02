import { describe, expect, it } from 'vitest';
import { decodeHotKeyRecord, decodeTeamCidrs, encodeHotKeyRecord, escapeRedisGlob, hotIdentityLayout, type HotKeyRecord } from './hot-identity.js';

const record: HotKeyRecord = {
  keyId: 'key_0193b5a07c3e7abc8def0123456789ab',
  prefix: 'tt-AbC12',
  userId: 'u_1',
  teamId: 't_1',
  tenant: 'acme',
  cidrs: ['10.0.0.0/8'],
  expiresAt: '2027-01-01T00:00:00.000Z',
  revoked: false,
};

const toHash = (flat: string[]) => Object.fromEntries(flat.flatMap((v, i) => (i % 2 === 0 ? [[v, flat[i + 1] as string]] : [])));

describe('hot identity layout', () => {
  it('names keys under the prefix, with the key hash as a hash tag', () => {
    const l = hotIdentityLayout('totra:');
    expect(l.key('ab'.repeat(32))).toBe(`totra:key:{${'ab'.repeat(32)}}`);
    expect(l.keyId('key_1')).toBe('totra:keyid:key_1');
    expect(l.team('acme', 't_1')).toBe('totra:team:acme:t_1');
    expect([l.checkpoint, l.revokedChannel, l.teamPolicyChannel]).toEqual(['totra:quota-hot:checkpoint', 'totra:keys:revoked', 'totra:teams:policy']);
    expect(l.erasedUser('acme', 'u_1')).toBe('totra:erased:acme:u_1');
    expect(l.ownedPatterns).toEqual(['totra:key:*', 'totra:keyid:*', 'totra:team:*', 'totra:erased:*', 'totra:quota-hot:*']);
  });

  it('escapes glob characters of the prefix in scan patterns', () => {
    expect(escapeRedisGlob('a*b?c[d]\\')).toBe('a\\*b\\?c\\[d\\]\\\\');
    expect(hotIdentityLayout('t[1]:').ownedPatterns[0]).toBe('t\\[1\\]:key:*');
  });
});

describe('hot key records', () => {
  it('round-trip through the flat HSET form', () => {
    expect(decodeHotKeyRecord(toHash(encodeHotKeyRecord(record)))).toEqual(record);
    const { expiresAt: _e, ...noExpiry } = record;
    expect(decodeHotKeyRecord(toHash(encodeHotKeyRecord({ ...noExpiry, revoked: true })))).toEqual({ ...noExpiry, revoked: true });
  });

  it('is absent for an empty hash and refuses a malformed one', () => {
    expect(decodeHotKeyRecord({})).toBeUndefined();
    expect(() => decodeHotKeyRecord({ ...toHash(encodeHotKeyRecord(record)), revoked: 'yes' })).toThrow();
    expect(() => decodeHotKeyRecord({ ...toHash(encodeHotKeyRecord(record)), cidrs: '{' })).toThrow();
  });

  it('reads team allowlists, none meaning no restriction', () => {
    expect(decodeTeamCidrs(null)).toEqual([]);
    expect(decodeTeamCidrs('["10.0.0.0/8"]')).toEqual(['10.0.0.0/8']);
    expect(() => decodeTeamCidrs('[1]')).toThrow();
  });
});
