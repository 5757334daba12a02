import type { EngineKind } from '@totra/engines';
import type * as TestcontainersModule from 'testcontainers';

/** A server running in a container started by this process. */
export interface ContainerEngine {
  readonly url: string;
  stop(): Promise<void>;
}

/** Options of {@link startContainerEngine}. */
export interface ContainerEngineOptions {
  /** Publish on this host port instead of a random one. */
  readonly hostPort?: number;
  /** NATS only: bind-mount this host directory as the JetStream store. */
  readonly storeDir?: string;
}

// testcontainers is loaded only when a container is really needed: most runs use binaries
// or given URLs and should not pay for loading the Docker client.
type Testcontainers = typeof TestcontainersModule;
let loaded: Promise<Testcontainers> | undefined;
const load = (): Promise<Testcontainers> => (loaded ??= import('testcontainers'));

/** Whether a Docker (or compatible) engine answers, as testcontainers finds it. */
export async function isDockerAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await load();
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

const images: Readonly<Record<EngineKind, string>> = {
  nats: 'nats:2.10',
  redis: 'redis:7',
  postgres: 'postgres:16',
};

const containerPorts: Readonly<Record<EngineKind, number>> = { nats: 4222, redis: 6379, postgres: 5432 };

/** Starts `nats:2.10 -js`, `redis:7` or `postgres:16` (trust auth) and waits until it is ready. */
export async function startContainerEngine(kind: EngineKind, options: ContainerEngineOptions = {}): Promise<ContainerEngine> {
  const { GenericContainer, Wait } = await load();
  const containerPort = containerPorts[kind];
  let container = new GenericContainer(images[kind]).withExposedPorts(
    options.hostPort === undefined ? containerPort : { container: containerPort, host: options.hostPort },
  );
  if (kind === 'nats') {
    container = container
      .withCommand(options.storeDir === undefined ? ['-js'] : ['-js', '-sd', '/data'])
      .withWaitStrategy(Wait.forLogMessage(/Server is ready/));
    if (options.storeDir !== undefined) container = container.withBindMounts([{ source: options.storeDir, target: '/data' }]);
  } else if (kind === 'redis') {
    container = container.withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/));
  } else {
    container = container
      .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
      .withCommand(['postgres', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'max_connections=300'])
      // The image's entrypoint starts the server twice (init, then for real).
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2));
  }
  const started = await container.start();
  const host = started.getHost();
  const port = started.getMappedPort(containerPort);
  const url =
    kind === 'nats' ? `nats://${host}:${port}` : kind === 'redis' ? `redis://${host}:${port}` : `postgres://postgres@${host}:${port}/postgres`;
  return {
    url,
    stop: async () => {
      await started.stop();
    },
  };
}
