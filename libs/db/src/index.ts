export { createDb, type CreateDbOptions } from './create-db.js';
export { migrateToLatest, rollbackAll, type MigrationReport, type Migrations, type MigrationTables } from './migrate.js';
export {
  defineProjectionMigrations,
  migrateProjection,
  rollbackProjection,
  type ProjectionMigrations,
} from './projection-migrations.js';
export { DbConfigError, DbError, InvalidMigrationNameError, MigrationFailedError } from './errors.js';
export type { Migration } from 'kysely/migration';
export { ensureDatabase } from './ensure-database.js';
export { CORE_MIGRATION_TABLES, coreMigrations } from './core-migrations.js';
