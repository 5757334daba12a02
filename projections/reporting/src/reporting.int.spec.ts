import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { sql, type Kysely } from 'kysely';
import { createDb, CORE_MIGRATION_TABLES, coreMigrations, migrateToLatest } from '@totra/db';
import { ChainWriter, connectNats, ensureStream, type StreamOptions } from '@totra/eventlog';
import { EventRegistry, type EventInput } from '@totra/events';
import { rebuildProjection, startProjection, type ProjectionRunner } from '@totra/projection';
import { createTestDatabase, natsUrl, uniquePrefix, uniqueStreamName, type TestDatabase } from '@totra/testing';
import { auditIndexProjection } from './audit-index.projection.js';
import { costProjection } from './cost.projection.js';
import { chargeback, chargebackCsv, spendBy } from './cost.queries.js';
import { directoryProjection } from './directory.projection.js';
import { anomalyProjection } from './anomaly.projection.js';
import { forecastProjection } from './forecast.projection.js';

const N = Number(process.env['REPORTING_N'] ?? 100_000);
const TEAMS = ['team-a', 'team-b', 'team-c', 'team-d'];
const MODELS = ['gpt-4o', 'claude-sonnet', 'llama3'];
const PROVIDERS = ['openai', 'anthropic', 'ollama'];

interface Expected {
  requests: number;
  errors: number;
  rejected: number;
  blockedPii: number;
  tokensIn: number;
  tokensOut: number;
}

/** Generates request events and the totals they must add up to, per team. */
function generate(): { inputs: EventInput[]; byTeam: Map<string, Expected>; piiRequests: number } {
  const inputs: EventInput[] = [];
  const byTeam = new Map<string, Expected>();
  let piiRequests = 0;
  for (let t = 0; t < TEAMS.length; t++) {
    inputs.push({
      type: 'ApiKeyIssued',
      tenant: 'acme',
      data: { keyId: `key_${String(t).padStart(32, '0')}`, keyHash: 'a'.repeat(64), prefix: `tt-abcd${t}`, userId: `user-${t}`, teamId: TEAMS[t] },
    });
  }
  for (let i = 0; i < N; i++) {
    const team = TEAMS[i % TEAMS.length]!;
    const e = byTeam.get(team) ?? { requests: 0, errors: 0, rejected: 0, blockedPii: 0, tokensIn: 0, tokensOut: 0 };
    byTeam.set(team, e);
    const m = i % MODELS.length;
    const time = `2026-01-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00.000Z`;
    const caller = { keyId: `key_${String(i % TEAMS.length).padStart(32, '0')}`, userId: `user-${i % 10}`, teamId: team };
    const tokens = { input: 10 + (i % 50), output: 5 + (i % 7), cachedInput: i % 3 === 0 ? 4 : 0, reasoning: 0, estimated: false };
    const requestId = `req-${i}`;
    if (i % 50 === 1) {
      e.rejected++;
      e.blockedPii++;
      piiRequests++;
      inputs.push({ type: 'PiiBlocked', tenant: 'acme', time, data: { requestId, types: [{ type: 'EMAIL', group: 'universal', count: 1 }], policyId: 'p1' } });
      inputs.push({ type: 'RequestRejected', tenant: 'acme', time, data: { requestId, api: 'openai.chat', ...caller, modelRequested: MODELS[m], status: 422, reason: 'pii_blocked', code: 'TOTRA_PII_BLOCKED' } });
    } else if (i % 20 === 3) {
      e.requests++;
      e.errors++;
      e.tokensIn += tokens.input;
      e.tokensOut += tokens.output;
      inputs.push({
        type: 'RequestFailed',
        tenant: 'acme',
        time,
        data: { requestId, api: 'openai.chat', ...caller, modelRequested: MODELS[m], provider: PROVIDERS[m], deploymentId: `d/${m}`, attempts: 2, status: 502, stream: false, partial: false, errorCode: 'TOTRA_UPSTREAM', tokens, upstreamRequestId: `up-${requestId}`, latency: { overheadUs: 1, upstreamUs: 2, totalUs: 3 } },
      });
    } else {
      e.requests++;
      e.tokensIn += tokens.input;
      e.tokensOut += tokens.output;
      inputs.push({
        type: 'RequestCompleted',
        tenant: 'acme',
        time,
        data: { requestId, api: 'openai.chat', ...caller, modelRequested: MODELS[m], modelServed: MODELS[m], provider: PROVIDERS[m], deploymentId: `d/${m}`, attempts: 1, status: 200, stream: false, finishReason: 'stop', tokens, upstreamRequestId: `up-${requestId}`, latency: { overheadUs: 1, upstreamUs: 2, totalUs: 3 } },
      });
    }
  }
  return { inputs, byTeam, piiRequests };
}

async function costByTeam(db: Kysely<unknown>): Promise<Map<string, Expected>> {
  const rows = await spendBy(db, { by: 'team', from: '2026-01-01', to: '2026-01-31' });
  return new Map(rows.map((r) => [r.key, { requests: r.requests, errors: r.errors, rejected: r.rejected, blockedPii: r.blockedPii, tokensIn: r.tokensIn, tokensOut: r.tokensOut }]));
}

