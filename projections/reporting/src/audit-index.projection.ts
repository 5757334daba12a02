import { sql, type Transaction } from 'kysely';
import { defineProjectionMigrations } from '@totra/db';
import { defineProjection, type ProjectedEvent, type Projection } from '@totra/projection';
import { chunks, toInt, tuple } from './rows.js';

/**
 * `audit_index`: one row per request, searchable by time, key, user, team, model, status, PII
 * type and the provider's own id of the request. Metadata only: pseudonymous ids, counts and types, never prompt text or PII values. A PII
 * event may come before its request's outcome, so every column but the id is filled as it comes.
 */
export const auditIndexMigrations = defineProjectionMigrations('audit_index', {
  audit_index_0001_create_table: {
    async up(db) {
      await db.schema
        .createTable('audit_index')
        .addColumn('request_id', 'text', (c) => c.primaryKey())
        .addColumn('time', 'timestamptz')
        .addColumn('tenant', 'text')
        .addColumn('chain', 'text')
        .addColumn('seq', 'int8')
        .addColumn('key_id', 'text')
        .addColumn('user_id', 'text')
        .addColumn('team_id', 'text')
        .addColumn('model', 'text')
        .addColumn('provider', 'text')
        .addColumn('outcome', 'text')
        .addColumn('status', 'integer')
        .addColumn('reason', 'text')
        .addColumn('tokens_in', 'int8')
        .addColumn('tokens_out', 'int8')
        .addColumn('micro_usd', 'int8', (c) => c.notNull().defaultTo(0))
        .addColumn('pii_types', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
        .execute();
      for (const col of ['tenant', 'key_id', 'user_id', 'team_id', 'model']) {
        await db.schema.createIndex(`audit_index_by_${col}`).on('audit_index').columns([col, 'time']).execute();
      }
      await db.schema.createIndex('audit_index_by_time').on('audit_index').column('time').execute();
      await sql`CREATE INDEX audit_index_by_pii_type ON audit_index USING gin (pii_types)`.execute(db);
    },
    async down(db) {
      await db.schema.dropTable('audit_index').execute();
    },
  },
  // The provider's own id of the request (events since it was recorded; earlier rows have none).
  audit_index_0002_upstream_request_id: {
    async up(db) {
      await db.schema.alterTable('audit_index').addColumn('upstream_request_id', 'text').execute();
      await sql`CREATE INDEX audit_index_by_upstream_request_id ON audit_index (upstream_request_id) WHERE upstream_request_id IS NOT NULL`.execute(db);
    },
    async down(db) {
      await db.schema.alterTable('audit_index').dropColumn('upstream_request_id').execute();
    },
  },
});

interface Row {
  request_id: string;
  time: string | null;
  tenant: string | null;
  chain: string | null;
  seq: number | null;
  key_id: string | null;
  user_id: string | null;
  team_id: string | null;
  model: string | null;
  provider: string | null;
  outcome: string | null;
  status: number | null;
  reason: string | null;
  tokens_in: number | null;
  tokens_out: number | null;
  micro_usd: number;
  pii_types: string[];
  upstream_request_id: string | null;
}

const COLS = ['request_id', 'time', 'tenant', 'chain', 'seq', 'key_id', 'user_id', 'team_id', 'model', 'provider', 'outcome', 'status', 'reason', 'tokens_in', 'tokens_out', 'micro_usd', 'pii_types', 'upstream_request_id'] as const;
const OUTCOME: Record<string, string> = { RequestCompleted: 'completed', RequestFailed: 'failed', RequestRejected: 'rejected' };
const nstr = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function emptyRow(id: string): Row {
  return { request_id: id, time: null, tenant: null, chain: null, seq: null, key_id: null, user_id: null, team_id: null, model: null, provider: null, outcome: null, status: null, reason: null, tokens_in: null, tokens_out: null, micro_usd: 0, pii_types: [], upstream_request_id: null };
}

async function applyAudit(events: readonly ProjectedEvent[], trx: Transaction<unknown>): Promise<void> {
  const rows = new Map<string, Row>();
  for (const { event } of events) {
    const d = event.data;
    const id = nstr(d['requestId']);
    if (id === null) continue;
    let row = rows.get(id);
    if (!row) rows.set(id, (row = emptyRow(id)));
    const outcome = OUTCOME[event.type];
    if (outcome) {
      const tokens = (d['tokens'] ?? null) as { input?: unknown; output?: unknown } | null;
      Object.assign(row, {
        time: event.envelope.time,
        tenant: event.envelope.tenant,
        chain: event.envelope.chain,
        seq: event.envelope.seq,
        key_id: nstr(d['keyId']),
        user_id: nstr(d['userId']),
        team_id: nstr(d['teamId']),
        model: nstr(d['modelRequested']),
        provider: nstr(d['provider']),
        outcome,
        status: typeof d['status'] === 'number' ? d['status'] : null,
        reason: nstr(d['reason']) ?? nstr(d['errorCode']),
        tokens_in: tokens ? toInt(tokens.input) : null,
        tokens_out: tokens ? toInt(tokens.output) : null,
        upstream_request_id: nstr(d['upstreamRequestId']),
      });
    } else if (event.type === 'PiiRedacted' || event.type === 'PiiBlocked') {
      const types = Array.isArray(d['types']) ? (d['types'] as { type?: unknown }[]).map((t) => nstr(t.type)).filter((t): t is string => t !== null) : [];
      row.pii_types = [...new Set([...row.pii_types, ...types])].sort();
    } else if (event.type === 'SpendRecorded') {
      row.micro_usd += toInt(d['microUsd']);
    }
  }
  for (const part of chunks([...rows.values()])) {
    const values = part.map((r) => tuple(COLS.map((c) => (c === 'pii_types' ? sql`${r.pii_types}::text[]` : r[c]))));
    const keep = COLS.filter((c) => c !== 'request_id' && c !== 'micro_usd' && c !== 'pii_types');
    await sql`
      INSERT INTO audit_index AS a (${sql.join(COLS.map((c) => sql.id(c)))}) VALUES ${sql.join(values)}
      ON CONFLICT (request_id) DO UPDATE SET
      ${sql.join(keep.map((c) => sql`${sql.id(c)} = COALESCE(excluded.${sql.id(c)}, a.${sql.id(c)})`))},
      micro_usd = a.micro_usd + excluded.micro_usd,
      pii_types = ARRAY(SELECT DISTINCT t FROM unnest(a.pii_types || excluded.pii_types) AS t ORDER BY t)`.execute(trx);
  }
}

/** The `audit_index` projection. */
export function auditIndexProjection(knownTypes?: (type: string) => boolean): Projection<unknown> {
  const types = ['RequestCompleted', 'RequestFailed', 'RequestRejected', 'PiiRedacted', 'PiiBlocked', 'SpendRecorded'];
  return defineProjection<unknown>({
    name: 'audit_index',
    version: 1,
    handles: types.filter((t) => knownTypes?.(t) ?? t !== 'SpendRecorded'),
    migrations: auditIndexMigrations,
    apply: (event, trx) => applyAudit([event], trx),
    applyBatch: applyAudit,
  });
}
