import { sql, type Transaction } from 'kysely';
import { defineProjectionMigrations } from '@totra/db';
import { defineProjection, type ProjectedEvent, type Projection } from '@totra/projection';

/**
 * `directory_*`: tenants, teams, users and keys (pseudonymous ids; never a key, a key hash or a
 * credential), the model catalog and the PII policies, as the admin side changed them. An erased
 * user (`SubjectKeyShredded`, reason erasure) is marked `erased_at`, and its keys' admin labels
 * and networks are cleared.
 */
export const directoryMigrations = defineProjectionMigrations('directory', {
  directory_0001_create_tables: {
    async up(db) {
      await db.schema.createTable('directory_tenants').addColumn('tenant', 'text', (c) => c.primaryKey()).addColumn('first_seen', 'timestamptz', (c) => c.notNull()).execute();
      await db.schema
        .createTable('directory_teams')
        .addColumn('team_id', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('allowed_models', 'jsonb')
        .addColumn('cidrs', 'jsonb')
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('directory_users')
        .addColumn('user_id', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('team_id', 'text', (c) => c.notNull())
        .addColumn('first_seen', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('directory_keys')
        .addColumn('key_id', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('team_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text')
        .addColumn('cidrs', 'jsonb')
        .addColumn('expires_at', 'timestamptz')
        .addColumn('issued_at', 'timestamptz', (c) => c.notNull())
        .addColumn('revoked_at', 'timestamptz')
        .addColumn('revoke_reason', 'text')
        .execute();
      await db.schema.createIndex('directory_keys_by_team').on('directory_keys').columns(['team_id', 'user_id']).execute();
      await db.schema
        .createTable('directory_models')
        .addColumn('deployment_id', 'text', (c) => c.primaryKey())
        .addColumn('alias', 'text', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('enabled', 'boolean', (c) => c.notNull())
        .addColumn('priority', 'integer', (c) => c.notNull())
        .addColumn('weight', 'integer', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addColumn('removed_at', 'timestamptz')
        .execute();
      await db.schema.createIndex('directory_models_by_alias').on('directory_models').column('alias').execute();
      await db.schema
        .createTable('directory_pii_policies')
        .addColumn('policy_id', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('scope', 'jsonb', (c) => c.notNull())
        .addColumn('rules', 'jsonb', (c) => c.notNull())
        .addColumn('scan_output', 'boolean')
        .addColumn('min_confidence', 'float8')
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addColumn('removed_at', 'timestamptz')
        .execute();
    },
    async down(db) {
      for (const t of ['directory_pii_policies', 'directory_models', 'directory_keys', 'directory_users', 'directory_teams', 'directory_tenants']) {
        await db.schema.dropTable(t).execute();
      }
    },
  },
  directory_0002_erasure: {
    async up(db) {
      await db.schema.alterTable('directory_users').addColumn('erased_at', 'timestamptz').execute();
    },
    async down(db) {
      await db.schema.alterTable('directory_users').dropColumn('erased_at').execute();
    },
  },
});

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));

async function applyDirectory({ event }: ProjectedEvent, trx: Transaction<unknown>): Promise<void> {
  const d = event.data;
  const { tenant, time } = event.envelope;
  await sql`INSERT INTO directory_tenants (tenant, first_seen) VALUES (${tenant}, ${time}) ON CONFLICT DO NOTHING`.execute(trx);
  const team = async (teamId: unknown) =>
    sql`INSERT INTO directory_teams (team_id, tenant, updated_at) VALUES (${teamId}, ${tenant}, ${time}) ON CONFLICT DO NOTHING`.execute(trx);
  switch (event.type) {
    case 'ApiKeyIssued':
      await team(d['teamId']);
      await sql`INSERT INTO directory_users (user_id, tenant, team_id, first_seen) VALUES (${d['userId']}, ${tenant}, ${d['teamId']}, ${time}) ON CONFLICT DO NOTHING`.execute(trx);
      await sql`
        INSERT INTO directory_keys (key_id, tenant, prefix, user_id, team_id, name, cidrs, expires_at, issued_at)
        VALUES (${d['keyId']}, ${tenant}, ${d['prefix']}, ${d['userId']}, ${d['teamId']}, ${d['name'] ?? null}, ${json(d['cidrs'])}, ${d['expiresAt'] ?? null}, ${time})
        ON CONFLICT (key_id) DO NOTHING`.execute(trx);
      break;
    case 'ApiKeyRevoked':
      await sql`UPDATE directory_keys SET revoked_at = ${time}, revoke_reason = ${d['reason'] ?? null} WHERE key_id = ${d['keyId']} AND revoked_at IS NULL`.execute(trx);
      break;
    case 'TeamModelsAllowed':
      await team(d['teamId']);
      await sql`UPDATE directory_teams SET allowed_models = ${json(d['aliases'])}, updated_at = ${time} WHERE team_id = ${d['teamId']}`.execute(trx);
      break;
    case 'TeamNetworkPolicySet':
      await team(d['teamId']);
      await sql`UPDATE directory_teams SET cidrs = ${json(d['cidrs'])}, updated_at = ${time} WHERE team_id = ${d['teamId']}`.execute(trx);
      break;
    case 'ModelDeploymentConfigured':
      await sql`
        INSERT INTO directory_models (deployment_id, alias, provider, model, kind, enabled, priority, weight, source, updated_at)
        VALUES (${d['deploymentId']}, ${d['alias']}, ${d['provider']}, ${d['model']}, ${d['kind']}, ${d['enabled']}, ${d['priority']}, ${d['weight']}, ${d['source']}, ${time})
        ON CONFLICT (deployment_id) DO UPDATE SET alias = excluded.alias, provider = excluded.provider, model = excluded.model, kind = excluded.kind,
          enabled = excluded.enabled, priority = excluded.priority, weight = excluded.weight, source = excluded.source, updated_at = excluded.updated_at, removed_at = NULL`.execute(trx);
      break;
    case 'ModelDeploymentStateChanged':
      await sql`UPDATE directory_models SET enabled = ${d['enabled']}, updated_at = ${time} WHERE deployment_id = ${d['deploymentId']}`.execute(trx);
      break;
    case 'ModelDeploymentRemoved':
      await sql`UPDATE directory_models SET removed_at = ${time}, enabled = false WHERE deployment_id = ${d['deploymentId']}`.execute(trx);
      break;
    case 'PiiPolicySet':
      await sql`
        INSERT INTO directory_pii_policies (policy_id, tenant, scope, rules, scan_output, min_confidence, updated_at)
        VALUES (${d['policyId']}, ${tenant}, ${json(d['scope'])}, ${json(d['rules'])}, ${d['scanOutput'] ?? null}, ${d['minConfidence'] ?? null}, ${time})
        ON CONFLICT (policy_id) DO UPDATE SET scope = excluded.scope, rules = excluded.rules, scan_output = excluded.scan_output,
          min_confidence = excluded.min_confidence, updated_at = excluded.updated_at, removed_at = NULL`.execute(trx);
      break;
    case 'PiiPolicyRemoved':
      await sql`UPDATE directory_pii_policies SET removed_at = ${time} WHERE policy_id = ${d['policyId']}`.execute(trx);
      break;
    case 'SubjectKeyShredded': {
      // Erasure: the user stays as a pseudonymous id (accounting), marked erased; the free text
      // and networks admins attached to the user's keys may describe the person: gone.
      const subject = event.envelope.subject;
      if (d['reason'] !== 'erasure' || !subject) break;
      await sql`UPDATE directory_users SET erased_at = COALESCE(erased_at, ${time}) WHERE user_id = ${subject}`.execute(trx);
      await sql`UPDATE directory_keys SET name = NULL, cidrs = NULL WHERE user_id = ${subject}`.execute(trx);
      break;
    }
  }
}

/** The `directory` projection. */
export function directoryProjection(): Projection<unknown> {
  return defineProjection<unknown>({
    name: 'directory',
    // 2: erasure (SubjectKeyShredded) marks the user erased and clears its keys' labels and networks.
    version: 2,
    handles: ['ApiKeyIssued', 'ApiKeyRevoked', 'TeamModelsAllowed', 'TeamNetworkPolicySet', 'ModelDeploymentConfigured', 'ModelDeploymentStateChanged', 'ModelDeploymentRemoved', 'PiiPolicySet', 'PiiPolicyRemoved', 'SubjectKeyShredded'],
    migrations: directoryMigrations,
    apply: applyDirectory,
  });
}
