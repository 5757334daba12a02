import { Kysely, type LogConfig, PostgresDialect } from 'kysely';
import pg from 'pg';
import { DbConfigError } from './errors.js';

/** Options of {@link createDb}. */
export interface CreateDbOptions {
  /** Shown in `pg_stat_activity` and server logs. Default `totra`. */
  readonly applicationName?: string;
  /** Pool size. Default 10: enough for one service process; Postgres defaults to 100 in total. */
  readonly maxConnections?: number;
  /** Server-side `statement_timeout` per statement, in ms. Default: none. */
  readonly statementTimeoutMs?: number;
  /** Server-side `lock_timeout`, in ms. Default: none. */
  readonly lockTimeoutMs?: number;
  /** Server-side `idle_in_transaction_session_timeout`, in ms. Default 60 s, so a stuck transaction cannot hold locks forever. */
  readonly idleInTransactionTimeoutMs?: number;
  /** How long to wait for a new connection. Default 10 s. */
  readonly connectionTimeoutMs?: number;
  /** How long an idle connection stays in the pool. Default 30 s. */
  readonly idleTimeoutMs?: number;
  /**
   * Called when an idle pooled connection fails (e.g. the server restarted). The pool drops that
   * connection and opens a new one on demand, so this is informational. Default: ignored.
   */
  readonly onPoolError?: (error: Error) => void;
  /** kysely query logging. */
  readonly log?: LogConfig;
}

function positiveInt(name: string, value: number | undefined): number | undefined {
  if (value !== undefined && (!Number.isInteger(value) || value <= 0)) {
    throw new DbConfigError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/**
 * A kysely instance over a `pg` pool. `int8` and `numeric` values come back as strings (pg's
 * default), so large integers never lose precision. Close it with `db.destroy()`.
 */
export function createDb<DB>(url: string, options: CreateDbOptions = {}): Kysely<DB> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new DbConfigError('database URL is not a URL', { cause: error });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DbConfigError(`database URL must start with postgres:// or postgresql://, got ${parsed.protocol}//`);
  }
  const pool = new pg.Pool({
    connectionString: url,
    application_name: options.applicationName ?? 'totra',
    max: positiveInt('maxConnections', options.maxConnections) ?? 10,
    statement_timeout: positiveInt('statementTimeoutMs', options.statementTimeoutMs),
    lock_timeout: positiveInt('lockTimeoutMs', options.lockTimeoutMs),
    idle_in_transaction_session_timeout: positiveInt('idleInTransactionTimeoutMs', options.idleInTransactionTimeoutMs) ?? 60_000,
    connectionTimeoutMillis: positiveInt('connectionTimeoutMs', options.connectionTimeoutMs) ?? 10_000,
    idleTimeoutMillis: positiveInt('idleTimeoutMs', options.idleTimeoutMs) ?? 30_000,
  });
  // Without a listener, an idle connection's error would crash the process.
  pool.on('error', (error) => options.onPoolError?.(error));
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }), log: options.log });
}
