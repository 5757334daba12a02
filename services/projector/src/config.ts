import { z } from 'zod';

const Count = z.coerce.number().int().positive();

export const ProjectorConfig = z.object({
  natsUrl: z.string().min(1).default('nats://127.0.0.1:4222'),
  streamName: z.string().regex(/^[A-Za-z0-9_-]+$/).default('TOTRA'),
  subjectPrefix: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/).default('totra'),
  redisUrl: z.string().regex(/^rediss?:\/\//, 'a redis:// URL').default('redis://127.0.0.1:6379'),
  redisPrefix: z.string().regex(/^[A-Za-z0-9_:.-]*$/).default('totra:'),
  /** Folder of the local spool files of the notary's chain writer. */
  spoolDir: z.string().min(1).default('.totra/spool'),
  /** The notary's signing key (`PRIVATE+KEY+...`); without it no checkpoints are signed. */
  notaryKeyFile: z.string().min(1).optional(),
  /** The log origin in every checkpoint; by default the key's name. */
  notaryOrigin: z.string().regex(/^\S+$/, 'no whitespace').optional(),
  notaryIntervalMs: Count.default(10_000),
  notaryMaxEvents: Count.default(10_000),
  /** While the log has no checkpoint yet, the first comes this long after its first events. */
  notaryFirstCheckpointMs: Count.default(1_000),
  /**
   * Lifetime of the notary lease in Redis: one projector's notary signs the log; if it stops
   * renewing, another projector's takes over after at most this long.
   */
  notaryLeaseMs: Count.default(30_000),
  /** An append-only NDJSON file that receives a copy of every checkpoint. */
  checkpointFile: z.string().min(1).optional(),
  /** Witnesses (`totra witness serve` base URLs) asked to cosign every checkpoint, comma-separated. */
  notaryWitnesses: z
    .string()
    .transform((s) => s.split(',').map((u) => u.trim()).filter((u) => u.length > 0))
    .pipe(z.array(z.url({ protocol: /^https?$/ })))
    .default([]),
  /** Budget alert targets: a JSON list or the path of a file holding one (see alerts/alert-targets.ts). */
  alertWebhooks: z.string().optional(),
  /** How often threshold crossings, the alert outbox and new anomalies are looked at. */
  alertPollMs: Count.default(1000),
  /** Postgres for the reporting read models (cost, audit_index, directory, forecast, anomaly, settings_log, keys_log, quota_log, gdpr_log); without it they are not run. */
  pgUrl: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').optional(),
});
export type ProjectorConfig = z.infer<typeof ProjectorConfig>;

const ENV: Record<keyof ProjectorConfig, string> = {
  natsUrl: 'TOTRA_NATS_URL',
  streamName: 'TOTRA_STREAM',
  subjectPrefix: 'TOTRA_SUBJECT_PREFIX',
  redisUrl: 'TOTRA_REDIS_URL',
  redisPrefix: 'TOTRA_REDIS_PREFIX',
  spoolDir: 'TOTRA_SPOOL_DIR',
  notaryKeyFile: 'TOTRA_NOTARY_KEY_FILE',
  notaryOrigin: 'TOTRA_NOTARY_ORIGIN',
  notaryIntervalMs: 'TOTRA_NOTARY_INTERVAL_MS',
  notaryMaxEvents: 'TOTRA_NOTARY_MAX_EVENTS',
  notaryFirstCheckpointMs: 'TOTRA_NOTARY_FIRST_CHECKPOINT_MS',
  notaryLeaseMs: 'TOTRA_NOTARY_LEASE_MS',
  checkpointFile: 'TOTRA_CHECKPOINT_FILE',
  notaryWitnesses: 'TOTRA_NOTARY_WITNESSES',
  alertWebhooks: 'TOTRA_ALERT_WEBHOOKS',
  alertPollMs: 'TOTRA_ALERT_POLL_MS',
  pgUrl: 'TOTRA_PG_URL',
};

/** Thrown for a bad environment value: says which variable and why. */
export class ProjectorConfigError extends Error {
  readonly code = 'TOTRA_PROJECTOR_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ProjectorConfigError';
  }
}

export function loadProjectorConfig(env: NodeJS.ProcessEnv = process.env): ProjectorConfig {
  const raw: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(ENV)) if (env[name]) raw[key] = env[name];
  const parsed = ProjectorConfig.safeParse(raw);
  if (!parsed.success) {
    throw new ProjectorConfigError(`invalid projector configuration: ${parsed.error.issues.map((i) => `${ENV[String(i.path[0]) as keyof ProjectorConfig]}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
