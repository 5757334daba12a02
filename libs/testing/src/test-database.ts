import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pgUrl } from './engine-urls.js';
import { InvalidTestNameError } from './errors.js';

/** A database of its own for one test suite, on the shared test server. */
export interface TestDatabase {
  /** Database name, `<prefix>_<created, base36 ms>_<random>`. */
  readonly name: string;
  /** Superuser URL of this database. */
  readonly url: string;
  /** Drops it, disconnecting whoever is still connected. Idempotent. */
  drop(): Promise<void>;
}

/** Options of {@link createTestDatabase}. */
export interface TestDatabaseOptions {
  /** Server to create it on (any database URL of it). Default: {@link pgUrl}. */
  readonly serverUrl?: string;
  /** Lowercase name prefix. Default `totra_test`. */
  readonly prefix?: string;
}

const defaultPrefix = 'totra_test';

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

async function withAdminClient<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl, application_name: 'totra-testing' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates an empty database (from template0) with a unique name, so suites run in parallel on
 * one server without seeing each other's tables. Drop it in `afterAll`.
 */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const prefix = options.prefix ?? defaultPrefix;
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(prefix)) {
    throw new InvalidTestNameError(prefix, 'use 1-31 of [a-z0-9_], starting with a letter');
  }
  const serverUrl = options.serverUrl ?? (await pgUrl());
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(5).toString('hex')}`;
  await withAdminClient(serverUrl, (client) => client.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`));
  let dropped: Promise<void> | undefined;
  return {
    name,
    url: withDatabase(serverUrl, name),
    drop: () =>
      (dropped ??= withAdminClient(serverUrl, async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      })),
  };
}

/**
 * Best effort: drops test databases (default prefix) created more than `olderThanMs` ago, left
 * behind by runs that crashed before their `drop()`. Never throws.
 */
export async function dropStaleTestDatabases(serverUrl: string, olderThanMs: number): Promise<string[]> {
  try {
    return await withAdminClient(serverUrl, async (client) => {
      const { rows } = await client.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE '${defaultPrefix}\\_%'`,
      );
      const cutoff = Date.now() - olderThanMs;
      const stale = rows
        .map((row) => row.datname)
        .filter((name) => {
          const created = Number.parseInt(name.slice(defaultPrefix.length + 1).split('_')[0] ?? '', 36);
          return Number.isFinite(created) && created < cutoff;
        });
      for (const name of stale) await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      return stale;
    });
  } catch {
    return [];
  }
}
