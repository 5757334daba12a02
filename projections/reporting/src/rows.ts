import { sql, type RawBuilder } from 'kysely';

/** Postgres caps a statement at 65535 parameters: insert in chunks well below it. */
export const CHUNK_ROWS = 2000;

/** Splits rows into chunks of {@link CHUNK_ROWS}. */
export function chunks<T>(rows: readonly T[], size = CHUNK_ROWS): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** `(a, b, c)` of parameters. */
export function tuple(values: readonly unknown[]): RawBuilder<unknown> {
  return sql`(${sql.join(values)})`;
}

/** The UTC day (`YYYY-MM-DD`) of an RFC 3339 time. */
export const dayOf = (time: string): string => time.slice(0, 10);

/** Reads an integer that may come as a number or a decimal string (int8 from pg, micro-USD in events). */
export function toInt(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return 0;
}
