import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { isProcessAlive } from './managed-process.js';
import { startPostgres } from './postgres-server.js';
import { probePostgres } from './probes.js';

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

describe('startPostgres (real postgres binaries)', () => {
  const root = mkdtempSync(join(tmpdir(), 'totra-pg-spec-'));
  chmodSync(root, 0o755);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('runs initdb once and keeps the data on the next start', async () => {
    const dataDir = join(root, 'cluster');
    const first = await startPostgres({ dataDir, fast: true });
    try {
      expect(first.initialized).toBe(true);
      expect(first.url).toBe(`postgres://postgres@127.0.0.1:${first.port}/postgres`);
      expect(first.majorVersion).toBeGreaterThanOrEqual(13);
      await query(first.url, 'CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$still here$$)');
      const [settings] = await query<{ fsync: string; encoding: string }>(
        first.url,
        `SELECT current_setting('fsync') AS fsync, pg_encoding_to_char(encoding) AS encoding FROM pg_database WHERE datname = 'postgres'`,
      );
      expect(settings).toEqual({ fsync: 'off', encoding: 'UTF8' });
    } finally {
      await first.stop();
    }
    expect(isProcessAlive(first.pid)).toBe(false);
    expect(await probePostgres(first.port)).toBe(false);

    const second = await startPostgres({ dataDir });
    try {
      expect(second.initialized).toBe(false);
      expect(await query(second.url, 'SELECT v FROM kept')).toEqual([{ v: 'still here' }]);
      // Durable settings unless `fast` is asked for.
      expect(await query(second.url, `SELECT current_setting('fsync') AS fsync`)).toEqual([{ fsync: 'on' }]);
    } finally {
      await second.stop();
    }
    expect(() => statSync(second.socketDir)).toThrow();
  });

  it('runs as an unprivileged user when started by root, and as the caller otherwise', async () => {
    const pgServer = await startPostgres({ dataDir: join(root, 'owner'), fast: true });
    try {
      const owner = statSync(pgServer.pgdata).uid;
      if (process.getuid?.() === 0) {
        expect(pgServer.runAs).toMatch(/^(postgres|nobody)$/);
        expect(owner).not.toBe(0);
      } else {
        expect(pgServer.runAs).toBeUndefined();
        expect(owner).toBe(process.getuid?.());
      }
    } finally {
      await pgServer.stop();
    }
  });
});
