import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { sql, type Kysely } from 'kysely';
import { createDb } from '@totra/db';
import { ChainWriter, connectNats, ensureStream, streamState, type StreamOptions } from '@totra/eventlog';
import { EventRegistry, type EventInput } from '@totra/events';
import { rebuildProjection } from '@totra/projection';
import { reportingProjections, spendBy } from '@totra/projection-reporting';
import { createTestDatabase, natsUrl, redisKeyPrefix, redisUrl, uniquePrefix, uniqueStreamName, type TestDatabase } from '@totra/testing';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const REQUESTS = Number(process.env['PROJECTOR_CRASH_REQUESTS'] ?? 51_000);
const TEAMS = ['t-0', 't-1', 't-2', 't-3', 't-4'];

interface Totals {
  requests: number;
  rejected: number;
  tokensIn: number;
  microUsd: number;
}

/** Requests with their spend over 28 days (51 000 requests: 100 725 events), and what they add up to per team. */
function generate(): { inputs: EventInput[]; byTeam: Map<string, Totals> } {
  const inputs: EventInput[] = [];
  const byTeam = new Map<string, Totals>();
  for (let i = 0; i < REQUESTS; i++) {
    const team = TEAMS[i % TEAMS.length]!;
    const e = byTeam.get(team) ?? { requests: 0, rejected: 0, tokensIn: 0, microUsd: 0 };
    byTeam.set(team, e);
    const time = `2026-02-${String(1 + (i % 28)).padStart(2, '0')}T09:00:00.000Z`;
    const caller = { keyId: `key_${i % 7}`, userId: `u-${i % 40}`, teamId: team };
    const requestId = `c-${i}`;
    if (i % 40 === 7) {
      e.rejected++;
      inputs.push({ type: 'RequestRejected', tenant: 'acme', time, data: { requestId, api: 'openai.chat', ...caller, modelRequested: 'gpt-4o', status: 422, reason: 'pii_blocked', code: 'TOTRA_PII_BLOCKED' } });
      continue;
    }
    const tokens = { input: 20 + (i % 30), output: 9, cachedInput: 0, reasoning: 0 };
    const microUsd = 500 + (i % 301);
    e.requests++;
    e.tokensIn += tokens.input;
    e.microUsd += microUsd;
    inputs.push({
      type: 'RequestCompleted',
      tenant: 'acme',
      time,
      data: { requestId, api: 'openai.chat', ...caller, modelRequested: 'gpt-4o', modelServed: 'gpt-4o', provider: 'openai', deploymentId: 'd/1', attempts: 1, status: 200, stream: false, finishReason: 'stop', tokens: { ...tokens, estimated: false }, latency: { overheadUs: 1, upstreamUs: 2, totalUs: 3 } },
    });
    inputs.push({ type: 'SpendRecorded', tenant: 'acme', time, data: { requestId, scopes: [], tokens, microUsd, priceVersion: 'p1', model: 'gpt-4o', provider: 'openai', deploymentId: 'd/1', ...caller } });
  }
  return { inputs, byTeam };
}

/** The projector service as a child process, as `totra up` runs it. */
function startProjectorProcess(env: NodeJS.ProcessEnv): { child: ChildProcess; ready: Promise<void>; exited: Promise<NodeJS.Signals | number | null> } {
  const child = spawn(process.execPath, ['--conditions=@totra/source', '--import', 'tsx', 'services/projector/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (m: { type?: string }) => m?.type === 'ready' && resolve());
    void exited.then((code) => reject(new Error(`projector exited (${code}) before it was ready: ${stderr}`)));
  });
  return { child, ready, exited };
}

async function checkpoints(db: Kysely<unknown>): Promise<Map<string, number>> {
  const { rows } = await sql<{ projection: string; stream_seq: string }>`SELECT projection, stream_seq FROM projection_checkpoint`.execute(db).catch(() => ({ rows: [] }));
  return new Map(rows.map((r) => [r.projection, Number(r.stream_seq)]));
}

