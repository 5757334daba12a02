import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { pgUrl } from './engine-urls.js';
import { createTestDatabase, dropStaleTestDatabases, type TestDatabase } from './test-database.js';

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const tableExists = (url: string, table: string) =>
  withClient(url, async (client) => (await client.query('SELECT to_regclass($1) AS t', [table])).rows[0]?.t !== null);

const databaseExists = async (name: string) =>
  withClient(await pgUrl(), async (client) => (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1);

describe('createTestDatabase (real Postgres)', () => {
  const created: TestDatabase[] = [];
  afterAll(async () => {
    await Promise.all(created.map((db) => db.drop()));
  });

  it('gives two suites databases that do not see each other', async () => {
    const a = await createTestDatabase();
    const b = await createTestDatabase();
    created.push(a, b);
    expect(a.name).not.toBe(b.name);
    expect(a.name).toMatch(/^totra_test_[0-9a-z]+_[0-9a-f]{10}$/);
    expect(new URL(a.url).pathname).toBe(`/${a.name}`);

    await withClient(a.url, (client) => client.query('CREATE TABLE orders (id int PRIMARY KEY)'));
    expect(await tableExists(a.url, 'orders')).toBe(true);
    expect(await tableExists(b.url, 'orders')).toBe(false);

    await withClient(b.url, (client) => client.query('CREATE TABLE orders (id text)'));
    expect(await withClient(b.url, async (c) => (await c.query(`SELECT data_type FROM information_schema.columns WHERE table_name = 'orders'`)).rows)).toEqual([
      { data_type: 'text' },
    ]);
  });

  it('drops the database even while someone is still connected, and only once', async () => {
    const db = await createTestDatabase({ prefix: 'totra_drop' });
    const lingering = new pg.Client({ connectionString: db.url });
    await lingering.connect();
    lingering.on('error', () => undefined); // the forced drop terminates it
    expect(await databaseExists(db.name)).toBe(true);
    await db.drop();
    await db.drop();
    expect(await databaseExists(db.name)).toBe(false);
    await lingering.end().catch(() => undefined);
  });

  it('drops test databases left behind by old runs, and only those', async () => {
    const twoDaysAgo = (Date.now() - 2 * 24 * 60 * 60 * 1000).toString(36);
    const leftover = `totra_test_${twoDaysAgo}_0123456789`;
    await withClient(await pgUrl(), (client) => client.query(`CREATE DATABASE ${leftover}`));
    const fresh = await createTestDatabase();
    created.push(fresh);
    const dropped = await dropStaleTestDatabases(await pgUrl(), 24 * 60 * 60 * 1000);
    expect(dropped).toContain(leftover);
    expect(dropped).not.toContain(fresh.name);
    expect(await databaseExists(leftover)).toBe(false);
    expect(await databaseExists(fresh.name)).toBe(true);
  });

  it('rejects a prefix that is not a safe identifier', async () => {
    await expect(createTestDatabase({ prefix: 'Bad-Name' })).rejects.toMatchObject({ code: 'TOTRA_TESTING_INVALID_NAME' });
  });
});
