import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { addDays } from '@totra/analytics';
import { createDb, CORE_MIGRATION_TABLES, coreMigrations, migrateToLatest } from '@totra/db';
import { ChainWriter, connectNats, ensureStream, type StreamOptions } from '@totra/eventlog';
import { EventRegistry, type EventInput } from '@totra/events';
import { startProjection, type ProjectionRunner } from '@totra/projection';
import { CHARGEBACK_COLUMNS, reportingProjections } from '@totra/projection-reporting';
import { createTestDatabase, natsUrl, redisKeyPrefix, redisUrl, uniquePrefix, uniqueStreamName, type TestDatabase } from '@totra/testing';
import { cli } from '../cli.test-kit.js';

const FIRST = '2026-01-01';
const LAST = '2026-02-11';
const TEAMS = ['team-a', 'team-b'];

interface Totals {
  requests: number;
  tokensIn: number;
  microUsd: number;
}

/** Six weeks of requests with their spend for two teams; team-b spends ten times its usual on the last day. */
function generate(): { inputs: EventInput[]; jan: Map<string, Totals>; febSoFar: number } {
  const inputs: EventInput[] = [];
  const jan = new Map<string, Totals>();
  let febSoFar = 0;
  let n = 0;
  for (let day = FIRST; day <= LAST; day = addDays(day, 1)) {
    const d = Number(day.slice(8)) + (day.startsWith('2026-02') ? 31 : 0);
    for (const [t, team] of TEAMS.entries()) {
      const count = team === 'team-b' && day === LAST ? 30 : 3;
      for (let i = 0; i < count; i++) {
        const requestId = `r-${n++}`;
        const time = `${day}T12:00:00.000Z`;
        const caller = { keyId: `key_${t}`, userId: `user-${t}`, teamId: team };
        const tokens = { input: 100 + ((d + i) % 13), output: 20, cachedInput: 0, reasoning: 0 };
        const microUsd = 10_000 + ((d * 7919 + i * 104_729) % 2_000);
        inputs.push({
          type: 'RequestCompleted',
          tenant: 'acme',
          time,
          data: { requestId, api: 'openai.chat', ...caller, modelRequested: 'gpt-4o', modelServed: 'gpt-4o', provider: 'openai', deploymentId: 'd/1', attempts: 1, status: 200, stream: false, finishReason: 'stop', tokens: { ...tokens, estimated: false }, latency: { overheadUs: 1, upstreamUs: 2, totalUs: 3 } },
        });
        inputs.push({
          type: 'SpendRecorded',
          tenant: 'acme',
          time,
          data: { requestId, scopes: [], tokens, microUsd, priceVersion: 'p1', model: 'gpt-4o', provider: 'openai', deploymentId: 'd/1', ...caller },
        });
        if (day.startsWith('2026-01')) {
          const e = jan.get(team) ?? { requests: 0, tokensIn: 0, microUsd: 0 };
          jan.set(team, { requests: e.requests + 1, tokensIn: e.tokensIn + tokens.input, microUsd: e.microUsd + microUsd });
        } else febSoFar += microUsd;
      }
    }
  }
  return { inputs, jan, febSoFar };
}

