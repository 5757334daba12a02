import { type NatsConnection } from '@nats-io/nats-core';
import { type Redis } from 'ioredis';
import { ERASURE_EVENT_TYPES, decideOverdueAlerts, erasureFactOf, foldErasure, type ErasureFact } from '@totra/crypto';
import { type ChainWriter, lineMatcher, readStream, type StreamOptions } from '@totra/eventlog';
import { type EventInput } from '@totra/events';
import { replayFromEventLog, type EventLogLoad, type EventLogSource } from '@totra/projection-reporting';
import { type AlertNotice } from '@totra/quota';
import { PollLoop, RELEASE_LOCK } from '../poll-loop.js';
import { LazyChainWriter } from '../alerts/lazy-writer.js';

/**
 * Something outside the event log that holds data built from a data subject's content, e.g. the
 * exact or semantic response cache (keyed by prompts): it is purged when the subject is erased.
 * The cache plugs in here (`startProjector(..., { purgers })`); nothing in ToTra holds such data
 * yet, so the list is empty by default.
 */
export interface SubjectDataPurger {
  /** Shown in warnings. */
  readonly name: string;
  /**
   * Removes everything derived from the subject's data. Idempotent: it may run again for the
   * same subject (after a crash, or by a second projector). Returns how many entries it removed.
   */
  purgeSubject(s: { subject: string; tenant: string }): Promise<number>;
}

export interface ErasureWatcherOptions {
  nc: NatsConnection;
  stream: StreamOptions;
  /** For the lock, the markers, and (through `notifier`) the alert outbox. */
  redis: Redis;
  keyPrefix: string;
  /** Queues alerts on the notifier's outbox (Slack, Feishu, webhooks). */
  notifier: { enqueue(notice: AlertNotice): Promise<number> };
  /** Folder of the spool of the watcher's chain writer (opened with the first alert). */
  spoolDir: string;
  purgers?: readonly SubjectDataPurger[];
  /**
   * The `gdpr_log` read model (when the projector has Postgres): the first pass takes the erasure
   * events up to its checkpoint from it and reads the stream only past it (ADR 0018), instead of
   * reading the whole stream at every projector start.
   */
  log?: EventLogSource;
  /** How often the log is read on. Default 1 s. */
  pollIntervalMs?: number;
  /** The time overdue is judged at (ms); `Date.now` by default. */
  clock?: () => number;
  openWriter?: () => Promise<ChainWriter>;
  writerVersion?: string;
  onWarning?: (message: string, err?: unknown) => void;
}

/** What one pass did. */
export interface ErasurePassResult {
  /** `SubjectErasureOverdue` events appended. */
  alerted: number;
  /** Alert deliveries queued on the outbox. */
  queued: number;
  /** Erasures whose purgers ran. */
  purged: number;
  /** Another projector held the lock: nothing was done. */
  skipped?: boolean;
}

/** Redis names of the watcher (not projection-owned). */
export function erasureWatcherKeys(prefix: string) {
  return {
    lock: `${prefix}gdpr:lock`,
    /** journal entry ids of erasures whose purgers all ran */
    purged: `${prefix}gdpr:purged`,
    /** ids of `SubjectErasureOverdue` events whose deliveries were queued */
    queued: `${prefix}gdpr:alerts-queued`,
  };
}

const mayBeErasureFact = lineMatcher(ERASURE_EVENT_TYPES);

/** The alert of an overdue erasure request, for Slack, Feishu and webhooks: pseudonymous ids only. */
export function erasureOverdueNotice(e: { id: string; tenant: string; time: string; subject?: string | undefined; data: Readonly<Record<string, unknown>> }): AlertNotice {
  const state = e.data['state'] === 'deferred' ? 'deferred by a retention hold' : 'not executed';
  const text = `GDPR erasure request ${String(e.data['requestEventId'])} (subject ${e.subject ?? '?'}, tenant ${e.tenant}) is overdue: it was due ${String(e.data['dueAt'])} and is ${state}`;
  return { eventId: e.id, tenant: e.tenant, text, payload: { type: 'SubjectErasureOverdue', id: e.id, tenant: e.tenant, time: e.time, subject: e.subject, data: e.data, text } };
}

/**
 * Follows the erasure events of the log and reacts to them:
 * - an erasure request past its due date (request + 1 month) and not executed gets one
 *   `SubjectErasureOverdue` event (its id derived from the request) and one delivery per alert
 *   target through the notifier's outbox;
 * - an executed erasure (`SubjectKeyShredded`, reason erasure) runs every {@link SubjectDataPurger}.
 * Several projectors may run: a Redis lock lets one pass at a time, and each pass reads the log
 * first, so an alert another one appended is seen. Redis markers record which alerts were queued
 * and which erasures purged, so a crash between the append and the queueing is repaired.
 */
