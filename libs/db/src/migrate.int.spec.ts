import { createTestDatabase, type TestDatabase } from '@totra/testing';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from './create-db.js';
import { MigrationFailedError } from './errors.js';
import { type Migrations, migrateToLatest, rollbackAll } from './migrate.js';
import { defineProjectionMigrations, migrateProjection, rollbackProjection } from './projection-migrations.js';

const costV1: Migrations = {
  cost_0001_create_daily: {
    async up(db) {
      await db.schema
        .createTable('cost_daily')
        .addColumn('day', 'date', (c) => c.notNull())
        .addColumn('micro_usd', 'int8', (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('cost_daily').execute();
    },
  },
  cost_0002_add_team: {
    async up(db) {
      await db.schema.alterTable('cost_daily').addColumn('team', 'text').execute();
    },
    async down(db) {
      await db.schema.alterTable('cost_daily').dropColumn('team').execute();
    },
  },
};

async function tables(db: Kysely<unknown>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`.execute(db);
  return rows.map((row) => row.name);
}

describe('migrations (real Postgres, isolated database)', () => {
  let database: TestDatabase;
  let db: Kysely<unknown>;
  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb(database.url);
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  it('applies migrations in name order, then is idempotent, then applies only new ones', async () => {
    const tablesOnly = { tableName: 'kysely_migration_generic', lockTableName: 'kysely_migration_lock_generic' };
    const first = await migrateToLatest(db, { cost_0001_create_daily: costV1['cost_0001_create_daily']! }, tablesOnly);
    expect(first).toEqual({ applied: ['cost_0001_create_daily'], executed: ['cost_0001_create_daily'] });

    const again = await migrateToLatest(db, { cost_0001_create_daily: costV1['cost_0001_create_daily']! }, tablesOnly);
    expect(again).toEqual({ applied: [], executed: ['cost_0001_create_daily'] });

    const next = await migrateToLatest(db, costV1, tablesOnly);
    expect(next).toEqual({ applied: ['cost_0002_add_team'], executed: ['cost_0001_create_daily', 'cost_0002_add_team'] });
    const { rows } = await sql<{ column_name: string }>`
      SELECT column_name FROM information_schema.columns WHERE table_name = 'cost_daily' ORDER BY ordinal_position`.execute(db);
    expect(rows.map((row) => row.column_name)).toEqual(['day', 'micro_usd', 'team']);

    const undone = await rollbackAll(db, costV1, tablesOnly);
    expect(undone).toEqual({ applied: ['cost_0002_add_team', 'cost_0001_create_daily'], executed: [] });
    expect(await tables(db)).not.toContain('cost_daily');
  });

  it('reports a failing migration by name with the database error, and keeps nothing of the run', async () => {
    const broken: Migrations = {
      broken_0001_create: {
        async up(trx) {
          await trx.schema.createTable('broken_first').addColumn('id', 'integer').execute();
        },
      },
      broken_0002_bad_sql: {
        async up(trx) {
          await sql`INSERT INTO no_such_table VALUES (1)`.execute(trx);
        },
      },
      broken_0003_never: {
        async up(trx) {
          await trx.schema.createTable('broken_never').addColumn('id', 'integer').execute();
        },
      },
    };
    const error = await migrateToLatest(db, broken, { tableName: 'kysely_migration_broken', lockTableName: 'kysely_migration_lock_broken' }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(MigrationFailedError);
    const failed = error as MigrationFailedError;
    expect(failed.code).toBe('TOTRA_DB_MIGRATION_FAILED');
    expect(failed.migration).toBe('broken_0002_bad_sql');
    expect(failed.rolledBack).toEqual(['broken_0001_create']);
    expect(failed.notRun).toEqual(['broken_0003_never']);
    expect(failed.cause).toMatchObject({ code: '42P01' });
    expect(failed.message).toContain('migration "broken_0002_bad_sql"');
    expect(failed.message).toContain('relation "no_such_table" does not exist');
    expect(failed.message).toContain('SQLSTATE 42P01');

    expect(await tables(db)).not.toContain('broken_first');
    const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM kysely_migration_broken`.execute(db);
    expect(rows).toEqual([{ n: '0' }]);
  });

  it('refuses to run when an applied migration is missing from the code', async () => {
    const tablesOnly = { tableName: 'kysely_migration_gone', lockTableName: 'kysely_migration_lock_gone' };
    await migrateToLatest(db, { gone_0001_a: { up: async () => undefined } }, tablesOnly);
    await expect(migrateToLatest(db, { gone_0002_b: { up: async () => undefined } }, tablesOnly)).rejects.toMatchObject({
      code: 'TOTRA_DB_MIGRATION_FAILED',
      migration: undefined,
      message: expect.stringContaining('gone_0001_a is missing'),
    });
  });

  it('keeps each projection in its own migration table, and migrates concurrent runners once', async () => {
    const cost = defineProjectionMigrations('cost', costV1);
    const directory = defineProjectionMigrations('directory', {
      directory_0001_create_users: {
        async up(trx) {
          await trx.schema.createTable('directory_users').addColumn('id', 'text', (c) => c.primaryKey()).execute();
        },
        async down(trx) {
          await trx.schema.dropTable('directory_users').execute();
        },
      },
    });
    const runs = await Promise.all([migrateProjection(db, cost), migrateProjection(db, cost), migrateProjection(db, directory)]);
    expect(runs.map((run) => run.applied.length).sort()).toEqual([0, 1, 2]);
    expect(runs[0]?.executed).toEqual(['cost_0001_create_daily', 'cost_0002_add_team']);
    expect(await tables(db)).toEqual(
      expect.arrayContaining(['cost_daily', 'directory_users', 'kysely_migration_cost', 'kysely_migration_directory']),
    );

    await rollbackProjection(db, cost);
    const after = await tables(db);
    expect(after).not.toContain('cost_daily');
    expect(after).toContain('directory_users');
    expect((await migrateProjection(db, directory)).applied).toEqual([]);
  });
});
