import type { Kysely } from 'kysely';
import { InvalidMigrationNameError } from './errors.js';
import { type MigrationReport, type Migrations, migrateToLatest, rollbackAll, type MigrationTables } from './migrate.js';

/** The migrations of one projection's read model, with its own bookkeeping tables. */
export interface ProjectionMigrations {
  readonly projection: string;
  readonly migrations: Migrations;
  /** `kysely_migration_<projection>` and `kysely_migration_lock_<projection>`. */
  readonly tables: Required<Pick<MigrationTables, 'tableName' | 'lockTableName'>>;
}

const projectionName = /^[a-z][a-z0-9_]{0,39}$/;

/**
 * Declares a projection's migrations, checking the convention (see README): names are
 * `<projection>_<NNNN>_<what>` (4-digit sequence, lowercase snake case), and every migration has
 * a `down` so the read model can be dropped and rebuilt. Each projection records its migrations
 * in its own table, so projections migrate, roll back and rebuild independently.
 */
export function defineProjectionMigrations(projection: string, migrations: Migrations): ProjectionMigrations {
  if (!projectionName.test(projection)) {
    throw new InvalidMigrationNameError(projection, 'a projection name is 1-40 of [a-z0-9_], starting with a letter');
  }
  const pattern = new RegExp(`^${projection}_(\\d{4})_[a-z0-9]+(_[a-z0-9]+)*$`);
  for (const [name, migration] of Object.entries(migrations)) {
    if (!pattern.test(name)) {
      throw new InvalidMigrationNameError(name, `projection "${projection}" migrations are named ${projection}_<NNNN>_<what>, e.g. ${projection}_0001_create_tables`);
    }
    if (typeof migration.down !== 'function') {
      throw new InvalidMigrationNameError(name, 'a projection migration needs a down(), so the read model can be rebuilt');
    }
  }
  return {
    projection,
    migrations,
    tables: { tableName: `kysely_migration_${projection}`, lockTableName: `kysely_migration_lock_${projection}` },
  };
}

/** Brings a projection's read model to its latest schema (see {@link migrateToLatest}). */
export function migrateProjection<DB>(db: Kysely<DB>, definition: ProjectionMigrations): Promise<MigrationReport> {
  return migrateToLatest(db, definition.migrations, definition.tables);
}

/** Drops a projection's read model by running every `down` (see {@link rollbackAll}), before a rebuild. */
export function rollbackProjection<DB>(db: Kysely<DB>, definition: ProjectionMigrations): Promise<MigrationReport> {
  return rollbackAll(db, definition.migrations, definition.tables);
}
