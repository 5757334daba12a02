import { type NatsConnection } from '@nats-io/nats-core';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type ConsumerConfig,
  type ConsumerInfo,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { type Redis } from 'ioredis';
import { EventRegistry } from '@totra/events';
import { lineMatcher, streamState, type StreamOptions } from '@totra/eventlog';
import { hotIdentityLayout, type HotIdentityLayout } from '@totra/identity';
import { hotQuotaLayout, type HotQuotaLayout } from '@totra/quota';
import { APPLY_SCRIPT, APPLY_SCRIPT_SHA1 } from './apply-script.js';
import { ProjectionStoppedError } from './errors.js';
import { handlesEventType, opsFor, quotaHotProjection, type HotOp } from './quota-hot.projection.js';

const CONSUMER_NOT_FOUND = 10014;

/**
 * Whether a stored line can be an event this projection handles: it names one of their types
 * (events are stored as canonical JSON, so `"type":"<name>"` appears verbatim). A line that
 * does not is skipped unparsed; one that does is parsed and its `type` checked.
 */
const mayHandle = lineMatcher(quotaHotProjection.handles);

export interface QuotaHotProjectionOptions {
  nc: NatsConnection;
  stream: StreamOptions;
  /** Connection used for the projection's writes (not a subscriber connection). */
  redis: Redis;
  /** Prefix of every Redis key and channel, e.g. `totra:`. */
  keyPrefix: string;
  /** Durable JetStream consumer name; one per deployment of the projection. */
  consumerName: string;
  registry?: EventRegistry;
  /** Most stream messages applied in one Redis round trip. */
  maxBatch?: number;
  /**
   * Most changes applied by one script call (default 128, about a millisecond or two of Redis):
   * Redis runs a script alone, so admissions wait while it runs. Messages are never split: one
   * with more changes is applied in a call of its own.
   */
  maxOpsPerCall?: number;
  /** Longest pause between attempts while Redis fails. */
  maxRetryDelayMs?: number;
  /** Told about trouble the projection handles itself (Redis retries, dead-lettered events). */
  onWarning?: (message: string, err?: unknown) => void;
}

/** A running quota-hot projection. */
export interface QuotaHotProjection {
  /** Stops consuming (the durable consumer stays, to resume from). */
  stop(): Promise<void>;
  /** Resolves once everything up to the stream's last sequence at the time of the call is applied. */
  caughtUp(): Promise<void>;
  /**
   * Drops everything the projection wrote (SCAN by prefix, never FLUSHALL) and replays the
   * stream from sequence 1. Resolves when the replay has started; `caughtUp()` tells when it is done.
   */
  rebuild(): Promise<void>;
  /** Last stream sequence applied. */
  readonly position: number;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Deletes every key the quota-hot projection owns under the prefix (SCAN + UNLINK), including
 * its checkpoint: identities, budgets, rate limits, spent, spend markers and alert marks. The
 * gateway's live quota state (reservations, pending spend, rate windows) and the alerts stream
 * stay. Returns how many keys were deleted.
 */
export async function resetQuotaHotState(redis: Redis, keyPrefix: string): Promise<number> {
  let deleted = 0;
  for (const pattern of [...hotIdentityLayout(keyPrefix).ownedPatterns, ...hotQuotaLayout(keyPrefix).ownedPatterns]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length) deleted += await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
  return deleted;
}

class QuotaHotRunner implements QuotaHotProjection {
  readonly #o: Required<Omit<QuotaHotProjectionOptions, 'registry'>>;
  readonly #registry: EventRegistry;
  readonly #layout: HotIdentityLayout;
  readonly #quota: HotQuotaLayout;
  readonly #filter: string;
  readonly #deadLetterSubject: string;
  #jsm!: JetStreamManager;
  #position = 0;
  #waiters: Waiter[] = [];
  #messages: ConsumerMessages | undefined;
  #loop: Promise<void> = Promise.resolve();
  #stopped = false;
  #paused = false;
  #wake: (() => void) | undefined;

