/** Base class of every error thrown by @totra/identity. Check errors by `code`, not by class. */
export class IdentityError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A CIDR block or an IP address that does not parse (strict notation only). */
export class InvalidCidrError extends IdentityError {
  constructor(readonly input: string, reason: string) {
    super('TOTRA_CIDR_INVALID', `"${input}" is not a valid CIDR block: ${reason}`);
  }
}

/** A key command with a field that is not acceptable (bad id, bad date, expiry in the past, ...). */
export class InvalidKeyCommandError extends IdentityError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOTRA_KEY_INVALID', message, options);
  }
}

/** The key id is not known (never issued). */
export class KeyNotFoundError extends IdentityError {
  constructor(readonly keyId: string) {
    super('TOTRA_KEY_NOT_FOUND', `no API key with id ${keyId}`);
  }
}

/** The key was revoked already. */
export class KeyAlreadyRevokedError extends IdentityError {
  constructor(readonly keyId: string) {
    super('TOTRA_KEY_ALREADY_REVOKED', `API key ${keyId} is already revoked`);
  }
}

/** A key with this id was issued already. */
export class KeyAlreadyExistsError extends IdentityError {
  constructor(readonly keyId: string) {
    super('TOTRA_KEY_ALREADY_EXISTS', `an API key with id ${keyId} exists already`);
  }
}

/** The random source gave fewer bytes than asked for. */
export class RandomSourceError extends IdentityError {
  constructor(message: string) {
    super('TOTRA_KEY_RANDOM_SOURCE', message);
  }
}
