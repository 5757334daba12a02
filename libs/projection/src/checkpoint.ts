import { sql, type Kysely, type Transaction } from 'kysely';

/** A projection's row of `projection_checkpoint`. */
export interface Checkpoint {
  readonly projection: string;
  readonly version: number;
  readonly streamSeq: number;
  readonly updatedAt: Date;
}

interface Row {
  projection: string;
  version: number;
  stream_seq: string;
  updated_at: Date;
}

const toCheckpoint = (r: Row): Checkpoint => ({ projection: r.projection, version: r.version, streamSeq: Number(r.stream_seq), updatedAt: r.updated_at });

/** Every checkpoint, by projection name. */
export async function readCheckpoints(db: Kysely<unknown> | Transaction<never>): Promise<Map<string, Checkpoint>> {
  const { rows } = await sql<Row>`SELECT projection, version, stream_seq, updated_at FROM projection_checkpoint`.execute(db);
  return new Map(rows.map((r) => [r.projection, toCheckpoint(r)]));
}

/** The checkpoint of one projection, creating it at 0 for `version` when there is none. */
export async function ensureCheckpoint(db: Kysely<unknown>, projection: string, version: number): Promise<Checkpoint> {
  await sql`INSERT INTO projection_checkpoint (projection, version, stream_seq) VALUES (${projection}, ${version}, 0) ON CONFLICT (projection) DO NOTHING`.execute(db);
  const { rows } = await sql<Row>`SELECT projection, version, stream_seq, updated_at FROM projection_checkpoint WHERE projection = ${projection}`.execute(db);
  const row = rows[0];
  if (!row) throw new Error(`checkpoint of ${projection} vanished`);
  return toCheckpoint(row);
}

/**
 * Locks the checkpoint row for the rest of the transaction and returns its sequence. Taking this
 * lock first, before touching any read-model table, is what orders a batch against a rebuild's
 * swap (which takes it first too): no deadlock, and the later one sees the other's result.
 */
export async function lockCheckpoint(trx: Transaction<never>, projection: string): Promise<{ streamSeq: number; version: number } | undefined> {
  const { rows } = await sql<Pick<Row, 'stream_seq' | 'version'>>`
    SELECT stream_seq, version FROM projection_checkpoint WHERE projection = ${projection} FOR UPDATE`.execute(trx);
  const row = rows[0];
  return row && { streamSeq: Number(row.stream_seq), version: row.version };
}

/** Moves the checkpoint, in the caller's transaction. */
export async function writeCheckpoint(trx: Transaction<never>, projection: string, streamSeq: number, version?: number): Promise<void> {
  await sql`
    UPDATE projection_checkpoint SET stream_seq = ${streamSeq}, updated_at = now()
      ${version === undefined ? sql`` : sql`, version = ${version}`}
    WHERE projection = ${projection}`.execute(trx);
}
