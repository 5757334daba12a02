import canonicalize from 'canonicalize';
import { CanonicalJsonError } from './errors.js';

const utf8 = new TextEncoder();

interface Frame {
  readonly value: unknown;
  readonly parent: Frame | null;
  readonly key: string | number;
}

function pathOf(frame: Frame): string {
  const parts: string[] = [];
  for (let f: Frame | null = frame; f?.parent; f = f.parent) {
    parts.push(typeof f.key === 'number' ? `[${f.key}]` : `.${JSON.stringify(f.key)}`);
  }
  return `$${parts.reverse().join('')}`;
}

function isWellFormed(s: string): boolean {
  // ES2024 String.prototype.isWellFormed (Node >= 20); the lib target here is ES2023.
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/**
 * Rejects what RFC 8785 cannot represent instead of letting JSON.stringify rules silently drop
 * or rewrite it (a `Map` would become `{}`, a `Date` a string, an array hole `null`).
 * Iterative, so deep nesting cannot overflow the call stack.
 */
function assertRepresentable(root: unknown): void {
  const stack: (Frame | { exit: object })[] = [{ value: root, parent: null, key: '' }];
  const ancestors = new Set<object>();
  while (stack.length > 0) {
    const item = stack.pop()!;
    if ('exit' in item) {
      ancestors.delete(item.exit);
      continue;
    }
    const value = item.value;
    switch (typeof value) {
      case 'string':
        if (!isWellFormed(value)) throw new CanonicalJsonError('a string with a lone surrogate', pathOf(item));
        continue;
      case 'number':
        if (!Number.isFinite(value)) throw new CanonicalJsonError(`the number ${value}`, pathOf(item));
        continue;
      case 'boolean':
        continue;
      case 'object':
        break;
      default:
        throw new CanonicalJsonError(`a value of type ${typeof value}`, pathOf(item));
    }
    if (value === null) continue;
    if (ancestors.has(value)) throw new CanonicalJsonError('a circular reference', pathOf(item));
    ancestors.add(value);
    stack.push({ exit: value });
    if (Array.isArray(value)) {
      if (Object.getPrototypeOf(value) !== Array.prototype) {
        throw new CanonicalJsonError('an array subclass', pathOf(item));
      }
      for (let i = value.length - 1; i >= 0; i--) {
        const element: unknown = value[i];
        if (element === undefined) throw new CanonicalJsonError('undefined (or a hole) in an array', pathOf({ value: element, parent: item, key: i }));
        stack.push({ value: element, parent: item, key: i });
      }
      continue;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      throw new CanonicalJsonError(`a non-plain object (${typeof name === 'string' ? name : 'unknown class'})`, pathOf(item));
    }
    for (const key of Object.keys(value)) {
      const member: unknown = (value as Record<string, unknown>)[key];
      // An undefined member is omitted, as JSON.stringify does, so optional fields may be left undefined.
      if (member === undefined) continue;
      const frame = { value: member, parent: item, key };
      if (!isWellFormed(key)) throw new CanonicalJsonError('a member name with a lone surrogate', pathOf(frame));
      stack.push(frame);
    }
  }
}

/**
 * RFC 8785 (JCS) canonical JSON text of a JSON value: members sorted by UTF-16 code units, no
 * whitespace, ECMAScript number and string serialisation.
 *
 * Accepts plain objects, arrays, strings, finite numbers, booleans and null; object members
 * whose value is `undefined` are omitted. Throws `CanonicalJsonError`
 * (`TOTRA_CHAIN_JCS_UNSUPPORTED`) for anything else, rather than serialising it lossily.
 */
export function canonicalJson(value: unknown): string {
  // Plain data already in canonical member order (how the chain writer and the request path
  // build events) is what JSON.stringify writes: the engine's serialiser does the work.
  if (inCanonicalOrder(value, 0)) return JSON.stringify(value);
  const fast = canonicalPlain(value, 0);
  if (fast !== undefined) return fast;
  // Something the fast path does not handle: the full checks name what and where.
  assertRepresentable(value);
  return canonicalizeTrusted(value);
}

/** Nesting beyond which the fast path hands over to the iterative one (which also finds cycles). */
const FAST_DEPTH = 64;

/**
 * True when `JSON.stringify(value)` is the canonical text of `value`: plain data (plain objects,
 * plain arrays without holes or undefined, well-formed strings, finite numbers, booleans, null)
 * whose object members are listed in RFC 8785 order (strictly increasing UTF-16 code units; a
 * member whose value is undefined is skipped, as both leave it out). Number and string
 * serialisation are ECMAScript's in both. Checks only, allocates nothing; any doubt is false.
 * @internal
 */
export function inCanonicalOrder(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
      return isWellFormed(value);
    case 'number':
      return Number.isFinite(value);
    case 'boolean':
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth > FAST_DEPTH) return false;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return false;
    for (let i = 0; i < value.length; i++) {
      const element: unknown = value[i];
      if (element === undefined || !inCanonicalOrder(element, depth + 1)) return false;
    }
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  let previous: string | undefined;
  // Own names in the order JSON.stringify writes them (integer-like names first, ascending by
  // value: "9" before "10", out of canonical order, so such objects are refused here), then any
  // inherited enumerable ones, which it skips: checking those too only refuses more.
  for (const name in value) {
    if (previous !== undefined && !(previous < name)) return false;
    previous = name;
    const member: unknown = (value as Record<string, unknown>)[name];
    if (member === undefined) continue;
    if (!isWellFormed(name) || !inCanonicalOrder(member, depth + 1)) return false;
  }
  return true;
}

