import { type NatsConnection } from '@nats-io/nats-core';
import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { type Kysely, type Transaction } from 'kysely';
import { migrateProjection } from '@totra/db';
import { lineMatcher, pullSize, type StreamOptions } from '@totra/eventlog';
import { EventRegistry } from '@totra/events';
import { applyDecoded, decodeMessages, type DeadLetter, type RawMessage } from './apply-batch.js';
import { ensureCheckpoint, lockCheckpoint, writeCheckpoint } from './checkpoint.js';
import { CheckpointMovedError, ProjectionStoppedError } from './errors.js';
import { AdvisoryLock, LEADER_LOCK_CLASS } from './leader-lock.js';
import { type AnyProjection } from './projection.js';
import { rebuildProjection } from './rebuild.js';
import { migrateRunnerTables } from './runner-tables.js';

/** Options of {@link startProjection}. */
export interface ProjectionRunnerOptions {
  nc: NatsConnection;
  stream: StreamOptions;
  /** Pool for the read-model transactions. */
  db: Kysely<unknown>;
  /** URL of the same database: the leader lock lives on a connection of its own. */
  pgUrl: string;
  projection: AnyProjection;
  registry?: EventRegistry;
  /** Most stream messages applied in one transaction. Default 256. */
  maxBatchMessages?: number;
  /** How often a standby tries to become active. Default 1000 ms. */
  standbyPollMs?: number;
  /** Longest pause between attempts while Postgres fails. Default 2000 ms. */
  maxRetryDelayMs?: number;
  /**
   * How long the checkpoint may stay behind messages that held no event of the projection: those
   * are passed over without a transaction, and the checkpoint is moved past them by the next batch
   * with events, by a checkpoint-only write at most this often, on `caughtUp()`, or at stop.
   * Default 1000 ms; 0 writes it after every batch.
   */
  checkpointIntervalMs?: number;
  /** Told about trouble the runner handles itself (retries, dead letters, failover). */
  onWarning?: (message: string, err?: unknown) => void;
}

/** Where a runner stands. */
export type ProjectionRole = 'starting' | 'standby' | 'active' | 'stopped';

/** Counters of a runner, for metrics and tests. */
export interface ProjectionStats {
  readonly projection: string;
  readonly version: number;
  readonly role: ProjectionRole;
  /** Last stream sequence applied or passed over (nothing in it for this projection). */
  readonly position: number;
  /** The checkpoint in Postgres: at most `checkpointIntervalMs` behind `position`. */
  readonly checkpoint: number;
  readonly eventsApplied: number;
  readonly messagesApplied: number;
  /** Batches applied in a read-model transaction (batches without events need none). */
  readonly batches: number;
  /** Read-model transactions committed: the batches, plus checkpoint-only writes. */
  readonly transactions: number;
  readonly deadLetters: number;
  /** Events applied per second over the last 10 seconds. */
  readonly eventsPerSecond: number;
}

/** How far behind the stream a runner is. */
export interface ProjectionLag {
  readonly lastSeq: number;
  /** Stream messages (event batches) not applied yet. */
  readonly messagesBehind: number;
  /** Age difference between the newest message and the last one applied. */
  readonly secondsBehind: number;
}

