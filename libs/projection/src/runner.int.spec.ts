import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { sql, type Kysely } from 'kysely';
import { createDb, CORE_MIGRATION_TABLES, coreMigrations, defineProjectionMigrations, migrateToLatest } from '@totra/db';
import { ChainWriter, connectNats, ensureStream, streamState, type StreamOptions } from '@totra/eventlog';
import { EventRegistry, type EventInput } from '@totra/events';
import { createTestDatabase, natsUrl, uniquePrefix, uniqueStreamName, type TestDatabase } from '@totra/testing';
import { readCheckpoints } from './checkpoint.js';
import { LEADER_LOCK_CLASS } from './leader-lock.js';
import { defineProjection } from './projection.js';
import { startProjection, type ProjectionRunner } from './runner.js';

/** A read model of issued keys only: request traffic holds nothing for it. */
const keysSeen = defineProjection({
  name: 'keys_seen',
  version: 1,
  handles: ['ApiKeyIssued'],
  migrations: defineProjectionMigrations('keys_seen', {
    keys_seen_0001_create: {
      async up(trx) {
        await trx.schema.createTable('keys_seen').addColumn('key_id', 'text', (c) => c.primaryKey()).addColumn('stream_seq', 'int8', (c) => c.notNull()).execute();
      },
      async down(trx) {
        await trx.schema.dropTable('keys_seen').execute();
      },
    },
  }),
  async apply(e, trx) {
    // A plain INSERT: applying an event twice would fail on the primary key, not pass silently.
    await sql`INSERT INTO keys_seen (key_id, stream_seq) VALUES (${(e.event.data as { keyId: string }).keyId}, ${e.streamSeq})`.execute(trx);
  },
});

const keyIssued = (n: number): EventInput => ({
  type: 'ApiKeyIssued',
  tenant: 'acme',
  data: { keyId: `key_${String(n).padStart(32, '0')}`, keyHash: 'a'.repeat(64), prefix: `tt-abcd${n}`, userId: `user-${n}`, teamId: 'team-a' },
});

const rejected = (n: number): EventInput => ({
  type: 'RequestRejected',
  tenant: 'acme',
  data: { requestId: `req-${n}`, api: 'openai.chat', keyId: `key_${'0'.repeat(32)}`, userId: 'user-0', teamId: 'team-a', modelRequested: 'gpt-4o', status: 401, reason: 'unauthenticated', code: 'TOTRA_INVALID_KEY' },
});

