export interface AfterResponseOptions {
  /**
   * Longest a task waits for a quiet turn while requests keep coming (default 10 ms); past it, a
   * quarter of the waiting work runs in every turn, busy or not.
   */
  maxDelayMs?: number;
  /**
   * How long the gateway must have been quiet (no request arrived, was admitted or was answered)
   * before waiting work starts (default 2 ms; 0: the first quiet turn of the event loop).
   */
  quietMs?: number;
  /** Milliseconds on a monotonic clock (tests). */
  now?: () => number;
}

/**
 * The work a request still has once its client has the answer (its events, content log and
 * metrics; its settlement is queued before, see the chat route). It waits for a quiet window:
 * `quietMs` in which no request arrived, was admitted or was answered (`busy()`, and every
 * `run()`, are busy marks), then runs in quiet turns of the event loop. Clients that send their
 * next request as soon as they have an answer arrive in waves, a fraction of a millisecond after
 * the answers; the bookkeeping of a wave, and the work it causes in NATS, the projector and
 * Redis, then runs once the next wave is on its way to the provider, not between its requests
 * (ADRs 0012 and 0015).
 * A task waits at most `maxDelayMs`; past it, a turn lets through a quarter of the waiting work
 * (at least one), busy or not, so under sustained load the bookkeeping keeps pace instead of
 * piling up.
 *
 * It also knows what is unfinished: `drain()` resolves when every task has ended, and every
 * request handler given to `track()` (the gateway waits for it before it closes its chain
 * writer, so no event is lost at shutdown, not even that of a request cut short by it).
 */
export class AfterResponse {
  #waiting: (() => void)[] = [];
  /** When the queue last went from empty to waiting: once that is `maxDelayMs` ago, busy turns let work through too, until it is empty. */
  #since = 0;
  #scheduled = false;
  /** The busy marks when the quiet-window timer was set: unchanged when it fires means quiet all along. */
  #armed = 0;
  #open = 0;
  #drained: (() => void)[] = [];
  /** Busy marks so far, and how many there were at the last turn. */
  #marks = 0;
  #seen = 0;
  readonly #maxDelayMs: number;
  readonly #quietMs: number;
  readonly #now: () => number;

  constructor(o: AfterResponseOptions = {}) {
    this.#maxDelayMs = o.maxDelayMs ?? 10;
    this.#quietMs = o.quietMs ?? 2;
    this.#now = o.now ?? (() => performance.now());
  }

  /** Marks this turn as busy with latency-critical work (a request arrived or was admitted). */
  busy(): void {
    this.#marks++;
  }

  /** Runs `task` in a later turn of the event loop; resolves or rejects with it. */
  async run<T>(task: () => Promise<T> | T): Promise<T> {
    this.#open++;
    try {
      // Answering a request is latency-critical work too: others of its wave are on their way.
      this.#marks++;
      await new Promise<void>((resolve) => {
        if (!this.#waiting.length) this.#since = this.#now();
        this.#waiting.push(resolve);
        this.#schedule();
      });
      return await task();
    } finally {
      this.#close();
    }
  }

  #close(): void {
    this.#open--;
    if (this.#open === 0) for (const done of this.#drained.splice(0)) done();
  }

  /** Counts `work` (a request handler) as unfinished until it settles; returns it. */
  async track<T>(work: Promise<T>): Promise<T> {
    this.#open++;
    try {
      return await work;
    } finally {
      this.#close();
    }
  }

  /** Tasks waiting for their turn or running, and tracked work not settled yet. */
  get open(): number {
    return this.#open;
  }

  /** Resolves when no task is waiting or running and no tracked work is pending. */
  drain(): Promise<void> {
    if (this.#open === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /** Waits for a quiet window (a timer, never a busy loop), or for the next turn when there is none. */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    if (this.#quietMs <= 0) {
      setImmediate(this.#turn);
      return;
    }
    this.#armed = this.#marks;
    setTimeout(this.#window, this.#quietMs);
  }

  readonly #window = (): void => {
    this.#scheduled = false;
    if (this.#marks !== this.#armed && this.#now() - this.#since < this.#maxDelayMs) {
      this.#schedule();
      return;
    }
    // Quiet for the whole window (or waited long enough): let work through turn by turn.
    this.#seen = this.#marks;
    this.#release();
  };

  /** A quarter of the waiting work (at least one task); the rest in later turns. */
  #release(): void {
    const n = Math.max(1, this.#waiting.length >> 2);
    for (const go of this.#waiting.splice(0, n)) go();
    if (this.#waiting.length && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#turn);
    }
  }

  readonly #turn = (): void => {
    this.#scheduled = false;
    const quiet = this.#marks === this.#seen;
    this.#seen = this.#marks;
    // A quarter at a time even when quiet: a request arriving meanwhile waits for no more.
    if (quiet || this.#now() - this.#since >= this.#maxDelayMs) this.#release();
    else if (this.#waiting.length) this.#schedule();
  };
}