/** A running projection (active, or standby behind another instance). */
export interface ProjectionRunner {
  readonly name: string;
  stats(): ProjectionStats;
  lag(): Promise<ProjectionLag>;
  /**
   * Resolves once everything up to the stream's last sequence at the time of the call is applied
   * and the checkpoint in Postgres says so.
   */
  caughtUp(): Promise<void>;
  /**
   * Re-reads the stream from `streamSeq` (an operator's or a test's tool). Messages up to the
   * checkpoint are recognised and skipped: redelivery never applies anything twice.
   */
  redeliverFrom(streamSeq: number): void;
  /** Stops consuming and releases the leader lock; a batch in flight finishes or rolls back. */
  stop(): Promise<void>;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

const WINDOW_MS = 10_000;

class Runner implements ProjectionRunner {
  readonly name: string;
  readonly #o: Required<Omit<ProjectionRunnerOptions, 'registry'>>;
  readonly #registry: EventRegistry;
  readonly #wanted: (line: string) => boolean;
  readonly #deadLetterSubject: string;
  #role: ProjectionRole = 'starting';
  /** Every message up to here is applied or passed over. */
  #position = 0;
  /** The checkpoint as this runner last read or wrote it (<= #position). */
  #stored = 0;
  /** When #position first went past #stored (0: not behind). */
  #behindSince = 0;
  #transactions = 0;
  /** Wakes the follow loop (a waiter wants the checkpoint written). */
  #kick: (() => void) | undefined;
  #lastAppliedTimeMs = 0;
  #events = 0;
  #messagesApplied = 0;
  #batches = 0;
  #deadLetters = 0;
  #samples: [number, number][] = [];
  #waiters: Waiter[] = [];
  #stopping = false;
  #messages: ConsumerMessages | undefined;
  #lock: AdvisoryLock | undefined;
  #lockLost = false;
  #redeliver: number | undefined;
  #wake: (() => void) | undefined;
  #main: Promise<void> = Promise.resolve();

  constructor(o: ProjectionRunnerOptions) {
    this.name = o.projection.name;
    this.#o = {
      nc: o.nc,
      stream: o.stream,
      db: o.db,
      pgUrl: o.pgUrl,
      projection: o.projection,
      maxBatchMessages: o.maxBatchMessages ?? 256,
      standbyPollMs: o.standbyPollMs ?? 1000,
      maxRetryDelayMs: o.maxRetryDelayMs ?? 2000,
      checkpointIntervalMs: o.checkpointIntervalMs ?? 1000,
      onWarning: o.onWarning ?? (() => undefined),
    };
    this.#registry = o.registry ?? new EventRegistry();
    this.#wanted = lineMatcher(o.projection.handles);
    this.#deadLetterSubject = `${o.stream.subjectPrefix}.deadletter.${this.name}`;
  }

  start(): void {
    this.#main = this.#run();
  }

  stats(): ProjectionStats {
    const now = Date.now();
    this.#samples = this.#samples.filter(([t]) => now - t <= WINDOW_MS);
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    const span = first && last ? (last[0] - first[0]) / 1000 : 0;
    return {
      projection: this.name,
      version: this.#o.projection.version,
      role: this.#role,
      position: this.#position,
      checkpoint: this.#stored,
      eventsApplied: this.#events,
      messagesApplied: this.#messagesApplied,
      batches: this.#batches,
      transactions: this.#transactions,
      deadLetters: this.#deadLetters,
      eventsPerSecond: first && last && span > 0 ? (last[1] - first[1]) / span : 0,
    };
  }