export class ErasureWatcher {
  readonly #o: ErasureWatcherOptions;
  readonly #k: ReturnType<typeof erasureWatcherKeys>;
  readonly #clock: () => number;
  readonly #warn: (message: string, err?: unknown) => void;
  readonly #facts: ErasureFact[] = [];
  readonly #ids = new Set<string>();
  /** Facts already handled (alert queued, or purgers run), known from Redis or done here. */
  readonly #handled = new Set<string>();
  #seq = 0;
  #firstRead: EventLogLoad | undefined;
  readonly #writer: LazyChainWriter;
  readonly #poll: PollLoop;
  #passing: Promise<unknown> = Promise.resolve();

  constructor(o: ErasureWatcherOptions) {
    this.#o = o;
    this.#k = erasureWatcherKeys(o.keyPrefix);
    this.#clock = o.clock ?? Date.now;
    this.#warn = o.onWarning ?? (() => undefined);
    this.#writer = new LazyChainWriter({ nc: o.nc, stream: o.stream, role: 'gdpr', spoolDir: o.spoolDir, writerVersion: o.writerVersion, open: o.openWriter, label: 'gdpr watcher writer', onWarning: this.#warn });
    this.#poll = new PollLoop(() => this.passOnce(), o.pollIntervalMs ?? 1000, (err) => this.#warn(`gdpr watcher: ${(err as Error).message}`, err));
  }

  start(): void {
    this.#poll.start();
  }

  /** How the first pass read the erasure events (undefined before it, and without a `log`). */
  get firstRead(): EventLogLoad | undefined {
    return this.#firstRead;
  }

  async stop(): Promise<void> {
    await this.#poll.stop();
    await this.#passing.catch(() => undefined);
    await this.#writer.close();
  }

  /** One pass: read the log on, alert overdue requests, purge erased subjects. Passes run one at a time. */
  passOnce(): Promise<ErasurePassResult> {
    const run = this.#passing.then(() => this.#locked());
    this.#passing = run.catch(() => undefined);
    return run;
  }

  async #locked(): Promise<ErasurePassResult> {
    const token = `${process.pid}:${Math.random()}`;
    if ((await this.#o.redis.set(this.#k.lock, token, 'PX', 60_000, 'NX')) !== 'OK') return { alerted: 0, queued: 0, purged: 0, skipped: true };
    try {
      return await this.#pass();
    } finally {
      await this.#o.redis.eval(RELEASE_LOCK, 1, this.#k.lock, token);
    }
  }

  #remember(f: ErasureFact): void {
    if (this.#ids.has(f.id)) return;
    this.#ids.add(f.id);
    this.#facts.push(f);
  }

  async #readLog(): Promise<void> {
    if (this.#seq === 0 && this.#o.log) {
      const { last, load } = await replayFromEventLog({
        nc: this.#o.nc,
        stream: this.#o.stream,
        types: ERASURE_EVENT_TYPES,
        log: this.#o.log,
        onEvent: (e) => this.#remember(erasureFactOf(e)),
        onError: (err) => this.#warn(`gdpr watcher: ${err.message}`, err),
      });
      this.#seq = last;
      this.#firstRead = load;
      return;
    }
    for await (const batch of readStream(this.#o.nc, this.#o.stream, { fromStreamSeq: this.#seq + 1, types: ERASURE_EVENT_TYPES })) {
      for (const line of batch.lines) {
        if (!mayBeErasureFact(line)) continue;
        const e = JSON.parse(line) as ErasureFact;
        if (ERASURE_EVENT_TYPES.has(e.type)) this.#remember({ id: e.id, type: e.type, tenant: e.tenant, time: e.time, subject: e.subject, data: e.data });
      }
      this.#seq = batch.streamSeq;
    }
  }

  async #pass(): Promise<ErasurePassResult> {
    const redis = this.#o.redis;
    await this.#readLog();
    const result: ErasurePassResult = { alerted: 0, queued: 0, purged: 0 };

    const now = new Date(this.#clock());
    const due: EventInput[] = decideOverdueAlerts(foldErasure(this.#facts), now);
    if (due.length) {
      const writer = await this.#writer.get();
      for (const e of due) writer.append(e);
      // Durable before it is announced: a crash here re-decides, with the same ids.
      await writer.flush();
      for (const e of due) this.#remember({ id: e.id as string, type: e.type, tenant: e.tenant, time: e.time ?? now.toISOString(), subject: e.subject, data: e.data });
      result.alerted = due.length;
    }

    for (const f of this.#facts) {
      if (this.#handled.has(f.id)) continue;
      if (f.type === 'SubjectErasureOverdue') {
        if ((await redis.sismember(this.#k.queued, f.id)) !== 1) {
          result.queued += await this.#o.notifier.enqueue(erasureOverdueNotice(f));
          await redis.sadd(this.#k.queued, f.id);
        }
      } else if (f.type === 'SubjectKeyShredded' && f.data['reason'] === 'erasure' && f.subject && this.#o.purgers?.length) {
        const entry = String(f.data['journalEntryId']);
        if ((await redis.sismember(this.#k.purged, entry)) !== 1) {
          for (const p of this.#o.purgers) await p.purgeSubject({ subject: f.subject, tenant: f.tenant });
          await redis.sadd(this.#k.purged, entry);
          result.purged++;
        }
      }
      this.#handled.add(f.id);
    }
    return result;
  }
}
