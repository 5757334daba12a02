import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { EngineHandle, EngineOptions } from './engine.js';
import { EngineStartError } from './errors.js';
import { findPostgresBinaries, type PostgresBinaries } from './find-binary.js';
import { launch } from './launch.js';
import { ManagedProcess, readLogTail } from './managed-process.js';
import { probePostgres } from './probes.js';
import { chownTree, ensureReachable, isRoot, type RunAsUser, unprivilegedUser } from './run-as.js';

/** Options of {@link startPostgres}. */
export interface PostgresOptions extends EngineOptions {
  /**
   * Trade durability for speed, for tests: `initdb --no-sync`, and `fsync`, `synchronous_commit`
   * and `full_page_writes` off. A crash may then corrupt the cluster. Default false.
   */
  readonly fast?: boolean;
  /** Server settings passed as `-c name=value` (e.g. `{ max_connections: 300 }`). */
  readonly settings?: Readonly<Record<string, string | number | boolean>>;
  /** Directories searched first for `postgres` and `initdb`. */
  readonly extraDirs?: readonly string[];
  /** How long `initdb` may take on first start. Default 120 s. */
  readonly initTimeoutMs?: number;
}

/** A running Postgres cluster. The superuser is `postgres` with trust auth on 127.0.0.1 only. */
export interface PostgresServer extends EngineHandle {
  readonly kind: 'postgres';
  /** The cluster directory (`<dataDir>/pgdata`). */
  readonly pgdata: string;
  /** Directory of the Unix socket (a short temp path; removed on stop). */
  readonly socketDir: string;
  readonly user: 'postgres';
  readonly database: 'postgres';
  /** Major version of the cluster. */
  readonly majorVersion: number;
  /** True when this start ran `initdb` (the data dir was new). */
  readonly initialized: boolean;
  /** The system user the server runs as when we are root; undefined otherwise. */
  readonly runAs: string | undefined;
}

function clusterMajor(pgdata: string): number | undefined {
  try {
    const major = Number.parseInt(readFileSync(join(pgdata, 'PG_VERSION'), 'utf8').trim(), 10);
    return Number.isInteger(major) ? major : undefined;
  } catch {
    return undefined;
  }
}

function binariesFor(options: PostgresOptions, preferMajor: number | undefined): PostgresBinaries {
  if (options.binary === undefined) return findPostgresBinaries({ extraDirs: options.extraDirs, preferMajor });
  const postgres = realpathSync(options.binary);
  return findPostgresBinaries({ extraDirs: [dirname(postgres), ...(options.extraDirs ?? [])] });
}

async function initdb(
  binaries: PostgresBinaries,
  pgdata: string,
  logFile: string,
  runAs: RunAsUser | undefined,
  options: PostgresOptions,
): Promise<void> {
  const args = ['-D', pgdata, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', ...(options.fast ? ['--no-sync'] : [])];
  const child = await ManagedProcess.spawn({
    kind: 'postgres',
    command: binaries.initdb,
    args,
    logFile,
    cwd: options.dataDir,
    env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
    uid: runAs?.uid,
    gid: runAs?.gid,
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 5_000,
    detached: options.detached ?? false,
    keepAlive: true,
  });
  const timeoutMs = options.initTimeoutMs ?? 120_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const outcome = await Promise.race([child.exited, timedOut]);
  clearTimeout(timer);
  await child.stop();
  if (outcome === 'timeout' || outcome.code !== 0) {
    const reason = outcome === 'timeout' ? `initdb did not finish within ${timeoutMs} ms` : `initdb failed (exit code ${outcome.code})`;
    throw new EngineStartError('postgres', reason, logFile, readLogTail(logFile, child.logOffset));
  }
}

/**
 * Starts a Postgres cluster in `<dataDir>/pgdata`, running `initdb -U postgres -A trust -E UTF8`
 * first when the directory is new, and reusing it (and its data) afterwards. Listens on
 * 127.0.0.1 and a Unix socket in a short temp dir. When we are root, the cluster is owned by and
 * run as the `postgres` system user (or `nobody`), since Postgres refuses root. Resolves once the
 * server accepts connections. Logs go to `<dataDir>/postgres.log`. `stop()` is a fast shutdown.
 */
export async function startPostgres(options: PostgresOptions): Promise<PostgresServer> {
  const host = '127.0.0.1';
  const dataDir = options.dataDir;
  const pgdata = join(dataDir, 'pgdata');
  const logFile = join(dataDir, 'postgres.log');
  mkdirSync(dataDir, { recursive: true });

  let runAs: RunAsUser | undefined;
  if (isRoot()) {
    runAs = unprivilegedUser();
    if (runAs === undefined) {
      throw new EngineStartError('postgres', 'running as root and no "postgres" or "nobody" user exists to run the server as', logFile, '');
    }
    ensureReachable('postgres', dataDir, runAs);
  }
  mkdirSync(pgdata, { recursive: true, mode: 0o700 });
  if (runAs) chownTree(pgdata, runAs);

  const binaries = binariesFor(options, clusterMajor(pgdata));
  let initialized = false;
  if (clusterMajor(pgdata) === undefined) {
    if (readdirSync(pgdata).length > 0) {
      throw new EngineStartError('postgres', `${pgdata} is not empty but holds no cluster (no PG_VERSION)`, logFile, '');
    }
    await initdb(binaries, pgdata, logFile, runAs, options);
    initialized = true;
  }
  const majorVersion = clusterMajor(pgdata) ?? 0;

  const socketDir = mkdtempSync(join(tmpdir(), 'totra-pg-'));
  chmodSync(socketDir, 0o700);
  if (runAs) chownSync(socketDir, runAs.uid, runAs.gid);

  const settings: Record<string, string | number | boolean> = {
    listen_addresses: host,
    unix_socket_directories: socketDir,
    ...(options.fast ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } : {}),
    ...options.settings,
  };
  const settingArgs = Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${String(value)}`]);

  let launched;
  try {
    launched = await launch({
      kind: 'postgres',
      dataDir,
      host,
      requestedPort: options.port,
      logFile,
      command: binaries.postgres,
      args: (port) => ['-D', pgdata, '-p', String(port), ...settingArgs],
      cwd: dataDir,
      env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
      uid: runAs?.uid,
      gid: runAs?.gid,
      // SIGINT is Postgres's "fast" shutdown; SIGTERM ("smart") would wait for every client to leave.
      stopSignal: 'SIGINT',
      stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
      startTimeoutMs: options.startTimeoutMs ?? 30_000,
      detached: options.detached ?? false,
      keepAlive: options.keepAlive ?? true,
      probe: (port) => probePostgres(port, { host }),
      portInUse: /address already in use/i,
    });
  } catch (error) {
    rmSync(socketDir, { recursive: true, force: true });
    throw error;
  }
  const { process: child, port } = launched;
  child.onStopped(() => {
    if (existsSync(socketDir)) rmSync(socketDir, { recursive: true, force: true });
  });
  return {
    kind: 'postgres',
    url: `postgres://postgres@${host}:${port}/postgres`,
    host,
    port,
    pid: child.pid,
    dataDir,
    logFile,
    exited: child.exited,
    stop: () => child.stop(),
    pgdata,
    socketDir,
    user: 'postgres',
    database: 'postgres',
    majorVersion,
    initialized,
    runAs: runAs?.name,
  };
}
