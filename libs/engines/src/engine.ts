/** The servers this package knows how to run. */
export type EngineKind = 'nats' | 'redis' | 'postgres';

/** How a server process ended. */
export interface EngineExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Options every `start*` function takes. */
export interface EngineOptions {
  /**
   * Directory owned by this server: its data, its log file and its owner record live here.
   * Created when missing; reused (with its data) on the next start.
   */
  readonly dataDir: string;
  /** TCP port on 127.0.0.1. Default: a free port picked at start. A taken fixed port fails with `TOTRA_ENGINE_PORT_IN_USE`. */
  readonly port?: number;
  /** Explicit path of the server binary. Default: found with {@link findBinary}. */
  readonly binary?: string;
  /** How long to wait for the server to answer its protocol probe. Default 30 s. */
  readonly startTimeoutMs?: number;
  /** How long `stop()` waits after the polite signal before SIGKILL. Default 10 s. */
  readonly stopTimeoutMs?: number;
  /**
   * Run the server in its own process group, so a Ctrl-C in the terminal reaches only the parent,
   * which then decides the shutdown order. Default false (the server gets the terminal's signals too).
   */
  readonly detached?: boolean;
  /**
   * Whether the running server keeps the parent's event loop alive. Default true. With false, a
   * script can simply end: the exit hook stops its servers.
   */
  readonly keepAlive?: boolean;
}

/** A running server started by this package. */
export interface EngineHandle {
  readonly kind: EngineKind;
  /** Client URL, e.g. `nats://127.0.0.1:4222`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  readonly dataDir: string;
  /** stdout and stderr of the server, appended across starts. */
  readonly logFile: string;
  /** Settles when the process exits, whether stopped or crashed. Never rejects. */
  readonly exited: Promise<EngineExit>;
  /** Polite signal, then SIGKILL after `stopTimeoutMs`. Idempotent; resolves once the process is gone. */
  stop(): Promise<void>;
}
