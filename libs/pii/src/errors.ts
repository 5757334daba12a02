/** Base class of every error thrown by @totra/pii. Check errors by `code`, not by class. */
export class PiiError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Scanner options name a group or type that does not exist, or a confidence outside [0, 1]. */
export class InvalidScannerOptionsError extends PiiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOTRA_PII_INVALID_OPTIONS', message, options);
  }
}

/** A span handed to a transformation lies outside the text or has `end < start`. */
export class InvalidSpanError extends PiiError {
  constructor(message: string) {
    super('TOTRA_PII_INVALID_SPAN', message);
  }
}

/** A stream restorer was used after `flush()`. */
export class StreamClosedError extends PiiError {
  constructor() {
    super('TOTRA_PII_STREAM_CLOSED', 'the stream restorer was already flushed');
  }
}

/** Streamed output held back for a finding that does not end (a private key block without its END line) grew too long. */
export class OutputHeldTooLongError extends PiiError {
  constructor(limit: number) {
    super('TOTRA_PII_OUTPUT_HELD_TOO_LONG', `streamed output held back for an unfinished finding passed ${limit} characters; the stream is stopped (fail closed)`);
  }
}

/** One problem of a policy document: the field path (`scope.team`, `rules.EMAIL`) and what is wrong. */
export interface PolicyIssue {
  readonly path: string;
  readonly message: string;
}

/** A PII policy (or a policy event read from the log) does not validate: unknown group or type, bad scope, bad action... */
export class InvalidPiiPolicyError extends PiiError {
  readonly issues: readonly PolicyIssue[];
  constructor(message: string, issues: readonly PolicyIssue[] = [], options?: { cause?: unknown }) {
    super('TOTRA_PII_POLICY_INVALID', message, options);
    this.issues = issues;
  }
}

/** A policy command is malformed apart from the policy itself (e.g. its time is not RFC 3339 UTC). */
export class InvalidPiiCommandError extends PiiError {
  constructor(message: string) {
    super('TOTRA_PII_COMMAND_INVALID', message);
  }
}

/** A command names a policy id that is not set. */
export class PiiPolicyNotFoundError extends PiiError {
  constructor(readonly policyId: string) {
    super('TOTRA_PII_POLICY_UNKNOWN', `no PII policy "${policyId}"`);
  }
}

/** `setPiiPolicy` with `expect: 'new'` names a policy id that is already set. */
export class PiiPolicyExistsError extends PiiError {
  constructor(readonly policyId: string) {
    super('TOTRA_PII_POLICY_EXISTS', `PII policy "${policyId}" already exists`);
  }
}

/** Another policy already has exactly this scope: two policies of one scope would make resolution ambiguous. */
export class PiiPolicyScopeTakenError extends PiiError {
  constructor(
    readonly scope: string,
    readonly existingPolicyId: string,
  ) {
    super('TOTRA_PII_POLICY_SCOPE_TAKEN', `scope ${scope} already has PII policy "${existingPolicyId}": change or remove that one`);
  }
}
