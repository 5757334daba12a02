import { sql, type Kysely } from 'kysely';
import { migrateToLatest, type Migrations } from '@totra/db';

/**
 * The runner's own tables, next to `projection_checkpoint` (core migrations): the dead letters
 * of every projection, kept in the same transaction that skips them, so that a crash between
 * commit and publishing to the dead-letter subject loses nothing.
 */
const runnerMigrations: Migrations = {
  projection_runner_0001_dead_letter: {
    async up(db) {
      await db.schema
        .createTable('projection_dead_letter')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('projection', 'text', (c) => c.notNull())
        .addColumn('stream_seq', 'bigint', (c) => c.notNull())
        .addColumn('event_index', 'integer', (c) => c.notNull())
        .addColumn('event_type', 'text')
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('line', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('projection_dead_letter_by_projection').on('projection_dead_letter').columns(['projection', 'stream_seq']).execute();
    },
    async down(db) {
      await db.schema.dropTable('projection_dead_letter').execute();
    },
  },
};

/** Creates the runner's tables (idempotent). */
export async function migrateRunnerTables(db: Kysely<unknown>): Promise<void> {
  await migrateToLatest(db, runnerMigrations, { tableName: 'kysely_migration_projection_runner', lockTableName: 'kysely_migration_lock_projection_runner' });
}
