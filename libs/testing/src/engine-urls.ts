import type { EngineKind } from '@totra/engines';
import { type EngineUrls, urlFromEnv } from './engine-kinds.js';
import { EnginesUnavailableError } from './errors.js';
import { provisionEngines } from './provision.js';
import { providedKey } from './vitest-context.js';

/** What the vitest global setup provided, or nothing outside a vitest worker / without the setup. */
async function injected(kind: EngineKind): Promise<string | undefined> {
  try {
    const { inject } = await import('vitest');
    const urls: Readonly<Partial<Record<EngineKind, string>>> | undefined = inject(providedKey);
    return urls?.[kind];
  } catch {
    return undefined;
  }
}

// Last resort when no global setup ran (a script, another vitest config): start the server in
// this process, once, without holding the event loop open. When the process runs out of work,
// the servers are stopped and their temp dirs removed; on process.exit() the engines' exit hook
// still signals them.
const local = new Map<EngineKind, Promise<string>>();
const localStops: (() => Promise<void>)[] = [];
let cleanupInstalled = false;

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.once('beforeExit', () => {
    void Promise.allSettled(localStops.splice(0).map((stop) => stop()));
  });
}

function startLocally(kind: EngineKind): Promise<string> {
  let url = local.get(kind);
  if (url === undefined) {
    installCleanup();
    url = provisionEngines({ kinds: [kind], keepAlive: false }).then((engines) => {
      localStops.push(() => engines.stop());
      const started = engines.urls[kind];
      if (started === undefined) throw new EnginesUnavailableError([kind], `no ${kind} server after provisioning`);
      return started;
    });
    url.catch(() => local.delete(kind));
    local.set(kind, url);
  }
  return url;
}

/**
 * The URL of a server of `kind` for this test: `TOTRA_*_URL` from the environment, else what the
 * vitest global setup started for this run, else a server started now in this process.
 */
export async function engineUrl(kind: EngineKind): Promise<string> {
  return urlFromEnv(kind) ?? (await injected(kind)) ?? (await startLocally(kind));
}

/** NATS (JetStream) URL for tests. Isolate with {@link uniqueStreamName} / {@link uniquePrefix}. */
export function natsUrl(): Promise<string> {
  return engineUrl('nats');
}

/**
 * Superuser URL of the test Postgres server (its `postgres` database). Tests should not create
 * tables there: use {@link createTestDatabase}.
 */
export function pgUrl(): Promise<string> {
  return engineUrl('postgres');
}

/** Redis URL for tests. Isolate keys with {@link redisKeyPrefix}. */
export function redisUrl(): Promise<string> {
  return engineUrl('redis');
}

/** All three URLs at once. */
export async function getEngines(): Promise<EngineUrls> {
  const [nats, pg, redis] = await Promise.all([natsUrl(), pgUrl(), redisUrl()]);
  return { natsUrl: nats, pgUrl: pg, redisUrl: redis };
}
