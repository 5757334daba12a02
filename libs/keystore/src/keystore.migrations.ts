import { type Generated, sql } from 'kysely';
import { type Migrations, type MigrationTables } from '@totra/db';

/** Bookkeeping tables of the key store's own migrations. */
export const KEYSTORE_MIGRATION_TABLES: MigrationTables = {
  tableName: 'kysely_migration_keystore',
  lockTableName: 'kysely_migration_lock_keystore',
};

/**
 * `keystore_data_key`: wrapped data keys (never a key in the clear). `keystore_erasure_journal`:
 * ids of what was shredded, kept apart from the keys so that a key table restored from a backup
 * can be re-shredded. Neither holds personal data.
 */
export const keystoreMigrations: Migrations = {
  keystore_0001_create_tables: {
    async up(db) {
      await db.schema
        .createTable('keystore_data_key')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('period', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('team_id', 'text')
        .addColumn('kek_id', 'text', (c) => c.notNull())
        .addColumn('wrapped', 'bytea', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addUniqueConstraint('keystore_data_key_scope', ['subject', 'category', 'period'])
        .execute();
      await db.schema.createIndex('keystore_data_key_period').on('keystore_data_key').columns(['category', 'period']).execute();
      await db.schema
        .createTable('keystore_erasure_journal')
        .addColumn('entry_id', 'text', (c) => c.primaryKey())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull().check(sql`scope in ('subject', 'kids')`))
        .addColumn('kids', sql`text[]`, (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('keystore_erasure_journal_subject').on('keystore_erasure_journal').column('subject').execute();
    },
    async down(db) {
      await db.schema.dropTable('keystore_erasure_journal').execute();
      await db.schema.dropTable('keystore_data_key').execute();
    },
  },
};

export interface DataKeyTable {
  kid: string;
  subject: string;
  category: string;
  period: string;
  team_id: string | null;
  kek_id: string;
  wrapped: Uint8Array;
  created_at: Generated<Date>;
}

export interface ErasureJournalTable {
  entry_id: string;
  subject: string;
  scope: 'subject' | 'kids';
  kids: string[];
  reason: string;
  recorded_at: Generated<Date>;
}

export interface KeyStoreTables {
  keystore_data_key: DataKeyTable;
  keystore_erasure_journal: ErasureJournalTable;
}
