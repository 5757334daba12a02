import { sql, type Kysely, type Transaction } from 'kysely';
import { defineProjectionMigrations } from '@totra/db';
import { defineProjection, readCheckpoints, type ProjectedEvent, type Projection } from '@totra/projection';
import { readModelExists } from './forecast-anomaly.queries.js';

/**
 * An event-log read model: every event of a few types as stored in the log, in stream order, with
 * the point (its projection's checkpoint) it is complete up to. Whoever folds those types (a
 * gateway starting up, a CLI command deciding) reads it up to that point instead of every message
 * of the stream since its first, and reads the stream only past it: it takes as long as there are
 * such events, not as long as there has been traffic (ADR 0018). The stored envelope is the hashed
 * one, unchanged (sealed fields stay sealed): it is decoded (and upcast) as the stream's line is.
 */
export interface EventLogReadModel {
  /** Projection and table name. */
  readonly name: string;
  /** The event types it holds. */
  readonly types: readonly string[];
  projection(): Projection<unknown>;
  /**
   * Reads the log and the point it is complete up to, together (one snapshot of the database).
   * Undefined when the read model is not there (no projector has created it yet) or belongs to
   * another version of the projection than this code's.
   */
  read(db: Kysely<unknown>): Promise<EventLog | undefined>;
}

/** What an event-log read model holds: every event of its types up to `upTo`, in stream order. */
export interface EventLog {
  /** The stream sequence the log is complete up to (its projection's checkpoint). */
  readonly upTo: number;
  /** The stored envelopes, in stream order. */
  readonly envelopes: readonly unknown[];
  /** Stream sequence of the message that holds the last of them (undefined when there is none). */
  readonly lastStreamSeq: number | undefined;
}

function eventLogReadModel(name: string, types: readonly string[], version: number): EventLogReadModel {
  const migrations = defineProjectionMigrations(name, {
    [`${name}_0001_create_table`]: {
      async up(db) {
        await db.schema
          .createTable(name)
          .addColumn('stream_seq', 'int8', (c) => c.notNull())
          .addColumn('idx', 'integer', (c) => c.notNull())
          .addColumn('envelope', 'jsonb', (c) => c.notNull())
          .addPrimaryKeyConstraint(`${name}_pk`, ['stream_seq', 'idx'])
          .execute();
      },
      async down(db) {
        await db.schema.dropTable(name).execute();
      },
    },
  });
  const table = sql.table(name);
  const insert = async (events: readonly ProjectedEvent[], trx: Transaction<unknown>): Promise<void> => {
    if (events.length === 0) return;
    const values = events.map((e) => sql`(${e.streamSeq}, ${e.index}, ${JSON.stringify(e.event.envelope)}::jsonb)`);
    // A batch applied again after a crash between its rows and its checkpoint finds its rows there.
    await sql`INSERT INTO ${table} (stream_seq, idx, envelope) VALUES ${sql.join(values)} ON CONFLICT DO NOTHING`.execute(trx);
  };
  return {
    name,
    types,
    projection: () =>
      defineProjection<unknown>({
        name,
        version,
        handles: types,
        migrations,
        apply: (event, trx) => insert([event], trx),
        applyBatch: (events, trx) => insert(events, trx),
      }),
    read: (db) =>
      db
        .transaction()
        .setIsolationLevel('repeatable read')
        .execute(async (trx) => {
          if (!(await readModelExists(trx, name)) || !(await readModelExists(trx, 'projection_checkpoint'))) return undefined;
          const checkpoint = (await readCheckpoints(trx)).get(name);
          if (!checkpoint || checkpoint.version !== version) return undefined;
          const upTo = checkpoint.streamSeq;
          const { rows } = await sql<{ stream_seq: string; envelope: unknown }>`SELECT stream_seq, envelope FROM ${table} WHERE stream_seq <= ${upTo} ORDER BY stream_seq, idx`.execute(trx);
          const last = rows.at(-1);
          return { upTo, envelopes: rows.map((r) => r.envelope), lastStreamSeq: last ? Number(last.stream_seq) : undefined };
        }),
  };
}

/**
 * `settings_log`: the event types a gateway folds into its settings when it starts (the model
 * catalog, the PII policies, the teams' settings and the prices set); the CLI's `models`,
 * `pii policy` and `prices` commands fold them too. The gateway checks (in a test) that this is
 * its list. Bump the version to rebuild the read model (2: `PriceSet` added; 3: `PriceRemoved`);
 * a reader uses only one written by its own version.
 */
export const settingsLog = eventLogReadModel(
  'settings_log',
  ['ModelDeploymentConfigured', 'ModelDeploymentRemoved', 'ModelDeploymentStateChanged', 'TeamModelsAllowed', 'PiiPolicySet', 'PiiPolicyRemoved', 'TeamSettingsChanged', 'PriceSet', 'PriceRemoved'],
  3,
);

/** `keys_log`: API keys issued and revoked, which `totra keys` folds to list and decide. */
export const keysLog = eventLogReadModel('keys_log', ['ApiKeyIssued', 'ApiKeyRevoked'], 1);

/**
 * `gdpr_log`: erasure requests, approvals, key shreds, retention holds, overdue alerts, and the API
 * keys of the data subjects (erasure revokes them): the erasure fold of `totra gdpr` (the
 * `ERASURE_EVENT_TYPES` of @totra/crypto; a CLI test checks that the lists agree).
 */
export const gdprLog = eventLogReadModel(
  'gdpr_log',
  ['SubjectErasureRequested', 'SubjectErasureApproved', 'SubjectKeyShredded', 'RetentionHoldPlaced', 'RetentionHoldReleased', 'SubjectErasureOverdue', 'ApiKeyIssued', 'ApiKeyRevoked'],
  1,
);

/** `quota_log`: budgets, rate limits and quota requests, which `totra budgets` and `totra quota` fold. */
export const quotaLog = eventLogReadModel('quota_log', ['BudgetSet', 'BudgetRemoved', 'RateLimitSet', 'QuotaIncreaseRequested', 'QuotaIncreaseApproved', 'QuotaIncreaseRejected'], 1);
