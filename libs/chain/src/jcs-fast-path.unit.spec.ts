import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { CanonicalJsonError, canonicalJson } from './index.js';
import { canonicalPlain, inCanonicalOrder } from './jcs.js';
import { prng } from '@totra/testing/prng';

/*
 * `canonicalJson` serialises plain data in one recursive pass and hands anything else to the
 * checked path (`canonicalize` after a representability walk). Property: on plain data the fast
 * pass gives exactly the bytes of the `canonicalize` reference, for many generated events.
 */


const PIECES = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u0000', '\u001f', '\u007f', '\u00e9', '\u20ac', '\u2028', '\u2029', '\ufeff', '\ud83d\ude00', '\u{10ffff}', 'é', '日本', 'key', '-', '_', '.', '\r'];

function text(r: () => number, max = 12): string {
  let s = '';
  const n = Math.floor(r() * max);
  for (let i = 0; i < n; i++) s += r() < 0.3 ? String.fromCharCode(0x20 + Math.floor(r() * 0x5f)) : PIECES[Math.floor(r() * PIECES.length)]!;
  return s;
}

const NUMBERS = [0, -0, 1, -1, 0.1, 1e21, 1e-7, 123456789012345680000, 5e-324, -5e-324, 1.7976931348623157e308, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 53, 0.000001, 1e-6, 333333333.3333333, 9.999999999999997e22];

function num(r: () => number): number {
  const k = r();
  if (k < 0.3) return NUMBERS[Math.floor(r() * NUMBERS.length)]!;
  if (k < 0.6) return Math.floor(r() * 2 ** 32) - 2 ** 31;
  if (k < 0.8) return (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
  // Arbitrary bit patterns that are finite doubles.
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, Math.floor(r() * 2 ** 32));
  view.setUint32(4, Math.floor(r() * 2 ** 32));
  const d = view.getFloat64(0);
  return Number.isFinite(d) ? d : 0;
}

function value(r: () => number, depth: number): unknown {
  const k = r();
  if (depth > 4 || k < 0.45) {
    const p = r();
    if (p < 0.4) return text(r);
    if (p < 0.75) return num(r);
    if (p < 0.88) return r() < 0.5;
    return null;
  }
  if (k < 0.7) return Array.from({ length: Math.floor(r() * 5) }, () => value(r, depth + 1));
  const o: Record<string, unknown> = r() < 0.1 ? (Object.create(null) as Record<string, unknown>) : {};
  // Mostly a few members (sorted by insertion), sometimes more than 32 (sorted by `sort`).
  const n = r() < 0.05 ? 33 + Math.floor(r() * 12) : Math.floor(r() * 7);
  for (let i = 0; i < n; i++) {
    // Integer-like names too: objects list those first, RFC 8785 sorts them as strings.
    const name = r() < 0.15 ? String(Math.floor(r() * 1000)) : text(r, 6);
    o[name] = r() < 0.08 ? undefined : value(r, depth + 1);
  }
  return o;
}

/** An event envelope as the chain writer hashes it, with generated data. */
function envelope(r: () => number): Record<string, unknown> {
  return {
    v: 1 + Math.floor(r() * 3),
    id: '0190f3a2-7b1c-7d2e-8f3a-' + Math.floor(r() * 2 ** 48).toString(16).padStart(12, '0'),
    type: r() < 0.5 ? 'RequestCompleted' : 'SpendRecorded',
    time: new Date(Math.floor(r() * 4e12)).toISOString(),
    chain: `gateway.${text(r, 8) || 'h'}.boot`,
    seq: 1 + Math.floor(r() * 1e9),
    prev: 'ab'.repeat(32),
    tenant: text(r, 10) || 't',
    ...(r() < 0.5 ? { subject: text(r, 10) || 's' } : {}),
    data: {
      requestId: text(r, 20),
      tokens: { input: num(r), output: num(r), cachedInput: 0, reasoning: 0, estimated: r() < 0.5 },
      latency: { overheadUs: num(r), upstreamUs: num(r), totalUs: num(r) },
      finishReason: r() < 0.5 ? null : text(r, 8),
      extra: value(r, 0),
      scopes: Array.from({ length: Math.floor(r() * 4) }, () => text(r, 12)),
    },
    ...(r() < 0.2 ? { sealed: { kid: 'k1', alg: 'A256GCM', iv: 'aaaa', ct: 'bbbb' } } : {}),
  };
}

