/** Base class of every error thrown by @totra/eventlog. Check errors by `code`. */
export class EventLogError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The stream exists with settings that break the log's guarantees (e.g. deletes allowed). */
export class StreamNotImmutableError extends EventLogError {
  constructor(message: string) {
    super('TOTRA_STREAM_NOT_IMMUTABLE', message);
  }
}

/** JetStream refused a batch because the chain's subject moved on: a second writer (fork). */
export class ChainConflictError extends EventLogError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOTRA_CHAIN_CONFLICT', message, options);
  }
}

/** The writer was closed, or failed for good; it takes no more events. */
export class WriterClosedError extends EventLogError {
  constructor(message = 'the chain writer is closed', options?: { cause?: unknown }) {
    super('TOTRA_CHAIN_WRITER_CLOSED', message, options);
  }
}

/** The local spool file could not be written: events cannot be made durable. */
export class SpoolError extends EventLogError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOTRA_SPOOL_FAILED', message, options);
  }
}

/** NATS could not be reached within the time allowed. */
export class NatsUnavailableError extends EventLogError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOTRA_NATS_UNAVAILABLE', message, options);
  }
}

/** The notary cannot sign or publish a checkpoint (key unreadable, witness refused, sink failed). */
export class NotaryError extends EventLogError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOTRA_NOTARY', message, options);
  }
}
