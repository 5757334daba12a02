import { Envelope, GENESIS_PREV } from '@totra/events';
import { describe, expect, it } from 'vitest';
import { fastCheckApplies, isEnvelopeFast } from './envelope-check.js';

/*
 * The verifier's fast envelope check must never accept what the zod `Envelope` schema rejects.
 * These are boundary values for every field; for each, "fast says valid" must imply "zod says
 * valid". If the schema in @totra/events changes a rule, one of these should start failing.
 */
const base: Record<string, unknown> = {
  v: 1,
  id: '0190a000-0000-7000-8000-000000000001',
  type: 'TestEventRecorded',
  time: '2026-01-31T12:00:00.000Z',
  chain: 'gateway.host-1.boot1',
  seq: 2,
  prev: GENESIS_PREV,
  tenant: 'acme',
  data: { n: 1 },
  hash: 'ab'.repeat(32),
};

const variants: [string, unknown][] = [
  ['v', 0],
  ['v', 1000],
  ['v', 1001],
  ['v', 1.5],
  ['v', '1'],
  ['v', -1],
  ['id', '0190A000-0000-7000-8000-00000000000F'],
  ['id', '0190a000-0000-4000-8000-000000000001'],
  ['id', '0190a000-0000-7000-c000-000000000001'],
  ['id', '0190a000000070008000000000000001'],
  ['id', ''],
  ['type', 'Ab'],
  ['type', 'Abc'],
  ['type', 'abc'],
  ['type', `A${'b'.repeat(63)}`],
  ['type', `A${'b'.repeat(64)}`],
  ['type', 'Ab_c'],
  ['time', '2024-02-29T00:00:00.000Z'],
  ['time', '2026-02-29T00:00:00.000Z'],
  ['time', '2000-02-29T23:59:59.999Z'],
  ['time', '1900-02-29T00:00:00.000Z'],
  ['time', '2026-04-31T00:00:00.000Z'],
  ['time', '2026-13-01T00:00:00.000Z'],
  ['time', '2026-01-31T24:00:00.000Z'],
  ['time', '2026-01-31T23:60:00.000Z'],
  ['time', '2026-01-31T23:59:60.000Z'],
  ['time', '2026-01-31T12:00:00Z'],
  ['time', '2026-01-31T12:00:00.0000Z'],
  ['time', '2026-01-31T12:00:00.000+01:00'],
  ['time', '2026-01-31 12:00:00.000Z'],
  ['chain', 'a.b.c'],
  ['chain', 'A.b.c'],
  ['chain', 'a.b'],
  ['chain', 'a.b.c.d'],
  ['chain', 'notary-2.h_2.B-3'],
  ['chain', `a.b.${'c'.repeat(196)}`],
  ['chain', `a.b.${'c'.repeat(197)}`],
  ['chain', 'a.b c.d'],
  ['seq', 0],
  ['seq', 1],
  ['seq', Number.MAX_SAFE_INTEGER],
  ['seq', Number.MAX_SAFE_INTEGER + 1],
  ['seq', 1.5],
  ['seq', '1'],
  ['prev', 'AB'.repeat(32)],
  ['prev', 'a'.repeat(63)],
  ['prev', 'a'.repeat(65)],
  ['prev', `${'a'.repeat(63)}g`],
  ['hash', 'AB'.repeat(32)],
  ['hash', 'a'.repeat(63)],
  ['hash', 5],
  ['tenant', ''],
  ['tenant', 'x'.repeat(128)],
  ['tenant', 'x'.repeat(129)],
  ['tenant', 5],
  ['subject', ''],
  ['subject', 's'],
  ['subject', 'x'.repeat(128)],
  ['subject', 'x'.repeat(129)],
  ['subject', null],
  ['data', {}],
  ['data', []],
  ['data', null],
  ['data', 'x'],
  ['data', { nested: { deep: [1, 2, { x: null }] } }],
  ['data', JSON.parse('{"__proto__":{"x":1}}')],
  ['data', new Map()],
  ['sealed', { kid: 'k', alg: 'A256GCM', iv: 'aa', ct: '' }],
  ['sealed', { kid: 'k', alg: 'A256GCM', iv: 'aa', ct: 'b-_' }],
  ['sealed', { kid: 'k', alg: 'A128GCM', iv: 'aa', ct: 'bb' }],
  ['sealed', { kid: 'k', alg: 'A256GCM', iv: '', ct: 'bb' }],
  ['sealed', { kid: 'k', alg: 'A256GCM', iv: 'a=', ct: 'bb' }],
  ['sealed', { kid: '', alg: 'A256GCM', iv: 'aa', ct: 'bb' }],
  ['sealed', { kid: 'k'.repeat(200), alg: 'A256GCM', iv: 'aa', ct: 'bb' }],
  ['sealed', { kid: 'k'.repeat(201), alg: 'A256GCM', iv: 'aa', ct: 'bb' }],
  ['sealed', { kid: 'k', alg: 'A256GCM', iv: 'aa', ct: 'bb', tag: 'x' }],
  ['sealed', { kid: 'k', alg: 'A256GCM', iv: 'aa' }],
  ['sealed', null],
  ['extra', 1],
  ['__proto__', 1],
];

function withField(key: string, value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...base };
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

describe('isEnvelopeFast agrees with the Envelope schema', () => {
  it('applies: the schema still has exactly the fields it knows', () => {
    expect(fastCheckApplies).toBe(true);
  });

  it('accepts a plain valid envelope (so the fast path is actually taken)', () => {
    expect(Envelope.safeParse(base).success).toBe(true);
    expect(isEnvelopeFast(base)).toBe(true);
    expect(isEnvelopeFast(Object.assign(Object.create(null) as Record<string, unknown>, base))).toBe(
      Envelope.safeParse(Object.assign(Object.create(null) as Record<string, unknown>, base)).success,
    );
  });

  it.each(variants)('%s = %j: fast valid implies schema valid', (key, value) => {
    const candidate = withField(key, value);
    const fast = isEnvelopeFast(candidate);
    const zod = Envelope.safeParse(candidate).success;
    if (fast) expect(zod).toBe(true);
  });

  it.each(Object.keys(base))('without %s: fast valid implies schema valid', (key) => {
    const { [key]: _dropped, ...rest } = base;
    if (isEnvelopeFast(rest)) expect(Envelope.safeParse(rest).success).toBe(true);
    expect(isEnvelopeFast(rest)).toBe(false);
  });

  it('differs from the schema only where it is deliberately stricter', () => {
    // Not needed for soundness, but the fast path is only worth having if it fires on valid events.
    const stricter = variants
      .filter(([k, v]) => !isEnvelopeFast(withField(k, v)) && Envelope.safeParse(withField(k, v)).success)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    expect(stricter).toEqual(['data={"__proto__":{"x":1}}']);
  });
});
