import { sql } from 'kysely';
import { type Migrations, type MigrationTables } from './migrate.js';

/** Bookkeeping tables of the core migrations (separate from every projection's). */
export const CORE_MIGRATION_TABLES: MigrationTables = {
  tableName: 'kysely_migration_core',
  lockTableName: 'kysely_migration_lock_core',
};

/**
 * Tables every deployment has, whatever projections run. `projection_checkpoint` is where each
 * projection records the last stream sequence it applied, in the same transaction as its
 * read-model change (architecture section 8).
 */
export const coreMigrations: Migrations = {
  core_0001_projection_checkpoint: {
    async up(db) {
      await db.schema
        .createTable('projection_checkpoint')
        .addColumn('projection', 'text', (c) => c.primaryKey())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('stream_seq', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('projection_checkpoint').execute();
    },
  },
};
