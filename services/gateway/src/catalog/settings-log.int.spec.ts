import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { sql, type Kysely } from 'kysely';
import { CATALOG_EVENT_TYPES, decideAll, diffCatalog, emptyCatalog, seedFromEnv } from '@totra/catalog';
import { createDb, CORE_MIGRATION_TABLES, coreMigrations, migrateProjection, migrateToLatest } from '@totra/db';
import { ChainWriter, connectNats, ensureStream, streamState, type StreamOptions } from '@totra/eventlog';
import { type EventInput } from '@totra/events';
import { migrateRunnerTables, startProjection } from '@totra/projection';
import { settingsLog, type EventLog, type EventLogLoad } from '@totra/projection-reporting';
import { createTestDatabase, natsUrl, uniquePrefix, uniqueStreamName, type TestDatabase } from '@totra/testing';
import { TEAM_SETTINGS_TYPES } from '../gdpr/request-privacy.js';
import { PII_POLICY_TYPES } from '../pii/pii-stage.js';
import { PRICE_TYPES } from '../quota/quota-stage.js';
import { startCatalog } from './catalog-directory.js';

const ENV = { OPENAI_API_KEY: 'sk-test', ANTHROPIC_API_KEY: 'sk-ant-test' };

/** Traffic between settings changes: events a gateway's start has no use for. */
function traffic(n: number, from: number): EventInput[] {
  return Array.from({ length: n }, (_, i) => ({
    type: 'ApiKeyIssued',
    tenant: 'acme',
    data: { keyId: `key_${String(from + i).padStart(32, '0')}`, keyHash: 'a'.repeat(64), prefix: 'tt-abcd1', userId: `user-${i}`, teamId: 'team-a' },
  }));
}

const allowed = (teamId: string, aliases: string[] | null): EventInput => ({ type: 'TeamModelsAllowed', tenant: 'system', data: { teamId, aliases } });

