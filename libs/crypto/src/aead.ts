import { gcm } from '@noble/ciphers/aes.js';

/**
 * AES-256-GCM as a pluggable contract: the pure-JS implementation below is the default; an
 * infrastructure package may pass a native one (same algorithm, same bytes on the wire).
 */
export interface AeadCipher {
  readonly name: string;
  /** Returns ciphertext || 16-byte tag. */
  encrypt(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Throws when the tag does not authenticate the ciphertext and the associated data. */
  decrypt(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array;
}

/** AES-256-GCM from `@noble/ciphers` (audited, pure JavaScript). */
export const nobleAesGcm: AeadCipher = {
  name: 'noble',
  encrypt: (key, iv, aad, plaintext) => gcm(key, iv, aad).encrypt(plaintext),
  decrypt: (key, iv, aad, sealed) => gcm(key, iv, aad).decrypt(sealed),
};
