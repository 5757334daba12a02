import type { z } from 'zod';

/**
 * A yes/no test with the outcome of `schema.safeParse(value)` for schemas whose parsed output is
 * the input itself: true only when zod would accept `value` and give back the same data. It
 * allocates nothing, where zod builds a result object per field (what made validating events
 * the gateway's largest allocation). A false answer means "ask zod", which then gives the
 * verdict and its messages: the check may refuse more than zod, never accept more (ADR 0017).
 */
export type PlainCheck = (value: unknown) => boolean;

/** What is read of a zod schema: its definition (`_zod.def`) and the set of an enum's or literal's values. */
interface Internals {
  readonly def: {
    readonly type: string;
    readonly coerce?: boolean;
    /** Set on format schemas (`z.int()`, `z.email()`): the schema is itself a check. */
    readonly check?: string;
    readonly format?: string;
    readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[];
    readonly innerType?: z.ZodType;
    readonly element?: z.ZodType;
    readonly shape?: Record<string, z.ZodType>;
    readonly catchall?: z.ZodType;
    readonly options?: readonly z.ZodType[];
    readonly inclusive?: boolean;
  };
  readonly values?: ReadonlySet<unknown>;
  readonly optin?: string;
  readonly optout?: string;
}

interface CheckDef {
  readonly check: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly length?: number;
  readonly value?: unknown;
  readonly inclusive?: boolean;
  readonly format?: string;
  readonly pattern?: RegExp;
}

function internals(schema: z.ZodType): Internals {
  return (schema as unknown as { _zod: Internals })._zod;
}

/** Length in Unicode code points (a surrogate pair counts once), as zod measures strings. */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    if ((s.charCodeAt(i) & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n--;
      i++;
    }
  }
  return n;
}

type Test<T> = (value: T) => boolean;

/** A string check of zod (length in code points, regex), or undefined for any other kind. */
function stringCheck(c: CheckDef): Test<string> | undefined {
  switch (c.check) {
    case 'min_length': {
      const min = c.minimum!;
      // Fewer units than the floor never reach it; twice the floor always does.
      return (s) => s.length >= 2 * min || (s.length >= min && codePoints(s) >= min);
    }
    case 'max_length': {
      const max = c.maximum!;
      return (s) => s.length <= max || codePoints(s) <= max;
    }
    case 'length_equals': {
      const len = c.length!;
      return (s) => s.length >= len && s.length <= 2 * len && codePoints(s) === len;
    }
    case 'string_format': {
      const pattern = c.pattern;
      if (c.format !== 'regex' || !(pattern instanceof RegExp)) return undefined;
      return (s) => {
        pattern.lastIndex = 0;
        return pattern.test(s);
      };
    }
    default:
      return undefined;
  }
}

/** A number check of zod (bounds, safe integer), or undefined for any other kind. */
function numberCheck(c: CheckDef): Test<number> | undefined {
  switch (c.check) {
    case 'greater_than': {
      const bound = c.value;
      if (typeof bound !== 'number') return undefined;
      return c.inclusive ? (n) => n >= bound : (n) => n > bound;
    }
    case 'less_than': {
      const bound = c.value;
      if (typeof bound !== 'number') return undefined;
      return c.inclusive ? (n) => n <= bound : (n) => n < bound;
    }
    case 'number_format':
      return c.format === 'safeint' ? (n) => Number.isSafeInteger(n) : undefined;
    default:
      return undefined;
  }
}

/** A length check on an array (no code points there), or undefined. */
function arrayCheck(c: CheckDef): Test<readonly unknown[]> | undefined {
  switch (c.check) {
    case 'min_length':
      return (a) => a.length >= c.minimum!;
    case 'max_length':
      return (a) => a.length <= c.maximum!;
    case 'length_equals':
      return (a) => a.length === c.length!;
    default:
      return undefined;
  }
}