describe('canonicalJson fast path', () => {
  it('gives the bytes of the canonicalize reference for 5,000 generated events', () => {
    for (let seed = 1; seed <= 5000; seed++) {
      const v = envelope(prng(seed));
      const expected = canonicalize(v);
      // The fast pass itself, not a fallback: it must take every plain value.
      const actual = canonicalPlain(v, 0);
      if (actual !== expected) expect({ seed, actual }).toEqual({ seed, actual: expected });
    }
  });

  it('gives the bytes of the canonicalize reference for 5,000 generated JSON values', () => {
    for (let seed = 1; seed <= 5000; seed++) {
      const v = value(prng(seed * 7919), 0);
      const expected = canonicalize(v);
      const actual = canonicalPlain(v, 0);
      if (actual !== expected) expect({ seed, actual }).toEqual({ seed, actual: expected });
    }
  });

  it('keeps its cache of member names bounded: more distinct names than it holds, twice over, serialise the same', () => {
    const wide: Record<string, number> = {};
    for (let i = 0; i < 5000; i++) wide[`name-${i}-\u00e9"\n`] = i;
    expect(canonicalPlain(wide, 0)).toBe(canonicalize(wide));
    expect(canonicalPlain(wide, 0)).toBe(canonicalize(wide));
  });

  it('hands values it does not take to the checked path, which names them', () => {
    expect(canonicalPlain({ a: [1, { b: '\ud800' }] }, 0)).toBeUndefined();
    expect(() => canonicalJson({ a: [1, { b: '\ud800' }] })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ a: [1, { b: '\ud800' }] })).toThrow(/lone surrogate.*\$\.\"a\"\[1\]\.\"b\"/);
    expect(() => canonicalJson({ when: new Date(0) })).toThrow(/non-plain object \(Date\)/);
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/the number NaN/);
    expect(() => canonicalJson([1, undefined])).toThrow(/undefined \(or a hole\)/);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = { back: cyclic };
    expect(() => canonicalJson(cyclic)).toThrow(/circular reference/);
  });

  it('serialises nesting deeper than the recursive pass takes, through the iterative one', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 200; i++) deep = i % 2 ? [deep] : { k: deep };
    expect(canonicalPlain(deep, 0)).toBeUndefined();
    expect(canonicalJson(deep)).toBe(canonicalize(deep));
  });

  /** `value` rebuilt with every object's members inserted in canonical order. */
  function sortedCopy(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(sortedCopy);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = Object.getPrototypeOf(v) === null ? (Object.create(null) as Record<string, unknown>) : {};
    for (const k of Object.keys(v).sort()) out[k] = sortedCopy((v as Record<string, unknown>)[k]);
    return out;
  }

  it('takes JSON.stringify for data already in canonical order, with the bytes of the reference', () => {
    let taken = 0;
    for (let seed = 1; seed <= 5000; seed++) {
      const r = prng(seed * 104729);
      const original = seed % 2 ? envelope(r) : value(r, 0);
      const expected = canonicalize(original);
      for (const v of [original, sortedCopy(original)]) {
        if (!inCanonicalOrder(v, 0)) continue;
        if (v !== original) taken++;
        const actual = JSON.stringify(v);
        if (actual !== expected) expect({ seed, actual }).toEqual({ seed, actual: expected });
        expect(canonicalJson(v)).toBe(expected);
      }
    }
    // Most sorted copies of objects qualify (not those with integer-like names or lone surrogates).
    expect(taken).toBeGreaterThan(2000);
  });

  it.each<[string, unknown, boolean]>([
    ['members in order', { a: 1, b: { c: [true, null, 'x'] } }, true],
    ['members out of order', { b: 1, a: 2 }, false],
    ['a nested object out of order', { a: { z: 1, y: 2 } }, false],
    ['integer-like names (listed numerically, "9" before "10")', { 9: 'a', 10: 'b' }, false],
    ['an undefined member in order (left out by both)', { a: 1, b: undefined, c: 3 }, true],
    ['an undefined member out of order', { b: undefined, a: 1 }, false],
    ['undefined in an array', [1, undefined], false],
    ['an array hole', [1, , 3], false],
    ['a lone surrogate in a value', { a: '\udc00' }, false],
    ['a lone surrogate in a name', { '\ud800': 1 }, false],
    ['NaN', { a: Number.NaN }, false],
    ['-0 (written 0 by both)', { a: -0 }, true],
    ['a Date', { a: new Date(0) }, false],
    ['a function', { a: () => 1 }, false],
    ['an object without a prototype', Object.assign(Object.create(null) as object, { a: 1, b: 2 }), true],
    ['a class instance', new (class Point { x = 1; y = 2; })(), false],
    ['code-unit order: "Z" (U+005A) before "a" (U+0061), "é" after both', { Z: 1, a: 2, é: 3 }, true],
    ['code-unit order, not code points: U+FF61 after U+1F600 (surrogates)', { '\u{1F600}': 1, '\uFF61': 2 }, true],
  ])('decides %s', (_name, v, expected) => {
    expect(inCanonicalOrder(v, 0)).toBe(expected);
    if (expected) expect(JSON.stringify(v)).toBe(canonicalize(v));
  });
});
