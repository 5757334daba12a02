import { sql, type Transaction } from 'kysely';
import { defineProjection, type ProjectedEvent, type Projection } from '@totra/projection';
import { costMigrations, COST_COUNTERS } from './cost.migrations.js';
import { chunks, dayOf, toInt, tuple } from './rows.js';

type Counter = (typeof COST_COUNTERS)[number];
type Counters = Record<Counter, number>;

interface Dims {
  day: string;
  tenant: string;
  team_id: string;
  user_id: string;
  key_id: string;
  model: string;
  provider: string;
}

const DIMS = ['day', 'tenant', 'team_id', 'user_id', 'key_id', 'model', 'provider'] as const;

const zero = (): Counters => ({ requests: 0, errors: 0, rejected: 0, blocked_pii: 0, blocked_quota: 0, tokens_in: 0, tokens_out: 0, tokens_cached: 0, cache_hits: 0, micro_usd: 0 });

/** Event types the cost projection reads (`SpendRecorded` too, once the registry knows it). */
export const COST_EVENT_TYPES = ['RequestCompleted', 'RequestFailed', 'RequestRejected', 'SpendRecorded'] as const;

interface Tokens {
  input?: unknown;
  output?: unknown;
  cachedInput?: unknown;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

class Deltas {
  readonly rows = new Map<string, { dims: Dims; c: Counters }>();
  add(dims: Dims, c: Partial<Counters>): void {
    const key = DIMS.map((d) => dims[d]).join('\u0000');
    let row = this.rows.get(key);
    if (!row) this.rows.set(key, (row = { dims, c: zero() }));
    for (const [k, v] of Object.entries(c) as [Counter, number][]) row.c[k] += v;
  }
}

async function upsertDaily(trx: Transaction<unknown>, deltas: Deltas): Promise<void> {
  const cols = [...DIMS, ...COST_COUNTERS];
  for (const part of chunks([...deltas.rows.values()])) {
    const values = part.map(({ dims, c }) => tuple([...DIMS.map((d) => dims[d]), ...COST_COUNTERS.map((k) => c[k])]));
    await sql`
      INSERT INTO cost_daily (${sql.join(cols.map((c) => sql.id(c)))}) VALUES ${sql.join(values)}
      ON CONFLICT (day, tenant, team_id, user_id, key_id, model, provider) DO UPDATE SET
      ${sql.join(COST_COUNTERS.map((k) => sql`${sql.id(k)} = cost_daily.${sql.id(k)} + excluded.${sql.id(k)}`))}`.execute(trx);
  }
}

/**
 * Folds request events into `cost_daily`, a batch at a time: the batch is summed per row in
 * memory and written with one upsert per 2000 rows, so the projection keeps up with thousands of
 * requests per second. Requests, errors (`RequestFailed`), rejections (with `pii_blocked` and
 * `quota_exceeded` counted apart), tokens, cache hits (requests with cached input tokens), and
 * micro-USD from `SpendRecorded` `{ requestId, microUsd }` events.
 */
async function applyCost(events: readonly ProjectedEvent[], trx: Transaction<unknown>): Promise<void> {
  const deltas = new Deltas();
  const requests = new Map<string, Dims>();
  const spends = new Map<string, number>();
  for (const { event } of events) {
    const d = event.data;
    const base = { day: dayOf(event.envelope.time), tenant: event.envelope.tenant };
    switch (event.type) {
      case 'RequestCompleted':
      case 'RequestFailed': {
        const dims: Dims = { ...base, team_id: str(d['teamId']), user_id: str(d['userId']), key_id: str(d['keyId']), model: str(d['modelRequested']), provider: str(d['provider']) };
        const t = (d['tokens'] ?? {}) as Tokens;
        const cached = toInt(t.cachedInput);
        deltas.add(dims, {
          requests: 1,
          errors: event.type === 'RequestFailed' ? 1 : 0,
          tokens_in: toInt(t.input),
          tokens_out: toInt(t.output),
          tokens_cached: cached,
          cache_hits: cached > 0 ? 1 : 0,
        });
        // The first event of a request id fixes its dimensions (as one event at a time would).
        if (!requests.has(str(d['requestId']))) requests.set(str(d['requestId']), dims);
        break;
      }
      case 'RequestRejected': {
        const dims: Dims = { ...base, team_id: str(d['teamId']), user_id: str(d['userId']), key_id: str(d['keyId']), model: str(d['modelRequested']), provider: '' };
        deltas.add(dims, { rejected: 1, blocked_pii: d['reason'] === 'pii_blocked' ? 1 : 0, blocked_quota: d['reason'] === 'quota_exceeded' ? 1 : 0 });
        break;
      }
      case 'SpendRecorded': {
        const id = str(d['requestId']);
        spends.set(id, (spends.get(id) ?? 0) + toInt(d['microUsd']));
        break;
      }
    }
  }
  // Requests first: a spend recorded before its request was seen waits in cost_request and is
  // added now. A spend whose request is in the same batch (the usual case: the gateway appends
  // both together) goes in with the request, so it costs no second pass over cost_request and
  // cost_daily; if the request turns out to be known already, it takes the path of later spends.
  for (const part of chunks([...requests.entries()])) {
    const values = part.map(([id, x]) => tuple([id, x.day, x.tenant, x.team_id, x.user_id, x.key_id, x.model, x.provider, spends.get(id) ?? 0]));
    const { rows } = await sql<{ request_id: string; micro_usd: string }>`
      INSERT INTO cost_request AS r (request_id, day, tenant, team_id, user_id, key_id, model, provider, micro_usd) VALUES ${sql.join(values)}
      ON CONFLICT (request_id) DO UPDATE SET day = excluded.day, tenant = excluded.tenant, team_id = excluded.team_id,
        user_id = excluded.user_id, key_id = excluded.key_id, model = excluded.model, provider = excluded.provider,
        micro_usd = r.micro_usd + excluded.micro_usd
      WHERE r.day IS NULL
      RETURNING r.request_id, r.micro_usd`.execute(trx);
    for (const row of rows) {
      // Waiting spend plus the spend of this batch: counted now, under the request's dimensions.
      const total = Number(row.micro_usd);
      const dims = requests.get(row.request_id);
      spends.delete(row.request_id);
      if (total !== 0 && dims) deltas.add(dims, { micro_usd: total });
    }
  }
  await upsertDaily(trx, deltas);
  if (spends.size) {
    for (const part of chunks([...spends.entries()])) {
      const values = part.map(([id, micro]) => tuple([id, micro]));
      await sql`
        WITH s(request_id, micro) AS (VALUES ${sql.join(values)}),
        known AS (
          UPDATE cost_request r SET micro_usd = r.micro_usd + s.micro::int8 FROM s
          WHERE r.request_id = s.request_id RETURNING r.*, s.micro::int8 AS micro
        ),
        waiting AS (
          INSERT INTO cost_request (request_id, micro_usd)
          SELECT s.request_id, s.micro::int8 FROM s WHERE NOT EXISTS (SELECT 1 FROM cost_request r WHERE r.request_id = s.request_id)
        )
        INSERT INTO cost_daily (day, tenant, team_id, user_id, key_id, model, provider, micro_usd)
        SELECT day, tenant, team_id, user_id, key_id, model, provider, sum(micro) FROM known WHERE day IS NOT NULL
        GROUP BY day, tenant, team_id, user_id, key_id, model, provider
        ON CONFLICT (day, tenant, team_id, user_id, key_id, model, provider) DO UPDATE SET micro_usd = cost_daily.micro_usd + excluded.micro_usd`.execute(trx);
    }
  }
}

/** The `cost` projection. Pass the registry's types so `SpendRecorded` is read only where it exists. */
export function costProjection(knownTypes?: (type: string) => boolean): Projection<unknown> {
  return defineProjection<unknown>({
    name: 'cost',
    version: 1,
    handles: COST_EVENT_TYPES.filter((t) => knownTypes?.(t) ?? t !== 'SpendRecorded'),
    migrations: costMigrations,
    apply: (event, trx) => applyCost([event], trx),
    applyBatch: applyCost,
  });
}
