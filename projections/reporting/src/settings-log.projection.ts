import { sql, type Kysely, type Transaction } from 'kysely';
import { defineProjectionMigrations } from '@totra/db';
import { defineProjection, readCheckpoints, type ProjectedEvent, type Projection } from '@totra/projection';
import { readModelExists } from './forecast-anomaly.queries.js';

/**
 * The event types a gateway folds into its settings when it starts: the model catalog, the PII
 * policies and the teams' settings. The gateway checks (in a test) that this is its list.
 */
export const SETTINGS_EVENT_TYPES: readonly string[] = [
  'ModelDeploymentConfigured',
  'ModelDeploymentRemoved',
  'ModelDeploymentStateChanged',
  'TeamModelsAllowed',
  'PiiPolicySet',
  'PiiPolicyRemoved',
  'TeamSettingsChanged',
];

/**
 * `settings_log`: every settings event (catalog, PII policies, team settings) as stored in the
 * log, in stream order. A gateway starting up reads it, up to the projection's checkpoint, instead
 * of every message of the stream since its first, and reads the stream only past that point: its
 * start takes as long as there are settings changes, not as long as there has been traffic
 * (ADR 0018). The stored envelope is the hashed one, unchanged: the gateway decodes (and upcasts)
 * it as it would the stream's line.
 */
export const settingsLogMigrations = defineProjectionMigrations('settings_log', {
  settings_log_0001_create_table: {
    async up(db) {
      await db.schema
        .createTable('settings_log')
        .addColumn('stream_seq', 'int8', (c) => c.notNull())
        .addColumn('idx', 'integer', (c) => c.notNull())
        .addColumn('envelope', 'jsonb', (c) => c.notNull())
        .addPrimaryKeyConstraint('settings_log_pk', ['stream_seq', 'idx'])
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('settings_log').execute();
    },
  },
});

const NAME = 'settings_log';
/** Bump to rebuild the read model; a gateway reads only one written by its own version. */
const VERSION = 1;

async function insert(events: readonly ProjectedEvent[], trx: Transaction<unknown>): Promise<void> {
  if (events.length === 0) return;
  const values = events.map((e) => sql`(${e.streamSeq}, ${e.index}, ${JSON.stringify(e.event.envelope)}::jsonb)`);
  // A batch applied again after a crash between its rows and its checkpoint finds its rows there.
  await sql`INSERT INTO settings_log (stream_seq, idx, envelope) VALUES ${sql.join(values)} ON CONFLICT DO NOTHING`.execute(trx);
}

export function settingsLogProjection(): Projection<unknown> {
  return defineProjection<unknown>({
    name: NAME,
    version: VERSION,
    handles: SETTINGS_EVENT_TYPES,
    migrations: settingsLogMigrations,
    apply: (event, trx) => insert([event], trx),
    applyBatch: (events, trx) => insert(events, trx),
  });
}

/** What the settings log holds: every settings event of the stream up to `upTo`, in stream order. */
export interface SettingsLog {
  /** The stream sequence the log is complete up to (its projection's checkpoint). */
  readonly upTo: number;
  /** The stored envelopes, in stream order. */
  readonly envelopes: readonly unknown[];
  /** Stream sequence of the message that holds the last of them (undefined when there is none). */
  readonly lastStreamSeq: number | undefined;
}

/**
 * Reads the settings log and the point it is complete up to, together (one snapshot of the
 * database). Undefined when the read model is not there (no projector has created it yet) or
 * belongs to another version of the projection than this code's.
 */
export async function readSettingsLog(db: Kysely<unknown>): Promise<SettingsLog | undefined> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      if (!(await readModelExists(trx, 'settings_log')) || !(await readModelExists(trx, 'projection_checkpoint'))) return undefined;
      const checkpoint = (await readCheckpoints(trx)).get(NAME);
      if (!checkpoint || checkpoint.version !== VERSION) return undefined;
      const upTo = checkpoint.streamSeq;
      const { rows } = await sql<{ stream_seq: string; envelope: unknown }>`SELECT stream_seq, envelope FROM settings_log WHERE stream_seq <= ${upTo} ORDER BY stream_seq, idx`.execute(trx);
      const last = rows.at(-1);
      return { upTo, envelopes: rows.map((r) => r.envelope), lastStreamSeq: last ? Number(last.stream_seq) : undefined };
    });
}
