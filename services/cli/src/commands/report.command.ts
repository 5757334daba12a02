import { type Command, Option } from 'commander';
import { sql, type Kysely } from 'kysely';
import { addDays, detectAnomalies, detectRateAnomalies, forecastSpend, type Anomaly, type DayValue } from '@totra/analytics';
import { createDb } from '@totra/db';
import { COST_DIMENSIONS, chargeback, chargebackCsv, dailySeries, formatUsd, spendBy, type CostDimension, type CostTotals } from '@totra/projection-reporting';
import { CliError, EXIT } from '../cli-error.js';
import type { CommandGroup } from '../cli.js';
import { readUrls, stateDir } from '../state.js';

/** Options of every command that reads the Postgres read models. */
export interface PgOptions {
  pg?: string;
  stateDir?: string;
}

/** Adds `--pg` to a command that has `--state-dir` already. */
export function pgUrlOption(cmd: Command): Command {
  return cmd.option('--pg <url>', 'Postgres URL of the read models (default: TOTRA_PG_URL, then .totra/urls.json)');
}

/** Adds `--pg` and `--state-dir` to a command. */
export function pgOptions(cmd: Command): Command {
  return pgUrlOption(cmd).option('--state-dir <dir>', 'state folder of `totra up`', undefined);
}

/** Postgres URL: flag, then TOTRA_PG_URL, then `postgres` of `.totra/urls.json`. */
export function resolvePgUrl(o: PgOptions): string {
  const url = o.pg ?? process.env['TOTRA_PG_URL'] ?? readUrls(stateDir(o.stateDir))?.postgres;
  if (!url) throw new CliError('TOTRA_CLI_NO_PG', 'no Postgres URL: pass --pg, set TOTRA_PG_URL, or start ToTra with `totra up`');
  return url;
}

/** Runs `fn` with a small pool on the read-model database; a connection failure is a usage error (exit 2). */
export async function withPgDb<T>(o: PgOptions, fn: (db: Kysely<unknown>, url: string) => Promise<T>): Promise<T> {
  const url = resolvePgUrl(o);
  const db = createDb<unknown>(url, { maxConnections: 2 });
  try {
    try {
      await sql`SELECT 1`.execute(db);
    } catch (err) {
      throw new CliError('TOTRA_CLI_PG_UNREACHABLE', `cannot connect to Postgres: ${(err as Error).message}`, EXIT.usage, { cause: err });
    }
    return await fn(db, url);
  } finally {
    await db.destroy();
  }
}

