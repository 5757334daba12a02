import { createHash } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { addDays, detectAnomalies, detectRateAnomalies, type Anomaly } from '@totra/analytics';
import { defineProjectionMigrations } from '@totra/db';
import { defineProjection, type ProjectedEvent, type Projection } from '@totra/projection';
import { formatUsd } from './cost.queries.js';
import { chunks, dayOf, toInt, tuple } from './rows.js';

/** Weeks of history each day is compared with. */
export const ANOMALY_HISTORY_WEEKS = 8;
const WINDOW = ANOMALY_HISTORY_WEEKS * 7;
/** Busy days (spend above zero) a scope needs in its history before its spend is judged. */
const MIN_ACTIVE_DAYS = 7;
/** Requests a day needs for its PII-block rate to count. */
const MIN_REQUESTS = 20;

/** What an anomaly row is about. */
export type AnomalyScope = 'user' | 'team' | 'model';
export type AnomalyMetric = 'spend' | 'pii_block_rate';

/**
 * `anomaly_daily`: per tenant, scope (user, team, model) and UTC day: spend in micro-USD (from
 * `SpendRecorded`), requests (completed, failed and rejected) and requests blocked for PII.
 * `anomaly`: one row per scope, metric and day that stood out from the scope's own
 * weekday-aware history; its `id` is the id of the `SpendAnomalyDetected` event that announces
 * it ({@link anomalyEventId}).
 * `anomaly_alerted`: ids of the `SpendAnomalyDetected` events in the log (so the projector
 * appends each once, and a rebuild remembers what was announced).
 */
