import { type NatsConnection } from '@nats-io/nats-core';
import { type Kysely } from 'kysely';
import { type ChainWriter, type StreamOptions } from '@totra/eventlog';
import { type ProjectionRunner } from '@totra/projection';
import { unannouncedAnomalies, type AnomalyLine } from '@totra/projection-reporting';
import { PollLoop } from '../poll-loop.js';
import { LazyChainWriter } from './lazy-writer.js';

export interface AnomalyAlertEmitterOptions {
  nc: NatsConnection;
  stream: StreamOptions;
  /** The read-model database (the `anomaly` projection's tables). */
  db: Kysely<unknown>;
  /** This process's runner of the `anomaly` projection: only its active instance announces. */
  runner: ProjectionRunner;
  /** Folder of the spool of the emitter's chain writer (opened with the first event). */
  spoolDir: string;
  /** How often new anomaly rows are looked for. Default 1 s. */
  pollIntervalMs?: number;
  /** Most events appended per pass. Default 500. */
  maxPerPass?: number;
  /** Opens the chain writer the events are appended with (tests may pass their own). */
  openWriter?: () => Promise<ChainWriter>;
  onWarning?: (message: string, err?: unknown) => void;
}

/** Result of one pass. */
export interface AnomalyEmitResult {
  /** `SpendAnomalyDetected` events appended (and durable) in this pass. */
  appended: number;
  /** Why nothing was looked at, when so. */
  skipped?: 'standby' | 'stopped';
}

/** Passes of every emitter on one runner run one after the other (each sees what the previous appended). */
const passes = new WeakMap<ProjectionRunner, Promise<unknown>>();

/**
 * Announces new anomalies: appends one `SpendAnomalyDetected` per row of the `anomaly` read
 * model, after the read model's transaction committed (an outbox read from the read model; the
 * projection itself stays a pure function of the log). Exactly once, across restarts and
 * rebuilds: the event id is derived from the anomaly, the projection records the ids of the
 * events it reads in `anomaly_alerted`, and each pass first waits until the projection has
 * applied the whole log as it was when the pass began, so every event appended by an earlier
 * pass (of this process or of one that crashed after its append) is known before rows are
 * chosen. Only the instance whose runner is active announces (one per deployment), and the
 * passes of every emitter on one runner run one after the other.
 * Design: docs/adr/0004-anomaly-alerts-outbox.md.
 */
export class AnomalyAlertEmitter {
  readonly #o: AnomalyAlertEmitterOptions;
  readonly #warn: (message: string, err?: unknown) => void;
  /** Ids appended by this process: never appended twice even if the log is slow to show them. */
  readonly #sent = new Set<string>();
  readonly #writer: LazyChainWriter;
  readonly #poll: PollLoop;
  #stoppedSignal!: () => void;
  readonly #stopping = new Promise<'stopped'>((resolve) => (this.#stoppedSignal = () => resolve('stopped')));

  constructor(o: AnomalyAlertEmitterOptions) {
    this.#o = o;
    this.#warn = o.onWarning ?? (() => undefined);
    this.#writer = new LazyChainWriter({ nc: o.nc, stream: o.stream, role: 'anomaly', spoolDir: o.spoolDir, open: o.openWriter, label: 'anomaly alerts writer', onWarning: this.#warn });
    this.#poll = new PollLoop(() => this.emitOnce(), o.pollIntervalMs ?? 1000, (err) => this.#warn(`anomaly alerts: ${(err as Error).message}`, err));
  }

  /** Starts polling in the background. */
  start(): void {
    this.#poll.start();
  }

  async stop(): Promise<void> {
    this.#stoppedSignal();
    await this.#poll.stop();
    await passes.get(this.#o.runner);
    await this.#writer.close();
  }

  /** One pass (passes on the same runner run one after the other). */
  emitOnce(): Promise<AnomalyEmitResult> {
    const run = (passes.get(this.#o.runner) ?? Promise.resolve()).then(() => this.#pass());
    passes.set(this.#o.runner, run.catch(() => undefined));
    return run;
  }

  async #pass(): Promise<AnomalyEmitResult> {
    if (this.#poll.stopped) return { appended: 0, skipped: 'stopped' };
    if (this.#o.runner.stats().role !== 'active') return { appended: 0, skipped: 'standby' };
    // A stop does not wait for the projection to catch up with a long log.
    if ((await Promise.race([this.#o.runner.caughtUp(), this.#stopping])) === 'stopped') return { appended: 0, skipped: 'stopped' };
    const rows = (await unannouncedAnomalies(this.#o.db, this.#o.maxPerPass ?? 500)).filter((a) => !this.#sent.has(a.id));
    if (rows.length === 0) return { appended: 0 };
    const writer = await this.#writer.get();
    const appended: string[] = [];
    for (const a of rows) {
      try {
        writer.append({ type: 'SpendAnomalyDetected', tenant: a.tenant, id: a.id, data: eventData(a) });
        appended.push(a.id);
      } catch (err) {
        this.#warn(`anomaly alerts: anomaly ${a.id} cannot be recorded (${(err as Error).message}); skipped`, err);
      }
    }
    await writer.flush();
    for (const id of appended) this.#sent.add(id);
    return { appended: appended.length };
  }
}

function eventData(a: AnomalyLine): Record<string, unknown> {
  return {
    scope: a.scope,
    scopeId: a.scopeId,
    metric: a.metric,
    day: a.day,
    value: a.value,
    expected: a.expected,
    score: a.score,
    direction: a.direction,
    historyWeeks: a.historyWeeks,
    reason: a.reason.slice(0, 500),
  };
}
