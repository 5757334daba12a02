/** Base class of every error thrown by @totra/projection-quota-hot. Check errors by `code`. */
export class QuotaHotError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The projection was stopped while someone waited for it (e.g. `caughtUp()`). */
export class ProjectionStoppedError extends QuotaHotError {
  constructor() {
    super('TOTRA_PROJECTION_STOPPED', 'the quota-hot projection was stopped');
  }
}
