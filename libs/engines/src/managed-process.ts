import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import type { EngineExit, EngineKind } from './engine.js';
import { waitUntil } from './probes.js';

/** What to run and how to stop it. */
export interface SpawnSpec {
  readonly kind: EngineKind;
  readonly command: string;
  readonly args: readonly string[];
  /** stdout and stderr are appended here. */
  readonly logFile: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly uid?: number;
  readonly gid?: number;
  /** The polite signal (Postgres: SIGINT = fast shutdown; SIGTERM would wait for clients). */
  readonly stopSignal: NodeJS.Signals;
  readonly stopTimeoutMs: number;
  readonly detached: boolean;
  readonly keepAlive: boolean;
}

/** Started and not yet stopped (a crashed process stays here until stopped, for its cleanups). */
const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: send the polite signal and let the servers finish
  // shutting down on their own after we are gone.
  process.on('exit', () => {
    for (const child of live) child.signal(child.stopSignal);
  });
}

/** Whether a pid names a running (not zombie) process. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no procfs (macOS): kill(0) is all we know
  }
}

/** The last `maxLines` lines written to `file` from `offset` on. */
export function readLogTail(file: string, offset = 0, maxLines = 25): string {
  try {
    const text = readFileSync(file).subarray(offset).toString('utf8');
    return text.trimEnd().split('\n').slice(-maxLines).join('\n');
  } catch {
    return '';
  }
}

/**
 * A child server process: output to a log file, polite-then-SIGKILL stop, and a process-wide
 * exit hook so servers do not outlive a parent that exits (normally, by `process.exit`, or on an
 * uncaught exception). A parent killed with SIGKILL cannot run hooks: the next start on the same
 * data directory reclaims such orphans (see the owner record in `launch.ts`).
 */
export class ManagedProcess {
  readonly kind: EngineKind;
  readonly pid: number;
  readonly stopSignal: NodeJS.Signals;
  readonly logFile: string;
  /** Size of the log file before this process wrote to it, to show only its own lines in errors. */
  readonly logOffset: number;
  readonly exited: Promise<EngineExit>;
  #exit: EngineExit | undefined;
  #stopping: Promise<void> | undefined;
  readonly #stopTimeoutMs: number;
  readonly #cleanups: (() => void | Promise<void>)[] = [];

  private constructor(spec: SpawnSpec, pid: number, logOffset: number, exited: Promise<EngineExit>) {
    this.kind = spec.kind;
    this.pid = pid;
    this.stopSignal = spec.stopSignal;
    this.logFile = spec.logFile;
    this.logOffset = logOffset;
    this.#stopTimeoutMs = spec.stopTimeoutMs;
    this.exited = exited.then((exit) => {
      this.#exit = exit;
      return exit;
    });
  }

  /** Spawns the process; rejects when the binary cannot be executed at all. */
  static spawn(spec: SpawnSpec): Promise<ManagedProcess> {
    installExitHook();
    let logOffset = 0;
    try {
      logOffset = statSync(spec.logFile).size;
    } catch {
      // first start: no log yet
    }
    const fd = openSync(spec.logFile, 'a', 0o644);
    writeSync(fd, `\n--- ${new Date().toISOString()} starting: ${spec.command} ${spec.args.join(' ')}\n`);
    return new Promise((resolve, reject) => {
      const child = spawn(spec.command, [...spec.args], {
        cwd: spec.cwd,
        env: spec.env ?? process.env,
        stdio: ['ignore', fd, fd],
        detached: spec.detached,
        ...(spec.uid === undefined ? {} : { uid: spec.uid }),
        ...(spec.gid === undefined ? {} : { gid: spec.gid }),
      });
      const exited = new Promise<EngineExit>((resolveExit) => {
        child.once('exit', (code, signal) => resolveExit({ code, signal }));
      });
      child.once('error', (error) => {
        closeSync(fd);
        reject(error);
      });
      child.once('spawn', () => {
        closeSync(fd);
        if (!spec.keepAlive) child.unref();
        const managed = new ManagedProcess(spec, child.pid ?? -1, logOffset, exited);
        live.add(managed);
        resolve(managed);
      });
    });
  }

  /** Set once the process has exited. */
  get exit(): EngineExit | undefined {
    return this.#exit;
  }

  /** Runs after the process is gone, on `stop()` (not on a crash nobody stopped). */
  onStopped(cleanup: () => void | Promise<void>): void {
    this.#cleanups.push(cleanup);
  }

  /** Sends a signal if the process still runs. */
  signal(signal: NodeJS.Signals): void {
    if (this.#exit !== undefined) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }

  /** Polite signal, SIGKILL after the timeout, then cleanups. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#exit === undefined) {
      this.signal(this.stopSignal);
      const timeout = new Promise<'timeout'>((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), this.#stopTimeoutMs);
        void this.exited.then(() => clearTimeout(timer));
      });
      if ((await Promise.race([this.exited, timeout])) === 'timeout') {
        this.signal('SIGKILL');
        await this.exited;
      }
    }
    try {
      for (const cleanup of this.#cleanups) await cleanup();
    } finally {
      live.delete(this);
    }
  }
}

/** Stops every server this process started and has not stopped yet. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((child) => child.stop()));
}

/**
 * Stops all servers when the parent receives one of `signals`, then re-raises the signal so the
 * parent ends as it would have. Returns a function that removes the handlers. Not installed by
 * default: a CLI usually wants to decide the shutdown order itself.
 */
export function stopAllOnSignals(
  signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'],
): () => void {
  const handlers = signals.map((signal) => {
    const handler = (): void => {
      uninstall();
      void stopAll().finally(() => process.kill(process.pid, signal));
    };
    process.once(signal, handler);
    return { signal, handler };
  });
  const uninstall = (): void => {
    for (const { signal, handler } of handlers) process.off(signal, handler);
  };
  return uninstall;
}

/** Waits until `pid` is gone, up to `timeoutMs`. True when it is gone. */
export async function waitForProcessExit(pid: number, timeoutMs: number): Promise<boolean> {
  const result = await waitUntil(() => Promise.resolve(!isProcessAlive(pid)), { timeoutMs });
  return result.ok;
}
