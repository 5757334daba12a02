/** Base class of every error thrown by @totra/db. Check errors by `code`, not by class. */
export class DbError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A connection URL or pool option that cannot work. */
export class DbConfigError extends DbError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOTRA_DB_CONFIG', message, options);
  }
}

/** A migration name or projection name that breaks the naming convention (see README). */
export class InvalidMigrationNameError extends DbError {
  constructor(
    readonly migrationName: string,
    reason: string,
  ) {
    super('TOTRA_DB_MIGRATION_NAME', `invalid migration name "${migrationName}": ${reason}`);
  }
}

/**
 * Migrating failed. `migration` names the migration that threw (undefined when the run failed
 * before any migration, e.g. an already applied migration is missing from the code).
 * `rolledBack` lists the migrations of this run that had succeeded and were undone with it
 * (every run is one transaction); `notRun` those after the failing one. `cause` is the database error.
 */
export class MigrationFailedError extends DbError {
  constructor(
    message: string,
    readonly migration: string | undefined,
    readonly rolledBack: readonly string[],
    readonly notRun: readonly string[],
    options?: { cause?: unknown },
  ) {
    super('TOTRA_DB_MIGRATION_FAILED', message, options);
  }
}
