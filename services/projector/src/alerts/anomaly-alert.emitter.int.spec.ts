import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { type Kysely } from 'kysely';
import { createDb, CORE_MIGRATION_TABLES, coreMigrations, migrateToLatest } from '@totra/db';
import { ChainWriter, connectNats, ensureStream, readStream, type StreamOptions } from '@totra/eventlog';
import { EventRegistry, personalFieldsInClear, type EventInput } from '@totra/events';
import { rebuildProjection, startProjection, type ProjectionRunner } from '@totra/projection';
import { anomalies, anomalyEventId, anomalyProjection } from '@totra/projection-reporting';
import { createTestDatabase, natsUrl, uniquePrefix, uniqueStreamName, type TestDatabase } from '@totra/testing';
import { AnomalyAlertEmitter } from './anomaly-alert.emitter.js';

const FIRST = '2026-01-05';
const addDays = (day: string, n: number): string => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** Five weeks of steady spend of one user (team t-1, model m-1), tenfold on two days. */
function spend(days: number, spikes: readonly number[]): EventInput[] {
  const out: EventInput[] = [];
  for (let t = 0; t < days; t++) {
    const day = addDays(FIRST, t);
    const count = spikes.includes(t) ? 100 : 10;
    for (let i = 0; i < count; i++) {
      const tokens = { input: 10, output: 5, cachedInput: 0, reasoning: 0 };
      out.push({
        type: 'SpendRecorded',
        tenant: 'acme',
        time: `${day}T10:${String(i % 60).padStart(2, '0')}:00.000Z`,
        data: { requestId: `r-${t}-${i}`, scopes: [], tokens, microUsd: 1000 + ((t * 31 + i * 17) % 50), priceVersion: 'p1', model: 'm-1', provider: 'openai', deploymentId: 'd/1', keyId: 'key_1', userId: 'u-1', teamId: 't-1' },
      });
    }
  }
  return out;
}

/** Ids of the `SpendAnomalyDetected` events in the log, as often as they occur. */
async function announced(nc: NatsConnection, stream: StreamOptions): Promise<{ id: string; data: Record<string, unknown> }[]> {
  const registry = new EventRegistry();
  const out: { id: string; data: Record<string, unknown> }[] = [];
  for await (const batch of readStream(nc, stream)) {
    for (const line of batch.lines) {
      if (!line.includes('"SpendAnomalyDetected"')) continue;
      const e = registry.decode(JSON.parse(line));
      out.push({ id: e.envelope.id, data: e.data });
    }
  }
  return out;
}

