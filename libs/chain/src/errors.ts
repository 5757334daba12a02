/** Base class of every error thrown by @totra/chain. Check errors by `code`, not by class. */
export class ChainError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * A value that RFC 8785 (JCS) cannot represent: NaN or an infinity, a bigint, `undefined` or a
 * function where a value is required, a lone surrogate, a cycle, or an object that is not a
 * plain object or array (a `Date`, `Map`, class instance...). `path` points at the value.
 */
export class CanonicalJsonError extends ChainError {
  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super('TOTRA_CHAIN_JCS_UNSUPPORTED', `${message} at ${path}`, options);
  }
}

/** A string that is not an even-length hexadecimal byte string. */
export class InvalidHexError extends ChainError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOTRA_CHAIN_BAD_HEX', message, options);
  }
}

/** Arguments no Merkle tree or proof can satisfy (an index outside the tree, a size above the tree). */
export class MerkleRangeError extends ChainError {
  constructor(message: string) {
    super('TOTRA_CHAIN_MERKLE_RANGE', message);
  }
}

/** An inclusion or consistency proof that does not verify; `reason` says which check failed. */
export class MerkleProofError extends ChainError {
  constructor(readonly reason: string) {
    super('TOTRA_CHAIN_MERKLE_PROOF_INVALID', `invalid Merkle proof: ${reason}`);
  }
}

/** A `ChainVerifier` used after `finish()`. */
export class VerifierStateError extends ChainError {
  constructor(message: string) {
    super('TOTRA_CHAIN_VERIFIER_STATE', message);
  }
}

/** `ChainVerifier` options out of range (a negative cap, a malformed initial head). */
export class VerifierOptionsError extends ChainError {
  constructor(message: string) {
    super('TOTRA_CHAIN_VERIFIER_OPTIONS', message);
  }
}

/** A signed note, signature line or checkpoint that does not follow its format. */
export class NoteFormatError extends ChainError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOTRA_CHAIN_NOTE_FORMAT', message, options);
  }
}

/** A signer or verifier key that cannot be used (bad encoding, wrong size, key id mismatch). */
export class NoteKeyError extends ChainError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOTRA_CHAIN_NOTE_KEY', message, options);
  }
}

/** An inclusion proof file that cannot be read, or that does not verify. */
export class InclusionProofError extends ChainError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOTRA_CHAIN_INCLUSION_PROOF', message, options);
  }
}
