import { type Sealed } from '@totra/events';
import { type AeadCipher, nobleAesGcm } from './aead.js';
import { fromBase64Url, fromUtf8, lengthPrefixed, toBase64Url, utf8 } from './bytes.js';
import { InvalidKeyError, OpenFailedError } from './errors.js';

/** Bytes of an AES-256 key. */
export const DATA_KEY_BYTES = 32;
/** Bytes of a GCM IV (96 bits, as NIST SP 800-38D recommends). */
export const IV_BYTES = 12;

/** Source of random bytes, passed in so the domain stays pure (e.g. node's `randomBytes`). */
export type RandomBytes = (n: number) => Uint8Array;

/** What a sealed part is bound to: its event, its data subject and the key that sealed it. */
export interface SealContext {
  readonly eventId: string;
  readonly subject: string;
  readonly kid: string;
}

/** A data key in the clear, with its id. Lives in memory only (the store keeps it wrapped). */
export interface DataKey {
  readonly kid: string;
  readonly key: Uint8Array;
}

/**
 * The associated data of a sealed part: `event id || subject || kid`, each length-prefixed (so
 * that moving bytes from one part to the next cannot give the same associated data). Copying a
 * sealed part to another event or subject makes it fail to open.
 */
export function associatedData(ctx: SealContext): Uint8Array {
  return lengthPrefixed([utf8(ctx.eventId), utf8(ctx.subject), utf8(ctx.kid)]);
}

function checkKey(key: Uint8Array): void {
  if (key.length !== DATA_KEY_BYTES) throw new InvalidKeyError(`a data key is ${DATA_KEY_BYTES} bytes, got ${key.length}`);
}

/**
 * Seals personal fields (JSON) with AES-256-GCM under the subject's data key, with a fresh IV
 * from `randomBytes` and the associated data of {@link associatedData}.
 */
export function sealFields(
  dataKey: DataKey,
  ctx: Omit<SealContext, 'kid'>,
  fields: Readonly<Record<string, unknown>>,
  randomBytes: RandomBytes,
  cipher: AeadCipher = nobleAesGcm,
): Sealed {
  checkKey(dataKey.key);
  const iv = randomBytes(IV_BYTES);
  if (iv.length !== IV_BYTES) throw new InvalidKeyError(`an IV is ${IV_BYTES} bytes, got ${iv.length}`);
  const ct = cipher.encrypt(dataKey.key, iv, associatedData({ ...ctx, kid: dataKey.kid }), utf8(JSON.stringify(fields)));
  return { kid: dataKey.kid, alg: 'A256GCM', iv: toBase64Url(iv), ct: toBase64Url(ct) };
}

/** Opens a sealed part; throws `TOTRA_CRYPTO_OPEN_FAILED` when the key or any bound value is wrong. */
export function openSealed(
  key: Uint8Array,
  ctx: Omit<SealContext, 'kid'>,
  sealed: Sealed,
  cipher: AeadCipher = nobleAesGcm,
): Record<string, unknown> {
  checkKey(key);
  let plain: Uint8Array;
  try {
    plain = cipher.decrypt(key, fromBase64Url(sealed.iv), associatedData({ ...ctx, kid: sealed.kid }), fromBase64Url(sealed.ct));
  } catch (err) {
    throw new OpenFailedError(`sealed part of event ${ctx.eventId} (key ${sealed.kid}) does not open: wrong key, or the event, subject or key id changed`, { cause: err });
  }
  const value: unknown = JSON.parse(fromUtf8(plain));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OpenFailedError(`sealed part of event ${ctx.eventId} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}
