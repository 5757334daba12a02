/** Base class of every error thrown by @totra/crypto. Check errors by `code`, not by class. */
export class CryptoError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A key of the wrong length or shape (data keys and KEKs are 32 bytes, IVs 12). */
export class InvalidKeyError extends CryptoError {
  constructor(message: string) {
    super('TOTRA_CRYPTO_INVALID_KEY', message);
  }
}

/**
 * A sealed part did not open: wrong key, or the ciphertext, IV, event id, subject or key id
 * was changed (AES-GCM authentication failed).
 */
export class OpenFailedError extends CryptoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOTRA_CRYPTO_OPEN_FAILED', message, options);
  }
}

/** A wrapped data key did not unwrap under the named key-encryption key. */
export class UnwrapFailedError extends CryptoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOTRA_CRYPTO_UNWRAP_FAILED', message, options);
  }
}

/** The KMS does not hold the key-encryption key a data key was wrapped with. */
export class UnknownKekError extends CryptoError {
  constructor(readonly kekId: string) {
    super('TOTRA_CRYPTO_UNKNOWN_KEK', `no key-encryption key "${kekId}" in the KMS`);
  }
}

/** A signed receipt whose signature does not match its content and key. */
export class ReceiptSignatureError extends CryptoError {
  constructor(message: string) {
    super('TOTRA_CRYPTO_RECEIPT_SIGNATURE', message);
  }
}

/** An erasure command that the current state refuses (unknown request, already shredded...). */
export class ErasureRefusedError extends CryptoError {
  constructor(message: string) {
    super('TOTRA_GDPR_ERASURE_REFUSED', message);
  }
}