describe('anomaly alerts: SpendAnomalyDetected appended once per anomaly (real NATS and Postgres)', () => {
  let database: TestDatabase;
  let db: Kysely<unknown>;
  let nc: NatsConnection;
  let stream: StreamOptions;
  let spoolDir: string;
  let runner: ProjectionRunner;
  const emitters: AnomalyAlertEmitter[] = [];
  const registry = new EventRegistry();
  const projection = () => anomalyProjection((t) => registry.has(t));
  const emitter = (pollIntervalMs = 60_000) => {
    const e = new AnomalyAlertEmitter({ nc, stream, db, runner, spoolDir, pollIntervalMs });
    emitters.push(e);
    return e;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb(database.url, { maxConnections: 4 });
    await migrateToLatest(db, coreMigrations, CORE_MIGRATION_TABLES);
    nc = await connectNats(await natsUrl(), { name: 'anomaly-alerts-spec' });
    stream = { name: uniqueStreamName('ANOMALERT'), subjectPrefix: uniquePrefix('anomalert'), storage: 'memory' };
    await ensureStream(await jetstreamManager(nc), stream);
    spoolDir = mkdtempSync(join(tmpdir(), 'anomaly-alerts-spec-'));
    const writer = await ChainWriter.open({ nc, stream, role: 'gateway', spoolDir });
    for (const e of spend(35, [30, 33])) writer.append(e);
    await writer.close();
    runner = startProjection({ nc, stream, db, pgUrl: database.url, registry, projection: projection() });
    await runner.caughtUp();
  });

  afterAll(async () => {
    for (const e of emitters) await e.stop();
    await runner?.stop();
    await nc?.drain();
    await db?.destroy();
    await database?.drop();
    if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
  });

  it('appends one event per anomaly row, with the row as data and its id as event id; the rows then say announced', async () => {
    const rows = await anomalies(db, { from: FIRST, to: addDays(FIRST, 40) });
    expect(rows.map((r) => `${r.scope}:${r.scopeId}:${r.day}`)).toEqual(
      [30, 33].flatMap((t) => ['model:m-1', 'team:t-1', 'user:u-1'].map((s) => `${s}:${addDays(FIRST, t)}`)),
    );
    expect(rows.every((r) => !r.alerted)).toBe(true);
    const e = emitter(20);
    e.start();
    await expect.poll(async () => (await anomalies(db, { from: FIRST, to: addDays(FIRST, 40) })).every((r) => r.alerted), { timeout: 20_000 }).toBe(true);
    const events = await announced(nc, stream);
    expect(events.map((x) => x.id).sort()).toEqual(rows.map((r) => r.id).sort());
    const user = events.find((x) => x.data['scope'] === 'user' && x.data['day'] === addDays(FIRST, 30))!;
    expect(user.id).toBe(anomalyEventId({ tenant: 'acme', scope: 'user', scopeId: 'u-1', metric: 'spend', day: addDays(FIRST, 30) }));
    expect(user.data).toMatchObject({ scope: 'user', scopeId: 'u-1', metric: 'spend', direction: 'high', historyWeeks: 8, reason: expect.stringMatching(/^spend of user u-1 \$0\.\d{6} is \d+\.\dx the usual/) });
    expect(user.data['value'] as number).toBeGreaterThan(5 * (user.data['expected'] as number));
    expect(personalFieldsInClear(registry.get('SpendAnomalyDetected'))).toEqual([]);
    // The running emitter finds nothing more to say on its next passes.
    expect(await e.emitOnce()).toEqual({ appended: 0 });
    await e.stop();
  });

  it('a restarted emitter (nothing in memory) and a rebuilt read model append nothing again', async () => {
    expect(await emitter().emitOnce()).toEqual({ appended: 0 });
    await rebuildProjection({ nc, stream, db, pgUrl: database.url, projection: projection(), registry });
    expect((await anomalies(db, { from: FIRST, to: addDays(FIRST, 40) })).every((r) => r.alerted)).toBe(true);
    expect(await emitter().emitOnce()).toEqual({ appended: 0 });
    expect((await announced(nc, stream)).length).toBe(6);
  });

  it('a later anomaly is announced once, by the next pass, even with two emitters racing', async () => {
    const writer = await ChainWriter.open({ nc, stream, role: 'gateway', spoolDir });
    for (const e of spend(37, [36]).filter((x) => (x.time as string) >= addDays(FIRST, 35))) writer.append(e);
    await writer.close();
    const [a, b] = [emitter(), emitter()];
    // A pass waits for the projection to apply the new day (and what earlier passes appended) before it looks.
    const first = await Promise.all([a.emitOnce(), b.emitOnce()]);
    expect(first.map((r) => r.appended).sort()).toEqual([0, 3]);
    expect(await a.emitOnce()).toEqual({ appended: 0 });
    const events = await announced(nc, stream);
    expect(events.length).toBe(9);
    expect(new Set(events.map((x) => x.id)).size).toBe(9);
    expect(events.slice(6).map((x) => x.data['day'])).toEqual([addDays(FIRST, 36), addDays(FIRST, 36), addDays(FIRST, 36)]);
  });

  it('a standby (not the active runner of the projection) announces nothing', async () => {
    const standby = startProjection({ nc, stream, db, pgUrl: database.url, registry, projection: projection(), standbyPollMs: 50 });
    try {
      await expect.poll(() => standby.stats().role).toBe('standby');
      const e = new AnomalyAlertEmitter({ nc, stream, db, runner: standby, spoolDir });
      emitters.push(e);
      expect(await e.emitOnce()).toEqual({ appended: 0, skipped: 'standby' });
    } finally {
      await standby.stop();
    }
  });
});
