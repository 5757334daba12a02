import { aeskw } from '@noble/ciphers/aes.js';
import { DATA_KEY_BYTES } from './seal.js';
import { InvalidKeyError, UnwrapFailedError } from './errors.js';

/** Bytes of a key-encryption key (AES-256). */
export const KEK_BYTES = 32;

function checkKek(kek: Uint8Array): void {
  if (kek.length !== KEK_BYTES) throw new InvalidKeyError(`a key-encryption key is ${KEK_BYTES} bytes, got ${kek.length}`);
}

/** Wraps a 32-byte data key with AES Key Wrap (RFC 3394) under a 256-bit KEK: 40 bytes out. */
export function wrapKey(kek: Uint8Array, dataKey: Uint8Array): Uint8Array {
  checkKek(kek);
  if (dataKey.length !== DATA_KEY_BYTES) throw new InvalidKeyError(`a data key is ${DATA_KEY_BYTES} bytes, got ${dataKey.length}`);
  return aeskw(kek).encrypt(dataKey);
}

/** Unwraps a data key; throws `TOTRA_CRYPTO_UNWRAP_FAILED` when the integrity check fails (wrong KEK or altered bytes). */
export function unwrapKey(kek: Uint8Array, wrapped: Uint8Array): Uint8Array {
  checkKek(kek);
  try {
    return aeskw(kek).decrypt(wrapped);
  } catch (err) {
    throw new UnwrapFailedError('the wrapped data key does not unwrap under this key-encryption key', { cause: err });
  }
}
