import { sql, type Kysely } from 'kysely';

/** Dimensions a cost report can group by. */
export const COST_DIMENSIONS = ['tenant', 'team', 'user', 'key', 'model', 'provider'] as const;
export type CostDimension = (typeof COST_DIMENSIONS)[number];

const COLUMN: Record<CostDimension, string> = { tenant: 'tenant', team: 'team_id', user: 'user_id', key: 'key_id', model: 'model', provider: 'provider' };

/** Totals of one group over a period. Money in integer micro-USD. */
export interface CostTotals {
  readonly key: string;
  readonly requests: number;
  readonly errors: number;
  readonly rejected: number;
  readonly blockedPii: number;
  readonly blockedQuota: number;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly tokensCached: number;
  readonly cacheHits: number;
  readonly microUsd: number;
}

/** A period of whole UTC days, both ends included (`YYYY-MM-DD`). */
export interface DayRange {
  readonly from: string;
  readonly to: string;
}

interface Raw {
  key: string;
  requests: string;
  errors: string;
  rejected: string;
  blocked_pii: string;
  blocked_quota: string;
  tokens_in: string;
  tokens_out: string;
  tokens_cached: string;
  cache_hits: string;
  micro_usd: string;
}

const totals = (r: Raw): CostTotals => ({
  key: r.key,
  requests: Number(r.requests),
  errors: Number(r.errors),
  rejected: Number(r.rejected),
  blockedPii: Number(r.blocked_pii),
  blockedQuota: Number(r.blocked_quota),
  tokensIn: Number(r.tokens_in),
  tokensOut: Number(r.tokens_out),
  tokensCached: Number(r.tokens_cached),
  cacheHits: Number(r.cache_hits),
  microUsd: Number(r.micro_usd),
});

const sums = sql`sum(requests) AS requests, sum(errors) AS errors, sum(rejected) AS rejected, sum(blocked_pii) AS blocked_pii,
  sum(blocked_quota) AS blocked_quota, sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out,
  sum(tokens_cached) AS tokens_cached, sum(cache_hits) AS cache_hits, sum(micro_usd) AS micro_usd`;

/** Options of {@link spendBy}. */
export interface SpendQuery extends DayRange {
  readonly by: CostDimension;
  readonly tenant?: string;
  /** Only the top N by spend (then requests). */
  readonly limit?: number;
}

/** Spend and usage grouped by one dimension over a period, biggest spenders first. */
export async function spendBy(db: Kysely<unknown>, q: SpendQuery): Promise<CostTotals[]> {
  const col = sql.id(COLUMN[q.by]);
  const { rows } = await sql<Raw>`
    SELECT ${col} AS key, ${sums} FROM cost_daily
    WHERE day BETWEEN ${q.from}::date AND ${q.to}::date ${q.tenant === undefined ? sql`` : sql`AND tenant = ${q.tenant}`}
    GROUP BY ${col} ORDER BY sum(micro_usd) DESC, sum(requests) DESC, ${col}
    ${q.limit === undefined ? sql`` : sql`LIMIT ${q.limit}`}`.execute(db);
  return rows.map(totals);
}

/** The top spenders of a dimension over a period. */
export function topSpenders(db: Kysely<unknown>, q: Omit<SpendQuery, 'limit'> & { limit?: number }): Promise<CostTotals[]> {
  return spendBy(db, { ...q, limit: q.limit ?? 10 });
}

/** One day of one group. */
export interface DailyPoint {
  readonly key: string;
  readonly day: string;
  readonly microUsd: number;
  readonly requests: number;
  readonly blockedPii: number;
  readonly rejected: number;
}

/** The daily series of each group of a dimension (days without traffic are absent). */
export async function dailySeries(db: Kysely<unknown>, q: DayRange & { by: CostDimension; tenant?: string }): Promise<DailyPoint[]> {
  const col = sql.id(COLUMN[q.by]);
  const { rows } = await sql<{ key: string; day: string; micro_usd: string; requests: string; blocked_pii: string; rejected: string }>`
    SELECT ${col} AS key, to_char(day, 'YYYY-MM-DD') AS day, sum(micro_usd) AS micro_usd, sum(requests) AS requests,
      sum(blocked_pii) AS blocked_pii, sum(rejected) AS rejected
    FROM cost_daily WHERE day BETWEEN ${q.from}::date AND ${q.to}::date ${q.tenant === undefined ? sql`` : sql`AND tenant = ${q.tenant}`}
    GROUP BY ${col}, day ORDER BY ${col}, day`.execute(db);
  return rows.map((r) => ({ key: r.key, day: r.day, microUsd: Number(r.micro_usd), requests: Number(r.requests), blockedPii: Number(r.blocked_pii), rejected: Number(r.rejected) }));
}