  async lag(): Promise<ProjectionLag> {
    const jsm = await jetstreamManager(this.#o.nc, { checkAPI: false });
    const { state } = await jsm.streams.info(this.#o.stream.name);
    const behind = Math.max(0, state.last_seq - this.#position);
    const lastTs = Date.parse(state.last_ts);
    const appliedTs = this.#lastAppliedTimeMs || Date.parse(state.first_ts);
    return { lastSeq: state.last_seq, messagesBehind: behind, secondsBehind: behind === 0 ? 0 : Math.max(0, (lastTs - appliedTs) / 1000) };
  }

  async caughtUp(): Promise<void> {
    if (this.#stopping) throw new ProjectionStoppedError(this.name);
    const jsm = await jetstreamManager(this.#o.nc, { checkAPI: false });
    const { state } = await jsm.streams.info(this.#o.stream.name);
    if (this.#stored >= state.last_seq) return;
    const caught = new Promise<void>((resolve, reject) => this.#waiters.push({ seq: state.last_seq, resolve, reject }));
    this.#kick?.();
    return caught;
  }

  redeliverFrom(streamSeq: number): void {
    this.#redeliver = Math.max(1, streamSeq);
    this.#messages?.stop();
  }

  async stop(): Promise<void> {
    if (this.#stopping) return this.#main;
    this.#stopping = true;
    this.#messages?.stop();
    this.#wake?.();
    await this.#main;
    this.#role = 'stopped';
    for (const w of this.#waiters.splice(0)) w.reject(new ProjectionStoppedError(this.name));
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  get #interrupted(): boolean {
    return this.#stopping || this.#lockLost;
  }

  async #run(): Promise<void> {
    let delay = 100;
    while (!this.#stopping) {
      try {
        if (await this.#becomeLeader()) {
          delay = 100;
          await this.#lead();
        }
      } catch (err) {
        if (!this.#stopping) this.#o.onWarning(`projection ${this.name}: ${(err as Error).message}; starting over`, err);
        await this.#sleep(delay);
        delay = Math.min(delay * 2, this.#o.maxRetryDelayMs);
      } finally {
        await this.#lock?.close();
        this.#lock = undefined;
      }
    }
  }

  /** Waits (as a standby) until this instance holds the projection's leader lock. */
  async #becomeLeader(): Promise<boolean> {
    const lock = await AdvisoryLock.open(this.#o.pgUrl, `totra-projection-lock-${this.name}`);
    this.#lock = lock;
    this.#lockLost = false;
    void lock.lost.then(() => {
      if (this.#lock !== lock) return;
      this.#lockLost = true;
      this.#messages?.stop();
      this.#wake?.();
    });
    while (!this.#interrupted) {
      if (await lock.tryAcquire(LEADER_LOCK_CLASS, this.name)) return true;
      if (this.#role !== 'standby') this.#o.onWarning(`projection ${this.name}: another instance is active; standing by`);
      this.#role = 'standby';
      await this.#sleep(this.#o.standbyPollMs);
    }
    return false;
  }

  async #lead(): Promise<void> {
    const { db, projection } = this.#o;
    await migrateRunnerTables(db);
    await migrateProjection(db, projection.migrations);
    let checkpoint = await ensureCheckpoint(db, this.name, projection.version);
    if (checkpoint.version !== projection.version) {
      this.#o.onWarning(`projection ${this.name}: read model is v${checkpoint.version}, code is v${projection.version}: rebuilding`);
      await rebuildProjection({ nc: this.#o.nc, stream: this.#o.stream, db, pgUrl: this.#o.pgUrl, projection, registry: this.#registry, onDeadLetter: (d) => this.#publish(d) });
      checkpoint = await ensureCheckpoint(db, this.name, projection.version);
    }
    this.#position = checkpoint.streamSeq;
    this.#stored = checkpoint.streamSeq;
    this.#behindSince = 0;
    this.#role = 'active';
    this.#notify(); // a caughtUp() that came before this instance led may be answered already
    while (!this.#interrupted) {
      const from = this.#redeliver ?? this.#position + 1;
      this.#redeliver = undefined;
      await this.#follow(from);
    }
    // Stopping while still the leader: the checkpoint goes past what was passed over.
    if (this.#stopping && !this.#lockLost && this.#position > this.#stored) {
      await this.#writePosition().catch((err: unknown) => this.#o.onWarning(`projection ${this.name}: checkpoint not moved at stop (${(err as Error).message}); the next start reads from ${this.#stored + 1}`, err));
    }
  }

  /**
   * Consumes from `from` with an ordered consumer until interrupted or repositioned. A pump moves
   * messages from the consumer into a queue as they arrive and each batch is whatever the queue
   * holds (up to `maxBatchMessages`): the batch never waits for a message that may not exist yet.
   * (Asking the iterator for "one more" whenever `getPending() > 0` did: the count includes the
   * client's queued pull requests, so at the end of the stream the runner sat on an uncommitted
   * batch, and never caught up.)
   */
  async #follow(from: number): Promise<void> {
    const js = jetstream(this.#o.nc);
    const consumer = await js.consumers.get(this.#o.stream.name, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: from,
      filter_subjects: `${this.#o.stream.subjectPrefix}.chain.>`,
    });
    const messages = await consumer.consume({ max_messages: pullSize(this.#o.nc) });
    this.#messages = messages;
    if (this.#interrupted || this.#redeliver !== undefined) messages.stop();
    const max = this.#o.maxBatchMessages;
    const queue: RawMessage[] = [];
    let ended = false;
    let failure: unknown;
    let arrived: (() => void) | undefined;
    let drained: (() => void) | undefined;
    const wake = (): void => {
      const f = arrived;
      arrived = undefined;
      f?.();
    };
    const pump = (async () => {
      try {
        for await (const m of messages) {
          queue.push(toRaw(m));
          wake();
          // Backpressure: hold the iterator while the committer is behind.
          while (queue.length >= 4 * max && !ended) await new Promise<void>((resolve) => (drained = resolve));
        }
      } catch (err) {
        failure = err;
      } finally {
        ended = true;
        wake();
      }
    })();
    try {
      for (;;) {
        if (queue.length === 0) {
          if (ended) {
            if (failure !== undefined && !this.#interrupted) throw failure;
            return;
          }
          const due = this.#checkpointDue();
          if (due === 0) {
            if (await this.#withRetry('move the checkpoint to', this.#position, () => this.#writePosition())) return;
            continue;
          }
          let timer: NodeJS.Timeout | undefined;
          await new Promise<void>((resolve) => {
            arrived = resolve;
            this.#kick = resolve;
            if (due !== undefined) timer = setTimeout(resolve, due);
          });
          clearTimeout(timer);
          this.#kick = undefined;
          continue;
        }
        const batch = queue.splice(0, max);
        const d = drained;
        drained = undefined;
        d?.();
        if (await this.#withRetry('apply stream seq', batch[0]?.seq ?? 0, () => this.#commit(batch))) return;
        if (this.#checkpointDue() === 0 && (await this.#withRetry('move the checkpoint to', this.#position, () => this.#writePosition()))) return;
      }
    } finally {
      ended = true;
      messages.stop();
      drained?.();
      await pump;
      this.#messages = undefined;
      await consumer.delete().catch(() => undefined);
    }
  }

  /**
   * Ms until the checkpoint must be written past messages passed over (0: now, because the
   * interval is up or a `caughtUp()` waits for it), undefined when it is not behind.
   */
  #checkpointDue(): number | undefined {
    if (this.#position <= this.#stored) return undefined;
    if (this.#waiters.some((w) => w.seq <= this.#position)) return 0;
    return Math.max(0, this.#behindSince + this.#o.checkpointIntervalMs - Date.now());
  }

  /** Runs a read-model transaction, retrying while Postgres fails. True when the runner must reposition. */
  async #withRetry(what: string, seq: number, attempt: () => Promise<void>): Promise<boolean> {
    let delay = 50;
    for (;;) {
      if (this.#interrupted) return true;
      try {
        await attempt();
        return false;
      } catch (err) {
        if (err instanceof CheckpointMovedError) {
          this.#o.onWarning(`${err.message}: repositioning`);
          this.#position = err.found;
          this.#stored = err.found;
          this.#behindSince = 0;
          return true;
        }
        this.#o.onWarning(`projection ${this.name}: cannot ${what} ${seq} (${(err as Error).message}); retrying`, err);
        await this.#sleep(delay);
        delay = Math.min(delay * 2, this.#o.maxRetryDelayMs);
      }
    }
  }

  /**
   * Applies a batch: the events it holds for this projection and the checkpoint in one
   * transaction that first locks the checkpoint and checks it is where this runner left it. A
   * batch without any is passed over without a transaction; the checkpoint follows later.
   */
  async #commit(batch: RawMessage[]): Promise<void> {
    // Strictly increasing from the position: a message the consumer handed over twice is applied once.
    const fresh: RawMessage[] = [];
    for (const m of batch) if (m.seq > (fresh[fresh.length - 1]?.seq ?? this.#position)) fresh.push(m);
    const last = fresh[fresh.length - 1];
    if (!last) return; // a redelivery of what is applied already
    const undecodable: DeadLetter[] = [];
    const events = decodeMessages(this.#o.projection, this.#registry, this.#wanted, fresh, undecodable);
    if (events.length === 0 && undecodable.length === 0 && this.#o.checkpointIntervalMs > 0) {
      if (this.#position === this.#stored) this.#behindSince = Date.now();
      this.#passed(fresh, last);
      return;
    }
    const expected = this.#stored;
    let dead: DeadLetter[] = [];
    const applied = await this.#o.db.transaction().execute(async (t) => {
      const trx = t as unknown as Transaction<never>;
      dead = [...undecodable];
      const stored = await lockCheckpoint(trx, this.name);
      if (!stored || stored.streamSeq !== expected) throw new CheckpointMovedError(this.name, expected, stored?.streamSeq ?? 0);
      const n = await applyDecoded(this.#o.projection, events, fresh, trx, dead);
      await writeCheckpoint(trx, this.name, last.seq);
      return n;
    });
    this.#transactions++;
    this.#batches++;
    this.#stored = last.seq;
    this.#behindSince = 0;
    this.#events += applied;
    this.#samples.push([Date.now(), this.#events]);
    if (this.#samples.length > 1000) this.#samples.splice(0, this.#samples.length - 1000);
    this.#passed(fresh, last);
    for (const d of dead) this.#publish(d);
  }

  /** Moves the position past messages applied or passed over. */
  #passed(fresh: readonly RawMessage[], last: RawMessage): void {
    this.#position = last.seq;
    this.#lastAppliedTimeMs = last.timeMs;
    this.#messagesApplied += fresh.length;
    this.#notify();
  }

  /** Moves the checkpoint to the position (messages passed over since it was last written). */
  async #writePosition(): Promise<void> {
    const expected = this.#stored;
    const to = this.#position;
    await this.#o.db.transaction().execute(async (t) => {
      const trx = t as unknown as Transaction<never>;
      const stored = await lockCheckpoint(trx, this.name);
      if (!stored || stored.streamSeq !== expected) throw new CheckpointMovedError(this.name, expected, stored?.streamSeq ?? 0);
      await writeCheckpoint(trx, this.name, to);
    });
    this.#transactions++;
    this.#stored = to;
    if (this.#position === to) this.#behindSince = 0;
    this.#notify();
  }

  /** Announces a dead letter (already recorded in `projection_dead_letter` with its batch). */
  #publish(d: DeadLetter): void {
    this.#deadLetters++;
    this.#o.onWarning(`projection ${this.name}: event ${d.index} of stream seq ${d.streamSeq} set aside (${d.reason}); sent to ${this.#deadLetterSubject}`);
    try {
      this.#o.nc.publish(this.#deadLetterSubject, JSON.stringify(d));
    } catch (err) {
      this.#o.onWarning(`projection ${this.name}: cannot publish a dead letter (it is kept in projection_dead_letter)`, err);
    }
  }

  #notify(): void {
    if (!this.#waiters.length) return;
    this.#waiters = this.#waiters.filter((w) => {
      if (this.#stored < w.seq) return true;
      w.resolve();
      return false;
    });
  }
}

function toRaw(m: JsMsg): RawMessage {
  return { seq: m.seq, subject: m.subject, body: m.string(), timeMs: Math.floor(Number(m.info.timestampNanos) / 1_000_000) };
}

/**
 * Starts a projection: waits for its leader lock (one active instance per projection across the
 * deployment; the others stand by and take over when its connection dies), brings its read model
 * to the latest migration (rebuilding it when its version changed), then follows the stream from
 * the checkpoint with an ordered consumer. Each batch is applied in one transaction that first
 * locks and checks the checkpoint row and then moves it: the effect is exactly once whatever is
 * redelivered, and a crash loses only an uncommitted batch, which is read again. A batch that
 * holds no event of the projection needs no transaction: the checkpoint is moved past such
 * batches at most every `checkpointIntervalMs` (a crash makes the next start read them again,
 * to find nothing in them again).
 */
export function startProjection(options: ProjectionRunnerOptions): ProjectionRunner {
  const runner = new Runner(options);
  runner.start();
  return runner;
}
