import pg from 'pg';
import { DbConfigError } from './errors.js';

/**
 * Creates database `name` on the server of `serverUrl` when it does not exist yet, and returns
 * the URL of that database (same server and credentials).
 */
export async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new DbConfigError(`database name "${name}" must be lowercase letters, digits and underscores`);
  }
  const target = new URL(serverUrl);
  target.pathname = `/${name}`;
  const admin = new pg.Client({ connectionString: serverUrl, application_name: 'totra-setup' });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      try {
        await admin.query(`CREATE DATABASE "${name}"`);
      } catch (err) {
        // Another process created it meanwhile.
        if ((err as { code?: string }).code !== '42P04') throw err;
      }
    }
  } finally {
    await admin.end();
  }
  return target.toString();
}
