/** Base class of every error thrown by @totra/testing. Check errors by `code`, not by class. */
export class TestingError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** No way to get a server for a test: no URL given, no binary installed, no Docker engine. */
export class EnginesUnavailableError extends TestingError {
  constructor(
    readonly missing: readonly string[],
    message: string,
    options?: { cause?: unknown },
  ) {
    super('TOTRA_TESTING_ENGINES_UNAVAILABLE', message, options);
  }
}

/** A name prefix that would make an invalid NATS stream, subject or database name. */
export class InvalidTestNameError extends TestingError {
  constructor(readonly value: string, reason: string) {
    super('TOTRA_TESTING_INVALID_NAME', `invalid name prefix "${value}": ${reason}`);
  }
}
