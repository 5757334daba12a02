import type { EngineKind } from '@totra/engines';

/** Client URLs of the three servers every test can use. */
export interface EngineUrls {
  /** `nats://host:port`, JetStream enabled. */
  readonly natsUrl: string;
  /** `postgres://postgres@host:port/postgres`, a superuser URL on the server's admin database. */
  readonly pgUrl: string;
  /** `redis://host:port`. */
  readonly redisUrl: string;
}

/** Where a server came from. */
export type EngineSource = 'env' | 'binary' | 'container';

export const engineKinds: readonly EngineKind[] = ['nats', 'postgres', 'redis'];

/** The environment variable that points tests at an existing server. */
export const urlEnvVar: Readonly<Record<EngineKind, string>> = {
  nats: 'TOTRA_NATS_URL',
  postgres: 'TOTRA_PG_URL',
  redis: 'TOTRA_REDIS_URL',
};

export const urlKey: Readonly<Record<EngineKind, keyof EngineUrls>> = {
  nats: 'natsUrl',
  postgres: 'pgUrl',
  redis: 'redisUrl',
};

/** The URL given through the environment for `kind`, if any. */
export function urlFromEnv(kind: EngineKind): string | undefined {
  const value = process.env[urlEnvVar[kind]]?.trim();
  return value === undefined || value === '' ? undefined : value;
}
