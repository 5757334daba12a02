import { TestingError } from '../errors.js';

/** Misuse of a mock provider: an invalid behaviour, or a request number that is no longer kept. */
export class MockProviderError extends TestingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOTRA_TESTING_MOCK_PROVIDER', message, options);
  }
}

/**
 * A request the mock refuses the way the real provider would (bad JSON, missing field, wrong
 * path). Internal: the server turns it into the provider's error body with `status`.
 */
export class WireRequestError extends TestingError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super('TOTRA_TESTING_MOCK_WIRE_REQUEST', message);
  }
}
