import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { sql, type Kysely } from 'kysely';
import { createDb, CORE_MIGRATION_TABLES, coreMigrations, migrateProjection, migrateToLatest } from '@totra/db';
import { ChainWriter, connectNats, ensureStream, type StreamOptions } from '@totra/eventlog';
import { EventRegistry, newEventId, type EventInput } from '@totra/events';
import { migrateRunnerTables, startProjection, type ProjectionRunner } from '@totra/projection';
import { createTestDatabase, natsUrl, uniquePrefix, uniqueStreamName, type TestDatabase } from '@totra/testing';
import { directoryMigrations, directoryProjection } from './directory.projection.js';

const key = (c: string) => `key_${c.repeat(32)}`;
const issued = (keyId: string, userId: string, name: string, cidrs: string[]): EventInput => ({
  type: 'ApiKeyIssued',
  tenant: 'acme',
  data: { keyId, keyHash: 'a'.repeat(64), prefix: 'tt-abcde', userId, teamId: 't_1', name, cidrs },
});
const shredded = (subject: string, reason: 'erasure' | 'retention'): EventInput => {
  const id = newEventId();
  return { type: 'SubjectKeyShredded', id, tenant: 'acme', subject, data: { kids: ['dk_1'], journalEntryId: id, reason, ...(reason === 'retention' ? { category: 'content' } : {}) } };
};

describe('directory read model on erasure (real NATS and Postgres)', () => {
  let database: TestDatabase;
  let db: Kysely<unknown>;
  let nc: NatsConnection;
  let stream: StreamOptions;
  let spoolDir: string;
  let runner: ProjectionRunner | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb(database.url, { maxConnections: 3 });
    await migrateToLatest(db, coreMigrations, CORE_MIGRATION_TABLES);
    await migrateRunnerTables(db);
    await migrateProjection(db, directoryMigrations);
    nc = await connectNats(await natsUrl(), { name: 'directory-erasure-spec' });
    stream = { name: uniqueStreamName('DIRERASE'), subjectPrefix: uniquePrefix('direrase'), storage: 'memory' };
    await ensureStream(await jetstreamManager(nc), stream);
    spoolDir = mkdtempSync(join(tmpdir(), 'directory-erasure-'));
  });

  afterAll(async () => {
    await runner?.stop();
    await (await jetstreamManager(nc)).streams.delete(stream.name).catch(() => undefined);
    await nc?.drain();
    await db?.destroy();
    await database?.drop();
    if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
  });

  it("marks an erased user and clears its keys' labels and networks; retention and other users are untouched", async () => {
    const writer = await ChainWriter.open({ nc, stream, role: 'admin', spoolDir });
    for (const e of [
      issued(key('a'), 'u_erased', "Ada Lovelace's laptop", ['198.51.100.7/32']),
      issued(key('b'), 'u_kept', 'batch job', ['10.0.0.0/8']),
      shredded('u_kept', 'retention'),
      shredded('u_erased', 'erasure'),
    ]) {
      writer.append(e);
    }
    await writer.close();
    runner = startProjection({ nc, stream, db, pgUrl: database.url, registry: new EventRegistry(), projection: directoryProjection() });
    await runner.caughtUp();
    const users = await sql<{ user_id: string; erased: boolean }>`SELECT user_id, erased_at IS NOT NULL AS erased FROM directory_users ORDER BY user_id`.execute(db);
    expect(users.rows).toEqual([
      { user_id: 'u_erased', erased: true },
      { user_id: 'u_kept', erased: false },
    ]);
    const keys = await sql<{ user_id: string; name: string | null; cidrs: unknown }>`SELECT user_id, name, cidrs FROM directory_keys ORDER BY user_id`.execute(db);
    expect(keys.rows).toEqual([
      { user_id: 'u_erased', name: null, cidrs: null },
      { user_id: 'u_kept', name: 'batch job', cidrs: ['10.0.0.0/8'] },
    ]);
    const all = await sql<{ j: string }>`SELECT row_to_json(k)::text AS j FROM directory_keys k`.execute(db);
    expect(all.rows.map((r) => r.j).join()).not.toMatch(/Lovelace|198\.51\.100\.7/);
  });
});
