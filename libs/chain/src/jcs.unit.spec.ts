import { describe, expect, it } from 'vitest';
import { CanonicalJsonError, canonicalBytes, canonicalJson } from './index.js';

/*
 * Reference data: https://github.com/cyberphone/json-canonicalization, folder `testdata/`
 * (the JCS reference implementation by the RFC 8785 author), copied byte for byte into
 * ./testdata/jcs/ (see its README.md). Number samples: RFC 8785 Appendix B.
 */
const CASES = ['arrays', 'french', 'structures', 'unicode', 'values', 'weird', 'simpleString'];

async function readText(path: string): Promise<string> {
  // Vite's `?raw` import returns the file's text; domain tests do no file I/O of their own.
  const mod = (await import(/* @vite-ignore */ `./testdata/jcs/${path}?raw`)) as { default: string };
  return mod.default;
}

const utf8 = new TextEncoder();

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The IEEE 754 double with the given big-endian bit pattern. */
function double(bits: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${bits}`));
  return view.getFloat64(0);
}

describe('canonicalJson: cyberphone/json-canonicalization reference test data', () => {
  it.each(CASES)('%s: input canonicalises to the exact bytes of output', async (name) => {
    const input = await readText(`input/${name}.json`);
    const expected = utf8.encode(await readText(`output/${name}.json`));
    const actual = canonicalBytes(JSON.parse(input));
    expect(toHex(actual)).toBe(toHex(expected));
  });

  it('simpleString: bytes match the published hex (outhex/simpleString.txt)', async () => {
    const hex = (await readText('outhex/simpleString.txt')).replace(/\s+/g, '').toLowerCase();
    const input = await readText('input/simpleString.json');
    expect(toHex(canonicalBytes(JSON.parse(input)))).toBe(hex);
  });

  it('keeps the CRLF input of arrays.json as published (the vector is byte-exact)', async () => {
    expect(await readText('input/arrays.json')).toContain('\r\n');
  });
});

describe('canonicalJson: RFC 8785 Appendix B number serialisation', () => {
  const samples: [string, string][] = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];

  it.each(samples)('0x%s serialises as %s', (bits, expected) => {
    expect(canonicalJson(double(bits))).toBe(expected);
    expect(canonicalJson({ n: double(bits) })).toBe(`{"n":${expected}}`);
  });

  it.each(['7fffffffffffffff', '7ff0000000000000', 'fff0000000000000'])('0x%s (NaN or an infinity) is rejected', (bits) => {
    expect(() => canonicalJson(double(bits))).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ a: [1, double(bits)] })).toThrow(/at \$\."a"\[1\]/);
  });
});

describe('canonicalJson: values JCS cannot represent are rejected with a coded error', () => {
  class Point {
    x = 1;
  }
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic['self'] = cyclic;
  const cases: [string, unknown][] = [
    ['undefined at the top', undefined],
    ['a bigint', { amount: 10n }],
    ['a function', { f: () => 1 }],
    ['a symbol', [Symbol('s')]],
    ['a Date', { at: new Date(0) }],
    ['a Map', { m: new Map([['k', 1]]) }],
    ['a Set', new Set([1])],
    ['a class instance', { p: new Point() }],
    ['a boxed string', { s: new String('x') }],
    ['a typed array', { b: new Uint8Array(2) }],
    ['a lone surrogate in a value', { s: 'a\ud800b' }],
    ['a lone surrogate in a member name', { ['\udc00']: 1 }],
    ['a cycle', cyclic],
    ['undefined in an array', [1, undefined]],
    ['an array hole', [1, , 3]],
  ];

  it.each(cases)('%s', (_name, value) => {
    let caught: unknown;
    try {
      canonicalJson(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CanonicalJsonError);
    expect((caught as CanonicalJsonError).code).toBe('TOTRA_CHAIN_JCS_UNSUPPORTED');
  });

  it('names where the bad value is', () => {
    expect(() => canonicalJson({ data: { list: [0, { when: new Date(0) }] } })).toThrow(/at \$\."data"\."list"\[1\]\."when"/);
  });
});

describe('canonicalJson: what it accepts', () => {
  it('omits object members whose value is undefined, as JSON.stringify does', () => {
    expect(canonicalJson({ b: 1, a: undefined, c: { d: undefined } })).toBe('{"b":1,"c":{}}');
  });

  it('accepts a shared (non-cyclic) reference twice', () => {
    const shared = { z: 1, y: 2 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"y":2,"z":1},"b":[{"y":2,"z":1}]}');
  });

  it('accepts null-prototype objects and sorts by UTF-16 code units, not code points', () => {
    const value = Object.assign(Object.create(null) as Record<string, number>, { '\ufffd': 1, '\u{1f600}': 2, a: 0 });
    // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FFFD.
    expect(canonicalJson(value)).toBe('{"a":0,"\u{1f600}":2,"\ufffd":1}');
  });

  it('serialises -0 as 0 and escapes control characters the ECMAScript way', () => {
    expect(canonicalJson([-0, '\u0000\u001f\u007f\u2028'])).toBe('[0,"\\u0000\\u001f\u007f\u2028"]');
  });

  it('handles deep nesting without overflowing the stack', () => {
    let value: unknown = 'leaf';
    for (let i = 0; i < 20_000; i++) value = [value];
    const text = canonicalJson(value);
    expect(text.length).toBe(20_000 * 2 + '"leaf"'.length);
    expect(text.startsWith('[[[')).toBe(true);
  });

  it('canonicalBytes is the UTF-8 encoding of canonicalJson', () => {
    const value = { 'é': '€', '😂': 1 };
    expect(toHex(canonicalBytes(value))).toBe(toHex(utf8.encode(canonicalJson(value))));
    expect(canonicalBytes(value)[2]).toBe(0xc3);
  });
});
