import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineHandle, EngineOptions } from './engine.js';
import { findBinary } from './find-binary.js';
import { launch } from './launch.js';
import { probeRedis } from './probes.js';

/** Options of {@link startRedis}. */
export interface RedisOptions extends EngineOptions {
  /**
   * `'none'` (default): nothing is written to disk, for tests and caches.
   * `'aof'`: append-only file in `<dataDir>` (fsync every second), reloaded on the next start.
   */
  readonly persistence?: 'none' | 'aof';
  /** Appended to the command line as is (e.g. `['--maxmemory', '256mb']`). */
  readonly extraArgs?: readonly string[];
}

/** A running redis-server. */
export interface RedisServer extends EngineHandle {
  readonly kind: 'redis';
  readonly persistence: 'none' | 'aof';
}

/**
 * Starts `redis-server --bind 127.0.0.1 --port <port> --dir <dataDir> --save ''` (AOF on or off)
 * and resolves once it answers PING with +PONG (so after an AOF is loaded). Logs go to
 * `<dataDir>/redis.log`.
 */
export async function startRedis(options: RedisOptions): Promise<RedisServer> {
  const host = '127.0.0.1';
  const binary = options.binary ?? findBinary('redis-server');
  const persistence = options.persistence ?? 'none';
  mkdirSync(options.dataDir, { recursive: true });
  const logFile = join(options.dataDir, 'redis.log');
  const { process: child, port } = await launch({
    kind: 'redis',
    dataDir: options.dataDir,
    host,
    requestedPort: options.port,
    logFile,
    command: binary,
    args: (port) => [
      '--port',
      String(port),
      '--bind',
      host,
      '--dir',
      options.dataDir,
      '--save',
      '',
      '--daemonize',
      'no',
      ...(persistence === 'aof' ? ['--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--appendonly', 'no']),
      ...(options.extraArgs ?? []),
    ],
    cwd: options.dataDir,
    stopSignal: 'SIGTERM',
    stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
    startTimeoutMs: options.startTimeoutMs ?? 30_000,
    detached: options.detached ?? false,
    keepAlive: options.keepAlive ?? true,
    probe: (port) => probeRedis(port, { host }),
    portInUse: /address already in use/i,
  });
  return {
    kind: 'redis',
    url: `redis://${host}:${port}`,
    host,
    port,
    pid: child.pid,
    dataDir: options.dataDir,
    logFile,
    exited: child.exited,
    stop: () => child.stop(),
    persistence,
  };
}
