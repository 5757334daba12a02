import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { sql, type Kysely } from 'kysely';
import { addDays, monthStart, weekday } from '@totra/analytics';
import { createDb, CORE_MIGRATION_TABLES, coreMigrations, migrateToLatest } from '@totra/db';
import { ChainWriter, connectNats, ensureStream, type StreamOptions } from '@totra/eventlog';
import { EventRegistry, type EventInput } from '@totra/events';
import { rebuildProjection, startProjection, type ProjectionRunner } from '@totra/projection';
import { createTestDatabase, natsUrl, uniquePrefix, uniqueStreamName, type TestDatabase } from '@totra/testing';
import { anomalyProjection } from './anomaly.projection.js';
import { anomalies, forecasts } from './forecast-anomaly.queries.js';
import { forecastProjection } from './forecast.projection.js';
import { syntheticSpend } from './synthetic-spend.test-kit.js';

/** md5 of a table's rows in a stable order: equal digests, identical tables. */
async function digest(db: Kysely<unknown>, table: string): Promise<string> {
  const { rows } = await sql<{ h: string | null; n: string }>`SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS h, count(*) AS n FROM ${sql.table(table)} t`.execute(db);
  return `${rows[0]?.n}:${rows[0]?.h ?? ''}`;
}

const TABLES = ['forecast', 'forecast_daily', 'forecast_clock', 'forecast_budget', 'anomaly', 'anomaly_daily', 'anomaly_alerted'];