describe('gateway start from the settings_log read model (ADR 0018)', () => {
  let database: TestDatabase;
  let db: Kysely<unknown>;
  let nc: NatsConnection;
  let stream: StreamOptions;
  let dir: string;
  /** Stream sequence the read model is complete up to, and the settings events it holds. */
  let checkpoint = 0;
  let logged = 0;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb(database.url, { maxConnections: 2, applicationName: 'settings-log-spec' });
    await migrateToLatest(db, coreMigrations, CORE_MIGRATION_TABLES);
    await migrateRunnerTables(db);
    const projection = settingsLog.projection();
    await migrateProjection(db, projection.migrations);
    nc = await connectNats(await natsUrl(), { name: 'settings-log-spec' });
    stream = { name: uniqueStreamName('SETTINGSLOG'), subjectPrefix: uniquePrefix('settingslog'), storage: 'memory' };
    await ensureStream(await jetstreamManager(nc), stream);
    dir = mkdtempSync(join(tmpdir(), 'totra-settings-log-'));
    // Small batches: many stream messages of traffic around a few settings changes.
    const writer = await ChainWriter.open({ nc, stream, role: 'admin', spoolDir: join(dir, 'spool'), batchMaxEvents: 5 });
    const seed = decideAll(diffCatalog(emptyCatalog(), seedFromEnv(ENV), { time: new Date().toISOString() }), emptyCatalog()).events;
    const first: EventInput[] = [...traffic(200, 0), ...seed, ...traffic(200, 200), allowed('team-a', ['gpt-4o']), ...traffic(200, 400)];
    for (const e of first) writer.append(e);
    await writer.drain();
    logged = seed.length + 1;
    // The projector applies everything written so far, then stops: what follows is past its checkpoint.
    const runner = startProjection({ nc, stream, db, pgUrl: database.url, projection });
    await runner.caughtUp();
    checkpoint = runner.stats().position;
    await runner.stop();
    for (const e of [...traffic(50, 600), allowed('team-a', ['gpt-4o', 'claude-sonnet-4-5']), allowed('team-b', ['gpt-4o-mini']), ...traffic(50, 650)]) writer.append(e);
    await writer.close();
  });

  afterAll(async () => {
    await nc?.drain();
    await db?.destroy();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const start = async (readLog?: () => Promise<EventLog | undefined>) => {
    const loads: EventLogLoad[] = [];
    const errors: string[] = [];
    const appended: unknown[] = [];
    const running = await startCatalog({
      nc,
      stream,
      append: (e) => appended.push(e),
      env: ENV,
      ...(readLog ? { settingsLog: readLog } : {}),
      onLoaded: (how) => loads.push(how),
      onError: (err) => errors.push((err as Error).message),
    });
    await running.stop();
    return { state: running.directory.state, load: loads[0], errors, appended };
  };

  it('lists the event types the gateway folds at start', () => {
    expect(new Set(settingsLog.types)).toEqual(new Set([...CATALOG_EVENT_TYPES, ...PII_POLICY_TYPES, ...TEAM_SETTINGS_TYPES, ...PRICE_TYPES]));
  });

  it('keeps every settings event up to its checkpoint, in stream order, and nothing else', async () => {
    const log = await settingsLog.read(db);
    expect(log?.upTo).toBe(checkpoint);
    expect(log?.envelopes).toHaveLength(logged);
    const types = (log?.envelopes ?? []).map((e) => (e as { type: string }).type);
    expect(types.at(-1)).toBe('TeamModelsAllowed');
    expect(types.slice(0, -1).every((t) => t === 'ModelDeploymentConfigured')).toBe(true);
  });

  it('builds the same settings as reading the whole stream, reading only the stream past the checkpoint', async () => {
    const { lastSeq } = await streamState(nc, stream);
    const whole = await start();
    expect(whole.load).toEqual({ fromReadModel: undefined, streamMessages: lastSeq });
    const fast = await start(() => settingsLog.read(db));
    expect(fast.errors).toEqual([]);
    expect(fast.load).toEqual({ fromReadModel: { upTo: checkpoint, events: logged }, streamMessages: lastSeq - checkpoint });
    expect(fast.load?.streamMessages).toBeLessThan(lastSeq / 4);
    expect(fast.state).toEqual(whole.state);
    // Both saw the changes made before the checkpoint and after it.
    expect(fast.state.deployments.size).toBeGreaterThan(0);
    expect(fast.state.teamAliases.get('team-a')).toEqual(['gpt-4o', 'claude-sonnet-4-5']);
    expect(fast.state.teamAliases.get('team-b')).toEqual(['gpt-4o-mini']);
    expect(fast.appended).toEqual([]);
    expect(whole.appended).toEqual([]);
  });

  it('reads the whole stream when the read model does not belong to this stream', async () => {
    const { lastSeq } = await streamState(nc, stream);
    const real = await settingsLog.read(db);
    const beyond = await start(async () => ({ upTo: lastSeq + 10, envelopes: real?.envelopes ?? [], lastStreamSeq: real?.lastStreamSeq }));
    expect(beyond.load).toEqual({ fromReadModel: undefined, streamMessages: lastSeq });
    expect(beyond.errors.join('\n')).toMatch(/does not match stream/);
    // The position of its last event holds another event: a read model of another stream.
    const elsewhere = await start(async () => ({ upTo: checkpoint, envelopes: real?.envelopes ?? [], lastStreamSeq: 1 }));
    expect(elsewhere.load?.fromReadModel).toBeUndefined();
    expect(elsewhere.errors.join('\n')).toMatch(/does not match stream/);
    expect(elsewhere.state).toEqual(beyond.state);
  });

  it('reads the whole stream, without a warning, when the read model holds no settings event yet', async () => {
    const { lastSeq } = await streamState(nc, stream);
    const empty = await start(async () => ({ upTo: checkpoint, envelopes: [], lastStreamSeq: undefined }));
    expect(empty.load).toEqual({ fromReadModel: undefined, streamMessages: lastSeq });
    expect(empty.errors).toEqual([]);
  });

  it('reads the whole stream when the read model cannot be read', async () => {
    const { lastSeq } = await streamState(nc, stream);
    const down = await start(() => Promise.reject(new Error('connect ECONNREFUSED')));
    expect(down.load).toEqual({ fromReadModel: undefined, streamMessages: lastSeq });
    expect(down.errors.join('\n')).toMatch(/could not be read \(connect ECONNREFUSED\)/);
  });

  it('is not read when it was written by another version of its projection', async () => {
    const own = settingsLog.projection().version;
    await sql`UPDATE projection_checkpoint SET version = ${own + 1} WHERE projection = 'settings_log'`.execute(db);
    try {
      expect(await settingsLog.read(db)).toBeUndefined();
    } finally {
      await sql`UPDATE projection_checkpoint SET version = ${own} WHERE projection = 'settings_log'`.execute(db);
    }
    expect((await settingsLog.read(db))?.upTo).toBe(checkpoint);
  });
});
