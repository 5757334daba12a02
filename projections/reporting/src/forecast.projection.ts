import { sql, type Transaction } from 'kysely';
import { FORECAST_METHOD, addDays, forecastSpend, type Projection as PeriodForecast } from '@totra/analytics';
import { defineProjectionMigrations } from '@totra/db';
import { defineProjection, type ProjectedEvent, type Projection } from '@totra/projection';
import { chunks, dayOf, toInt, tuple } from './rows.js';

/** Days of daily spend a forecast is fitted on (up to its "as of" day). */
export const FORECAST_HISTORY_DAYS = 120;

/**
 * `forecast_daily`: spend per tenant, team and UTC day (from `SpendRecorded`).
 * `forecast_clock`: per tenant, the latest day any spend was recorded for: the forecasts' "as of"
 * day (event time, never the wall clock, so a rebuild gives the same rows).
 * `forecast_budget`: the monthly micro-USD budgets of teams and tenants (all models), from
 * `BudgetSet` / `BudgetRemoved`, for the run-out date.
 * `forecast`: per tenant and scope (the tenant, each team) and horizon (month, quarter): spend so
 * far, the expected total at the period's end with a 95 % band, the method, its backtest error
 * and the day the scope's smallest monthly budget runs out.
 */
export const forecastMigrations = defineProjectionMigrations('forecast', {
  forecast_0001_create_tables: {
    async up(db) {
      await db.schema
        .createTable('forecast_daily')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('team_id', 'text', (c) => c.notNull())
        .addColumn('day', 'date', (c) => c.notNull())
        .addColumn('micro_usd', 'int8', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('forecast_daily_pk', ['tenant', 'team_id', 'day'])
        .execute();
      await db.schema.createTable('forecast_clock').addColumn('tenant', 'text', (c) => c.primaryKey()).addColumn('day', 'date', (c) => c.notNull()).execute();
      await db.schema
        .createTable('forecast_budget')
        .addColumn('budget_id', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('scope_id', 'text', (c) => c.notNull())
        .addColumn('limit_micro_usd', 'int8', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('forecast')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('scope_id', 'text', (c) => c.notNull())
        .addColumn('horizon', 'text', (c) => c.notNull())
        .addColumn('as_of', 'date', (c) => c.notNull())
        .addColumn('period_start', 'date', (c) => c.notNull())
        .addColumn('period_end', 'date', (c) => c.notNull())
        .addColumn('actual_micro_usd', 'int8', (c) => c.notNull())
        .addColumn('expected_micro_usd', 'int8', (c) => c.notNull())
        .addColumn('low_micro_usd', 'int8', (c) => c.notNull())
        .addColumn('high_micro_usd', 'int8', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('history_days', 'integer', (c) => c.notNull())
        .addColumn('backtest_mape', 'float8')
        .addColumn('budget_id', 'text')
        .addColumn('budget_micro_usd', 'int8')
        .addColumn('budget_runs_out_on', 'date')
        .addPrimaryKeyConstraint('forecast_pk', ['tenant', 'scope', 'scope_id', 'horizon'])
        .execute();
      await db.schema.createIndex('forecast_by_runs_out').on('forecast').column('budget_runs_out_on').execute();
    },
    async down(db) {
      for (const t of ['forecast', 'forecast_budget', 'forecast_clock', 'forecast_daily']) await db.schema.dropTable(t).execute();
    },
  },
});

/** Event types the forecast projection reads. */
export const FORECAST_EVENT_TYPES = ['SpendRecorded', 'BudgetSet', 'BudgetRemoved'] as const;

type Scope = 'tenant' | 'team';
const key = (...parts: string[]) => parts.join('\u0000');

interface BudgetData {
  budgetId: string;
  scope: { kind: string; id?: string };
  model?: string;
  limit: { microUsd?: number };
  period: string;
}

/** A forecast row as stored. */
interface ForecastRow {
  tenant: string;
  scope: Scope;
  scope_id: string;
  horizon: 'month' | 'quarter';
  as_of: string;
  period_start: string;
  period_end: string;
  actual_micro_usd: number;
  expected_micro_usd: number;
  low_micro_usd: number;
  high_micro_usd: number;
  method: string;
  history_days: number;
  backtest_mape: number | null;
  budget_id: string | null;
  budget_micro_usd: number | null;
  budget_runs_out_on: string | null;
}

const ROW_COLS = [
  'tenant',
  'scope',
  'scope_id',
  'horizon',
  'as_of',
  'period_start',
  'period_end',
  'actual_micro_usd',
  'expected_micro_usd',
  'low_micro_usd',
  'high_micro_usd',
  'method',
  'history_days',
  'backtest_mape',
  'budget_id',
  'budget_micro_usd',
  'budget_runs_out_on',
] as const;

/**
 * Folds spend into the daily series, then recomputes the forecast of every scope whose inputs
 * changed in the batch: its series (a team's spend also changes its tenant's), its budget, or its
 * tenant's "as of" day (which moves every scope of the tenant). A forecast is a function of
 * those inputs only, so the rows after any batch are what a replay gives, whatever the batching.
 */
async function applyForecast(events: readonly ProjectedEvent[], trx: Transaction<unknown>): Promise<void> {
  const daily = new Map<string, { tenant: string; team: string; day: string; micro: number }>();
  const clock = new Map<string, string>();
  const budgets = new Map<string, { tenant: string; data: BudgetData | null }>();
  for (const { event } of events) {
    const d = event.data;
    const tenant = event.envelope.tenant;
    if (event.type === 'SpendRecorded') {
      const day = dayOf(event.envelope.time);
      const team = typeof d['teamId'] === 'string' ? d['teamId'] : '';
      const k = key(tenant, team, day);
      const row = daily.get(k) ?? { tenant, team, day, micro: 0 };
      row.micro += toInt(d['microUsd']);
      daily.set(k, row);
      if (day > (clock.get(tenant) ?? '')) clock.set(tenant, day);
    } else if (event.type === 'BudgetSet') {
      const b = d as unknown as BudgetData;
      budgets.set(b.budgetId, { tenant, data: b });
    } else if (event.type === 'BudgetRemoved') {
      budgets.set(String(d['budgetId']), { tenant, data: null });
    }
  }

  // Scopes to recompute, per tenant; `*` = all of the tenant's scopes.
  const dirty = new Map<string, Set<string>>();
  const mark = (tenant: string, scopeKey: string) => {
    const set = dirty.get(tenant) ?? new Set<string>();
    set.add(scopeKey);
    dirty.set(tenant, set);
  };

  for (const part of chunks([...daily.values()])) {
    await sql`
      INSERT INTO forecast_daily (tenant, team_id, day, micro_usd) VALUES ${sql.join(part.map((r) => tuple([r.tenant, r.team, r.day, r.micro])))}
      ON CONFLICT (tenant, team_id, day) DO UPDATE SET micro_usd = forecast_daily.micro_usd + excluded.micro_usd`.execute(trx);
    for (const r of part) {
      mark(r.tenant, key('team', r.team));
      mark(r.tenant, key('tenant', ''));
    }
  }
  if (clock.size) {
    const { rows } = await sql<{ tenant: string }>`
      INSERT INTO forecast_clock AS c (tenant, day) VALUES ${sql.join([...clock].map(([t, d]) => tuple([t, d])))}
      ON CONFLICT (tenant) DO UPDATE SET day = excluded.day WHERE c.day < excluded.day
      RETURNING c.tenant`.execute(trx);
    for (const r of rows) mark(r.tenant, '*');
  }
  for (const [budgetId, { tenant, data }] of budgets) {
    // Whatever the budget counted before (it may have moved to another scope) is recomputed too.
    const { rows: before } = await sql<{ tenant: string; scope: string; scope_id: string }>`
      DELETE FROM forecast_budget WHERE budget_id = ${budgetId} RETURNING tenant, scope, scope_id`.execute(trx);
    for (const b of before) mark(b.tenant, key(b.scope, b.scope_id));
    const usable = data && data.period === 'monthly' && data.model === undefined && data.limit.microUsd !== undefined && (data.scope.kind === 'team' || data.scope.kind === 'tenant');
    if (!usable) continue;
    const scopeId = data.scope.kind === 'team' ? (data.scope.id ?? '') : '';
    await sql`INSERT INTO forecast_budget (budget_id, tenant, scope, scope_id, limit_micro_usd) VALUES (${budgetId}, ${tenant}, ${data.scope.kind}, ${scopeId}, ${data.limit.microUsd})`.execute(trx);
    mark(tenant, key(data.scope.kind, scopeId));
  }

  for (const [tenant, scopes] of [...dirty].sort(([a], [b]) => a.localeCompare(b))) await recompute(trx, tenant, scopes);
}

/** Recomputes the forecasts of some scopes of a tenant from the stored series, clock and budgets. */
async function recompute(trx: Transaction<unknown>, tenant: string, scopes: ReadonlySet<string>): Promise<void> {
  const { rows: clockRows } = await sql<{ day: string }>`SELECT to_char(day, 'YYYY-MM-DD') AS day FROM forecast_clock WHERE tenant = ${tenant}`.execute(trx);
  const asOf = clockRows[0]?.day;
  if (asOf === undefined) return; // budgets but no spend yet: nothing to forecast
  const from = addDays(asOf, -(FORECAST_HISTORY_DAYS - 1));
  const all = scopes.has('*');
  const teams = all ? undefined : [...scopes].filter((s) => s.startsWith('team\u0000')).map((s) => s.slice(5));
  const { rows } = await sql<{ team_id: string; day: string; micro_usd: string }>`
    SELECT team_id, to_char(day, 'YYYY-MM-DD') AS day, micro_usd FROM forecast_daily
    WHERE tenant = ${tenant} AND day BETWEEN ${from}::date AND ${asOf}::date
    ${all || scopes.has(key('tenant', '')) ? sql`` : sql`AND team_id = ANY(${teams ?? []}::text[])`}
    ORDER BY team_id, day`.execute(trx);
  const series = new Map<string, { day: string; value: number }[]>();
  const tenantByDay = new Map<string, number>();
  for (const r of rows) {
    const v = Number(r.micro_usd);
    const s = series.get(r.team_id) ?? [];
    s.push({ day: r.day, value: v });
    series.set(r.team_id, s);
    tenantByDay.set(r.day, (tenantByDay.get(r.day) ?? 0) + v);
  }
  const { rows: budgetRows } = await sql<{ budget_id: string; scope: string; scope_id: string; limit_micro_usd: string }>`
    SELECT budget_id, scope, scope_id, limit_micro_usd FROM forecast_budget WHERE tenant = ${tenant}
    ORDER BY limit_micro_usd, budget_id`.execute(trx);
  const budgetOf = new Map<string, { id: string; amount: number }>();
  for (const b of budgetRows) if (!budgetOf.has(key(b.scope, b.scope_id))) budgetOf.set(key(b.scope, b.scope_id), { id: b.budget_id, amount: Number(b.limit_micro_usd) });

  const targets: [Scope, string][] = [];
  if (all || scopes.has(key('tenant', ''))) targets.push(['tenant', '']);
  if (all) {
    const { rows: known } = await sql<{ team_id: string }>`
      SELECT DISTINCT team_id FROM forecast_daily WHERE tenant = ${tenant} UNION SELECT scope_id FROM forecast_budget WHERE tenant = ${tenant} AND scope = 'team'
      UNION SELECT scope_id FROM forecast WHERE tenant = ${tenant} AND scope = 'team' ORDER BY 1`.execute(trx);
    for (const t of known) targets.push(['team', t.team_id]);
  } else {
    for (const s of [...scopes].sort()) if (s.startsWith('team\u0000')) targets.push(['team', s.slice(5)]);
  }

  const out: ForecastRow[] = [];
  const gone: [Scope, string][] = [];
  for (const [scope, scopeId] of targets) {
    const points = scope === 'tenant' ? [...tenantByDay].sort(([a], [b]) => a.localeCompare(b)).map(([day, value]) => ({ day, value })) : (series.get(scopeId) ?? []);
    if (points.length === 0) {
      gone.push([scope, scopeId]);
      continue;
    }
    const budget = budgetOf.get(key(scope, scopeId));
    // The "as of" day is the latest day with spend: it may still be going on.
    const f = forecastSpend(points, asOf, budget && { amount: budget.amount, period: 'month' }, { asOfIsPartial: true });
    const history = points.length === 0 ? 0 : Math.round((Date.parse(asOf) - Date.parse(points[0]!.day)) / 86_400_000) + 1;
    const row = (horizon: 'month' | 'quarter', p: PeriodForecast): ForecastRow => ({
      tenant,
      scope,
      scope_id: scopeId,
      horizon,
      as_of: asOf,
      period_start: p.periodStart,
      period_end: p.periodEnd,
      actual_micro_usd: Math.round(p.actual),
      expected_micro_usd: Math.round(p.expected),
      low_micro_usd: Math.round(p.low),
      high_micro_usd: Math.round(p.high),
      method: FORECAST_METHOD,
      history_days: history,
      backtest_mape: f.backtestMape ?? null,
      budget_id: horizon === 'month' ? (budget?.id ?? null) : null,
      budget_micro_usd: horizon === 'month' ? (budget?.amount ?? null) : null,
      budget_runs_out_on: horizon === 'month' ? (f.budgetRunsOutOn ?? null) : null,
    });
    out.push(row('month', f.monthEnd), row('quarter', f.quarterEnd));
  }
  if (gone.length) {
    await sql`
      DELETE FROM forecast f USING (VALUES ${sql.join(gone.map(([s, id]) => tuple([s, id])))}) AS g(scope, scope_id)
      WHERE f.tenant = ${tenant} AND f.scope = g.scope AND f.scope_id = g.scope_id`.execute(trx);
  }
  for (const part of chunks(out, 1000)) {
    await sql`
      INSERT INTO forecast (${sql.join(ROW_COLS.map((c) => sql.id(c)))}) VALUES ${sql.join(part.map((r) => tuple(ROW_COLS.map((c) => r[c]))))}
      ON CONFLICT (tenant, scope, scope_id, horizon) DO UPDATE SET
      ${sql.join(ROW_COLS.slice(4).map((c) => sql`${sql.id(c)} = excluded.${sql.id(c)}`))}`.execute(trx);
  }
}

/** The `forecast` projection: month-end and quarter-end spend forecasts per tenant and team. */
export function forecastProjection(): Projection<unknown> {
  return defineProjection<unknown>({
    name: 'forecast',
    version: 1,
    handles: FORECAST_EVENT_TYPES,
    migrations: forecastMigrations,
    apply: (event, trx) => applyForecast([event], trx),
    applyBatch: applyForecast,
  });
}