/** Month-to-date spend of a group against its budget. */
export interface BudgetStanding {
  readonly key: string;
  readonly spentMicroUsd: number;
  readonly budgetMicroUsd: number | undefined;
  /** Share of the budget used (undefined without a budget). */
  readonly used: number | undefined;
}

/** Month-to-date spend per team or tenant, next to the budgets given (budgets are not in this read model). */
export async function monthToDate(
  db: Kysely<unknown>,
  q: { by: 'team' | 'tenant'; today: string; budgets?: ReadonlyMap<string, number> },
): Promise<BudgetStanding[]> {
  const rows = await spendBy(db, { by: q.by, from: `${q.today.slice(0, 7)}-01`, to: q.today });
  return rows.map((r) => {
    const budget = q.budgets?.get(r.key);
    return { key: r.key, spentMicroUsd: r.microUsd, budgetMicroUsd: budget, used: budget ? r.microUsd / budget : undefined };
  });
}

/** One line of a monthly chargeback. */
export interface ChargebackLine {
  readonly month: string;
  readonly tenant: string;
  readonly team: string;
  readonly requests: number;
  readonly errors: number;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly tokensCached: number;
  readonly microUsd: number;
}

/** Calendar month bounds of `YYYY-MM`. */
export function monthRange(month: string): DayRange {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new RangeError(`month must be YYYY-MM, got ${month}`);
  const [y, m] = month.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { from: `${month}-01`, to: `${month}-${String(last).padStart(2, '0')}` };
}

/** Chargeback per tenant and team for one month, in a stable order. */
export async function chargeback(db: Kysely<unknown>, month: string): Promise<ChargebackLine[]> {
  const { from, to } = monthRange(month);
  const { rows } = await sql<{ tenant: string; team: string; requests: string; errors: string; tokens_in: string; tokens_out: string; tokens_cached: string; micro_usd: string }>`
    SELECT tenant, team_id AS team, sum(requests) AS requests, sum(errors) AS errors, sum(tokens_in) AS tokens_in,
      sum(tokens_out) AS tokens_out, sum(tokens_cached) AS tokens_cached, sum(micro_usd) AS micro_usd
    FROM cost_daily WHERE day BETWEEN ${from}::date AND ${to}::date
    GROUP BY tenant, team_id ORDER BY tenant, team_id`.execute(db);
  return rows.map((r) => ({
    month,
    tenant: r.tenant,
    team: r.team,
    requests: Number(r.requests),
    errors: Number(r.errors),
    tokensIn: Number(r.tokens_in),
    tokensOut: Number(r.tokens_out),
    tokensCached: Number(r.tokens_cached),
    microUsd: Number(r.micro_usd),
  }));
}

/** The chargeback CSV columns, in order: never reorder or rename them (finance imports depend on it). */
export const CHARGEBACK_COLUMNS = ['month', 'tenant', 'team_id', 'requests', 'errors', 'tokens_in', 'tokens_out', 'tokens_cached', 'micro_usd', 'usd'] as const;

function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** Formats micro-USD as a decimal dollar amount with 6 places, exactly (no float rounding). */
export function formatUsd(microUsd: number): string {
  const sign = microUsd < 0 ? '-' : '';
  const abs = BigInt(Math.abs(microUsd));
  return `${sign}${abs / 1_000_000n}.${String(abs % 1_000_000n).padStart(6, '0')}`;
}

/** RFC 4180 CSV of chargeback lines, header first, CRLF line ends. */
export function chargebackCsv(lines: readonly ChargebackLine[]): string {
  const rows = lines.map((l) =>
    [l.month, l.tenant, l.team || '(none)', l.requests, l.errors, l.tokensIn, l.tokensOut, l.tokensCached, l.microUsd, formatUsd(l.microUsd)].map((v) => csvField(String(v))).join(','),
  );
  return [CHARGEBACK_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}