describe('forecast and anomaly read models (real NATS and Postgres, synthetic series)', () => {
  let database: TestDatabase;
  let db: Kysely<unknown>;
  let nc: NatsConnection;
  let stream: StreamOptions;
  let spoolDir: string;
  const runners: ProjectionRunner[] = [];
  const registry = new EventRegistry();
  const s = syntheticSpend();
  const teamABudget = Math.floor(([...s.spendByDay.get('team-a')!].filter(([d]) => d >= monthStart(s.last)).reduce((sum, [, v]) => sum + v, 0) * 0.6));

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb(database.url, { maxConnections: 6 });
    await migrateToLatest(db, coreMigrations, CORE_MIGRATION_TABLES);
    nc = await connectNats(await natsUrl(), { name: 'forecast-anomaly-spec' });
    stream = { name: uniqueStreamName('FCAN'), subjectPrefix: uniquePrefix('fcan'), storage: 'memory' };
    await ensureStream(await jetstreamManager(nc), stream);
    spoolDir = mkdtempSync(join(tmpdir(), 'forecast-anomaly-spec-'));
    const budgets: EventInput[] = [
      { type: 'BudgetSet', tenant: 'acme', data: { budgetId: 'team-a.monthly', scope: { kind: 'team', id: 'team-a' }, limit: { microUsd: teamABudget }, period: 'monthly', timeZone: 'UTC', thresholds: [80] } },
      // Not a monthly all-model money budget of a team or tenant: not used for run-out dates.
      { type: 'BudgetSet', tenant: 'acme', data: { budgetId: 'team-a.gpt', scope: { kind: 'team', id: 'team-a' }, model: 'gpt-4o', limit: { microUsd: 1 }, period: 'monthly', timeZone: 'UTC', thresholds: [] } },
      { type: 'BudgetSet', tenant: 'acme', data: { budgetId: 'acme.daily', scope: { kind: 'tenant' }, limit: { microUsd: 1 }, period: 'daily', timeZone: 'UTC', thresholds: [] } },
      { type: 'BudgetSet', tenant: 'acme', data: { budgetId: 'team-b.monthly', scope: { kind: 'team', id: 'team-b' }, limit: { microUsd: 1 }, period: 'monthly', timeZone: 'UTC', thresholds: [] } },
      { type: 'BudgetSet', tenant: 'acme', data: { budgetId: 'acme.monthly', scope: { kind: 'tenant' }, limit: { microUsd: 1e13 }, period: 'monthly', timeZone: 'UTC', thresholds: [] } },
    ];
    const writer = await ChainWriter.open({ nc, stream, role: 'gateway', spoolDir, batchMaxEvents: 500 });
    for (const b of budgets) writer.append(b);
    for (const input of s.inputs) writer.append(input);
    writer.append({ type: 'BudgetRemoved', tenant: 'acme', data: { budgetId: 'team-b.monthly' } });
    await writer.close();
    // Small batches: the incremental path is taken many times, unlike the rebuild below.
    for (const projection of [forecastProjection(), anomalyProjection((t) => registry.has(t))]) {
      runners.push(startProjection({ nc, stream, db, pgUrl: database.url, registry, projection, maxBatchMessages: 2 }));
    }
    await Promise.all(runners.map((r) => r.caughtUp()));
  });

  afterAll(async () => {
    for (const r of runners) await r.stop();
    await nc?.drain();
    await db?.destroy();
    await database?.drop();
    if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
  });

  it('the daily series of both read models add up to the events', async () => {
    const { rows } = await sql<{ team_id: string; micro: string }>`SELECT team_id, sum(micro_usd) AS micro FROM forecast_daily GROUP BY team_id ORDER BY team_id`.execute(db);
    const sum = (scope: string) => String([...s.spendByDay.get(scope)!.values()].reduce((a, b) => a + b, 0));
    expect(rows).toEqual([
      { team_id: 'team-a', micro: sum('team-a') },
      { team_id: 'team-b', micro: sum('team-b') },
    ]);
    const { rows: a } = await sql<{ scope: string; micro: string; requests: string }>`
      SELECT scope, sum(micro_usd) AS micro, sum(requests) AS requests FROM anomaly_daily GROUP BY scope ORDER BY scope`.execute(db);
    expect(a).toEqual(['model', 'team', 'user'].map((scope) => ({ scope, micro: sum(''), requests: String(s.requests) })));
  });

  it('forecasts month and quarter end per tenant and team, as of the last day with spend, with band, method, backtest error and budget run-out', async () => {
    const lines = await forecasts(db);
    expect(lines.map((l) => `${l.scope}:${l.scopeId}:${l.horizon}`)).toEqual(['tenant::month', 'tenant::quarter', 'team:team-a:month', 'team:team-a:quarter', 'team:team-b:month', 'team:team-b:quarter']);
    for (const l of lines) {
      expect(l.asOf).toBe(s.last);
      const series = s.spendByDay.get(l.scopeId)!;
      const actual = [...series].filter(([d]) => d >= l.periodStart && d <= l.asOf).reduce((a, [, v]) => a + v, 0);
      expect(l.actualMicroUsd).toBe(actual);
      expect(l.lowMicroUsd).toBeLessThanOrEqual(l.expectedMicroUsd);
      expect(l.highMicroUsd).toBeGreaterThanOrEqual(l.expectedMicroUsd);
      expect(l.expectedMicroUsd).toBeGreaterThan(l.actualMicroUsd);
      expect(l.method).toBe('weekday-trend-ols');
      expect(l.backtestMape).not.toBeNull();
      // Weekly pattern plus noise on ten weeks: the method's error on the last complete week is small.
      expect(l.backtestMape!).toBeLessThan(0.15);
      console.log(`forecast ${l.scope} ${l.scopeId || '-'} ${l.horizon} end ${l.periodEnd}: backtest error ${(l.backtestMape! * 100).toFixed(1)} %`);
    }
    expect(lines[0]!.periodEnd).toBe('2026-03-31');
    expect(lines[1]!.periodEnd).toBe('2026-03-31');
    // team-a's budget is 60 % of what it spent this month: it ran out on the day the running sum passed it.
    let cum = 0;
    let runsOut: string | undefined;
    for (const [d, v] of [...s.spendByDay.get('team-a')!].sort(([x], [y]) => x.localeCompare(y))) {
      if (d < monthStart(s.last)) continue;
      cum += v;
      if (cum >= teamABudget) {
        runsOut = d;
        break;
      }
    }
    const a = lines.find((l) => l.scopeId === 'team-a' && l.horizon === 'month')!;
    expect(a).toMatchObject({ budgetId: 'team-a.monthly', budgetMicroUsd: teamABudget, budgetRunsOutOn: runsOut });
    // team-b's budget was removed; the tenant's lasts the month; quarters carry no budget.
    expect(lines.find((l) => l.scopeId === 'team-b' && l.horizon === 'month')).toMatchObject({ budgetId: null, budgetRunsOutOn: null });
    expect(lines[0]).toMatchObject({ budgetId: 'acme.monthly', budgetRunsOutOn: null });
    expect(lines[1]).toMatchObject({ budgetId: null });
  });

  it('finds the injected spend and PII-block spikes per user, team and model, and never flags the Monday peak', async () => {
    const found = await anomalies(db, { from: s.first, to: s.last });
    const keys = found.map((a) => `${a.scope}:${a.scopeId}:${a.metric}:${a.day}`);
    expect(keys).toEqual(
      expect.arrayContaining([
        `user:u-b1:spend:${s.spendSpike}`,
        `team:team-b:spend:${s.spendSpike}`,
        `model:claude-sonnet:spend:${s.spendSpike}`,
        `user:u-a1:pii_block_rate:${s.piiSpike}`,
      ]),
    );
    expect(found.filter((a) => a.day !== s.spendSpike && a.day !== s.piiSpike)).toEqual([]);
    expect(found.filter((a) => weekday(a.day) === 1)).toEqual([]);
    const spike = found.find((a) => a.scope === 'user' && a.metric === 'spend')!;
    expect(spike.direction).toBe('high');
    expect(spike.score).toBeGreaterThan(3.5);
    expect(spike.value / spike.expected).toBeGreaterThan(5);
    expect(spike.reason).toMatch(/^spend of user u-b1 \$\d+\.\d{6} is \d+\.\dx the usual Wednesday \(median \$\d+\.\d{6} over 8 weeks\); robust z \d+\.\d > 3\.5$/);
    const pii = found.find((a) => a.metric === 'pii_block_rate' && a.scope === 'user')!;
    expect(pii.reason).toMatch(/^PII block rate of user u-a1 \d+\.\d% is/);
    expect(found.every((a) => !a.alerted)).toBe(true);
    // One day later nothing is left over from the spike's window.
    expect(await anomalies(db, { from: addDays(s.last, 1), to: addDays(s.last, 60) })).toEqual([]);
  });

  it('a rebuild (large batches) reproduces identical tables, while readers keep getting full answers', async () => {
    const before = await Promise.all(TABLES.map((t) => digest(db, t)));
    const expectedForecasts = await forecasts(db);
    let reads = 0;
    let reading = true;
    const reader = (async () => {
      while (reading) {
        expect(await forecasts(db)).toEqual(expectedForecasts);
        reads++;
      }
    })();
    for (const projection of [forecastProjection(), anomalyProjection((t) => registry.has(t))]) {
      await rebuildProjection({ nc, stream, db, pgUrl: database.url, projection, registry });
    }
    reading = false;
    await reader;
    expect(reads).toBeGreaterThan(1);
    expect(await Promise.all(TABLES.map((t) => digest(db, t)))).toEqual(before);
  });
});