/** {@link withPgDb}, failing (exit 1) when the cost read model does not exist yet. */
export function withPg<T>(o: PgOptions, fn: (db: Kysely<unknown>) => Promise<T>): Promise<T> {
  return withPgDb(o, async (db) => {
    const { rows } = await sql<{ ok: boolean }>`SELECT to_regclass('public.cost_daily') IS NOT NULL AS ok`.execute(db);
    if (rows[0]?.ok !== true) {
      throw new CliError('TOTRA_CLI_NO_READ_MODEL', 'the cost read model does not exist yet (the projector has not run with TOTRA_PG_URL)', EXIT.failed);
    }
    return fn(db);
  });
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

function day(name: string): (v: string) => string {
  return (v) => {
    if (!DAY.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) throw new CliError('TOTRA_CLI_USAGE', `${name}: "${v}" is not a day (YYYY-MM-DD)`);
    return v;
  };
}

const today = (): string => new Date().toISOString().slice(0, 10);

function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

const COST_COLUMNS = ['key', 'requests', 'errors', 'rejected', 'blocked_pii', 'blocked_quota', 'tokens_in', 'tokens_out', 'tokens_cached', 'cache_hits', 'micro_usd', 'usd'] as const;

/** Cost totals as CSV (RFC 4180, CRLF), one line per group. */
export function costCsv(by: CostDimension, rows: readonly CostTotals[]): string {
  const head = [by, ...COST_COLUMNS.slice(1)].join(',');
  const body = rows.map((r) =>
    [csvField(r.key), r.requests, r.errors, r.rejected, r.blockedPii, r.blockedQuota, r.tokensIn, r.tokensOut, r.tokensCached, r.cacheHits, r.microUsd, formatUsd(r.microUsd)].join(','),
  );
  return `${[head, ...body].join('\r\n')}\r\n`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** Total spend of every group per day, up to `asOf`, over `days` days. */
async function spendSeries(db: Kysely<unknown>, asOf: string, days: number): Promise<DayValue[]> {
  const points = await dailySeries(db, { by: 'tenant', from: addDays(asOf, -(days - 1)), to: asOf });
  const byDay = new Map<string, number>();
  for (const p of points) byDay.set(p.day, (byDay.get(p.day) ?? 0) + p.microUsd);
  return [...byDay.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([d, value]) => ({ day: d, value }));
}

/** Spend anomalies per team and PII-block-rate anomalies per team over the last `days` days up to `asOf`. */
export async function findAnomalies(db: Kysely<unknown>, asOf: string, days: number): Promise<Anomaly[]> {
  const examined = Array.from({ length: days }, (_, i) => addDays(asOf, i - days + 1));
  const points = await dailySeries(db, { by: 'team', from: addDays(asOf, -(days + 8 * 7)), to: asOf });
  const teams = new Map<string, typeof points>();
  for (const p of points) teams.set(p.key, [...(teams.get(p.key) ?? []), p]);
  const out: Anomaly[] = [];
  for (const [team, series] of [...teams.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const label = team || '(no team)';
    out.push(...detectAnomalies(series.map((p) => ({ day: p.day, value: p.microUsd })), { metric: `spend of team ${label}`, days: examined, format: (v) => `$${formatUsd(v)}` }));
    out.push(...detectRateAnomalies(series.map((p) => ({ day: p.day, blocked: p.blockedPii, total: p.requests + p.rejected })), { metric: `PII block rate of team ${label}`, days: examined }));
  }
  return out;
}

/** `totra report cost|chargeback|forecast|anomalies`: finance reports from the Postgres read models. */
export const reportCommands: CommandGroup = (program, io) => {
  const group = program.command('report').description('spend reports from the read models in Postgres (run by the projector)');

  pgOptions(
    group
      .command('cost')
      .description('requests, tokens and spend grouped by one dimension over a period')
      .addOption(new Option('--by <dimension>', 'group by').choices([...COST_DIMENSIONS]).default('team'))
      .option('--from <day>', 'first day (YYYY-MM-DD, default: first of this month)', day('--from'))
      .option('--to <day>', 'last day (YYYY-MM-DD, default: today)', day('--to'))
      .option('--tenant <tenant>', 'only this tenant')
      .option('--csv', 'CSV output')
      .option('--json', 'machine-readable output'),
  ).action(async (o: PgOptions & { by: CostDimension; from?: string; to?: string; tenant?: string; csv?: boolean; json?: boolean }) => {
    const to = o.to ?? today();
    const from = o.from ?? `${to.slice(0, 7)}-01`;
    if (from > to) throw new CliError('TOTRA_CLI_USAGE', `--from ${from} is after --to ${to}`);
    const rows = await withPg(o, (db) => spendBy(db, { by: o.by, from, to, ...(o.tenant === undefined ? {} : { tenant: o.tenant }) }));
    if (o.csv) io.stdout(costCsv(o.by, rows));
    else if (o.json) io.stdout(`${JSON.stringify({ by: o.by, from, to, rows }, null, 2)}\n`);
    else {
      io.stdout(`spend by ${o.by}, ${from} to ${to}\n`);
      io.stdout(
        table(
          [o.by, 'requests', 'errors', 'rejected', 'tokens in', 'tokens out', 'usd'],
          rows.map((r) => [r.key || '-', String(r.requests), String(r.errors), String(r.rejected), String(r.tokensIn), String(r.tokensOut), formatUsd(r.microUsd)]),
        ),
      );
    }
  });

  pgOptions(
    group
      .command('chargeback')
      .description('one line per tenant and team for a month, with stable CSV columns')
      .requiredOption('--month <YYYY-MM>', 'the month')
      .option('--csv', 'CSV output')
      .option('--json', 'machine-readable output'),
  ).action(async (o: PgOptions & { month: string; csv?: boolean; json?: boolean }) => {
    if (!MONTH.test(o.month)) throw new CliError('TOTRA_CLI_USAGE', `--month: "${o.month}" is not a month (YYYY-MM)`);
    const lines = await withPg(o, (db) => chargeback(db, o.month));
    if (o.csv) io.stdout(chargebackCsv(lines));
    else if (o.json) io.stdout(`${JSON.stringify(lines, null, 2)}\n`);
    else {
      io.stdout(`chargeback ${o.month}\n`);
      io.stdout(table(['tenant', 'team', 'requests', 'errors', 'tokens in', 'tokens out', 'usd'], lines.map((l) => [l.tenant, l.team || '-', String(l.requests), String(l.errors), String(l.tokensIn), String(l.tokensOut), formatUsd(l.microUsd)])));
    }
  });

  pgOptions(
    group
      .command('forecast')
      .description('month-end and quarter-end spend from the daily trend, with a 95 % band')
      .option('--as-of <day>', 'last observed day (default: today)', day('--as-of'))
      .option('--budget-usd <usd>', 'a budget to say when it runs out')
      .addOption(new Option('--period <period>', 'period of the budget').choices(['month', 'quarter']).default('month'))
      .option('--json', 'machine-readable output'),
  ).action(async (o: PgOptions & { asOf?: string; budgetUsd?: string; period: 'month' | 'quarter'; json?: boolean }) => {
    const asOf = o.asOf ?? today();
    let budget: { amount: number; period: 'month' | 'quarter' } | undefined;
    if (o.budgetUsd !== undefined) {
      const usd = Number(o.budgetUsd);
      if (!Number.isFinite(usd) || usd <= 0) throw new CliError('TOTRA_CLI_USAGE', `--budget-usd: "${o.budgetUsd}" is not a positive amount`);
      budget = { amount: Math.round(usd * 1_000_000), period: o.period };
    }
    const series = await withPg(o, (db) => spendSeries(db, asOf, 120));
    const f = forecastSpend(series, asOf, budget);
    if (o.json) {
      io.stdout(`${JSON.stringify({ asOf: f.asOf, monthEnd: f.monthEnd, quarterEnd: f.quarterEnd, backtestMape: f.backtestMape, budgetRunsOutOn: f.budgetRunsOutOn }, null, 2)}\n`);
      return;
    }
    const line = (name: string, p: typeof f.monthEnd) =>
      `${name} (${p.periodEnd}): expected $${formatUsd(Math.round(p.expected))} (95 %: $${formatUsd(Math.round(p.low))} to $${formatUsd(Math.round(p.high))}), so far $${formatUsd(Math.round(p.actual))}\n`;
    io.stdout(`forecast as of ${f.asOf}\n`);
    io.stdout(line('month end  ', f.monthEnd));
    io.stdout(line('quarter end', f.quarterEnd));
    if (f.backtestMape !== undefined) io.stdout(`backtest error (last 7 days): ${(f.backtestMape * 100).toFixed(1)} %\n`);
    if (budget) io.stdout(f.budgetRunsOutOn ? `the ${budget.period}ly budget runs out on ${f.budgetRunsOutOn}\n` : `the ${budget.period}ly budget lasts the period\n`);
  });

  pgOptions(
    group
      .command('anomalies')
      .description('unusual spend or PII block rate per team (weekday-aware robust z-scores)')
      .option('--as-of <day>', 'last day examined (default: today)', day('--as-of'))
      .option('--days <n>', 'days examined, ending with --as-of', '7')
      .option('--json', 'machine-readable output'),
  ).action(async (o: PgOptions & { asOf?: string; days: string; json?: boolean }) => {
    const days = Number(o.days);
    if (!Number.isInteger(days) || days < 1 || days > 366) throw new CliError('TOTRA_CLI_USAGE', `--days: "${o.days}" is not a number of days (1-366)`);
    const asOf = o.asOf ?? today();
    const found = await withPg(o, (db) => findAnomalies(db, asOf, days));
    if (o.json) io.stdout(`${JSON.stringify(found, null, 2)}\n`);
    else if (found.length === 0) io.stdout(`no anomalies in the ${days} days up to ${asOf}\n`);
    else for (const a of found) io.stdout(`${a.day}  ${a.direction.padEnd(4)}  score ${a.score.toFixed(1).padStart(6)}  ${a.reason}\n`);
  });
};