/**
 * Appends a JSON string literal to `out`: the text between quotes when nothing in it needs
 * escaping (the usual case; the text itself is not copied), else `JSON.stringify`'s escaping,
 * which is RFC 8785's. False for a lone surrogate.
 */
function pushQuoted(out: string[], s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) {
      if (!isWellFormed(s)) return false;
      out.push(JSON.stringify(s));
      return true;
    }
  }
  out.push('"', s, '"');
  return true;
}

/** Member names as JSON literals with their colon (`"name":`): events repeat the same few names. */
const NAMES = new Map<string, string>();
const MAX_NAMES = 4096;

function nameLiteral(name: string): string | undefined {
  const known = NAMES.get(name);
  if (known !== undefined) return known;
  const quoted: string[] = [];
  if (!pushQuoted(quoted, name)) return undefined;
  const literal = `${quoted.join('')}:`;
  // Arbitrary names (a metadata record's keys) must not grow it without bound.
  if (NAMES.size >= MAX_NAMES) NAMES.clear();
  NAMES.set(name, literal);
  return literal;
}

/**
 * Sorts member names by UTF-16 code units, the order RFC 8785 requires (`<` on strings compares
 * code units, as the default `sort` does): insertion sort for the few members of most objects.
 */
function sortNames(names: string[]): void {
  if (names.length > 32) {
    names.sort();
    return;
  }
  for (let i = 1; i < names.length; i++) {
    const name = names[i]!;
    let j = i - 1;
    while (j >= 0 && names[j]! > name) {
      names[j + 1] = names[j]!;
      j--;
    }
    names[j + 1] = name;
  }
}

/**
 * The canonical text of plain JSON data (plain objects, arrays, well-formed strings, finite
 * numbers, booleans, null; undefined members omitted) in one recursive pass, the same bytes as
 * `canonicalize` gives it; undefined for anything else (the caller then takes the checked path).
 * Events are plain data, so hashing one takes this path only. The pieces go into one array,
 * joined once: the only string it makes is the result (and the literals of names it has not seen).
 * @internal
 */
export function canonicalPlain(value: unknown, depth: number): string | undefined {
  const out: string[] = [];
  return writePlain(out, value, depth) ? out.join('') : undefined;
}

function writePlain(out: string[], value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
      return pushQuoted(out, value);
    case 'number':
      // ECMAScript number serialisation, as RFC 8785 requires (-0 becomes 0), as JSON.stringify gives it.
      if (!Number.isFinite(value)) return false;
      out.push(String(value));
      return true;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) {
    out.push('null');
    return true;
  }
  if (depth > FAST_DEPTH) return false;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return false;
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      const element: unknown = value[i];
      if (element === undefined) return false;
      if (i > 0) out.push(',');
      if (!writePlain(out, element, depth + 1)) return false;
    }
    out.push(']');
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const names = Object.keys(value);
  sortNames(names);
  out.push('{');
  let first = true;
  for (const name of names) {
    const member: unknown = (value as Record<string, unknown>)[name];
    if (member === undefined) continue;
    const literal = nameLiteral(name);
    if (literal === undefined) return false;
    if (!first) out.push(',');
    out.push(literal);
    if (!writePlain(out, member, depth + 1)) return false;
    first = false;
  }
  out.push('}');
  return true;
}

/** UTF-8 bytes of `canonicalJson(value)`: the bytes that get hashed or signed. */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8.encode(canonicalJson(value));
}

/**
 * Canonical JSON of a value that came out of `JSON.parse` (so it holds only plain data): skips
 * the representability walk. Lone surrogates and overflowing numbers (`1e400` parses to
 * Infinity) still fail, as `CanonicalJsonError`.
 * @internal
 */
export function canonicalizeTrusted(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new CanonicalJsonError(`a value JCS cannot represent (${reason})`, '$', { cause });
  }
  if (text === undefined) throw new CanonicalJsonError('a value with no JSON representation', '$');
  return text;
}
