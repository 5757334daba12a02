import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { EngineKind } from './engine.js';
import { EngineDataDirBusyError, EnginePortInUseError, EngineReadyTimeoutError, EngineStartError } from './errors.js';
import { findFreePort, isPortFree } from './free-port.js';
import { isProcessAlive, ManagedProcess, readLogTail, waitForProcessExit } from './managed-process.js';
import { waitUntil } from './probes.js';

/** Everything the generic launcher needs to know about one server kind. */
export interface LaunchSpec {
  readonly kind: EngineKind;
  readonly dataDir: string;
  readonly host: string;
  readonly requestedPort: number | undefined;
  readonly logFile: string;
  readonly command: string;
  readonly args: (port: number) => readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly uid?: number;
  readonly gid?: number;
  readonly stopSignal: NodeJS.Signals;
  readonly stopTimeoutMs: number;
  readonly startTimeoutMs: number;
  readonly detached: boolean;
  readonly keepAlive: boolean;
  readonly probe: (port: number) => Promise<boolean>;
  /** Recognises "could not bind" in the log, to retry with another port after losing a race. */
  readonly portInUse: RegExp;
}

interface OwnerRecord {
  readonly pid: number;
  readonly ownerPid: number;
  readonly binary: string;
}

function ownerFile(dataDir: string, kind: EngineKind): string {
  return join(dataDir, `${kind}.owner.json`);
}

function readOwner(file: string): OwnerRecord | undefined {
  try {
    const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof raw !== 'object' || raw === null) return undefined;
    const { pid, ownerPid, binary } = raw as Record<string, unknown>;
    if (typeof pid !== 'number' || typeof ownerPid !== 'number' || typeof binary !== 'string') return undefined;
    return { pid, ownerPid, binary };
  } catch {
    return undefined;
  }
}

/** The parent pid of `pid` from procfs, undefined where there is none. */
function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `pid` still runs `binary` (guards against pid reuse where procfs tells us). */
function runsBinary(pid: number, binary: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(basename(binary));
  } catch {
    return true;
  }
}

/**
 * A server started on this data dir by a parent that died without stopping it (SIGKILL, power
 * cut of the terminal...) is stopped here; one whose parent still lives makes the start fail.
 */
async function reclaimOrphan(spec: LaunchSpec): Promise<void> {
  const file = ownerFile(spec.dataDir, spec.kind);
  const owner = readOwner(file);
  if (owner === undefined) return;
  if (isProcessAlive(owner.pid) && runsBinary(owner.pid, owner.binary)) {
    const ppid = parentPid(owner.pid);
    const ownerAlive = ppid === undefined ? isProcessAlive(owner.ownerPid) : ppid === owner.ownerPid;
    if (ownerAlive) throw new EngineDataDirBusyError(spec.kind, spec.dataDir, owner.pid, owner.ownerPid);
    try {
      process.kill(owner.pid, spec.stopSignal);
    } catch {
      // gone meanwhile
    }
    if (!(await waitForProcessExit(owner.pid, spec.stopTimeoutMs))) {
      try {
        process.kill(owner.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
      await waitForProcessExit(owner.pid, spec.stopTimeoutMs);
    }
  }
  rmSync(file, { force: true });
}

/** Result of {@link launch}. */
export interface Launched {
  readonly process: ManagedProcess;
  readonly port: number;
}

/**
 * Starts a server and waits until it answers its protocol probe. With no fixed port, a free port
 * is picked, and picked again (up to 3 tries) if another process binds it first.
 */
export async function launch(spec: LaunchSpec): Promise<Launched> {
  await reclaimOrphan(spec);
  if (spec.requestedPort !== undefined && !(await isPortFree(spec.requestedPort, spec.host))) {
    throw new EnginePortInUseError(spec.kind, spec.host, spec.requestedPort);
  }
  const attempts = spec.requestedPort === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = spec.requestedPort ?? (await findFreePort(spec.host));
    let child: ManagedProcess;
    try {
      child = await ManagedProcess.spawn({
        kind: spec.kind,
        command: spec.command,
        args: spec.args(port),
        logFile: spec.logFile,
        cwd: spec.cwd,
        env: spec.env,
        uid: spec.uid,
        gid: spec.gid,
        stopSignal: spec.stopSignal,
        stopTimeoutMs: spec.stopTimeoutMs,
        detached: spec.detached,
        keepAlive: spec.keepAlive,
      });
    } catch (error) {
      throw new EngineStartError(spec.kind, `cannot execute ${spec.command}: ${String(error)}`, spec.logFile, '', {
        cause: error,
      });
    }
    const ready = await waitUntil(() => spec.probe(port), {
      timeoutMs: spec.startTimeoutMs,
      abortReason: () => {
        const exit = child.exit;
        return exit === undefined ? undefined : `exited before it was ready (code ${exit.code}, signal ${exit.signal})`;
      },
    });
    if (ready.ok) {
      const record: OwnerRecord = { pid: child.pid, ownerPid: process.pid, binary: spec.command };
      writeFileSync(ownerFile(spec.dataDir, spec.kind), JSON.stringify(record));
      child.onStopped(() => rmSync(ownerFile(spec.dataDir, spec.kind), { force: true }));
      return { process: child, port };
    }
    const tail = (): string => readLogTail(spec.logFile, child.logOffset);
    if (child.exit === undefined) {
      await child.stop();
      throw new EngineReadyTimeoutError(spec.kind, spec.startTimeoutMs, spec.logFile, tail());
    }
    if (attempt < attempts && spec.portInUse.test(tail())) continue;
    throw new EngineStartError(spec.kind, ready.reason, spec.logFile, tail());
  }
}