export const anomalyMigrations = defineProjectionMigrations('anomaly', {
  anomaly_0001_create_tables: {
    async up(db) {
      await db.schema
        .createTable('anomaly_daily')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('scope_id', 'text', (c) => c.notNull())
        .addColumn('day', 'date', (c) => c.notNull())
        .addColumn('micro_usd', 'int8', (c) => c.notNull().defaultTo(0))
        .addColumn('requests', 'int8', (c) => c.notNull().defaultTo(0))
        .addColumn('blocked_pii', 'int8', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('anomaly_daily_pk', ['tenant', 'scope', 'scope_id', 'day'])
        .execute();
      await db.schema
        .createTable('anomaly')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('scope_id', 'text', (c) => c.notNull())
        .addColumn('metric', 'text', (c) => c.notNull())
        .addColumn('day', 'date', (c) => c.notNull())
        .addColumn('value', 'float8', (c) => c.notNull())
        .addColumn('expected', 'float8', (c) => c.notNull())
        .addColumn('score', 'float8', (c) => c.notNull())
        .addColumn('direction', 'text', (c) => c.notNull())
        .addColumn('history_weeks', 'integer', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('anomaly_by_scope').on('anomaly').columns(['tenant', 'scope', 'scope_id', 'day']).execute();
      await db.schema.createIndex('anomaly_by_day').on('anomaly').columns(['day', 'tenant']).execute();
      await db.schema
        .createTable('anomaly_alerted')
        .addColumn('event_id', 'uuid', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('day', 'date', (c) => c.notNull())
        .execute();
    },
    async down(db) {
      for (const t of ['anomaly_alerted', 'anomaly', 'anomaly_daily']) await db.schema.dropTable(t).execute();
    },
  },
});

/** Event types the anomaly projection reads. */
export const ANOMALY_EVENT_TYPES = ['RequestCompleted', 'RequestFailed', 'RequestRejected', 'SpendRecorded', 'SpendAnomalyDetected'] as const;

/**
 * The id of the `SpendAnomalyDetected` event of one anomaly: a UUIDv7-shaped id derived from a
 * SHA-256 of tenant, scope, metric and day, so the same anomaly always has the same id.
 */
export function anomalyEventId(a: { tenant: string; scope: AnomalyScope; scopeId: string; metric: AnomalyMetric; day: string }): string {
  const b = createHash('sha256').update(JSON.stringify(['SpendAnomalyDetected', a.tenant, a.scope, a.scopeId, a.metric, a.day])).digest().subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x70; // version 7
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80; // RFC 4122 variant
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const k = (...parts: string[]) => parts.join('\u0000');
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

interface DailyDelta {
  tenant: string;
  scope: AnomalyScope;
  scopeId: string;
  day: string;
  micro: number;
  requests: number;
  blocked: number;
}

interface Dirty {
  tenant: string;
  scope: AnomalyScope;
  scopeId: string;
  minDay: string;
  maxDay: string;
}

/** A row of `anomaly` as the projection writes it (the queries read the same columns). */
export interface AnomalyRow {
  id: string;
  tenant: string;
  scope: AnomalyScope;
  scope_id: string;
  metric: AnomalyMetric;
  day: string;
  value: number;
  expected: number;
  score: number;
  direction: 'high' | 'low';
  history_weeks: number;
  reason: string;
}

const ROW_COLS = ['id', 'tenant', 'scope', 'scope_id', 'metric', 'day', 'value', 'expected', 'score', 'direction', 'history_weeks', 'reason'] as const;

const LABEL: Record<AnomalyScope, string> = { user: 'user', team: 'team', model: 'model' };

/**
 * Judges the days of one scope between `lo` and `hi` from its stored daily rows. The rows must
 * start at least {@link WINDOW} days before `lo` (or at the scope's first day): a day's result
 * depends only on that day and the window before it, so it is the same as on the whole series.
 */
function judgeScope(
  s: { tenant: string; scope: AnomalyScope; scopeId: string },
  rows: readonly { day: string; micro: number; requests: number; blocked: number }[],
  lo: string,
  hi: string,
): AnomalyRow[] {
  const examined = rows.filter((r) => r.day >= lo && r.day <= hi).map((r) => r.day);
  if (examined.length === 0) return [];
  const label = `${LABEL[s.scope]} ${s.scopeId}`;
  const found: [AnomalyMetric, Anomaly][] = [];
  const opts = { days: examined, historyWeeks: ANOMALY_HISTORY_WEEKS };
  for (const a of detectAnomalies(
    rows.map((r) => ({ day: r.day, value: r.micro })),
    { ...opts, metric: `spend of ${label}`, minActiveDays: MIN_ACTIVE_DAYS, format: (v) => `$${formatUsd(Math.round(v))}` },
  )) {
    found.push(['spend', a]);
  }
  for (const a of detectRateAnomalies(
    rows.map((r) => ({ day: r.day, blocked: r.blocked, total: r.requests })),
    { ...opts, metric: `PII block rate of ${label}`, minRequests: MIN_REQUESTS },
  )) {
    found.push(['pii_block_rate', a]);
  }
  return found.map(([metric, a]) => ({
    id: anomalyEventId({ ...s, metric, day: a.day }),
    tenant: s.tenant,
    scope: s.scope,
    scope_id: s.scopeId,
    metric,
    day: a.day,
    value: a.value,
    expected: a.expected,
    score: a.score,
    direction: a.direction,
    history_weeks: ANOMALY_HISTORY_WEEKS,
    reason: a.reason,
  }));
}

/**
 * Folds request and spend events into the daily rows of each user, team and model, then judges
 * again every day a changed day can affect (the day itself and the {@link WINDOW} days after
 * it) for each scope that changed: its anomaly rows there are replaced. The rows are thus a
 * function of the daily rows alone, the same after a replay whatever the batching.
 * `SpendAnomalyDetected` events (appended by the projector for new rows) are remembered in
 * `anomaly_alerted`.
 */
async function applyAnomaly(events: readonly ProjectedEvent[], trx: Transaction<unknown>): Promise<void> {
  const deltas = new Map<string, DailyDelta>();
  const alerted = new Map<string, { tenant: string; day: string }>();
  const add = (tenant: string, scope: AnomalyScope, scopeId: string | null, day: string, c: { micro?: number; requests?: number; blocked?: number }) => {
    if (scopeId === null) return;
    const key = k(tenant, scope, scopeId, day);
    const d = deltas.get(key) ?? { tenant, scope, scopeId, day, micro: 0, requests: 0, blocked: 0 };
    d.micro += c.micro ?? 0;
    d.requests += c.requests ?? 0;
    d.blocked += c.blocked ?? 0;
    deltas.set(key, d);
  };
  for (const { event } of events) {
    const d = event.data;
    const tenant = event.envelope.tenant;
    const day = dayOf(event.envelope.time);
    switch (event.type) {
      case 'RequestCompleted':
      case 'RequestFailed':
      case 'RequestRejected': {
        const c = { requests: 1, blocked: event.type === 'RequestRejected' && d['reason'] === 'pii_blocked' ? 1 : 0 };
        add(tenant, 'user', str(d['userId']), day, c);
        add(tenant, 'team', str(d['teamId']), day, c);
        add(tenant, 'model', str(d['modelRequested']), day, c);
        break;
      }
      case 'SpendRecorded': {
        const c = { micro: toInt(d['microUsd']) };
        add(tenant, 'user', str(d['userId']), day, c);
        add(tenant, 'team', str(d['teamId']), day, c);
        add(tenant, 'model', str(d['model']), day, c);
        break;
      }
      case 'SpendAnomalyDetected':
        alerted.set(event.envelope.id, { tenant, day: String(d['day']) });
        break;
    }
  }
  if (alerted.size) {
    await sql`
      INSERT INTO anomaly_alerted (event_id, tenant, day) VALUES ${sql.join([...alerted].map(([id, a]) => tuple([id, a.tenant, a.day])))}
      ON CONFLICT (event_id) DO NOTHING`.execute(trx);
  }
  if (deltas.size === 0) return;
  const dirty = new Map<string, Dirty>();
  for (const part of chunks([...deltas.values()])) {
    await sql`
      INSERT INTO anomaly_daily (tenant, scope, scope_id, day, micro_usd, requests, blocked_pii)
      VALUES ${sql.join(part.map((r) => tuple([r.tenant, r.scope, r.scopeId, r.day, r.micro, r.requests, r.blocked])))}
      ON CONFLICT (tenant, scope, scope_id, day) DO UPDATE SET micro_usd = anomaly_daily.micro_usd + excluded.micro_usd,
        requests = anomaly_daily.requests + excluded.requests, blocked_pii = anomaly_daily.blocked_pii + excluded.blocked_pii`.execute(trx);
  }
  for (const r of deltas.values()) {
    const key = k(r.tenant, r.scope, r.scopeId);
    const d = dirty.get(key);
    if (!d) dirty.set(key, { tenant: r.tenant, scope: r.scope, scopeId: r.scopeId, minDay: r.day, maxDay: r.day });
    else {
      if (r.day < d.minDay) d.minDay = r.day;
      if (r.day > d.maxDay) d.maxDay = r.day;
    }
  }
  for (const part of chunks([...dirty.values()], 500)) await judgeAgain(trx, part);
}

/** Replaces the anomaly rows of some scopes over the days their changes can affect. */
async function judgeAgain(trx: Transaction<unknown>, scopes: readonly Dirty[]): Promise<void> {
  const ranges = scopes.map((s) => ({ ...s, lo: s.minDay, hi: addDays(s.maxDay, WINDOW), from: addDays(s.minDay, -WINDOW) }));
  const values = sql.join(ranges.map((r) => sql`(${r.tenant}, ${r.scope}, ${r.scopeId}, ${r.from}::date, ${r.hi}::date)`));
  const { rows } = await sql<{ tenant: string; scope: AnomalyScope; scope_id: string; day: string; micro_usd: string; requests: string; blocked_pii: string; earlier: boolean }>`
    WITH r(tenant, scope, scope_id, lo, hi) AS (VALUES ${values})
    SELECT d.tenant, d.scope, d.scope_id, to_char(d.day, 'YYYY-MM-DD') AS day, d.micro_usd, d.requests, d.blocked_pii, false AS earlier
    FROM anomaly_daily d JOIN r ON d.tenant = r.tenant AND d.scope = r.scope AND d.scope_id = r.scope_id AND d.day BETWEEN r.lo AND r.hi
    UNION ALL
    SELECT r.tenant, r.scope, r.scope_id, to_char(r.lo, 'YYYY-MM-DD'), 0, 0, 0, true FROM r
    WHERE EXISTS (SELECT 1 FROM anomaly_daily d WHERE d.tenant = r.tenant AND d.scope = r.scope AND d.scope_id = r.scope_id AND d.day < r.lo)
    ORDER BY 1, 2, 3, 4`.execute(trx);

  const byScope = new Map<string, { day: string; micro: number; requests: number; blocked: number }[]>();
  const startedEarlier = new Set<string>();
  for (const r of rows) {
    const key = k(r.tenant, r.scope, r.scope_id);
    if (r.earlier) {
      startedEarlier.add(key);
      continue;
    }
    const list = byScope.get(key) ?? [];
    list.push({ day: r.day, micro: Number(r.micro_usd), requests: Number(r.requests), blocked: Number(r.blocked_pii) });
    byScope.set(key, list);
  }
  const found: AnomalyRow[] = [];
  for (const r of ranges) {
    const key = k(r.tenant, r.scope, r.scopeId);
    const list = byScope.get(key) ?? [];
    // The scope started before the loaded window: its series starts at the window's first day
    // (zero where nothing was recorded), as it would on the whole series.
    if (startedEarlier.has(key) && list[0]?.day !== r.from) list.unshift({ day: r.from, micro: 0, requests: 0, blocked: 0 });
    found.push(...judgeScope(r, list, r.lo, r.hi));
  }
  await sql`
    WITH r(tenant, scope, scope_id, lo, hi) AS (VALUES ${sql.join(ranges.map((r) => sql`(${r.tenant}, ${r.scope}, ${r.scopeId}, ${r.lo}::date, ${r.hi}::date)`))})
    DELETE FROM anomaly a USING r WHERE a.tenant = r.tenant AND a.scope = r.scope AND a.scope_id = r.scope_id AND a.day BETWEEN r.lo AND r.hi`.execute(trx);
  for (const part of chunks(found, 1000)) {
    await sql`INSERT INTO anomaly (${sql.join(ROW_COLS.map((c) => sql.id(c)))}) VALUES ${sql.join(part.map((row) => tuple(ROW_COLS.map((c) => row[c]))))}`.execute(trx);
  }
}

/** The `anomaly` projection: unusual daily spend and PII-block rates per user, team and model. */
export function anomalyProjection(knownTypes?: (type: string) => boolean): Projection<unknown> {
  return defineProjection<unknown>({
    name: 'anomaly',
    version: 1,
    handles: ANOMALY_EVENT_TYPES.filter((t) => knownTypes?.(t) ?? true),
    migrations: anomalyMigrations,
    apply: (event, trx) => applyAnomaly([event], trx),
    applyBatch: applyAnomaly,
  });
}
