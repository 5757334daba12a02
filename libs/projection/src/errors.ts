/** Base class of every error thrown by @totra/projection. Check errors by `code`, not by class. */
export class ProjectionError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The runner was stopped while something waited on it. */
export class ProjectionStoppedError extends ProjectionError {
  constructor(projection: string) {
    super('TOTRA_PROJECTION_STOPPED', `projection ${projection} was stopped`);
  }
}

/**
 * The checkpoint in Postgres is not where this runner thought it was (a rebuild swapped the read
 * model in, or another instance wrote): the batch is rolled back and the runner repositions.
 */
export class CheckpointMovedError extends ProjectionError {
  constructor(
    projection: string,
    readonly expected: number,
    readonly found: number,
  ) {
    super('TOTRA_PROJECTION_CHECKPOINT_MOVED', `projection ${projection}: checkpoint is at ${found}, expected ${expected}`);
  }
}

/** A projection definition that cannot work (bad name, no event types). */
export class InvalidProjectionError extends ProjectionError {
  constructor(message: string) {
    super('TOTRA_PROJECTION_INVALID', message);
  }
}

/** A projection name that is not among the known ones. */
export class UnknownProjectionError extends ProjectionError {
  constructor(name: string, known: readonly string[]) {
    super('TOTRA_PROJECTION_UNKNOWN', `unknown projection "${name}" (known: ${known.join(', ')})`);
  }
}
