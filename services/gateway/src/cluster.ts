import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { AggregatorRegistry, type Registry } from 'prom-client';

/**
 * Gateway worker processes (`TOTRA_GATEWAY_WORKERS`): a primary process forks the workers, which
 * share the listening port (node:cluster hands connections out round-robin). Each worker is a
 * whole gateway: its own connections, its own chain (a chain has one writer by construction) and
 * its own spool folder, so that a worker replays what its crashed predecessor left behind and
 * never the spool of a live sibling. The primary restarts a worker that dies, answers
 * `/metrics` for all of them (a worker asks it over IPC), and stops them on SIGTERM/SIGINT.
 */

/** Set by the primary in each worker's environment: the worker's index, from 0. */
export const WORKER_INDEX_ENV = 'TOTRA_GATEWAY_WORKER_INDEX';

const METRICS_MESSAGE = 'totra:cluster-metrics';
const FIRST_RESTART_DELAY_MS = 1_000;

/** A worker's spool folder: the configured one for worker 0 (as without workers), `worker-<i>` in it for the others. */
export function workerSpoolDir(spoolDir: string, index: number): string {
  return index === 0 ? spoolDir : join(spoolDir, `worker-${index}`);
}

/** The index this process serves as, when it is a gateway worker. */
export function workerIndex(env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (!cluster.isWorker) return undefined;
  const n = Number(env[WORKER_INDEX_ENV]);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

interface MetricsReply {
  type: typeof METRICS_MESSAGE;
  id: number;
  text?: string;
  error?: string;
}

/**
 * In a worker: offers `registry` to the primary's aggregation and returns what `/metrics` serves,
 * the sum over every worker (counters and histograms added, gauges summed), asked of the primary.
 */
export function clusterMetricsSource(registry: Registry, timeoutMs = 5_000): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one installs prom-client's worker side: it answers the primary's requests.
  new AggregatorRegistry();
  const pending = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();
  let next = 0;
  process.on('message', (m: MetricsReply) => {
    if (m?.type !== METRICS_MESSAGE) return;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    clearTimeout(p.timer);
    if (typeof m.text === 'string') p.resolve(m.text);
    else p.reject(new Error(`the gateway's primary process could not gather the workers' metrics: ${m.error ?? 'no reason given'}`));
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      if (!process.send || !process.connected) {
        reject(new Error("the gateway's primary process is gone"));
        return;
      }
      const id = ++next;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`the gateway's primary process did not answer for the workers' metrics within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      process.send({ type: METRICS_MESSAGE, id });
    });
}

/**
 * The young generation of a worker: 64 MB semi-spaces, four times V8's default, so that a worker
 * under load scavenges a quarter as often for about the same pause each time (the objects it
 * copies are the requests in flight, whatever the size); ADR 0016.
 */
export const WORKER_SEMI_SPACE_FLAG = '--max-semi-space-size=64';

/**
 * The extra Node flags of the worker processes: the configured ones (`none` for none), else a
 * larger young generation and, when the workers take every core, `--no-parallel-scavenge`. A
 * worker that scavenges with helper threads waits for helpers that its busy siblings keep off the
 * cores, so its young-generation pauses grow from a few to 10-25 ms under load; scavenging on its
 * own thread costs less CPU and shortens them (ADR 0016). With cores to spare, V8's parallel
 * scavenge stays.
 */
export function workerNodeFlags(configured: string | undefined, workers: number, cores: number = availableParallelism()): string[] {
  if (configured !== undefined) return configured === 'none' ? [] : configured.split(/\s+/).filter(Boolean);
  return workers >= cores ? ['--no-parallel-scavenge', WORKER_SEMI_SPACE_FLAG] : [WORKER_SEMI_SPACE_FLAG];
}

export interface GatewayClusterOptions {
  workers: number;
  /** Node flags the workers start with, on top of this process's own (see {@link workerNodeFlags}). */
  nodeFlags?: readonly string[];
  /** How long a worker may take to finish its requests and flush its chain when stopped. */
  closeGraceMs: number;
  onWarning?: (message: string) => void;
}

/** Thrown by `startGatewayCluster` when a worker could not start; carries its exit code. */
export class WorkerStartError extends Error {
  readonly code = 'TOTRA_GATEWAY_WORKER_START';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'WorkerStartError';
  }
}

export interface RunningGatewayCluster {
  url: string;
  /** Stops every worker (each drains its requests and chain) and waits for them to exit. */
  close(): Promise<void>;
}

/**
 * Starts the workers (primary process only). Worker 0 starts first and seeds the model catalog;
 * the others start once it is listening, so they find the seed in the log and append nothing.
 * Resolves with the shared URL when every worker listens; rejects when one exits before that.
 */
export async function startGatewayCluster(o: GatewayClusterOptions): Promise<RunningGatewayCluster> {
  if (!cluster.isPrimary) throw new Error('startGatewayCluster runs in the primary process only');
  if (o.nodeFlags?.length) cluster.setupPrimary({ execArgv: [...process.execArgv, ...o.nodeFlags] });
  const warn = o.onWarning ?? (() => undefined);
  const aggregator = new AggregatorRegistry();
  const live = new Map<number, Worker>();
  let stopping = false;
  // First delay before a worker that died is started again; doubles while workers keep dying.
  let restartDelay = FIRST_RESTART_DELAY_MS;
  const restartTimers = new Set<NodeJS.Timeout>();

  const fork = (index: number, initial: boolean): Promise<{ worker: Worker; url: string }> => {
    const started = Date.now();
    const worker = cluster.fork({ [WORKER_INDEX_ENV]: String(index) });
    live.set(index, worker);
    worker.on('message', (m: { type?: string; id?: number; url?: string }) => {
      if (m?.type !== METRICS_MESSAGE || typeof m.id !== 'number') return;
      const id = m.id;
      aggregator.clusterMetrics().then(
        (text) => worker.isConnected() && worker.send({ type: METRICS_MESSAGE, id, text }),
        (err: unknown) => worker.isConnected() && worker.send({ type: METRICS_MESSAGE, id, error: (err as Error).message }),
      );
    });
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (m: { type?: string; url?: string }) => {
        if (m?.type !== 'ready' || ready) return;
        ready = true;
        resolve({ worker, url: String(m.url) });
      });
      worker.once('exit', (code, signal) => {
        if (live.get(index) === worker) live.delete(index);
        if (!ready) reject(new WorkerStartError(`gateway worker ${index} exited before it listened (${signal ?? `code ${code}`})`, code ?? 1));
        // A worker that fails at the first start stops the start; later, the primary keeps trying.
        if (stopping || (!ready && initial)) return;
        const lived = Date.now() - started;
        if (lived > 60_000) restartDelay = FIRST_RESTART_DELAY_MS;
        warn(`worker ${index} exited (${signal ?? `code ${code}`}); starting a new one in ${restartDelay} ms`);
        const timer = setTimeout(() => {
          restartTimers.delete(timer);
          if (stopping) return;
          fork(index, false).catch(() => undefined); // its exit schedules the next attempt
        }, restartDelay);
        restartTimers.add(timer);
        restartDelay = Math.min(30_000, restartDelay * 2);
      });
    });
  };

  const stopAll = async (): Promise<void> => {
    stopping = true;
    for (const t of restartTimers) clearTimeout(t);
    const exits = [...live.values()].map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.isDead()) return resolve();
          const kill = setTimeout(() => w.process.kill('SIGKILL'), o.closeGraceMs + 5_000);
          w.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          w.process.kill('SIGTERM');
        }),
    );
    await Promise.all(exits);
  };

  let url: string;
  try {
    ({ url } = await fork(0, true));
    await Promise.all(Array.from({ length: o.workers - 1 }, (_, i) => fork(i + 1, true)));
  } catch (err) {
    await stopAll();
    throw err;
  }
  return { url, close: stopAll };
}
