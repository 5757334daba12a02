import { z } from 'zod';
import { fromBase64Url } from './bytes.js';
import { InvalidKeyError } from './errors.js';
import { LocalKms } from './kms.js';

/**
 * The keyring file of the local KMS: key-encryption keys by id (the current one wraps new data
 * keys) and the Ed25519 key that signs erasure receipts, all base64url. Written by the CLI
 * (`totra gdpr ...`, `totra up`), read by every process that seals or opens personal data. Keep
 * it apart from database backups: a backup of the key store is useless without it.
 */
export const KeyringFile = z
  .object({
    current: z.string().min(1),
    keks: z.record(z.string(), z.string().regex(/^[A-Za-z0-9_-]{43}$/)),
    receiptKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  })
  .strict();
export type KeyringFile = z.infer<typeof KeyringFile>;

/** Parses a keyring file's text; throws `TOTRA_CRYPTO_INVALID_KEY` saying what is wrong. */
export function parseKeyring(text: string): KeyringFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InvalidKeyError(`the keyring is not JSON: ${(err as Error).message}`);
  }
  const parsed = KeyringFile.safeParse(json);
  if (!parsed.success) throw new InvalidKeyError(`the keyring is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** The local KMS holding a keyring's KEKs. */
export function kmsFromKeyring(ring: KeyringFile): LocalKms {
  return new LocalKms(Object.fromEntries(Object.entries(ring.keks).map(([id, k]) => [id, fromBase64Url(k)])), ring.current);
}
