import { createHash } from 'node:crypto';
import { GENESIS_PREV, UnhashedEnvelope, type Envelope } from '@totra/events';
import { describe, expect, it } from 'vitest';
import {
  CanonicalJsonError,
  InvalidHexError,
  bytesToHex,
  canonicalBytes,
  hashAndSerialize,
  hashEvent,
  hexToBytes,
  leafHash,
  nodeHash,
  sealEnvelope,
  serializeEvent,
  unhashed,
} from './index.js';

const utf8 = new TextEncoder();

/** An independent SHA-256 (node's OpenSSL) to check the noble-based code against. */
function referenceSha256Hex(...parts: Uint8Array[]): string {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return h.digest('hex');
}

function envelope(overrides: Partial<UnhashedEnvelope> = {}): UnhashedEnvelope {
  return UnhashedEnvelope.parse({
    v: 1,
    id: '0190a000-0000-7000-8000-000000000001',
    type: 'ChainOpened',
    time: '2026-01-31T12:00:00.000Z',
    chain: 'gateway.host-1.boot1',
    seq: 1,
    prev: GENESIS_PREV,
    tenant: 'acme',
    data: { role: 'gateway', host: 'host-1', bootId: 'boot1', writer: '0.1.0', format: 'totra-chain/1' },
    ...overrides,
  });
}

describe('RFC 6962 hashing (vectors from transparency-dev/merkle rfc6962/rfc6962_test.go)', () => {
  it('hashes the empty leaf as SHA-256(0x00)', () => {
    expect(bytesToHex(leafHash(new Uint8Array(0)))).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
  });

  it('hashes a leaf as SHA-256(0x00 || data)', () => {
    expect(bytesToHex(leafHash(utf8.encode('L123456')))).toBe('395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56');
  });

  it('hashes a node as SHA-256(0x01 || left || right)', () => {
    expect(bytesToHex(nodeHash(utf8.encode('N123'), utf8.encode('N456')))).toBe(
      'aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb',
    );
  });

  it('separates leaves from nodes and depends on child order', () => {
    const a = leafHash(utf8.encode('Hello'));
    const b = leafHash(utf8.encode('World'));
    const joined = new Uint8Array([...a, ...b]);
    expect(bytesToHex(nodeHash(a, b))).not.toBe(bytesToHex(leafHash(joined)));
    expect(bytesToHex(nodeHash(a, b))).not.toBe(bytesToHex(nodeHash(b, a)));
  });
});

