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
import { readSettingsLog, settingsLogProjection } from '@totra/projection-reporting';
import { createTestDatabase, natsUrl, uniquePrefix, uniqueStreamName, type TestDatabase } from '@totra/testing';
import { cli } from '../cli.test-kit.js';
import { loadCatalog } from './models.command.js';
import { loadPiiPolicies } from './pii.command.js';

describe('totra models and pii fold their settings from the settings_log read model (ADR 0018)', () => {
  let database: TestDatabase;
  let db: Kysely<unknown>;
  let nc: NatsConnection;
  let stream: StreamOptions;
  let dir: string;
  let log: string[];
  let checkpoint = 0;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb(database.url, { maxConnections: 2, applicationName: 'cli-settings-log-spec' });
    await migrateToLatest(db, coreMigrations, CORE_MIGRATION_TABLES);
    await migrateRunnerTables(db);
    const projection = settingsLogProjection();
    await migrateProjection(db, projection.migrations);
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
    const runner = startProjection({ nc, stream, db, pgUrl: database.url, projection });
    await runner.caughtUp();
    checkpoint = runner.stats().position;
    await runner.stop();
    // ...and after it.
    expect((await add('second')).code).toBe(0);
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
    const log = await readSettingsLog(db);
    expect(log?.upTo).toBe(checkpoint);
    expect(log?.envelopes.map((e) => (e as { type: string }).type).sort()).toEqual(['ModelDeploymentConfigured', 'PiiPolicySet']);
    let reads = 0;
    const fromReadModel = async () => {
      reads++;
      return readSettingsLog(db);
    };
    const catalog = await loadCatalog(nc, stream, fromReadModel);
    expect(catalog).toEqual(await loadCatalog(nc, stream));
    expect([...catalog.deployments.values()].map((d) => d.alias).sort()).toEqual(['first', 'second']);
    const policies = await loadPiiPolicies(nc, stream, fromReadModel);
    expect(policies).toEqual(await loadPiiPolicies(nc, stream));
    expect(reads).toBe(2);
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
