import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EngineKind, startNats, startPostgres, startRedis, tryFindBinary } from '@totra/engines';
import { isDockerAvailable, startContainerEngine } from './containers.js';
import { type EngineSource, urlEnvVar, urlFromEnv } from './engine-kinds.js';
import { EnginesUnavailableError } from './errors.js';

/** Servers obtained for a test run. */
export interface ProvisionedEngines {
  readonly urls: Readonly<Partial<Record<EngineKind, string>>>;
  readonly sources: Readonly<Partial<Record<EngineKind, EngineSource>>>;
  /** Stops what was started (given URLs are left alone) and removes temp data. */
  stop(): Promise<void>;
}

/** Options of {@link provisionEngines}. */
export interface ProvisionOptions {
  readonly kinds: readonly EngineKind[];
  /** Keep the Node event loop alive while servers run. Default true. */
  readonly keepAlive?: boolean;
}

const binaryOf: Readonly<Record<EngineKind, readonly string[]>> = {
  nats: ['nats-server'],
  redis: ['redis-server'],
  postgres: ['postgres', 'initdb'],
};

const installHint: Readonly<Record<EngineKind, string>> = {
  nats: 'apt-get install nats-server / brew install nats-server',
  redis: 'apt-get install redis-server / brew install redis',
  postgres: 'apt-get install postgresql / brew install postgresql@16',
};

function hasBinaries(kind: EngineKind): boolean {
  return binaryOf[kind].every((name) => tryFindBinary(name) !== undefined);
}

interface Started {
  readonly url: string;
  stop(): Promise<void>;
}

async function startBinary(kind: EngineKind, dataRoot: string, keepAlive: boolean): Promise<Started> {
  const dataDir = join(dataRoot, kind);
  if (kind === 'nats') return startNats({ dataDir, keepAlive });
  if (kind === 'redis') return startRedis({ dataDir, keepAlive });
  // Many test files run in parallel, each with a pool: allow more connections than the default 100.
  return startPostgres({ dataDir, keepAlive, fast: true, settings: { max_connections: 300 } });
}

/**
 * Gets a server of each kind asked for, in this order: the URL in `TOTRA_NATS_URL` /
 * `TOTRA_PG_URL` / `TOTRA_REDIS_URL`; else a local binary started with @totra/engines in a temp
 * dir; else a container when a Docker engine is reachable; else `TOTRA_TESTING_ENGINES_UNAVAILABLE`
 * saying what to install.
 */
export async function provisionEngines(options: ProvisionOptions): Promise<ProvisionedEngines> {
  const keepAlive = options.keepAlive ?? true;
  const urls: Partial<Record<EngineKind, string>> = {};
  const sources: Partial<Record<EngineKind, EngineSource>> = {};
  const toStart: EngineKind[] = [];
  for (const kind of options.kinds) {
    const fromEnv = urlFromEnv(kind);
    if (fromEnv === undefined) {
      toStart.push(kind);
    } else {
      urls[kind] = fromEnv;
      sources[kind] = 'env';
    }
  }

  const byBinary = toStart.filter(hasBinaries);
  const rest = toStart.filter((kind) => !byBinary.includes(kind));
  const byContainer = rest.length > 0 && (await isDockerAvailable()) ? rest : [];
  const missing = rest.filter((kind) => !byContainer.includes(kind));
  if (missing.length > 0) {
    const lines = missing.map(
      (kind) => `  - ${kind}: set ${urlEnvVar[kind]}, or install it (${installHint[kind]}), or start a Docker engine`,
    );
    throw new EnginesUnavailableError(
      missing,
      `tests need real servers and none could be found for: ${missing.join(', ')}\n${lines.join('\n')}`,
    );
  }

  let dataRoot: string | undefined;
  if (byBinary.length > 0) {
    dataRoot = mkdtempSync(join(tmpdir(), 'totra-test-engines-'));
    // Postgres may run as an unprivileged user (when we are root): it must be able to enter.
    chmodSync(dataRoot, 0o755);
  }
  const root = dataRoot;
  const started: Started[] = [];
  const stop = async (): Promise<void> => {
    await Promise.allSettled(started.map((engine) => engine.stop()));
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  };
  const results = await Promise.allSettled([
    ...byBinary.map(async (kind) => {
      const engine = await startBinary(kind, root ?? tmpdir(), keepAlive);
      started.push(engine);
      urls[kind] = engine.url;
      sources[kind] = 'binary';
    }),
    ...byContainer.map(async (kind) => {
      const engine = await startContainerEngine(kind);
      started.push(engine);
      urls[kind] = engine.url;
      sources[kind] = 'container';
    }),
  ]);
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) {
    await stop();
    throw failure.reason;
  }
  return { urls, sources, stop };
}
