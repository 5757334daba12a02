import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineHandle, EngineOptions } from './engine.js';
import { findBinary } from './find-binary.js';
import { findFreePort } from './free-port.js';
import { launch } from './launch.js';
import { probeNats } from './probes.js';

/** Options of {@link startNats}. */
export interface NatsOptions extends EngineOptions {
  /** Enable JetStream with its store in `<dataDir>/jetstream`. Default true. */
  readonly jetStream?: boolean;
  /** Also serve the HTTP monitoring endpoint on this port, or on a free one with `'auto'`. Default off. */
  readonly monitorPort?: number | 'auto';
  /** Server name (`-n`). Keep it stable across restarts of one store. Default `totra`. */
  readonly serverName?: string;
  /** Appended to the command line as is. */
  readonly extraArgs?: readonly string[];
}

/** A running nats-server. */
export interface NatsServer extends EngineHandle {
  readonly kind: 'nats';
  /** JetStream store directory (`-sd`), reused by the next start on the same data dir. */
  readonly storeDir: string;
  /** `http://127.0.0.1:<port>` when monitoring is on. */
  readonly monitorUrl: string | undefined;
}

/**
 * Starts `nats-server -a 127.0.0.1 -p <port> -js -sd <dataDir>/jetstream` and resolves once it
 * sends its INFO line (announcing JetStream when enabled). Logs go to `<dataDir>/nats.log`.
 */
export async function startNats(options: NatsOptions): Promise<NatsServer> {
  const host = '127.0.0.1';
  const binary = options.binary ?? findBinary('nats-server');
  const jetStream = options.jetStream ?? true;
  const storeDir = join(options.dataDir, 'jetstream');
  mkdirSync(storeDir, { recursive: true });
  const logFile = join(options.dataDir, 'nats.log');
  const monitorPort = options.monitorPort === 'auto' ? await findFreePort(host) : options.monitorPort;
  const { process: child, port } = await launch({
    kind: 'nats',
    dataDir: options.dataDir,
    host,
    requestedPort: options.port,
    logFile,
    command: binary,
    args: (port) => [
      '-a',
      host,
      '-p',
      String(port),
      '-n',
      options.serverName ?? 'totra',
      ...(jetStream ? ['-js', '-sd', storeDir] : []),
      ...(monitorPort === undefined ? [] : ['-m', String(monitorPort)]),
      ...(options.extraArgs ?? []),
    ],
    cwd: options.dataDir,
    stopSignal: 'SIGTERM',
    stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
    startTimeoutMs: options.startTimeoutMs ?? 30_000,
    detached: options.detached ?? false,
    keepAlive: options.keepAlive ?? true,
    probe: (port) => probeNats(port, { host, requireJetStream: jetStream }),
    portInUse: /address already in use/i,
  });
  return {
    kind: 'nats',
    url: `nats://${host}:${port}`,
    host,
    port,
    pid: child.pid,
    dataDir: options.dataDir,
    logFile,
    exited: child.exited,
    stop: () => child.stop(),
    storeDir,
    monitorUrl: monitorPort === undefined ? undefined : `http://${host}:${monitorPort}`,
  };
}