describe('projection runner: messages without events of the projection (real NATS and Postgres)', () => {
  let database: TestDatabase;
  let db: Kysely<unknown>;
  let nc: NatsConnection;
  let stream: StreamOptions;
  let spoolDir: string;
  let writer: ChainWriter;
  const registry = new EventRegistry();
  const runners: ProjectionRunner[] = [];
  const warnings: string[] = [];

  /** Appends each input as a stream message of its own; returns the stream sequence of the last. */
  async function appendEach(inputs: EventInput[]): Promise<number> {
    for (const input of inputs) {
      writer.append(input);
      await writer.drain();
    }
    return (await streamState(nc, stream)).lastSeq;
  }

  async function storedCheckpoint(): Promise<number | undefined> {
    return (await readCheckpoints(db)).get('keys_seen')?.streamSeq;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb(database.url, { maxConnections: 4 });
    await migrateToLatest(db, coreMigrations, CORE_MIGRATION_TABLES);
    nc = await connectNats(await natsUrl(), { name: 'projection-runner-spec' });
    stream = { name: uniqueStreamName('RUNNER'), subjectPrefix: uniquePrefix('run'), storage: 'memory' };
    await ensureStream(await jetstreamManager(nc), stream);
    spoolDir = mkdtempSync(join(tmpdir(), 'runner-spec-'));
    writer = await ChainWriter.open({ nc, stream, role: 'gateway', spoolDir });
  });

  afterEach(async () => {
    for (const r of runners.splice(0)) await r.stop();
  });

  afterAll(async () => {
    await writer?.close();
    await nc?.drain();
    await db?.destroy();
    await database?.drop();
    if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
  });

  it('passes over messages without its events with no transaction, and writes the checkpoint past them when asked', async () => {
    await appendEach(Array.from({ length: 30 }, (_, i) => rejected(i)));
    const keySeq = await appendEach([keyIssued(1)]);
    const lastSeq = await appendEach(Array.from({ length: 30 }, (_, i) => rejected(100 + i)));

    const runner = startProjection({ nc, stream, db, pgUrl: database.url, registry, projection: keysSeen, onWarning: (m) => warnings.push(m), maxBatchMessages: 8, checkpointIntervalMs: 600_000 });
    runners.push(runner);
    await expect.poll(() => runner.stats().position, { timeout: 10_000 }).toBe(lastSeq);

    // One transaction, for the batch that held the key; the checkpoint stopped there.
    const stats = runner.stats();
    expect(stats.messagesApplied).toBe(lastSeq);
    expect(stats.batches).toBe(1);
    expect(stats.transactions).toBe(1);
    const atKeyBatch = await storedCheckpoint();
    expect(atKeyBatch).toBeGreaterThanOrEqual(keySeq);
    expect(atKeyBatch).toBeLessThan(lastSeq);
    expect(stats.checkpoint).toBe(atKeyBatch);
    expect(await runner.lag()).toMatchObject({ messagesBehind: 0 });

    // caughtUp() answers once Postgres says so: one checkpoint-only write.
    await runner.caughtUp();
    expect(await storedCheckpoint()).toBe(lastSeq);
    expect(runner.stats().transactions).toBe(2);
    const { rows } = await sql<{ key_id: string; stream_seq: string }>`SELECT key_id, stream_seq FROM keys_seen`.execute(db);
    expect(rows).toEqual([{ key_id: keyIssued(1).data['keyId'], stream_seq: String(keySeq) }]);
    expect(warnings).toEqual([]);
  });

  it('moves the checkpoint past passed-over messages on its own within the interval, and at stop', async () => {
    const before = (await streamState(nc, stream)).lastSeq;
    const runner = startProjection({ nc, stream, db, pgUrl: database.url, registry, projection: keysSeen, checkpointIntervalMs: 50 });
    runners.push(runner);
    const lastSeq = await appendEach(Array.from({ length: 5 }, (_, i) => rejected(200 + i)));
    expect(lastSeq).toBe(before + 5);
    // No caughtUp(): the interval alone brings the checkpoint to the end.
    await expect.poll(storedCheckpoint, { timeout: 10_000 }).toBe(lastSeq);
    expect(runner.stats().batches).toBe(0);

    const stopped = startProjection({ nc, stream, db, pgUrl: database.url, registry, projection: keysSeen, checkpointIntervalMs: 600_000 });
    await runner.stop();
    runners.splice(runners.indexOf(runner), 1);
    runners.push(stopped);
    const end = await appendEach(Array.from({ length: 3 }, (_, i) => rejected(300 + i)));
    await expect.poll(() => stopped.stats().position, { timeout: 10_000 }).toBe(end);
    expect(await storedCheckpoint()).toBe(lastSeq);
    await stopped.stop();
    expect(await storedCheckpoint()).toBe(end);
  });

  it('after losing its leadership it reads the passed-over messages again from the checkpoint and applies nothing twice', async () => {
    const runner = startProjection({ nc, stream, db, pgUrl: database.url, registry, projection: keysSeen, checkpointIntervalMs: 600_000 });
    runners.push(runner);
    await runner.caughtUp();
    const stored = await storedCheckpoint();
    const keySeq = await appendEach([keyIssued(2)]);
    const lastSeq = await appendEach(Array.from({ length: 20 }, (_, i) => rejected(400 + i)));
    await expect.poll(() => runner.stats().position, { timeout: 10_000 }).toBe(lastSeq);
    const behind = (await storedCheckpoint()) ?? 0;
    expect(behind).toBeGreaterThanOrEqual(keySeq);
    expect(behind).toBeLessThan(lastSeq);
    expect(behind).toBeGreaterThan(stored ?? 0);
    const read = runner.stats().messagesApplied;
    expect(runner.stats().eventsApplied).toBe(1);

    // As far as Postgres can tell, the instance died: its lock connection is cut. It leads again
    // from the checkpoint in Postgres, not from where it was.
    const { rows: killed } = await sql<{ ok: boolean }>`
      SELECT pg_terminate_backend(l.pid) AS ok FROM pg_locks l
      WHERE l.locktype = 'advisory' AND l.classid = ${LEADER_LOCK_CLASS} AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`.execute(db);
    expect(killed).toEqual([{ ok: true }]);
    await expect.poll(() => runner.stats().messagesApplied, { timeout: 10_000 }).toBe(read + (lastSeq - behind));
    expect(runner.stats().role).toBe('active');
    await runner.caughtUp();
    expect(await storedCheckpoint()).toBe(lastSeq);
    // Read again, nothing in them: nothing applied a second time, nothing set aside.
    expect(runner.stats().eventsApplied).toBe(1);
    expect(runner.stats().deadLetters).toBe(0);
    const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM keys_seen`.execute(db);
    expect(rows[0]?.n).toBe('2');
  });
});
