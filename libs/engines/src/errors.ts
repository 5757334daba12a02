import type { EngineKind } from './engine.js';

/** Base class of every error thrown by @totra/engines. Check errors by `code`, not by class. */
export class EnginesError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** How to install each binary we look for, per platform. */
const installHints: Readonly<Record<string, string>> = {
  'nats-server': 'Debian/Ubuntu: apt-get install nats-server; macOS: brew install nats-server',
  'redis-server': 'Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis',
  postgres: 'Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql@16',
  initdb: 'Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql@16',
};

/** A server binary is neither on PATH nor in any of the usual install locations. */
export class EngineBinaryNotFoundError extends EnginesError {
  constructor(
    readonly binary: string,
    readonly searched: readonly string[],
  ) {
    const hint = installHints[binary] ?? `install ${binary}`;
    super(
      'TOTRA_ENGINE_BINARY_NOT_FOUND',
      `"${binary}" was not found on PATH nor in ${searched.length} usual locations. Install it (${hint}) or put it on PATH.`,
    );
  }
}

/** The server process failed to start, or exited before it answered. `logTail` holds its last log lines. */
export class EngineStartError extends EnginesError {
  constructor(
    readonly engine: EngineKind,
    message: string,
    readonly logFile: string | undefined,
    readonly logTail: string,
    options?: { cause?: unknown },
  ) {
    super(
      'TOTRA_ENGINE_START_FAILED',
      `${engine}: ${message}${logFile ? ` (log: ${logFile})` : ''}${logTail ? `\n--- last log lines ---\n${logTail}` : ''}`,
      options,
    );
  }
}

/** The server process runs but did not answer its protocol probe in time. */
export class EngineReadyTimeoutError extends EnginesError {
  constructor(
    readonly engine: EngineKind,
    readonly timeoutMs: number,
    readonly logFile: string,
    readonly logTail: string,
    options?: { cause?: unknown },
  ) {
    super(
      'TOTRA_ENGINE_READY_TIMEOUT',
      `${engine} did not become ready within ${timeoutMs} ms (log: ${logFile})${logTail ? `\n--- last log lines ---\n${logTail}` : ''}`,
      options,
    );
  }
}

/** A fixed port was asked for and something already listens on it. */
export class EnginePortInUseError extends EnginesError {
  constructor(
    readonly engine: EngineKind,
    readonly host: string,
    readonly port: number,
  ) {
    super('TOTRA_ENGINE_PORT_IN_USE', `${engine}: port ${host}:${port} is already in use`);
  }
}

/** The data directory belongs to a server that another live process started. */
export class EngineDataDirBusyError extends EnginesError {
  constructor(
    readonly engine: EngineKind,
    readonly dataDir: string,
    readonly pid: number,
    readonly ownerPid: number,
  ) {
    super(
      'TOTRA_ENGINE_DATA_DIR_BUSY',
      `${engine}: data dir ${dataDir} is in use by server pid ${pid}, started by live process ${ownerPid}`,
    );
  }
}

/** The unprivileged user a server must run as cannot reach or use the data directory. */
export class EngineDataDirAccessError extends EnginesError {
  constructor(
    readonly engine: EngineKind,
    readonly path: string,
    readonly user: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('TOTRA_ENGINE_DATA_DIR_ACCESS', `${engine}: ${message}`, options);
  }
}
