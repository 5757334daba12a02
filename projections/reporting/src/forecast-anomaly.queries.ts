import { sql, type Kysely } from 'kysely';
import { type AnomalyMetric, type AnomalyRow, type AnomalyScope } from './anomaly.projection.js';

/** One stored forecast (money in integer micro-USD). */
export interface ForecastLine {
  readonly tenant: string;
  readonly scope: 'tenant' | 'team';
  /** The team id (`''` for the tenant). */
  readonly scopeId: string;
  readonly horizon: 'month' | 'quarter';
  /** Latest day with recorded spend in the tenant: the forecast's "as of" day. */
  readonly asOf: string;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly actualMicroUsd: number;
  readonly expectedMicroUsd: number;
  readonly lowMicroUsd: number;
  readonly highMicroUsd: number;
  readonly method: string;
  readonly historyDays: number;
  /** Mean absolute percentage error of the method on the last 7 complete days (null: under 3 weeks of history). */
  readonly backtestMape: number | null;
  readonly budgetId: string | null;
  readonly budgetMicroUsd: number | null;
  /** Day the monthly budget runs out (null: it lasts the month, or there is none). */
  readonly budgetRunsOutOn: string | null;
}

interface ForecastRaw {
  tenant: string;
  scope: 'tenant' | 'team';
  scope_id: string;
  horizon: 'month' | 'quarter';
  as_of: string;
  period_start: string;
  period_end: string;
  actual_micro_usd: string;
  expected_micro_usd: string;
  low_micro_usd: string;
  high_micro_usd: string;
  method: string;
  history_days: number;
  backtest_mape: number | null;
  budget_id: string | null;
  budget_micro_usd: string | null;
  budget_runs_out_on: string | null;
}

const day = (col: string) => sql`to_char(${sql.id(col)}, 'YYYY-MM-DD') AS ${sql.id(col)}`;

/** Whether a read model's table exists (its projection has run at least once). */
export async function readModelExists(db: Kysely<unknown>, table: string): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`SELECT to_regclass(${`public.${table}`}) IS NOT NULL AS ok`.execute(db);
  return rows[0]?.ok === true;
}

/** The stored forecasts: tenants first, then teams, month before quarter. */
export async function forecasts(db: Kysely<unknown>, q: { tenant?: string; team?: string; horizon?: 'month' | 'quarter' } = {}): Promise<ForecastLine[]> {
  const { rows } = await sql<ForecastRaw>`
    SELECT tenant, scope, scope_id, horizon, ${day('as_of')}, ${day('period_start')}, ${day('period_end')}, actual_micro_usd, expected_micro_usd,
      low_micro_usd, high_micro_usd, method, history_days, backtest_mape, budget_id, budget_micro_usd, ${day('budget_runs_out_on')}
    FROM forecast WHERE true
    ${q.tenant === undefined ? sql`` : sql`AND tenant = ${q.tenant}`}
    ${q.team === undefined ? sql`` : sql`AND scope = 'team' AND scope_id = ${q.team}`}
    ${q.horizon === undefined ? sql`` : sql`AND horizon = ${q.horizon}`}
    ORDER BY tenant, scope DESC, scope_id, horizon`.execute(db);
  return rows.map((r) => ({
    tenant: r.tenant,
    scope: r.scope,
    scopeId: r.scope_id,
    horizon: r.horizon,
    asOf: r.as_of,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    actualMicroUsd: Number(r.actual_micro_usd),
    expectedMicroUsd: Number(r.expected_micro_usd),
    lowMicroUsd: Number(r.low_micro_usd),
    highMicroUsd: Number(r.high_micro_usd),
    method: r.method,
    historyDays: r.history_days,
    backtestMape: r.backtest_mape,
    budgetId: r.budget_id,
    budgetMicroUsd: r.budget_micro_usd === null ? null : Number(r.budget_micro_usd),
    budgetRunsOutOn: r.budget_runs_out_on,
  }));
}

/** One stored anomaly. */
export interface AnomalyLine {
  /** Also the id of its `SpendAnomalyDetected` event. */
  readonly id: string;
  readonly tenant: string;
  readonly scope: AnomalyScope;
  readonly scopeId: string;
  readonly metric: AnomalyMetric;
  readonly day: string;
  /** Micro-USD for spend, a share (0..1) for the PII-block rate. */
  readonly value: number;
  readonly expected: number;
  /** Robust z-score. */
  readonly score: number;
  readonly direction: 'high' | 'low';
  readonly historyWeeks: number;
  readonly reason: string;
  /** Whether its `SpendAnomalyDetected` event is in the log. */
  readonly alerted: boolean;
}

/** A stored anomaly row, with whether its event is in the log. */
type AnomalyRaw = AnomalyRow & { alerted: boolean };

const toAnomaly = (r: AnomalyRaw): AnomalyLine => ({
  id: r.id,
  tenant: r.tenant,
  scope: r.scope,
  scopeId: r.scope_id,
  metric: r.metric,
  day: r.day,
  value: r.value,
  expected: r.expected,
  score: r.score,
  direction: r.direction,
  historyWeeks: r.history_weeks,
  reason: r.reason,
  alerted: r.alerted,
});

/** Options of {@link anomalies}. */
export interface AnomalyQuery {
  readonly from: string;
  readonly to: string;
  readonly tenant?: string;
  readonly scope?: AnomalyScope;
  readonly metric?: AnomalyMetric;
}

/** The stored anomalies of a period, by day, then scope. */
export async function anomalies(db: Kysely<unknown>, q: AnomalyQuery): Promise<AnomalyLine[]> {
  const { rows } = await sql<AnomalyRaw>`
    SELECT a.id, a.tenant, a.scope, a.scope_id, a.metric, to_char(a.day, 'YYYY-MM-DD') AS day, a.value, a.expected, a.score, a.direction,
      a.history_weeks, a.reason, (x.event_id IS NOT NULL) AS alerted
    FROM anomaly a LEFT JOIN anomaly_alerted x ON x.event_id = a.id
    WHERE a.day BETWEEN ${q.from}::date AND ${q.to}::date
    ${q.tenant === undefined ? sql`` : sql`AND a.tenant = ${q.tenant}`}
    ${q.scope === undefined ? sql`` : sql`AND a.scope = ${q.scope}`}
    ${q.metric === undefined ? sql`` : sql`AND a.metric = ${q.metric}`}
    ORDER BY a.day, a.tenant, a.scope, a.scope_id, a.metric`.execute(db);
  return rows.map(toAnomaly);
}

/** Anomalies whose `SpendAnomalyDetected` event is not in the log yet (oldest first). */
export async function unannouncedAnomalies(db: Kysely<unknown>, limit = 500): Promise<AnomalyLine[]> {
  const { rows } = await sql<AnomalyRaw>`
    SELECT a.id, a.tenant, a.scope, a.scope_id, a.metric, to_char(a.day, 'YYYY-MM-DD') AS day, a.value, a.expected, a.score, a.direction,
      a.history_weeks, a.reason, false AS alerted
    FROM anomaly a WHERE NOT EXISTS (SELECT 1 FROM anomaly_alerted x WHERE x.event_id = a.id)
    ORDER BY a.day, a.id LIMIT ${limit}`.execute(db);
  return rows.map(toAnomaly);
}
