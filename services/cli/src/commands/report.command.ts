import { type Command, Option } from 'commander';
import { sql, type Kysely } from 'kysely';
import { addDays } from '@totra/analytics';
import { createDb } from '@totra/db';
import {
  COST_DIMENSIONS,
  anomalies,
  chargeback,
  chargebackCsv,
  formatUsd,
  forecasts,
  readModelExists,
  spendBy,
  type AnomalyLine,
  type CostDimension,
  type CostTotals,
  type ForecastLine,
} from '@totra/projection-reporting';
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
  return withReadModel(o, 'cost_daily', 'cost', fn);
}

/** {@link withPgDb}, failing (exit 1) when `table` does not exist yet (its projection has not run). */
function withReadModel<T>(o: PgOptions, table: string, projection: string, fn: (db: Kysely<unknown>) => Promise<T>): Promise<T> {
  return withPgDb(o, async (db) => {
    if (!(await readModelExists(db, table))) {
      throw new CliError('TOTRA_CLI_NO_READ_MODEL', `the ${projection} read model does not exist yet (the projector has not run with TOTRA_PG_URL)`, EXIT.failed);
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

/** Whole cents: a forecast is an estimate (exact micro-USD are in --json). */
const usd = (micro: number) => `$${(micro / 1_000_000).toFixed(2)}`;

/** One line per stored forecast, for people. */
export function forecastText(lines: readonly ForecastLine[]): string {
  if (lines.length === 0) return 'no forecasts yet (no spend recorded)\n';
  const rows = lines.map((l) => [
    l.scope === 'tenant' ? `tenant ${l.tenant}` : `team ${l.scopeId || '-'}`,
    `${l.horizon} to ${l.periodEnd}`,
    l.asOf,
    usd(l.actualMicroUsd),
    usd(l.expectedMicroUsd),
    `${usd(l.lowMicroUsd)}..${usd(l.highMicroUsd)}`,
    l.backtestMape === null ? '-' : `${(l.backtestMape * 100).toFixed(1)} %`,
    l.budgetMicroUsd === null ? '-' : usd(l.budgetMicroUsd),
    l.budgetMicroUsd === null ? '-' : (l.budgetRunsOutOn ?? 'lasts'),
  ]);
  const methods = [...new Set(lines.map((l) => l.method))].join(', ');
  return `${table(['scope', 'horizon', 'as of', 'so far', 'expected', '95 % band', 'backtest err', 'budget', 'runs out'], rows)}method: ${methods}; "as of" is the latest day with recorded spend\n`;
}

/** One line per stored anomaly, for people. */
export function anomaliesText(found: readonly AnomalyLine[]): string {
  return found.map((a) => `${a.day}  ${a.scope.padEnd(5)} ${a.metric.padEnd(14)} ${a.direction.padEnd(4)}  z ${a.score.toFixed(1).padStart(6)}  ${a.reason}${a.alerted ? '' : '  (not announced yet)'}\n`).join('');
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
      .description('month-end and quarter-end spend per tenant and team with a 95 % band and budget run-out (the forecast read model)')
      .option('--tenant <tenant>', 'only this tenant')
      .option('--team <team>', 'only this team')
      .addOption(new Option('--horizon <horizon>', 'only this horizon').choices(['month', 'quarter']))
      .option('--json', 'machine-readable output'),
  ).action(async (o: PgOptions & { tenant?: string; team?: string; horizon?: 'month' | 'quarter'; json?: boolean }) => {
    const lines = await withReadModel(o, 'forecast', 'forecast', (db) =>
      forecasts(db, { ...(o.tenant === undefined ? {} : { tenant: o.tenant }), ...(o.team === undefined ? {} : { team: o.team }), ...(o.horizon === undefined ? {} : { horizon: o.horizon }) }),
    );
    if (o.json) io.stdout(`${JSON.stringify(lines, null, 2)}\n`);
    else io.stdout(forecastText(lines));
  });

  pgOptions(
    group
      .command('anomalies')
      .description('days whose spend or PII-block rate of a user, team or model stood out from its own history (the anomaly read model)')
      .option('--as-of <day>', 'last day shown (default: today)', day('--as-of'))
      .option('--days <n>', 'days shown, ending with --as-of', '7')
      .option('--tenant <tenant>', 'only this tenant')
      .addOption(new Option('--scope <scope>', 'only users, teams or models').choices(['user', 'team', 'model']))
      .addOption(new Option('--metric <metric>', 'only this metric').choices(['spend', 'pii_block_rate']))
      .option('--json', 'machine-readable output'),
  ).action(async (o: PgOptions & { asOf?: string; days: string; tenant?: string; scope?: 'user' | 'team' | 'model'; metric?: 'spend' | 'pii_block_rate'; json?: boolean }) => {
    const days = Number(o.days);
    if (!Number.isInteger(days) || days < 1 || days > 366) throw new CliError('TOTRA_CLI_USAGE', `--days: "${o.days}" is not a number of days (1-366)`);
    const asOf = o.asOf ?? today();
    const found = await withReadModel(o, 'anomaly', 'anomaly', (db) =>
      anomalies(db, {
        from: addDays(asOf, 1 - days),
        to: asOf,
        ...(o.tenant === undefined ? {} : { tenant: o.tenant }),
        ...(o.scope === undefined ? {} : { scope: o.scope }),
        ...(o.metric === undefined ? {} : { metric: o.metric }),
      }),
    );
    if (o.json) io.stdout(`${JSON.stringify(found, null, 2)}\n`);
    else if (found.length === 0) io.stdout(`no anomalies in the ${days} days up to ${asOf}\n`);
    else io.stdout(anomaliesText(found));
  });
};
