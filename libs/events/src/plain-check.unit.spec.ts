import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { prng } from '@totra/testing/prng';
import { compilePlainCheck } from './plain-check.js';
import { coreEvents } from './registry.js';

/** Canonical text of plain data (sorted members, undefined members dropped), for comparing outputs. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
  });
}

/** What the plain check must answer: zod accepts the value and gives the same data back. */
function zodKeepsIt(schema: z.ZodType, value: unknown): boolean {
  const r = schema.safeParse(value);
  return r.success && canonical(r.data) === canonical(value);
}

const HEX32 = '0123456789abcdef'.repeat(2);
/** Strings that match the patterns of the event schemas, and near misses of them. */
const STRINGS = [
  '', 'a', 'A', 'u-bench', 'team.a_1', 'acme', 'gpt-4o', 'openai', 'openai:gpt-4o', 'stop', 'bad key', ' lead',
  `key_${HEX32}`, `key_${HEX32.toUpperCase()}`, `key_${HEX32}0`, `qr_${HEX32}`, 'TOTRA_UPSTREAM_ERROR', 'TOTRA_', 'totra_x',
  'BUDGET_EXCEEDED', 'X', 'd:2026-12-31', 'w:2026-W53', 'm:2026-12', 't', 'b1/m:2026-12', 'b1/t', 'b1/x', '2026-12', '2026-13',
  '10.0.0.0/8', '2001:db8::/32', '10.0.0.0', 'a'.repeat(64).replace(/a/g, 'f'), 'F'.repeat(64), 'abc/def@x+y#z', 'e-mail', 'email',
  'x'.repeat(50), 'x'.repeat(51), 'x'.repeat(100), 'x'.repeat(101), 'x'.repeat(128), 'x'.repeat(129), 'x'.repeat(200), 'x'.repeat(201),
  // Astral characters: one code point, two UTF-16 units (zod counts code points).
  '😀'.repeat(50), '😀'.repeat(51), '😀'.repeat(100), '😀'.repeat(101), `${'😀'.repeat(99)}ab`, '\ud800', 'a\udc00b', 'é', 'line\nbreak',
];
const ODD = [undefined, null, 0, -0, 1, -1, 1.5, 99, 100, 599, 600, 2 ** 53, Number.MAX_SAFE_INTEGER, NaN, Infinity, -Infinity, true, false, '1', [], {}, [1], { a: 1 }];

function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)] as T;
}

interface Def {
  type: string;
  checks?: { _zod: { def: { check: string; pattern?: RegExp; minimum?: number; maximum?: number; value?: unknown } } }[];
  innerType?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  options?: z.ZodType[];
}
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;
const valuesOf = (s: z.ZodType): unknown[] => [...((s as unknown as { _zod: { values: Set<unknown> } })._zod.values)];

/** Per leaf schema, the candidates zod accepts (numbers drawn at random are left out: kept stable). */
const VALID_LEAVES = new WeakMap<z.ZodType, unknown[]>();

/**
 * A value for `schema`. With `fault` 0 a valid one (leaves are picked among candidates zod
 * accepts); otherwise every node is, with that probability, a near miss or anything at all.
 */
function generate(schema: z.ZodType, rnd: () => number, fault: number, depth = 0): unknown {
  const faulty = () => rnd() < fault;
  if (faulty()) return pick(rnd, ODD);
  const def = defOf(schema);
  const leaf = (candidates: readonly unknown[]) => {
    let valid = VALID_LEAVES.get(schema);
    if (!valid) VALID_LEAVES.set(schema, (valid = candidates.filter((c) => schema.safeParse(c).success)));
    return faulty() || !valid.length ? pick(rnd, candidates) : pick(rnd, valid);
  };
  switch (def.type) {
    case 'string':
      return leaf(STRINGS);
    case 'number': {
      const bounds = (def.checks ?? []).map((c) => c._zod.def.value).filter((v): v is number => typeof v === 'number');
      return rnd() < 0.3 && !faulty() && schema.safeParse(7).success ? Math.floor(rnd() * 1000) : leaf([...bounds.flatMap((b) => [b - 1, b, b + 0.5, b + 1]), ...ODD, 7, 42]);
    }
    case 'boolean':
    case 'null':
    case 'enum':
    case 'literal':
      return leaf([...(def.type === 'enum' || def.type === 'literal' ? valuesOf(schema) : []), ...STRINGS.slice(0, 8), ...ODD]);
    case 'optional':
      return rnd() < 0.3 ? undefined : generate(def.innerType!, rnd, fault, depth);
    case 'nullable':
      return rnd() < 0.3 ? null : generate(def.innerType!, rnd, fault, depth);
    case 'array': {
      const n = depth > 3 ? 0 : Math.floor(rnd() * 4);
      return Array.from({ length: n }, () => generate(def.element!, rnd, fault, depth + 1));
    }
    case 'union':
      return generate(pick(rnd, def.options!), rnd, fault, depth);
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [name, member] of Object.entries(def.shape!)) {
        if (faulty()) {
          if (rnd() < 0.5) continue; // a member left out
          out[name] = undefined; // present but undefined
        } else out[name] = generate(member, rnd, fault, depth + 1);
      }
      if (faulty()) out[pick(rnd, ['extra', 'constructor', '__proto__', 'toString'])] = 'x';
      return out;
    }
    default:
      return pick(rnd, ODD);
  }
}

