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
  assertRepresentable(value);
  return canonicalizeTrusted(value);
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
