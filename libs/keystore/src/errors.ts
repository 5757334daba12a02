/** Base class of every error thrown by @totra/keystore. Check errors by `code`, not by class. */
export class KeyStoreError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The data key is gone (erasure or retention): what it sealed is unreadable for good. */
export class KeyShreddedError extends KeyStoreError {
  constructor(readonly kid: string) {
    super('TOTRA_KEYSTORE_KEY_SHREDDED', `data key ${kid} was shredded (or never existed here)`);
  }
}

/** The subject was erased: no new key is made for it. */
export class SubjectErasedError extends KeyStoreError {
  constructor(readonly subject: string) {
    super('TOTRA_KEYSTORE_SUBJECT_ERASED', `subject ${subject} was erased; nothing new may be sealed for it`);
  }
}

/** An event carries a sealed part but no subject, so no key can open it. */
export class NoSubjectError extends KeyStoreError {
  constructor(eventId: string) {
    super('TOTRA_KEYSTORE_NO_SUBJECT', `event ${eventId} has a sealed part but no subject`);
  }
}