describe('compilePlainCheck', () => {
  it('answers as zod does for every event schema it compiles, over generated data and near misses', () => {
    const rnd = prng(20261205);
    const compiled = coreEvents.flatMap((d) => {
      const check = compilePlainCheck(d.data);
      return check ? [{ d, check }] : [];
    });
    // The events on the request path must take the fast path (the reason the check exists).
    expect(compiled.map((c) => c.d.type)).toEqual(
      expect.arrayContaining(['RequestCompleted', 'RequestRejected', 'RequestFailed', 'SpendRecorded', 'PiiRedacted', 'RequestContentLogged']),
    );
    for (const { d, check } of compiled) {
      let accepted = 0;
      for (let n = 0; n < 1500; n++) {
        const value = generate(d.data, rnd, pick(rnd, [0, 0, 0.01, 0.03, 0.1]));
        const expected = zodKeepsIt(d.data, value);
        if (check(value) !== expected) {
          throw new Error(`${d.type}: plain check says ${!expected}, zod says ${expected} for ${canonical(value)}`);
        }
        if (expected) accepted++;
      }
      // Both verdicts were exercised: enough generated data was valid, and enough was not.
      expect(accepted, `${d.type}: valid samples`).toBeGreaterThan(50);
      expect(accepted, `${d.type}: invalid samples`).toBeLessThan(1450);
    }
  });

  const cases: [string, z.ZodType, unknown, boolean][] = [
    ['a string at its maximum in code points (astral)', z.string().max(3), '😀😀😀', true],
    ['a string over its maximum in code points', z.string().max(3), '😀😀😀😀', false],
    ['a string under its minimum in code points but not in units', z.string().min(2), '😀', false],
    ['a lone surrogate counts as one code point', z.string().length(1), '\ud800', true],
    ['a global regex is tested from the start every time', z.string().regex(/^a+$/g), 'aaa', true],
    ['NaN is not a number', z.number(), NaN, false],
    ['Infinity is not a number', z.number(), Infinity, false],
    ['-0 is a number', z.number().min(0), -0, true],
    ['1.5 is not an integer', z.int(), 1.5, false],
    ['2^53 is not a safe integer', z.number().int(), 2 ** 53, false],
    ['an exclusive bound', z.number().gt(0), 0, false],
    ['an unknown member of a strict object', z.object({ a: z.string() }).strict(), { a: 'x', b: 1 }, false],
    ['an unknown member that is undefined', z.object({ a: z.string() }).strict(), { a: 'x', b: undefined }, false],
    ['an optional member left out', z.object({ a: z.string().optional() }).strict(), {}, true],
    ['an optional member present as undefined', z.object({ a: z.string().optional() }).strict(), { a: undefined }, true],
    ['a required member left out', z.object({ a: z.string() }).strict(), {}, false],
    ['null for a nullable member', z.object({ a: z.string().nullable() }).strict(), { a: null }, true],
    ['undefined for a nullable member', z.object({ a: z.string().nullable() }).strict(), { a: undefined }, false],
    ['an array hole', z.array(z.string()), [, 'a'], false],
    ['an array over its maximum', z.array(z.string()).max(1), ['a', 'b'], false],
    ['a union option', z.union([z.literal('a'), z.number()]), 3, true],
    ['no union option', z.union([z.literal('a'), z.number()]), 'b', false],
    ['an enum value', z.enum(['x', 'y']), 'y', true],
  ];
  it.each(cases)('%s', (_name, schema, value, expected) => {
    const check = compilePlainCheck(schema)!;
    expect(check).toBeTypeOf('function');
    expect(check(value)).toBe(expected);
    expect(zodKeepsIt(schema, value)).toBe(expected);
  });

  it('leaves objects that are not plain to zod (its output would be a plain copy)', () => {
    const check = compilePlainCheck(z.object({ a: z.string() }).strict())!;
    class Holder {
      a = 'x';
    }
    expect(check(new Holder())).toBe(false);
    expect(check(Object.assign(Object.create(null) as object, { a: 'x' }))).toBe(true);
    class List extends Array<string> {}
    expect(compilePlainCheck(z.array(z.string()))!(List.from(['a']))).toBe(false);
  });

  it.each<[string, z.ZodType]>([
    ['a default', z.object({ a: z.string().default('x') }).strict()],
    ['a transform', z.string().transform((s) => s.trim())],
    ['a trimming check', z.string().trim()],
    ['a refinement', z.string().refine((s) => s.length > 1)],
    ['a string format', z.email()],
    ['a uuid', z.string().uuid()],
    ['coercion', z.coerce.number()],
    ['a stripping object', z.object({ a: z.string() })],
    ['a passthrough object', z.object({ a: z.string() }).passthrough()],
    ['a record', z.record(z.string(), z.number())],
    ['an exclusive union', z.xor([z.string(), z.number()])],
    ['a multiple-of check', z.number().multipleOf(5)],
    ['an int32', z.int32()],
    ['unknown', z.unknown()],
  ])('does not compile a schema with %s (zod answers)', (_name, schema) => {
    expect(compilePlainCheck(schema)).toBeUndefined();
  });
});
