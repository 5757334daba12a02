import { type NatsConnection } from '@nats-io/nats-core';
import { sql, type Kysely, type Transaction } from 'kysely';
import { createDb, migrateToLatest } from '@totra/db';
import { lineMatcher, readStream, streamState, type StreamOptions } from '@totra/eventlog';
import { EventRegistry } from '@totra/events';
import { applyMessages, type DeadLetter, type RawMessage } from './apply-batch.js';
import { lockCheckpoint, writeCheckpoint } from './checkpoint.js';
import { ProjectionError } from './errors.js';
import { AdvisoryLock, REBUILD_LOCK_CLASS } from './leader-lock.js';
import { type AnyProjection } from './projection.js';
import { migrateRunnerTables } from './runner-tables.js';

/** Options of {@link rebuildProjection}. */
export interface RebuildOptions {
  nc: NatsConnection;
  stream: StreamOptions;
  /** The database of the read models (default schema `public`). */
  db: Kysely<unknown>;
  /** URL of that database (the rebuild opens its own connections with another search path). */
  pgUrl: string;
  projection: AnyProjection;
  registry?: EventRegistry;
  /** Messages per transaction. Default 512. */
  maxBatchMessages?: number;
  /** Called with (stream sequence reached, last sequence) as the rebuild goes. */
  onProgress?: (done: number, total: number) => void;
  /** Called with each dead letter after its batch committed. */
  onDeadLetter?: (dead: DeadLetter) => void;
}

/** What a rebuild did. */
export interface RebuildReport {
  readonly projection: string;
  /** Stream sequence the swapped-in read model is at. */
  readonly streamSeq: number;
  readonly events: number;
  readonly deadLetters: number;
  readonly ms: number;
}

/** Another rebuild of the same projection is running. */
export class RebuildInProgressError extends ProjectionError {
  constructor(projection: string) {
    super('TOTRA_PROJECTION_REBUILD_BUSY', `a rebuild of projection ${projection} is already running`);
  }
}

const ident = (name: string) => sql.id(name);

/** The same database URL, with `schema` first on the search path (then `public`). */
export function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema},public`);
  return u.toString();
}

/** Name of the schema a rebuild of `projection` builds in. */
export const rebuildSchemaOf = (projection: string): string => `${projection}__rebuild`;

/**
 * Rebuilds a projection's read model from the whole stream into a schema of its own
 * (`<name>__rebuild`), then swaps it in, in one transaction: every table of the rebuilt schema
 * replaces its namesake in `public` (`ALTER TABLE .. SET SCHEMA`), the migration bookkeeping
 * included, and the checkpoint moves with it. Readers keep reading the old tables until the
 * commit, then read the new ones: never half a model.
 *
 * The swap first locks the projection's checkpoint row, as every batch of a running projection
 * does first, so a live runner is simply held for the swap: events it applied meanwhile are
 * applied to the new tables inside the swap transaction, and it goes on from there.
 */
export async function rebuildProjection(o: RebuildOptions): Promise<RebuildReport> {
  const started = Date.now();
  const { projection } = o;
  const name = projection.name;
  const registry = o.registry ?? new EventRegistry();
  const wanted = lineMatcher(projection.handles);
  const maxBatch = o.maxBatchMessages ?? 512;
  const schema = rebuildSchemaOf(name);
  const oldSchema = `${name}__old`;
  const lock = await AdvisoryLock.open(o.pgUrl, `totra-rebuild-${name}`);
  let rdb: Kysely<unknown> | undefined;
  try {
    if (!(await lock.tryAcquire(REBUILD_LOCK_CLASS, name))) throw new RebuildInProgressError(name);
    await migrateRunnerTables(o.db);
    await sql`DROP SCHEMA IF EXISTS ${ident(schema)} CASCADE`.execute(o.db);
    await sql`DROP SCHEMA IF EXISTS ${ident(oldSchema)} CASCADE`.execute(o.db);
    await sql`CREATE SCHEMA ${ident(schema)}`.execute(o.db);
    const db = createDb<unknown>(withSearchPath(o.pgUrl, schema), { applicationName: `totra-rebuild-${name}`, maxConnections: 2 });
    rdb = db;
    await migrateToLatest(db, projection.migrations.migrations, { ...projection.migrations.tables, schema });

    let position = 0;
    let events = 0;
    let deadLetters = 0;
    const apply = async (trx: Transaction<never>, batch: RawMessage[]): Promise<DeadLetter[]> => {
      const result = await applyMessages(projection, registry, wanted, batch, trx);
      events += result.events;
      deadLetters += result.dead.length;
      return result.dead;
    };
    const readRange = async (until: number, each: (batch: RawMessage[]) => Promise<void>): Promise<void> => {
      if (until <= position) return;
      let batch: RawMessage[] = [];
      for await (const m of readStream(o.nc, o.stream, { fromStreamSeq: position + 1, untilStreamSeq: until })) {
        batch.push({ seq: m.streamSeq, subject: m.subject, body: m.lines.join('\n'), timeMs: 0 });
        if (batch.length >= maxBatch) {
          await each(batch);
          batch = [];
        }
      }
      if (batch.length) await each(batch);
    };
    const catchUp = async (until: number): Promise<void> => {
      await readRange(until, async (batch) => {
        const dead = await db.transaction().execute((trx) => apply(trx as unknown as Transaction<never>, batch));
        position = batch[batch.length - 1]?.seq ?? position;
        for (const d of dead) o.onDeadLetter?.(d);
        o.onProgress?.(position, until);
      });
      position = Math.max(position, until);
    };
    // Catch up outside the swap transaction until only a little is left.
    for (let round = 0; round < 10; round++) {
      const { lastSeq } = await streamState(o.nc, o.stream);
      if (lastSeq - position <= maxBatch && round > 0) break;
      await catchUp(lastSeq);
    }

    const swapped = await db.transaction().execute(async (t) => {
      const trx = t as unknown as Transaction<never>;
      await sql`INSERT INTO public.projection_checkpoint (projection, version, stream_seq) VALUES (${name}, ${projection.version}, 0) ON CONFLICT (projection) DO NOTHING`.execute(trx);
      const live = (await lockCheckpoint(trx, name))?.streamSeq ?? 0;
      const dead: DeadLetter[] = [];
      // What the live runner applied since: apply it here, so the swap loses nothing.
      await readRange(live, async (batch) => {
        dead.push(...(await apply(trx, batch)));
      });
      const final = Math.max(live, position);
      const { rows } = await sql<{ name: string }>`
        SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ${schema} AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(trx);
      await sql`CREATE SCHEMA ${ident(oldSchema)}`.execute(trx);
      for (const { name: table } of rows) {
        await sql`ALTER TABLE IF EXISTS public.${ident(table)} SET SCHEMA ${ident(oldSchema)}`.execute(trx);
        await sql`ALTER TABLE ${ident(schema)}.${ident(table)} SET SCHEMA public`.execute(trx);
      }
      await sql`DROP SCHEMA ${ident(oldSchema)} CASCADE`.execute(trx);
      await sql`DROP SCHEMA ${ident(schema)} CASCADE`.execute(trx);
      await writeCheckpoint(trx, name, final, projection.version);
      return { final, dead };
    });
    for (const d of swapped.dead) o.onDeadLetter?.(d);
    return { projection: name, streamSeq: swapped.final, events, deadLetters, ms: Date.now() - started };
  } finally {
    await rdb?.destroy();
    await lock.close();
  }
}
