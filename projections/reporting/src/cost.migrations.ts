import { sql } from 'kysely';
import { defineProjectionMigrations } from '@totra/db';

const COUNTERS = ['requests', 'errors', 'rejected', 'blocked_pii', 'blocked_quota', 'tokens_in', 'tokens_out', 'tokens_cached', 'cache_hits', 'micro_usd'] as const;

/**
 * `cost_daily`: one row per day, tenant, team, user, key, model and provider with additive
 * counters (an absent dimension is `''`, e.g. the key of an unauthenticated rejection).
 * `cost_request`: each request's dimensions, so a later `SpendRecorded` (which names only the
 * request) can be attributed; a spend that arrives first waits there with empty dimensions.
 */
export const costMigrations = defineProjectionMigrations('cost', {
  cost_0001_create_tables: {
    async up(db) {
      let daily = db.schema
        .createTable('cost_daily')
        .addColumn('day', 'date', (c) => c.notNull())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('team_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull());
      for (const col of COUNTERS) daily = daily.addColumn(col, 'int8', (c) => c.notNull().defaultTo(0));
      await daily.addPrimaryKeyConstraint('cost_daily_pk', ['day', 'tenant', 'team_id', 'user_id', 'key_id', 'model', 'provider']).execute();
      // Reports filter a period and group by one dimension: (dimension, day) serves "that team over that period".
      for (const dim of ['tenant', 'team_id', 'user_id', 'key_id', 'model', 'provider']) {
        await db.schema.createIndex(`cost_daily_by_${dim}`).on('cost_daily').columns([dim, 'day']).execute();
      }
      await db.schema
        .createTable('cost_request')
        .addColumn('request_id', 'text', (c) => c.primaryKey())
        .addColumn('day', 'date')
        .addColumn('tenant', 'text')
        .addColumn('team_id', 'text')
        .addColumn('user_id', 'text')
        .addColumn('key_id', 'text')
        .addColumn('model', 'text')
        .addColumn('provider', 'text')
        .addColumn('micro_usd', 'int8', (c) => c.notNull().defaultTo(0))
        .execute();
      await sql`COMMENT ON TABLE cost_daily IS 'ToTra cost read model: additive counters per day and dimension'`.execute(db);
    },
    async down(db) {
      await db.schema.dropTable('cost_request').execute();
      await db.schema.dropTable('cost_daily').execute();
    },
  },
});

export { COUNTERS as COST_COUNTERS };
