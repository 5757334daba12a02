import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { type Kysely } from 'kysely';
import { SEED_VARIABLES } from '@totra/catalog';
import { createDb, CORE_MIGRATION_TABLES, coreMigrations, migrateProjection, migrateToLatest } from '@totra/db';
import { connectNats, ensureStream, type StreamOptions } from '@totra/eventlog';
import { migrateRunnerTables, startProjection } from '@totra/projection';
import { ERASURE_EVENT_TYPES } from '@totra/crypto';
import { gdprLog, keysLog, quotaLog, replayFromEventLog, settingsLog } from '@totra/projection-reporting';
import { createTestDatabase, natsUrl, uniquePrefix, uniqueStreamName, type TestDatabase } from '@totra/testing';
import { cli } from '../cli.test-kit.js';
import { loadQuotaState } from './budgets.command.js';
import { loadErasureState } from './gdpr.command.js';
import { loadApiKeys } from './keys.command.js';
import { loadCatalog } from './models.command.js';
import { loadPiiPolicies } from './pii.command.js';

describe('totra models, pii, keys, budgets and gdpr fold their events from event-log read models (ADR 0018)', () => {
  let database: TestDatabase;
  let db: Kysely<unknown>;
  let nc: NatsConnection;
  let stream: StreamOptions;
  let dir: string;
  let log: string[];
  let checkpoint = 0;
  let firstKeyId = '';

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb(database.url, { maxConnections: 2, applicationName: 'cli-settings-log-spec' });
    await migrateToLatest(db, coreMigrations, CORE_MIGRATION_TABLES);
    await migrateRunnerTables(db);
    const projections = [settingsLog, keysLog, quotaLog, gdprLog].map((m) => m.projection());
    for (const projection of projections) await migrateProjection(db, projection.migrations);
    const url = await natsUrl();
    nc = await connectNats(url, { name: 'cli-settings-log' });
    stream = { name: uniqueStreamName('CLISL'), subjectPrefix: uniquePrefix('clisl') };
    await ensureStream(await jetstreamManager(nc), stream);
    dir = mkdtempSync(join(tmpdir(), 'totra-cli-settings-log-'));
    log = ['--nats', url, '--stream', stream.name, '--subject-prefix', stream.subjectPrefix, '--state-dir', dir];
    for (const v of SEED_VARIABLES) vi.stubEnv(v, '');
    // Settings before the projector's checkpoint...
    const add = (alias: string) => cli('models', 'add', '--alias', alias, '--provider', 'openai', '--model', 'gpt-4o', '--credential', 'env:OPENAI_API_KEY', ...log);
    expect((await add('first')).code).toBe(0);
    expect((await cli('pii', 'policy', 'set', '--scope', 'tenant:acme', '--action', 'EMAIL=block', ...log)).code).toBe(0);
    const issue = (user: string) => cli('keys', 'issue', '--user', user, '--team', 't-1', '--tenant', 'acme', '--json', ...log);
    const budget = (team: string) => cli('budgets', 'set', '--team', team, '--tenant', 'acme', '--usd', '100', ...log);
    const first = await issue('u-1');
    expect(first.code, first.err).toBe(0);
    firstKeyId = (JSON.parse(first.out) as { keyId: string }).keyId;
    expect((await budget('t-1')).code).toBe(0);
    const gdpr = async (...args: string[]) => {
      const r = await cli('gdpr', ...args, ...log);
      expect(r.code, r.err).toBe(0);
    };
    await gdpr('request-erasure', 'u-1', '--tenant', 'acme');
    await gdpr('hold', 'u-1', '--reason', 'open case', '--tenant', 'acme');
    const positions: number[] = [];
    for (const projection of projections) {
      const runner = startProjection({ nc, stream, db, pgUrl: database.url, projection });
      await runner.caughtUp();
      positions.push(runner.stats().position);
      await runner.stop();
    }
    checkpoint = positions[0] as number;
    expect(positions).toEqual([checkpoint, checkpoint, checkpoint, checkpoint]);
    // ...and after it.
    expect((await add('second')).code).toBe(0);
    expect((await issue('u-2')).code).toBe(0);
    expect((await cli('keys', 'revoke', firstKeyId, ...log)).code).toBe(0);
    expect((await budget('t-2')).code).toBe(0);
    await gdpr('request-erasure', 'u-2', '--tenant', 'acme');
    vi.unstubAllEnvs();
  });

  beforeEach(() => {
    for (const v of SEED_VARIABLES) vi.stubEnv(v, '');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  afterAll(async () => {
    await (await jetstreamManager(nc)).streams.delete(stream.name).catch(() => undefined);
    await nc?.close();
    await db?.destroy();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('folds the same catalog and policies from the read model and the rest of the log as from the whole log', async () => {
    const log = await settingsLog.read(db);
    expect(log?.upTo).toBe(checkpoint);
    expect(log?.envelopes.map((e) => (e as { type: string }).type).sort()).toEqual(['ModelDeploymentConfigured', 'PiiPolicySet']);
    let reads = 0;
    const fromReadModel = {
      name: settingsLog.name,
      read: async () => {
        reads++;
        return settingsLog.read(db);
      },
    };
    const catalog = await loadCatalog(nc, stream, fromReadModel);
    expect(catalog).toEqual(await loadCatalog(nc, stream));
    expect([...catalog.deployments.values()].map((d) => d.alias).sort()).toEqual(['first', 'second']);
    const policies = await loadPiiPolicies(nc, stream, fromReadModel);
    expect(policies).toEqual(await loadPiiPolicies(nc, stream));
    expect(reads).toBe(2);
  });

  it('folds the same keys and budgets from their read models and the rest of the log as from the whole log', async () => {
    const keys = await keysLog.read(db);
    expect(keys?.upTo).toBe(checkpoint);
    expect(keys?.envelopes.map((e) => (e as { type: string }).type)).toEqual(['ApiKeyIssued']);
    const quota = await quotaLog.read(db);
    expect(quota?.upTo).toBe(checkpoint);
    expect(quota?.envelopes.map((e) => (e as { type: string }).type)).toEqual(['BudgetSet']);

    const fromKeysLog = { name: keysLog.name, read: () => keysLog.read(db) };
    const state = await loadApiKeys(nc, stream, fromKeysLog);
    expect(state).toEqual(await loadApiKeys(nc, stream));
    expect(state.size).toBe(2);
    expect(state.get(firstKeyId)?.revokedAt).toBeDefined();
    const budgets = await loadQuotaState(nc, stream, { name: quotaLog.name, read: () => quotaLog.read(db) });
    expect(budgets).toEqual(await loadQuotaState(nc, stream));
    expect(budgets.budgets.size).toBe(2);

    // Only the messages past the checkpoint are read from the stream.
    const load = (await replayFromEventLog({ nc, stream, types: new Set(keysLog.types), onEvent: () => undefined, log: fromKeysLog })).load;
    const whole = (await replayFromEventLog({ nc, stream, types: new Set(keysLog.types), onEvent: () => undefined })).load;
    expect(load.fromReadModel).toEqual({ upTo: checkpoint, events: 1 });
    expect(load.streamMessages).toBe(whole.streamMessages - checkpoint);
  });

  it('folds the same erasure state from the gdpr_log read model and the rest of the log as from the whole log', async () => {
    expect(new Set(gdprLog.types)).toEqual(ERASURE_EVENT_TYPES);
    const saved = await gdprLog.read(db);
    expect(saved?.upTo).toBe(checkpoint);
    expect(saved?.envelopes.map((e) => (e as { type: string }).type)).toEqual(['ApiKeyIssued', 'SubjectErasureRequested', 'RetentionHoldPlaced']);
    const fromGdprLog = { name: gdprLog.name, read: () => gdprLog.read(db) };
    const state = await loadErasureState(nc, stream, fromGdprLog);
    expect(state).toEqual(await loadErasureState(nc, stream));
    expect([...state.subjects.keys()].sort()).toEqual(['u-1', 'u-2']);
    expect(state.subjects.get('u-1')?.holds.size).toBe(1);
    expect(state.subjects.get('u-1')?.apiKeys.get(firstKeyId)).toEqual({ revoked: true });

    // The command, given the Postgres of the key store (--db), answers the same from the read model.
    const status = async (...extra: string[]) => {
      const r = await cli('gdpr', 'status', '--json', ...log, ...extra);
      expect(r.code, r.err).toBe(0);
      return { out: JSON.parse(r.out) as { subject: string; state: string }[], err: r.err };
    };
    const whole = await status();
    expect(whole.out.map((r) => [r.subject, r.state])).toEqual([
      ['u-1', expect.any(String)],
      ['u-2', expect.any(String)],
    ]);
    expect(await status('--db', database.url)).toEqual(whole);
  });

  it('lists the same keys and budgets with ToTra’s Postgres known, and with one that is down (and says so)', async () => {
    const run = async (...args: string[]) => {
      const r = await cli(...args, '--json', ...log);
      expect(r.code, r.err).toBe(0);
      return { out: JSON.parse(r.out) as unknown, err: r.err };
    };
    const keys = await run('keys', 'list');
    const budgets = await run('budgets', 'list');
    expect(keys.out).toHaveLength(2);
    expect(budgets.out).toHaveLength(2);
    vi.stubEnv('TOTRA_DATABASE_URL', database.url);
    expect(await run('keys', 'list')).toEqual({ out: keys.out, err: '' });
    expect(await run('budgets', 'list')).toEqual({ out: budgets.out, err: '' });
    vi.stubEnv('TOTRA_DATABASE_URL', 'postgres://postgres@127.0.0.1:1/none');
    const keysDown = await run('keys', 'list');
    expect(keysDown.out).toEqual(keys.out);
    expect(keysDown.err).toMatch(/^note: the keys_log read model could not be read \(.+\); reading the whole log instead\n$/);
    const budgetsDown = await run('budgets', 'list');
    expect(budgetsDown.out).toEqual(budgets.out);
    expect(budgetsDown.err).toMatch(/^note: the quota_log read model could not be read/);
  });

  it('lists the same models with ToTra’s Postgres known, and with one that is down (and says so)', async () => {
    const list = async () => {
      const r = await cli('models', 'list', '--json', ...log);
      expect(r.code, r.err).toBe(0);
      return { models: JSON.parse(r.out) as { alias: string }[], err: r.err };
    };
    const whole = await list();
    expect(whole.models.map((d) => d.alias).sort()).toEqual(['first', 'second']);
    vi.stubEnv('TOTRA_DATABASE_URL', database.url);
    const fromReadModel = await list();
    expect(fromReadModel.models).toEqual(whole.models);
    expect(fromReadModel.err).toBe('');
    vi.stubEnv('TOTRA_DATABASE_URL', 'postgres://postgres@127.0.0.1:1/none');
    const down = await list();
    expect(down.models).toEqual(whole.models);
    expect(down.err).toMatch(/^note: the settings_log read model could not be read \(.+\); reading the whole log instead\n$/);
    const policies = await cli('pii', 'policy', 'list', '--json', ...log);
    expect(policies.code, policies.err).toBe(0);
    expect(policies.err).toMatch(/settings_log read model could not be read/);
  });
});
