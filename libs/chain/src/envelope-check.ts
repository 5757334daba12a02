import { Envelope } from '@totra/events';
import { z } from 'zod';

/*
 * A fast, conservative stand-in for `Envelope.safeParse` on the verifier's hot path (the zod
 * parse costs more than hashing the event). It only ever says "valid" for values the zod schema
 * accepts too: every rule below is the schema's rule or a stricter one, and anything it does not
 * accept goes to `Envelope.safeParse`, which stays the authority (and writes the messages).
 * `envelope-check.unit.spec.ts` holds the two side by side on boundary values.
 */

const FIELDS = ['v', 'id', 'type', 'time', 'chain', 'seq', 'prev', 'tenant', 'subject', 'data', 'sealed', 'hash'] as const;
const KNOWN = new Set<string>(FIELDS);
const UUID7 = z.regexes.uuid7;
const TIME = z.regexes.datetime({ precision: 3, offset: false, local: false });
const TYPE_NAME = /^[A-Z][A-Za-z0-9]{2,63}$/;
const CHAIN_ID = /^[a-z][a-z0-9-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const HASH_HEX = /^[0-9a-f]{64}$/;
const IV = /^[A-Za-z0-9_-]+$/;
const CT = /^[A-Za-z0-9_-]*$/;
const SEALED_KEYS = new Set(['kid', 'alg', 'iv', 'ct']);

/**
 * Whether the envelope schema still has exactly the fields this check knows; if not (the schema
 * changed), the fast check stands aside and every event goes through zod.
 */
export const fastCheckApplies: boolean = (() => {
  const keys = Object.keys(Envelope.shape);
  return keys.length === FIELDS.length && keys.every((k) => KNOWN.has(k));
})();

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isBoundedString(value: unknown, min: number, max: number): value is string {
  return typeof value === 'string' && value.length >= min && value.length <= max;
}

function isSealed(value: unknown): boolean {
  if (!isPlainRecord(value)) return false;
  for (const key in value) if (!SEALED_KEYS.has(key)) return false;
  return (
    isBoundedString(value['kid'], 1, 200) &&
    value['alg'] === 'A256GCM' &&
    typeof value['iv'] === 'string' &&
    IV.test(value['iv']) &&
    typeof value['ct'] === 'string' &&
    CT.test(value['ct'])
  );
}

/**
 * True only when `value` is certainly a valid `Envelope`. False means "ask zod", not "invalid".
 * `hashIsKnownHex`: the caller already matched `hash` against a computed digest;
 * `prevIsKnownHex`: the caller already matched `prev` against a verified hash.
 * @internal
 */
export function isEnvelopeFast(value: Record<string, unknown>, hashIsKnownHex = false, prevIsKnownHex = false): value is Envelope {
  if (!fastCheckApplies || !isPlainRecord(value)) return false;
  for (const key in value) if (!KNOWN.has(key)) return false;
  const { v, id, type, time, chain, seq, prev, tenant, subject, data, sealed, hash } = value;
  return (
    typeof v === 'number' &&
    Number.isInteger(v) &&
    v >= 1 &&
    v <= 1000 &&
    typeof id === 'string' &&
    UUID7.test(id) &&
    typeof type === 'string' &&
    TYPE_NAME.test(type) &&
    typeof time === 'string' &&
    TIME.test(time) &&
    isBoundedString(chain, 1, 200) &&
    CHAIN_ID.test(chain) &&
    typeof seq === 'number' &&
    Number.isSafeInteger(seq) &&
    seq >= 1 &&
    typeof prev === 'string' &&
    (prevIsKnownHex || HASH_HEX.test(prev)) &&
    isBoundedString(tenant, 1, 128) &&
    (subject === undefined || isBoundedString(subject, 1, 128)) &&
    isPlainRecord(data) &&
    // zod handles a "__proto__" member specially; leave such data to it.
    !Object.hasOwn(data, '__proto__') &&
    (sealed === undefined || isSealed(sealed)) &&
    typeof hash === 'string' &&
    (hashIsKnownHex || HASH_HEX.test(hash))
  );
}