async function snapshot(db: Kysely<unknown>, table: string): Promise<string> {
  const { rows } = await sql<{ h: string }>`SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS h FROM ${sql.table(table)} t`.execute(db);
  return rows[0]?.h ?? '';
}

describe('reporting read models (real NATS and Postgres, 100k requests)', () => {
  let database: TestDatabase;
  let db: Kysely<unknown>;
  let nc: NatsConnection;
  let stream: StreamOptions;
  let spoolDir: string;
  const runners: ProjectionRunner[] = [];
  const registry = new EventRegistry();
  const generated = generate();
  const deadLetters: { reason: string; streamSeq: number }[] = [];
  let crashes = 0;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb(database.url, { maxConnections: 6 });
    await migrateToLatest(db, coreMigrations, CORE_MIGRATION_TABLES);
    nc = await connectNats(await natsUrl(), { name: 'reporting-spec' });
    stream = { name: uniqueStreamName('REPORTING'), subjectPrefix: uniquePrefix('rep'), storage: 'memory' };
    await ensureStream(await jetstreamManager(nc), stream);
    const sub = nc.subscribe(`${stream.subjectPrefix}.deadletter.cost`);
    void (async () => {
      for await (const m of sub) deadLetters.push(m.json());
    })();
    spoolDir = mkdtempSync(join(tmpdir(), 'reporting-spec-'));
    const writer = await ChainWriter.open({ nc, stream, role: 'gateway', spoolDir });
    const half = Math.floor(generated.inputs.length / 2);
    for (const input of generated.inputs.slice(0, half)) writer.append(input);
    await writer.drain();
    // A poison event in the middle of the log: passes the quick filter, fails validation.
    await jetstream(nc).publish(`${stream.subjectPrefix}.chain.gateway.poison.x`, JSON.stringify({ type: 'RequestCompleted', v: 1, data: { requestId: 'bad' } }));
    for (const input of generated.inputs.slice(half)) writer.append(input);
    await writer.close();
  });

  afterAll(async () => {
    for (const r of runners) await r.stop();
    await nc?.drain();
    await db?.destroy();
    await database?.drop();
    if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
  });

  it('every read model matches the totals computed from the events, through a crash mid-batch and a redelivery', async () => {
    const base = costProjection((t) => registry.has(t));
    // The 3rd batch fails mid-transaction as if the connection died: the batch must be retried, not half-applied.
    let batches = 0;
    const crashing = {
      ...base,
      async applyBatch(events: Parameters<NonNullable<typeof base.applyBatch>>[0], trx: Parameters<NonNullable<typeof base.applyBatch>>[1]) {
        await base.applyBatch!(events, trx);
        if (++batches === 3) {
          crashes++;
          // What a dying connection reports (SQLSTATE 08006), after the batch's writes were sent.
          throw Object.assign(new Error('connection failure (simulated crash)'), { code: '08006' });
        }
      },
    };
    const warned = new Set<string>();
    const onWarning = (m: string) => { if (warned.size < 3 && !warned.has(m.slice(0, 60))) { warned.add(m.slice(0, 60)); console.warn(m); } };
    const common = { nc, stream, db, pgUrl: database.url, registry, maxBatchMessages: 16, onWarning };
    const cost = startProjection({ ...common, projection: crashing });
    runners.push(
      cost,
      startProjection({ ...common, projection: auditIndexProjection((t) => registry.has(t)) }),
      startProjection({ ...common, projection: directoryProjection() }),
      startProjection({ ...common, projection: forecastProjection() }),
      startProjection({ ...common, projection: anomalyProjection((t) => registry.has(t)) }),
    );
    // Redeliver everything once the cost projection is under way: applied messages must be skipped.
    const redeliver = setInterval(() => {
      if (cost.stats().position > 40) {
        cost.redeliverFrom(1);
        clearInterval(redeliver);
      }
    }, 5);
    const started = Date.now();
    await Promise.all(runners.map((r) => r.caughtUp()));
    clearInterval(redeliver);
    const ms = Date.now() - started;

    expect(crashes).toBe(1);
    expect(await costByTeam(db)).toEqual(generated.byTeam);
    const { rows: audit } = await sql<{ n: string; pii: string; tokens: string; upstream: string; named: string }>`
      SELECT count(*) AS n, count(*) FILTER (WHERE 'EMAIL' = ANY (pii_types)) AS pii, sum(tokens_in) AS tokens,
        count(upstream_request_id) AS upstream, count(*) FILTER (WHERE upstream_request_id = 'up-' || request_id) AS named FROM audit_index`.execute(db);
    const totalTokens = [...generated.byTeam.values()].reduce((s, e) => s + e.tokensIn, 0);
    // Every request a provider answered or failed names the provider's id of it; rejected ones none.
    const answered = String([...generated.byTeam.values()].reduce((s, e) => s + e.requests, 0));
    expect(audit[0]).toEqual({ n: String(N), pii: String(generated.piiRequests), tokens: String(totalTokens), upstream: answered, named: answered });
    const { rows: keys } = await sql<{ n: string }>`SELECT count(*) AS n FROM directory_keys`.execute(db);
    expect(keys[0]?.n).toBe(String(TEAMS.length));
    const { rows: secrets } = await sql<{ n: string }>`SELECT count(*) AS n FROM information_schema.columns WHERE table_name LIKE 'directory_%' AND column_name LIKE '%hash%'`.execute(db);
    expect(secrets[0]?.n).toBe('0');
    // The anomaly read model counts every request (completed, failed, rejected) per team, user and model.
    const { rows: daily } = await sql<{ team: string; requests: string; blocked: string }>`
      SELECT scope_id AS team, sum(requests) AS requests, sum(blocked_pii) AS blocked FROM anomaly_daily WHERE scope = 'team' GROUP BY scope_id ORDER BY scope_id`.execute(db);
    expect(daily).toEqual([...generated.byTeam].sort(([a], [b]) => a.localeCompare(b)).map(([team, e]) => ({ team, requests: String(e.requests + e.rejected), blocked: String(e.blockedPii) })));
    const { rows: scopes } = await sql<{ scope: string; requests: string }>`SELECT scope, sum(requests) AS requests FROM anomaly_daily GROUP BY scope ORDER BY scope`.execute(db);
    expect(scopes).toEqual(['model', 'team', 'user'].map((scope) => ({ scope, requests: String(N) })));
    // No spend in this log: no forecast.
    const { rows: fc } = await sql<{ n: string }>`SELECT count(*) AS n FROM forecast`.execute(db);
    expect(fc[0]?.n).toBe('0');
    expect(cost.stats().eventsApplied).toBeGreaterThanOrEqual(N);
    console.log(`projected ${N} requests into 5 read models in ${ms} ms`);
  });

  it('sends the poison event to the dead-letter subject with its reason, and keeps it in projection_dead_letter', async () => {
    await expect.poll(() => deadLetters.length).toBeGreaterThanOrEqual(1);
    expect(deadLetters[0]).toMatchObject({ projection: 'cost', reason: expect.stringMatching(/cannot decode: invalid envelope/) });
    const { rows } = await sql<{ projection: string }>`SELECT projection FROM projection_dead_letter WHERE projection = 'cost'`.execute(db);
    expect(rows.length).toBeGreaterThanOrEqual(1);
  });

  it('chargeback gives stable CSV columns and the same totals', async () => {
    const lines = await chargeback(db, '2026-01');
    expect(lines.map((l) => l.team)).toEqual([...TEAMS].sort());
    const csv = chargebackCsv(lines);
    expect(csv.split('\r\n')[0]).toBe('month,tenant,team_id,requests,errors,tokens_in,tokens_out,tokens_cached,micro_usd,usd');
    expect(csv.split('\r\n')[1]).toBe(`2026-01,acme,team-a,${generated.byTeam.get('team-a')!.requests},${generated.byTeam.get('team-a')!.errors},${generated.byTeam.get('team-a')!.tokensIn},${generated.byTeam.get('team-a')!.tokensOut},${lines[0]!.tokensCached},0,0.000000`);
  });

  it('a rebuild reproduces identical tables, and readers get full answers all along', async () => {
    const before = await snapshot(db, 'cost_daily');
    let reads = 0;
    let reading = true;
    const reader = (async () => {
      while (reading) {
        expect(await costByTeam(db)).toEqual(generated.byTeam);
        reads++;
      }
    })();
    const report = await rebuildProjection({ nc, stream, db, pgUrl: database.url, projection: costProjection((t) => registry.has(t)), registry });
    reading = false;
    await reader;
    expect(reads).toBeGreaterThan(1);
    expect(report.events).toBe(N);
    expect(await snapshot(db, 'cost_daily')).toBe(before);
    // The live runner goes on from the swapped-in checkpoint.
    const w = await ChainWriter.open({ nc, stream, role: 'gateway', spoolDir });
    w.append({ type: 'RequestRejected', tenant: 'acme', time: '2026-01-05T00:00:00.000Z', data: { requestId: 'late', api: null, keyId: null, userId: null, teamId: 'team-a', modelRequested: null, status: 429, reason: 'quota_exceeded', code: 'TOTRA_QUOTA' } });
    await w.close();
    await runners[0]!.caughtUp();
    const after = (await spendBy(db, { by: 'team', from: '2026-01-01', to: '2026-01-31' })).find((r) => r.key === 'team-a')!;
    expect(after.blockedQuota).toBe(1);
    expect(after.rejected).toBe(generated.byTeam.get('team-a')!.rejected + 1);
  });

  it('a second instance stands by and takes over when the active one stops', async () => {
    const standby = startProjection({ nc, stream, db, pgUrl: database.url, registry, projection: directoryProjection(), standbyPollMs: 50 });
    runners.push(standby);
    await expect.poll(() => standby.stats().role).toBe('standby');
    await runners[2]!.stop();
    await expect.poll(() => standby.stats().role, { timeout: 10_000 }).toBe('active');
  });
});