/** All of a schema's checks through `make`, or undefined when one of them is not understood. */
function allChecks<T>(i: Internals, make: (c: CheckDef) => Test<T> | undefined): Test<T>[] | undefined {
  const tests: Test<T>[] = [];
  // A format schema (`z.int()`) carries its own check in its definition, besides `checks`.
  if (i.def.check !== undefined) {
    const own = make(i.def as unknown as CheckDef);
    if (!own) return undefined;
    tests.push(own);
  }
  for (const c of i.def.checks ?? []) {
    const test = make(c._zod.def);
    if (!test) return undefined;
    tests.push(test);
  }
  return tests;
}

function passes<T>(tests: readonly Test<T>[], value: T): boolean {
  for (const test of tests) if (!test(value)) return false;
  return true;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Compiles `schema` into a `PlainCheck`, or returns undefined when it uses anything whose output
 * may differ from its input or whose rules are not reproduced here: coercion, defaults,
 * transforms, refinements, string formats other than a regex, non-strict objects (they strip
 * unknown members), records, tuples, exclusive unions... Understood: strings (length, regex),
 * finite numbers (bounds, safe integers), booleans, enums, literals, null, optional, nullable,
 * arrays (of plain arrays), strict objects (of plain objects) and unions.
 */
export function compilePlainCheck(schema: z.ZodType): PlainCheck | undefined {
  const i = internals(schema);
  const def = i.def;
  if (def.coerce) return undefined;
  switch (def.type) {
    case 'string': {
      const tests = allChecks(i, stringCheck);
      if (!tests) return undefined;
      return (v) => typeof v === 'string' && passes(tests, v);
    }
    case 'number': {
      const tests = allChecks(i, numberCheck);
      if (!tests) return undefined;
      return (v) => typeof v === 'number' && Number.isFinite(v) && passes(tests, v);
    }
    case 'boolean':
      return def.checks?.length ? undefined : (v) => typeof v === 'boolean';
    case 'null':
      return (v) => v === null;
    case 'enum':
    case 'literal': {
      const values = i.values;
      if (!values || def.checks?.length) return undefined;
      return (v) => values.has(v);
    }
    case 'optional':
    case 'nullable': {
      const inner = def.innerType && compilePlainCheck(def.innerType);
      if (!inner || def.checks?.length) return undefined;
      return def.type === 'optional' ? (v) => v === undefined || inner(v) : (v) => v === null || inner(v);
    }
    case 'array': {
      const element = def.element && compilePlainCheck(def.element);
      const tests = allChecks(i, arrayCheck);
      if (!element || !tests) return undefined;
      return (v) => {
        if (!Array.isArray(v) || Object.getPrototypeOf(v) !== Array.prototype || !passes(tests, v)) return false;
        for (let k = 0; k < v.length; k++) if (!element(v[k])) return false;
        return true;
      };
    }
    case 'object':
      return compileStrictObject(i);
    case 'union': {
      // `inclusive: false` is an exclusive union (exactly one option may match).
      if (def.inclusive === false || !def.options || def.checks?.length) return undefined;
      const options: PlainCheck[] = [];
      for (const option of def.options) {
        const check = compilePlainCheck(option);
        if (!check) return undefined;
        options.push(check);
      }
      return (v) => {
        for (const option of options) if (option(v)) return true;
        return false;
      };
    }
    default:
      return undefined;
  }
}

function compileStrictObject(i: Internals): PlainCheck | undefined {
  const { shape, catchall, checks } = i.def;
  // Only `.strict()`: a stripping object gives back less than it was given.
  if (!shape || !catchall || internals(catchall).def.type !== 'never' || checks?.length) return undefined;
  const names = Object.keys(shape);
  const known = new Set(names);
  const members: { name: string; check: PlainCheck; optional: boolean }[] = [];
  for (const name of names) {
    const member = internals(shape[name]!);
    const check = compilePlainCheck(shape[name]!);
    // Optional in and out is `.optional()`; any other pairing (defaults, catch) changes the output.
    if (!check || member.optin !== member.optout) return undefined;
    members.push({ name, check, optional: member.optin === 'optional' });
  }
  return (v) => {
    if (!isPlainObject(v)) return false;
    for (const name in v) if (!known.has(name)) return false;
    for (const m of members) {
      if (m.optional && !(m.name in v)) continue;
      if (!m.check(v[m.name])) return false;
    }
    return true;
  };
}
