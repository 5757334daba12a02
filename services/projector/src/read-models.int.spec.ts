import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { sql } from 'kysely';
import { ChainWriter, connectNats, ensureStream, type StreamOptions } from '@totra/eventlog';
import { createTestDatabase, natsUrl, redisKeyPrefix, redisUrl, uniquePrefix, uniqueStreamName, type TestDatabase } from '@totra/testing';
import { loadProjectorConfig } from './config.js';
import { startProjector, type RunningProjector } from './projector.js';

describe('projector with TOTRA_PG_URL (real NATS, Redis and Postgres)', () => {
  let database: TestDatabase;
  let nc: NatsConnection;
  let stream: StreamOptions;
  let dir: string;
  let projector: RunningProjector | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    const nats = await natsUrl();
    nc = await connectNats(nats, { name: 'projector-read-models' });
    stream = { name: uniqueStreamName('PROJRM'), subjectPrefix: uniquePrefix('projrm') };
    await ensureStream(await jetstreamManager(nc), stream);
    dir = mkdtempSync(join(tmpdir(), 'totra-projector-rm-'));
    env = {
      TOTRA_NATS_URL: nats,
      TOTRA_REDIS_URL: await redisUrl(),
      TOTRA_REDIS_PREFIX: redisKeyPrefix('projrm'),
      TOTRA_STREAM: stream.name,
      TOTRA_SUBJECT_PREFIX: stream.subjectPrefix,
      TOTRA_SPOOL_DIR: join(dir, 'spool'),
      TOTRA_PG_URL: database.url,
    };
  });

  afterAll(async () => {
    await projector?.close();
    await (await jetstreamManager(nc)).streams.delete(stream.name).catch(() => undefined);
    await nc?.close();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('migrates Postgres and keeps the reporting read models up to date', async () => {
    expect(loadProjectorConfig(env).pgUrl).toBe(database.url);
    expect(() => loadProjectorConfig({ ...env, TOTRA_PG_URL: 'mysql://x' })).toThrow(/TOTRA_PG_URL: a postgres:\/\/ URL/);
    projector = await startProjector(loadProjectorConfig(env));
    expect(projector.readModels?.runners.map((r) => r.name)).toEqual(['cost', 'audit_index', 'directory', 'forecast', 'anomaly', 'settings_log', 'keys_log', 'quota_log', 'gdpr_log']);
    const writer = await ChainWriter.open({ nc, stream, role: 'gateway', spoolDir: join(dir, 'spool') });
    const caller = { keyId: `key_${'1'.repeat(32)}`, userId: 'user-1', teamId: 'team-1' };
    writer.append({ type: 'ApiKeyIssued', tenant: 'acme', data: { keyId: caller.keyId, keyHash: 'a'.repeat(64), prefix: 'tt-abcd1', userId: caller.userId, teamId: caller.teamId } });
    writer.append({
      type: 'RequestCompleted',
      tenant: 'acme',
      time: '2026-03-02T10:00:00.000Z',
      data: { requestId: 'r-1', api: 'openai.chat', ...caller, modelRequested: 'gpt-4o', modelServed: 'gpt-4o', provider: 'openai', deploymentId: 'd/1', attempts: 1, status: 200, stream: false, finishReason: 'stop', tokens: { input: 11, output: 7, cachedInput: 0, reasoning: 0, estimated: false }, latency: { overheadUs: 1, upstreamUs: 2, totalUs: 3 } },
    });
    await writer.close();
    await Promise.all(projector.readModels!.runners.map((r) => r.caughtUp()));
    const db = projector.readModels!.db;
    const { rows } = await sql<{ team_id: string; requests: string; tokens_in: string }>`SELECT team_id, requests, tokens_in FROM cost_daily`.execute(db);
    expect(rows).toEqual([{ team_id: 'team-1', requests: '1', tokens_in: '11' }]);
    const { rows: keys } = await sql<{ key_id: string }>`SELECT key_id FROM directory_keys`.execute(db);
    expect(keys).toEqual([{ key_id: caller.keyId }]);
    const { rows: audit } = await sql<{ request_id: string }>`SELECT request_id FROM audit_index`.execute(db);
    expect(audit).toEqual([{ request_id: 'r-1' }]);
    const { rows: daily } = await sql<{ scope: string; scope_id: string; requests: string }>`SELECT scope, scope_id, requests FROM anomaly_daily ORDER BY scope`.execute(db);
    expect(daily).toEqual([
      { scope: 'model', scope_id: 'gpt-4o', requests: '1' },
      { scope: 'team', scope_id: 'team-1', requests: '1' },
      { scope: 'user', scope_id: 'user-1', requests: '1' },
    ]);
  });
});
