/** Base class of every error thrown by @totra/quota-redis. Check errors by `code`. */
export class QuotaGateError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The admission script answered something this code does not understand (`TOTRA_QUOTA_GATE_REPLY`). */
export class UnexpectedGateReplyError extends QuotaGateError {
  constructor(reply: unknown) {
    super('TOTRA_QUOTA_GATE_REPLY', `unexpected reply from the quota script: ${JSON.stringify(reply)}`);
  }
}

/** An admission or settlement argument is malformed (`TOTRA_QUOTA_GATE_INVALID`). */
export class InvalidGateArgumentError extends QuotaGateError {
  constructor(message: string) {
    super('TOTRA_QUOTA_GATE_INVALID', message);
  }
}
