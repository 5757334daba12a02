import { type Redis } from 'ioredis';
import { sha1 } from './quota-scripts.js';

interface Call {
  script: string;
  keys: string[];
  argv: string[];
  resolve: (reply: unknown) => void;
  reject: (err: unknown) => void;
}

const isNoScript = (err: unknown): boolean => err instanceof Error && err.message.startsWith('NOSCRIPT');

/**
 * Sends the Lua scripts called while the event loop handles one round of I/O as one pipeline,
 * written when that round is over (`setImmediate`): a burst of requests costs Redis one read and
 * the gateway one write, like ioredis auto-pipelining. Unlike it, a batch never waits for the
 * previous batch's replies (auto-pipelining keeps one pipeline in flight per connection, so a
 * burst of admissions queued behind a batch pays two round trips and more). Scripts run by their
 * SHA-1; one that Redis does not know yet (`NOSCRIPT`) is sent again whole, on its own.
 */
export class ScriptBatcher {
  readonly #redis: Redis;
  readonly #delayMs: number;
  #queue: Call[] = [];
  #scheduled = false;

  /**
   * @param o.delayMs collect scripts for this long before sending them (0, the default: until
   *   the current round of I/O is over). For work that may wait behind latency-critical scripts.
   */
  constructor(redis: Redis, o: { delayMs?: number } = {}) {
    this.#redis = redis;
    this.#delayMs = o.delayMs ?? 0;
  }

  /** Runs a script with its keys and arguments; resolves with its reply. */
  run(script: string, keys: string[], argv: string[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ script, keys, argv, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        if (this.#delayMs > 0) setTimeout(() => this.#flush(), this.#delayMs);
        else setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 1) {
      const c = batch[0] as Call;
      this.#redis.evalsha(sha1(c.script), c.keys.length, ...c.keys, ...c.argv).then(c.resolve, (err: unknown) => this.#retryWhole(c, err));
      return;
    }
    const pipeline = this.#redis.pipeline();
    for (const c of batch) pipeline.evalsha(sha1(c.script), c.keys.length, ...c.keys, ...c.argv);
    pipeline.exec().then(
      (results) => {
        batch.forEach((c, i) => {
          const [err, reply] = results?.[i] ?? [new Error('Redis returned no reply for a pipelined script'), undefined];
          if (err) this.#retryWhole(c, err);
          else c.resolve(reply);
        });
      },
      (err: unknown) => {
        for (const c of batch) c.reject(err);
      },
    );
  }

  #retryWhole(c: Call, err: unknown): void {
    if (!isNoScript(err)) {
      c.reject(err);
      return;
    }
    this.#redis.eval(c.script, c.keys.length, ...c.keys, ...c.argv).then(c.resolve, c.reject);
  }
}
