import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort, type NatsServer, startNats, tryFindBinary } from '@totra/engines';
import { type ContainerEngine, isDockerAvailable, startContainerEngine } from './containers.js';
import { EnginesUnavailableError } from './errors.js';

/** Options of {@link startOwnNats}. */
export interface OwnNatsOptions {
  /** Data directory to use (kept by `dispose()`). Default: a fresh temp dir, removed by `dispose()`. */
  readonly dataDir?: string;
  /** Port to listen on. Default: a free one, kept across restarts. */
  readonly port?: number;
}

/**
 * A nats-server (JetStream on) that one test owns: it can take it down and bring it back on the
 * same port with the same store, to test behaviour while NATS is unreachable.
 */
export interface OwnNats {
  /** Same for the whole life of this object. */
  readonly url: string;
  readonly port: number;
  /** Host directory holding the JetStream store. */
  readonly storeDir: string;
  readonly running: boolean;
  /** Takes the server down; data stays. Idempotent. */
  stop(): Promise<void>;
  /** Brings it back on the same port and store; resolves once it answers. No-op when running. */
  start(): Promise<void>;
  /** `stop()` then `start()`. */
  restart(): Promise<void>;
  /** Stops it and removes the temp data dir when this object created it. Call in `afterAll`. */
  dispose(): Promise<void>;
}

type Runner = () => Promise<{ stop(): Promise<void> }>;

class OwnNatsImpl implements OwnNats {
  readonly url: string;
  #current: { stop(): Promise<void> } | undefined;
  #pending: Promise<void> = Promise.resolve();

  constructor(
    readonly port: number,
    readonly storeDir: string,
    private readonly run: Runner,
    private readonly removeOnDispose: string | undefined,
  ) {
    this.url = `nats://127.0.0.1:${port}`;
  }

  get running(): boolean {
    return this.#current !== undefined;
  }

  // start/stop calls are serialised so a test that fires them quickly gets them in order.
  #serial(step: () => Promise<void>): Promise<void> {
    const next = this.#pending.then(step);
    this.#pending = next.catch(() => undefined);
    return next;
  }

  start(): Promise<void> {
    return this.#serial(async () => {
      if (this.#current === undefined) this.#current = await this.run();
    });
  }

  stop(): Promise<void> {
    return this.#serial(async () => {
      const current = this.#current;
      this.#current = undefined;
      await current?.stop();
    });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.removeOnDispose !== undefined) rmSync(this.removeOnDispose, { recursive: true, force: true });
  }
}

/**
 * Starts a nats-server owned by the calling test, from the local binary (or, without one, a
 * `nats:2.10` container with the store bind-mounted and the host port fixed). Independent of
 * `TOTRA_NATS_URL`: the shared server is never stopped by a test.
 */
export async function startOwnNats(options: OwnNatsOptions = {}): Promise<OwnNats> {
  const created = options.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'totra-own-nats-')) : undefined;
  const dataDir = options.dataDir ?? created ?? '';
  if (created !== undefined) chmodSync(created, 0o755);
  mkdirSync(dataDir, { recursive: true });
  const port = options.port ?? (await findFreePort());

  let run: Runner;
  let storeDir: string;
  if (tryFindBinary('nats-server') !== undefined) {
    storeDir = join(dataDir, 'jetstream');
    run = (): Promise<NatsServer> => startNats({ dataDir, port });
  } else if (await isDockerAvailable()) {
    storeDir = join(dataDir, 'store');
    mkdirSync(storeDir, { recursive: true, mode: 0o777 });
    run = (): Promise<ContainerEngine> => startContainerEngine('nats', { hostPort: port, storeDir });
  } else {
    if (created !== undefined) rmSync(created, { recursive: true, force: true });
    throw new EnginesUnavailableError(
      ['nats'],
      'startOwnNats needs nats-server (apt-get install nats-server / brew install nats-server) or a Docker engine',
    );
  }
  const own = new OwnNatsImpl(port, storeDir, run, created);
  try {
    await own.start();
  } catch (error) {
    await own.dispose();
    throw error;
  }
  return own;
}