describe('totra report (real NATS and Postgres, read models fed by the projection runner)', () => {
  let database: TestDatabase;
  let nc: NatsConnection;
  let stream: StreamOptions;
  let spoolDir: string;
  let stateDir: string;
  const runners: ProjectionRunner[] = [];
  const generated = generate();
  let pg: string[];
  let log: string[];

  beforeAll(async () => {
    database = await createTestDatabase();
    const db = createDb<unknown>(database.url, { maxConnections: 4 });
    await migrateToLatest(db, coreMigrations, CORE_MIGRATION_TABLES);
    nc = await connectNats(await natsUrl(), { name: 'cli-report-spec' });
    stream = { name: uniqueStreamName('CLIREP'), subjectPrefix: uniquePrefix('clirep'), storage: 'memory' };
    await ensureStream(await jetstreamManager(nc), stream);
    spoolDir = mkdtempSync(join(tmpdir(), 'totra-report-'));
    stateDir = mkdtempSync(join(tmpdir(), 'totra-report-state-'));
    const writer = await ChainWriter.open({ nc, stream, role: 'gateway', spoolDir });
    for (const input of generated.inputs) writer.append(input);
    await writer.close();
    for (const projection of reportingProjections(new EventRegistry())) {
      runners.push(startProjection({ nc, stream, db, pgUrl: database.url, projection }));
    }
    await Promise.all(runners.map((r) => r.caughtUp()));
    for (const r of runners) await r.stop();
    await db.destroy();
    pg = ['--pg', database.url, '--state-dir', stateDir];
    log = ['--nats', await natsUrl(), '--stream', stream.name, '--subject-prefix', stream.subjectPrefix];
  });

  afterAll(async () => {
    for (const r of runners) await r.stop();
    await nc?.close();
    await database?.drop();
    for (const d of [spoolDir, stateDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('report cost --by team --csv gives the totals of the events, one line per team', async () => {
    const r = await cli('report', 'cost', '--by', 'team', '--from', '2026-01-01', '--to', '2026-01-31', '--csv', ...pg);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.split('\r\n').filter((l) => l.length > 0);
    expect(lines[0]).toBe('team,requests,errors,rejected,blocked_pii,blocked_quota,tokens_in,tokens_out,tokens_cached,cache_hits,micro_usd,usd');
    const rows = new Map(lines.slice(1).map((l) => [l.split(',')[0], l.split(',')]));
    for (const team of TEAMS) {
      const e = generated.jan.get(team)!;
      const row = rows.get(team)!;
      expect([row[1], row[6], row[10]]).toEqual([String(e.requests), String(e.tokensIn), String(e.microUsd)]);
    }
    const text = await cli('report', 'cost', '--by', 'model', '--from', '2026-01-01', '--to', '2026-01-31', ...pg);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^gpt-4o\s+186\s/m);
  });

  it('report chargeback --month --csv has the stable columns and the month totals per team', async () => {
    const r = await cli('report', 'chargeback', '--month', '2026-01', '--csv', ...pg);
    expect(r.code).toBe(0);
    const lines = r.out.split('\r\n').filter((l) => l.length > 0);
    expect(lines[0]).toBe(CHARGEBACK_COLUMNS.join(','));
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 4).join(','))).toEqual(TEAMS.map((t) => `2026-01,acme,${t},${generated.jan.get(t)!.requests}`));
    const bad = await cli('report', 'chargeback', '--month', '2026-13', ...pg);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/not a month/);
  });

  it('report forecast reads the forecast read model: month and quarter per tenant and team, as of the last day with spend', async () => {
    const r = await cli('report', 'forecast', '--json', ...pg);
    expect(r.code, r.err).toBe(0);
    const lines = JSON.parse(r.out) as { scope: string; scopeId: string; horizon: string; asOf: string; periodEnd: string; actualMicroUsd: number; expectedMicroUsd: number; lowMicroUsd: number; highMicroUsd: number }[];
    expect(lines.map((l) => `${l.scope}:${l.scopeId}:${l.horizon}`)).toEqual(['tenant::month', 'tenant::quarter', 'team:team-a:month', 'team:team-a:quarter', 'team:team-b:month', 'team:team-b:quarter']);
    const month = lines[0]!;
    expect(month).toMatchObject({ asOf: LAST, periodEnd: '2026-02-28', actualMicroUsd: generated.febSoFar });
    expect(month.expectedMicroUsd).toBeGreaterThan(month.actualMicroUsd);
    expect(month.lowMicroUsd).toBeLessThanOrEqual(month.expectedMicroUsd);
    expect(month.highMicroUsd).toBeGreaterThanOrEqual(month.expectedMicroUsd);
    const text = await cli('report', 'forecast', '--team', 'team-a', '--horizon', 'month', ...pg);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^team team-a\s+month to 2026-02-28\s+2026-02-11\s+\$\d+\.\d{2}\s+\$\d+\.\d{2}\s+\$\d+\.\d{2}\.\.\$\d+\.\d{2}\s+\d+\.\d %\s+-\s+-$/m);
    expect(text.out).toMatch(/method: weekday-trend-ols/);
  });

  it('report anomalies reads the anomaly read model: the spike of team-b on its day, for the team, its user and its model, and nothing else', async () => {
    const r = await cli('report', 'anomalies', '--as-of', LAST, '--days', '7', '--json', ...pg);
    expect(r.code, r.err).toBe(0);
    const found = JSON.parse(r.out) as { scope: string; scopeId: string; metric: string; day: string; direction: string }[];
    expect(found.map((a) => [a.scope, a.scopeId, a.metric, a.day, a.direction])).toEqual([
      ['model', 'gpt-4o', 'spend', LAST, 'high'],
      ['team', 'team-b', 'spend', LAST, 'high'],
      ['user', 'user-1', 'spend', LAST, 'high'],
    ]);
    const text = await cli('report', 'anomalies', '--as-of', LAST, '--scope', 'team', ...pg);
    expect(text.out).toMatch(new RegExp(`^${LAST}  team  spend +high  z +\\d+\\.\\d  spend of team team-b \\$`));
    expect(text.out.trim().split('\n')).toHaveLength(1);
    const none = await cli('report', 'anomalies', '--as-of', '2026-01-20', ...pg);
    expect(none.out).toBe('no anomalies in the 7 days up to 2026-01-20\n');
  });

  it('projections list / status / rebuild cover the Postgres read models; a rebuild gives the same report', async () => {
    const list = await cli('projections', 'list', '--json');
    expect(list.code).toBe(0);
    expect((JSON.parse(list.out) as { projection: string; store: string }[]).map((p) => `${p.projection}:${p.store}`)).toEqual(['quota-hot:redis', 'cost:postgres', 'audit_index:postgres', 'directory:postgres', 'forecast:postgres', 'anomaly:postgres', 'settings_log:postgres', 'keys_log:postgres', 'quota_log:postgres', 'gdpr_log:postgres']);

    const redis = ['--redis', await redisUrl(), '--redis-prefix', redisKeyPrefix('clirep')];
    const status = await cli('projections', 'status', '--json', ...log, ...redis, ...pg);
    expect(status.code, status.err).toBe(0);
    const rows = JSON.parse(status.out) as { projection: string; streamSeq?: number; messagesBehind?: number; active?: boolean; lastSeq?: number }[];
    const lastSeq = rows[0]!.lastSeq!;
    expect(rows.slice(1).map((r) => [r.projection, r.streamSeq, r.messagesBehind, r.active])).toEqual([
      ['cost', lastSeq, 0, false],
      ['audit_index', lastSeq, 0, false],
      ['directory', lastSeq, 0, false],
      ['forecast', lastSeq, 0, false],
      ['anomaly', lastSeq, 0, false],
      ['settings_log', lastSeq, 0, false],
      ['keys_log', lastSeq, 0, false],
      ['quota_log', lastSeq, 0, false],
      ['gdpr_log', lastSeq, 0, false],
    ]);

    const before = await cli('report', 'cost', '--by', 'user', '--from', FIRST, '--to', LAST, '--csv', ...pg);
    const rebuilt = await cli('projections', 'rebuild', 'cost', '--json', ...log, ...pg);
    expect(rebuilt.code, rebuilt.err).toBe(0);
    expect(JSON.parse(rebuilt.out)).toMatchObject({ projection: 'cost', streamSeq: lastSeq, events: generated.inputs.length, deadLetters: 0 });
    const after = await cli('report', 'cost', '--by', 'user', '--from', FIRST, '--to', LAST, '--csv', ...pg);
    expect(after.out).toBe(before.out);
    expect(after.out.split('\r\n').length).toBe(4);
  });

  it('says clearly when the forecast or anomaly read model is not there yet (exit 1)', async () => {
    const empty = await createTestDatabase();
    try {
      const f = await cli('report', 'forecast', '--pg', empty.url, '--state-dir', stateDir);
      expect(f.code).toBe(1);
      expect(f.err).toMatch(/the forecast read model does not exist yet \(the projector has not run with TOTRA_PG_URL\)/);
      const a = await cli('report', 'anomalies', '--pg', empty.url, '--state-dir', stateDir);
      expect(a.code).toBe(1);
      expect(a.err).toMatch(/the anomaly read model does not exist yet/);
    } finally {
      await empty.drop();
    }
  });

  it('says where the Postgres URL comes from when there is none (exit 2)', async () => {
    const saved = process.env['TOTRA_PG_URL'];
    delete process.env['TOTRA_PG_URL'];
    try {
      const r = await cli('report', 'cost', '--state-dir', stateDir);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/no Postgres URL: pass --pg, set TOTRA_PG_URL/);
    } finally {
      if (saved !== undefined) process.env['TOTRA_PG_URL'] = saved;
    }
  });
});