describe('hashEvent', () => {
  it('is SHA-256(0x00 || JCS(envelope without hash)) in lowercase hex', () => {
    const env = envelope();
    const expected = referenceSha256Hex(new Uint8Array([0]), canonicalBytes(env));
    expect(hashEvent(env)).toBe(expected);
    expect(hashEvent(env)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ignores the stored hash field and the order of members', () => {
    const env = envelope();
    const sealed = sealEnvelope(env);
    const reordered = Object.fromEntries(Object.entries(sealed).reverse()) as Envelope;
    expect(hashEvent(sealed)).toBe(hashEvent(env));
    expect(hashEvent(reordered)).toBe(hashEvent(env));
    expect(hashEvent({ ...sealed, hash: 'f'.repeat(64) })).toBe(hashEvent(env));
  });

  it('hashes non-ASCII content as UTF-8 (long enough to grow the scratch buffer)', () => {
    const note = '€😂é'.repeat(3000);
    const env = envelope({ data: { note } });
    expect(hashEvent(env)).toBe(referenceSha256Hex(new Uint8Array([0]), canonicalBytes(env)));
  });

  it('changes when any field changes, sealed ciphertext included', () => {
    const base = envelope({ type: 'TestEventRecorded', seq: 2, prev: 'a'.repeat(64), data: { n: 1 } });
    const variants: UnhashedEnvelope[] = [
      { ...base, seq: 3 },
      { ...base, prev: 'b'.repeat(64) },
      { ...base, tenant: 'acme2' },
      { ...base, data: { n: 2 } },
      { ...base, subject: 'subj-1' },
      { ...base, sealed: { kid: 'k1', alg: 'A256GCM', iv: 'aaaa', ct: 'bbbb' } },
    ];
    const withSealed = { ...base, sealed: { kid: 'k1', alg: 'A256GCM' as const, iv: 'aaaa', ct: 'bbbc' } };
    const hashes = new Set([base, ...variants, withSealed].map((e) => hashEvent(e)));
    expect(hashes.size).toBe(variants.length + 2);
  });

  it('throws a coded error for a value JSON cannot carry', () => {
    expect(() => hashEvent(envelope({ data: { cost: Number.NaN } }))).toThrow(CanonicalJsonError);
  });
});

describe('sealEnvelope, serializeEvent, unhashed', () => {
  it('adds the hash, last, and leaves the input untouched', () => {
    const env = envelope();
    const sealed = sealEnvelope(env);
    expect(sealed.hash).toBe(hashEvent(env));
    expect(Object.keys(sealed).at(-1)).toBe('hash');
    expect('hash' in env).toBe(false);
  });

  it('recomputes a stale hash', () => {
    const env = envelope();
    const stale = { ...env, hash: '0'.repeat(64) } as UnhashedEnvelope;
    expect(sealEnvelope(stale).hash).toBe(hashEvent(env));
  });

  it('serializeEvent is the canonical JSON of the sealed envelope, hash included', () => {
    const sealed = sealEnvelope(envelope());
    const line = serializeEvent(sealed);
    expect(line.startsWith('{"chain":"gateway.host-1.boot1","data":{')).toBe(true);
    expect(line).toContain(`,"hash":"${sealed.hash}","id":`);
    expect(JSON.parse(line)).toEqual(sealed);
  });

  it('unhashed drops only the hash', () => {
    const env = envelope();
    expect(unhashed(sealEnvelope(env))).toEqual(env);
    expect(unhashed(env)).toBe(env);
  });
});

describe('hex helpers', () => {
  it('round-trip bytes and read either case', () => {
    const bytes = new Uint8Array([0, 1, 0xab, 0xff]);
    expect(bytesToHex(bytes)).toBe('0001abff');
    expect([...hexToBytes('0001ABff')]).toEqual([...bytes]);
  });

  it.each(['abc', 'zz', '0x00'])('reject %j with a coded error', (hex) => {
    expect(() => hexToBytes(hex)).toThrow(InvalidHexError);
    try {
      hexToBytes(hex);
    } catch (error) {
      expect((error as InvalidHexError).code).toBe('TOTRA_CHAIN_BAD_HEX');
    }
  });
});

describe('hashAndSerialize', () => {
  const base = {
    v: 1,
    id: '0193b5a0-7c3e-7abc-8def-0123456789ab',
    type: 'TestEventRecorded',
    time: '2026-12-04T10:00:00.000Z',
    chain: 'gateway.h.b',
    seq: 3,
    prev: 'a'.repeat(64),
    tenant: 'acme',
  };
  it.each([
    ['plain data', { n: 1, label: 'x' }],
    ['nested ids in data', { id: 'inner', items: [{ a: 1, id: 'x' }, { b: 2, id: 'y' }], label: ',"id":"trap' }],
    ['unicode and escapes', { label: 'quote " backslash \\ ,"id":" é 漢字 😀' }],
  ])('equals hashEvent + serializeEvent (%s)', (_name, data) => {
    for (const extra of [{}, { subject: 's-1' }, { sealed: { kid: 'k,"id":"1', alg: 'A256GCM' as const, iv: 'aaaa', ct: 'bbbb' } }]) {
      const env = { ...base, ...extra, data };
      const { hash, line } = hashAndSerialize(env);
      expect(hash).toBe(hashEvent(env));
      expect(line).toBe(serializeEvent({ ...env, hash }));
    }
  });
});
