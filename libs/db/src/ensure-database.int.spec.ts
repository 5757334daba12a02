import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pg from 'pg';
import { pgUrl, uniqueSuffix } from '@totra/testing';
import { CORE_MIGRATION_TABLES, coreMigrations } from './core-migrations.js';
import { createDb } from './create-db.js';
import { ensureDatabase } from './ensure-database.js';
import { migrateToLatest } from './migrate.js';

describe('ensureDatabase and the core migrations', () => {
  const name = `totra_ensure_${uniqueSuffix().replace(/\W/g, '_').toLowerCase()}`;
  let server: string;

  afterAll(async () => {
    const c = new pg.Client({ connectionString: server });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await c.end();
  });

  it('creates the database once, then finds it; core migrations apply once', async () => {
    server = await pgUrl();
    const url = await ensureDatabase(server, name);
    expect(new URL(url).pathname).toBe(`/${name}`);
    expect(await ensureDatabase(server, name)).toBe(url);
    const db = createDb(url);
    try {
      expect((await migrateToLatest(db, coreMigrations, CORE_MIGRATION_TABLES)).applied).toEqual(['core_0001_projection_checkpoint']);
      expect((await migrateToLatest(db, coreMigrations, CORE_MIGRATION_TABLES)).applied).toEqual([]);
      const cols = await sql<{ column_name: string }>`SELECT column_name FROM information_schema.columns WHERE table_name = 'projection_checkpoint' ORDER BY ordinal_position`.execute(db);
      expect(cols.rows.map((r) => r.column_name)).toEqual(['projection', 'version', 'stream_seq', 'updated_at']);
    } finally {
      await db.destroy();
    }
  });

  it('refuses a name that is not a plain identifier', async () => {
    await expect(ensureDatabase(server ?? (await pgUrl()), 'x"; DROP DATABASE postgres; --')).rejects.toThrow(/lowercase letters/);
  });
});