/** Transactions the projector holds open in this database right now (a batch in flight). */
async function openTransactions(db: Kysely<unknown>): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    SELECT count(*) AS n FROM pg_stat_activity
    WHERE datname = current_database() AND application_name = 'totra' AND xact_start IS NOT NULL AND state <> 'idle'`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

async function digest(db: Kysely<unknown>, table: string): Promise<string> {
  const { rows } = await sql<{ h: string | null; n: string }>`SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS h, count(*) AS n FROM ${sql.table(table)} t`.execute(db);
  return `${rows[0]?.n}:${rows[0]?.h ?? ''}`;
}

describe('projector killed with SIGKILL mid-batch and restarted (real process, NATS, Redis and Postgres)', () => {
  let database: TestDatabase;
  let db: Kysely<unknown>;
  let nc: NatsConnection;
  let stream: StreamOptions;
  let dir: string;
  let env: Record<string, string>;
  let lastSeq = 0;
  const running: ChildProcess[] = [];
  const generated = generate();
  const names = reportingProjections(new EventRegistry()).map((p) => p.name);

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb(database.url, { maxConnections: 3, applicationName: 'projector-crash-spec' });
    nc = await connectNats(await natsUrl(), { name: 'projector-crash-spec' });
    stream = { name: uniqueStreamName('PROJCRASH'), subjectPrefix: uniquePrefix('projcrash'), storage: 'memory' };
    await ensureStream(await jetstreamManager(nc), stream);
    dir = mkdtempSync(join(tmpdir(), 'totra-projector-crash-'));
    // Small messages: the log is many batches long, so the kill finds the runners mid-stream.
    const writer = await ChainWriter.open({ nc, stream, role: 'gateway', spoolDir: join(dir, 'spool'), batchMaxEvents: 40 });
    let n = 0;
    for (const input of generated.inputs) {
      writer.append(input);
      if (++n % 10_000 === 0) await writer.drain();
    }
    await writer.close();
    lastSeq = (await streamState(nc, stream)).lastSeq;
    env = {
      TOTRA_NATS_URL: await natsUrl(),
      TOTRA_REDIS_URL: await redisUrl(),
      TOTRA_REDIS_PREFIX: redisKeyPrefix('projcrash'),
      TOTRA_STREAM: stream.name,
      TOTRA_SUBJECT_PREFIX: stream.subjectPrefix,
      TOTRA_SPOOL_DIR: join(dir, 'spool-projector'),
      TOTRA_PG_URL: database.url,
    };
  });

  afterAll(async () => {
    for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await (await jetstreamManager(nc)).streams.delete(stream.name).catch(() => undefined);
    await nc?.close();
    await db?.destroy();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('after the kill and a restart, every read model is exactly what the events add up to, and what a clean replay gives', async () => {
    const first = startProjectorProcess(env);
    running.push(first.child);
    await first.ready;
    // Kill once the cost projection is a quarter or more through the log, with a transaction open.
    let atKill = new Map<string, number>();
    await expect
      .poll(
        async () => {
          const cp = await checkpoints(db);
          const cost = cp.get('cost') ?? 0;
          if (cost >= lastSeq / 4 && cost < lastSeq && (await openTransactions(db)) > 0) {
            first.child.kill('SIGKILL');
            atKill = cp;
            return true;
          }
          return false;
        },
        { timeout: 120_000, interval: 5 },
      )
      .toBe(true);
    expect(await first.exited).toBe('SIGKILL');
    const stopped = await checkpoints(db);
    console.log(`killed at checkpoints ${JSON.stringify(Object.fromEntries(stopped))} of ${lastSeq}`);
    expect(atKill.get('cost')).toBeLessThan(lastSeq);
    expect(stopped.get('cost')).toBeLessThan(lastSeq);

    const second = startProjectorProcess(env);
    running.push(second.child);
    await second.ready;
    await expect
      .poll(
        async () => {
          const cp = await checkpoints(db);
          return names.every((n) => (cp.get(n) ?? 0) >= lastSeq);
        },
        { timeout: 150_000, interval: 100 },
      )
      .toBe(true);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const byTeam = await spendBy(db, { by: 'team', from: '2026-02-01', to: '2026-02-28' });
    expect(new Map(byTeam.map((r) => [r.key, { requests: r.requests, rejected: r.rejected, tokensIn: r.tokensIn, microUsd: r.microUsd }]))).toEqual(generated.byTeam);
    const total = [...generated.byTeam.values()].reduce((s, e) => s + e.microUsd, 0);
    const { rows: audit } = await sql<{ n: string; micro: string }>`SELECT count(*) AS n, sum(micro_usd) AS micro FROM audit_index`.execute(db);
    expect(audit[0]).toEqual({ n: String(REQUESTS), micro: String(total) });
    const { rows: fc } = await sql<{ micro: string }>`SELECT sum(micro_usd) AS micro FROM forecast_daily`.execute(db);
    expect(fc[0]?.micro).toBe(String(total));
    const { rows: an } = await sql<{ scope: string; micro: string; requests: string }>`SELECT scope, sum(micro_usd) AS micro, sum(requests) AS requests FROM anomaly_daily GROUP BY scope ORDER BY scope`.execute(db);
    expect(an).toEqual(['model', 'team', 'user'].map((scope) => ({ scope, micro: String(total), requests: String(REQUESTS) })));

    // A clean replay of the whole log into fresh tables gives the very same rows.
    const tables: Record<string, string[]> = { cost: ['cost_daily', 'cost_request'], audit_index: ['audit_index'], forecast: ['forecast', 'forecast_daily'], anomaly: ['anomaly', 'anomaly_daily'] };
    const registry = new EventRegistry();
    for (const projection of reportingProjections(registry).filter((p) => p.name in tables)) {
      const before = await Promise.all(tables[projection.name]!.map((t) => digest(db, t)));
      await rebuildProjection({ nc, stream, db, pgUrl: database.url, projection, registry });
      expect(await Promise.all(tables[projection.name]!.map((t) => digest(db, t))), projection.name).toEqual(before);
    }
  }, 300_000);
});
