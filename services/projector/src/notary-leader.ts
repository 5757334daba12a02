import { randomUUID } from 'node:crypto';
import { type Redis } from 'ioredis';
import { type Notary } from '@totra/eventlog';
import { RELEASE_LOCK } from './poll-loop.js';

const RENEW = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";

/**
 * The deployment's notary lease in Redis: one key per stream, held by one projector at a time
 * (`SET NX PX`), renewed by its holder, taken by another projector once it expires. Two notaries
 * signing the same log would each link their checkpoints to the same previous one, which
 * auditors see as a broken log.
 */
export class NotaryLease {
  readonly token = randomUUID();
  readonly #redis: Redis;
  readonly #key: string;
  readonly #ttlMs: number;

  constructor(redis: Redis, key: string, ttlMs: number) {
    this.#redis = redis;
    this.#key = key;
    this.#ttlMs = ttlMs;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** Takes the lease if nobody holds it. */
  async tryAcquire(): Promise<boolean> {
    return (await this.#redis.set(this.#key, this.token, 'PX', this.#ttlMs, 'NX')) === 'OK';
  }

  /** Extends the lease if this holder still has it; false when it was lost (or Redis cannot say). */
  async renew(): Promise<boolean> {
    try {
      return Number(await this.#redis.eval(RENEW, 1, this.#key, this.token, String(this.#ttlMs))) === 1;
    } catch {
      return false;
    }
  }

  /** Gives the lease up if this holder has it. */
  async release(): Promise<void> {
    await this.#redis.eval(RELEASE_LOCK, 1, this.#key, this.token).catch(() => undefined);
  }
}

export interface NotaryLeaderOptions {
  lease: NotaryLease;
  /** Starts this projector's notary; `mayCheckpoint` must be passed on to it. */
  start: (mayCheckpoint: () => Promise<boolean>) => Promise<Notary>;
  onWarning: (message: string, err?: unknown) => void;
}

/**
 * Runs the notary only while this projector holds the notary lease: a standby tries to take it
 * every third of its lifetime, the holder renews it as often, and checks it again right before
 * every checkpoint (the notary's `mayCheckpoint`), so that a holder that lost it (paused past
 * the lifetime, or cut from Redis) signs nothing more and stands by. A new holder starts its
 * notary from its saved state when that state is still the log's latest, else from the stream.
 */
export class NotaryLeader {
  readonly #o: NotaryLeaderOptions;
  #notary: Notary | null = null;
  #timer: NodeJS.Timeout | undefined;
  #busy: Promise<void> = Promise.resolve();
  #stopped = false;
  #standingBy = false;

  constructor(o: NotaryLeaderOptions) {
    this.#o = o;
  }

  /** The running notary, while this projector holds the lease. */
  get current(): Notary | null {
    return this.#notary;
  }

  /** Makes a first attempt (so a lone projector signs from the start), then keeps trying or renewing. */
  async start(): Promise<void> {
    await this.#tick();
    this.#timer = setInterval(() => {
      this.#busy = this.#busy.then(() => this.#tick()).catch((err: unknown) => this.#o.onWarning(`notary: ${(err as Error).message}`, err));
    }, Math.max(100, Math.floor(this.#o.lease.ttlMs / 3)));
  }

  /** Stops: the holder anchors what came since its last checkpoint, then gives the lease up. */
  async close(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#busy.catch(() => undefined);
    const notary = this.#notary;
    this.#notary = null;
    if (notary) {
      await notary.checkpoint().catch((e: unknown) => this.#o.onWarning(`notary: last checkpoint failed: ${(e as Error).message}`, e));
      await notary.close();
      await this.#o.lease.release();
    }
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    const lease = this.#o.lease;
    if (this.#notary) {
      if (await lease.renew()) return;
      const notary = this.#notary;
      this.#notary = null;
      this.#o.onWarning('notary: lost the notary lease to another projector (or Redis); this one stops signing and stands by');
      await notary.close();
      return;
    }
    if (!(await lease.tryAcquire())) {
      if (!this.#standingBy) this.#o.onWarning('notary: another projector holds the notary lease; this one stands by');
      this.#standingBy = true;
      return;
    }
    try {
      this.#notary = await this.#o.start(() => lease.renew());
      if (this.#standingBy) this.#o.onWarning('notary: took the notary lease over; this projector signs checkpoints now');
      this.#standingBy = false;
    } catch (err) {
      await lease.release();
      throw err;
    }
  }
}
