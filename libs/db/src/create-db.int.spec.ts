import { createTestDatabase, type TestDatabase } from '@totra/testing';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from './create-db.js';

interface Tables {
  ledger: { id: number; micro_usd: string };
}

describe('createDb (real Postgres, isolated database)', () => {
  let database: TestDatabase;
  let db: Kysely<Tables>;
  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb<Tables>(database.url, { applicationName: 'totra-db-spec', statementTimeoutMs: 200, maxConnections: 3 });
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  it('runs typed queries; int8 comes back as an exact string', async () => {
    await db.schema.createTable('ledger').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('micro_usd', 'int8').execute();
    await db.insertInto('ledger').values({ id: 1, micro_usd: '9007199254740993' }).execute();
    const row = await db.selectFrom('ledger').select(['id', 'micro_usd']).where('id', '=', 1).executeTakeFirstOrThrow();
    expect(row).toEqual({ id: 1, micro_usd: '9007199254740993' });
  });

  it('names its connections with the application name', async () => {
    const { rows } = await sql<{ name: string }>`SELECT current_setting('application_name') AS name`.execute(db);
    expect(rows).toEqual([{ name: 'totra-db-spec' }]);
  });

  it('cancels statements that run longer than the statement timeout', async () => {
    await expect(sql`SELECT pg_sleep(2)`.execute(db)).rejects.toMatchObject({ code: '57014' });
    const { rows } = await sql<{ ok: number }>`SELECT 1 AS ok`.execute(db);
    expect(rows).toEqual([{ ok: 1 }]);
  });

  it('refuses a URL that is not a Postgres URL', () => {
    expect(() => createDb('mysql://localhost/x')).toThrow(expect.objectContaining({ code: 'TOTRA_DB_CONFIG' }));
    expect(() => createDb(database.url, { maxConnections: 0 })).toThrow(expect.objectContaining({ code: 'TOTRA_DB_CONFIG' }));
  });
});