  constructor(o: QuotaHotProjectionOptions) {
    this.#o = {
      nc: o.nc,
      stream: o.stream,
      redis: o.redis,
      keyPrefix: o.keyPrefix,
      consumerName: o.consumerName,
      maxBatch: o.maxBatch ?? 256,
      maxOpsPerCall: o.maxOpsPerCall ?? 128,
      maxRetryDelayMs: o.maxRetryDelayMs ?? 2000,
      onWarning: o.onWarning ?? (() => undefined),
    };
    this.#registry = o.registry ?? new EventRegistry();
    this.#layout = hotIdentityLayout(o.keyPrefix);
    this.#quota = hotQuotaLayout(o.keyPrefix);
    this.#filter = `${o.stream.subjectPrefix}.chain.>`;
    this.#deadLetterSubject = `${o.stream.subjectPrefix}.deadletter.${quotaHotProjection.name}`;
  }

  get position(): number {
    return this.#position;
  }

  async start(): Promise<void> {
    this.#jsm = await jetstreamManager(this.#o.nc, { checkAPI: false });
    const checkpoint = Number((await this.#o.redis.get(this.#layout.checkpoint)) ?? '0');
    const { lastSeq } = await streamState(this.#o.nc, this.#o.stream);
    if (checkpoint > lastSeq) {
      // Redis holds the state of a longer log than this stream (a new stream with the same
      // name): what it holds cannot be trusted.
      this.#o.onWarning(`checkpoint ${checkpoint} is past the end of stream ${this.#o.stream.name} (${lastSeq}): rebuilding`);
      await this.#reset();
    } else {
      this.#position = checkpoint;
      await this.#ensureConsumer(checkpoint);
    }
    this.#paused = false;
    await this.#resume();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#pause();
    for (const w of this.#waiters.splice(0)) w.reject(new ProjectionStoppedError());
  }

  async caughtUp(): Promise<void> {
    if (this.#stopped) throw new ProjectionStoppedError();
    const { lastSeq } = await streamState(this.#o.nc, this.#o.stream);
    if (this.#position >= lastSeq) return;
    return new Promise((resolve, reject) => this.#waiters.push({ seq: lastSeq, resolve, reject }));
  }

  async rebuild(): Promise<void> {
    if (this.#stopped) throw new ProjectionStoppedError();
    await this.#pause();
    await this.#reset();
    this.#paused = false;
    await this.#resume();
  }

  async #reset(): Promise<void> {
    await this.#jsm.consumers.delete(this.#o.stream.name, this.#o.consumerName).catch((err: unknown) => {
      if (!(err instanceof JetStreamApiError) || err.code !== CONSUMER_NOT_FOUND) throw err;
    });
    await resetQuotaHotState(this.#o.redis, this.#o.keyPrefix);
    this.#position = 0;
    await this.#ensureConsumer(0);
  }

  /**
   * Makes sure the durable consumer exists and does not start after what Redis holds: Redis
   * (its checkpoint) is what counts. A consumer that acknowledged more than Redis has (Redis
   * lost data) is recreated from the checkpoint; events it redelivers below the checkpoint
   * are skipped by the apply script.
   */
  async #ensureConsumer(checkpoint: number): Promise<void> {
    const { name } = this.#o.stream;
    let info: ConsumerInfo | undefined;
    try {
      info = await this.#jsm.consumers.info(name, this.#o.consumerName);
    } catch (err) {
      if (!(err instanceof JetStreamApiError) || err.code !== CONSUMER_NOT_FOUND) throw err;
    }
    if (info && (info.ack_floor.stream_seq > checkpoint || info.config.filter_subject !== this.#filter)) {
      const why =
        info.config.filter_subject !== this.#filter
          ? `reads other subjects (${info.config.filter_subject ?? 'all'})`
          : checkpoint === 0
            ? `acknowledged up to stream sequence ${info.ack_floor.stream_seq} but Redis holds no quota state (a new or emptied Redis, e.g. one without persistence that restarted)`
            : `acknowledged up to stream sequence ${info.ack_floor.stream_seq}, past the Redis checkpoint ${checkpoint} (Redis lost writes)`;
      this.#o.onWarning(`consumer ${this.#o.consumerName} ${why}: recreating it to rebuild the hot quota state from the stream${checkpoint > 0 ? ` after ${checkpoint}` : ''}`);
      await this.#jsm.consumers.delete(name, this.#o.consumerName);
      info = undefined;
    }
    if (info) return;
    const config: Partial<ConsumerConfig> = {
      durable_name: this.#o.consumerName,
      description: `ToTra projection ${quotaHotProjection.name} v${quotaHotProjection.version}`,
      ack_policy: AckPolicy.Explicit,
      filter_subject: this.#filter,
      max_ack_pending: 4096,
      ...(checkpoint > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: checkpoint + 1 } : { deliver_policy: DeliverPolicy.All }),
    };
    await this.#jsm.consumers.add(name, config);
  }

  async #resume(): Promise<void> {
    const consumer = await jetstream(this.#o.nc).consumers.get(this.#o.stream.name, this.#o.consumerName);
    const messages = await consumer.consume({ max_messages: Math.max(512, this.#o.maxBatch * 2) });
    if (this.#paused) {
      messages.stop();
      return;
    }
    this.#messages = messages;
    void this.#watch(messages);
    this.#loop = this.#consume(messages).then(
      () => this.#recover(),
      (err: unknown) => {
        this.#o.onWarning(`quota-hot: consuming failed (${(err as Error).message}); starting over from the checkpoint`, err);
        return this.#recover();
      },
    );
  }

  /** A deleted consumer gets no more messages: stop consuming, so that `#recover` sets it up again. */
  async #watch(messages: ConsumerMessages): Promise<void> {
    for await (const status of messages.status()) {
      if (status.type === 'consumer_deleted' || status.type === 'consumer_not_found') {
        this.#o.onWarning(`quota-hot: consumer ${this.#o.consumerName} is gone (${status.type})`);
        messages.stop();
        return;
      }
    }
  }

  /** Consuming ended without being asked to (e.g. the consumer was deleted): set it up again and go on. */
  async #recover(): Promise<void> {
    let delay = 100;
    while (!this.#paused) {
      await this.#sleep(delay);
      if (this.#paused) return;
      try {
        await this.#ensureConsumer(this.#position);
        if (!this.#paused) await this.#resume();
        return;
      } catch (err) {
        this.#o.onWarning(`quota-hot: cannot set up consumer ${this.#o.consumerName} again (${(err as Error).message}); retrying`, err);
        delay = Math.min(delay * 2, this.#o.maxRetryDelayMs);
      }
    }
  }

  /** Waits, unless paused meanwhile. */
  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  async #pause(): Promise<void> {
    this.#paused = true;
    this.#messages?.stop();
    this.#wake?.();
    await this.#loop;
    this.#messages = undefined;
  }

  /**
   * A pump moves messages from the consumer into a local queue as they arrive; each batch is
   * whatever the queue holds (one Redis round trip for all of it). A batch never waits for a
   * message that may not exist: `getPending()` also counts pull requests in flight, so
   * waiting on it could hold the last messages of the stream unapplied.
   */
  async #consume(messages: ConsumerMessages): Promise<void> {
    const queue: JsMsg[] = [];
    const limit = this.#o.maxBatch * 4;
    let wakeWorker: (() => void) | undefined;
    let wakePump: (() => void) | undefined;
    let ended = false;
    const pump = (async () => {
      try {
        for await (const m of messages) {
          queue.push(m);
          wakeWorker?.();
          if (queue.length >= limit) await new Promise<void>((resolve) => (wakePump = resolve));
        }
      } finally {
        ended = true;
        wakeWorker?.();
      }
    })();
    for (;;) {
      if (!queue.length) {
        if (ended) break;
        await new Promise<void>((resolve) => (wakeWorker = resolve));
        wakeWorker = undefined;
        continue;
      }
      const batch = queue.splice(0, this.#o.maxBatch);
      wakePump?.();
      wakePump = undefined;
      await this.#applyWithRetry(batch);
    }
    await pump.catch(() => undefined);
  }

  async #applyWithRetry(batch: JsMsg[]): Promise<void> {
    let delay = 50;
    for (;;) {
      try {
        await this.#apply(batch);
        return;
      } catch (err) {
        if (this.#paused) return; // not acked: redelivered to whoever consumes next
        this.#o.onWarning(`quota-hot: cannot apply stream seq ${batch[0]?.seq}..${batch[batch.length - 1]?.seq} (${(err as Error).message}); retrying`, err);
        for (const m of batch) m.working();
        await this.#sleep(delay);
        if (this.#paused) return;
        delay = Math.min(delay * 2, this.#o.maxRetryDelayMs);
      }
    }
  }

  async #apply(batch: JsMsg[]): Promise<void> {
    const groups: [string, HotOp[]][] = [];
    let lastSeq = this.#position;
    for (const m of batch) {
      if (m.seq <= lastSeq) continue; // applied already (a redelivery)
      const ops = this.#opsOf(m);
      if (ops.length) groups.push([String(m.seq), ops]);
      lastSeq = m.seq;
    }
    if (lastSeq > this.#position && groups[groups.length - 1]?.[0] !== String(lastSeq)) {
      // Messages without changes still move the checkpoint.
      groups.push([String(lastSeq), []]);
    }
    // In calls of at most maxOpsPerCall changes, cut between messages: each call moves the
    // checkpoint with its own changes, so a retry after a failed call skips what was applied.
    let start = 0;
    let ops = 0;
    for (let i = 0; i < groups.length; i++) {
      ops += (groups[i] as [string, HotOp[]])[1].length;
      if (ops >= this.#o.maxOpsPerCall || i === groups.length - 1) {
        await this.#eval(JSON.stringify(groups.slice(start, i + 1)));
        start = i + 1;
        ops = 0;
      }
    }
    for (const m of batch) m.ack();
    if (lastSeq > this.#position) this.#position = lastSeq;
    this.#notify();
  }

  #opsOf(m: JsMsg): HotOp[] {
    const ops: HotOp[] = [];
    const lines = m.string().split('\n');
    for (let index = 0; index < lines.length; index++) {
      const line = lines[index] as string;
      // Most of the log is request traffic this projection ignores: no JSON.parse for it.
      if (!mayHandle(line)) continue;
      try {
        const raw = JSON.parse(line) as { type?: unknown };
        if (typeof raw.type !== 'string' || !handlesEventType(raw.type)) continue;
        for (const op of opsFor(this.#registry.decode(raw), this.#layout, { quota: this.#quota })) ops.push(op);
      } catch (err) {
        this.#deadLetter(m, index, line, err);
      }
    }
    return ops;
  }

  /** An event the projection cannot read is set aside with the reason, never silently dropped. */
  #deadLetter(m: JsMsg, index: number, line: string, err: unknown): void {
    const reason = (err as Error).message;
    this.#o.onWarning(`quota-hot: event ${index} of stream seq ${m.seq} cannot be applied (${reason}); sent to ${this.#deadLetterSubject}`, err);
    this.#o.nc.publish(
      this.#deadLetterSubject,
      JSON.stringify({ projection: quotaHotProjection.name, streamSeq: m.seq, subject: m.subject, index, reason, line }),
    );
  }

  async #eval(groupsJson: string): Promise<void> {
    const { redis } = this.#o;
    try {
      await redis.evalsha(APPLY_SCRIPT_SHA1, 1, this.#layout.checkpoint, groupsJson);
    } catch (err) {
      if (!(err as Error).message.startsWith('NOSCRIPT')) throw err;
      await redis.eval(APPLY_SCRIPT, 1, this.#layout.checkpoint, groupsJson);
    }
  }

  #notify(): void {
    if (!this.#waiters.length) return;
    this.#waiters = this.#waiters.filter((w) => {
      if (this.#position < w.seq) return true;
      w.resolve();
      return false;
    });
  }
}

/**
 * Starts the quota-hot projection: a durable JetStream consumer over every chain, applying
 * key issue/revoke and team network policies to Redis. Each run of messages is applied in
 * one Lua script together with the checkpoint (`<prefix>quota-hot:checkpoint`), and acked
 * only after Redis confirmed it, so redelivery changes nothing. Revocations are announced on
 * `<prefix>keys:revoked`, team policy changes on `<prefix>teams:policy`.
 */
export async function startQuotaHotProjection(options: QuotaHotProjectionOptions): Promise<QuotaHotProjection> {
  const runner = new QuotaHotRunner(options);
  await runner.start();
  return runner;
}
