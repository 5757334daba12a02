import type { Kysely } from 'kysely';
import { type Migration, type MigrationProvider, type MigrationResultSet, Migrator, NO_MIGRATIONS } from 'kysely/migration';
import { MigrationFailedError } from './errors.js';

/**
 * Migrations as code: name -> `{ up, down? }`. Applied in name order. Because they are plain
 * imports (no folder scanning), source and built layouts behave the same.
 */
export type Migrations = Readonly<Record<string, Migration>>;

/** Where the migrator keeps its bookkeeping. Never change these for an existing database. */
export interface MigrationTables {
  /** Table recording applied migrations. Default `kysely_migration`. */
  readonly tableName?: string;
  /** Table holding the migration lock row. Default `kysely_migration_lock`. */
  readonly lockTableName?: string;
  /** Schema of both tables. Default: the connection's default schema. */
  readonly schema?: string;
}

/** What a migration run did. */
export interface MigrationReport {
  /** Migrations run by this call, in order (empty when already up to date). */
  readonly applied: readonly string[];
  /** Every migration applied to the database now, in order. */
  readonly executed: readonly string[];
}

class InCodeProvider implements MigrationProvider {
  constructor(private readonly migrations: Migrations) {}
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve({ ...this.migrations });
  }
}

function migratorFor<DB>(db: Kysely<DB>, migrations: Migrations, tables: MigrationTables): Migrator {
  return new Migrator({
    db,
    provider: new InCodeProvider(migrations),
    ...(tables.tableName === undefined ? {} : { migrationTableName: tables.tableName }),
    ...(tables.lockTableName === undefined ? {} : { migrationLockTableName: tables.lockTableName }),
    ...(tables.schema === undefined ? {} : { migrationTableSchema: tables.schema }),
  });
}

function field(error: unknown, name: string): string | undefined {
  if (typeof error !== 'object' || error === null || !(name in error)) return undefined;
  const value = (error as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** One line from a database error: message (SQLSTATE), detail, hint. */
function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = field(error, 'code');
  const detail = field(error, 'detail');
  const hint = field(error, 'hint');
  return [`${message}${code === undefined ? '' : ` (SQLSTATE ${code})`}`, detail && `detail: ${detail}`, hint && `hint: ${hint}`]
    .filter((part): part is string => typeof part === 'string')
    .join('; ');
}

function failure(result: MigrationResultSet, tables: MigrationTables): MigrationFailedError {
  const results = result.results ?? [];
  const failed = results.find((item) => item.status === 'Error');
  const rolledBack = results.filter((item) => item.status === 'Success').map((item) => item.migrationName);
  const notRun = results.filter((item) => item.status === 'NotExecuted').map((item) => item.migrationName);
  const table = tables.tableName ?? 'kysely_migration';
  const lines =
    failed === undefined
      ? [`migrations (table ${table}) could not run: ${describeError(result.error)}`]
      : [
          `migration "${failed.migrationName}" (${failed.direction === 'Up' ? 'up' : 'down'}, table ${table}) failed: ${describeError(result.error)}`,
          rolledBack.length > 0 ? `rolled back with it: ${rolledBack.join(', ')}` : '',
          notRun.length > 0 ? `not run: ${notRun.join(', ')}` : '',
          'the database is as before this run (one transaction per run)',
        ];
  return new MigrationFailedError(
    lines.filter((line) => line !== '').join('\n  '),
    failed?.migrationName,
    rolledBack,
    notRun,
    { cause: result.error },
  );
}

/** Two runners creating the bookkeeping tables at once can collide in the catalog; a retry then finds them. */
function isCreateRace(result: MigrationResultSet): boolean {
  const code = field(result.error, 'code');
  return result.results === undefined && (code === '23505' || code === '42P07');
}

async function run<DB>(
  db: Kysely<DB>,
  migrations: Migrations,
  tables: MigrationTables,
  go: (migrator: Migrator) => Promise<MigrationResultSet>,
): Promise<MigrationReport> {
  const migrator = migratorFor(db, migrations, tables);
  let result = await go(migrator);
  for (let retry = 0; retry < 3 && isCreateRace(result); retry++) result = await go(migrator);
  if (result.error !== undefined) throw failure(result, tables);
  const executed = (await migrator.getMigrations()).filter((info) => info.executedAt !== undefined).map((info) => info.name);
  return {
    applied: (result.results ?? []).filter((item) => item.status === 'Success').map((item) => item.migrationName),
    executed,
  };
}

/**
 * Applies every migration not applied yet, in name order, all in one transaction under the
 * migration lock (concurrent runners wait for each other). Idempotent. Throws
 * `TOTRA_DB_MIGRATION_FAILED` naming the failing migration, with the database error as `cause`.
 */
export function migrateToLatest<DB>(db: Kysely<DB>, migrations: Migrations, tables: MigrationTables = {}): Promise<MigrationReport> {
  return run(db, migrations, tables, (migrator) => migrator.migrateToLatest());
}

/**
 * Runs every applied migration's `down`, newest first, in one transaction: used to drop a read
 * model before rebuilding it from the event stream. `applied` in the report lists what was undone.
 */
export function rollbackAll<DB>(db: Kysely<DB>, migrations: Migrations, tables: MigrationTables = {}): Promise<MigrationReport> {
  return run(db, migrations, tables, (migrator) => migrator.migrateTo(NO_MIGRATIONS));
}
