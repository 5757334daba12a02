/** Base class of every error thrown by @totra/quota. Check errors by `code`. */
export class QuotaError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A budget, rate-limit or quota command has a bad field (`TOTRA_QUOTA_INVALID`). */
export class InvalidQuotaCommandError extends QuotaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOTRA_QUOTA_INVALID', message, options);
  }
}

/** A time zone that this runtime's Intl does not know (`TOTRA_QUOTA_TIME_ZONE`). */
export class UnknownTimeZoneError extends QuotaError {
  constructor(readonly timeZone: string, options?: { cause?: unknown }) {
    super('TOTRA_QUOTA_TIME_ZONE', `"${timeZone}" is not an IANA time zone (e.g. Europe/Berlin, UTC)`, options);
  }
}

/** No budget has this id (`TOTRA_BUDGET_NOT_FOUND`). */
export class BudgetNotFoundError extends QuotaError {
  constructor(readonly budgetId: string) {
    super('TOTRA_BUDGET_NOT_FOUND', `no budget "${budgetId}"`);
  }
}

/** No quota request has this id (`TOTRA_QUOTA_REQUEST_NOT_FOUND`). */
export class QuotaRequestNotFoundError extends QuotaError {
  constructor(readonly quotaRequestId: string) {
    super('TOTRA_QUOTA_REQUEST_NOT_FOUND', `no quota request "${quotaRequestId}"`);
  }
}

/** The quota request was approved or rejected already (`TOTRA_QUOTA_REQUEST_DECIDED`). */
export class QuotaRequestDecidedError extends QuotaError {
  constructor(readonly quotaRequestId: string, readonly status: string) {
    super('TOTRA_QUOTA_REQUEST_DECIDED', `quota request "${quotaRequestId}" was ${status} already`);
  }
}
