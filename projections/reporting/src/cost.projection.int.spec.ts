import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { sql, type Kysely } from 'kysely';
import { createDb, CORE_MIGRATION_TABLES, coreMigrations, migrateToLatest } from '@totra/db';
import { ChainWriter, connectNats, ensureStream, type StreamOptions } from '@totra/eventlog';
import { EventRegistry, type EventInput } from '@totra/events';
import { rebuildProjection, startProjection, type ProjectionRunner } from '@totra/projection';
import { createTestDatabase, natsUrl, uniquePrefix, uniqueStreamName, type TestDatabase } from '@totra/testing';
import { costProjection } from './cost.projection.js';

const DAY = '2026-03-02';

function completed(requestId: string, teamId: string): EventInput {
  return {
    type: 'RequestCompleted',
    tenant: 'acme',
    time: `${DAY}T10:00:00.000Z`,
    data: { requestId, api: 'openai.chat', keyId: 'key_1', userId: 'u-1', teamId, modelRequested: 'gpt-4o', modelServed: 'gpt-4o', provider: 'openai', deploymentId: 'd/1', attempts: 1, status: 200, stream: false, finishReason: 'stop', tokens: { input: 10, output: 5, cachedInput: 0, reasoning: 0, estimated: false }, latency: { overheadUs: 1, upstreamUs: 2, totalUs: 3 } },
  };
}

function spent(requestId: string, microUsd: number): EventInput {
  return {
    type: 'SpendRecorded',
    tenant: 'acme',
    time: `${DAY}T10:00:01.000Z`,
    data: { requestId, scopes: [], tokens: { input: 10, output: 5, cachedInput: 0, reasoning: 0 }, microUsd, priceVersion: 'p1', model: 'gpt-4o', provider: 'openai', deploymentId: 'd/1', keyId: 'key_1', userId: 'u-1', teamId: 'team-x' },
  };
}

async function digest(db: Kysely<unknown>, table: string): Promise<string> {
  const { rows } = await sql<{ h: string | null; n: string }>`SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS h, count(*) AS n FROM ${sql.table(table)} t`.execute(db);
  return `${rows[0]?.n}:${rows[0]?.h ?? ''}`;
}

describe('cost projection: a spend counts once under its request, in whatever order and batch the two arrive (real NATS and Postgres)', () => {
  let database: TestDatabase;
  let db: Kysely<unknown>;
  let nc: NatsConnection;
  let stream: StreamOptions;
  let spoolDir: string;
  let runner: ProjectionRunner;
  const registry = new EventRegistry();

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb(database.url, { maxConnections: 4 });
    await migrateToLatest(db, coreMigrations, CORE_MIGRATION_TABLES);
    nc = await connectNats(await natsUrl(), { name: 'cost-projection-spec' });
    stream = { name: uniqueStreamName('COSTP'), subjectPrefix: uniquePrefix('costp'), storage: 'memory' };
    await ensureStream(await jetstreamManager(nc), stream);
    spoolDir = mkdtempSync(join(tmpdir(), 'cost-projection-spec-'));
    // One event per stream message, so the live runner (one message per batch) sees each alone.
    const writer = await ChainWriter.open({ nc, stream, role: 'gateway', spoolDir, batchMaxEvents: 1 });
    const events = [
      completed('same', 'team-a'), // request and spend next to each other
      spent('same', 100),
      spent('early', 20), // spend before its request
      completed('late-spend', 'team-b'), // request long before its spend
      completed('twice', 'team-c'), // a request seen twice: its spend goes to the first one's dimensions
      completed('early', 'team-b'),
      completed('twice', 'team-d'),
      spent('late-spend', 3),
      spent('twice', 4000),
      spent('orphan', 50_000), // never a request: waits, counted nowhere
    ];
    for (const e of events) writer.append(e);
    await writer.close();
    runner = startProjection({ nc, stream, db, pgUrl: database.url, registry, projection: costProjection((t) => registry.has(t)), maxBatchMessages: 1 });
    await runner.caughtUp();
  });

  afterAll(async () => {
    await runner?.stop();
    await nc?.drain();
    await db?.destroy();
    await database?.drop();
    if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
  });

  it('counts each spend under its request, event by event and in one batch alike', async () => {
    const { rows } = await sql<{ team_id: string; requests: string; micro_usd: string }>`
      SELECT team_id, sum(requests) AS requests, sum(micro_usd) AS micro_usd FROM cost_daily GROUP BY team_id ORDER BY team_id`.execute(db);
    expect(rows).toEqual([
      { team_id: 'team-a', requests: '1', micro_usd: '100' },
      { team_id: 'team-b', requests: '2', micro_usd: '23' },
      { team_id: 'team-c', requests: '1', micro_usd: '4000' },
      { team_id: 'team-d', requests: '1', micro_usd: '0' },
    ]);
    const { rows: orphan } = await sql<{ day: string | null; micro_usd: string }>`SELECT day, micro_usd FROM cost_request WHERE request_id = 'orphan'`.execute(db);
    expect(orphan).toEqual([{ day: null, micro_usd: '50000' }]);
    const before = await Promise.all(['cost_daily', 'cost_request'].map((t) => digest(db, t)));
    // The whole log in one batch (request and spend folded together) gives the same rows.
    const report = await rebuildProjection({ nc, stream, db, pgUrl: database.url, projection: costProjection((t) => registry.has(t)), registry });
    expect(report.events).toBe(10);
    expect(await Promise.all(['cost_daily', 'cost_request'].map((t) => digest(db, t)))).toEqual(before);
  });
});
