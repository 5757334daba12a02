/** Base class of every error thrown by @totra/events. Check errors by `code`, not by class. */
export class EventsError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An event type name that no definition was registered for. */
export class UnknownEventTypeError extends EventsError {
  constructor(readonly eventType: string) {
    super('TOTRA_EVENT_UNKNOWN_TYPE', `unknown event type "${eventType}"`);
  }
}

/** An envelope or its data does not match the schema of its type and version. */
export class InvalidEventError extends EventsError {
  constructor(message: string, readonly issues: readonly string[], options?: { cause?: unknown }) {
    super('TOTRA_EVENT_INVALID', message, options);
  }
}

/** Two definitions for the same type, or an upcaster chain with a hole in it. */
export class EventRegistryError extends EventsError {
  constructor(message: string) {
    super('TOTRA_EVENT_REGISTRY', message);
  }
}
